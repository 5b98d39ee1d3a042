// Login throttling against password guessing: failures are counted per
// client address and per user name; past FREE_FAILURES each further failure
// locks that key for twice as long as the last (1 s, 2 s, ... up to 15 min).
// A success clears the user's and the address's counters.
export const FREE_FAILURES = 5;
const FIRST_LOCK_MS = 1000;
const MAX_LOCK_MS = 15 * 60_000;
const FORGET_MS = 60 * 60_000;

interface Track {
  failures: number;
  lockedUntil: number;
  last: number;
}

export class LoginThrottle {
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds the attempt must wait (0 = may try now). */
  waitMs(address: string, user: string): number {
    const t = this.now();
    let wait = 0;
    for (const key of keys(address, user)) {
      const tr = this.tracks.get(key);
      if (tr && tr.lockedUntil > t) wait = Math.max(wait, tr.lockedUntil - t);
    }
    return wait;
  }

  /** Records a failure; returns the lock it caused (0 = none yet). */
  failed(address: string, user: string): number {
    const t = this.now();
    this.forgetOld(t);
    let lock = 0;
    for (const key of keys(address, user)) {
      const tr = this.tracks.get(key) ?? { failures: 0, lockedUntil: 0, last: t };
      tr.failures += 1;
      tr.last = t;
      if (tr.failures >= FREE_FAILURES) {
        const ms = Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (tr.failures - FREE_FAILURES));
        tr.lockedUntil = t + ms;
        lock = Math.max(lock, ms);
      }
      this.tracks.set(key, tr);
    }
    return lock;
  }

  succeeded(address: string, user: string): void {
    for (const key of keys(address, user)) this.tracks.delete(key);
  }

  private forgetOld(t: number): void {
    for (const [k, tr] of this.tracks) if (t - tr.last > FORGET_MS && tr.lockedUntil < t) this.tracks.delete(k);
  }
}

function keys(address: string, user: string): string[] {
  return [`addr:${address}`, `user:${user.toLowerCase()}`];
}
