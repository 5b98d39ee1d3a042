// Application (complex application): the operator's own start, stop and
// monitor programs, plus a list of processes that must be running.
//
// Programs are argument arrays, [program, arg…], run through the runner with
// no shell: ["/opt/app/bin/ctl", "start"]. The program must be an absolute
// path. A plain string is taken as a program path with no arguments (it is
// never split on spaces).
//
// MonitorProgram exit-code contract (also in docs/agents.md):
//   0, 110          running          (110: VCS "online")
//   1, 3, 7, 100    cleanly stopped  (3: LSB status "not running", 7: OCF_NOT_RUNNING, 100: VCS "offline")
//   anything else   failed; the reason is the first non-empty line of stderr,
//                   else of stdout, else "MonitorProgram exited with code N"
//   no exit within  a monitor timeout (the engine counts those against
//   MonitorTimeout  FaultOnMonitorTimeouts): observe() throws, it does not guess
//
// MonitorProcesses rule: each entry is a complete command line exactly as
// `ps -o args` shows it, that is the process's argv joined by single spaces
// ("/usr/sbin/nginx -c /etc/nginx/nginx.conf"); an entry matches a process
// whose argv joined by single spaces is that string, nothing more, nothing
// less. When User is set, only processes whose effective uid is that user's
// count. Zombies and the engine itself never count.
//
// The resource is running when every MonitorProcesses entry matches a process
// and MonitorProgram (if any) says running; stopped when no entry matches and
// MonitorProgram (if any) says stopped; anything in between is failed, with
// the one-line reason of what disagrees.
import { isAbsolute } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { lookupUser } from '../../system/os-user.js';
import type { RunResult } from '../runner.js';
import { findByCommandLine, isSameProcessRunning, signalProcess, type ProcessIdentity } from '../../system/proc.js';
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';

export const applicationAttributes: AttributeDeclaration[] = [
  { name: 'StartProgram', kind: 'program', editable: true, required: true, description: 'Program that starts the application: one absolute executable path as a string, or [absolute program path, arg…] for arguments (never a shell line). It must exit when the start is launched; a daemon it leaves behind must not keep its stdout/stderr open.' },
  { name: 'StopProgram', kind: 'program', default: [], editable: true, description: 'Program that stops the application: one absolute executable path, or [absolute program path, arg…]. Empty: offline sends SIGTERM, then SIGKILL, to the MonitorProcesses.' },
  { name: 'MonitorProgram', kind: 'program', default: [], editable: true, description: 'Program that checks the application: one absolute executable path, or [absolute program path, arg…]: exit 0 or 110 running; 1, 3, 7 or 100 stopped; any other code failed (first line of stderr is the reason).' },
  { name: 'MonitorProcesses', kind: 'string[]', default: [], editable: true, description: 'Command lines that must all be running, each exactly as `ps -o args` shows it (argv joined by single spaces). With User set, only that user\'s processes count.' },
  { name: 'User', kind: 'string', default: '', editable: true, description: 'OS user the programs run as, and whose processes MonitorProcesses matches. Empty: the engine user.' },
  { name: 'StopGraceTime', kind: 'number', default: 5, minimum: 0, maximum: 3600, unit: 's', editable: true, description: 'On offline, time MonitorProcesses still running after StopProgram get between SIGTERM and SIGKILL.' },
];

export const MONITOR_RUNNING_CODES: ReadonlySet<number> = new Set([0, 110]);
export const MONITOR_STOPPED_CODES: ReadonlySet<number> = new Set([1, 3, 7, 100]);

type Program = [string, ...string[]];

interface ApplicationConfig {
  start: Program;
  stop: Program | null;
  monitor: Program | null;
  processes: string[];
  user: string;
  uid: number | undefined;
  graceMs: number;
  monitorTimeoutMs: number;
}

function program(name: string, value: unknown, problems: string[]): Program | null {
  if (value === undefined || value === null || value === '') return null;
  // A string is one executable path, never a command line: no shell, no splitting.
  if (typeof value === 'string' && /\s/.test(value.trim())) {
    problems.push(`${name} is one executable path, not a command line (got ${JSON.stringify(value)}): give arguments in the array form ["/path/program", "arg", …]`);
    return null;
  }
  const list = typeof value === 'string' ? [value.trim()] : value;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
    problems.push(`${name} must be an executable path or an array of strings [program, arg…]`);
    return null;
  }
  if (list.length === 0) return null;
  if (!isAbsolute(list[0]!)) {
    problems.push(`${name}: the program must be an absolute path (got ${JSON.stringify(list[0])})`);
    return null;
  }
  return list as Program;
}

/** Every problem of an Application's attributes (beyond what the schema checks), for config validation. */
export function applicationProblems(attrs: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const start = program('StartProgram', attrs.StartProgram, problems);
  program('StopProgram', attrs.StopProgram, problems);
  const monitor = program('MonitorProgram', attrs.MonitorProgram, problems);
  const procs = attrs.MonitorProcesses ?? [];
  if (!Array.isArray(procs) || !procs.every((x) => typeof x === 'string' && x.trim() !== '')) {
    problems.push('MonitorProcesses must be an array of non-empty command lines');
  }
  if (!start && !problems.some((p) => p.startsWith('StartProgram'))) problems.push('StartProgram is required');
  if (!monitor && Array.isArray(procs) && procs.length === 0 && !problems.some((p) => p.startsWith('MonitorProgram'))) {
    problems.push('MonitorProgram or MonitorProcesses is required: nothing would tell whether the application runs');
  }
  return problems;
}

function config(ctx: AgentContext): ApplicationConfig {
  const a = ctx.attrs;
  const problems = applicationProblems(a);
  const user = typeof a.User === 'string' ? a.User : '';
  let uid: number | undefined;
  if (user) {
    try {
      uid = lookupUser(user).uid;
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  const grace = Number(a.StopGraceTime ?? 5);
  if (!Number.isFinite(grace) || grace < 0) problems.push(`StopGraceTime must be a number of seconds >= 0 (got ${JSON.stringify(a.StopGraceTime)})`);
  if (problems.length > 0) throw new AgentError(problems.join('; '));
  const ignore: string[] = [];
  const monitorTimeout = Number(a.MonitorTimeout ?? 10);
  return {
    start: program('StartProgram', a.StartProgram, ignore)!,
    stop: program('StopProgram', a.StopProgram, ignore),
    monitor: program('MonitorProgram', a.MonitorProgram, ignore),
    processes: (a.MonitorProcesses as string[] | undefined) ?? [],
    user,
    uid,
    graceMs: grace * 1000,
    monitorTimeoutMs: Number.isFinite(monitorTimeout) && monitorTimeout > 0 ? monitorTimeout * 1000 : 10_000,
  };
}

function firstLine(text: string): string {
  return (text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '').slice(0, 200);
}

function describe(what: string, r: RunResult): string {
  const line = firstLine(r.stderr) || firstLine(r.stdout);
  return `${what} exited with code ${r.exitCode}${line ? `: ${line}` : ''}`;
}

/** The budget left, as a context for one step. */
function within(ctx: AgentContext, endAt: number, capMs = Infinity): AgentContext {
  return { ...ctx, deadline: Math.max(0, Math.min(capMs, endAt - Date.now())) };
}

async function runProgram(ctx: AgentContext, cfg: ApplicationConfig, what: string, prog: Program): Promise<RunResult> {
  try {
    return await ctx.runner.run(prog[0], prog.slice(1), {
      timeoutMs: Math.max(1, ctx.deadline),
      user: cfg.user || undefined,
      cwd: '/',
      env: { MCCS_HOME: ctx.home, MCCS_RESNAME: ctx.resName, MCCS_GROUP: ctx.groupName, MCCS_NODE: ctx.nodeName },
      signal: ctx.signal,
    });
  } catch (e) {
    throw new AgentError(`${what}: ${(e as Error).message}`);
  }
}

/** MonitorProgram's verdict, by the exit-code contract at the top of this file. */
async function runMonitor(ctx: AgentContext, cfg: ApplicationConfig, monitor: Program): Promise<Observation> {
  let r: RunResult;
  try {
    r = await runProgram(ctx, cfg, 'MonitorProgram', monitor);
  } catch (e) {
    return { state: 'failed', reason: (e as Error).message };
  }
  if (r.timedOut) throw new AgentError(`MonitorProgram timed out after ${(ctx.deadline / 1000).toFixed(1)} s`);
  if (MONITOR_RUNNING_CODES.has(r.exitCode)) return { state: 'running', reason: firstLine(r.stdout) || `MonitorProgram exited with code ${r.exitCode}` };
  if (MONITOR_STOPPED_CODES.has(r.exitCode)) return { state: 'stopped', reason: firstLine(r.stdout) || firstLine(r.stderr) || `MonitorProgram exited with code ${r.exitCode}` };
  return { state: 'failed', reason: describe('MonitorProgram', r) };
}

interface ProcessScan {
  present: Map<string, ProcessIdentity[]>;
  missing: string[];
}

function scanProcesses(cfg: ApplicationConfig): ProcessScan {
  const present = new Map<string, ProcessIdentity[]>();
  const missing: string[] = [];
  for (const line of cfg.processes) {
    const found = findByCommandLine(line, cfg.uid);
    if (found.length > 0) present.set(line, found);
    else missing.push(line);
  }
  return { present, missing };
}

function listProcs(scan: ProcessScan): string {
  return [...scan.present].map(([line, ids]) => `${line} (pid ${ids.map((i) => i.pid).join(', ')})`).join('; ');
}

async function observeWith(ctx: AgentContext, cfg: ApplicationConfig): Promise<Observation> {
  const scan = scanProcesses(cfg);
  const verdict = cfg.monitor ? await runMonitor(within(ctx, Date.now() + ctx.deadline, cfg.monitorTimeoutMs), cfg, cfg.monitor) : null;
  if (verdict?.state === 'failed') return verdict;
  const total = cfg.processes.length;
  const procState = total === 0 ? null : scan.missing.length === 0 ? 'running' : scan.present.size === 0 ? 'stopped' : 'partial';
  if (verdict === null || verdict.state === 'running') {
    if (procState === null || procState === 'running') {
      const why = [verdict?.reason, total > 0 ? `${total} MonitorProcesses running` : ''].filter(Boolean).join('; ');
      return { state: 'running', reason: why };
    }
    if (procState === 'stopped' && verdict === null) return { state: 'stopped', reason: 'no MonitorProcesses running' };
    const lead = verdict ? 'MonitorProgram says running but ' : '';
    return { state: 'failed', reason: `${lead}not running: ${scan.missing.join('; ')}` };
  }
  // MonitorProgram says cleanly stopped.
  if (procState === null || procState === 'stopped') return { state: 'stopped', reason: verdict.reason };
  return { state: 'failed', reason: `MonitorProgram says stopped but still running: ${listProcs(scan)}` };
}

/**
 * Observes at once, then polls until `want` or until `pollUntil` (0: observe
 * once); each observation gets MonitorTimeout, bounded by the operation's end
 * `opEnd`. Returns the last verdict; an observation that timed out (the budget
 * ran out under it) does not replace an earlier verdict, `previous` included.
 */
async function waitFor(
  ctx: AgentContext,
  cfg: ApplicationConfig,
  want: Observation['state'],
  pollUntil: number,
  opEnd: number,
  previous?: Observation,
): Promise<Observation> {
  let pause = 100;
  let last: Observation | undefined = previous;
  const endAt = Math.min(pollUntil, opEnd);
  for (;;) {
    try {
      last = await observeWith(within(ctx, Math.max(opEnd, Date.now() + 50), cfg.monitorTimeoutMs), cfg);
    } catch (e) {
      last ??= { state: 'failed', reason: (e as Error).message };
    }
    if (last.state === want || Date.now() >= endAt || ctx.signal.aborted) return last;
    await sleep(Math.max(1, Math.min(pause, endAt - Date.now())));
    pause = Math.min(pause * 2, 1000);
  }
}

/** SIGTERM, then SIGKILL after graceMs, to every MonitorProcesses match. Returns how many were killed with SIGKILL. */
async function killProcesses(ctx: AgentContext, cfg: ApplicationConfig, graceMs: number): Promise<number> {
  const procs = [...scanProcesses(cfg).present.values()].flat();
  if (procs.length === 0) return 0;
  const first: NodeJS.Signals = graceMs > 0 ? 'SIGTERM' : 'SIGKILL';
  for (const p of procs) signalProcess(p, first);
  ctx.log(`${ctx.resName}: ${first} sent to pid ${procs.map((p) => p.pid).join(', ')}`);
  if (graceMs > 0 && (await gone(procs, Date.now() + graceMs))) return 0;
  const left = procs.filter(isSameProcessRunning);
  if (left.length === 0) return 0;
  if (first === 'SIGTERM') {
    for (const p of left) signalProcess(p, 'SIGKILL');
    ctx.log(`${ctx.resName}: SIGKILL sent to pid ${left.map((p) => p.pid).join(', ')}`);
  }
  await gone(left, Date.now() + 500);
  return left.length;
}

async function gone(procs: ProcessIdentity[], until: number): Promise<boolean> {
  for (;;) {
    if (!procs.some(isSameProcessRunning)) return true;
    if (Date.now() >= until) return false;
    await sleep(20);
  }
}

export const applicationAgent: Agent = {
  type: 'Application',
  attributes: applicationAttributes,

  async observe(ctx) {
    return observeWith(ctx, config(ctx));
  },

  async online(ctx) {
    const cfg = config(ctx);
    const endAt = Date.now() + ctx.deadline;
    // Straight observe: a monitor timeout here fails the online rather than risk a second instance.
    const before = await observeWith(within(ctx, endAt, cfg.monitorTimeoutMs), cfg);
    if (before.state === 'running') return;
    const r = await runProgram(within(ctx, endAt), cfg, 'StartProgram', cfg.start);
    if (r.timedOut) throw new AgentError('StartProgram did not exit within the online timeout (a daemon it started may hold its stdout/stderr open)');
    if (r.exitCode !== 0) throw new AgentError(describe('StartProgram', r));
    const after = await waitFor(ctx, cfg, 'running', endAt, endAt, before);
    if (after.state !== 'running') throw new AgentError(`not running after StartProgram: ${after.reason}`);
    ctx.log(`${ctx.resName}: online (${after.reason})`);
  },

  async offline(ctx) {
    const cfg = config(ctx);
    const endAt = Date.now() + ctx.deadline;
    let seen = await waitFor(ctx, cfg, 'stopped', 0, endAt);
    if (seen.state === 'stopped') return;
    // Keep enough of the budget to kill the MonitorProcesses if StopProgram is not enough.
    const reserve = cfg.processes.length > 0 ? Math.min(cfg.graceMs + 1000, ctx.deadline / 2) : 0;
    let stopFailed = '';
    if (cfg.stop) {
      const r = await runProgram(within(ctx, endAt - reserve), cfg, 'StopProgram', cfg.stop);
      if (r.timedOut) stopFailed = 'StopProgram timed out';
      else if (r.exitCode !== 0) stopFailed = describe('StopProgram', r);
      if (stopFailed) ctx.log(`${ctx.resName}: ${stopFailed}`);
      // A failed StopProgram with processes to kill: go straight to killing them.
      const waitUntil = stopFailed && cfg.processes.length > 0 ? 0 : endAt - reserve;
      seen = await waitFor(ctx, cfg, 'stopped', waitUntil, endAt, seen);
      if (seen.state === 'stopped') return;
    }
    const killed = await killProcesses(ctx, cfg, Math.max(0, Math.min(cfg.graceMs, endAt - Date.now() - 500)));
    const settle = Math.max(endAt, Date.now() + 200);
    const last = await waitFor(ctx, cfg, 'stopped', settle, settle, seen);
    if (last.state === 'stopped') return;
    const steps = [cfg.stop ? (stopFailed || 'StopProgram') : '', cfg.processes.length > 0 ? (killed > 0 ? 'SIGKILL' : 'SIGTERM') : ''].filter(Boolean).join(', ');
    throw new AgentError(`still not stopped after ${steps || 'nothing to stop it with'}: ${last.reason}`);
  },

  async clean(ctx) {
    const cfg = config(ctx);
    const endAt = Date.now() + ctx.deadline;
    await killProcesses(ctx, cfg, 0);
    let last = await waitFor(ctx, cfg, 'stopped', 0, endAt);
    if (last.state !== 'stopped' && cfg.stop) {
      // Nothing left to kill, or killing was not enough: the operator's StopProgram is all there is.
      const r = await runProgram(within(ctx, endAt), cfg, 'StopProgram', cfg.stop);
      if (r.exitCode !== 0) ctx.log(`${ctx.resName}: ${r.timedOut ? 'StopProgram timed out' : describe('StopProgram', r)}`);
      last = await waitFor(ctx, cfg, 'stopped', endAt, endAt, last);
    }
    if (last.state !== 'stopped') throw new AgentError(`clean could not stop it: ${last.reason}`);
  },
};
