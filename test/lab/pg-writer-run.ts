// The lab's PostgreSQL writer (test/lab/pg-writer.mjs) run from the client
// namespace, and the check that every acknowledged row is in the table.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab.js';
import { sleep } from './exec.js';

export const WRITER = fileURLToPath(new URL('./pg-writer.mjs', import.meta.url));

export interface WriterRun {
  child: ChildProcess;
  sent: Set<number>;
  acked: Map<number, number>;
  /** Row → when the connection that acknowledged it was opened (ms since epoch). */
  ackConnection: Map<number, number>;
  inDoubt: Map<number, string>;
  connects: number[];
  failures: string[];
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Inserts a numbered row into `table` through host:5432 every `intervalMs`; a connection attempt gives up after connectTimeoutMs. */
export function startWriter(lab: Lab, host: string, table: string, maxMs: number, intervalMs = 10, connectTimeoutMs = 1000): WriterRun {
  const child = spawn('ip', ['netns', 'exec', lab.clientNs, process.execPath, WRITER, host, '5432', table, String(intervalMs), '1000000', String(maxMs), String(connectTimeoutMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
  lab.spawned.add(child);
  const run: WriterRun = {
    child, sent: new Set(), acked: new Map(), ackConnection: new Map(), inDoubt: new Map(), connects: [], failures: [],
    done: new Promise((resolve) => child.on('close', () => resolve())),
    async stop() {
      if (child.exitCode === null) child.stdin?.end('stop\n');
      await Promise.race([run.done, sleep(10_000)]);
      if (child.exitCode === null && child.pid) child.kill('SIGKILL');
    },
  };
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.on('close', (code) => {
    lab.spawned.delete(child);
    if (code !== 0) run.failures.push(`writer exited ${code}: ${stderr.trim()}`);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [kind, a, ...rest] = line.split(' ');
    if (kind === 'S') run.sent.add(Number(a));
    else if (kind === 'A') {
      run.acked.set(Number(a), Number(rest[0]));
      run.ackConnection.set(Number(a), run.connects[run.connects.length - 1] ?? 0);
    } else if (kind === 'L') run.inDoubt.set(Number(a), rest.join(' '));
    else if (kind === 'C') run.connects.push(Number(a));
    else if (kind === 'F') run.failures.length < 50 && run.failures.push([a, ...rest].join(' '));
  });
  return run;
}

/** The longest time between two acknowledgements after t0 (the writer's outage), in ms. */
export function longestGapMs(run: WriterRun, t0: number): { gap: number; from: number } {
  const times = [...run.acked.values()].filter((t) => t >= t0 - 1000).sort((a, b) => a - b);
  let best = { gap: 0, from: t0 };
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > best.gap) best = { gap: times[i]! - times[i - 1]!, from: times[i - 1]! };
  return best;
}

/**
 * First acknowledgement at or after t on a connection opened at or after t:
 * after a power-off at t, the new primary's first (a row the old primary
 * acknowledged in the milliseconds the power-off takes is not counted).
 */
export function firstAckOnNewConnection(run: WriterRun, t: number): number | undefined {
  let best: number | undefined;
  for (const [n, at] of run.acked) if (at >= t && (run.ackConnection.get(n) ?? 0) >= t && (best === undefined || at < best)) best = at;
  return best;
}

/** First acknowledgement at or after t (ms since epoch), or undefined. */
export function firstAckAfter(run: WriterRun, t: number): number | undefined {
  let best: number | undefined;
  for (const at of run.acked.values()) if (at >= t && (best === undefined || at < best)) best = at;
  return best;
}

/** Acknowledged rows missing from `found` (what the table holds), and rows found that were never sent. */
export function lostRows(run: WriterRun, found: number[]): { lost: number[]; unknown: number[]; summary: string } {
  const foundSet = new Set(found);
  const lost = [...run.acked.keys()].filter((n) => !foundSet.has(n)).sort((a, b) => a - b);
  const unknown = found.filter((n) => !run.sent.has(n));
  const summary = `${run.sent.size} rows sent, ${run.acked.size} acknowledged, ${found.length} found, ${lost.length} acknowledged lost${lost.length ? ` (${lost.slice(0, 10).join(',')})` : ''}, ${run.connects.length} connections`;
  return { lost, unknown, summary };
}
