// Every attribute is declared once, here (common ones) or in its agent (type
// ones). The declaration drives the JSON Schema, `-list` output, the wizard and
// the man page of main.json.

/** 'program': one executable path as a string (never a shell line), or [path, arg…] for arguments. */
export type AttributeKind = 'string' | 'integer' | 'boolean' | 'string[]' | 'enum' | 'number' | 'program';

export interface AttributeDeclaration {
  name: string;
  kind: AttributeKind;
  /** Allowed values for kind 'enum'. */
  values?: string[];
  default?: unknown;
  /** false: read-only (computed or reported by the engine); not accepted in main.json unless `stored`. */
  editable: boolean;
  /** Set once when the object is created (names, types), then read-only. */
  stored?: boolean;
  /** Required in main.json. */
  required?: boolean;
  minimum?: number;
  maximum?: number;
  /** Unit shown in docs ("ms", "s"). */
  unit?: string;
  /** JSON Schema `pattern` for strings. */
  pattern?: string;
  /** Longest string (for string[]: longest item); default ATTRIBUTE_STRING_MAX (lengthLimits). */
  maxLength?: number;
  /** Most items of a string[]; default ATTRIBUTE_ARRAY_MAX (lengthLimits). */
  maxItems?: number;
  description: string;
  /** Note for docs where our default differs from MCCS. */
  ours?: string;
  /** Other names accepted on input (an MCCS manual spelling), stored and shown under `name`. */
  aliases?: string[];
  /** An enum the MCCS manual declares BOOLEAN: the value a true / false input maps to. */
  booleanInput?: { true: string; false: string };
  /** Read-only attribute that `--force` may still change, and why (shown in the man page). */
  forceEditable?: string;
}

import { limitValue } from '../limits/constants.js';

export const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_.-]{0,62}$';

export const clusterAttributes: AttributeDeclaration[] = [
  { name: 'ClusterName', kind: 'string', editable: true, required: true, pattern: NAME_PATTERN, maxLength: 63, description: 'Name of the cluster.' },
  { name: 'GroupLimit', kind: 'integer', default: 32, minimum: 1, maximum: 1024, editable: true, description: 'Maximum number of groups in the cluster.' },
  { name: 'HBInterval', kind: 'integer', default: 1000, minimum: 50, maximum: 60000, unit: 'ms', editable: true, description: 'Time without a heartbeat after which a link is down; heartbeats are sent every tenth of it.', ours: 'MCCS: 2000 ms.' },
  { name: 'HBPort', kind: 'integer', default: 14321, minimum: 1024, maximum: 65532, editable: true, description: 'First of four consecutive ports: primary heartbeat, secondary heartbeat, commands/config (TCP), remote API (TLS).' },
  { name: 'HBTimeout', kind: 'integer', default: 1000, minimum: 50, maximum: 60000, unit: 'ms', editable: true, description: 'ICMP silence (since the last answer) that confirms a dead peer once every heartbeat link is down.', ours: 'MCCS: 3 s.' },
  { name: 'PingInterval', kind: 'integer', default: 100, minimum: 20, maximum: 5000, unit: 'ms', editable: true, description: 'Period of the continuous ICMP to the peer and to IsolationTestAddresses; HBTimeout must be at least twice this.', ours: 'Not in MCCS (it pings once, when it decides).' },
  { name: 'IsolationTestTimeout', kind: 'integer', default: 3, minimum: 1, maximum: 600, unit: 's', editable: true, description: 'Time after which an unanswered isolation test address counts as unreachable.' },
  { name: 'SplitThreshold', kind: 'integer', default: 500, minimum: 0, maximum: 60000, unit: 'ms', editable: true, description: 'Links that drop further apart in time than this are a network split, not a dead peer: no takeover.' },
  { name: 'StartAloneTimeout', kind: 'integer', default: 0, minimum: 0, maximum: 86400, unit: 's', editable: true, description: 'A node that hears no peer at start starts its groups alone after this long, if the peer is silent on heartbeat and ICMP and this node is not isolated. 0 = wait forever.' },
  { name: 'FenceProgram', kind: 'string', default: '', editable: true, description: 'Executable run with the peer node name as its argument before a takeover; takeover waits for exit 0.' },
  { name: 'FenceDelay', kind: 'number', default: 2, minimum: 0, maximum: 300, unit: 's', editable: true, description: 'In a partition both nodes see a silent peer; the lower-priority node waits this long before running FenceProgram, so the two never shoot each other: the higher-priority node fences first.', ours: 'Not in MCCS.' },
  { name: 'WitnessType', kind: 'enum', values: ['none', 'etcd'], default: 'none', editable: true, description: 'A third party that breaks the tie in a partition between the nodes: none, or etcd (each failover group then has one owner recorded there; a node brings a failover group online only as its owner). Applied at the next engine start.', ours: 'Not in MCCS.' },
  { name: 'WitnessEndpoints', kind: 'string', default: '', editable: true, pattern: '^$|^https?://[^\\s,/]+:[0-9]{1,5}(,\\s*https?://[^\\s,/]+:[0-9]{1,5})*$', description: 'Comma list of etcd client URLs (http(s)://host:port), every member of the etcd cluster.', ours: 'Not in MCCS.' },
  { name: 'WitnessTTL', kind: 'integer', default: 1000, minimum: 100, maximum: 60000, unit: 'ms', editable: true, description: 'Ownership deadline: an owner that has not renewed at the witness for three quarters of it (its own clock) and hears no peer takes its failover groups offline; another node takes them only after it has seen no renewal for all of it (its own clock). Renewals every fifth of it.', ours: 'Not in MCCS.' },
  { name: 'WitnessCACert', kind: 'string', default: '', editable: true, description: 'PEM file of the CA that signed the etcd server certificates (https endpoints).', ours: 'Not in MCCS.' },
  { name: 'WitnessCert', kind: 'string', default: '', editable: true, description: 'PEM client certificate for etcd (client-cert-auth).', ours: 'Not in MCCS.' },
  { name: 'WitnessKey', kind: 'string', default: '', editable: true, description: 'PEM private key of WitnessCert.', ours: 'Not in MCCS.' },
  { name: 'WitnessPrefix', kind: 'string', default: '', editable: true, pattern: '^$|^/[A-Za-z0-9_./-]*$', description: 'Key prefix in etcd (default /mccs/<ClusterName>): owners under PREFIX/groups/, node renewals under PREFIX/nodes/.', ours: 'Not in MCCS.' },
  { name: 'LoginLockoutCount', kind: 'integer', default: 10, minimum: 0, maximum: 1000, editable: true, description: 'Failed logins in a row (password or join token) after which the user, and the source address, are locked out for LoginLockoutTime; earlier failures are delayed progressively (SECURITY.md). 0 = never lock out. The local root user on the socket needs no password and is never locked out.', ours: 'Not in MCCS.' },
  { name: 'LoginLockoutTime', kind: 'integer', default: 300, minimum: 1, maximum: 86400, unit: 's', editable: true, description: 'How long a locked-out user or source address is refused, even with the right password.', ours: 'Not in MCCS.' },
  { name: 'ConsolePort', kind: 'integer', default: 10080, minimum: 1, maximum: 65535, editable: true, description: 'TCP port of the web console (mccs console): https://NODE:ConsolePort/main. Applies when the console restarts.' },
  { name: 'LogBackupCount', kind: 'integer', default: 3, minimum: 0, maximum: 100, editable: true, description: 'Rotated engine log files kept.' },
  { name: 'LogFileSize', kind: 'integer', default: 10485760, minimum: 65536, editable: true, unit: 'bytes', description: 'Engine log size that triggers rotation.' },
  { name: 'MetricsPort', kind: 'integer', default: 0, minimum: 0, maximum: 65535, editable: true, description: 'TCP port of the Prometheus metrics endpoint (GET /metrics, text format) of every engine. 0 = off (the default).', ours: 'Not in MCCS.' },
  { name: 'MetricsAddress', kind: 'string', default: '127.0.0.1', pattern: '^[0-9A-Fa-f.:]+$', editable: true, description: 'Address the metrics endpoint listens on (an IP literal; a node attribute of the same name overrides it per node). Unauthenticated: keep it on a management network.', ours: 'Not in MCCS.' },
  { name: 'NotifyProgram', kind: 'string', default: '', editable: true, description: 'Executable run once per event of NotifyEvents, the event as one JSON document on its standard input, in the order the events happened; retried with back-off while it exits non-zero. Never delays a failover.', ours: 'Not in MCCS.' },
  { name: 'NotifyWebhook', kind: 'string', default: '', pattern: '^(https?://\\S+)?$', editable: true, description: 'URL each event of NotifyEvents is POSTed to as one JSON document (application/json), in order; retried with back-off until a 2xx answer.', ours: 'Not in MCCS.' },
  { name: 'NotifyEvents', kind: 'string', default: 'node,failover,resource,group,jeopardy,config', pattern: '^((node|failover|resource|group|jeopardy|config)(,(node|failover|resource|group|jeopardy|config))*)?$', editable: true, description: 'Comma list of the event kinds notified: node (node FAULTED or EXITED), failover, resource (resource FAULTED), group (group FAULTED), jeopardy, config.', ours: 'Not in MCCS.' },
  { name: 'NotifyTimeout', kind: 'integer', default: 10, minimum: 1, maximum: 600, unit: 's', editable: true, description: 'Time one delivery (program run or POST) may take before it counts as failed and is retried.', ours: 'Not in MCCS.' },
];

/** Why PrimaryHB/SecondaryHB still change with --force (man page). */
const ADDRESS_CHANGE = 'Re-addressing a network is a real need: with --force the new address is stored on every node and applies at the next engine start (status says RESTART_NEEDED); see "Changing a heartbeat address" in mcnode(8).';

export const nodeAttributes: AttributeDeclaration[] = [
  { name: 'NodeName', kind: 'string', editable: false, stored: true, required: true, pattern: NAME_PATTERN, maxLength: 63, description: 'Alias of the node, unique in the cluster. Changed only by a rename (mcnode rename OLD NEW, or mcnode -modify -n OLD -a NodeName NEW), which renames it everywhere at once.' },
  { name: 'PrimaryHB', kind: 'string', editable: false, stored: true, forceEditable: ADDRESS_CHANGE, description: 'Address of the primary heartbeat link (IPv4 or IPv6). Read-only as in MCCS: it is how a node is known.' },
  { name: 'SecondaryHB', kind: 'string', editable: false, stored: true, forceEditable: ADDRESS_CHANGE, description: 'Address of the secondary heartbeat link (optional, but a single link is a warning). Read-only as in MCCS.' },
  { name: 'IsolationTestAddresses', kind: 'string', default: '', editable: true, aliases: ['IsolationTestAddress'], description: 'Comma list of addresses this node pings to tell whether it is the one cut off (IPv6 link-local as addr%iface).' },
  { name: 'StandAlone', kind: 'boolean', default: false, editable: false, stored: true, description: 'Run as a single-node cluster (set in main.json by mccs init; read-only as in MCCS).' },
  { name: 'BootMode', kind: 'enum', values: ['AUTO', 'MANUAL'], default: 'AUTO', editable: true, booleanInput: { true: 'AUTO', false: 'MANUAL' }, description: 'AUTO: groups with AutoStart come online when the engine starts; MANUAL: wait for the operator. The MCCS BOOLEAN form is accepted on input: true = AUTO, false = MANUAL.' },
  { name: 'HostID', kind: 'string', editable: false, stored: true, description: 'Host identifier (stored for compatibility; read-only as in MCCS).' },
  { name: 'LicenseType', kind: 'string', editable: false, stored: true, description: 'License type (stored for compatibility, never enforced; read-only as in MCCS).' },
  { name: 'ExpirationDate', kind: 'string', editable: true, description: 'License expiration date (stored for compatibility, never enforced).' },
  { name: 'License', kind: 'string', editable: true, description: 'License key (stored for compatibility, never enforced).' },
  { name: 'MetricsAddress', kind: 'string', pattern: '^[0-9A-Fa-f.:]+$', editable: true, description: 'Address this node\'s metrics endpoint listens on; overrides the cluster attribute MetricsAddress.' },
  { name: 'Capacity', kind: 'integer', minimum: 0, maximum: 1000000000, editable: true, description: 'How much Load this node carries: a group is placed here (AutoStart, takeover, failover, switch, online, evacuation) only if the Load of the FAILOVER and SINGLE groups active here (ONLINE, PARTIAL, STARTING) plus its own stays within Capacity; a group without room anywhere stays offline and the event log says NO_CAPACITY. Absent = unlimited. Lowering it never stops a running group.', ours: 'Not in MCCS (VCS Capacity).' },
  { name: 'NodeState', kind: 'enum', values: ['EXITED', 'INITING', 'LOCAL_BUILD', 'REMOTE_BUILD', 'RUNNING', 'FAULTED'], editable: false, description: 'State of the node (read-only).' },
  { name: 'LoadInUse', kind: 'integer', editable: false, description: 'Sum of the Load of the FAILOVER and SINGLE groups active on the node (ONLINE, PARTIAL, STARTING) (read-only).', ours: 'Not in MCCS.' },
  { name: 'AvailableCapacity', kind: 'integer', editable: false, description: 'Capacity less LoadInUse: the Load the node can still take; negative after an online beyond Capacity with --force; not shown without Capacity (read-only).', ours: 'Not in MCCS (VCS AvailableCapacity).' },
  { name: 'PrimaryHBStatus', kind: 'enum', values: ['UP', 'DOWN', 'NONE'], editable: false, description: 'State of the primary heartbeat link (read-only).' },
  { name: 'SecondaryHBStatus', kind: 'enum', values: ['UP', 'DOWN', 'NONE'], editable: false, description: 'State of the secondary heartbeat link (read-only).' },
];

export const groupAttributes: AttributeDeclaration[] = [
  { name: 'GroupName', kind: 'string', editable: false, stored: true, required: true, pattern: NAME_PATTERN, maxLength: 63, description: 'Name of the group, unique in the cluster.' },
  { name: 'GroupType', kind: 'enum', values: ['FAILOVER', 'PARALLEL', 'SINGLE'], default: 'FAILOVER', editable: false, stored: true, description: 'FAILOVER: online on one node, moves on failure; PARALLEL: online on every node of NodeList; SINGLE: never moves.' },
  { name: 'NodeList', kind: 'string[]', editable: true, required: true, maxItems: 16, maxLength: 63, description: 'Nodes the group may run on, in priority order.' },
  { name: 'AutoStart', kind: 'boolean', default: true, editable: true, description: 'Bring the group online when the engine starts.' },
  { name: 'AutoStartNode', kind: 'string', default: '', editable: true, description: 'Node on which AutoStart brings the group online (default: first of NodeList that is RUNNING).' },
  { name: 'AutoFailover', kind: 'boolean', default: true, editable: true, description: 'Fail the group over when a critical resource fails for good or its node dies.' },
  { name: 'AutoRestart', kind: 'boolean', default: false, editable: true, description: 'When a persistent resource (NIC) whose failure took the group offline recovers, and the group is online nowhere, bring it back online on this node.' },
  { name: 'AutoFaultClearTime', kind: 'integer', default: 0, minimum: 0, unit: 's', editable: true, description: 'Clear FAULTED resources after this long. 0 = never.' },
  { name: 'Enabled', kind: 'boolean', default: true, editable: true, description: 'A disabled group is never brought online.' },
  { name: 'Locked', kind: 'boolean', default: false, editable: true, description: 'A locked group refuses operators\' online, offline and switch requests. The cluster still acts on it: failover, takeover, AutoStart, AutoRestart, and the offline of a heal or of an isolated node.' },
  { name: 'Frozen', kind: 'boolean', default: false, editable: true, description: 'Maintenance: the engine watches and reports but never acts.' },
  { name: 'Load', kind: 'integer', default: 0, minimum: 0, maximum: 1000000000, editable: true, description: 'What the group weighs on the node it runs on, in the unit of the nodes\' Capacity. A FAILOVER or SINGLE group is placed only on a node where it fits within Capacity (see the node attribute Capacity); 0 = weighs nothing and always fits. Not counted for PARALLEL groups.', ours: 'Not in MCCS (VCS Load).' },
  { name: 'BatchAfterOnline', kind: 'string', default: '', editable: true, description: 'Program run after the group comes online (its result does not change group handling).' },
  { name: 'BatchBeforeOffline', kind: 'string', default: '', editable: true, description: 'Program run before the group goes offline (its result does not change group handling).' },
  { name: 'BatchTimeout', kind: 'integer', default: 300, minimum: 1, unit: 's', editable: true, description: 'Timeout of the group batch programs.' },
  { name: 'ActionState', kind: 'enum', values: ['STARTING', 'STOPPING', 'WATCHING'], editable: false, description: 'What the engine is doing with the group (read-only).' },
  { name: 'Failover', kind: 'boolean', editable: false, description: 'true while the group is failing over (read-only).' },
  { name: 'MaxDependencyLevel', kind: 'integer', editable: false, description: 'Depth of the dependency tree (read-only, computed).' },
];

/** Attributes every resource has, whatever its type. */
export const resourceAttributes: AttributeDeclaration[] = [
  { name: 'ResName', kind: 'string', editable: false, stored: true, required: true, pattern: NAME_PATTERN, maxLength: 63, description: 'Name of the resource, unique in the cluster.' },
  { name: 'Type', kind: 'string', editable: false, stored: true, required: true, description: 'Resource type (agent).' },
  { name: 'Critical', kind: 'boolean', default: false, editable: true, description: 'The final failure of a critical resource fails the whole group over.' },
  { name: 'Enabled', kind: 'boolean', default: true, editable: true, description: 'A disabled resource is neither started, stopped nor monitored.' },
  { name: 'NoAction', kind: 'boolean', default: false, editable: true, description: 'Monitor only: the engine never starts or stops this resource.' },
  { name: 'CleanProgram', kind: 'string', default: '', editable: true, description: 'Program run (with the resource name as argument) after the forced clean.' },
  { name: 'BatchBeforeOnline', kind: 'string', default: '', editable: true, description: 'Program run before online.' },
  { name: 'BatchAfterOnline', kind: 'string', default: '', editable: true, description: 'Program run after online.' },
  { name: 'BatchBeforeOffline', kind: 'string', default: '', editable: true, description: 'Program run before offline.' },
  { name: 'BatchAfterOffline', kind: 'string', default: '', editable: true, description: 'Program run after offline.' },
  { name: 'LastOnline', kind: 'string', editable: false, description: 'Node where the resource was last online (read-only).' },
];

/** Attributes shared by all resources of a type ("Types"), overridable per resource. */
export const typeAttributes: AttributeDeclaration[] = [
  { name: 'MonitorInterval', kind: 'number', default: 10, minimum: 0.05, maximum: 86400, unit: 's', editable: true, description: 'Monitor period of an online resource.' },
  { name: 'MonitorTimeout', kind: 'number', default: 10, minimum: 0.05, unit: 's', editable: true, description: 'Timeout of one monitor.' },
  { name: 'OfflineMonitorInterval', kind: 'number', default: 60, minimum: 0, unit: 's', editable: true, description: 'Monitor period of an offline resource (a start/stop resource found running is reported). 0 = not watched.' },
  { name: 'OnlineTimeout', kind: 'number', default: 300, minimum: 0.05, unit: 's', editable: true, description: 'Timeout of online.' },
  { name: 'OfflineTimeout', kind: 'number', default: 300, minimum: 0.05, unit: 's', editable: true, description: 'Timeout of offline; a forced clean follows when it expires.' },
  { name: 'CleanTimeout', kind: 'number', default: 60, minimum: 0.05, unit: 's', editable: true, description: 'Timeout of the forced clean.' },
  { name: 'FaultOnMonitorTimeouts', kind: 'integer', default: 4, minimum: 0, editable: true, description: 'Consecutive monitor timeouts that count as a failure. 0 = never.' },
  { name: 'OnlineRetryLimit', kind: 'integer', default: 0, minimum: 0, editable: true, description: 'Times a failed online is retried before the resource is FAULTED.' },
  { name: 'OnlineTrustTime', kind: 'number', default: 600, minimum: 0, unit: 's', editable: true, description: 'The restart count resets after the resource has run this long.' },
  { name: 'RestartLimit', kind: 'integer', default: 0, minimum: 0, editable: true, description: 'Times a failed resource is restarted in place before its failure is final.' },
];

export const dependencyAttributes: AttributeDeclaration[] = [
  { name: 'Parent', kind: 'string', editable: false, stored: true, required: true, description: 'The resource that depends.' },
  { name: 'Child', kind: 'string', editable: false, stored: true, required: true, description: 'The resource it depends on.' },
  { name: 'OnlineDependency', kind: 'enum', values: ['STRONG', 'WEAK'], default: 'STRONG', editable: true, description: 'STRONG: bringing the parent online also brings the child online.' },
  { name: 'OfflineDependency', kind: 'enum', values: ['STRONG', 'WEAK'], default: 'STRONG', editable: true, description: 'STRONG: taking the child offline also takes the parent offline.' },
];

/**
 * The length limits of a string or string[] attribute: its own, else the
 * defaults of limits/constants.ts. Every string and array in main.json has
 * one; the schema enforces it and the man page shows it.
 */
export function lengthLimits(decl: AttributeDeclaration): { maxLength?: number; maxItems?: number } {
  if (decl.kind === 'string') return { maxLength: decl.maxLength ?? limitValue('ATTRIBUTE_STRING_MAX') };
  if (decl.kind === 'program') return { maxLength: decl.maxLength ?? limitValue('ATTRIBUTE_STRING_MAX'), maxItems: decl.maxItems ?? limitValue('ATTRIBUTE_ARRAY_MAX') };
  if (decl.kind === 'string[]') return { maxLength: decl.maxLength ?? limitValue('ATTRIBUTE_STRING_MAX'), maxItems: decl.maxItems ?? limitValue('ATTRIBUTE_ARRAY_MAX') };
  return {};
}

/**
 * The declaration of an attribute name as an operator typed it: the exact
 * name, else the same name in another case (the MCCS manual writes both
 * RestartLimit and Restartlimit), else an alias (IsolationTestAddress).
 */
export function findDeclaration(list: AttributeDeclaration[], name: string): AttributeDeclaration | undefined {
  const exact = list.find((d) => d.name === name);
  if (exact) return exact;
  const lower = name.toLowerCase();
  return list.find((d) => d.name.toLowerCase() === lower) ?? list.find((d) => d.aliases?.some((a) => a.toLowerCase() === lower));
}

/** Turns an operator-typed string (`-a Attr value`, `Attr=value`) into the declared type. */
export function parseAttributeValue(decl: AttributeDeclaration, raw: string): unknown {
  switch (decl.kind) {
    case 'integer':
    case 'number': {
      const n = Number(raw);
      return raw.trim() === '' || Number.isNaN(n) ? raw : n;
    }
    case 'boolean': {
      const v = parseBoolean(raw);
      return v ?? raw;
    }
    case 'enum': {
      const bool = decl.booleanInput ? parseBoolean(raw) : undefined;
      if (bool !== undefined) return bool ? decl.booleanInput!.true : decl.booleanInput!.false;
      return decl.values?.find((x) => x.toLowerCase() === raw.toLowerCase()) ?? raw;
    }
    case 'program':
      // One executable path, taken whole (never split on spaces or commas); [..] is the array form.
      if (raw.trim().startsWith('[')) {
        try {
          return JSON.parse(raw);
        } catch {
          return raw;
        }
      }
      return raw;
    case 'string[]':
      if (raw.trim().startsWith('[')) {
        try {
          return JSON.parse(raw);
        } catch {
          return raw;
        }
      }
      return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    default:
      return raw;
  }
}

function parseBoolean(raw: string): boolean | undefined {
  const v = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return undefined;
}
