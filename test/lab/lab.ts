// The test lab of ARCHITECTURE.md: 1 to 16 nodes (two unless told), a
// client and a gateway in network namespaces of their own, so real failover
// can be tested for real.
//
//   lab netns (mcl<id>-gw): bridges br0 (service + primary heartbeat,
//     10.213.0.0/24, fd00:213::/64) and br1 (secondary heartbeat,
//     10.213.1.0/24); answers as the gateway on 10.213.0.254, fd00:213::fe
//     (and 10.213.1.254). Bridge ports: n<N>p n<N>s (node N), clp.
//   node netns (mcl<id>-n1 … -n<N>): eth0 on br0 (10.213.0.N, fd00:213::N),
//     eth1 on br1 (10.213.1.N); N written with the same digits in the IPv6
//     address (node12 is fd00:213::12, a valid hex group), MACs
//     02:13:00:00:00:<N hex> and 02:13:01:00:00:<N hex>.
//   client netns (mcl<id>-cl): eth0 on br0 (10.213.0.200, fd00:213::c8).
//
// Partitions (partition/healPartition): the nodes of every side but the
// first move, both ports, onto a pair of bridges of their own in the lab
// namespace (brp<k>/brs<k>), so each side hears itself only, like a
// switch split in k parts. The gateway addresses, the client and
// whatever else listens in the lab namespace (the etcd witness of
// test/lab/etcd.ts) stay on br0/br1, i.e. on the FIRST side: a minority
// side loses its peers, the witness and its isolation test address at
// once. That is the fault a split switch or a cut room uplink makes (the
// router and the witness sit on one side of the cut); a minority that
// kept its own gateway would be a different, milder fault (it would
// merely lose its peers and the witness) and can be made by giving the
// minority nodes another IsolationTestAddresses.
//
// No default route anywhere, no traffic outside these namespaces. Every
// link lives inside the lab's namespaces, so deleting them leaves nothing.
// A booted node also has its own PID, mount and UTS namespaces under tini
// (PID 1, reaps orphans at once), its own /run (a directory of the lab) and
// /dev/shm (a tmpfs). Plain library: no test-framework imports.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { labDir, removeLab } from './cleanup.js';
import { childrenOf, exec, isAlive, must, signal, sleep, waitFor, WaitAborted, type ExecOptions, type ExecResult } from './exec.js';

export type NodeName = `node${number}`;
export type LinkName = 'primary' | 'secondary';

/** The nodes of a two-node lab (the default). A lab of N nodes lists its own in lab.names. */
export const NODE_NAMES: readonly NodeName[] = ['node1', 'node2'];
/** Most nodes a lab holds (the most a cluster may have). */
export const MAX_NODES = 16;

/** node1 … node<count>. */
export function nodeNames(count: number): NodeName[] {
  return Array.from({ length: count }, (_, i) => `node${i + 1}` as NodeName);
}
/** Port of test/lab/echo-node.mjs unless told otherwise. */
export const ECHO_PORT = 7700;
export const GATEWAY = { ipv4: '10.213.0.254', ipv4Secondary: '10.213.1.254', ipv6: 'fd00:213::fe' } as const;
export const CLIENT_ADDR = { ipv4: '10.213.0.200', ipv6: 'fd00:213::c8', mac: '02:13:00:00:00:c8' } as const;

export interface NodeHandle {
  /** Host PID of the node's init (tini, PID 1 inside the node). */
  initPid: number;
  /** The `ip netns exec … unshare …` process that holds the init. */
  launcher: ChildProcess;
}

export interface LabNode {
  name: NodeName;
  /** N of nodeN: its addresses end in N. */
  index: number;
  /** Network namespace name. */
  ns: string;
  /** Interface names inside the node. */
  devices: Record<LinkName, string>;
  /** Bridge-port names inside the lab namespace. */
  ports: Record<LinkName, string>;
  ipv4: Record<LinkName, string>;
  ipv6: string;
  mac: Record<LinkName, string>;
  /** Per-node directory of the lab; `home` is meant as the node's MCCS_HOME, `run` is bind-mounted on /run. */
  dir: string;
  home: string;
  run: string;
  /** Set while the node is booted. */
  init?: NodeHandle;
}

export interface Lab {
  id: string;
  dir: string;
  /** The lab (gateway + bridges) namespace. */
  labNs: string;
  clientNs: string;
  /** The nodes in order (node1 … node<N>). */
  names: NodeName[];
  nodes: Record<NodeName, LabNode>;
  /** While partitioned: the side (0 = the first, with the gateway) of each node. */
  sides?: Map<NodeName, number>;
  /** Processes the lab started (for destroyLab). */
  spawned: Set<ChildProcess>;
  /** Userspace loss/delay relays, by "node:link" (kernels without netem). */
  relays: Map<string, ChildProcess>;
  prober?: Prober;
}

export interface NodeProcess {
  /** Host PID of the process (0 if it had exited before it could be seen). */
  pid: number;
  /** Its PID inside the node. */
  nsPid: number;
  /** The nsenter process that runs it (its stdio is the process's). */
  child: ChildProcess;
  /** Resolves with the exit code (128+signal when killed). */
  exited: Promise<number>;
}

export interface StartOptions {
  command: string;
  args?: string[];
  /** Added to this process's environment, after MCCS_NODE and MCCS_HOME (set to the node's). */
  env?: Record<string, string>;
  cwd?: string;
  /** Default: stdin ignored, stdout and stderr appended to <node.dir>/console.log (a pipe nobody reads would block the process). */
  stdio?: StdioOptions;
}

const ID_PATTERN = /^[a-z0-9]{1,8}$/;

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

function nodeSpec(id: string, dir: string, index: number): LabNode {
  const name = `node${index}` as NodeName;
  const nodeDir = join(dir, name);
  return {
    name,
    index,
    ns: `mcl${id}-n${index}`,
    devices: { primary: 'eth0', secondary: 'eth1' },
    ports: { primary: `n${index}p`, secondary: `n${index}s` },
    ipv4: { primary: `10.213.0.${index}`, secondary: `10.213.1.${index}` },
    ipv6: `fd00:213::${index}`,
    mac: { primary: `02:13:00:00:00:${hex2(index)}`, secondary: `02:13:01:00:00:${hex2(index)}` },
    dir: nodeDir,
    home: join(nodeDir, 'home'),
    run: join(nodeDir, 'run'),
  };
}

const ip = (ns: string, ...args: string[]): Promise<string> => must('ip', ['-n', ns, ...args]);
const sysctl = (ns: string, ...settings: string[]): Promise<string> =>
  must('ip', ['netns', 'exec', ns, 'sysctl', '-q', ...settings.flatMap((s) => ['-w', s])]);

/** Builds the lab (`nodes`: 1 to 16, default 2); a leftover lab of the same id is removed first. Root only. */
export async function createLab(options: { id: string; nodes?: number }): Promise<Lab> {
  const { id } = options;
  const count = options.nodes ?? 2;
  if (!ID_PATTERN.test(id)) throw new Error(`lab id '${id}': 1-8 lower-case letters or digits`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_NODES) throw new Error(`lab ${id}: nodes ${count}: 1 to ${MAX_NODES}`);
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (network, PID and mount namespaces)');
  await removeLab(id);
  const dir = labDir(id);
  const lab: Lab = {
    id,
    dir,
    labNs: `mcl${id}-gw`,
    clientNs: `mcl${id}-cl`,
    names: nodeNames(count),
    nodes: Object.fromEntries(nodeNames(count).map((n, i) => [n, nodeSpec(id, dir, i + 1)])) as Record<NodeName, LabNode>,
    spawned: new Set(),
    relays: new Map(),
  };
  try {
    await build(lab);
  } catch (err) {
    await destroyLab(lab);
    throw err;
  }
  return lab;
}

async function build(lab: Lab): Promise<void> {
  const { labNs, clientNs } = lab;
  const allNs = [labNs, clientNs, ...lab.names.map((n) => lab.nodes[n].ns)];
  for (const ns of allNs) {
    await must('ip', ['netns', 'add', ns]);
    await ip(ns, 'link', 'set', 'lo', 'up');
  }
  // DAD off where no test looks at it (gateway, client): their addresses are usable at once.
  // The nodes keep DAD like real hosts; their own addresses are added with nodad.
  for (const ns of [labNs, clientNs]) {
    await sysctl(ns, 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  }
  for (const [br, net] of [['br0', 0], ['br1', 1]] as const) {
    await ip(labNs, 'link', 'add', br, 'address', `02:13:0${net}:00:00:fe`, 'type', 'bridge',
      'forward_delay', '0', 'stp_state', '0', 'mcast_snooping', '0');
    await ip(labNs, 'addr', 'add', `10.213.${net}.254/24`, 'dev', br);
    await ip(labNs, 'link', 'set', br, 'up');
  }
  await ip(labNs, 'addr', 'add', `${GATEWAY.ipv6}/64`, 'dev', 'br0', 'nodad');

  for (const name of lab.names) {
    const node = lab.nodes[name];
    mkdirSync(node.home, { recursive: true });
    mkdirSync(node.run, { recursive: true });
    for (const [link, br] of [['primary', 'br0'], ['secondary', 'br1']] as const) {
      await ip(labNs, 'link', 'add', node.ports[link], 'type', 'veth', 'peer', 'name', node.devices[link],
        'address', node.mac[link], 'netns', node.ns);
      await ip(labNs, 'link', 'set', node.ports[link], 'master', br, 'up');
    }
    await configureNodeLinks(node);
  }
  await ip(labNs, 'link', 'add', 'clp', 'type', 'veth', 'peer', 'name', 'eth0', 'address', CLIENT_ADDR.mac, 'netns', clientNs);
  await ip(labNs, 'link', 'set', 'clp', 'master', 'br0', 'up');
  await ip(clientNs, 'addr', 'add', `${CLIENT_ADDR.ipv4}/24`, 'dev', 'eth0');
  await ip(clientNs, 'addr', 'add', `${CLIENT_ADDR.ipv6}/64`, 'dev', 'eth0', 'nodad');
  await ip(clientNs, 'link', 'set', 'eth0', 'up');
}

/** Base addresses of a node, links up; any other global address (a VIP left by a test) removed. */
async function configureNodeLinks(node: LabNode): Promise<void> {
  const base = new Set([node.ipv4.primary, node.ipv4.secondary, node.ipv6]);
  for (const link of ['primary', 'secondary'] as const) {
    const dev = node.devices[link];
    const shown = JSON.parse(await ip(node.ns, '-j', 'addr', 'show', 'dev', dev)) as {
      addr_info?: { local: string; prefixlen: number; scope: string }[];
    }[];
    for (const a of shown[0]?.addr_info ?? []) {
      if (a.scope === 'global' && !base.has(a.local)) await ip(node.ns, 'addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', dev);
    }
    const have = new Set((shown[0]?.addr_info ?? []).map((a) => a.local));
    if (!have.has(node.ipv4[link])) await ip(node.ns, 'addr', 'add', `${node.ipv4[link]}/24`, 'dev', dev);
    if (link === 'primary' && !have.has(node.ipv6)) await ip(node.ns, 'addr', 'add', `${node.ipv6}/64`, 'dev', dev, 'nodad');
    await ip(node.ns, 'link', 'set', dev, 'up');
  }
  await ip(node.ns, 'neigh', 'flush', 'all');
}

/** Kills what the lab started, deletes its namespaces and directory. Idempotent; safe after a failed test. */
export async function destroyLab(lab: Lab): Promise<void> {
  lab.prober?.close();
  lab.prober = undefined;
  const inits: number[] = [];
  for (const name of lab.names) {
    const init = lab.nodes[name].init;
    if (init) inits.push(init.initPid);
    if (init) signal(init.initPid, 'SIGKILL');
    lab.nodes[name].init = undefined;
  }
  for (const child of lab.spawned) if (child.pid && child.exitCode === null) signal(child.pid, 'SIGKILL');
  lab.spawned.clear();
  lab.relays.clear();
  lab.sides = undefined;
  await removeLab(lab.id);
  // An init that is dying waits for its whole PID namespace: wait until it is gone.
  await waitFor('the lab processes to end', () => inits.every((pid) => !isAlive(pid)), 5000, 10).catch(() => undefined);
}

// ---------------------------------------------------------------- nodes

function onPath(program: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => existsSync(join(d, program)));
}

/**
 * Boots a node: tini as PID 1 of new PID, mount, UTS and IPC namespaces inside the
 * node's network namespace, with the node's own /run and /dev/shm and its
 * name as hostname. tini's only child is a `sleep infinity` that keeps the
 * node up; the engine and services run beside it (startNode), so killing the
 * engine alone leaves its services running, and killing tini (powerOff)
 * kills every process of the node.
 */
export async function bootNode(lab: Lab, name: NodeName): Promise<NodeHandle> {
  const node = lab.nodes[name];
  if (node.init && isAlive(node.init.initPid)) return node.init;
  if (!onPath('tini')) throw new Error('tini is not installed (apt-get install tini): it is the init of each lab node');
  // A power cycle loses /run.
  rmSync(node.run, { recursive: true, force: true });
  mkdirSync(node.run, { recursive: true });
  const setup = 'set -e; mount --bind "$1" /run; mount -t tmpfs -o mode=1777,size=64m shm /dev/shm; hostname "$2"; shift 2; exec "$@"';
  const launcher = spawn('ip', ['netns', 'exec', node.ns, 'unshare', '--pid', '--fork', '--mount-proc', '--mount', '--uts', '--ipc',
    '--propagation', 'private', '--', '/bin/sh', '-c', setup, 'node-init', node.run, name, 'tini', '--', 'sleep', 'infinity'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  lab.spawned.add(launcher);
  let stderr = '';
  launcher.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  launcher.on('exit', () => lab.spawned.delete(launcher));
  const launcherPid = launcher.pid;
  if (launcherPid === undefined) throw new Error(`${name}: cannot start its init`);
  const initPid = await waitFor(`${name}'s init`, () => {
    if (launcher.exitCode !== null) throw new WaitAborted(`${name}: init exited at boot: ${stderr.trim()}`);
    const pid = childrenOf(launcherPid)[0];
    return pid !== undefined && readComm(pid) === 'tini' && childrenOf(pid).length > 0 ? pid : undefined;
  }, 5000, 10);
  node.init = { initPid, launcher };
  return node.init;
}

function readComm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function nsenterArgs(node: LabNode): string[] {
  if (!node.init || !isAlive(node.init.initPid)) throw new Error(`${node.name} is not booted (bootNode/startNode) or was powered off`);
  return ['-t', String(node.init.initPid), '-n', '-p', '-m', '-u', '-i', '--'];
}

/**
 * Starts a process inside the node (booting the node first if needed):
 * it sees only the node's processes, network, /run and /dev/shm. Call it
 * again to restart an engine in the same node.
 */
export async function startNode(lab: Lab, name: NodeName, options: StartOptions): Promise<NodeProcess> {
  await bootNode(lab, name);
  return spawnInNode(lab, name, options);
}

export async function spawnInNode(lab: Lab, name: NodeName, options: StartOptions): Promise<NodeProcess> {
  const node = lab.nodes[name];
  const consoleFd = options.stdio ? undefined : openSync(join(node.dir, 'console.log'), 'a');
  let child: ChildProcess;
  try {
    child = spawn('nsenter', [...nsenterArgs(node), options.command, ...(options.args ?? [])], {
      env: { ...process.env, MCCS_NODE: name, MCCS_HOME: node.home, ...options.env },
      cwd: options.cwd,
      stdio: options.stdio ?? ['ignore', consoleFd, consoleFd],
    });
  } finally {
    if (consoleFd !== undefined) closeSync(consoleFd);
  }
  lab.spawned.add(child);
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, sig) => {
      lab.spawned.delete(child);
      resolve(code ?? 128 + (sig ? osSignal(sig) : 0));
    });
  });
  const nsenterPid = child.pid;
  if (nsenterPid === undefined) throw new Error(`${name}: cannot run nsenter`);
  // nsenter forks to enter the PID namespace: the process is its child.
  const pid = await waitFor(`${options.command} in ${name}`, () => {
    const c = childrenOf(nsenterPid)[0];
    if (c !== undefined) return c;
    return child.exitCode !== null || child.signalCode !== null ? 0 : undefined;
  }, 5000, 5);
  return { pid, nsPid: pid ? nsPidOf(pid) : 0, child, exited };
}

function osSignal(sig: NodeJS.Signals): number {
  const n: Partial<Record<NodeJS.Signals, number>> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1, SIGABRT: 6, SIGSEGV: 11 };
  return n[sig] ?? 0;
}

/** PID of a host process inside its innermost PID namespace. */
export function nsPidOf(hostPid: number): number {
  try {
    const line = readFileSync(`/proc/${hostPid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
    const pids = line?.split(/\s+/).slice(1).filter(Boolean) ?? [];
    return Number(pids[pids.length - 1] ?? 0);
  } catch {
    return 0;
  }
}

/** Runs a command to completion inside a booted node (its PID, mount, UTS and network namespaces). */
export function execInNode(lab: Lab, name: NodeName, command: string, args: string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
  return exec('nsenter', [...nsenterArgs(lab.nodes[name]), command, ...args], options);
}

/** Runs a command in the client namespace. */
export function execInClient(lab: Lab, command: string, args: string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
  return exec('ip', ['netns', 'exec', lab.clientNs, command, ...args], options);
}

/** Runs a command in any lab network namespace (host PID and mount namespaces). */
export function execInNs(ns: string, command: string, args: string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
  return exec('ip', ['netns', 'exec', ns, command, ...args], options);
}

/**
 * Mounts the node's network-namespace view of sysfs under the lab
 * directory and returns its class/net path, for code that runs in the test
 * process but must read the node's /sys/class/net. Unmounted by destroyLab.
 */
export async function mountNodeSysfs(lab: Lab, name: NodeName): Promise<string> {
  const node = lab.nodes[name];
  const mnt = join(node.dir, 'sys');
  if (!readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === mnt)) {
    mkdirSync(mnt, { recursive: true });
    // sysfs shows the network devices of the namespace of the process that mounts it.
    await must('nsenter', [`--net=/run/netns/${node.ns}`, '--', 'mount', '-t', 'sysfs', 'sysfs', mnt]);
  }
  return join(mnt, 'class', 'net');
}

// ---------------------------------------------------------------- faults

/** Bridge-side port down: the node sees NO-CARRIER (a pulled cable), nothing passes either way, its addresses stay. */
export async function linkDown(lab: Lab, name: NodeName, link: LinkName): Promise<void> {
  await ip(lab.labNs, 'link', 'set', lab.nodes[name].ports[link], 'down');
}

export async function linkUp(lab: Lab, name: NodeName, link: LinkName): Promise<void> {
  await ip(lab.labNs, 'link', 'set', lab.nodes[name].ports[link], 'up');
}

/** Every link of the node down (the node is cut off, still running). */
export async function isolate(lab: Lab, name: NodeName): Promise<void> {
  await Promise.all([linkDown(lab, name, 'primary'), linkDown(lab, name, 'secondary')]);
}

export async function reconnect(lab: Lab, name: NodeName): Promise<void> {
  await Promise.all([linkUp(lab, name, 'primary'), linkUp(lab, name, 'secondary')]);
}

// ---------------------------------------------------------------- partitions

/** The bridge a node's link is on: br0/br1 on the first side (and unpartitioned), brp<k>/brs<k> on side k. */
export function bridgeOf(lab: Lab, name: NodeName, link: LinkName): string {
  const side = lab.sides?.get(name) ?? 0;
  if (side === 0) return link === 'primary' ? 'br0' : 'br1';
  return `${link === 'primary' ? 'brp' : 'brs'}${side}`;
}

/** The lab-side interface that is a member of the bridge for a node's link (the relay's far end when the link is relayed). */
function bridgeMember(lab: Lab, name: NodeName, link: LinkName): string {
  const port = lab.nodes[name].ports[link];
  return lab.relays.has(`${name}:${link}`) ? `${port}y` : port;
}

/**
 * Splits the lab's nodes into sides that hear each other within a side and
 * nothing across (both networks): the nodes of sides[k], k ≥ 1, move onto
 * the bridges brp<k>/brs<k>; sides[0] and every node not named stay on
 * br0/br1 with the gateway, the client and the witness. Call it again to
 * reshape a partition (each node moves once, straight to its new side);
 * healPartition joins the sides again. Link states (linkDown, isolate) and
 * netem are kept.
 */
export async function partition(lab: Lab, sides: NodeName[][]): Promise<void> {
  const target = new Map<NodeName, number>();
  sides.forEach((side, k) => {
    if (side.length === 0) throw new Error(`partition: side ${k + 1} is empty`);
    for (const n of side) {
      if (!lab.nodes[n]) throw new Error(`partition: ${n} is not a node of lab ${lab.id} (${lab.names.join(', ')})`);
      if (target.has(n)) throw new Error(`partition: ${n} is on two sides`);
      target.set(n, k);
    }
  });
  for (const n of lab.names) if (!target.has(n)) target.set(n, 0);
  await moveToSides(lab, target);
  lab.sides = [...target.values()].some((k) => k > 0) ? target : undefined;
}

/** Every node back on br0/br1: one network again. Idempotent. */
export async function healPartition(lab: Lab): Promise<void> {
  await moveToSides(lab, new Map(lab.names.map((n) => [n, 0])));
  lab.sides = undefined;
}

/** Moves the ports whose side changes, in one `ip -batch` (all at once, as a switch split is), then drops the empty side bridges. */
async function moveToSides(lab: Lab, target: Map<NodeName, number>): Promise<void> {
  const before = lab.sides;
  const sideOf = (n: NodeName, m: Map<NodeName, number> | undefined): number => m?.get(n) ?? 0;
  const wanted = new Set([...target.values()].filter((k) => k > 0));
  const existing = new Set([...(before?.values() ?? [])].filter((k) => k > 0));
  const lines: string[] = [];
  for (const k of wanted) {
    if (existing.has(k)) continue;
    for (const br of [`brp${k}`, `brs${k}`]) {
      lines.push(`link add ${br} type bridge forward_delay 0 stp_state 0 mcast_snooping 0`, `link set ${br} up`);
    }
  }
  const probe: Lab = { ...lab, sides: target };
  for (const n of lab.names) {
    if (sideOf(n, before) === target.get(n)) continue;
    for (const link of ['primary', 'secondary'] as const) lines.push(`link set ${bridgeMember(lab, n, link)} master ${bridgeOf(probe, n, link)}`);
  }
  for (const k of existing) if (!wanted.has(k)) lines.push(`link del brp${k}`, `link del brs${k}`);
  if (lines.length === 0) return;
  await must('ip', ['-n', lab.labNs, '-batch', '-'], { input: `${lines.join('\n')}\n` });
  lab.sides = target;
}

/** Which nodes share a side with `name` (every node when the lab is whole). */
export function sideMates(lab: Lab, name: NodeName): NodeName[] {
  const k = lab.sides?.get(name) ?? 0;
  return lab.names.filter((n) => (lab.sides?.get(n) ?? 0) === k);
}

/** Host PIDs of every process of the node (all of them live in its network namespace). */
export async function nodePids(lab: Lab, name: NodeName): Promise<number[]> {
  const r = await exec('ip', ['netns', 'pids', lab.nodes[name].ns]);
  return r.stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
}

/**
 * Freeze: every link down (no heartbeat, no ICMP: to the peer it looks like
 * a power-off), then SIGSTOP to every process of the node, its init
 * included, until no running one is left (a process forked meanwhile is
 * stopped on the next pass). The kernel is shared and is not frozen: this
 * freezes the node's programs, as a VM pause or a hung host does.
 * Returns the PIDs stopped.
 */
export async function freeze(lab: Lab, name: NodeName): Promise<number[]> {
  await isolate(lab, name);
  const stopped = new Set<number>();
  for (let pass = 0; pass < 20; pass++) {
    const fresh = (await nodePids(lab, name)).filter((p) => !stopped.has(p));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      signal(pid, 'SIGSTOP');
      stopped.add(pid);
    }
  }
  return [...stopped];
}

/** Resume after freeze: SIGCONT to every process of the node first, then its links up. Returns when both are done. */
export async function thaw(lab: Lab, name: NodeName): Promise<void> {
  for (const pid of await nodePids(lab, name)) signal(pid, 'SIGCONT');
  await reconnect(lab, name);
}

export interface NetemOptions {
  /** Loss of each frame, in each direction. */
  lossPct?: number;
  /** One-way delay, in each direction. */
  delayMs?: number;
  jitterMs?: number;
}

/**
 * netem on both ends of the link (node side and bridge side): egress-only
 * qdiscs, so each direction crosses exactly one of them and gets the given
 * one-way loss and delay.
 */
export async function netem(lab: Lab, name: NodeName, link: LinkName, options: NetemOptions): Promise<void> {
  const node = lab.nodes[name];
  const spec: string[] = [];
  if (options.delayMs) spec.push('delay', `${options.delayMs}ms`, ...(options.jitterMs ? [`${options.jitterMs}ms`] : []));
  if (options.lossPct) spec.push('loss', `${options.lossPct}%`);
  if (spec.length === 0) return clearNetem(lab, name, link);
  if (!(await netemAvailable(lab))) return relayLink(lab, node, link, options);
  await must('tc', ['-n', node.ns, 'qdisc', 'replace', 'dev', node.devices[link], 'root', 'netem', ...spec]);
  await must('tc', ['-n', lab.labNs, 'qdisc', 'replace', 'dev', node.ports[link], 'root', 'netem', ...spec]);
}

/**
 * Without netem: the node's bridge port leaves the bridge, a new veth pair
 * takes its place there, and test/lab/link-relay.pl copies frames between
 * the port and the pair with the loss and delay asked (no jitter). The
 * node still sees one link; linkDown/linkUp still act on its port.
 */
async function relayLink(lab: Lab, node: LabNode, link: LinkName, options: NetemOptions): Promise<void> {
  await clearNetem(lab, node.name, link);
  const port = node.ports[link];
  const [near, far] = [`${port}x`, `${port}y`];
  const br = bridgeOf(lab, node.name, link);
  await ip(lab.labNs, 'link', 'add', near, 'type', 'veth', 'peer', 'name', far);
  // One frame per segment: the relay cannot forward GSO super-frames bigger than the MTU.
  for (const n of lab.names) await ip(lab.nodes[n].ns, 'link', 'set', 'dev', lab.nodes[n].devices[link], 'gso_max_segs', '1');
  await ip(lab.labNs, 'link', 'set', near, 'promisc', 'on', 'up');
  await ip(lab.labNs, 'link', 'set', port, 'nomaster');
  await ip(lab.labNs, 'link', 'set', port, 'promisc', 'on');
  await ip(lab.labNs, 'link', 'set', far, 'master', br, 'up');
  const script = fileURLToPath(new URL('./link-relay.pl', import.meta.url));
  const relay = spawn('ip', ['netns', 'exec', lab.labNs, 'perl', script, port, near, String((options.lossPct ?? 0) / 100), String((options.delayMs ?? 0) / 1000)],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  lab.spawned.add(relay);
  lab.relays.set(`${node.name}:${link}`, relay);
  let stderr = '';
  relay.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    relay.stdout?.once('data', () => resolve());
    relay.once('exit', () => reject(new Error(`link relay for ${node.name} ${link} exited: ${stderr.trim()}`)));
  });
  relay.on('exit', () => lab.spawned.delete(relay));
}

let netemProbe: Promise<boolean> | undefined;

/** Whether the kernel has the netem qdisc (some VM kernels are built without it). */
export function netemAvailable(lab: Lab): Promise<boolean> {
  netemProbe ??= (async () => {
    const r = await exec('tc', ['-n', lab.labNs, 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
    await exec('tc', ['-n', lab.labNs, 'qdisc', 'del', 'dev', 'lo', 'root']);
    return r.exitCode === 0;
  })();
  return netemProbe;
}

export async function clearNetem(lab: Lab, name: NodeName, link: LinkName): Promise<void> {
  const node = lab.nodes[name];
  const relay = lab.relays.get(`${name}:${link}`);
  if (relay) {
    lab.relays.delete(`${name}:${link}`);
    const gone = new Promise((r) => relay.once('exit', r));
    relay.stdin?.end();
    if (relay.exitCode === null && relay.signalCode === null) await Promise.race([gone, sleep(1000)]);
    if (relay.pid && relay.exitCode === null && relay.signalCode === null) signal(relay.pid, 'SIGKILL');
    const port = node.ports[link];
    await ip(lab.labNs, 'link', 'del', `${port}x`);
    await ip(lab.labNs, 'link', 'set', port, 'promisc', 'off');
    await ip(lab.labNs, 'link', 'set', port, 'master', bridgeOf(lab, name, link));
  }
  await exec('tc', ['-n', node.ns, 'qdisc', 'del', 'dev', node.devices[link], 'root']);
  await exec('tc', ['-n', lab.labNs, 'qdisc', 'del', 'dev', node.ports[link], 'root']);
}

/**
 * Power off: SIGKILL the node's init (the kernel kills every process of its
 * PID namespace), kill anything else left in its network namespace, links
 * down, and forget runtime network state (addresses other than the node's
 * own, neighbours), as a real power loss does.
 */
export async function powerOff(lab: Lab, name: NodeName): Promise<void> {
  const node = lab.nodes[name];
  const init = node.init;
  if (init) signal(init.initPid, 'SIGKILL');
  node.init = undefined;
  await isolate(lab, name);
  for (let round = 0; round < 100; round++) {
    const r = await exec('ip', ['netns', 'pids', node.ns]);
    const pids = r.stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    if (pids.length === 0) break;
    for (const pid of pids) signal(pid, 'SIGKILL');
    await waitFor('node processes to die', () => pids.every((p) => !isAlive(p)), 2000, 5).catch(() => undefined);
  }
  await configureNodeLinks(node);
}

/** Power on after powerOff: links up, a fresh init (its /run emptied). */
export async function powerOn(lab: Lab, name: NodeName): Promise<NodeHandle> {
  await reconnect(lab, name);
  return bootNode(lab, name);
}

// ---------------------------------------------------------------- probing

/** A long-lived prober in the client namespace (test/lab/client-probe.mjs), so a probe costs no fork. */
class Prober {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  private nextId = 1;

  constructor(lab: Lab) {
    const script = fileURLToPath(new URL('./client-probe.mjs', import.meta.url));
    this.child = spawn('ip', ['netns', 'exec', lab.clientNs, process.execPath, script], { stdio: ['pipe', 'pipe', 'inherit'] });
    lab.spawned.add(this.child);
    this.child.on('exit', () => {
      lab.spawned.delete(this.child);
      for (const resolve of this.waiting.values()) resolve({ error: 'prober exited' });
      this.waiting.clear();
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const reply = JSON.parse(line) as Record<string, unknown>;
      const resolve = this.waiting.get(reply.id as number);
      this.waiting.delete(reply.id as number);
      resolve?.(reply);
    });
  }

  request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ ...message, id })}\n`);
    });
  }

  close(): void {
    this.child.stdin?.end();
    if (this.child.pid && this.child.exitCode === null) signal(this.child.pid, 'SIGKILL');
  }
}

function prober(lab: Lab): Prober {
  lab.prober ??= new Prober(lab);
  return lab.prober;
}

/**
 * From the client: connects to addr:port (test/lab/echo-node.mjs behind the
 * VIP) and returns the node name it replies with, or null when nothing answers
 * within timeoutMs.
 */
export async function probeVip(lab: Lab, addr: string, port = ECHO_PORT, timeoutMs = 1000): Promise<string | null> {
  const reply = await prober(lab).request({ op: 'probe', addr, port, timeoutMs });
  return typeof reply.answer === 'string' ? reply.answer : null;
}

export interface WatchEvent {
  /** CLOCK_MONOTONIC ms (see monotonicMs in exec.ts) when the probe was sent. */
  at: number;
  /** Node name that answered, or null (no answer). */
  answer: string | null;
}

/**
 * Probes addr:port from the client every intervalMs until stop(); stop()
 * returns the changes of answer in send order (first entry = the first
 * probe). Timestamps are on the monotonic clock shared with monotonicMs().
 */
export async function watchVip(lab: Lab, addr: string, port = ECHO_PORT, intervalMs = 10, timeoutMs = 500): Promise<{ stop(): Promise<WatchEvent[]> }> {
  const p = prober(lab);
  const started = await p.request({ op: 'watch', addr, port, intervalMs, timeoutMs });
  const watch = started.watch as number;
  return {
    async stop() {
      const reply = await p.request({ op: 'unwatch', watch });
      return (reply.events as WatchEvent[] | undefined) ?? [];
    },
  };
}

/** From the client: does addr answer one ping within timeoutS? */
export async function answers(lab: Lab, addr: string, timeoutS = 1): Promise<boolean> {
  const r = await execInClient(lab, 'ping', ['-n', '-q', '-c', '1', '-W', String(timeoutS), addr]);
  return r.exitCode === 0;
}

/** The MAC address the client's neighbour table holds for addr, or null. */
export async function clientNeighbour(lab: Lab, addr: string): Promise<string | null> {
  const out = await ip(lab.clientNs, '-j', 'neigh', 'show', 'to', addr, 'dev', 'eth0');
  const entries = JSON.parse(out || '[]') as { lladdr?: string; state?: string[] }[];
  const e = entries.find((x) => x.lladdr && !x.state?.includes('FAILED') && !x.state?.includes('INCOMPLETE'));
  return e?.lladdr ?? null;
}

/** The lab's network namespaces (all names start with mcl<id>-). */
export function labNamespaces(lab: Lab): string[] {
  return [lab.labNs, lab.clientNs, ...lab.names.map((n) => lab.nodes[n].ns)];
}
