// The console server against a test double of the engine API: login and its
// throttling, sessions, the cross-site guards (Origin, CSRF token), the
// Monitor role refused before anything reaches the engine, changes sent with
// the operator's own credentials, ifVersion, and the "why" chain.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/api/protocol.js';
import { EngineLink } from '../../src/console/engine-link.js';
import { LoginThrottle, FREE_FAILURES } from '../../src/console/login-throttle.js';
import { createConsoleHandler, type ConsoleHandler } from '../../src/console/server.js';
import { SessionStore, parseCookies } from '../../src/console/sessions.js';
import { whyChain } from '../../src/console/why.js';
import { startFakeApi, type FakeApi } from '../helpers/fake-api.js';

const USERS: Record<string, { password: string; role: string }> = { admin: { password: 'pw-admin', role: 'Administrator' }, watcher: { password: 'pw-watch', role: 'Monitor' } };

describe('console server', () => {
  let api: FakeApi;
  let server: Server;
  let base: string;
  let handler: ConsoleHandler;

  const answerAuth = () =>
    api.answer('auth.whoami', (r) => {
      const u = USERS[r.user ?? ''];
      if (!u || u.password !== r.password) return { ok: false, error: { code: 'AUTH', message: 'authentication failed: wrong user or password', actions: [] } };
      return { ok: true, changed: false, result: { name: r.user, role: u.role, local: false } };
    });

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', origin: base, ...headers }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as { ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } }, cookie: r.headers.get('set-cookie') ?? '' };
  };
  const login = async (user: string, password: string, from?: string) => {
    const r = await post('/api/login', { user, password }, from ? { 'x-forwarded-for': from } : {});
    const cookie = parseCookies(r.cookie.split(';')[0]).mccs_console;
    return { ...r, cookie: cookie ? `mccs_console=${cookie}` : '', csrf: r.body.result?.csrf as string };
  };

  beforeAll(async () => {
    api = await startFakeApi();
    handler = createConsoleHandler({ link: new EngineLink({ socketPath: api.socketPath }), publicDir: api.home });
    server = createServer((req, res) => void handler.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await api.close();
  });
  beforeEach(() => {
    api.reset();
    answerAuth();
  });

  it('logs in through the engine (auth.whoami with the credentials): HttpOnly SameSite=Strict cookie; no password in the answer', async () => {
    const r = await login('admin', 'pw-admin');
    expect(r.status).toBe(200);
    expect(r.body.result).toEqual({ user: 'admin', role: 'Administrator', csrf: expect.any(String) });
    const set = (await fetch(base + '/api/login', { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify({ user: 'admin', password: 'pw-admin' }) })).headers.get('set-cookie')!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(JSON.stringify(r.body)).not.toMatch(/pw-admin/);
    const who = api.requests.find((q) => q.method === 'auth.whoami')!;
    expect(who.user).toBe('admin');
    const s = await fetch(base + '/api/session', { headers: { cookie: r.cookie } });
    expect(((await s.json()) as { result: { user: string } }).result.user).toBe('admin');
  });

  it('a wrong password is refused; after repeated failures the user is locked for a while', async () => {
    expect((await login('admin', 'nope')).status).toBe(401);
    for (let i = 1; i < FREE_FAILURES; i++) await login('admin', 'nope');
    const locked = await login('admin', 'pw-admin');
    expect(locked.status).toBe(429);
    expect(locked.body.error?.message).toMatch(/too many failed logins/);
    // The engine was not asked during the lock.
    expect(api.requests.filter((q) => q.method === 'auth.whoami')).toHaveLength(FREE_FAILURES);
    handler.throttle.succeeded('127.0.0.1', 'admin');
  });

  it('refuses changes without the right Origin or CSRF token, and Monitor changes, before the engine sees them', async () => {
    const a = await login('admin', 'pw-admin');
    const call = { method: 'grp.offline', params: { group: 'web' } };
    expect((await post('/api/call', call, { cookie: a.cookie, 'x-csrf-token': a.csrf, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/api/call', call, { cookie: a.cookie })).status).toBe(403);
    const w = await login('watcher', 'pw-watch');
    const m = await post('/api/call', call, { cookie: w.cookie, 'x-csrf-token': w.csrf });
    expect(m.status).toBe(403);
    expect(m.body.error?.message).toMatch(/Monitor/);
    expect(api.requests.some((q) => q.method === 'grp.offline')).toBe(false);
    // Not offered at all: users, join tokens.
    expect((await post('/api/call', { method: 'users.add', params: {} }, { cookie: a.cookie, 'x-csrf-token': a.csrf })).status).toBe(404);
    expect(api.requests.some((q) => q.method === 'users.add')).toBe(false);
    // Reads are fine for a Monitor.
    api.answer('grp.list', { ok: true, changed: false, result: [] });
    expect((await post('/api/call', { method: 'grp.list', params: {} }, { cookie: w.cookie, 'x-csrf-token': w.csrf })).status).toBe(200);
  });

  it("an Administrator's change goes to the engine with the operator's own credentials", async () => {
    const a = await login('admin', 'pw-admin');
    const r = await post('/api/call', { method: 'grp.offline', params: { group: 'web', node: 'node1' } }, { cookie: a.cookie, 'x-csrf-token': a.csrf });
    expect(r.status).toBe(200);
    const q = api.requests.find((x) => x.method === 'grp.offline')!;
    expect(q.user).toBe('admin');
    expect(q.password).toBe('pw-admin');
    expect(q.params).toEqual({ group: 'web', node: 'node1' });
  });

  it('ifVersion: passed to the engine; an engine without it gets the console check (CONFLICT when ConfigVersion moved)', async () => {
    const a = await login('admin', 'pw-admin');
    const call = { method: 'node.modify', params: { node: 'node1', attributes: { HostID: 'x' } }, ifVersion: 6 };
    api.answer('node.modify', (q) =>
      'ifVersion' in q.params ? { ok: false, error: { code: 'USAGE', message: "bad request for node.modify: params has unknown field 'ifVersion'", actions: [] } } : { ok: true, changed: true, result: { ConfigVersion: 8 } },
    );
    api.answer('cluster.status', { ok: true, changed: false, result: { ConfigVersion: 7 } });
    const stale = await post('/api/call', call, { cookie: a.cookie, 'x-csrf-token': a.csrf });
    expect(stale.status).toBe(409);
    expect(stale.body.error?.code).toBe('CONFLICT');
    expect(api.requests.filter((q) => q.method === 'node.modify' && !('ifVersion' in q.params))).toHaveLength(0);
    api.answer('cluster.status', { ok: true, changed: false, result: { ConfigVersion: 6 } });
    const fresh = await post('/api/call', call, { cookie: a.cookie, 'x-csrf-token': a.csrf });
    expect(fresh.status).toBe(200);
    // An engine that takes ifVersion answers CONFLICT itself: passed through.
    api.answer('node.modify', { ok: false, error: { code: 'CONFLICT', message: 'ConfigVersion is 9, not 6', actions: [] } });
    expect((await post('/api/call', call, { cookie: a.cookie, 'x-csrf-token': a.csrf })).body.error?.message).toBe('ConfigVersion is 9, not 6');
  });

  it('logout ends the session', async () => {
    const a = await login('admin', 'pw-admin');
    expect((await post('/api/logout', {}, { cookie: a.cookie, 'x-csrf-token': a.csrf })).status).toBe(200);
    expect((await fetch(base + '/api/session', { headers: { cookie: a.cookie } })).status).toBe(401);
  });
});

describe('sessions and throttling', () => {
  it('a session expires after 30 min idle; peek does not count as activity', () => {
    let t = 0;
    const s = new SessionStore(() => t);
    const x = s.create('a', 'Administrator', 'p');
    t = 29 * 60_000;
    expect(s.peek(x.id)).toBeDefined();
    t = 31 * 60_000;
    expect(s.get(x.id)).toBeUndefined();
  });

  it('locks grow: 1 s after the free failures, doubling, per user and per address', () => {
    let t = 0;
    const th = new LoginThrottle(() => t);
    for (let i = 0; i < FREE_FAILURES - 1; i++) expect(th.failed('10.0.0.9', 'bob')).toBe(0);
    expect(th.failed('10.0.0.9', 'bob')).toBe(1000);
    expect(th.waitMs('10.0.0.8', 'bob')).toBe(1000); // same user from elsewhere
    expect(th.waitMs('10.0.0.9', 'alice')).toBe(1000); // same address, other user
    t = 1000;
    expect(th.failed('10.0.0.9', 'bob')).toBe(2000);
    th.succeeded('10.0.0.9', 'bob');
    expect(th.waitMs('10.0.0.9', 'bob')).toBe(0);
  });
});

describe('why chain', () => {
  const ev = (time: string, subject: string, rule: string, cause: string, newState?: string): EventRecord => ({ time, node: 'node1', subject, group: 'web', rule, cause, message: rule, ...(newState ? { newState } : {}) });
  it('from the record that set the state back to its root cause', () => {
    const events = [
      ev('2026-01-01T03:00:00.000Z', 'group:web', 'GROUP_STATE', 'operator admin', 'ONLINE'),
      ev('2026-01-01T03:12:00.000Z', 'resource:web-app', 'RESOURCE_FAILED', 'monitor', 'OFFLINE'),
      ev('2026-01-01T03:12:00.100Z', 'resource:web-app', 'FINAL_FAILURE', 'monitor: web-app failed', 'FAULTED'),
      ev('2026-01-01T03:12:00.200Z', 'group:web', 'GROUP_STATE', 'monitor: web-app failed', 'FAULTED'),
    ];
    expect(whyChain(events, 'group:web').map((e) => e.rule)).toEqual(['RESOURCE_FAILED', 'FINAL_FAILURE', 'GROUP_STATE']);
    expect(whyChain(events, 'resource:nothing')).toEqual([]);
  });

  it('a group kept offline for want of room (NO_CAPACITY) ends its chain with the "no room" records, with every node\'s figures', () => {
    const noRoom = (time: string, rule: string, facts: Record<string, unknown>): EventRecord => ({ ...ev(time, 'group:web', rule, 'node node1 FAULTED'), facts });
    const considered = { node2: 'no room: Load 60 + 50 in use (crm 50) > Capacity 100', node3: 'no room: Load 60 + 0 in use > Capacity 50' };
    const events = [
      ev('2026-01-01T03:00:00.000Z', 'group:web', 'GROUP_STATE', 'operator admin', 'ONLINE'),
      ev('2026-01-01T03:12:00.000Z', 'node:node1', 'DECISION_REMOTE_FAULT', 'cluster'),
      ev('2026-01-01T03:12:00.100Z', 'group:web', 'GROUP_STATE', 'node node1 FAULTED', 'OFFLINE'),
      noRoom('2026-01-01T03:12:00.200Z', 'NO_CAPACITY', { group: 'web', load: 60, considered }),
      noRoom('2026-01-01T03:20:00.000Z', 'REFUSED_NO_CAPACITY', { group: 'web', node: 'node3', load: 60, used: 0, capacity: 50 }),
      ev('2026-01-01T03:21:00.000Z', 'group:web', 'CONFIG_CHANGED', 'operator admin'),
    ];
    const chain = whyChain(events, 'group:web');
    expect(chain.map((e) => e.rule)).toEqual(['DECISION_REMOTE_FAULT', 'GROUP_STATE', 'NO_CAPACITY', 'REFUSED_NO_CAPACITY']);
    expect(chain[2]!.facts).toMatchObject({ considered });
    // AutoStart found no room: the group never changed state, the "no room" records are the whole answer (at most the last five).
    const never = Array.from({ length: 7 }, (_, i) => noRoom(`2026-01-01T04:0${i}:00.000Z`, 'NO_CAPACITY', { considered }));
    expect(whyChain(never, 'group:web')).toEqual(never.slice(-5));
    // A final failure that found no room elsewhere is part of the story already (it set the state).
    const final = [{ ...ev('2026-01-01T05:00:00.000Z', 'group:web', 'FINAL_FAILURE_CRITICAL', 'monitor', 'FAULTED'), facts: { why: 'NO_CAPACITY', considered } }];
    expect(whyChain(final, 'group:web')).toEqual(final);
    // Resources have no Load: their chains are unchanged.
    expect(whyChain([noRoom('2026-01-01T04:00:00.000Z', 'NO_CAPACITY', {})], 'resource:web-app')).toEqual([]);
  });
});
