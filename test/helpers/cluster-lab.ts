// Real engines in the test lab (test/lab/lab.ts), two unless told (up to
// 16: ClusterLab.create(id, config, { nodes: N }); clusterConfig builds the
// two-node main.json, manyNodeConfig the one of N nodes with several groups
// on the etcd witness): each node's engine
// runs in the node's own network, PID and mount namespaces under tini, with
// its own MCCS_HOME (main.json written by the test, one shared cluster.key).
// The helper starts, stops (SIGTERM), kills (SIGKILL, engine only) and
// power-cycles nodes, talks to each engine over its API socket, reads its
// event log, and tells from the client namespace who answers for a VIP.
//
// Needs a build (dist/): scripts/test.sh builds before vitest. Root only.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Envelope, EventRecord } from '../../src/api/protocol.js';
import type { GroupState, MainConfig, NodeState } from '../../src/model/types.js';
import { exec, isAlive, must, signal, sleep, waitFor, WaitAborted } from '../lab/exec.js';
import {
  createLab, destroyLab, ECHO_PORT, execInClient, netemAvailable, nodeNames, powerOff as labPowerOff, powerOn as labPowerOn, probeVip, spawnInNode,
  startNode, NODE_NAMES, type Lab, type LinkName, type NodeName, type NodeProcess,
} from '../lab/lab.js';
import { DAEMON, ROOT, rpcAt } from './engine-harness.js';

export const ECHO = fileURLToPath(new URL('../lab/echo-node.mjs', import.meta.url));
export const VIP4 = '10.213.0.100';
export const VIP6 = 'fd00:213::100';
export const GROUP = 'web';
export const RES = { nic: 'web-nic', ip: 'web-ip', app: 'web-app' } as const;
export const IS_ROOT = process.getuid?.() === 0;

export { NODE_NAMES, nodeNames, type NodeName };

export interface ConfigOptions {
  ConfigVersion?: number;
  /** Extra cluster attributes (FenceProgram, HBInterval, ...). Default: the declared defaults. */
  cluster?: Record<string, unknown>;
  /** VIP address (default VIP4) and prefix (default 24 for IPv4, 64 for IPv6). */
  vip?: string;
  prefix?: number;
  /** RestartLimit of the Process resource (default 0). */
  restartLimit?: number;
  /** Extra node attributes by node. */
  nodes?: Partial<Record<NodeName, Record<string, unknown>>>;
}

/** The main.json of the lab: NIC(eth0) ← IP(VIP) ← Process(echo-node), IP and Process critical, monitors every second. */
export function clusterConfig(o: ConfigOptions = {}): MainConfig {
  const vip = o.vip ?? VIP4;
  const v6 = vip.includes(':');
  return {
    ConfigVersion: o.ConfigVersion ?? 1,
    Cluster: { ClusterName: 'lab', ...(o.cluster ?? {}) },
    Nodes: NODE_NAMES.map((name, i) => ({
      NodeName: name,
      PrimaryHB: `10.213.0.${i + 1}`,
      SecondaryHB: `10.213.1.${i + 1}`,
      IsolationTestAddresses: '10.213.0.254',
      ...(o.nodes?.[name] ?? {}),
    })),
    Types: {
      Process: { MonitorInterval: 1, OfflineMonitorInterval: 5 },
      NIC: { MonitorInterval: 1 },
      IP: { MonitorInterval: 1, OfflineMonitorInterval: 5 },
    },
    Groups: [
      {
        GroupName: GROUP,
        GroupType: 'FAILOVER',
        NodeList: ['node1', 'node2'],
        AutoStart: true,
        Resources: [
          { ResName: RES.nic, Type: 'NIC', Device: 'eth0' },
          { ResName: RES.ip, Type: 'IP', NICResName: RES.nic, Address: vip, Prefix: o.prefix ?? (v6 ? 64 : 24), Critical: true },
          { ResName: RES.app, Type: 'Process', Path: process.execPath, Arguments: [ECHO], Critical: true, RestartLimit: o.restartLimit ?? 0 },
        ],
        Dependencies: [
          { Parent: RES.ip, Child: RES.nic },
          { Parent: RES.app, Child: RES.ip },
        ],
      },
    ],
  } as MainConfig;
}

/** One failover group of manyNodeConfig: NIC(eth0) ← IP(vip) ← Process(echo-node on its own port), IP and Process critical. */
export interface GroupSpec {
  name: string;
  nodeList: NodeName[];
  /** The group's VIP (IPv4, /24). */
  vip: string;
  /** Port of its echo-node (default 7700 + its place in the list): each group's service listens on a port of its own. */
  port?: number;
  /** The group's Load (issue 16), when given. */
  load?: number;
  autoStart?: boolean;
  /** Extra group attributes. */
  attributes?: Record<string, unknown>;
}

export interface ManyNodeOptions {
  /** Number of nodes (node1 … nodeN). */
  nodes: number;
  groups: GroupSpec[];
  /** WitnessEndpoints (startEtcdCluster's witnessEndpoints); with it WitnessType is etcd (required above two nodes). */
  witnessEndpoints?: string;
  /** Extra cluster attributes (HBInterval, WitnessTTL, ...). */
  cluster?: Record<string, unknown>;
  /** Capacity of each node (issue 16), where given. */
  capacity?: Partial<Record<NodeName, number>>;
  /** Extra node attributes by node. */
  nodeAttributes?: Partial<Record<NodeName, Record<string, unknown>>>;
  ConfigVersion?: number;
}

export const groupResources = (g: string): { nic: string; ip: string; app: string } => ({ nic: `${g}-nic`, ip: `${g}-ip`, app: `${g}-app` });
export const groupPort = (groups: GroupSpec[], name: string): number => {
  const i = groups.findIndex((g) => g.name === name);
  if (i < 0) throw new Error(`no group ${name}`);
  return groups[i]!.port ?? ECHO_PORT + i;
};

/** main.json of an N-node lab: several failover groups, each with its own NodeList, VIP and echo port; the etcd witness when given. */
export function manyNodeConfig(o: ManyNodeOptions): MainConfig {
  if (o.nodes > 2 && !o.witnessEndpoints) throw new Error(`manyNodeConfig: ${o.nodes} nodes need the etcd witness (witnessEndpoints)`);
  const witness = o.witnessEndpoints ? { WitnessType: 'etcd', WitnessEndpoints: o.witnessEndpoints } : {};
  return {
    ConfigVersion: o.ConfigVersion ?? 1,
    Cluster: { ClusterName: 'lab', ...witness, ...(o.cluster ?? {}) },
    Nodes: nodeNames(o.nodes).map((name, i) => ({
      NodeName: name,
      PrimaryHB: `10.213.0.${i + 1}`,
      SecondaryHB: `10.213.1.${i + 1}`,
      IsolationTestAddresses: '10.213.0.254',
      ...(o.capacity?.[name] !== undefined ? { Capacity: o.capacity[name] } : {}),
      ...(o.nodeAttributes?.[name] ?? {}),
    })),
    Types: {
      Process: { MonitorInterval: 1, OfflineMonitorInterval: 5 },
      NIC: { MonitorInterval: 1 },
      IP: { MonitorInterval: 1, OfflineMonitorInterval: 5 },
    },
    Groups: o.groups.map((g) => {
      const r = groupResources(g.name);
      return {
        GroupName: g.name,
        GroupType: 'FAILOVER',
        NodeList: g.nodeList,
        AutoStart: g.autoStart ?? true,
        ...(g.load !== undefined ? { Load: g.load } : {}),
        ...(g.attributes ?? {}),
        Resources: [
          { ResName: r.nic, Type: 'NIC', Device: 'eth0' },
          { ResName: r.ip, Type: 'IP', NICResName: r.nic, Address: g.vip, Prefix: 24, Critical: true },
          { ResName: r.app, Type: 'Process', Path: process.execPath, Arguments: [ECHO, '--port', String(groupPort(o.groups, g.name))], Critical: true },
        ],
        Dependencies: [
          { Parent: r.ip, Child: r.nic },
          { Parent: r.app, Child: r.ip },
        ],
      };
    }),
  } as unknown as MainConfig;
}

export type GroupStates = Partial<Record<NodeName, GroupState>>;

export interface VipView {
  /** What each probe from the client got (node name, or null: no answer). */
  answers: (string | null)[];
  /** Nodes whose eth0 holds the address (`ip -j addr`, read from the host: works on a powered-off node too). */
  holders: NodeName[];
}

export class ClusterLab {
  readonly engines: Partial<Record<NodeName, NodeProcess>> = {};
  /** A directory for the test's own files (fence scripts, forged senders...). */
  readonly tmp: string;
  /** The lab's nodes (node1 … nodeN). */
  readonly names: NodeName[];

  private constructor(readonly lab: Lab) {
    this.tmp = join(lab.dir, 'test');
    this.names = lab.names;
    mkdirSync(this.tmp, { recursive: true });
  }

  /** Builds the lab (two nodes unless told) and writes every home: main.json (same on all unless told) and one cluster.key. */
  static async create(id: string, config: MainConfig | ((node: NodeName) => MainConfig), options: { nodes?: number } = {}): Promise<ClusterLab> {
    if (!existsSync(DAEMON)) throw new Error(`${DAEMON} is missing: build first (npx tsc -p tsconfig.json)`);
    const lab = await createLab({ id, nodes: options.nodes });
    const cl = new ClusterLab(lab);
    try {
      const { generateSecret } = (await import(join(ROOT, 'dist/cluster/crypto.js'))) as { generateSecret: (path: string, o?: { force?: boolean }) => Buffer };
      const keyFile = join(cl.tmp, 'cluster.key');
      generateSecret(keyFile, { force: true });
      if (!(await netemAvailable(lab))) await cl.softwareChecksums();
      const key = readFileSync(keyFile);
      for (const n of lab.names) {
        for (const d of ['config', 'log', 'run']) mkdirSync(join(cl.home(n), d), { recursive: true });
        writeFileSync(join(cl.home(n), 'config/cluster.key'), key, { mode: 0o600 });
        chmodSync(join(cl.home(n), 'config/cluster.key'), 0o600);
        cl.writeConfig(n, typeof config === 'function' ? config(n) : config);
      }
    } catch (e) {
      await destroyLab(lab);
      throw e;
    }
    return cl;
  }

  home(n: NodeName): string {
    return this.lab.nodes[n].home;
  }

  socket(n: NodeName): string {
    return join(this.home(n), 'run/mccs.sock');
  }

  writeConfig(n: NodeName, config: MainConfig): void {
    writeFileSync(join(this.home(n), 'config/main.json'), `${JSON.stringify(config, null, 2)}\n`);
  }

  readConfig(n: NodeName): MainConfig {
    return JSON.parse(readFileSync(join(this.home(n), 'config/main.json'), 'utf8')) as MainConfig;
  }

  // ------------------------------------------------------------ engines

  engineAlive(n: NodeName): boolean {
    const e = this.engines[n];
    return Boolean(e && e.pid > 0 && isAlive(e.pid));
  }

  runningEngines(): NodeName[] {
    return this.names.filter((n) => this.engineAlive(n));
  }

  /**
   * Starts the engine of a node (booting the node if needed). ready: 'api'
   * (default) waits for the socket to answer; 'running' also for this node to
   * be RUNNING; 'none' returns at once.
   */
  async startEngine(n: NodeName, ready: 'api' | 'running' | 'none' = 'api', timeoutMs = 15_000): Promise<NodeProcess> {
    if (this.engineAlive(n)) throw new Error(`the engine of ${n} already runs (pid ${this.engines[n]!.pid})`);
    // A stale socket would answer nothing; a stale pid file of a past boot could name a live PID of the new one.
    rmSync(this.socket(n), { force: true });
    rmSync(join(this.home(n), 'run/mccs.pid'), { force: true });
    const p = await startNode(this.lab, n, { command: process.execPath, args: [DAEMON, '--node', n] });
    this.engines[n] = p;
    if (ready === 'none') return p;
    await this.waitFor(`the engine of ${n} to answer${ready === 'running' ? ' and be RUNNING' : ''}`, async () => {
      if (!this.engineAlive(n)) throw new WaitAborted(`the engine of ${n} exited: ${this.consoleTail(n, 15)}`);
      if (!existsSync(this.socket(n))) return false;
      const s = await this.rpc<{ localNode: string; nodes: { NodeName: string; state: string }[] }>(n, 'cluster.status').catch(() => undefined);
      if (!s?.ok) return false;
      return ready === 'api' || s.result.nodes.find((x) => x.NodeName === n)?.state === 'RUNNING';
    }, timeoutMs, 50);
    return p;
  }

  /** Every engine at once (both, in the two-node lab). */
  async startBoth(ready: 'api' | 'running' = 'running', timeoutMs?: number): Promise<void> {
    await Promise.all(this.names.map((n) => this.startEngine(n, ready, timeoutMs)));
  }

  /** Every engine at once. */
  startAll(ready: 'api' | 'running' = 'running', timeoutMs = 30_000): Promise<void> {
    return this.startBoth(ready, timeoutMs);
  }

  /** SIGTERM: the engine only (planned stop); waits for it to exit. */
  async stopEngine(n: NodeName, timeoutMs = 15_000): Promise<void> {
    const e = this.engines[n];
    if (!e || !this.engineAlive(n)) return;
    signal(e.pid, 'SIGTERM');
    await Promise.race([e.exited, sleep(timeoutMs)]);
    if (this.engineAlive(n)) {
      signal(e.pid, 'SIGKILL');
      throw new Error(`the engine of ${n} did not stop within ${timeoutMs} ms of SIGTERM (killed)`);
    }
  }

  /** SIGKILL of the engine process alone: its services keep running under the node's init. */
  async killEngine(n: NodeName): Promise<void> {
    const e = this.engines[n];
    if (!e || !this.engineAlive(n)) return;
    signal(e.pid, 'SIGKILL');
    await Promise.race([e.exited, sleep(5000)]);
    await this.waitFor(`the engine of ${n} to be gone`, () => !isAlive(e.pid), 5000, 10);
  }

  /** Power off: every process of the node dies, its links go down, runtime addresses are lost. */
  async powerOff(n: NodeName): Promise<void> {
    await labPowerOff(this.lab, n);
    delete this.engines[n];
  }

  /** Power on (links up, fresh init) and, unless told, start its engine. */
  async powerOn(n: NodeName, startEngine: 'api' | 'running' | false = 'running'): Promise<void> {
    await labPowerOn(this.lab, n);
    if (startEngine) await this.startEngine(n, startEngine);
  }

  // ------------------------------------------------------------ API

  rpc<T = unknown>(n: NodeName, method: string, params: Record<string, unknown> = {}): Promise<Envelope<T>> {
    return rpcAt<T>(this.socket(n), method, params);
  }

  /** rpc that must succeed: returns the result, throws with the error envelope otherwise. */
  async call<T = unknown>(n: NodeName, method: string, params: Record<string, unknown> = {}): Promise<T> {
    const r = await this.rpc<T>(n, method, params);
    if (!r.ok) throw new Error(`${method} on ${n}: ${r.error.code}: ${r.error.message}`);
    return r.result;
  }

  /** Group state on each node, as the engine of `viewer` sees it. */
  async groupStates(viewer: NodeName, group = GROUP): Promise<Record<NodeName, GroupState>> {
    const rows = await this.call<{ node: NodeName; state: GroupState }[]>(viewer, 'grp.state', { group });
    return Object.fromEntries(rows.map((r) => [r.node, r.state])) as Record<NodeName, GroupState>;
  }

  /** Node states as the engine of `viewer` sees them. */
  async nodeStates(viewer: NodeName): Promise<Record<NodeName, NodeState>> {
    const s = await this.call<{ nodes: { NodeName: NodeName; state: NodeState }[] }>(viewer, 'cluster.status');
    return Object.fromEntries(s.nodes.map((x) => [x.NodeName, x.state])) as Record<NodeName, NodeState>;
  }

  async clusterStatus(viewer: NodeName): Promise<{ warnings: string[]; ConfigVersion: number; nodes: { NodeName: string; state: string; attributes: Record<string, unknown> }[] }> {
    return this.call(viewer, 'cluster.status');
  }

  /**
   * Waits until every running engine (or the viewers given) reports the
   * expected group states; returns what each saw. Both engines' states agree.
   */
  async waitGroup(expected: GroupStates, opts: { viewers?: NodeName[]; group?: string; timeoutMs?: number } = {}): Promise<Record<NodeName, Record<NodeName, GroupState>>> {
    const viewers = opts.viewers ?? this.runningEngines();
    if (viewers.length === 0) throw new Error('waitGroup: no engine runs');
    let last: Record<string, unknown> = {};
    try {
      return await this.waitFor(`group ${opts.group ?? GROUP} to be ${JSON.stringify(expected)} on ${viewers.join(', ')}`, async () => {
        const seen = {} as Record<NodeName, Record<NodeName, GroupState>>;
        for (const v of viewers) seen[v] = await this.groupStates(v, opts.group);
        last = seen;
        const ok = viewers.every((v) => Object.entries(expected).every(([n, s]) => seen[v][n as NodeName] === s));
        return ok ? seen : false;
      }, opts.timeoutMs ?? 20_000, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message}; last seen: ${JSON.stringify(last)}`);
    }
  }

  /**
   * Several groups at once: each ONLINE on its node (null: nowhere) and
   * OFFLINE on every other node of the lab (or of `nodes`: the cluster's,
   * when the lab has hosts that are not in it), as every viewer sees it.
   */
  async waitPlacement(placement: Record<string, NodeName | null>, opts: { viewers?: NodeName[]; timeoutMs?: number; nodes?: NodeName[] } = {}): Promise<void> {
    const { nodes = this.names, ...rest } = opts;
    await Promise.all(Object.entries(placement).map(([group, node]) => this.waitGroup(onlyOn(nodes, node), { ...rest, group })));
  }

  // ------------------------------------------------------------ events and logs

  events(n: NodeName): EventRecord[] {
    const file = join(this.home(n), 'log/events.jsonl');
    if (!existsSync(file)) return [];
    const out: EventRecord[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as EventRecord);
      } catch {
        // a line being written
      }
    }
    return out;
  }

  /** A position in the event logs of every node, for eventsSince. */
  mark(): Record<NodeName, number> {
    return Object.fromEntries(this.names.map((n) => [n, this.events(n).length])) as Record<NodeName, number>;
  }

  eventsSince(n: NodeName, mark: Record<NodeName, number>): EventRecord[] {
    return this.events(n).slice(mark[n]);
  }

  rulesSince(n: NodeName, mark: Record<NodeName, number>): string[] {
    return this.eventsSince(n, mark).map((e) => e.rule);
  }

  async waitEvent(n: NodeName, mark: Record<NodeName, number>, rule: string | RegExp, timeoutMs = 15_000): Promise<EventRecord> {
    const match = (r: string) => (typeof rule === 'string' ? r === rule : rule.test(r));
    return this.waitFor(`event ${String(rule)} on ${n}`, () => this.eventsSince(n, mark).find((e) => match(e.rule)), timeoutMs, 50);
  }

  consoleTail(n: NodeName, lines = 40): string {
    const file = join(this.lab.nodes[n].dir, 'console.log');
    if (!existsSync(file)) return '(no console.log)';
    return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  }

  /** What to print when a case fails: the end of every node's console and event log. */
  dump(lines = 40): string {
    return this.names.map((n) => {
      const ev = this.events(n).slice(-lines).map((e) => `${e.time} ${e.rule} ${e.subject}${e.newState ? ` → ${e.newState}` : ''}: ${e.message}`);
      return `===== ${n} console (engine ${this.engineAlive(n) ? `pid ${this.engines[n]!.pid}` : 'down'})\n${this.consoleTail(n, lines)}\n===== ${n} events\n${ev.join('\n')}`;
    }).join('\n');
  }

  // ------------------------------------------------------------ the VIP

  /** Who answers addr:port (default 7700) from the client (one probe), or null. */
  vipHolder(addr = VIP4, timeoutMs = 1000, port = ECHO_PORT): Promise<string | null> {
    return probeVip(this.lab, addr, port, timeoutMs);
  }

  /** Nodes whose eth0 holds addr (every node's table read at once). */
  async vipHolders(addr = VIP4): Promise<NodeName[]> {
    const held = await Promise.all(this.names.map(async (n) => {
      const r = await exec('ip', ['-n', this.lab.nodes[n].ns, '-j', 'addr', 'show', 'dev', 'eth0']);
      const shown = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[];
      return (shown[0]?.addr_info ?? []).some((a) => a.local === addr);
    }));
    return this.names.filter((_, i) => held[i]);
  }

  /** Several probes from the client (fresh connections) and the address tables of every node. */
  async vipAnswerers(addr = VIP4, probes = 4, timeoutMs = 700, port = ECHO_PORT): Promise<VipView> {
    const answers: (string | null)[] = [];
    for (let i = 0; i < probes; i++) answers.push(await this.vipHolder(addr, timeoutMs, port));
    return { answers, holders: await this.vipHolders(addr) };
  }

  /**
   * Waits until exactly `node` holds addr and answers every probe from the
   * client on `port` (node null: nobody holds it and nothing answers). Returns the view.
   */
  async waitVip(addr: string, node: NodeName | null, timeoutMs = 15_000, port = ECHO_PORT): Promise<VipView> {
    let last: VipView | undefined;
    try {
      return await this.waitFor(`VIP ${addr} to be ${node ? `on ${node} only` : 'on no node'}`, async () => {
        const holders = await this.vipHolders(addr);
        last = { answers: [], holders };
        if (JSON.stringify(holders) !== JSON.stringify(node ? [node] : [])) return false;
        const view = await this.vipAnswerers(addr, 3, node ? 700 : 300, port);
        last = view;
        return view.answers.every((a) => a === node) && JSON.stringify(view.holders) === JSON.stringify(node ? [node] : []) ? view : false;
      }, timeoutMs, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message}; last seen: ${JSON.stringify(last)}`);
    }
  }

  // ------------------------------------------------------------ services and faults

  /** Host PIDs of the echo service (test/lab/echo-node.mjs) running in a node. */
  async echoPids(n: NodeName): Promise<number[]> {
    const r = await exec('ip', ['netns', 'pids', this.lab.nodes[n].ns]);
    return r.stdout.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(ECHO) && isAlive(pid);
      } catch {
        return false;
      }
    });
  }

  /**
   * Cuts (or restores) the node-to-node path on one network while both nodes
   * keep reaching the gateway and the client: both bridge ports of the nodes
   * on that bridge become "isolated" ports (they may only talk to
   * non-isolated ports and to the bridge itself).
   */
  async cutPeerPath(link: LinkName, cut: boolean): Promise<void> {
    for (const n of this.names) {
      await must('ip', ['-n', this.lab.labNs, 'link', 'set', 'dev', this.lab.nodes[n].ports[link], 'type', 'bridge_slave', 'isolated', cut ? 'on' : 'off']);
    }
  }

  /** A CPU busy loop (`node -e "for(;;){}"`) inside a node; kill it with stopBusy. */
  busyLoop(n: NodeName): Promise<NodeProcess> {
    return spawnInNode(this.lab, n, { command: process.execPath, args: ['-e', 'for(;;){}'] });
  }

  /** From the client namespace: runs a Node script (ESM file path) with arguments. */
  runInClient(script: string, args: string[] = [], timeoutMs = 30_000): ReturnType<typeof execInClient> {
    return execInClient(this.lab, process.execPath, [script, ...args], { timeoutMs });
  }

  /**
   * Without the netem qdisc the lab relays a lossy/delayed link through a
   * userspace program (test/lab/link-relay.pl) that copies raw frames. A
   * veth leaves the TCP/UDP checksum of a locally sent packet to "hardware"
   * (CHECKSUM_PARTIAL): copied raw, such a frame arrives with a bad checksum
   * and is dropped, so heartbeats and the VIP's TCP would not pass the relay
   * (ICMP would). Checksums computed in software on every lab interface that
   * sends through a relay (ETHTOOL_STXCSUM off; no ethtool on these hosts)
   * make the relayed frames valid.
   */
  async softwareChecksums(): Promise<void> {
    const script = join(this.tmp, 'tx-csum-off.pl');
    writeFileSync(script, TX_CSUM_OFF);
    const targets: [string, string][] = [[this.lab.clientNs, 'eth0']];
    for (const n of this.names) for (const l of ['primary', 'secondary'] as const) targets.push([this.lab.nodes[n].ns, this.lab.nodes[n].devices[l]]);
    for (const [ns, dev] of targets) await must('ip', ['netns', 'exec', ns, 'perl', script, dev]);
  }

  // ------------------------------------------------------------ misc

  /** The lab's bounded wait (test/lab/wait.mjs); a check that finds its engine exited aborts it. */
  waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, everyMs = 50): Promise<T> {
    return waitFor(what, check, timeoutMs, everyMs);
  }


  /** Kills everything of the lab (by PID) and removes it. Idempotent. */
  async destroy(): Promise<void> {
    for (const n of this.names) delete this.engines[n];
    await destroyLab(this.lab);
  }

  /** Every engine (or those of `nodes`) RUNNING, each seeing every one of them RUNNING. */
  async waitBothRunning(timeoutMs: number, nodes: NodeName[] = this.names): Promise<void> {
    let last: unknown;
    try {
      await this.waitFor(`${nodes.join(', ')} RUNNING and seeing each other RUNNING`, async () => {
        for (const v of nodes) {
          const s = await this.nodeStates(v);
          last = { viewer: v, states: s };
          if (nodes.some((n) => s[n] !== 'RUNNING')) return false;
        }
        return true;
      }, timeoutMs, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message}; last seen: ${JSON.stringify(last)}`);
    }
  }

  /** Every engine RUNNING, each seeing every node RUNNING. */
  waitAllRunning(timeoutMs = 30_000, nodes: NodeName[] = this.names): Promise<void> {
    return this.waitBothRunning(timeoutMs, nodes);
  }

  /**
   * Back to the known state between cases: links whole, every engine up
   * (node powered on when needed), the group online on `node` only, VIP
   * answering from there. Clears faults on every node first.
   */
  async restore(node: NodeName = 'node1', addr = VIP4): Promise<void> {
    for (const l of ['primary', 'secondary'] as const) await this.cutPeerPath(l, false);
    for (const n of this.names) {
      if (!this.lab.nodes[n].init) await this.powerOn(n, false);
      for (const l of ['primary', 'secondary'] as const) await must('ip', ['-n', this.lab.labNs, 'link', 'set', this.lab.nodes[n].ports[l], 'up']);
    }
    for (const n of this.names) if (!this.engineAlive(n)) await this.startEngine(n, 'running', 30_000);
    await this.waitBothRunning(20_000);
    // A change made on one side while the other rejoined (an unlock) reaches the other within a check or two: act on one configuration.
    await this.waitFor('every node holding the same configuration (configAgreement AGREE)', async () => {
      for (const n of this.names) {
        const s = await this.call<{ membership?: { configAgreement?: string } }>(n, 'cluster.status');
        if (s.membership?.configAgreement !== 'AGREE') return false;
      }
      return true;
    }, 15_000, 100);
    // Clear what failed (a FAULTED resource blocks the group there; a NIC whose link came back clears itself at its next monitor).
    await this.waitFor('no FAULTED resource left on either node', async () => {
      let faulted = false;
      for (const n of this.names) {
        const rows = await this.call<{ node: NodeName; state: string }[]>(n, 'res.state', { group: GROUP, node: n });
        if (rows.some((r) => r.state === 'FAULTED')) {
          faulted = true;
          await this.rpc(n, 'grp.clear', { group: GROUP, node: n, wait: true, timeout: 30 });
        }
      }
      return !faulted;
    }, 15_000, 500);
    const states = await this.groupStates(node);
    if (states[node] !== 'ONLINE') {
      const from = this.names.find((n) => n !== node && (states[n] === 'ONLINE' || states[n] === 'PARTIAL'));
      if (from) {
        await this.call(node, 'grp.switch', { group: GROUP, node, wait: true, timeout: 60 });
      } else {
        await this.call(node, 'grp.online', { group: GROUP, node, wait: true, timeout: 60 });
      }
    }
    await this.waitGroup(onlyOn(this.names, node));
    await this.waitVip(addr, node);
  }
}

/** The group states "ONLINE on `node`, OFFLINE on every other of `names`" (node null: OFFLINE everywhere). */
export function onlyOn(names: NodeName[], node: NodeName | null): GroupStates {
  return Object.fromEntries(names.map((n) => [n, n === node ? 'ONLINE' : 'OFFLINE'])) as GroupStates;
}

/** perl tx-csum-off.pl IFNAME: ETHTOOL_STXCSUM (0x17) with data 0 through the SIOCETHTOOL ioctl (0x8946). */
const TX_CSUM_OFF = `use strict; use Socket;
my $if = shift;
socket(my $s, AF_INET, SOCK_DGRAM, 0) or die "socket: $!\\n";
my $val = pack('L L', 0x17, 0);
my $ifr = pack('a16 p', $if, $val) . ("\\0" x 16);
ioctl($s, 0x8946, $ifr) or die "tx checksum off on $if: $!\\n";
`;
