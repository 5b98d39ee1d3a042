// Shared bits of the benchmarks: a temp MCCS_HOME, the engine process, calls
// to it through the project's API client (dist/api/client.js), /proc readers
// and bounded waits.
// Plain Node ESM so that it runs without tsx: `node bench/<name>.mjs`.
//
// Nothing here kills by name: every signal goes to a PID this bench started
// (the engine child) or to a process whose environment carries
// MCCS_HOME=<this bench's temp home> (what the Process agent gives every
// process it starts).
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor as wait, WaitAborted } from '../test/lab/wait.mjs';

export const ROOT = resolve(import.meta.dirname, '..');
/** Built engine; MCCS_BENCH_DIST points at another build (e.g. a profiling one). */
export const DIST = resolve(process.env.MCCS_BENCH_DIST ?? join(ROOT, 'dist'));
export const DAEMON = join(DIST, 'daemon/main.js');
export const SERVICE = join(ROOT, 'test/fixtures/service.mjs');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function makeHome(prefix) {
  const home = mkdtempSync(join(tmpdir(), prefix));
  for (const d of ['config', 'log', 'run']) mkdirSync(join(home, d), { recursive: true });
  return home;
}

export function writeConfig(home, config) {
  writeFileSync(join(home, 'config/main.json'), JSON.stringify(config, null, 2));
}

/**
 * One RPC through the project's API client (dist/api/client.js, as the CLI
 * calls it): the envelope {ok, changed, result | error}. Bounded by timeoutMs.
 */
export async function rpc(home, method, params = {}, timeoutMs = 5000) {
  const { callApi } = await apiClient();
  return callApi(method, params, { socketPath: join(home, 'run/mccs.sock'), timeoutMs });
}

let client;
/** The built client of this repository, loaded once (a clear error when the build is missing). */
export function apiClient() {
  const file = join(ROOT, 'dist/api/client.js');
  if (!existsSync(file)) throw new Error(`${file} missing: build first (npm run build)`);
  client ??= import(file);
  return client;
}

/** Polls fn until it returns something truthy; throws after timeoutMs (the lab's one wait, test/lab/wait.mjs). */
export function waitFor(what, fn, timeoutMs = 20_000, stepMs = 50) {
  return wait(what, fn, timeoutMs, stepMs);
}

/** Parsed /proc/PID/stat fields we use; null when gone. */
export function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  // f[N - 3] is field N (1-based, man 5 proc).
  return { state: f[0], ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), startTime: Number(f[19]) };
}

export function isRunning(pid) {
  const s = procStat(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X' && s.state !== 'x';
}

/** VmRSS and VmHWM (peak) of a process in kB; null when gone. */
export function procMem(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return null;
  }
}

export function clockTicks() {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isFinite(n) && n > 0) return n;
  } catch {
    // fall through
  }
  return 100;
}

/** Live (non-zombie) PIDs whose environment holds MCCS_HOME=home: the managed processes of this bench's engine. */
export function pidsOfHome(home) {
  const marker = `MCCS_HOME=${home}`;
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (!env.includes(marker)) continue;
      if (isRunning(pid)) out.push(pid);
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return out;
}

/** PID recorded by the Process agent in run/agents/<res>.json (null if none). */
export function agentPid(home, resName) {
  try {
    const r = JSON.parse(readFileSync(join(home, 'run/agents', `${resName}.json`), 'utf8'));
    return Number.isInteger(r.pid) ? r : null;
  } catch {
    return null;
  }
}

/** Starts `node <DAEMON> --node NAME` with MCCS_HOME=home and waits for its API (bounded). */
export async function startEngine(home, node, { nodeArgs = [], timeoutMs = 30_000, stdoutFile } = {}) {
  if (!existsSync(DAEMON)) throw new Error(`${DAEMON} missing: build first (npx tsc -p tsconfig.json)`);
  const out = stdoutFile ? openSync(stdoutFile, 'a') : 'ignore';
  const child = spawn(process.execPath, [...nodeArgs, DAEMON, '--node', node], {
    env: { ...process.env, MCCS_HOME: home },
    cwd: home,
    stdio: ['ignore', out, 'pipe'],
  });
  if (typeof out === 'number') closeSync(out);
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const engine = {
    child,
    pid: child.pid,
    get stderr() {
      return stderr;
    },
    /** SIGKILL the engine (its PID only) and wait for its exit, bounded. */
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        return;
      }
      await Promise.race([exited, sleep(5000)]);
    },
    /** SIGTERM (clean stop, writes a CPU profile when run with --cpu-prof), bounded; SIGKILL after. */
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGTERM');
      await Promise.race([exited, sleep(timeoutMs)]);
      await engine.kill();
    },
  };
  try {
    await waitFor(
      `engine of ${home} to answer`,
      async () => {
        if (child.exitCode !== null) throw new WaitAborted(`engine exited ${child.exitCode}: ${stderr}`);
        if (!existsSync(join(home, 'run/mccs.sock'))) return false;
        const s = await rpc(home, 'cluster.status', {}, 2000);
        return s.ok && s.result.nodes.some((n) => n.state === 'RUNNING');
      },
      timeoutMs,
      50,
    );
  } catch (e) {
    await engine.kill();
    throw new Error(`${e.message}\nengine stderr (tail):\n${stderr}`);
  }
  return engine;
}

/** SIGKILL every process started for this home (by PID), up to three rounds; warns about any left. */
export async function killHomeProcesses(home) {
  for (let round = 0; round < 3; round++) {
    const pids = pidsOfHome(home);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
  const left = pidsOfHome(home);
  if (left.length) process.stderr.write(`warning: still running after SIGKILL: ${left.join(' ')}\n`);
}

/** SIGKILL the engine, then every process started for this home (by PID), then remove the home. */
export async function cleanup(home, engine) {
  if (engine) await engine.kill();
  await killHomeProcesses(home);
  rmSync(home, { recursive: true, force: true });
}

/** Events of the log from line index `from` on. */
export function events(home, from = 0) {
  const file = join(home, 'log/events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(from).map((l) => JSON.parse(l));
}

export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length === 0 ? NaN : s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, min: s[0], median, p90: quantile(s, 0.9), max: s[s.length - 1] };
}

/** Runs body; on SIGINT/SIGTERM or error, cleanup still runs. */
export function onSignalsCleanup(fn) {
  const handler = async (sig) => {
    process.stderr.write(`\n${sig}: cleaning up\n`);
    try {
      await fn();
    } finally {
      process.exit(130);
    }
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
