// Every login on the API is throttled (auth/login-throttle.ts) and audited:
// LOGIN_OK, LOGIN_FAILED and LOGIN_LOCKED events with the user, the source
// address and the method (password or join token, and the API method asked
// for), never the password or the token. Counts since the engine started are
// in `mccluster status` (security.logins).
//
// LOGIN_FAILED and LOGIN_LOCKED are rejection events (engine/rejections.ts):
// limited per minute with a summary, so a guesser cannot flood the event log.
// LOGIN_OK is recorded once per user and source per LOGIN_OK_QUIET_MS (a
// script polling status would otherwise fill the log); every one is counted.
import { authenticate, type Principal } from '../auth/users.js';
import { LoginThrottle, sourceKey, userKey, type ThrottleVerdict } from '../auth/login-throttle.js';
import type { Engine } from '../engine/engine.js';
import { recordRejection, rejectionTotals } from '../engine/rejections.js';
import { limitValue } from '../limits/constants.js';
import { MccsError } from '../model/errors.js';

/** The source of requests on the local socket. */
export const LOCAL_SOURCE = 'local socket';

export interface LoginAttempt {
  /** The user name given, or "join-token". */
  user: string;
  /** Remote address, or "local socket". */
  source: string;
  /** How the caller proves who it is. */
  auth: 'password' | 'join-token';
  /** The API method asked for. */
  method: string;
}

export interface LoginCounts {
  ok: number;
  failed: number;
  /** Refused before any check: the user or source had to wait (progressive delay). */
  throttled: number;
  /** Lockouts begun. */
  locked: number;
  /** Users and sources locked out right now ("user:admin", "source:10.0.0.9"). */
  lockedNow: string[];
}

class LoginAudit {
  readonly throttle: LoginThrottle;
  private readonly counts = { ok: 0, failed: 0, throttled: 0, locked: 0 };
  private readonly lastOk = new Map<string, number>();

  constructor(private readonly engine: Engine) {
    this.throttle = new LoginThrottle(() => {
      const c = engine.config?.Cluster ?? {};
      const count = Number(c.LoginLockoutCount ?? 10);
      const seconds = Number(c.LoginLockoutTime ?? 300);
      return { lockoutCount: Number.isFinite(count) ? count : 10, lockoutMs: (Number.isFinite(seconds) ? seconds : 300) * 1000 };
    });
  }

  status(): LoginCounts {
    return { ...this.counts, lockedNow: this.throttle.lockedNow() };
  }

  /** Runs `check` (which throws AUTH on a wrong password or token) under the throttle, and audits the outcome. */
  async attempt<T>(a: LoginAttempt, check: () => Promise<T>): Promise<T> {
    // The local socket has no source address (and only root can open it): there the user alone is throttled.
    const keys = [userKey(a.auth === 'join-token' ? 'join-token' : a.user), ...(a.source === LOCAL_SOURCE ? [] : [sourceKey(a.source)])];
    const verdict = this.throttle.begin(keys);
    if (!verdict.allowed) {
      this.counts.throttled += 1;
      this.failedEvent(a, verdict.locked ? 'locked out' : 'throttled', { retryAfterMs: Math.ceil(verdict.retryAfterMs) });
      throw refusal(verdict);
    }
    let out: T;
    try {
      out = await check();
    } catch (e) {
      if (!(e instanceof MccsError) || e.code !== 'AUTH') {
        this.throttle.release(keys); // not a login failure (a bad request or an engine error)
        throw e;
      }
      this.counts.failed += 1;
      this.failedEvent(a, a.auth === 'join-token' ? 'wrong, used or expired token' : 'wrong user or password');
      for (const key of this.throttle.failure(keys)) this.lockedEvent(a, key);
      throw e;
    }
    this.counts.ok += 1;
    this.throttle.success(keys);
    this.okEvent(a);
    return out;
  }

  private facts(a: LoginAttempt): Record<string, unknown> {
    return { user: a.user, source: a.source, auth: a.auth, method: a.method };
  }

  private failedEvent(a: LoginAttempt, reason: string, extra: Record<string, unknown> = {}): void {
    // Limited per kind: checked failures and throttled attempts apart, passwords and join tokens apart.
    const kind = `LOGIN_FAILED (${a.auth}${reason === 'throttled' || reason === 'locked out' ? ', refused unchecked' : ''})`;
    recordRejection(this.engine, kind, {
      subject: `node:${this.engine.localNode}`,
      cause: `${a.auth} login from ${a.source}`,
      rule: 'LOGIN_FAILED',
      message: `login of '${a.user}' from ${a.source} (${a.auth}, ${a.method}) refused: ${reason}`,
      facts: { ...this.facts(a), reason, ...extra },
    });
  }

  private lockedEvent(a: LoginAttempt, key: string): void {
    this.counts.locked += 1;
    const seconds = Number(this.engine.config?.Cluster?.LoginLockoutTime ?? 300);
    recordRejection(this.engine, 'LOGIN_LOCKED', {
      subject: `node:${this.engine.localNode}`,
      cause: `${a.auth} login from ${a.source}`,
      rule: 'LOGIN_LOCKED',
      message: `${key.replace(':', ' ')} locked out for ${seconds} s after repeated failed logins (last: '${a.user}' from ${a.source}, ${a.auth})`,
      facts: { ...this.facts(a), locked: key, seconds },
    });
  }

  private okEvent(a: LoginAttempt): void {
    const key = `${a.auth}\u0000${a.user}\u0000${a.source}`;
    const now = Date.now();
    const last = this.lastOk.get(key);
    if (last !== undefined && now - last < limitValue('LOGIN_OK_QUIET_MS')) return;
    this.lastOk.delete(key);
    this.lastOk.set(key, now);
    while (this.lastOk.size > limitValue('LOGIN_MAX_TRACKED')) this.lastOk.delete(this.lastOk.keys().next().value as string);
    this.engine.record({
      subject: `node:${this.engine.localNode}`,
      cause: `${a.auth} login from ${a.source}`,
      rule: 'LOGIN_OK',
      message: `'${a.user}' logged in from ${a.source} (${a.auth}, ${a.method})`,
      facts: this.facts(a),
    });
  }
}

function refusal(v: Exclude<ThrottleVerdict, { allowed: true }>): MccsError {
  const seconds = Math.max(1, Math.ceil(v.retryAfterMs / 1000));
  const who = v.key.replace(':', ' ');
  return v.locked
    ? new MccsError('AUTH', `login refused: ${who} is locked out after repeated failed logins; retry in ${seconds} s`, ['wait, or log in as root on the node (the local socket needs no password)', 'see who tried: mccluster events'])
    : new MccsError('AUTH', `login refused: too many failed logins for ${who}; retry in ${seconds} s`, ['check -u/-pw, MCCS_USER/MCCS_PASSWORD or the credentials file']);
}

const audits = new WeakMap<Engine, LoginAudit>();

export function loginAudit(engine: Engine): LoginAudit {
  let a = audits.get(engine);
  if (!a) {
    a = new LoginAudit(engine);
    audits.set(engine, a);
  }
  return a;
}

/** A user and password, throttled and audited. */
export function passwordLogin(engine: Engine, attempt: Omit<LoginAttempt, 'auth'>, password: string): Promise<Principal> {
  return loginAudit(engine).attempt({ ...attempt, auth: 'password' }, () => authenticate(engine.paths.usersJson, attempt.user, password));
}

/** What `mccluster status` shows under security. */
export function securityStatus(engine: Engine): { logins: LoginCounts; rejected: Record<string, number> } {
  return { logins: loginAudit(engine).status(), rejected: rejectionTotals(engine) };
}
