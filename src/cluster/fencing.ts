// Fencing (SPEC §3): before a peer whose links all went down is declared
// faulted, FenceProgram NODE must succeed. A failed or timed-out run blocks
// the takeover and is retried after a fresh fault decision; the
// lower-priority node waits FenceDelay first so that, in a partition, the two
// nodes do not fence each other at once. A result that arrives after the
// links came back decides nothing.
import type { Runner } from '../engine/runner.js';

export interface FenceReport {
  node: string;
  phase: 'STARTED' | 'SUCCEEDED' | 'FAILED';
  attempt: number;
  program: string;
  exitCode?: number;
  timedOut?: boolean;
  output?: string;
  message: string;
}

/** The fencing of one peer, kept across attempts. */
export interface FenceState {
  running: boolean;
  attempts: number;
  last?: FenceReport;
  retryTimer?: NodeJS.Timeout;
}

export interface FenceRun {
  node: string;
  program: string;
  /** This node's rank in Nodes: a lower-priority node (rank > 0) waits fenceDelayMs before its first attempt. */
  rank: number;
  fenceDelayMs: number;
  runner: Runner;
  timeoutMs: number;
  retryMs: number;
  /** The fault decision this run belongs to is still the current one (the links did not come back). */
  current: () => boolean;
  closed: () => boolean;
  report: (report: FenceReport) => void;
  /** FenceProgram succeeded: the peer is fenced. */
  fenced: () => void;
  /** FenceProgram failed: decide again (the peer may be back) before the next attempt. */
  retry: () => void;
}

/** One attempt at fencing a peer; on failure, schedules the next decision in state.retryTimer. */
export async function fencePeer(fence: FenceState, run: FenceRun): Promise<void> {
  const { node, program } = run;
  const stale = () => !run.current() || run.closed();
  fence.running = true;
  fence.attempts += 1;
  const attempt = fence.attempts;
  const report = (r: Omit<FenceReport, 'node' | 'program' | 'attempt'>): void => {
    fence.last = { node, program, attempt, ...r };
    run.report(fence.last);
  };
  if (attempt === 1 && run.rank > 0 && run.fenceDelayMs > 0) {
    // Both sides of a partition decide at once: the lower-priority node lets the other fence first.
    report({ phase: 'STARTED', message: `waiting FenceDelay ${run.fenceDelayMs / 1000} s before fencing ${node} (this node has the lower priority)` });
    await new Promise((r) => setTimeout(r, run.fenceDelayMs));
    if (stale()) {
      fence.running = false;
      return;
    }
  }
  report({ phase: 'STARTED', message: `fencing ${node}: ${program} ${node} (attempt ${attempt})` });
  let ok = false;
  try {
    const r = await run.runner.run(program, [node], { timeoutMs: run.timeoutMs });
    ok = r.exitCode === 0 && !r.timedOut;
    const output = `${r.stdout}\n${r.stderr}`.trim().slice(-500);
    if (stale()) return; // links came back meanwhile: the result no longer decides anything
    if (ok) report({ phase: 'SUCCEEDED', exitCode: 0, output, message: `${program} fenced ${node}` });
    else report({ phase: 'FAILED', exitCode: r.exitCode, timedOut: r.timedOut, output, message: `${program} ${node} ${r.timedOut ? 'timed out' : `exited ${r.exitCode}`}: takeover blocked, retrying` });
  } catch (err) {
    if (stale()) return;
    report({ phase: 'FAILED', message: `cannot run FenceProgram ${program}: ${(err as Error).message}; takeover blocked, retrying` });
  } finally {
    if (run.current()) fence.running = false;
  }
  if (stale()) return;
  if (ok) {
    run.fenced();
    return;
  }
  // Decide again before the next attempt: the peer may have come back or answer ICMP again.
  fence.retryTimer = setTimeout(run.retry, run.retryMs);
}
