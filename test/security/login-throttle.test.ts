// Issue 15 item 2: password guessing is throttled and audited. Failed logins
// are delayed progressively per user and per source, a user and a source are
// locked out after LoginLockoutCount failures, parallel guesses gain nothing,
// and LOGIN_OK / LOGIN_FAILED / LOGIN_LOCKED events (never the password) are
// in the event log, in `mccluster events` and counted in status. cluster.join
// (a join token instead of a password) is throttled the same way.
// Attacker traffic: TLS API of an engine on 127.0.0.161, from 127.0.0.0/8.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { limitValue } from '../../src/limits/constants.js';
import { ROOT } from '../helpers/engine-harness.js';
import { ADMIN, startTarget, type TargetNode } from '../helpers/security-node.js';

describe('login throttle (unit, injected clock)', () => {
  const free = limitValue('LOGIN_FREE_FAILURES');
  const base = limitValue('LOGIN_DELAY_BASE_MS');

  it('lets the first failures through, then makes each next attempt wait twice as long, then locks out', () => {
    let now = 1_000_000;
    const t = new LoginThrottle(() => ({ lockoutCount: 6, lockoutMs: 60_000 }), () => now);
    const keys = ['user:admin', 'source:10.0.0.9'];
    for (let i = 0; i < free; i++) {
      expect(t.begin(keys).allowed).toBe(true);
      expect(t.failure(keys)).toEqual([]);
    }
    const v = t.begin(keys);
    expect(v).toMatchObject({ allowed: false, locked: false });
    expect(v.allowed === false && v.retryAfterMs).toBe(base);
    now += base;
    expect(t.begin(keys).allowed).toBe(true);
    t.failure(keys);
    const v2 = t.begin(keys);
    expect(v2.allowed === false && v2.retryAfterMs).toBe(2 * base);
    now += 2 * base;
    expect(t.begin(keys).allowed).toBe(true);
    expect(t.failure(keys)).toEqual([]);
    now += 4 * base;
    expect(t.begin(keys).allowed).toBe(true);
    expect(t.failure(keys)).toEqual(['user:admin', 'source:10.0.0.9']); // the 6th failure
    const locked = t.begin(keys);
    expect(locked).toMatchObject({ allowed: false, locked: true });
    expect(t.lockedNow()).toEqual(['user:admin', 'source:10.0.0.9']);
    now += 60_000;
    expect(t.begin(keys).allowed).toBe(true); // a fresh start after the lockout
    t.success(keys);
    expect(t.lockedNow()).toEqual([]);
  });

  it('counts attempts in flight as failures: 32 parallel guesses get no more than the free ones checked', () => {
    const t = new LoginThrottle(() => ({ lockoutCount: 10, lockoutMs: 60_000 }), () => 0);
    const verdicts = Array.from({ length: 32 }, () => t.begin(['user:admin', 'source:a']));
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(free);
  });

  it('keeps users and sources apart: a flood of new sources does not evict the user count', () => {
    let now = 0;
    const t = new LoginThrottle(() => ({ lockoutCount: 3, lockoutMs: 60_000 }), () => now);
    for (let i = 0; i < 2; i++) {
      t.begin(['user:admin', `source:s${i}`]);
      t.failure(['user:admin', `source:s${i}`]);
    }
    for (let i = 0; i < limitValue('LOGIN_MAX_TRACKED') + 10; i++) {
      t.begin([`source:x${i}`]);
      t.failure([`source:x${i}`]);
    }
    now += 100_000;
    t.begin(['user:admin', 'source:new']);
    expect(t.failure(['user:admin', 'source:new'])).toEqual(['user:admin']);
  });
});

describe('login throttle and audit on a real engine (TLS API on 127.0.0.161)', () => {
  let node: TargetNode;
  const LOCKOUT_S = 3;

  beforeAll(async () => {
    node = await startTarget({ address: '127.0.0.161', peerAddress: '127.0.0.162', hbPort: 28321, cluster: { LoginLockoutCount: 5, LoginLockoutTime: LOCKOUT_S } });
  });
  afterAll(async () => {
    await node?.cleanup();
  });

  const login = (password: string, from = '127.0.0.1', user = ADMIN.user) => node.remote({ method: 'cluster.status', params: {}, user, password }, from);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('delays, then locks out a guesser, refuses even the right password while locked, and audits it all', async () => {
    const wrong = 'guess-Nr-';
    for (let i = 0; i < limitValue('LOGIN_FREE_FAILURES'); i++) {
      const r = await login(`${wrong}${i}`);
      expect(r.envelope.error.code).toBe('AUTH');
      expect(r.envelope.error.message).toMatch(/wrong user or password/);
    }
    // At once again: refused before the password is looked at.
    const throttled = await login(ADMIN.password);
    expect(throttled.envelope.error.message).toMatch(/too many failed logins for (user admin|source 127\.0\.0\.1); retry in \d+ s/);
    // Parallel guesses (32 threads from 32 addresses, as in the report): none is even checked now.
    const burst = await Promise.all(Array.from({ length: 32 }, (_, i) => login(`${wrong}p${i}`, `127.0.1.${i + 1}`)));
    expect(burst.every((r) => /too many failed logins/.test(r.envelope.error.message))).toBe(true);
    // Waiting out each delay, two more failures reach LoginLockoutCount 5.
    await sleep(limitValue('LOGIN_DELAY_BASE_MS') + 100);
    expect((await login(`${wrong}4`)).envelope.error.message).toMatch(/wrong user or password/);
    await sleep(2 * limitValue('LOGIN_DELAY_BASE_MS') + 100);
    expect((await login(`${wrong}5`)).envelope.error.message).toMatch(/wrong user or password/);
    const locked = await login(ADMIN.password);
    expect(locked.envelope.error.message).toMatch(/locked out after repeated failed logins; retry in \d+ s/);
    // Another source is locked out too: the user is.
    expect((await login(ADMIN.password, '127.0.0.2')).envelope.error.message).toMatch(/user admin is locked out/);
    await sleep(LOCKOUT_S * 1000 + 200);
    const ok = await login(ADMIN.password);
    expect(ok.envelope.ok).toBe(true);

    const events = node.eventsText();
    expect(events).not.toContain(wrong);
    expect(events).not.toContain(ADMIN.password);
    expect(node.engineLog()).not.toContain(wrong);
    expect(node.engineLog()).not.toContain(ADMIN.password);
    const records = events.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const failed = records.filter((e) => e.rule === 'LOGIN_FAILED');
    expect(failed.length).toBeGreaterThanOrEqual(5);
    expect(failed[0].facts).toMatchObject({ user: 'admin', source: '127.0.0.1', auth: 'password', method: 'cluster.status', reason: 'wrong user or password' });
    expect(records.filter((e) => e.rule === 'LOGIN_LOCKED').map((e) => e.facts.locked).sort()).toEqual(['source:127.0.0.1', 'user:admin']);
    expect(records.find((e) => e.rule === 'LOGIN_OK')?.facts).toMatchObject({ user: 'admin', source: '127.0.0.1', auth: 'password' });

    const status = (await node.status()) as any;
    expect(status.result.security.logins).toMatchObject({ ok: 1, failed: 5, locked: 2 });
    expect(status.result.security.logins.throttled).toBeGreaterThanOrEqual(34);
    expect(status.result.security.logins.lockedNow).toEqual([]);

    // What the operator sees at 3 a.m.
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin/mccluster.js'), 'events', '--limit', '100'], { env: { ...process.env, MCCS_HOME: node.home }, encoding: 'utf8' });
    expect(cli.status).toBe(0);
    for (const rule of ['LOGIN_FAILED', 'LOGIN_LOCKED', 'LOGIN_OK']) expect(cli.stdout).toContain(rule);
    const text = spawnSync(process.execPath, [join(ROOT, 'bin/mccluster.js'), 'status'], { env: { ...process.env, MCCS_HOME: node.home }, encoding: 'utf8' });
    expect(text.stdout).toMatch(/Logins since engine start: 1 ok, 5 failed, \d+ throttled, 2 lockouts/);
  });

  it('throttles cluster.join tokens from a source the same way', async () => {
    const from = '127.0.0.9';
    const join = (token: string) => node.remote({ method: 'cluster.join', params: { token, node: 'n2' } }, from);
    for (let i = 0; i < limitValue('LOGIN_FREE_FAILURES'); i++) expect((await join(`not-a-token-${i}`)).envelope.error.message).toMatch(/token is unknown, already used or expired/);
    const r = await join('not-a-token-x');
    expect(r.envelope.error.code).toBe('AUTH');
    expect(r.envelope.error.message).toMatch(/too many failed logins for (source 127\.0\.0\.9|user join-token); retry in/);
    const records = node.eventsText().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(records.filter((e) => e.rule === 'LOGIN_FAILED' && e.facts.auth === 'join-token' && e.facts.source === from).length).toBeGreaterThanOrEqual(4);
    expect(node.eventsText()).not.toContain('not-a-token');
  });
});
