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
}

export class LoginThrottle {
  /** Users and sources apart, so a flood of new source addresses cannot evict a user's count. */
  private readonly tables = { user: new Map<string, Entry>(), source: new Map<string, Entry>() };

  constructor(
    private readonly settings: () => ThrottleSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /** May this attempt be checked at all? */
  check(keys: string[]): ThrottleVerdict {
    const now = this.clock();
    let worst: ThrottleVerdict = { allowed: true };
    for (const key of keys) {
      const e = this.table(key).get(key);
      if (!e) continue;
      if (e.lockedUntil > now) return { allowed: false, locked: true, key, retryAfterMs: e.lockedUntil - now };
      if (e.nextAt > now && (worst.allowed || worst.retryAfterMs < e.nextAt - now)) worst = { allowed: false, locked: false, key, retryAfterMs: e.nextAt - now };
    }
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
      let e = table.get(key);
      if (!e || (e.lockedUntil !== 0 && e.lockedUntil <= now)) e = { failures: 0, nextAt: 0, lockedUntil: 0 };
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
    for (const key of keys) this.table(key).delete(key);
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
