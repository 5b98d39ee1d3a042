// Process (basic application): one executable the engine starts itself.
//
// Identity: the pid and its start time (field 22 of /proc/PID/stat), kept in
// $MCCS_HOME/run/agents/<res>.json so that an engine restarted while the
// process runs finds it again. Without that file (lost, or the process was
// started by hand) the process is adopted by its exact executable path and
// arguments. Never a zombie, never the engine itself or its ancestors.
//
// The process is started detached (its own session, stdin /dev/null, stdout
// and stderr appended to $MCCS_HOME/log/<res>.out) so that it outlives the
// engine. While the engine that started it lives, it holds the child handle:
// the child's exit is seen at once and reported through onUnexpectedExit,
// not at the next monitor tick. A process adopted after a restart is not our
// child: its end is seen by observe() reading /proc at the monitor interval.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, openSync, closeSync, writeSync, statSync, fstatSync, readSync, readFileSync } from 'node:fs';
import { rm, readFile, mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { writeDurable } from '../../model/durable-file.js';
import { homePaths } from '../../model/home.js';
import { lookupUser } from '../../system/os-user.js';
import {
  isSameProcessRunning,
  processIdentity,
  readProcStat,
  readUids,
  signalProcess,
  signalSessionGroup,
  type ProcessIdentity,
} from '../../system/proc.js';
import { ProcessIndex } from '../../system/process-index.js';
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';
import { writeFailures } from '../write-failures.js';

export const processAttributes: AttributeDeclaration[] = [
  { name: 'Path', kind: 'string', editable: true, required: true, pattern: '^/', description: 'Absolute path of the executable (or #! script) to start; with Arguments, the identity by which a running process is adopted.' },
  { name: 'Arguments', kind: 'string[]', default: [], editable: true, description: 'Arguments passed to Path, one array element per argument (no shell, no splitting, no quoting).' },
  { name: 'StartupDirectory', kind: 'string', default: '/', pattern: '^/', editable: true, description: 'Working directory of the process.' },
  { name: 'ForcibleTermination', kind: 'boolean', default: true, editable: true, description: 'On offline, send SIGKILL when the process is still running StopGraceTime after SIGTERM; false: report the offline as failed instead.' },
  { name: 'User', kind: 'string', default: '', editable: true, description: 'OS user the process runs as (uid and primary gid from the passwd database, getent passwd: /etc/passwd or LDAP/SSSD through NSS; no supplementary groups). Empty: the engine user. When set, only processes of this user are adopted.' },
  { name: 'StopGraceTime', kind: 'number', default: 5, minimum: 0, maximum: 3600, unit: 's', editable: true, description: 'Time between SIGTERM and SIGKILL on offline (bounded by OfflineTimeout).' },
];

/** How long online watches a fresh process for an immediate exit (bad arguments, missing library) before it reports success. */
const START_SETTLE_MS = 20;
const POLL_MS = 20;
/** How long a SIGKILLed process is given to vanish, even past the budget. */
const KILL_SETTLE_MS = 500;

interface ProcessConfig {
  path: string;
  args: string[];
  cwd: string;
  forcible: boolean;
  user: string;
  graceMs: number;
}

/** What run/agents/<res>.json holds. */
interface StateRecord extends ProcessIdentity {
  path: string;
  args: string[];
  user: string;
  /** engine: started by an engine; adopted: found by path and arguments. */
  origin: 'engine' | 'adopted';
  recordedAt: string;
}

/** A child this engine started and still holds: its exit is reported at once. */
interface Tracked {
  id: ProcessIdentity;
  child: ChildProcess;
  /** true once offline or clean signalled it: its exit is not unexpected. */
  stopping: boolean;
  /** true once online returned: from then on an exit goes to onUnexpectedExit. */
  reported: boolean;
  exitReason?: string;
  exited: Promise<string>;
  notify?: (reason: string) => void;
}

function config(ctx: AgentContext): ProcessConfig {
  const a = ctx.attrs;
  const path = a.Path;
  if (typeof path !== 'string' || !isAbsolute(path)) throw new AgentError(`Path must be an absolute path (got ${JSON.stringify(path)})`);
  const args = a.Arguments ?? [];
  if (!Array.isArray(args) || !args.every((x) => typeof x === 'string')) throw new AgentError('Arguments must be an array of strings');
  const cwd = a.StartupDirectory ?? '/';
  if (typeof cwd !== 'string' || !isAbsolute(cwd)) throw new AgentError(`StartupDirectory must be an absolute path (got ${JSON.stringify(cwd)})`);
  const user = a.User ?? '';
  if (typeof user !== 'string') throw new AgentError('User must be a string');
  const grace = Number(a.StopGraceTime ?? 5);
  if (!Number.isFinite(grace) || grace < 0) throw new AgentError(`StopGraceTime must be a number of seconds >= 0 (got ${JSON.stringify(a.StopGraceTime)})`);
  if (!/^[A-Za-z0-9_.-]+$/.test(ctx.resName)) throw new AgentError(`resource name ${JSON.stringify(ctx.resName)} cannot name a state file`);
  return { path, args: args as string[], cwd, forcible: a.ForcibleTermination !== false, user, graceMs: grace * 1000 };
}

function uidOf(user: string): number | undefined {
  return user ? lookupUser(user).uid : undefined;
}

function statePath(ctx: AgentContext): string {
  return join(homePaths(ctx.home).agentStateDir, `${ctx.resName}.json`);
}

function outputPath(ctx: AgentContext): string {
  return join(homePaths(ctx.home).logDir, `${ctx.resName}.out`);
}

async function readStateFile(ctx: AgentContext): Promise<StateRecord | null> {
  let text: string;
  try {
    text = await readFile(statePath(ctx), 'utf8');
  } catch {
    return null;
  }
  try {
    const r = JSON.parse(text) as StateRecord;
    if (Number.isInteger(r.pid) && r.pid > 0 && Number.isFinite(r.startTime)) return r;
  } catch {
    // fall through
  }
  ctx.log(`${statePath(ctx)}: unreadable state file ignored`);
  return null;
}

/** Written durably (model/durable-file.ts): a crash leaves the old record or the new one, never half of one. */
async function writeStateFile(ctx: AgentContext, record: StateRecord): Promise<void> {
  const file = statePath(ctx);
  await mkdir(dirname(file), { recursive: true });
  await writeDurable(file, `${JSON.stringify(record)}\n`, 0o644);
}

async function removeStateFile(ctx: AgentContext): Promise<void> {
  await rm(statePath(ctx), { force: true });
}

/** Last non-empty line of the output file, for an exit reason an operator can act on. */
function lastOutputLine(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, 4096);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('--- mccs'));
    return (lines[lines.length - 1] ?? '').slice(0, 200);
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function describeExit(pid: number, code: number | null, signal: NodeJS.Signals | null, outFile: string): string {
  if (signal) return `process ${pid} killed by ${signal}`;
  const line = code === 0 ? '' : lastOutputLine(outFile);
  return `process ${pid} exited with code ${code ?? '?'}${line ? `: ${line}` : ''}`;
}

/** Environment of the process: not the engine's, so that it is the same under systemd and from a shell. */
function childEnv(ctx: AgentContext, user: string, home: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    MCCS_HOME: ctx.home,
    MCCS_RESNAME: ctx.resName,
    MCCS_GROUP: ctx.groupName,
    MCCS_NODE: ctx.nodeName,
  };
  for (const k of ['LANG', 'LC_ALL', 'TZ']) {
    const v = process.env[k];
    if (v) env[k] = v;
  }
  if (user) {
    env.USER = user;
    env.LOGNAME = user;
    if (home) env.HOME = home;
  } else {
    for (const k of ['HOME', 'USER', 'LOGNAME']) {
      const v = process.env[k];
      if (v) env[k] = v;
    }
  }
  return env;
}

/** The process carries MCCS_HOME (set by the engine that started it) and it is not `home`. Unreadable: not known to be another's. */
function startedByAnotherEngine(pid: number, home: string): boolean {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return false;
  }
  const entry = environ.split('\0').find((e) => e.startsWith('MCCS_HOME='));
  return entry !== undefined && entry.slice('MCCS_HOME='.length) !== home;
}

export interface ProcessAgentOptions {
  /** Where probes look for a process by path and arguments (tests give one with a counting reader). */
  index?: ProcessIndex;
}

/**
 * Builds a Process agent with its own table of started children. The engine
 * uses the one in the catalog; tests build a second one to play an engine
 * restarted with the same MCCS_HOME.
 */
export function createProcessAgent(options: ProcessAgentOptions = {}): Agent {
  const children = new Map<string, Tracked>();
  // One index of /proc for every Process resource of the engine: a probe of a
  // resource with no live recorded process (every offline probe) lists /proc
  // and reads only new processes and candidates, instead of every process
  // (process-index.ts says what stays exact).
  const index = options.index ?? new ProcessIndex();
  // The state file only has to survive an engine restart: in between, the
  // record is kept in memory so a monitor tick reads no file (less garbage on
  // the hot path with hundreds of resources).
  const records = new Map<string, StateRecord | null>();
  const readState = async (ctx: AgentContext): Promise<StateRecord | null> => {
    const file = statePath(ctx);
    if (records.has(file)) return records.get(file)!;
    const record = await readStateFile(ctx);
    records.set(file, record);
    return record;
  };
  // Records the disk refused (full MCCS_HOME): kept in memory, written again at a later monitor tick.
  const unsaved = new Set<string>();
  const save = async (ctx: AgentContext): Promise<void> => {
    const file = statePath(ctx);
    const record = records.get(file);
    try {
      if (record) await writeStateFile(ctx, record);
      else await removeStateFile(ctx);
      unsaved.delete(file);
    } catch (e) {
      unsaved.add(file);
      writeFailures.report('process agent state', e);
    }
  };
  const writeState = async (ctx: AgentContext, record: StateRecord): Promise<void> => {
    records.set(statePath(ctx), record);
    await save(ctx);
  };
  const removeState = async (ctx: AgentContext): Promise<void> => {
    records.set(statePath(ctx), null);
    await save(ctx);
  };
  const keyOf = (ctx: AgentContext) => `${ctx.home}\0${ctx.resName}`;

  /**
   * The record if it names a live process (pid and start time: no search);
   * else the oldest process matching path, arguments (and user).
   * `fresh`: every process is read again (before processes are signalled).
   */
  async function locate(ctx: AgentContext, cfg: ProcessConfig, fresh = false): Promise<{ record: StateRecord | null; live: ProcessIdentity[] }> {
    const record = await readState(ctx);
    if (record && isSameProcessRunning(record)) return { record, live: [record] };
    const uid = uidOf(cfg.user);
    // A process another engine started (its MCCS_HOME is another one: two engines on one host, as in a lab) is that engine's, never adopted here.
    const live = index.find({ path: cfg.path, args: cfg.args }, { fresh }).filter((p) => (uid === undefined || readUid(p.pid) === uid) && !startedByAnotherEngine(p.pid, ctx.home));
    return { record, live };
  }

  async function observe(ctx: AgentContext): Promise<Observation> {
    const cfg = config(ctx);
    if (unsaved.has(statePath(ctx))) await save(ctx);
    const tracked = children.get(keyOf(ctx));
    if (tracked && ctx.onUnexpectedExit) tracked.notify = ctx.onUnexpectedExit;
    const { record, live } = await locate(ctx, cfg);
    if (record && live[0] === record) return { state: 'running', reason: `pid ${record.pid}` };
    const found = live[0];
    if (found) {
      const more = live.length > 1 ? ` (+${live.length - 1} more matching)` : '';
      ctx.log(`${ctx.resName}: adopted pid ${found.pid} by path and arguments${record ? ` (recorded pid ${record.pid} is gone)` : ''}${more}`);
      await writeState(ctx, { ...found, path: cfg.path, args: cfg.args, user: cfg.user, origin: 'adopted', recordedAt: new Date().toISOString() });
      return { state: 'running', reason: `pid ${found.pid} (adopted by path and arguments)${more}` };
    }
    if (record) {
      // Started (by us or adopted) and not stopped by us: it went away on its own.
      const ours = tracked && tracked.id.pid === record.pid ? tracked : undefined;
      // Our own child seen dead in /proc before its exit event was handled: that event (code or signal) is due at once.
      if (ours && ours.exitReason === undefined) await Promise.race([ours.exited, new Promise((r) => setTimeout(r, 1000))]);
      const why = ours?.exitReason ?? `process ${record.pid} exited`;
      return { state: 'failed', reason: why };
    }
    return { state: 'stopped', reason: 'not running' };
  }

  async function online(ctx: AgentContext): Promise<void> {
    const cfg = config(ctx);
    const before = await observe(ctx);
    if (before.state === 'running') return;
    try {
      if (!statSync(cfg.cwd).isDirectory()) throw new Error('not a directory');
    } catch (e) {
      throw new AgentError(`StartupDirectory ${cfg.cwd}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let account: ReturnType<typeof lookupUser> | undefined;
    if (cfg.user) {
      try {
        account = lookupUser(cfg.user);
      } catch (e) {
        throw new AgentError((e as Error).message);
      }
    }
    const outFile = outputPath(ctx);
    // The output file is for the operator; a disk that refuses it does not stop the start.
    let out: number | 'ignore' = 'ignore';
    try {
      mkdirSync(dirname(outFile), { recursive: true });
      out = openSync(outFile, 'a', 0o640);
      writeSync(out, `--- mccs ${new Date().toISOString()} starting ${JSON.stringify([cfg.path, ...cfg.args])}${cfg.user ? ` as ${cfg.user}` : ''}\n`);
    } catch (e) {
      writeFailures.report('process output', e);
    }
    let child: ChildProcess;
    try {
      child = spawn(cfg.path, cfg.args, {
        cwd: cfg.cwd,
        env: childEnv(ctx, cfg.user, account?.home),
        // Own session and process group: outlives the engine, escapes its terminal signals.
        detached: true,
        stdio: ['ignore', out, out],
        uid: account?.uid,
        gid: account?.gid,
      });
      await once(child, 'spawn');
    } catch (e) {
      throw new AgentError(`cannot start ${cfg.path}${cfg.user ? ` as ${cfg.user}` : ''}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    } finally {
      if (out !== 'ignore') closeSync(out);
    }
    const pid = child.pid!;
    // Read while the child cannot have been reaped yet: Node reaps on its next event-loop turn.
    const id = processIdentity(pid) ?? { pid, startTime: -1 };
    child.unref();
    let resolveExit!: (reason: string) => void;
    const tracked: Tracked = {
      id,
      child,
      stopping: false,
      reported: false,
      exited: new Promise((r) => (resolveExit = r)),
      notify: ctx.onUnexpectedExit,
    };
    const key = keyOf(ctx);
    children.set(key, tracked);
    // Never let a late 'error' of the handle (there is none after spawn today) take the engine down.
    child.on('error', (e) => ctx.log(`${ctx.resName}: pid ${pid}: ${e.message}`));
    child.on('exit', (code, signal) => {
      const reason = describeExit(pid, code, signal, outFile);
      tracked.exitReason = reason;
      resolveExit(reason);
      if (tracked.stopping || !tracked.reported) return;
      ctx.log(`${ctx.resName}: ${reason}`);
      tracked.notify?.(reason);
    });
    await writeState(ctx, { ...id, path: cfg.path, args: cfg.args, user: cfg.user, origin: 'engine', recordedAt: new Date().toISOString() });
    const early = await Promise.race([tracked.exited, sleep(Math.max(0, Math.min(START_SETTLE_MS, ctx.deadline / 10))).then(() => null)]);
    if (early !== null || !isSameProcessRunning(id)) {
      children.delete(key);
      await removeState(ctx);
      throw new AgentError(early ?? `process ${pid} exited right after start`);
    }
    tracked.reported = true;
    ctx.log(`${ctx.resName}: started pid ${pid}${cfg.user ? ` as ${cfg.user}` : ''}, output in ${outFile}`);
  }

  /** Every process that is this resource now: the recorded one and any exact path+arguments match. */
  async function targets(ctx: AgentContext, cfg: ProcessConfig): Promise<ProcessIdentity[]> {
    const { record, live } = await locate(ctx, cfg, true);
    const all = [...live];
    if (record && live[0] === record) {
      const uid = uidOf(cfg.user);
      for (const p of index.find({ path: cfg.path, args: cfg.args }, { fresh: true })) {
        if (p.pid !== record.pid && (uid === undefined || readUid(p.pid) === uid)) all.push(p);
      }
    }
    return all;
  }

  function markStopping(ctx: AgentContext): void {
    const tracked = children.get(keyOf(ctx));
    if (tracked) tracked.stopping = true;
  }

  async function forget(ctx: AgentContext): Promise<void> {
    children.delete(keyOf(ctx));
    await removeState(ctx);
  }

  async function offline(ctx: AgentContext): Promise<void> {
    const cfg = config(ctx);
    const endAt = Date.now() + ctx.deadline;
    const procs = await targets(ctx, cfg);
    if (procs.length === 0) {
      await forget(ctx);
      return;
    }
    markStopping(ctx);
    const pids = procs.map((p) => p.pid).join(', ');
    for (const p of procs) signalProcess(p, 'SIGTERM');
    ctx.log(`${ctx.resName}: SIGTERM sent to pid ${pids}`);
    // Keep a little of the budget for SIGKILL when it may follow.
    const reserve = cfg.forcible ? Math.min(1000, ctx.deadline / 4) : 0;
    const graceEnd = Math.min(Date.now() + cfg.graceMs, endAt - reserve);
    if (await waitGone(procs, graceEnd, ctx.signal)) {
      await forget(ctx);
      return;
    }
    const left = procs.filter(isSameProcessRunning);
    const leftPids = left.map((p) => p.pid).join(', ');
    if (!cfg.forcible) {
      throw new AgentError(`process ${leftPids} still running ${(cfg.graceMs / 1000).toFixed(1)} s after SIGTERM (ForcibleTermination is false)`);
    }
    for (const p of left) {
      signalSessionGroup(p, 'SIGKILL');
      signalProcess(p, 'SIGKILL');
    }
    ctx.log(`${ctx.resName}: pid ${leftPids} ignored SIGTERM for ${cfg.graceMs / 1000} s: SIGKILL sent`);
    // SIGKILL takes effect at once unless the process is stuck in the kernel: allow a moment even past the budget.
    if (await waitGone(left, Math.max(endAt, Date.now() + KILL_SETTLE_MS))) {
      await forget(ctx);
      return;
    }
    throw new AgentError(`process ${describeStuck(left)} still running after SIGKILL`);
  }

  async function clean(ctx: AgentContext): Promise<void> {
    const cfg = config(ctx);
    const endAt = Date.now() + ctx.deadline;
    const procs = await targets(ctx, cfg);
    markStopping(ctx);
    for (const p of procs) {
      // A process we started leads its own session: its whole group goes, helpers included.
      signalSessionGroup(p, 'SIGKILL');
      signalProcess(p, 'SIGKILL');
    }
    if (procs.length > 0) ctx.log(`${ctx.resName}: SIGKILL sent to pid ${procs.map((p) => p.pid).join(', ')}`);
    if (!(await waitGone(procs, Math.max(endAt, Date.now() + KILL_SETTLE_MS)))) {
      throw new AgentError(`process ${describeStuck(procs.filter(isSameProcessRunning))} still running after SIGKILL`);
    }
    await forget(ctx);
  }

  return {
    type: 'Process',
    attributes: processAttributes,
    observe,
    online,
    offline,
    clean,
  };
}

function readUid(pid: number): number | undefined {
  return readUids(pid)?.effective;
}

/** "1234 (state D)": a process that survives SIGKILL is usually stuck in the kernel. */
function describeStuck(procs: ProcessIdentity[]): string {
  return procs.map((p) => `${p.pid} (state ${readProcStat(p.pid)?.state ?? '?'})`).join(', ');
}

/** Polls /proc until none of the processes runs (a zombie counts as gone); false at `until` or on abort. */
async function waitGone(procs: ProcessIdentity[], until: number, signal?: AbortSignal): Promise<boolean> {
  for (;;) {
    if (!procs.some(isSameProcessRunning)) return true;
    if (Date.now() >= until || signal?.aborted) return false;
    await sleep(Math.max(1, Math.min(POLL_MS, until - Date.now())));
  }
}

export const processAgent: Agent = createProcessAgent();
