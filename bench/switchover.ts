// Switchover benchmark of issue 4 (bench/README.md, "## switchover"): the
// PostgreSQL group of the proof (test/e2e/postgresql-failover.test.ts) in the
// two-node lab, NIC ← IP ← PostgreSQL → SharedDisk (loop device, ext4, disk
// lease in the last MiB), default cluster and lease settings:
//   - N planned switchovers (grp.switch, alternating node1 ↔ node2),
//   - N power-off failovers (the active node powered off, then back),
// each timed until the VIP accepts a query from the standby (a client in the
// client namespace starts a new connection + query every 10 ms and waits for
// an answer from a postmaster other than the one that answered before),
// split into detection, offline and online phases from the engines' event
// logs. PostgreSQL's own stop and start times (pg_ctl timed directly on the
// same data, before the lab starts), umount and fsck+mount are measured
// beside them, and the engine's own overhead is what is left:
//   overhead = total − detection − pg stop − pg start − umount − fsck+mount − lease waits
//
//   npm run bench:switchover -- [--rounds N] [--json-only] [--verbose] [--db-beside-ip] [--switchovers-only]
// --db-beside-ip: the group without the PostgreSQL → IP dependency (PostgreSQL listens on '*'), so the
// IP's duplicate-address check overlaps the disk's and PostgreSQL's start.
//
// Exit code 0 = targets met (medians: failover <= 2.5 s, switchover <= pg stop
// + start + 0.3 s, engine overhead < 0.3 s for both), 1 = missed,
// 2 = the bench itself failed. Built by bench/switchover.mjs (tsc -p bench/tsconfig.switchover.json).
// Root only. Every process it signals is one it started (by PID); the lab is
// destroyed, the loop device detached and its file removed on success,
// failure and SIGINT/SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exec, must, sleep, waitFor } from '../test/lab/exec.js';
import { bootNode, createLab, destroyLab, powerOff, powerOn, spawnInNode, type Lab, type NodeName, type NodeProcess } from '../test/lab/lab.js';
import { asPostgres, initPgCluster, makeSocketDir, PG_BIN, PG_ENV, postgresIds } from '../test/lab/pg-cluster.js';
import { engineRpc, waitAllRunning, writeEngineHomes } from './engine-api.js';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'lab-id': { type: 'string', default: 'bsw' },
    'json-only': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    'db-beside-ip': { type: 'boolean', default: false },
    'switchovers-only': { type: 'boolean', default: false },
  },
});
const ROUNDS = Math.max(1, Math.min(20, Number(opts.rounds) || 5));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DAEMON = join(ROOT, 'dist/daemon/main.js');
const VIP = '10.213.0.100';
const NODES: NodeName[] = ['node1', 'node2'];
const GROUP = 'pg';
const RES = { nic: 'pg-nic', ip: 'pg-ip', disk: 'pg-disk', db: 'pg-db' } as const;
const MiB = 1024 * 1024;
/** LeaseRenewInterval (the default): acquiring a stale lease waits 1.5 of it; a lease handed over by a planned switch is taken without waiting. */
const LEASE_RENEW_MS = 250;
const other = (n: NodeName): NodeName => (n === 'node1' ? 'node2' : 'node1');

const say = (s: string): void => {
  if (!opts['json-only']) process.stdout.write(`${s}\n`);
};
const debug = (s: string): void => {
  if (opts.verbose) process.stderr.write(`  · ${s}\n`);
};

function median(xs: number[]): number | null {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
const sec = (ms: number | null | undefined): string => (ms === null || ms === undefined || !Number.isFinite(ms) ? '—' : `${(ms / 1000).toFixed(2)} s`);

async function timed(what: string, command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const t = performance.now();
  await must(command, args, { env, timeoutMs: 120_000 }).catch((e: Error) => {
    throw new Error(`${what}: ${e.message}`);
  });
  return performance.now() - t;
}

// ---------------------------------------------------------------- the shared disk and PostgreSQL's own times

interface Disk { work: string; img: string; loop: string; hostMnt: string }

async function makeDisk(): Promise<Disk> {
  const work = mkdtempSync('/tmp/mccs-bsw-');
  chmodSync(work, 0o755);
  const img = join(work, 'shared-disk.img');
  writeFileSync(img, '');
  await must('truncate', ['-s', '512M', img]);
  const loop = (await must('losetup', ['-f', '--show', img])).trim();
  const disk = { work, img, loop, hostMnt: join(work, 'mnt') };
  const size = Number((await must('blockdev', ['--getsize64', loop])).trim());
  await must('mkfs.ext4', ['-q', '-F', '-b', '4096', loop, String((size - MiB) / 4096)]);
  mkdirSync(disk.hostMnt);
  return disk;
}

async function removeDisk(d: Disk | undefined): Promise<void> {
  if (!d) return;
  if (readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === d.hostMnt)) await exec('umount', [d.hostMnt]);
  const backing = `/sys/block/${d.loop.replace('/dev/', '')}/loop/backing_file`;
  for (let i = 0; i < 100 && existsSync(backing); i++) {
    await exec('losetup', ['-d', d.loop]);
    if (existsSync(backing)) await sleep(100);
  }
  if (existsSync(backing)) process.stderr.write(`bench/switchover: ${d.loop} is still attached\n`);
  rmSync(d.work, { recursive: true, force: true });
}

/** initdb on the disk (as postgres), open to the lab client only (test setting), with a table that has some data. */
async function initCluster(d: Disk): Promise<void> {
  await must('mount', ['-t', 'ext4', d.loop, d.hostMnt]);
  try {
    await initPgCluster(join(d.hostMnt, 'data'), { trust: '10.213.0.200/32' });
  } finally {
    await must('umount', [d.hostMnt]);
  }
}

interface Direct { pgStartMs: number[]; pgStartCrashMs: number[]; pgStopMs: number[]; umountMs: number[]; fsckMountMs: number[]; pgStartPolledMs: number[]; pgStopPolledMs: number[] }

/** Line 8 of postmaster.pid (starting, ready, stopping…), or undefined when there is none. */
function pmStatus(data: string): string | undefined {
  try {
    return readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[7]?.trim();
  } catch {
    return undefined;
  }
}

/** Runs a command (pg_ctl … -W), then polls every 10 ms until done() (bounded by 60 s); the time of both. */
async function timedPolled(what: string, command: [string, string[]], done: () => boolean): Promise<number> {
  const t = performance.now();
  await must(command[0], command[1], { env: PG_ENV, timeoutMs: 60_000 }).catch((e: Error) => {
    throw new Error(`${what}: ${e.message}`);
  });
  await waitFor(what, done, 60_000 - (performance.now() - t), 10);
  return performance.now() - t;
}

/**
 * PostgreSQL's own times on the same data, on the host (no cluster): fsck +
 * mount, pg_ctl start -w, a query, pg_ctl stop -m fast, umount; and a start
 * after pg_ctl stop -m immediate (crash recovery, what a takeover after a
 * power-off does). The same commands and options the agents run.
 */
async function measureDirect(d: Disk, rounds: number): Promise<Direct> {
  const data = join(d.hostMnt, 'data');
  const sock = join(d.work, 'sock');
  mkdirSync(sock, { recursive: true });
  const { uid, gid } = postgresIds();
  chownSync(sock, uid, gid);
  const port = '25932';
  const ctl = (args: string[]): [string, string[]] => ['setpriv', [...asPostgres(), `${PG_BIN}/pg_ctl`, ...args]];
  const start = ctl(['start', '-w', '-t', '60', '-D', data, '-l', join(data, 'mccs-pg_ctl.log'), '-o', `-p ${port} -k ${sock}`]);
  const stop = (mode: string) => ctl(['stop', '-w', '-t', '60', '-m', mode, '-D', data]);
  const r: Direct = { pgStartMs: [], pgStartCrashMs: [], pgStopMs: [], umountMs: [], fsckMountMs: [], pgStartPolledMs: [], pgStopPolledMs: [] };
  // As the agent waits since issue 12: pg_ctl without its own wait (-W), then postmaster.pid polled every 10 ms.
  const startPolled = ctl(['start', '-W', '-D', data, '-l', join(data, 'mccs-pg_ctl.log'), '-o', `-p ${port} -k ${sock}`]);
  const stopPolled = ctl(['stop', '-W', '-m', 'fast', '-D', data]);
  for (let i = 0; i < rounds; i++) {
    r.fsckMountMs.push(await timed('fsck', 'fsck', ['-a', '-t', 'ext4', '--', d.loop]) + await timed('mount', 'mount', ['-t', 'ext4', d.loop, d.hostMnt]));
    try {
      r.pgStartMs.push(await timed('pg_ctl start', ...start, PG_ENV));
      await must('setpriv', [...asPostgres(), `${PG_BIN}/psql`, '-X', '-A', '-t', '-q', '-c', 'select 1', '-p', port, '-h', sock, '-d', 'postgres'], { env: PG_ENV });
      r.pgStopMs.push(await timed('pg_ctl stop -m fast', ...stop('fast'), PG_ENV));
      await timed('pg_ctl start', ...start, PG_ENV);
      await timed('pg_ctl stop -m immediate', ...stop('immediate'), PG_ENV);
      r.pgStartCrashMs.push(await timed('pg_ctl start (crash recovery)', ...start, PG_ENV));
      await timed('pg_ctl stop -m fast', ...stop('fast'), PG_ENV);
      r.pgStartPolledMs.push(await timedPolled('pg_ctl start -W', startPolled, () => pmStatus(data) === 'ready'));
      r.pgStopPolledMs.push(await timedPolled('pg_ctl stop -W -m fast', stopPolled, () => pmStatus(data) === undefined));
    } catch (e) {
      await exec(...stop('immediate'), { env: PG_ENV });
      throw e;
    } finally {
      r.umountMs.push(await timed('umount', 'umount', [d.hostMnt]));
    }
  }
  return r;
}

// ---------------------------------------------------------------- the client probe (runs in the client namespace)

/**
 * stdin: "cur" → prints "CUR <postmaster start time>" (first answer);
 * "wait <old start time>" → a new connection + query every 10 ms (each
 * with 1 s to answer) until one is answered by another postmaster:
 * prints "UP <wall ms> <start time>". Trust authentication (lab only).
 */
const PROBE = String.raw`
import net from 'node:net';
import { createInterface } from 'node:readline';
const [host, port] = process.argv.slice(2);
const out = (s) => process.stdout.write(s + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function ask(timeoutMs) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port: Number(port) });
    let buf = Buffer.alloc(0), stage = 0, value = null, done = false;
    const finish = (v) => { if (!done) { done = true; clearTimeout(timer); sock.destroy(); resolve(v); } };
    const timer = setTimeout(() => finish(null), timeoutMs);
    sock.on('error', () => finish(null));
    sock.on('close', () => finish(null));
    sock.on('connect', () => {
      const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
      const head = Buffer.alloc(8);
      head.writeInt32BE(8 + params.length, 0);
      head.writeInt32BE(196608, 4);
      sock.write(Buffer.concat([head, params]));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 5) {
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) break;
        const type = String.fromCharCode(buf[0]);
        const body = buf.subarray(5, 1 + len);
        buf = buf.subarray(1 + len);
        if (type === 'E') return finish(null);
        if (type === 'D') value = body.toString('utf8', 6, 6 + body.readInt32BE(2));
        if (type === 'Z') {
          if (stage === 0) {
            stage = 1;
            const sql = Buffer.from('SELECT pg_postmaster_start_time()::text\0');
            const h = Buffer.alloc(5);
            h.write('Q', 0);
            h.writeInt32BE(4 + sql.length, 1);
            sock.write(Buffer.concat([h, sql]));
          } else return finish(value);
        }
      }
    });
  });
}
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, ...rest] = line.split(' ');
  const old = rest.join(' ');
  if (cmd === 'cur') {
    for (;;) { const v = await ask(1000); if (v) { out('CUR ' + v); break; } await sleep(50); }
  } else if (cmd === 'wait') {
    let found = false;
    const end = Date.now() + 120000;
    while (!found && Date.now() < end) {
      ask(1000).then((v) => { if (v && v !== old && !found) { found = true; out('UP ' + Date.now() + ' ' + v); } });
      await sleep(10);
    }
    if (!found) out('TIMEOUT');
  }
}
`;

class Probe {
  private readonly child: ChildProcess;
  private readonly waiting: ((line: string) => void)[] = [];

  constructor(lab: Lab, file: string) {
    this.child = spawn('ip', ['netns', 'exec', lab.clientNs, process.execPath, file, VIP, '5432'], { stdio: ['pipe', 'pipe', 'inherit'] });
    lab.spawned.add(this.child);
    createInterface({ input: this.child.stdout! }).on('line', (l) => this.waiting.shift()?.(l));
  }

  private next(cmd: string, limitMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client probe: no answer to '${cmd}' within ${limitMs} ms`)), limitMs);
      this.waiting.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
      this.child.stdin!.write(`${cmd}\n`);
    });
  }

  async current(): Promise<string> {
    return (await this.next('cur', 30_000)).replace(/^CUR /, '');
  }

  /** Sends "wait"; the promise resolves with the wall time the standby answered. */
  waitNew(old: string): Promise<number> {
    return this.next(`wait ${old}`, 125_000).then((l) => {
      if (!l.startsWith('UP ')) throw new Error(`client probe: ${l}`);
      return Number(l.split(' ')[1]);
    });
  }
}

// ---------------------------------------------------------------- the cluster

const rpc = engineRpc(5000);


function mainJson(loop: string, mountPoint: string): unknown {
  const node = (i: number) => ({ NodeName: `node${i}`, PrimaryHB: `10.213.0.${i}`, SecondaryHB: `10.213.1.${i}`, IsolationTestAddresses: '10.213.0.254' });
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'benchpg' },
    Nodes: [node(1), node(2)],
    Groups: [{
      GroupName: GROUP,
      GroupType: 'FAILOVER',
      NodeList: ['node1', 'node2'],
      AutoStart: false,
      Resources: [
        { ResName: RES.nic, Type: 'NIC', Device: 'eth0' },
        { ResName: RES.ip, Type: 'IP', NICResName: RES.nic, Address: VIP, Prefix: 24, Critical: true },
        { ResName: RES.disk, Type: 'SharedDisk', Device: loop, MountPoint: mountPoint, FSType: 'ext4', Critical: true },
        { ResName: RES.db, Type: 'PostgreSQL', DataDir: join(mountPoint, 'data'), Port: 5432, SocketDir: '/run/postgresql', OsUser: 'postgres', Critical: true },
      ],
      // --db-beside-ip: PostgreSQL (listen_addresses '*') does not wait for the VIP, so the IP's checks run
      // while the disk and PostgreSQL start; the address is still added only after its duplicate check.
      Dependencies: [
        { Parent: RES.ip, Child: RES.nic },
        ...(opts['db-beside-ip'] ? [] : [{ Parent: RES.db, Child: RES.ip }]),
        { Parent: RES.db, Child: RES.disk },
      ],
    }],
  };
}

interface EventRec { time: string; node: string; rule: string; resource?: string; newState?: string; message: string }

function readEvents(lab: Lab, n: NodeName, fromLine: number): EventRec[] {
  const path = join(lab.nodes[n].home, 'log/events.jsonl');
  if (!existsSync(path)) return [];
  const out: EventRec[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n').slice(fromLine)) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as EventRec);
    } catch {
      // torn line
    }
  }
  return out;
}

const eventCount = (lab: Lab, n: NodeName): number => {
  const path = join(lab.nodes[n].home, 'log/events.jsonl');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0;
};

/** Lines of the engine log since a byte offset, with their wall time. */
function engineLog(lab: Lab, n: NodeName, from: number): { at: number; text: string }[] {
  const path = join(lab.nodes[n].home, 'log/engine.log');
  if (!existsSync(path)) return [];
  return readFileSync(path).subarray(from).toString('utf8').split('\n').filter(Boolean).map((l) => ({ at: Date.parse(l.slice(0, 24)), text: l.slice(25) }));
}
const logSize = (lab: Lab, n: NodeName): number => {
  const path = join(lab.nodes[n].home, 'log/engine.log');
  return existsSync(path) ? readFileSync(path).length : 0;
};

class Cluster {
  engines: Partial<Record<NodeName, NodeProcess>> = {};
  constructor(readonly lab: Lab) {}

  home(n: NodeName): string {
    return this.lab.nodes[n].home;
  }

  /** Boots the node (if needed) and makes the socket directory in its own /run, emptied at every boot. */
  async boot(n: NodeName): Promise<void> {
    await bootNode(this.lab, n);
    makeSocketDir(this.lab.nodes[n].run);
  }

  async startEngine(n: NodeName): Promise<void> {
    const run = join(this.home(n), 'run');
    for (const f of ['mccs.pid', 'mccs.sock']) rmSync(join(run, f), { force: true });
    await this.boot(n);
    this.engines[n] = await spawnInNode(this.lab, n, { command: process.execPath, args: [DAEMON, '--node', n] });
  }

  async groupStates(viewer: NodeName): Promise<Record<string, string>> {
    const r = await rpc(this.home(viewer), 'grp.state', { group: GROUP });
    if (!r?.ok) throw new Error(`grp.state on ${viewer}: ${JSON.stringify(r?.error)}`);
    return Object.fromEntries((r.result as { node: string; state: string }[]).map((x) => [x.node, x.state]));
  }

  /** Both engines RUNNING, seeing each other, the group ONLINE on exactly one node and OFFLINE on the other (both views). */
  async ready(limitMs = 60_000): Promise<NodeName> {
    return waitFor('the cluster to be whole (both RUNNING, group online on one node)', async () => {
      let holder: NodeName | undefined;
      for (const n of NODES) {
        const st = await rpc(this.home(n), 'cluster.status');
        const nodes = st?.result?.nodes as { NodeName: string; state: string }[] | undefined;
        if (!nodes || !nodes.every((x) => x.state === 'RUNNING')) return false;
        const gs = await this.groupStates(n);
        const on = NODES.filter((x) => gs[x] === 'ONLINE');
        if (on.length !== 1 || gs[other(on[0]!)] !== 'OFFLINE') return false;
        if (holder && holder !== on[0]) return false;
        holder = on[0];
      }
      return holder;
    }, limitMs, 100);
  }
}

// ---------------------------------------------------------------- one round

interface Round {
  kind: 'switchover' | 'failover';
  from: NodeName;
  to: NodeName;
  totalMs: number;
  detectionMs: number;
  /** Fault/request → last resource offline on the old node (switchover only). */
  offlineMs: number | null;
  /** Decision (failover) or end of offline (switchover) → the first query answered through the VIP from the standby. */
  onlineMs: number;
  /** The first answer → the engine's last ONLINE_DONE (its own checks after pg_ctl start; negative: recorded before). */
  confirmMs: number;
  /** PostgreSQL's own start in this round, from its log: first line → "ready to accept connections". */
  pgLogStartMs: number | null;
  /** Per resource: STOPPING → OFFLINE_DONE, STARTING → ONLINE_DONE. */
  res: Record<string, { offline?: number; online?: number }>;
  /** Waiting for the previous holder's disk lease to go stale (failover), from the engine log. */
  leaseStaleWaitMs: number;
}

function phases(lab: Lab, kind: Round['kind'], from: NodeName, to: NodeName, t0: number, up: number, marks: Record<NodeName, number>, logMark: number): Round {
  const evTo = readEvents(lab, to, marks[to]);
  const evFrom = kind === 'switchover' ? readEvents(lab, from, marks[from]) : [];
  const t = (e: EventRec | undefined): number => (e ? Date.parse(e.time) : NaN);
  const res: Round['res'] = {};
  for (const r of Object.values(RES)) {
    if (r === RES.nic) continue;
    const stopping = evFrom.find((e) => e.resource === r && e.newState === 'STOPPING');
    const off = evFrom.find((e) => e.resource === r && e.rule === 'OFFLINE_DONE');
    const starting = evTo.find((e) => e.resource === r && e.newState === 'STARTING');
    const on = evTo.find((e) => e.resource === r && e.rule === 'ONLINE_DONE');
    res[r] = { offline: t(off) - t(stopping), online: t(on) - t(starting) };
  }
  const decision = kind === 'failover' ? t(evTo.find((e) => e.rule === 'DECISION_NODE_FAULT')) : t0;
  const lastOff = Math.max(...evFrom.filter((e) => e.rule === 'OFFLINE_DONE').map(t));
  const lastOn = Math.max(...evTo.filter((e) => e.rule === 'ONLINE_DONE').map(t));
  const onlineFrom = kind === 'switchover' ? lastOff : decision;
  // The lease wait of a takeover: "waiting until it is stale" → "is stale …: taking it over".
  const log = engineLog(lab, to, logMark);
  const waitFrom = log.find((l) => l.text.includes('waiting until it is stale'))?.at;
  const waitTo = log.find((l) => l.text.includes('taking it over'))?.at;
  const round: Round = {
    kind, from, to,
    totalMs: up - t0,
    detectionMs: decision - t0,
    offlineMs: kind === 'switchover' ? lastOff - t0 : null,
    onlineMs: up - onlineFrom,
    confirmMs: lastOn - up,
    pgLogStartMs: null,
    res,
    leaseStaleWaitMs: waitFrom !== undefined && waitTo !== undefined ? waitTo - waitFrom : 0,
  };
  for (const [n, evs] of [[from, evFrom], [to, evTo]] as const) {
    for (const e of evs) debug(`${n} +${Date.parse(e.time) - t0} ms ${e.rule} ${e.resource ?? ''} ${e.newState ?? ''}`);
  }
  for (const l of log) if (/pg-|lease/.test(l.text)) debug(`${to} log +${l.at - t0} ms ${l.text.slice(0, 160)}`);
  // PostgreSQL's own log, read through the node's root (the disk is mounted in its mount namespace only).
  const init = lab.nodes[to].init;
  const pgLog = init ? `/proc/${init.initPid}/root${join(lab.dir, 'pgdisk/data/mccs-pg_ctl.log')}` : '';
  if (pgLog && existsSync(pgLog)) {
    let first: number | undefined;
    for (const l of readFileSync(pgLog, 'utf8').split('\n')) {
      const at = Date.parse(`${l.slice(0, 23).replace(' ', 'T')}Z`);
      if (!(at >= t0 - 100)) continue;
      debug(`${to} postgres +${at - t0} ms ${l.slice(24, 200)}`);
      if (l.includes('LOG:  starting PostgreSQL')) first = at;
      if (first !== undefined && l.includes('ready to accept connections') && round.pgLogStartMs === null) round.pgLogStartMs = at - first;
    }
  }
  debug(JSON.stringify(round));
  return round;
}

// ---------------------------------------------------------------- main

let lab: Lab | undefined;
let disk: Disk | undefined;
let cleaning: Promise<void> | undefined;

async function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    if (lab) await destroyLab(lab).catch((e: Error) => process.stderr.write(`destroyLab: ${e.message}\n`));
    await removeDisk(disk).catch((e: Error) => process.stderr.write(`removing the disk: ${e.message}\n`));
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\nbench/switchover: ${sig}: cleaning up\n`);
    void cleanup().then(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/switchover needs root (lab namespaces, losetup, mount)');
  if (!existsSync(DAEMON)) throw new Error(`${DAEMON} is missing: npm run build first`);
  if (!existsSync(`${PG_BIN}/pg_ctl`)) throw new Error(`${PG_BIN}/pg_ctl is missing: install the Debian package postgresql-15`);
  postgresIds();

  say(`bench/switchover: PostgreSQL 15 group on a shared loop device, ${ROUNDS} planned switchovers and ${ROUNDS} power-off failovers`);
  disk = await makeDisk();
  await initCluster(disk);
  say(`shared disk ${disk.loop} (ext4, lease in the last MiB); measuring PostgreSQL's own times on it (host, ${ROUNDS} rounds)…`);
  const direct = await measureDirect(disk, ROUNDS);
  const dm = {
    pgStop: median(direct.pgStopMs)!, pgStart: median(direct.pgStartMs)!, pgStartCrash: median(direct.pgStartCrashMs)!,
    umount: median(direct.umountMs)!, fsckMount: median(direct.fsckMountMs)!,
    pgStopPolled: median(direct.pgStopPolledMs)!, pgStartPolled: median(direct.pgStartPolledMs)!,
  };
  say(`  pg_ctl stop -m fast ${sec(dm.pgStop)}, pg_ctl start -w ${sec(dm.pgStart)} (after a crash: ${sec(dm.pgStartCrash)}), umount ${sec(dm.umount)}, fsck -a + mount ${sec(dm.fsckMount)}`);
  say(`  without pg_ctl's 100 ms polling (-W, postmaster.pid read every 10 ms, as the agent waits): stop ${sec(dm.pgStopPolled)}, start ${sec(dm.pgStartPolled)}`);

  lab = await createLab({ id: opts['lab-id']! });
  const mountPoint = join(lab.dir, 'pgdisk');
  mkdirSync(mountPoint, { recursive: true });
  await writeEngineHomes(lab, NODES, mainJson(disk.loop, mountPoint));
  const c = new Cluster(lab);
  await Promise.all(NODES.map((n) => c.startEngine(n)));
  await waitAllRunning(lab, NODES, 60_000, 100);
  const on = await rpc(c.home('node1'), 'grp.online', { group: GROUP, node: 'node1', wait: true, timeout: 120 }, 130_000);
  if (!on?.ok) throw new Error(`grp.online: ${JSON.stringify(on)}`);
  let active = await c.ready();
  const probeFile = join(lab.dir, 'pg-probe.mjs');
  writeFileSync(probeFile, PROBE);
  const probe = new Probe(lab, probeFile);
  await probe.current();
  say(`group ${GROUP} online on ${active}`);

  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const to = other(active);
    const old = await probe.current();
    const marks = { node1: eventCount(lab, 'node1'), node2: eventCount(lab, 'node2') };
    const logMark = logSize(lab, to);
    const answered = probe.waitNew(old);
    await sleep(50);
    const t0 = Date.now();
    const r = await rpc(c.home(active), 'grp.switch', { group: GROUP, node: to, wait: true, timeout: 120 }, 130_000);
    if (!r?.ok) throw new Error(`grp.switch to ${to}: ${JSON.stringify(r)}`);
    const up = await answered;
    await sleep(300); // the last events are written
    const round = phases(lab, 'switchover', active, to, t0, up, marks, logMark);
    rounds.push(round);
    say(`  switchover ${i + 1}: ${active} → ${to}: ${sec(round.totalMs)} (offline ${sec(round.offlineMs)}, online ${sec(round.onlineMs)}; postgres itself started in ${sec(round.pgLogStartMs)})`);
    active = await c.ready();
    if (active !== to) throw new Error(`after the switch the group is on ${active}, not ${to}`);
  }

  for (let i = 0; i < (opts['switchovers-only'] ? 0 : ROUNDS); i++) {
    const to = other(active);
    const old = await probe.current();
    const marks = { node1: eventCount(lab, 'node1'), node2: eventCount(lab, 'node2') };
    const logMark = logSize(lab, to);
    const answered = probe.waitNew(old);
    await sleep(50);
    const t0 = Date.now();
    await powerOff(lab, active);
    c.engines[active] = undefined;
    const up = await answered;
    await sleep(300);
    const round = phases(lab, 'failover', active, to, t0, up, marks, logMark);
    rounds.push(round);
    say(`  failover ${i + 1}: ${active} powered off → ${to}: ${sec(round.totalMs)} (detection ${sec(round.detectionMs)}, online ${sec(round.onlineMs)} of which lease stale wait ${sec(round.leaseStaleWaitMs)}; postgres itself started in ${sec(round.pgLogStartMs)})`);
    // The node comes back; the group stays where it is (no failback).
    await powerOn(lab, active);
    await c.startEngine(active);
    const now = await c.ready(90_000);
    if (now !== to) throw new Error(`after the failover the group is on ${now}, not ${to}`);
    active = to;
  }

  // ------------------------------------------------------------ figures
  const of = (kind: Round['kind']) => rounds.filter((r) => r.kind === kind);
  const med = (rs: Round[], f: (r: Round) => number | null | undefined) => median(rs.map((r) => f(r) ?? NaN));
  const summary = (kind: Round['kind']) => {
    const acquireMs = kind === 'failover' ? 1.5 * LEASE_RENEW_MS : 0;
    const rs = of(kind);
    const total = med(rs, (r) => r.totalMs)!;
    const detection = med(rs, (r) => r.detectionMs)!;
    const leaseStale = med(rs, (r) => r.leaseStaleWaitMs)!;
    // What PostgreSQL, the disk tools and the lease protocol need anyway (no stop or umount after a power-off).
    const fixed = kind === 'switchover'
      ? dm.pgStop + dm.umount + acquireMs + dm.fsckMount + dm.pgStart
      : acquireMs + dm.fsckMount + dm.pgStartCrash;
    // Overhead per round (its own detection and lease stale wait), then the median.
    const overheads = rs.map((r) => r.totalMs - r.detectionMs - r.leaseStaleWaitMs - fixed);
    return {
      rounds: rs.length,
      totalMs: total,
      detectionMs: detection,
      offlineMs: kind === 'switchover' ? med(rs, (r) => r.offlineMs) : null,
      onlineMs: med(rs, (r) => r.onlineMs),
      confirmMs: med(rs, (r) => r.confirmMs),
      pgLogStartMs: med(rs, (r) => r.pgLogStartMs),
      resources: Object.fromEntries(Object.values(RES).filter((r) => r !== RES.nic).map((name) => [name, {
        offlineMs: kind === 'switchover' ? med(rs, (r) => r.res[name]?.offline) : null,
        onlineMs: med(rs, (r) => r.res[name]?.online),
      }])),
      leaseStaleWaitMs: kind === 'failover' ? leaseStale : 0,
      leaseAcquireWaitMs: acquireMs,
      inherentMs: fixed + (kind === 'failover' ? leaseStale : 0),
      overheadMs: median(overheads),
      overheadSamplesMs: overheads.map(Math.round),
      totalSamplesMs: rs.map((r) => Math.round(r.totalMs)),
    };
  };
  const result = {
    rounds: ROUNDS,
    settings: { cluster: 'defaults (HBInterval 1000 ms, HBTimeout 1000 ms)', IP: 'defaults', SharedDisk: 'defaults (LeaseRenewInterval 250 ms, LeaseStaleIntervals 5)', dependencies: opts['db-beside-ip'] ? 'ip → nic, db → disk (PostgreSQL beside the IP)' : 'ip → nic, db → ip, db → disk' },
    direct: { ...Object.fromEntries(Object.entries(dm).map(([k, v]) => [`${k}Ms`, Math.round(v)])), samples: direct },
    switchover: summary('switchover'),
    failover: summary('failover'),
  };
  const s = result.switchover;
  const f = result.failover;
  say('');
  say(`PostgreSQL's own times (median of ${ROUNDS}, pg_ctl on the same data): stop -m fast ${sec(dm.pgStop)}, start -w ${sec(dm.pgStart)}, start after a crash ${sec(dm.pgStartCrash)}; umount ${sec(dm.umount)}, fsck -a + mount ${sec(dm.fsckMount)}`);
  say('');
  say(`| median of ${ROUNDS} | total (VIP answers) | detection | offline | online | pg_ctl stop | pg_ctl start | disk: umount / lease waits + fsck + mount | engine overhead |`);
  say('|---|---|---|---|---|---|---|---|---|');
  say(`| planned switchover | ${sec(s.totalMs)} | — | ${sec(s.offlineMs)} | ${sec(s.onlineMs)} | ${sec(dm.pgStop)} | ${sec(dm.pgStart)} | ${sec(dm.umount)} / ${sec(s.leaseAcquireWaitMs)} (handed over) + ${sec(dm.fsckMount)} | ${sec(s.overheadMs)} |`);
  say(`| power-off failover | ${sec(f.totalMs)} | ${sec(f.detectionMs)} | — | ${sec(f.onlineMs)} | — | ${sec(dm.pgStartCrash)} (crash recovery) | — / ${sec(f.leaseStaleWaitMs)} stale (rest after the watch) + ${sec(f.leaseAcquireWaitMs)} + ${sec(dm.fsckMount)} | ${sec(f.overheadMs)} |`);
  say('');
  say('Per resource (median, from the event log: STOPPING → OFFLINE_DONE, STARTING → ONLINE_DONE):');
  for (const [name, v] of Object.entries(s.resources)) say(`  ${name}: switchover offline ${sec(v.offlineMs)}, online ${sec(v.onlineMs)}; failover online ${sec(f.resources[name]?.onlineMs)}`);
  say(`Engine overhead per round (ms): switchover ${s.overheadSamplesMs.join(', ')}; failover ${f.overheadSamplesMs.join(', ')} (target < 300)`);
  // Issue 12 targets: power-off failover <= 2.5 s; switchover <= PostgreSQL's own stop + start + 0.3 s; engine overhead < 0.3 s (issue 4).
  const switchTarget = dm.pgStop + dm.pgStart + 300;
  // The same with PostgreSQL's own times measured as the agent now waits (no pg_ctl polling): shown beside it.
  const switchTargetPolled = dm.pgStopPolled + dm.pgStartPolled + 300;
  const failoverMet = opts['switchovers-only'] || ((f.overheadMs ?? Infinity) < 300 && f.totalMs <= 2500);
  const met = (s.overheadMs ?? Infinity) < 300 && failoverMet && s.totalMs <= switchTarget;
  say(`Targets: power-off failover ${sec(f.totalMs)} (target <= 2.50 s); switchover ${sec(s.totalMs)} (target <= pg_ctl stop + start + 0.3 s = ${sec(switchTarget)}; with PostgreSQL's own times without pg_ctl's polling: ${sec(switchTargetPolled)}, ${s.totalMs <= switchTargetPolled ? 'met' : 'missed'}); engine overhead < 0.3 s`);
  say(met ? 'PASS: every target met (medians)' : `MISS: failover ${sec(f.totalMs)}, switchover ${sec(s.totalMs)} (<= ${sec(switchTarget)}), overhead ${sec(s.overheadMs)} / ${sec(f.overheadMs)}`);
  process.stdout.write(`${opts['json-only'] ? '' : '\n'}${JSON.stringify({ ...result, targetMet: met })}\n`);
  if (!met) process.exitCode = 1;
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench/switchover: ${(e as Error).stack ?? (e as Error).message}\n`);
  if (lab && !opts['json-only']) {
    for (const n of NODES) {
      const f = join(lab.nodes[n].dir, 'console.log');
      if (existsSync(f)) process.stderr.write(`----- ${n} console (last lines)\n${readFileSync(f, 'utf8').split('\n').slice(-30).join('\n')}\n`);
    }
  }
  process.exitCode = 2;
} finally {
  await cleanup();
}
