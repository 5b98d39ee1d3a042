// Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, a
// CSRF token the page sends back in a header on every change, an idle and an
// absolute lifetime. Kept in this process's memory only: a console restart
// logs everybody out, which is the safe direction.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../auth/users.js';

export const COOKIE = 'mccs_console';
const IDLE_MS = 30 * 60_000;
const ABSOLUTE_MS = 12 * 3600_000;
const MAX_SESSIONS = 1000;

export interface Session {
  id: string;
  csrf: string;
  user: string;
  role: Role;
  /**
   * Kept here, never sent to the page: changes go to the engine with the
   * operator's own credentials, so the engine checks the role again and its
   * event log names the operator.
   */
  password: string;
  created: number;
  seen: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  create(user: string, role: Role, password: string): Session {
    this.expire();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.seen - b.seen)[0];
      if (oldest) this.sessions.delete(oldest.id);
    }
    const t = this.now();
    const s: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), user, role, password, created: t, seen: t };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session of this id (its idle time restarts), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.seen > IDLE_MS || t - s.created > ABSOLUTE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    s.seen = t;
    return s;
  }

  /** Like get, without counting as activity (the live stream checks its session with it). */
  peek(id: string): Session | undefined {
    const s = this.sessions.get(id);
    const t = this.now();
    return s && t - s.seen <= IDLE_MS && t - s.created <= ABSOLUTE_MS ? s : undefined;
  }

  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** Ends every session of a user (password changed, user deleted). */
  destroyUser(user: string): void {
    for (const [id, s] of this.sessions) if (s.user === user) this.sessions.delete(id);
  }

  private expire(): void {
    const t = this.now();
    for (const [id, s] of this.sessions) if (t - s.seen > IDLE_MS || t - s.created > ABSOLUTE_MS) this.sessions.delete(id);
  }
}

export function sameToken(a: string | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k && !(k in out)) out[k] = v;
  }
  return out;
}

export function sessionCookie(id: string, secure: boolean, maxAgeS?: number): string {
  return [`${COOKIE}=${id}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : []), ...(maxAgeS !== undefined ? [`Max-Age=${maxAgeS}`] : [])].join('; ');
}
