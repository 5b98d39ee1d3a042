// Ending processes: SIGTERM, a grace period, then SIGKILL. Every signal goes
// to the exact process found (pid and start time checked just before, see
// signalProcess in proc.ts), so a pid recycled meanwhile is never hit, and
// the engine and its ancestors never are.
import { isSameProcessRunning, processIdentity, signalProcess, type ProcessIdentity } from './proc.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The identities of these pids now; pids that are gone are left out. */
export function identitiesOf(pids: number[]): ProcessIdentity[] {
  return pids.map(processIdentity).filter((id): id is ProcessIdentity => id !== null);
}

/** SIGTERM, wait up to termMs, then SIGKILL; returns the pids still running. */
export async function endProcesses(ids: ProcessIdentity[], termMs: number, log: (m: string) => void): Promise<number[]> {
  const signal = (sig: NodeJS.Signals, list: ProcessIdentity[]): void => {
    for (const id of list) signalProcess(id, sig);
  };
  const waitGone = async (list: ProcessIdentity[], ms: number): Promise<ProcessIdentity[]> => {
    const end = performance.now() + ms;
    let alive = list.filter(isSameProcessRunning);
    while (alive.length > 0 && performance.now() < end) {
      await sleep(50);
      alive = alive.filter(isSameProcessRunning);
    }
    return alive;
  };
  signal('SIGTERM', ids);
  let alive = await waitGone(ids, termMs);
  if (alive.length > 0) {
    log(`SIGKILL to ${alive.map((id) => id.pid).join(', ')} (did not end ${termMs} ms after SIGTERM)`);
    signal('SIGKILL', alive);
    alive = await waitGone(alive, 2000);
  }
  return alive.map((id) => id.pid);
}
