// The hand-written parts of the man pages: what no declaration says.
import { EXIT_CODES, type ErrorCode } from '../model/errors.js';
import { esc, literal, paragraphs, tagged } from './roff.js';

export interface EntryPoint {
  /** Page name and binary: mccs, mcnode, mcgrp, mcres, mccluster. */
  bin: string;
  /** oclif topic it fronts (undefined for mccs itself). */
  topic?: string;
  /** NAME line. */
  what: string;
  description: string;
  /** MCCS single-dash forms, one per line. */
  mccsSyntax?: string[];
}

const CREDENTIALS = 'MCCS syntax: [-u USER -pw PASSWORD] [-ip ADDRESS]';

export const entryPoints: EntryPoint[] = [
  {
    bin: 'mccs',
    what: 'open high-availability cluster manager',
    description: `mccs keeps business services running on a cluster of Linux servers: it watches every resource a service needs (a virtual IP, a file system, a database, an application), restarts what fails and moves the whole service, a group, to the standby node when the active node or a critical resource dies. Its concepts, attribute names and commands are those of MCCS.

Each node runs the engine, mccs daemon (normally as the systemd unit mccs.service). The configuration is $MCCS_HOME/config/main.json, described in mccs-main.json(5); mccs init writes it from a template. The topics node, grp, res and cluster are also installed as the commands mcnode(8), mcgrp(8), mcres(8) and mccluster(8), which accept the MCCS single-dash syntax as well (mcgrp -online -g pg -n node1).

Every command prints one JSON object with --json, never prompts when stdin is not a terminal, succeeds without acting when the wanted state already holds ("changed": false), and uses the exit codes below.

Configuration as code: mccs config check FILE validates a main.json offline with the daemon's own errors and exit codes (3 invalid, 4 absent); mccs config diff FILE lists what differs from the running cluster; mccs apply -f FILE prints what will start, stop or move, then applies the file as one change, refused with exit 5 when the cluster changed since the plan was made. Long commands (--wait of online, offline, switch and evacuate, support --all, apply) print each step as it happens: live on a terminal, one line per step when piped, only the envelope with --json.

The engine exports Prometheus metrics on MetricsAddress:MetricsPort (cluster attributes, off while MetricsPort is 0; every node of the cluster in every per-node series, and mccs_node_capacity, mccs_node_load_in_use, mccs_node_available_capacity and mccs_group_load with the figures of mcnode list NODE) and sends each event of the kinds in NotifyEvents as one JSON document to NotifyProgram (stdin) and NotifyWebhook (POST), in order, retried with back-off, never delaying a failover; see mccs-main.json(5). Under systemd it logs to stdout only (journald), elsewhere to $MCCS_HOME/log/engine.log, one logfmt line per message with the event fields.

The web console, mccs console (the systemd unit mccs-console.service, installed by mccs service install), serves https://NODE:10080/main on every address of the node (cluster attribute ConsolePort; --bind ADDRESS and --port PORT override). It is a process of its own that reaches the engine only through the API socket, so a fault in it never touches the engine. It shows every node of the cluster with its state, links, Load in use, Capacity and Available, each group's Load, and under Why? the NO_CAPACITY records of a group kept offline for want of room. It uses the node certificate $MCCS_HOME/config/tls/node.crt: compare the fingerprint the browser shows with openssl x509 -noout -fingerprint -sha256 -in $MCCS_HOME/config/tls/node.crt before trusting it. --no-tls serves plain HTTP, where passwords and session cookies cross the network in clear. Users are those of config/users.json: an Administrator acts (every action asks for confirmation and shows the dry-run plan first), a Monitor only looks. Sessions are HttpOnly SameSite=Strict cookies, every change needs the page's CSRF token and its own Origin, failed logins lock the user and the address for a growing time (logged as LOGIN_FAILED and LOGIN_LOCKED on the console's journal: journalctl -u mccs-console).`,
  },
  {
    bin: 'mcnode',
    topic: 'node',
    what: 'list, modify and remove mccs nodes, collect support data, evacuate a node',
    description: `mcnode shows the nodes of the cluster (NodeState, heartbeat links) and changes their attributes. mcnode evacuate switches every group away from a node before maintenance. mcnode support collects logs, the event log, the configuration without secrets, states and system facts into one tar.gz for a bug report. License attributes are stored for compatibility with MCCS and never enforced.

mcnode TOPIC-COMMAND is the same as mccs node TOPIC-COMMAND.

MCCS forms are taken as the MCCS manual prints them: -l is -license; mcnode -license KEY (no -n) stores the key on the local node, -license -n NODE -all KEY on every node; -supprot is -support, and -support without -p writes the archive to your home directory. Attribute names match in any case (Restartlimit is RestartLimit) and are stored and shown as declared; IsolationTestAddress is accepted for IsolationTestAddresses; BootMode takes the MCCS BOOLEAN form (true = AUTO, false = MANUAL). HostID, LicenseType, PrimaryHB, SecondaryHB and StandAlone are read-only, as in MCCS: they are set in main.json by mccs init.

Renaming a node (MCCS: "How to Change the Node Name"): mcnode -modify -n OLD -a NodeName NEW, or mcnode rename OLD NEW. One configuration change on every node renames it in Nodes, every NodeList and AutoStartNode; each engine then restarts in process under the new names (services keep running and are adopted, as with systemctl restart mccs), and the event NODE_RENAMED is logged. mccluster events --node NEW also shows the node's events from before. A daemon started as --node OLD (or MCCS_NODE=OLD) finds its new name in config/node-renames.json at its next start. Refused (exit 5) while a group is online, starting or stopping on the node (it would be left without its node: mcnode evacuate OLD first) and while a node is not RUNNING (it would not learn the name).

Changing a heartbeat address: PrimaryHB and SecondaryHB are read-only because they are how the nodes know each other; re-addressing a network is the one reason to change them, so mcnode modify NODE PrimaryHB=ADDRESS --force is accepted. The safe procedure, one address at a time: (1) with both engines RUNNING, mcnode modify NODE SecondaryHB=NEW --force (both nodes store it; mccluster status says RESTART_NEEDED; the running engines keep the old address, nothing breaks); (2) move the address on the host (ip addr, netplan, ifupdown); (3) restart the engines one at a time, the peer first, then NODE (systemctl restart mccs; services keep running); (4) mccluster status: both links UP; then the same for PrimaryHB. While one link changes the other keeps the cluster joined.

Adding a node (three to sixteen nodes need WitnessType etcd): on a RUNNING node, mccs join-token prints a one-time token and the command to run on the new node, mccs init --join ADDRESS --token TOKEN --fingerprint SHA256 --node NAME --primary-hb ADDRESS [--secondary-hb ADDRESS] [--isolation-addresses LIST]. The engine that receives it adds the node at the end of Nodes by one configuration change on every RUNNING node (forwarded to the coordinating node like every change), then hands main.json and the cluster secret to the new node. A name or heartbeat address already in use is refused (exit 5) unless the node exists with exactly that definition (then nothing changes and the join goes on); a third node without WitnessType etcd is refused (exit 3); a refused join does not spend the token. Start the new node's engine (systemctl enable --now mccs): the running engines heartbeat it without a restart. No group runs on it until it is in their NodeList: mcgrp modify GROUP NodeList=node1,node2,NAME.

Removing a node: mcnode remove NODE (MCCS form mcnode -remove -n NODE). In this order: switch its groups away (mcnode evacuate NODE --wait), take it out of every NodeList and AutoStartNode (mcgrp modify GROUP NodeList=…), stop its engine (systemctl stop mccs on NODE), then mcnode remove NODE on another node. Each step left undone is a refusal (exit 5) that names it; --force removes a node whose engine still runs (stop it right after). Removing a node that is not in Nodes succeeds without change. The engines that stay drop it from their heartbeats without a restart.`,
    mccsSyntax: [
      `mcnode ${CREDENTIALS} -list [-n NODE]`,
      'mcnode -modify -n NODE -a ATTRIBUTE VALUE',
      'mcnode -modify -n OLD -a NodeName NEW',
      'mcnode -rename -n OLD NEW',
      'mcnode -license -n NODE [-all] VALUE',
      'mcnode -license VALUE | mcnode -l VALUE',
      'mcnode -support [-n NODE] [-all] [-p PATH]   (also -supprot; default PATH: your home directory)',
      'mcnode -evacuate -n NODE',
      'mcnode -remove -n NODE [-force]',
    ],
  },
  {
    bin: 'mcgrp',
    topic: 'grp',
    what: 'control mccs groups: online, offline, switch, freeze, lock, clear, modify',
    description: `A group is a set of resources tied by dependencies and the unit of failover: a FAILOVER group is online on one node at a time, a PARALLEL group on every node of its NodeList, a SINGLE group never moves. mcgrp brings groups online and offline (children before parents, parents before children), switches them to another node, freezes them for maintenance (the engine watches but never acts), locks them against operator requests, clears FAULTED states, and adds, deletes, modifies and links them.

State changes accept --wait (return when the state holds; exit 124 after --timeout seconds), --dry-run (print the plan the engine would run) and --if-version N (refused with exit 5 unless ConfigVersion is N, so a change made meanwhile by someone else is never overwritten). Configuration changes given on any node are ordered by the coordinating node (the RUNNING node of highest priority) and answer ok only once they are on the disk of every RUNNING node; one plan per group runs at a time in the whole cluster. mcgrp TOPIC-COMMAND is the same as mccs grp TOPIC-COMMAND.

Where a failover group runs, with two nodes or sixteen: on the first node of its NodeList that is RUNNING, has none of the group's resources FAULTED, and has room for the group's Load within the node's Capacity (both in mccs-main.json(5); a node without Capacity takes any load, a group of Load 0 fits anywhere, PARALLEL groups are not counted). When its node dies, each group moves to the first such node of its own NodeList, so groups with different NodeLists fail over in parallel to different nodes; one decision that places several groups (a node fault, mcnode evacuate, AutoStart) counts the Load it has already placed. A group with room nowhere stays offline, and the event log says NO_CAPACITY with each node's figures. mcgrp online and mcgrp switch to a node without room are refused (exit 5, NO_CAPACITY) unless --force. Changing Load or Capacity never moves a running group. After a partition a group found online on several nodes stays on one: a node outside its NodeList always gives it up, then the higher takeover generation wins, then node priority.

Dependencies: as in the MCCS manual (select the dependency, change its properties), mcgrp -link on a pair that is already linked changes its OnlineDependency/OfflineDependency in place; mcgrp modify-link GROUP PARENT CHILD OfflineDependency=WEAK is the explicit verb (exit 4 when there is no such dependency). Asking for what holds changes nothing (changed: false); values are STRONG or WEAK in any case.`,
    mccsSyntax: [
      `mcgrp ${CREDENTIALS} -list [-g GROUP]`,
      'mcgrp -state [-g GROUP] [-n NODE]',
      'mcgrp -online -g GROUP -n NODE',
      'mcgrp -offline -g GROUP [-n NODE]',
      'mcgrp -switch -g GROUP -n NODE',
      'mcgrp -enable -g GROUP | -disable -g GROUP',
      'mcgrp -freeze -g GROUP | -unfreeze -g GROUP',
      'mcgrp -lock -g GROUP | -unlock -g GROUP',
      'mcgrp -clear -g GROUP [-n NODE]',
      'mcgrp -add -g GROUP | -delete -g GROUP',
      'mcgrp -modify -g GROUP -a ATTRIBUTE VALUE',
      'mcgrp -link -g GROUP PARENT CHILD [-a OnlineDependency STRONG|WEAK] [-a OfflineDependency STRONG|WEAK]',
      'mcgrp -modify-link -g GROUP PARENT CHILD -a OfflineDependency WEAK',
      'mcgrp -unlink -g GROUP PARENT CHILD',
    ],
  },
  {
    bin: 'mcres',
    topic: 'res',
    what: 'control mccs resources: online, offline, probe, monitor, add, modify',
    description: `A resource is one thing the engine controls or watches, of a type (agent) described in mccs-main.json(5). mcres lists resources and their state per node, brings one online (with the children it STRONGly depends on) or offline (with the parents that STRONGly depend on it), enables and disables it, clears a FAULTED state, probes it at once, adds, deletes and modifies it, and watches the states live (mcres monitor, every 3 seconds by default).

mcres TOPIC-COMMAND is the same as mccs res TOPIC-COMMAND.`,
    mccsSyntax: [
      `mcres ${CREDENTIALS} -add RES -t TYPE -g GROUP`,
      'mcres -delete RES',
      'mcres -enable RES | -disable RES',
      'mcres -online RES -n NODE',
      'mcres -offline RES [-n NODE]',
      'mcres -clear RES [-n NODE]',
      'mcres -modify RES -a ATTRIBUTE VALUE',
      'mcres -list [RES] | -state [RES]',
      'mcres -monitor [GROUP] [-t SECONDS]',
    ],
  },
  {
    bin: 'mccluster',
    topic: 'cluster',
    what: 'status of an mccs cluster, its attributes and its event log',
    description: `mccluster status shows the nodes, heartbeat links, groups and resources at a glance (in colour on a terminal, plain when piped or with NO_COLOR), with the warnings that matter: jeopardy (one heartbeat link left), no fencing, a node waiting for its peer. mccluster events reads the event log, which says for every decision what changed and why; mccluster modify changes cluster attributes (applied on every node; ConfigVersion is raised).

mccluster TOPIC-COMMAND is the same as mccs cluster TOPIC-COMMAND.`,
    mccsSyntax: [`mccluster ${CREDENTIALS} -status`, 'mccluster -modify -a ATTRIBUTE VALUE', 'mccluster -events'],
  },
];

const EXIT_MEANING: Record<ErrorCode, string> = {
  FAILED: 'The operation ran and failed (agent error, resource FAULTED).',
  USAGE: 'Usage error: unknown command, flag or argument, or a required one missing.',
  INVALID: 'Invalid configuration or attribute value, including a value given to a read-only attribute.',
  NOT_FOUND: 'No such node, group, resource or attribute.',
  CONFLICT: 'Refused: conflicts with the current state (online elsewhere, locked, frozen, exists with another definition, unsafe without --force).',
  AUTH: 'Authentication or permission denied.',
  UNREACHABLE: 'Engine unreachable (not running, or wrong -ip/--host).',
  TIMEOUT: '--wait timed out: the request was accepted but the state does not hold yet.',
};

/** What the disk lease of a SharedDisk cannot stop (mccs-main.json(5)). */
export function leaseLimits(): string {
  return ['.SH "WHAT A DISK LEASE CANNOT STOP"', paragraphs(`A SharedDisk is guarded by a disk lease: one 4 KiB block, in the reserved tail of Device or on LeaseDevice, rewritten by the holder every LeaseRenewInterval. The standby reads it every renewal period, so a takeover waits only for what is left of the stale period (LeaseStaleIntervals renewal periods without a change, on the standby's own clock), in parallel with the detection of the node fault. The holder gives up, without writing, LeaseStaleIntervals minus two periods after its last successful renewal; a holder that lost the lease kills (SIGKILL) every process using the file system at once and never writes the lease again. A planned switch releases the lease for the next node, which takes it without waiting.

A lease only works for a node whose programs run. A node that freezes while it holds the disk (paused VM, hung kernel, SIGSTOP) is taken over after the stale period; when it resumes, its processes may run for a moment (up to one renewal period) before the engine kills them, and its kernel may still write back dirty pages of the file system it had mounted. Either can corrupt the file system the new holder mounted. Only fencing closes that gap: FenceProgram (power fencing, before the takeover), or, on storage that supports them, SCSI-3 persistent reservations (Reservation SCSI3): online registers the node's key and reserves the logical unit Write Exclusive, Registrants Only; a takeover preempts the old holder's key, after which the storage refuses its writes. A takeover never mounts when a required reservation cannot be taken.`)].join('\n');
}

export function exitStatus(): string {
  const rows = [['0', '', 'Done, or already so.'], ...Object.entries(EXIT_CODES).sort((a, b) => a[1] - b[1]).map(([code, n]) => [String(n), code, EXIT_MEANING[code as ErrorCode] ?? ''])];
  return ['.SH "EXIT STATUS"', 'The same for every command. With --json the error code is also in the output.', '.PP', ...rows.map(([n, code, meaning]) => tagged(`.B ${n}`, `${code ? `\\fB${esc(code)}\\fR: ` : ''}${esc(meaning!)}`))].join('\n');
}

export function jsonOutput(): string {
  return [
    '.SH "JSON OUTPUT"',
    paragraphs('With --json every command prints exactly one JSON object on stdout, and nothing else. Success:'),
    literal('{"ok": true, "changed": true, "result": { ... }}'),
    paragraphs('"changed" is false when the wanted state already held (the command did nothing). Failure:'),
    literal('{"ok": false, "error": {"code": "NOT_FOUND", "message": "...", "actions": ["..."]}}'),
    paragraphs('"code" is one of the names of EXIT STATUS; "actions" are what to do about it. Field names are stable.'),
  ].join('\n');
}

export function environment(): string {
  const vars: [string, string][] = [
    ['MCCS_HOME', 'Directory of the configuration, logs and socket (default /opt/mccs). Several engines can run on one host with different homes.'],
    ['MCCS_USER, MCCS_PASSWORD', 'Credentials for remote access (instead of -u/-pw or --user/--password, which other users can read in ps). The local root user needs none.'],
    ['MCCS_NODE', 'The name of this node, for mccs daemon and mccs init (default: found from the host addresses).'],
    ['MCCS_ADMIN_PASSWORD', 'Password of the admin user for mccs init.'],
    ['NO_COLOR', 'When set (to anything), output has no colour even on a terminal.'],
  ];
  return ['.SH ENVIRONMENT', ...vars.map(([name, what]) => tagged(`.B ${esc(name)}`, esc(what)))].join('\n');
}

export function files(): string {
  const list: [string, string][] = [
    ['$MCCS_HOME/config/main.json', 'Cluster, nodes, groups, resources and dependencies; see mccs-main.json(5).'],
    ['$MCCS_HOME/config/cluster.key', 'Cluster secret (mccs secret generate); the same on every node; mode 0600.'],
    ['$MCCS_HOME/config/users.json', 'Users, roles (Administrator, Monitor) and scrypt password hashes; mode 0600.'],
    ['$MCCS_HOME/config/tls/node.crt, node.key', 'The node\'s certificate and key for remote access.'],
    ['$MCCS_HOME/log/', 'The engine log and events.jsonl, the event log (mccluster events).'],
    ['$MCCS_HOME/run/mccs.sock', 'Local API socket, root only.'],
    ['/etc/systemd/system/mccs.service', 'The systemd unit (mccs service install).'],
  ];
  return ['.SH FILES', ...list.map(([f, what]) => tagged(`.I ${esc(f)}`, esc(what)))].join('\n');
}

/** What to do at 3 a.m.: the same section in every page, since an operator opens whichever is at hand. */
export function recovery(): string {
  const cases: [string, string][] = [
    ['A group is FAULTED', 'Find out why: mccluster events (the event log names the resource, the node and the one-line reason), mcres state. Fix the cause (disk, network, application log). Then clear the fault, which is kept until cleared: mcgrp clear GROUP --node NODE (or mcres clear RES --node NODE), and bring it back: mcgrp online GROUP --node NODE --wait. A group that failed on every node stays offline until an operator clears it.'],
    ['A resource keeps restarting', 'Its RestartLimit is spent in place before a failover; look at the reason in mccluster events. Freeze the group (mcgrp freeze GROUP) to stop the engine acting while you repair by hand, then mcgrp unfreeze GROUP.'],
    ['A node will not join', 'On that node: journalctl -u mccs -e. Check that config/cluster.key is byte-identical on both nodes (sha256sum), that the heartbeat addresses in main.json are the node\'s own, that ports HBPort to HBPort+3 (14321-14324) are open between the nodes (UDP and TCP), and that the clocks are sane. A node with an older ConfigVersion takes the newer configuration when it joins.'],
    ['A node waits for its peer at start', 'With StartAloneTimeout 0 (the default) a node that hears no peer never starts failover groups alone. If the peer is really down, start the groups by hand: mcgrp online GROUP --node NODE --force (logged). With three nodes or more and the etcd witness, a majority of the nodes starts by itself once the witness shows the others gone (NODE_STATE MAJORITY_START in mccluster events); a missing node whose member record still renews at etcd is alive somewhere: find it before forcing anything.'],
    ['Both nodes think they are active (split)', 'Status shows a group online on two nodes (or more) after a network split. When the links come back one node keeps the group and the others stop it (a node outside the group\'s NodeList always gives it up). Do not restart engines while the links are down. Configure a FenceProgram or the etcd witness (WitnessType etcd) and a second heartbeat link to avoid it.'],
    ['A group stays offline with NO_CAPACITY', 'No RUNNING node of its NodeList has room for its Load. mccluster events --group GROUP shows each node\'s figures (node2: no room: Load 60 + 50 in use (crm 50) > Capacity 100). Make room, by switching a group away (mcgrp switch OTHER --node NODE) or raising a Capacity (mcnode modify NODE Capacity=N), then mcgrp online GROUP --node NODE --wait; --force places it beyond the Capacity.'],
    ['Jeopardy', 'Only one heartbeat link is left: the next link failure is a split. Repair the other link (mcnode list shows PrimaryHBStatus and SecondaryHBStatus).'],
    ['Maintenance of a node', 'mcnode evacuate NODE (switches its groups away), then systemctl stop mccs on it. Stopping the engine never stops the services it manages, and the peer knows it is a planned stop.'],
    ['The engine crashed or was killed', 'systemd restarts it; it first probes every resource and adopts what still runs, so nothing is started twice. journalctl -u mccs shows why it stopped.'],
    ['main.json was refused', 'The error names the JSON path and the reason of every problem; the running configuration was kept. Fix the file and restart, or use the -modify commands, which validate before applying.'],
  ];
  return ['.SH RECOVERY', ...cases.map(([title, what]) => tagged(`.B ${esc(title)}`, esc(what)))].join('\n');
}

export function seeAlso(self: string): string {
  const pages = ['mccs(8)', 'mcnode(8)', 'mcgrp(8)', 'mcres(8)', 'mccluster(8)', 'mccs-main.json(5)', 'systemctl(1)', 'journalctl(1)'].filter((p) => !p.startsWith(`${self}(`));
  const lines = pages.map((p, i) => {
    const [, name, section] = /^([^(]+)\((\d)\)$/.exec(p)!;
    return `.BR ${esc(name!)} (${section})${i < pages.length - 1 ? ' ,' : ''}`;
  });
  return ['.SH "SEE ALSO"', ...lines].join('\n');
}

