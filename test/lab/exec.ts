// Small process helpers for the lab: argument arrays only, never a shell,
// and a bounded wait for everything. No test-framework imports: the demo
// uses the lab from a plain script.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

/** Runs to completion; resolves with the exit code (never rejects on a non-zero exit). */
export function exec(command: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 + 9 : 1), stdout: stdout.trimEnd(), stderr: stderr.trimEnd() });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like exec, but a non-zero exit is an error naming the command and its stderr. */
export async function must(command: string, args: string[], options: ExecOptions = {}): Promise<string> {
  const r = await exec(command, args, options);
  if (r.exitCode !== 0) {
    throw new Error(`${[command, ...args].join(' ')} → exit ${r.exitCode}: ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The bounded wait (wait.mjs: shared with bench/lib.mjs and the test helpers). */
export { waitFor, WaitAborted } from './wait.mjs';

/** State letter from /proc/PID/stat (R, S, D, Z, ...), or undefined when the PID is gone. */
export function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Alive means present and not a zombie (kill(pid, 0) succeeds on a zombie). */
export function isAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

/** Host PIDs whose parent is `ppid` (this kernel has no /proc/PID/task/TID/children). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Sends a signal, ignoring a PID that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  // 0 and negative PIDs mean process groups (ours included): never.
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) throw new Error(`refusing to signal PID ${pid}`);
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** CLOCK_MONOTONIC in ms, the same clock in every process of this host (the client prober uses it too). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}
