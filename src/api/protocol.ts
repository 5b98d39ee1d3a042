// The engine API: JSON over HTTP, one endpoint `POST /v1/rpc` on the local
// socket ($MCCS_HOME/run/mccs.sock, root only) and, for remote access, over TLS.
//
// Request:  { "method": "grp.online", "params": {...}, "user"?: "admin", "password"?: "..." }
// Response: the envelope of SPEC §6, which `--json` prints as is:
//   { "ok": true, "changed": boolean, "result": ... }
//   { "ok": false, "error": { "code": ErrorCode, "message": "...", "actions": [...] } }
import type { ErrorCode } from '../model/errors.js';
import type { GroupState, NodeState, ResourceState } from '../model/types.js';
import type { Plan } from '../engine/policy/types.js';
import type { EventRecord } from '../engine/event-record.js';
import type { ClusterStatus, GroupView, NodeView, ResourceView } from '../engine/view-types.js';

export const API_PATH = '/v1/rpc';
export const PROTOCOL_VERSION = 1;

export type Envelope<T = unknown> =
  | { ok: true; changed: boolean; result: T }
  | { ok: false; error: { code: ErrorCode; message: string; actions: string[]; details?: unknown } };

/** Flags every state-changing method accepts. */
export interface ChangeOptions {
  /** Print the plan the policy would run; change nothing. Result: { plan }. */
  dryRun?: boolean;
  /** Return only when the wanted state holds (or TIMEOUT after `timeout` seconds; default 300). */
  wait?: boolean;
  timeout?: number;
  /** Target node for node-scoped commands; the engine forwards to it when it is not the local node. */
  node?: string;
  force?: boolean;
  /** Refuse with CONFLICT (exit 5) unless ConfigVersion is this: a change made meanwhile is never overwritten. */
  ifVersion?: number;
}

/** Result of every state-changing method. */
export interface ChangeResult {
  /** The plan that was (or, with dryRun, would be) run. */
  plan: Plan;
  /** With wait: the state reached. */
  state?: unknown;
}

// The engine's views and event records, as the API sends them.
export type { ClusterStatus, GroupView, NodeView, ResourceView } from '../engine/view-types.js';
export type { EventRecord } from '../engine/event-record.js';


/**
 * Methods and their params → result types.
 * Read-only: cluster.status, cluster.events, grp.list, grp.state, res.list, res.state, node.list.
 * The rest change state and take ChangeOptions.
 */
export interface Methods {
  'cluster.status': { params: Record<string, never>; result: ClusterStatus };
  'cluster.events': { params: { group?: string; resource?: string; node?: string; since?: string; until?: string; limit?: number; all?: boolean }; result: EventRecord[] };
  'witness.check': { params: Record<string, never>; result: unknown };
  'cluster.modify': { params: { attributes: Record<string, string> } & ChangeOptions; result: { ConfigVersion: number } };
  'node.list': { params: { node?: string }; result: NodeView[] };
  'node.modify': { params: { node: string; attributes: Record<string, string> } & ChangeOptions; result: { ConfigVersion: number } };
  'grp.list': { params: { group?: string }; result: GroupView[] };
  'grp.state': { params: { group?: string; node?: string }; result: { GroupName: string; node: string; state: GroupState; Frozen: boolean; Locked: boolean }[] };
  'grp.online': { params: { group: string } & ChangeOptions; result: ChangeResult };
  'grp.offline': { params: { group: string } & ChangeOptions; result: ChangeResult };
  'grp.switch': { params: { group: string } & ChangeOptions; result: ChangeResult };
  'grp.freeze': { params: { group: string } & ChangeOptions; result: { Frozen: boolean } };
  'grp.unfreeze': { params: { group: string } & ChangeOptions; result: { Frozen: boolean } };
  'grp.clear': { params: { group: string } & ChangeOptions; result: ChangeResult };
  'res.list': { params: { resource?: string; group?: string }; result: ResourceView[] };
  'res.state': { params: { resource?: string; group?: string; node?: string }; result: { ResName: string; GroupName: string; node: string; state: ResourceState; reason?: string; details?: Record<string, unknown> }[] };
  'res.online': { params: { resource: string } & ChangeOptions; result: ChangeResult };
  'res.offline': { params: { resource: string } & ChangeOptions; result: ChangeResult };
  'res.clear': { params: { resource: string } & ChangeOptions; result: ChangeResult };
  /** Run one monitor now; result is the fresh observation. */
  'res.probe': { params: { resource: string; node?: string }; result: { ResName: string; node: string; state: ResourceState; reason: string } };

  // ---- Added by the CLI (issue 5 verbs). Config-changing ones answer { ConfigVersion } and
  // changed:false when the configuration already holds what was asked.
  'grp.enable': { params: { group: string } & ChangeOptions; result: { Enabled: boolean } };
  'grp.disable': { params: { group: string } & ChangeOptions; result: { Enabled: boolean } };
  /** temporary: the lock of SPEC §8, lost when all engines stop (not written to main.json). */
  'grp.lock': { params: { group: string; temporary?: boolean } & ChangeOptions; result: { Locked: boolean; temporary: boolean } };
  'grp.unlock': { params: { group: string; temporary?: boolean } & ChangeOptions; result: { Locked: boolean; temporary: boolean } };
  /** attributes: operator-typed strings (`Attr=value`), parsed by the engine per declaration. */
  'grp.add': { params: { group: string; attributes: Record<string, string> } & ChangeOptions; result: { ConfigVersion: number } };
  /** Refused (CONFLICT) while the group is online anywhere, unless force. */
  'grp.delete': { params: { group: string } & ChangeOptions; result: { ConfigVersion: number } };
  'grp.modify': { params: { group: string; attributes: Record<string, string> } & ChangeOptions; result: { ConfigVersion: number } };
  /** A dependency Parent → Child inside the group; attributes: OnlineDependency / OfflineDependency. */
  'grp.link': { params: { group: string; parent: string; child: string; attributes: Record<string, string> } & ChangeOptions; result: { ConfigVersion: number } };
  /** Adds a whole group (resources, dependencies) in one validated change (mccs discover --apply). */
  'grp.put': { params: { group: Record<string, unknown> } & ChangeOptions; result: { GroupName: string; ConfigVersion: number; valid?: boolean; wouldChange?: boolean } };
  /** Changes OnlineDependency/OfflineDependency of an existing dependency in place. */
  'grp.modify-link': { params: { group: string; parent: string; child: string; attributes: Record<string, string> } & ChangeOptions; result: { ConfigVersion: number } };
  'grp.unlink': { params: { group: string; parent: string; child: string } & ChangeOptions; result: { ConfigVersion: number } };
  'res.enable': { params: { resource: string } & ChangeOptions; result: { Enabled: boolean } };
  'res.disable': { params: { resource: string } & ChangeOptions; result: { Enabled: boolean } };
  'res.add': { params: { resource: string; type: string; group: string; attributes: Record<string, string> } & ChangeOptions; result: { ConfigVersion: number } };
  /** Refused (CONFLICT) while the resource is online anywhere or has dependencies, unless force. */
  'res.delete': { params: { resource: string } & ChangeOptions; result: { ConfigVersion: number } };
  'res.modify': { params: { resource: string; attributes: Record<string, string> } & ChangeOptions; result: { ConfigVersion: number } };
  /** Stored as the node attribute License for compatibility, never enforced. all: every node. */
  /** Renames a node everywhere (Nodes, NodeList, AutoStartNode); the engines restart under the new names. */
  'node.rename': { params: { node: string; name: string } & ChangeOptions; result: { from: string; to: string; ConfigVersion: number } };
  'node.license': { params: { node?: string; all?: boolean; license: string } & ChangeOptions; result: { ConfigVersion: number } };
  /**
   * A tar.gz of logs, event log, sanitized config (secrets removed), states and system facts of
   * `node` (default: local; all: every node). The client writes it to its -p path.
   */
  'node.support': { params: { node?: string; all?: boolean }; result: { fileName: string; contentBase64: string } };
  /**
   * A new node at the end of Nodes (the join of `mccs init --join … --primary-hb`). changed:false when it
   * exists with this definition; CONFLICT when its name or an address is another node's.
   */
  'node.add': { params: { node: string; attributes: { PrimaryHB: string; SecondaryHB?: string; IsolationTestAddresses?: string } } & ChangeOptions; result: { node: string; added?: boolean; ConfigVersion: number } };
  /**
   * Takes a node out of Nodes. CONFLICT while a group names it (NodeList, AutoStartNode) or is active there,
   * while its engine is up (unless force), and for the node carrying out the change. changed:false when absent.
   */
  'node.remove': { params: { node: string } & ChangeOptions; result: { node: string; removed?: boolean; ConfigVersion: number } };
  /** Switch every failover group online on `node` away (to the next node of its NodeList). */
  'node.evacuate': { params: { node: string } & ChangeOptions; result: ChangeResult };
  'users.list': { params: Record<string, never>; result: { name: string; role: 'Administrator' | 'Monitor' }[] };
  /** changed:false when the user exists with this role and password. */
  'users.add': { params: { name: string; role: 'Administrator' | 'Monitor'; password: string }; result: { name: string; role: 'Administrator' | 'Monitor' } };
  'users.delete': { params: { name: string }; result: { name: string } };
  'users.password': { params: { name: string; password: string }; result: { name: string } };
  /** On the first node: a one-time token for `mccs init --join` (valid `ttl` seconds, default 900). */
  /** nodes: the other nodes of main.json; pending: those of them whose engine is not RUNNING (not joined yet, or stopped). */
  'cluster.jointoken': { params: { ttl?: number }; result: { token: string; expiresAt: string; ttl: number; fingerprint: string; node: string; addresses: string[]; port: number; nodes: string[]; pending: string[]; witnessType: string } };
  /** Remote, without credentials: spends the token; returns main.json and the cluster secret over TLS. */
  /**
   * Long-poll for the web console: answers when anything shown changed since `cursor` (a state,
   * a link, ConfigVersion, a new event record), or after `timeout` ms (default 20000) with changed:false.
   * events: the records written since the cursor (complete:false when the cursor is too old or from another engine).
   */
  'cluster.watch': { params: { cursor?: string; timeout?: number }; result: { cursor: string; changed: boolean; events: EventRecord[]; complete: boolean } };
  /** The user and role the request was authenticated as (local root: root, Administrator). */
  'auth.whoami': { params: Record<string, never>; result: { name: string; role: 'Administrator' | 'Monitor'; local: boolean } };
  /** attributes: a NEW node's definition, added to Nodes (node.add) before the files are handed back. */
  'cluster.join': { params: { token: string; node?: string; attributes?: { PrimaryHB: string; SecondaryHB?: string; IsolationTestAddresses?: string } }; result: { config: unknown; clusterKeyBase64: string; peer: string; node?: string; added?: boolean } };
  /** The running main.json (for `mccs config diff`). */
  'config.get': { params: Record<string, never>; result: { ConfigVersion: number; config: unknown } };
  /**
   * A whole main.json as one change (`mccs apply -f`): refused (CONFLICT) when ifVersion differs from
   * the running ConfigVersion; result: the changes, the actions (start/stop/move) and, when run, what was done.
   */
  'config.apply': { params: { config: unknown; ifVersion?: number } & ChangeOptions; result: ApplyResult };
}

export interface ApplyResult {
  ConfigVersion: number;
  dryRun?: boolean;
  changes: { op: 'add' | 'remove' | 'change'; what: string; attribute?: string; before?: unknown; after?: unknown }[];
  actions: { op: 'stop' | 'stop-resource' | 'move' | 'start'; when: 'before' | 'after'; group: string; resource?: string; node: string; from?: string; code: string; message: string }[];
  done?: string[];
}

export type MethodName = keyof Methods;
