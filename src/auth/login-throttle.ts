// Login throttling (issue 15): failed logins are delayed progressively per
// user and per source address, and a user or source is locked out for a
// while after LoginLockoutCount failures in a row. An attempt that arrives
// while its user or source must still wait is refused before its password is
// looked at, so a guesser spends no engine CPU and gains nothing by running
// more attempts in parallel.
//
//   failures below LOGIN_FREE_FAILURES  the next attempt may come at once
//   failure n ≥ LOGIN_FREE_FAILURES     the next attempt waits
//                                       LOGIN_DELAY_BASE_MS × 2^(n - free), at most LOGIN_DELAY_MAX_MS
//   failure LoginLockoutCount         locked for LoginLockoutTime (then a fresh start)
//   a success                         clears the user and the source
import { limitValue } from '../limits/constants.js';

export interface ThrottleSettings {
  /** Consecutive failures that lock a user or source out; 0 = never. */
  lockoutCount: number;
  lockoutMs: number;
}

export type ThrottleVerdict =
  | { allowed: true }
  | { allowed: false; locked: boolean; key: string; retryAfterMs: number };

interface Entry {
  failures: number;
  nextAt: number;
  lockedUntil: number;
  /** Attempts being checked now: they count as failures until they succeed, so parallel guesses gain nothing. */
  inFlight: number;
}

export class LoginThrottle {
  /** Users and sources apart, so a flood of new source addresses cannot evict a user's count. */
  private readonly tables = { user: new Map<string, Entry>(), source: new Map<string, Entry>() };

  constructor(
    private readonly settings: () => ThrottleSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * May this attempt be checked at all? When it may, it is in flight until
   * failure() or success() is called for the same keys.
   */
  begin(keys: string[]): ThrottleVerdict {
    const now = this.clock();
    const free = limitValue('LOGIN_FREE_FAILURES');
    let worst: ThrottleVerdict = { allowed: true };
    for (const key of keys) {
      const e = this.table(key).get(key);
      if (!e) continue;
      if (e.lockedUntil > now) return { allowed: false, locked: true, key, retryAfterMs: e.lockedUntil - now };
      // Attempts in flight count as failures: the free ones cannot be multiplied by running them in parallel.
      const wait = Math.max(e.nextAt - now, e.inFlight > 0 && e.failures + e.inFlight >= free ? limitValue('LOGIN_DELAY_BASE_MS') : 0);
      if (wait > 0 && (worst.allowed || worst.retryAfterMs < wait)) worst = { allowed: false, locked: false, key, retryAfterMs: wait };
    }
    if (worst.allowed) for (const key of keys) this.entry(key).inFlight += 1;
    return worst;
  }

  /** A wrong password or token; returns the keys this failure locked out. */
  failure(keys: string[]): string[] {
    const now = this.clock();
    const { lockoutCount, lockoutMs } = this.settings();
    const free = limitValue('LOGIN_FREE_FAILURES');
    const locked: string[] = [];
    for (const key of keys) {
      const table = this.table(key);
      const e = this.entry(key);
      e.inFlight = Math.max(0, e.inFlight - 1);
      if (e.lockedUntil !== 0 && e.lockedUntil <= now) Object.assign(e, { failures: 0, nextAt: 0, lockedUntil: 0 });
      table.delete(key); // re-inserted last: the Map's order is the eviction order
      e.failures += 1;
      if (lockoutCount > 0 && e.failures >= lockoutCount) {
        e.lockedUntil = now + lockoutMs;
        e.failures = 0;
        locked.push(key);
      } else if (e.failures >= free) {
        e.nextAt = now + Math.min(limitValue('LOGIN_DELAY_BASE_MS') * 2 ** (e.failures - free), limitValue('LOGIN_DELAY_MAX_MS'));
      }
      table.set(key, e);
      while (table.size > limitValue('LOGIN_MAX_TRACKED')) table.delete(table.keys().next().value as string);
    }
    return locked;
  }

  success(keys: string[]): void {
    for (const key of keys) {
      const e = this.table(key).get(key);
      if (!e) continue;
      // Other attempts of the same user may still be in flight: keep only their count.
      if (e.inFlight > 1) Object.assign(e, { failures: 0, nextAt: 0, lockedUntil: 0, inFlight: e.inFlight - 1 });
      else this.table(key).delete(key);
    }
  }

  /** An attempt that ended neither way (a malformed request): it no longer counts as in flight. */
  release(keys: string[]): void {
    for (const key of keys) {
      const e = this.table(key).get(key);
      if (e) e.inFlight = Math.max(0, e.inFlight - 1);
    }
  }

  private entry(key: string): Entry {
    const table = this.table(key);
    let e = table.get(key);
    if (!e) {
      e = { failures: 0, nextAt: 0, lockedUntil: 0, inFlight: 0 };
      table.set(key, e);
      while (table.size > limitValue('LOGIN_MAX_TRACKED')) table.delete(table.keys().next().value as string);
    }
    return e;
  }

  /** Users and sources locked out right now. */
  lockedNow(): string[] {
    const now = this.clock();
    return [...this.tables.user, ...this.tables.source].filter(([, e]) => e.lockedUntil > now).map(([k]) => k);
  }

  private table(key: string): Map<string, Entry> {
    return key.startsWith('user:') ? this.tables.user : this.tables.source;
  }
}

export const userKey = (name: string): string => `user:${name}`;
export const sourceKey = (address: string): string => `source:${address}`;
