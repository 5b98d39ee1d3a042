// PostgreSQL (alias PPAS): a PostgreSQL / EDB Postgres Advanced Server
// cluster, started and stopped with pg_ctl as its OS user (postgres refuses
// to run as root), watched through its postmaster.pid (no fork) and a real
// query with psql.
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, unlinkSync, realpathSync } from 'node:fs';
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';
import type { RunResult } from '../runner.js';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { lookupUser } from '../../system/os-user.js';
import { absolutePath, attrInt, attrString } from './toolkit/attributes.js';
import { budget, sleep } from './toolkit/budget.js';
import { endProcesses, identitiesOf } from '../../system/end-processes.js';
import { commOf, isRunning, isSameProcessRunning, readProcStat, signalProcess } from '../../system/proc.js';

export const postgresqlAttributes: AttributeDeclaration[] = [
  { name: 'PgBinDir', kind: 'string', default: '/usr/lib/postgresql/15/bin', editable: true, description: 'Directory of pg_ctl and psql.' },
  { name: 'DataDir', kind: 'string', editable: true, required: true, description: 'Data directory of the cluster (owned by OsUser).' },
  { name: 'OsUser', kind: 'string', default: 'postgres', editable: true, description: 'OS user the server runs as.' },
  { name: 'Port', kind: 'integer', default: 5432, minimum: 1, maximum: 65535, editable: true, description: 'Port the server listens on (passed as -p).' },
  { name: 'SocketDir', kind: 'string', default: '', pattern: '^(/[A-Za-z0-9._/-]*)?$', editable: true, description: 'Unix socket directory (passed as -k, used by the monitor); empty: the server\'s compiled-in default.' },
  { name: 'Database', kind: 'string', default: 'postgres', editable: true, description: 'Database the monitor query connects to.' },
];

export interface PgConfig {
  bin: string;
  dataDir: string;
  user: string;
  uid: number;
  gid: number;
  port: number;
  socketDir: string;
  database: string;
}

/** The Debian package that ships a PgBinDir like /usr/lib/postgresql/15/bin. */
function packageOf(bin: string): string {
  const m = /\/usr\/lib\/postgresql\/(\d+)\/bin/.exec(bin);
  return m ? `postgresql-${m[1]}` : 'postgresql (or set PgBinDir)';
}

export function pgConfig(ctx: AgentContext): PgConfig {
  const bin = attrString(ctx, 'PgBinDir') ? absolutePath(ctx, 'PgBinDir') : '/usr/lib/postgresql/15/bin';
  const user = attrString(ctx, 'OsUser') || 'postgres';
  let uid: number;
  let gid: number;
  try {
    ({ uid, gid } = lookupUser(user));
  } catch {
    throw new AgentError(`OsUser ${user} does not exist on this node`);
  }
  // Port and SocketDir end up inside pg_ctl's -o string (one argument that
  // postgres splits on spaces): only digits and a plain path are let through.
  const port = attrInt(ctx, 'Port', 5432, 1, 65535);
  const socketDir = attrString(ctx, 'SocketDir');
  if (socketDir && !/^\/[A-Za-z0-9._/-]*$/.test(socketDir)) {
    throw new AgentError(`SocketDir '${socketDir}' must be an absolute path of letters, digits, '.', '_', '-' and '/'`);
  }
  const database = attrString(ctx, 'Database') || 'postgres';
  if (!/^[A-Za-z0-9_.-]+$/.test(database)) throw new AgentError(`Database '${database}' is not a plain database name`);
  return { bin, dataDir: absolutePath(ctx, 'DataDir'), user, uid, gid, port, socketDir, database };
}

export async function pgTool(ctx: AgentContext, c: PgConfig, tool: string, args: string[], timeoutMs?: number): Promise<RunResult> {
  const path = `${c.bin}/${tool}`;
  if (!existsSync(path)) throw new AgentError(`${path} not found: install the Debian package ${packageOf(c.bin)} or set PgBinDir`);
  try {
    return await ctx.runner.run(path, args, {
      user: c.user,
      cwd: '/',
      signal: ctx.signal,
      timeoutMs: timeoutMs ?? Math.max(1000, ctx.deadline),
      env: { PGCONNECT_TIMEOUT: '5', LC_ALL: 'C' },
    });
  } catch (e) {
    throw new AgentError(`cannot run ${path} as ${c.user}: ${(e as Error).message}`);
  }
}

/** Refuses a data directory that is missing, not a cluster, or not owned by OsUser. */
export function checkDataDir(c: PgConfig): void {
  let st;
  try {
    st = statSync(c.dataDir);
  } catch {
    throw new AgentError(`DataDir ${c.dataDir} does not exist (not mounted yet? run initdb?)`);
  }
  if (!st.isDirectory()) throw new AgentError(`DataDir ${c.dataDir} is not a directory`);
  if (st.uid !== c.uid) {
    throw new AgentError(`DataDir ${c.dataDir} is owned by uid ${st.uid}, not by OsUser ${c.user} (uid ${c.uid}): chown -R ${c.user}: ${c.dataDir}`);
  }
  if (!existsSync(`${c.dataDir}/PG_VERSION`)) throw new AgentError(`DataDir ${c.dataDir} holds no PostgreSQL cluster (no PG_VERSION): run initdb`);
}

/** Processes listening on a TCP port in this network namespace, from /proc/net/tcp{,6} (no fork). */
export function tcpListeners(port: number): { pid: number; comm: string }[] {
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || cols[3] !== '0A') continue; // 0A = LISTEN
      if (parseInt(local.split(':')[1] ?? '', 16) === port) inodes.add(cols[9] ?? '');
    }
  }
  if (inodes.size === 0) return [];
  const out: { pid: number; comm: string }[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${n}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${n}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) {
        out.push({ pid: Number(n), comm: commOf(Number(n)) });
        break;
      }
    }
  }
  // A listener whose owner we cannot see (another PID namespace) still counts.
  return out.length > 0 ? out : [{ pid: 0, comm: 'unknown process' }];
}

export function postmasterPid(c: PgConfig): number | undefined {
  return lockFile(c)?.pid;
}

/** postmaster.pid: the pid (line 1), the postmaster's start (line 3, epoch seconds); `identity` = its first lines (pid, data directory, start time, port), which name one postmaster. */
export function lockFile(c: PgConfig): { pid: number; identity: string; startedAt?: number } | undefined {
  try {
    const lines = readFileSync(`${c.dataDir}/postmaster.pid`, 'utf8').split('\n');
    const pid = Number(lines[0]);
    const startedAt = Number(lines[2]);
    return Number.isInteger(pid) && pid > 0 ? { pid, identity: lines.slice(0, 4).join('\n'), ...(Number.isFinite(startedAt) && startedAt > 0 ? { startedAt } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** Boot time of this host (epoch seconds), for process start times. */
function bootTime(): number | undefined {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The process `pid` started when postmaster.pid says its postmaster did
 * (within 2 s): pids repeat across nodes (one per PID namespace, or after a
 * takeover of the same disk), so a pid alone does not name the postmaster
 * that wrote the file. Unknown (no start line, no /proc): believed.
 */
export function startsAsRecorded(pid: number, recorded: number | undefined): boolean {
  if (recorded === undefined) return true;
  const stat = readProcStat(pid);
  const boot = bootTime();
  if (!stat || boot === undefined) return true;
  return Math.abs(boot + stat.startTime / 100 - recorded) <= 2;
}

/**
 * The postmaster.pid of every postmaster this engine saw running on this
 * node, by node and resource. A postmaster.pid naming no process here is
 * tidied away by offline and clean only when it is one of these (our own
 * postmaster crashed or was killed); any other one belongs to the node that
 * holds the disk now (this node lost it while frozen, and another node took
 * it over and started its own postmaster there), and is not ours to delete.
 */
const seenHere = new Map<string, string>();
const seenKey = (ctx: Pick<AgentContext, 'nodeName' | 'resName'>): string => `${ctx.nodeName}\0${ctx.resName}`;

/** Remembers the postmaster found running here (observe). */
export function noteRunningHere(ctx: AgentContext, identity: string): void {
  seenHere.set(seenKey(ctx), identity);
}

/**
 * The pid in postmaster.pid is believed only when that process works in this
 * data directory: after a takeover the file holds a pid of the other node,
 * which may be any process here.
 */
export function isClusterProcess(c: PgConfig, pid: number): boolean {
  try {
    return isRunning(pid) && readlinkSync(`/proc/${pid}/cwd`) === realpathSync(c.dataDir);
  } catch {
    return false;
  }
}

/** Processes of this cluster: postgres processes whose cwd is the data directory. */
export function clusterProcesses(c: PgConfig): number[] {
  let dir: string;
  try {
    dir = realpathSync(c.dataDir);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      if (readlinkSync(`/proc/${n}/cwd`) === dir && statSync(`/proc/${n}`).uid === c.uid && isRunning(Number(n))) out.push(Number(n));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function observe(ctx: AgentContext): Promise<Observation> {
  const c = pgConfig(ctx);
  const lf = lockFile(c);
  const pid = lf?.pid;
  if (pid === undefined) {
    const left = clusterProcesses(c);
    if (left.length > 0) return { state: 'failed', reason: `no postmaster.pid, but processes of ${c.dataDir} still run: ${left.join(', ')}` };
    return { state: 'stopped', reason: `not running (no postmaster.pid in ${c.dataDir})` };
  }
  if (!isClusterProcess(c, pid) || !startsAsRecorded(pid, lf!.startedAt)) {
    return { state: 'failed', reason: `postmaster (pid ${pid}) is gone but left ${c.dataDir}/postmaster.pid behind (crashed or killed)` };
  }
  const args = ['-X', '-A', '-t', '-q', '-w', '-c', 'select 1', '-p', String(c.port), '-d', c.database];
  if (c.socketDir) args.push('-h', c.socketDir);
  const r = await pgTool(ctx, c, 'psql', args, Math.max(1000, Math.min(ctx.deadline, 10_000)));
  if (r.exitCode === 0 && r.stdout.trim() === '1') {
    noteRunningHere(ctx, lf!.identity);
    return { state: 'running', reason: `postmaster pid ${pid} on port ${c.port}, select 1 ok` };
  }
  const why = (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? `exit ${r.exitCode}`;
  return { state: 'failed', reason: `postmaster pid ${pid} runs but the query on port ${c.port} fails: ${why}` };
}

export function logFile(c: PgConfig): string {
  return `${c.dataDir}/mccs-pg_ctl.log`;
}

export function logTail(c: PgConfig): string {
  try {
    const lines = readFileSync(logFile(c), 'utf8').trim().split('\n');
    const bad = lines.filter((l) => /\b(FATAL|PANIC|ERROR):/.test(l) || /could not bind|Address already in use/.test(l)).slice(-2);
    return (bad.length > 0 ? bad : lines.slice(-1)).map((l) => l.replace(/^\S+ \S+ \S+ \[\d+\] /, '')).join(' / ');
  } catch {
    return '';
  }
}

async function online(ctx: AgentContext): Promise<void> {
  const c = pgConfig(ctx);
  const left = budget(ctx);
  const before = await observe(ctx);
  if (before.state === 'running') return;
  checkDataDir(c);
  if (before.state === 'failed') {
    // Left-overs of a crash keep the shared memory and the port: end them first. The disk is
    // this node's now (the resources below are online): a postmaster.pid naming no process here is stale.
    await stopAll(ctx, c, left, { claim: true });
  }
  const taken = tcpListeners(c.port);
  if (taken.length > 0) {
    throw new AgentError(`Port ${c.port} is already in use by ${taken.map((t) => (t.pid ? `pid ${t.pid} (${t.comm})` : t.comm)).join(', ')}`);
  }
  await pgStart(ctx, c, left);
  const after = await observe(ctx);
  if (after.state !== 'running') throw new AgentError(`started, but the monitor says: ${after.reason}`);
}

/** Poll period of the agent's own waits for a start or stop (pg_ctl -w checks only every 100 ms). */
const POLL_MS = 10;

/** Line 8 of postmaster.pid (PostgreSQL 10+): starting, stopping, ready or standby. */
export function pmStatus(c: PgConfig): string | undefined {
  try {
    return readFileSync(`${c.dataDir}/postmaster.pid`, 'utf8').split('\n')[7]?.trim();
  } catch {
    return undefined;
  }
}

/**
 * pg_ctl start without its wait (-W), then the agent's own wait until the
 * postmaster says it accepts connections (ready, or standby for a hot
 * standby), polled every 10 ms: pg_ctl -w looks only every 100 ms, which
 * would add up to 0.1 s to every start. Fails with the log's reason when
 * the postmaster exits instead, or when the budget runs out.
 */
export async function pgStart(ctx: AgentContext, c: PgConfig, left: () => number): Promise<void> {
  const opts = `-p ${c.port}${c.socketDir ? ` -k ${c.socketDir}` : ''}`;
  const r = await pgTool(ctx, c, 'pg_ctl', ['start', '-W', '-D', c.dataDir, '-l', logFile(c), '-o', opts], Math.max(1000, left()));
  if (r.exitCode !== 0) {
    const why = logTail(c) || (r.stderr.trim() || r.stdout.trim()).split('\n').pop();
    throw new AgentError(`pg_ctl start failed: ${why}`);
  }
  const t0 = performance.now();
  let seen: number | undefined;
  for (;;) {
    const lf = lockFile(c);
    if (lf && isClusterProcess(c, lf.pid)) {
      seen = lf.pid;
      const st = pmStatus(c);
      if (st === 'ready' || st === 'standby') return;
    } else if ((seen !== undefined || performance.now() - t0 > 1000) && clusterProcesses(c).length === 0) {
      // The postmaster it started is gone (or never appeared): the log says why.
      throw new AgentError(`pg_ctl start failed: ${logTail(c) || 'the server exited at start-up'}`);
    }
    if (left() < 500) throw new AgentError(`pg_ctl start: the server did not accept connections in time (${pmStatus(c) ?? 'no postmaster.pid'}): ${logTail(c)}`);
    await sleep(POLL_MS);
  }
}

/**
 * Stop in `mode` (pg_ctl stop -W sends the signal), then the agent's own
 * wait, polled every 10 ms, until the postmaster is gone, bounded by ms;
 * true when the server is gone.
 */
export async function pgStop(ctx: AgentContext, c: PgConfig, mode: 'fast' | 'immediate', ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  const r = await pgTool(ctx, c, 'pg_ctl', ['stop', '-W', '-m', mode, '-D', c.dataDir], Math.max(1000, ms));
  if (r.exitCode !== 0) ctx.log(`pg_ctl stop -m ${mode}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').pop()}`);
  for (;;) {
    const pid = postmasterPid(c);
    if (pid === undefined || !isClusterProcess(c, pid)) return true;
    if (performance.now() >= end) return false;
    await sleep(POLL_MS);
  }
}

/**
 * Escalation: fast, immediate, then SIGKILL to every process of the cluster
 * that runs here, waiting (within the budget) until they are gone.
 * `claim`: the data directory is this node's (online; a replica's own
 * directory): a postmaster.pid naming no process here is removed. Without
 * it (offline, clean) such a file is removed only when it names a postmaster
 * this engine saw running here.
 */
export async function stopAll(ctx: AgentContext, c: PgConfig, left: () => number, opts: { graceful?: boolean; claim?: boolean } = {}): Promise<void> {
  const lock = lockFile(c);
  const seen = seenHere.get(seenKey(ctx));
  // The postmaster.pid is not the one this engine saw here: another node holds the directory now (this
  // node froze across a takeover; pids repeat across nodes). Nothing is done through that file, and what
  // still runs here is SIGKILLed: a postmaster that shuts down, even "immediate", unlinks the lock file,
  // which is the new holder's.
  const foreign = !opts.claim && lock !== undefined && seen !== undefined && seen !== lock.identity;
  if (foreign) ctx.log(`${c.dataDir}/postmaster.pid (pid ${lock.pid}) is not the postmaster this node ran: its own processes are SIGKILLed, the file is left alone`);
  const pid = foreign ? undefined : lock?.pid;
  // A process of this directory with the file's pid but another start is not the file's postmaster (the pid repeats on another node).
  const notThatPostmaster = pid !== undefined && !opts.claim && !startsAsRecorded(pid, lock?.startedAt);
  let gone = pid === undefined || notThatPostmaster || !isClusterProcess(c, pid);
  if (!gone && opts.graceful) gone = await pgStop(ctx, c, 'fast', Math.max(1000, left() * 0.6));
  if (!gone) gone = await pgStop(ctx, c, 'immediate', Math.max(1000, Math.min(10_000, left() / 2)));
  await endClusterProcesses(ctx, c, left, foreign || notThatPostmaster);
  const stale = lockFile(c);
  if (stale !== undefined && !isClusterProcess(c, stale.pid) && clusterProcesses(c).length === 0) {
    if (opts.claim || seenHere.get(seenKey(ctx)) === stale.identity) {
      // Nothing uses the directory any more: the stale lock file only confuses the next monitor.
      unlinkSync(`${c.dataDir}/postmaster.pid`);
      ctx.log(`removed stale ${c.dataDir}/postmaster.pid of pid ${stale.pid}`);
    } else {
      ctx.log(`left ${c.dataDir}/postmaster.pid (pid ${stale.pid}) alone: no process of it runs here and this node never ran that postmaster (after a takeover it is the new holder's)`);
    }
  }
  removeStaleSocketLock(ctx, c);
}

/**
 * Ends what is left of the cluster on this node (backends of a killed
 * postmaster, a postmaster still exiting) through the one identity-checked
 * kill (src/system/end-processes.ts: SIGTERM, then SIGKILL, each only to the
 * process, pid and start time, found working in this data directory as
 * OsUser); waits until all are gone, within what is left of the budget.
 */
async function endClusterProcesses(ctx: AgentContext, c: PgConfig, left: () => number, killAtOnce = false): Promise<void> {
  const procs = clusterProcesses(c);
  if (procs.length === 0) return;
  ctx.log(`ending processes of ${c.dataDir} left behind: ${procs.map((p) => `${p} (${commOf(p)})`).join(', ')}${killAtOnce ? ' (SIGKILL at once)' : ''}`);
  const ids = identitiesOf(procs);
  if (killAtOnce) for (const id of ids) signalProcess(id, 'SIGKILL');
  else await endProcesses(ids, Math.min(500, Math.max(100, left() / 4)), ctx.log);
  // SIGKILLed but not gone yet (a process in uninterruptible I/O): waited for within the budget.
  let alive = ids.filter(isSameProcessRunning);
  while (alive.length > 0 && left() > 1000) {
    await sleep(20);
    alive = alive.filter(isSameProcessRunning);
  }
  if (alive.length > 0) throw new AgentError(`processes of ${c.dataDir} survive SIGKILL: ${alive.map((p) => p.pid).join(', ')}`);
}

/**
 * A killed postmaster leaves .s.PGSQL.PORT.lock behind; postgres checks it
 * with kill(pid, 0), which succeeds on a zombie that PID 1 has not reaped
 * yet, and then refuses to start. Removed when its pid is not running.
 */
export function removeStaleSocketLock(ctx: AgentContext, c: PgConfig): void {
  const dir = c.socketDir || '/var/run/postgresql';
  const lock = `${dir}/.s.PGSQL.${c.port}.lock`;
  let pid: number;
  try {
    pid = Number(readFileSync(lock, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || isRunning(pid)) return;
  for (const f of [lock, `${dir}/.s.PGSQL.${c.port}`]) {
    try {
      unlinkSync(f);
    } catch {
      /* already gone */
    }
  }
  ctx.log(`removed stale ${lock} of pid ${pid}`);
}

async function offline(ctx: AgentContext): Promise<void> {
  const c = pgConfig(ctx);
  const left = budget(ctx);
  const before = await observe(ctx);
  if (before.state === 'stopped') return;
  await stopAll(ctx, c, left, { graceful: true });
  const after = await observe(ctx);
  if (after.state === 'stopped' || nothingRunsHere(c)) return;
  throw new AgentError(`still ${after.state} after stop: ${after.reason}`);
}

/** No process of the data directory runs on this node (a postmaster.pid of another node's postmaster may be there). */
function nothingRunsHere(c: PgConfig): boolean {
  const pid = postmasterPid(c);
  return (pid === undefined || !isClusterProcess(c, pid)) && clusterProcesses(c).length === 0;
}

async function clean(ctx: AgentContext): Promise<void> {
  const c = pgConfig(ctx);
  await stopAll(ctx, c, budget(ctx));
}

export const postgresqlAgent: Agent = {
  type: 'PostgreSQL',
  attributes: postgresqlAttributes,
  observe,
  online,
  offline,
  clean,
};
