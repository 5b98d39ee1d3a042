// Oracle and OracleListener: an Oracle instance through `sqlplus -S
// "/ as sysdba"` and its listener through `lsnrctl`, both run as the Oracle
// OS user with ORACLE_HOME and ORACLE_SID set. SQL goes to sqlplus on stdin,
// never on its command line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';
import type { RunResult } from '../runner.js';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { lookupUser } from '../../system/os-user.js';
import { absolutePath, attrBool, attrString } from './toolkit/attributes.js';
import { budget } from './toolkit/budget.js';
import { identitiesOf } from '../../system/end-processes.js';
import { commOf, isRunning, processIdentity, signalProcess } from '../../system/proc.js';

const NOT_DEBIAN = 'Oracle Database is not a Debian package: check OracleHome';

interface OracleEnv {
  home: string;
  user: string;
  env: Record<string, string>;
}

function oracleEnv(ctx: AgentContext, sid?: string): OracleEnv {
  const home = absolutePath(ctx, 'OracleHome');
  const user = attrString(ctx, 'OracleUser') || 'oracle';
  try {
    lookupUser(user);
  } catch {
    throw new AgentError(`OracleUser ${user} does not exist on this node`);
  }
  const env: Record<string, string> = {
    ORACLE_HOME: home,
    PATH: `${home}/bin:${process.env.PATH ?? '/usr/bin:/bin'}`,
    LD_LIBRARY_PATH: `${home}/lib`,
  };
  if (sid !== undefined) env.ORACLE_SID = sid;
  return { home, user, env };
}

async function oracleTool(ctx: AgentContext, o: OracleEnv, tool: string, args: string[], input?: string, timeoutMs?: number): Promise<RunResult> {
  const path = `${o.home}/bin/${tool}`;
  if (!existsSync(path)) throw new AgentError(`${path} not found (${NOT_DEBIAN})`);
  try {
    return await ctx.runner.run(path, args, {
      user: o.user,
      env: o.env,
      input,
      signal: ctx.signal,
      timeoutMs: timeoutMs ?? Math.max(1000, ctx.deadline),
    });
  } catch (e) {
    throw new AgentError(`cannot run ${path} as ${o.user}: ${(e as Error).message}`);
  }
}

/** The ORA-/TNS-/LRM- lines of an output, joined, for a one-line reason. */
export function oracleErrors(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(ORA|TNS|LRM|SP2)-\d+/.test(l))
    .join('; ');
}

// ---------------------------------------------------------------- Oracle

const oracleAttributes: AttributeDeclaration[] = [
  { name: 'OracleHome', kind: 'string', editable: true, required: true, description: 'ORACLE_HOME of the database software ($ORACLE_HOME/bin/sqlplus is run).' },
  { name: 'OracleUser', kind: 'string', default: 'oracle', editable: true, description: 'OS user that owns the Oracle software; sqlplus runs as this user.' },
  { name: 'SID', kind: 'string', editable: true, required: true, pattern: '^[A-Za-z][A-Za-z0-9_$#]{0,63}$', description: 'ORACLE_SID of the instance.' },
  { name: 'ShutdownOption', kind: 'enum', values: ['Immediate', 'Abort', 'AbortAtTimeout'], default: 'Immediate', editable: true, description: 'Offline: shutdown immediate; shutdown abort; or shutdown immediate, then shutdown abort when half of OfflineTimeout has passed.' },
  { name: 'DoQuery', kind: 'boolean', default: true, editable: true, description: 'Besides the instance status (v$instance), the monitor runs a query that needs the open database (dba_tablespaces).' },
  { name: 'FaultOnQueryFailure', kind: 'boolean', default: false, editable: true, description: 'A failing DoQuery query makes the monitor report failed; false: a warning is logged and the instance still counts as running.' },
];

function sid(ctx: AgentContext): string {
  const s = attrString(ctx, 'SID');
  if (!s) throw new AgentError('SID is not set: set the ORACLE_SID of the instance');
  if (!/^[A-Za-z][A-Za-z0-9_$#]{0,63}$/.test(s)) throw new AgentError(`SID '${s}' is not an Oracle SID`);
  return s;
}

const SQLPLUS_ARGS = ['-S', '/ as sysdba'];

async function sqlplus(ctx: AgentContext, o: OracleEnv, script: string, timeoutMs?: number): Promise<RunResult> {
  return oracleTool(ctx, o, 'sqlplus', SQLPLUS_ARGS, `${script}\nexit\n`, timeoutMs);
}

async function oracleObserve(ctx: AgentContext): Promise<Observation> {
  const s = sid(ctx);
  const o = oracleEnv(ctx, s);
  const r = await sqlplus(ctx, o, 'set heading off feedback off pagesize 0 verify off echo off\nselect status from v$instance;');
  const out = r.stdout + '\n' + r.stderr;
  // ORA-01034 ORACLE not available: no instance (connected to an idle instance).
  if (/ORA-01034/.test(out)) return { state: 'stopped', reason: `instance ${s} is not started` };
  const errors = oracleErrors(out);
  if (errors) return { state: 'failed', reason: `instance ${s}: ${errors}` };
  const status = out.split('\n').map((l) => l.trim()).find((l) => /^(OPEN|MOUNTED|STARTED|OPEN MIGRATE)$/.test(l));
  if (!status) return { state: 'failed', reason: `instance ${s}: unexpected sqlplus output: ${out.trim().slice(0, 100)}` };
  if (status !== 'OPEN') return { state: 'failed', reason: `instance ${s} is ${status}, not OPEN` };
  if (attrBool(ctx, 'DoQuery', true)) {
    const q = await sqlplus(ctx, o, 'set heading off feedback off pagesize 0\nselect count(*) from dba_tablespaces;');
    const qerr = oracleErrors(q.stdout + '\n' + q.stderr);
    if (qerr) {
      if (attrBool(ctx, 'FaultOnQueryFailure', false)) return { state: 'failed', reason: `instance ${s} is OPEN but a query fails: ${qerr}` };
      ctx.log(`warning: ${ctx.resName}: instance ${s} is OPEN but a query fails: ${qerr}`);
    }
  }
  return { state: 'running', reason: `instance ${s} OPEN` };
}

async function oracleOnline(ctx: AgentContext): Promise<void> {
  const s = sid(ctx);
  const o = oracleEnv(ctx, s);
  const before = await oracleObserve(ctx);
  if (before.state === 'running') return;
  if (!['spfile', 'init'].some((p) => existsSync(`${o.home}/dbs/${p}${s}.ora`))) {
    throw new AgentError(`no parameter file for SID ${s} in ${o.home}/dbs (spfile${s}.ora or init${s}.ora): is the SID right?`);
  }
  // An instance left STARTED/MOUNTED (or hung) is restarted from scratch.
  const script = before.state === 'failed' ? 'startup force' : 'startup';
  const r = await sqlplus(ctx, o, script);
  const out = r.stdout + '\n' + r.stderr;
  const errors = oracleErrors(out);
  if (errors || !/Database opened\./.test(out)) throw new AgentError(`startup of ${s} failed: ${errors || out.trim().slice(0, 160)}`);
  const after = await oracleObserve(ctx);
  if (after.state !== 'running') throw new AgentError(`after startup: ${after.reason}`);
}

async function shutdown(ctx: AgentContext, o: OracleEnv, mode: 'immediate' | 'abort', timeoutMs: number): Promise<RunResult> {
  return sqlplus(ctx, o, `shutdown ${mode}`, timeoutMs);
}

async function oracleOffline(ctx: AgentContext): Promise<void> {
  const s = sid(ctx);
  const o = oracleEnv(ctx, s);
  const left = budget(ctx);
  if ((await oracleObserve(ctx)).state === 'stopped') return;
  const opt = attrString(ctx, 'ShutdownOption') || 'Immediate';
  if (!['Immediate', 'Abort', 'AbortAtTimeout'].includes(opt)) throw new AgentError(`ShutdownOption must be Immediate, Abort or AbortAtTimeout, not '${opt}'`);
  if (opt === 'Abort') {
    await shutdown(ctx, o, 'abort', Math.max(1000, left()));
  } else {
    const r = await shutdown(ctx, o, 'immediate', Math.max(1000, opt === 'AbortAtTimeout' ? left() / 2 : left()));
    if (r.timedOut && opt === 'AbortAtTimeout') {
      ctx.log(`shutdown immediate of ${s} did not finish in time: shutdown abort`);
      await shutdown(ctx, o, 'abort', Math.max(1000, left()));
    }
  }
  const after = await oracleObserve(ctx);
  if (after.state !== 'stopped') throw new AgentError(`instance ${s} still ${after.state} after shutdown: ${after.reason}`);
}

/** Oracle background processes of an instance are named ora_<name>_<SID>. */
function instanceProcesses(s: string): number[] {
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0')[0] ?? '';
    } catch {
      continue;
    }
    if (new RegExp(`^ora_[a-z0-9]+_${s.replace(/[$#]/g, '\\$&')}$`).test(cmd) && isRunning(Number(n))) out.push(Number(n));
  }
  return out;
}

async function oracleClean(ctx: AgentContext): Promise<void> {
  const s = sid(ctx);
  const o = oracleEnv(ctx, s);
  const left = budget(ctx);
  const r = await shutdown(ctx, o, 'abort', Math.max(1000, left() / 2));
  if (r.timedOut) ctx.log(`shutdown abort of ${s} timed out`);
  const procs = instanceProcesses(s);
  if (procs.length > 0) {
    ctx.log(`SIGKILL to the background processes of ${s} left after shutdown abort: ${procs.map((p) => `${p} (${commOf(p)})`).join(', ')}`);
    for (const id of identitiesOf(procs)) signalProcess(id, 'SIGKILL');
  }
}

export const oracleAgent: Agent = {
  type: 'Oracle',
  attributes: oracleAttributes,
  observe: oracleObserve,
  online: oracleOnline,
  offline: oracleOffline,
  clean: oracleClean,
};

// ---------------------------------------------------------------- OracleListener

const listenerAttributes: AttributeDeclaration[] = [
  { name: 'OracleHome', kind: 'string', editable: true, required: true, description: 'ORACLE_HOME of the listener ($ORACLE_HOME/bin/lsnrctl is run).' },
  { name: 'OracleUser', kind: 'string', default: 'oracle', editable: true, description: 'OS user that owns the Oracle software; lsnrctl runs as this user.' },
  { name: 'ListenerName', kind: 'string', default: 'LISTENER', pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$', editable: true, description: 'Name of the listener in listener.ora.' },
];

function listenerName(ctx: AgentContext): string {
  const n = attrString(ctx, 'ListenerName') || 'LISTENER';
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(n)) throw new AgentError(`ListenerName '${n}' is not a listener name`);
  return n;
}

async function lsnrctl(ctx: AgentContext, verb: string, timeoutMs?: number): Promise<RunResult> {
  return oracleTool(ctx, oracleEnv(ctx), 'lsnrctl', [verb, listenerName(ctx)], undefined, timeoutMs);
}

const OK = /The command completed successfully/;

async function listenerObserve(ctx: AgentContext): Promise<Observation> {
  const name = listenerName(ctx);
  const r = await lsnrctl(ctx, 'status');
  const out = r.stdout + '\n' + r.stderr;
  if (r.exitCode === 0 && OK.test(out)) return { state: 'running', reason: `listener ${name} up` };
  // TNS-12541 TNS:no listener / TNS-12560 / TNS-00511: nothing listens.
  if (/TNS-(12541|00511)/.test(out)) return { state: 'stopped', reason: `listener ${name} not running` };
  return { state: 'failed', reason: `lsnrctl status ${name}: ${oracleErrors(out) || out.trim().split('\n').pop()}` };
}

async function listenerOnline(ctx: AgentContext): Promise<void> {
  const name = listenerName(ctx);
  if ((await listenerObserve(ctx)).state === 'running') return;
  const r = await lsnrctl(ctx, 'start');
  const out = r.stdout + '\n' + r.stderr;
  if (r.exitCode !== 0 || !OK.test(out)) throw new AgentError(`lsnrctl start ${name} failed: ${oracleErrors(out) || out.trim().slice(0, 160)}`);
  const after = await listenerObserve(ctx);
  if (after.state !== 'running') throw new AgentError(`after lsnrctl start: ${after.reason}`);
}

async function listenerOffline(ctx: AgentContext): Promise<void> {
  const name = listenerName(ctx);
  if ((await listenerObserve(ctx)).state === 'stopped') return;
  const r = await lsnrctl(ctx, 'stop');
  const out = r.stdout + '\n' + r.stderr;
  if (r.exitCode !== 0 && !/TNS-12541/.test(out)) throw new AgentError(`lsnrctl stop ${name} failed: ${oracleErrors(out) || out.trim().slice(0, 160)}`);
  const after = await listenerObserve(ctx);
  if (after.state !== 'stopped') throw new AgentError(`listener ${name} still ${after.state} after lsnrctl stop`);
}

async function listenerClean(ctx: AgentContext): Promise<void> {
  const name = listenerName(ctx);
  const left = budget(ctx);
  await lsnrctl(ctx, 'stop', Math.max(1000, left() / 2)).catch(() => undefined);
  // The listener process is "tnslsnr NAME -inherit".
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    let argv: string[] = [];
    try {
      argv = readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if ((argv[0] ?? '').endsWith('tnslsnr') && argv[1]?.toUpperCase() === name.toUpperCase() && isRunning(Number(n))) {
      ctx.log(`SIGKILL to listener process ${n} (${argv.join(' ').trim()})`);
      const id = processIdentity(Number(n));
      if (id) signalProcess(id, 'SIGKILL');
    }
  }
}

export const oracleListenerAgent: Agent = {
  type: 'OracleListener',
  attributes: listenerAttributes,
  observe: listenerObserve,
  online: listenerOnline,
  offline: listenerOffline,
  clean: listenerClean,
};
