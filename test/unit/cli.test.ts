// The CLI against a fake engine API on a unix socket in a temp MCCS_HOME:
// what each command asks the engine, what the operator sees, which exit code.
//
// Most cases run the fast path in-process (main() with captured output); the
// entry points themselves (bin/*.js from dist, oclif help and usage errors,
// startup time) run as real processes after a build.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { startFakeApi, type FakeApi } from '../helpers/fake-api.js';
import { main } from '../../src/cli/run.js';
import type { Io } from '../../src/cli/spec.js';
import type { Topic } from '../../src/cli/mccs-syntax.js';
import { EXIT_CODES, type ErrorCode } from '../../src/model/errors.js';
import type { Envelope } from '../../src/api/protocol.js';

const ROOT = join(import.meta.dirname, '..', '..');
let api: FakeApi;
let scratch: string;

beforeAll(async () => {
  api = await startFakeApi();
  scratch = mkdtempSync(join(tmpdir(), 'mccs-cli-'));
});
afterAll(async () => {
  await api.close();
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(() => api.reset());

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, MCCS_HOME: api.home, MCCS_CONFIG_DIR: join(scratch, 'no-settings'), NO_COLOR: '1', ...extra };
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The fast path in-process: `bin` is the entry point (mcgrp → 'grp', mccs → undefined). */
async function run(bin: string, line: string | string[], extraEnv: Record<string, string> = {}): Promise<Ran> {
  const topic = ({ mccs: undefined, mcgrp: 'grp', mcres: 'res', mcnode: 'node', mccluster: 'cluster' } as Record<string, Topic | undefined>)[bin];
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    isTTY: false,
    stderrIsTTY: false,
    stdinIsTTY: false,
    env: env(extraEnv),
  };
  const code = await main(topic, Array.isArray(line) ? line : line.split(' ').filter(Boolean), io);
  return { code, stdout, stderr };
}

/** A real process of bin/<bin>.js (built dist). */
function spawn(bin: string, args: string[], extraEnv: Record<string, string> = {}, input?: string): Promise<Ran & { ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [join(ROOT, 'bin', `${bin}.js`), ...args], { env: env(extraEnv), cwd: scratch }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr, ms: performance.now() - started });
    });
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** The last request of the command itself (a --wait also reads cluster.events to show its steps). */
function lastRequest(): { method: string; params: Record<string, unknown>; user?: string; password?: string } {
  const own = api.requests.filter((r) => r.method !== 'cluster.events' || !api.requests.some((x) => x.method !== 'cluster.events'));
  expect(own.length).toBeGreaterThan(0);
  return own[own.length - 1];
}

describe('each command asks the engine for the right method and params', () => {
  const cases: [string, string, string, Record<string, unknown>][] = [
    ['mcgrp', 'list', 'grp.list', {}],
    ['mcgrp', 'list web', 'grp.list', { group: 'web' }],
    ['mcgrp', 'state web --node node1', 'grp.state', { group: 'web', node: 'node1' }],
    ['mcgrp', 'online web --node node1', 'grp.online', { group: 'web', node: 'node1' }],
    ['mcgrp', 'online web -n node1 --force', 'grp.online', { group: 'web', node: 'node1', force: true }],
    ['mcgrp', 'offline web', 'grp.offline', { group: 'web' }],
    ['mcgrp', 'freeze web', 'grp.freeze', { group: 'web' }],
    ['mcgrp', 'unfreeze web', 'grp.unfreeze', { group: 'web' }],
    ['mcgrp', 'clear web --node node2', 'grp.clear', { group: 'web', node: 'node2' }],
    ['mcgrp', 'switch web --node node2', 'grp.switch', { group: 'web', node: 'node2' }],
    ['mcgrp', 'enable web', 'grp.enable', { group: 'web' }],
    ['mcgrp', 'disable web', 'grp.disable', { group: 'web' }],
    ['mcgrp', 'lock web --temporary', 'grp.lock', { group: 'web', temporary: true }],
    ['mcgrp', 'unlock web', 'grp.unlock', { group: 'web' }],
    ['mcgrp', 'add web NodeList=node1,node2 GroupType=FAILOVER', 'grp.add', { group: 'web', attributes: { NodeList: 'node1,node2', GroupType: 'FAILOVER' } }],
    ['mcgrp', 'delete web', 'grp.delete', { group: 'web' }],
    ['mcgrp', 'modify web AutoFailover=false', 'grp.modify', { group: 'web', attributes: { AutoFailover: 'false' } }],
    ['mcgrp', 'link web app ip OfflineDependency=WEAK', 'grp.link', { group: 'web', parent: 'app', child: 'ip', attributes: { OfflineDependency: 'WEAK' } }],
    ['mcgrp', 'unlink web app ip', 'grp.unlink', { group: 'web', parent: 'app', child: 'ip' }],
    ['mcres', 'list', 'res.list', {}],
    ['mcres', 'list --group web', 'res.list', { group: 'web' }],
    ['mcres', 'state web-ip --node node1', 'res.state', { resource: 'web-ip', node: 'node1' }],
    ['mcres', 'online web-ip --node node1', 'res.online', { resource: 'web-ip', node: 'node1' }],
    ['mcres', 'offline web-ip', 'res.offline', { resource: 'web-ip' }],
    ['mcres', 'clear web-ip', 'res.clear', { resource: 'web-ip' }],
    ['mcres', 'probe web-ip --node node1', 'res.probe', { resource: 'web-ip', node: 'node1' }],
    ['mcres', 'enable web-ip', 'res.enable', { resource: 'web-ip' }],
    ['mcres', 'disable web-ip', 'res.disable', { resource: 'web-ip' }],
    ['mcres', 'add app --type Process --group web Path=/bin/sleep', 'res.add', { resource: 'app', type: 'Process', group: 'web', attributes: { Path: '/bin/sleep' } }],
    ['mcres', 'delete app', 'res.delete', { resource: 'app' }],
    ['mcres', 'modify app RestartLimit=2', 'res.modify', { resource: 'app', attributes: { RestartLimit: '2' } }],
    ['mcnode', 'list', 'node.list', {}],
    ['mcnode', 'list node1', 'node.list', { node: 'node1' }],
    ['mcnode', 'modify node1 IsolationTestAddresses=10.0.0.254', 'node.modify', { node: 'node1', attributes: { IsolationTestAddresses: '10.0.0.254' } }],
    ['mcnode', 'license node1 KEY-1', 'node.license', { node: 'node1', license: 'KEY-1' }],
    ['mcnode', 'license --all KEY-1', 'node.license', { all: true, license: 'KEY-1' }],
    ['mcnode', 'evacuate node1', 'node.evacuate', { node: 'node1' }],
    ['mccluster', 'status', 'cluster.status', {}],
    ['mccluster', 'modify HBTimeout=2000', 'cluster.modify', { attributes: { HBTimeout: '2000' } }],
    ['mccluster', 'events', 'cluster.events', {}],
    [
      'mccluster',
      'events --group web --resource web-ip --node node1 --since 2024-05-01T03:00:00Z --until 2024-05-02T00:00:00Z --limit 5',
      'cluster.events',
      { group: 'web', resource: 'web-ip', node: 'node1', since: '2024-05-01T03:00:00Z', until: '2024-05-02T00:00:00Z', limit: 5 },
    ],
    ['mccs', 'grp online web --node node1', 'grp.online', { group: 'web', node: 'node1' }],
    ['mccs', 'node modify node1 IsolationTestAddresses=10.0.0.254', 'node.modify', { node: 'node1', attributes: { IsolationTestAddresses: '10.0.0.254' } }],
    ['mccs', 'users list', 'users.list', {}],
    ['mccs', 'users delete alice', 'users.delete', { name: 'alice' }],
  ];
  it.each(cases)('%s %s → %s', async (bin, line, method, params) => {
    const r = await run(bin, line);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(api.requests).toHaveLength(1);
    expect(lastRequest().method).toBe(method);
    expect(lastRequest().params).toEqual(params);
  });

  it('posts to /v1/rpc and sends no credentials when none are given (local root needs none)', async () => {
    await run('mcgrp', 'list');
    expect(api.requests[0].path).toBe('/v1/rpc');
    expect(api.requests[0].user).toBeUndefined();
    expect(api.requests[0].password).toBeUndefined();
  });
});

describe('MCCS syntax and oclif syntax send the same request', () => {
  const pairs: [string, string, string][] = [
    ['mcgrp', '-u admin -pw password -online -g pg -n node1', 'online pg --node node1 --user admin --password password'],
    ['mcgrp', '-offline -g pg -n node1 --wait --timeout 5', 'offline pg --node node1 --wait --timeout 5'],
    ['mcgrp', '-switch -g pg -n node2', 'switch pg --node node2'],
    ['mcgrp', '-freeze -g pg', 'freeze pg'],
    ['mcgrp', '-list -g pg', 'list pg'],
    ['mcgrp', '-state -g pg -n node1', 'state pg --node node1'],
    ['mcgrp', '-modify -g pg -a AutoStart false', 'modify pg AutoStart=false'],
    ['mcres', '-online web-ip -n node1', 'online web-ip --node node1'],
    ['mcres', '-offline web-ip --dry-run', 'offline web-ip --dry-run'],
    ['mcres', '-clear web-ip', 'clear web-ip'],
    ['mcres', '-modify app -a RestartLimit 1', 'modify app RestartLimit=1'],
    ['mcres', '-add app -t Process -g web -a Path /bin/sleep', 'add app --type Process --group web Path=/bin/sleep'],
    ['mcres', '-state -g web', 'state --group web'],
    ['mcnode', '-list -n node1', 'list node1'],
    ['mcnode', '-modify -n node1 -a IsolationTestAddresses 10.0.0.254', 'modify node1 IsolationTestAddresses=10.0.0.254'],
    ['mcnode', '-license -n node1 KEY', 'license node1 KEY'],
    ['mcnode', '-evacuate -n node1', 'evacuate node1'],
    ['mccluster', '-events -g web -limit 3', 'events --group web --limit 3'],
  ];
  it.each(pairs)('%s %s', async (bin, mccs, modern) => {
    const a = await run(bin, mccs);
    const b = await run(bin, modern);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    // A --wait also reads cluster.events to show its steps; the command's own requests are the same.
    const own = api.requests.filter((r) => r.method !== 'cluster.events' || mccs.includes('-events'));
    expect(own).toHaveLength(2);
    expect(own[0]).toEqual(own[1]);
  });
});

describe('state changes: --dry-run, --wait, --timeout', () => {
  it('--dry-run asks for the plan only', async () => {
    await run('mcgrp', 'online web --node node1 --dry-run');
    expect(lastRequest().params).toEqual({ group: 'web', node: 'node1', dryRun: true });
  });
  it('--wait --timeout 5 pass through', async () => {
    await run('mcgrp', 'offline web --wait --timeout 5');
    expect(lastRequest().params).toEqual({ group: 'web', wait: true, timeout: 5 });
    await run('mcres', '-online web-ip -n node1 --wait --timeout=7');
    expect(lastRequest().params).toEqual({ resource: 'web-ip', node: 'node1', wait: true, timeout: 7 });
  });
  it('--wait without a terminal prints one plain line per step (from the event log); --json only the envelope', async () => {
    const now = new Date(Date.now() + 1000).toISOString();
    api.answer('cluster.events', { ok: true, changed: false, result: [
      { time: now, node: 'node1', subject: 'resource:web-ip', group: 'web', resource: 'web-ip', oldState: 'OFFLINE', newState: 'ONLINE', cause: 'operator', rule: 'ONLINE_DONE', message: 'web-ip is online on node1', facts: { node: 'node1' } },
      { time: now, node: 'node1', subject: 'group:db', group: 'db', newState: 'ONLINE', cause: 'operator', rule: 'GROUP_STATE', message: 'other group' },
    ] } as never);
    const r = await run('mcgrp', 'online web --wait');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('grp online web');
    expect(lines[1]).toMatch(/^\+ +\d+\.\ds node1 resource:web-ip OFFLINE → ONLINE ONLINE_DONE: web-ip is online on node1$/);
    expect(r.stdout).not.toContain('other group');
    const j = await run('mcgrp', 'online web --wait --json');
    expect(j.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(j.stdout).ok).toBe(true);
  });
  it('--wait that times out exits 124', async () => {
    api.answer('grp.online', { ok: false, error: { code: 'TIMEOUT', message: 'web is not ONLINE on node1 after 5 s', actions: ['mcgrp state web'] } });
    const r = await run('mcgrp', 'online web --wait --timeout 5');
    expect(r.code).toBe(124);
  });
  it('a dry run prints the plan, step by step, and says nothing ran', async () => {
    api.answer('grp.online', {
      ok: true,
      changed: false,
      result: {
        plan: {
          event: { kind: 'GroupOnline', group: 'web', node: 'node1' },
          decision: { code: 'GROUP_ONLINE', message: 'bring web online on node1, children first', facts: {} },
          steps: [
            { id: 0, op: 'online', group: 'web', resource: 'web-nic', node: 'node1', after: [], decision: { code: 'CHILD', message: 'web-ip needs it', facts: {} } },
            { id: 1, op: 'online', group: 'web', resource: 'web-ip', node: 'node1', after: [0], decision: { code: 'TARGET', message: 'asked', facts: {} } },
          ],
        },
      },
    });
    const r = await run('mcgrp', 'online web --node node1 --dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dry run, nothing was run');
    expect(r.stdout).toMatch(/1\. online\s+web-nic on node1/);
    expect(r.stdout).toMatch(/2\. online\s+web-ip on node1 \(after 1\)/);
  });
  it('asking for what already holds succeeds: exit 0, "Nothing to do"', async () => {
    api.answer('grp.online', {
      ok: true,
      changed: false,
      result: { plan: { event: { kind: 'GroupOnline', group: 'web', node: 'node1' }, decision: { code: 'ALREADY', message: 'web is already ONLINE on node1', facts: {} }, steps: [] } },
    });
    const r = await run('mcgrp', 'online web --node node1');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Nothing to do: web is already ONLINE on node1');
    api.answer('grp.modify', { ok: true, changed: false, result: { ConfigVersion: 7 } });
    expect((await run('mcgrp', 'modify web AutoStart=true')).stdout).toContain('Already so');
  });
});

describe('--json prints the envelope as the engine sent it', () => {
  it('success', async () => {
    const envelope: Envelope = { ok: true, changed: true, result: { plan: { steps: [], decision: { code: 'X', message: 'm', facts: { a: 1 } } }, state: 'ONLINE' } };
    api.answer('grp.online', envelope);
    const r = await run('mcgrp', 'online web --json');
    expect(r.stdout).toBe(JSON.stringify(envelope) + '\n');
    expect(r.stderr).toBe('');
  });
  it('a list', async () => {
    const envelope: Envelope = { ok: true, changed: false, result: [{ GroupName: 'web', attributes: {}, states: { node1: 'ONLINE' }, resources: [], dependencies: [] }] };
    api.answer('grp.list', envelope);
    const r = await run('mcgrp', '-list --json');
    expect(JSON.parse(r.stdout)).toEqual(envelope);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });
  it('an error, with the exit code of its code', async () => {
    const envelope: Envelope = { ok: false, error: { code: 'NOT_FOUND', message: "no group 'nope'", actions: ['mcgrp list'] } };
    api.answer('grp.online', envelope);
    const r = await run('mcgrp', 'online nope --json');
    expect(r.stdout).toBe(JSON.stringify(envelope) + '\n');
    expect(r.code).toBe(4);
  });
});

describe('every error code has its exit code (SPEC §6)', () => {
  const codes = Object.entries(EXIT_CODES) as [ErrorCode, number][];
  it.each(codes)('%s → exit %i', async (code, exit) => {
    api.answer('grp.offline', { ok: false, error: { code, message: `it went ${code}`, actions: ['do this'] } });
    const r = await run('mcgrp', 'offline web');
    expect(r.code).toBe(exit);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`[${code}]: it went ${code}`);
    expect(r.stderr).toContain('→ do this');
  });
  it('NOT_FOUND 4, CONFLICT 5, INVALID 3, AUTH 6, FAILED 1 (spelled out)', async () => {
    for (const [code, exit] of [['NOT_FOUND', 4], ['CONFLICT', 5], ['INVALID', 3], ['AUTH', 6], ['FAILED', 1]] as const) {
      api.answer('res.online', { ok: false, error: { code, message: 'x', actions: [] } });
      expect((await run('mcres', 'online r --json')).code).toBe(exit);
    }
  });
  it('an answer that is no envelope is FAILED (1), not a crash', async () => {
    api.answer('grp.list', { nonsense: true } as unknown as Envelope);
    const r = await run('mcgrp', 'list --json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('FAILED');
  });
});

describe('engine down', () => {
  it('exit 7 and says how to start it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'mccs-empty-'));
    const r = await run('mcgrp', 'list', { MCCS_HOME: empty });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('the engine is not running');
    expect(r.stderr).toContain('systemctl start mccs');
    expect(r.stderr).toContain('mccs daemon');
    const j = await run('mcgrp', '-list --json', { MCCS_HOME: empty });
    expect(j.code).toBe(7);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'UNREACHABLE' } });
    rmSync(empty, { recursive: true });
  });
});

describe('usage errors: exit 2, and one envelope under --json', () => {
  it('an unknown MCCS option names it', async () => {
    const r = await run('mcgrp', '-online -g web -x 1 --json');
    expect(r.code).toBe(2);
    const e = JSON.parse(r.stdout);
    expect(e).toMatchObject({ ok: false, error: { code: 'USAGE' } });
    expect(e.error.message).toContain('-x');
    expect(api.requests).toHaveLength(0);
  });
  it('a word that is not Attr=value', async () => {
    const r = await run('mcnode', 'modify node1 IsolationTestAddresses');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected Attribute=value, got 'IsolationTestAddresses'");
    expect(api.requests).toHaveLength(0);
  });
  it('a bad time for events', async () => {
    const r = await run('mccluster', 'events --since yesterday-ish --json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toContain('--since');
  });
});

describe('credentials: flags, else MCCS_USER/MCCS_PASSWORD, else the profile (mccs login, conf)', () => {
  it('flags', async () => {
    await run('mcgrp', 'list -u admin --password pw1');
    expect(lastRequest()).toMatchObject({ user: 'admin', password: 'pw1' });
  });
  it('environment', async () => {
    await run('mcgrp', 'list', { MCCS_USER: 'ops', MCCS_PASSWORD: 'pw2' });
    expect(lastRequest()).toMatchObject({ user: 'ops', password: 'pw2' });
  });
  it('mccs login checks the credentials against the engine, then stores the profile (mode 0600, the password in its own 0600 file)', async () => {
    const dir = join(scratch, 'settings-login');
    api.answer('cluster.status', { ok: true, changed: false, result: { ClusterName: 'shop', localNode: 'node1', ConfigVersion: 3 } } as never);
    const r = await run('mccs', 'login ops -u filer --json', { MCCS_CONFIG_DIR: dir, MCCS_PASSWORD: 'pw3' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(lastRequest()).toMatchObject({ method: 'cluster.status', user: 'filer', password: 'pw3' });
    const env = JSON.parse(r.stdout);
    expect(env).toMatchObject({ ok: true, changed: true, result: { profile: 'ops', user: 'filer', ClusterName: 'shop', node: 'node1' } });
    const settings = join(dir, 'config.json');
    expect(statSync(settings).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(settings, 'utf8'));
    expect(stored.profiles.ops).toEqual({ user: 'filer', passwordFile: join(dir, 'credentials', 'ops') });
    expect(readFileSync(settings, 'utf8')).not.toContain('pw3');
    expect(statSync(join(dir, 'credentials', 'ops')).mode & 0o777).toBe(0o600);
    // The same login again: nothing changes.
    expect(JSON.parse((await run('mccs', 'login ops -u filer --json', { MCCS_CONFIG_DIR: dir, MCCS_PASSWORD: 'pw3' })).stdout).changed).toBe(false);

    // Used by --profile or MCCS_PROFILE; a flag or MCCS_USER wins, and the profile's password is not sent for another user.
    await run('mcgrp', 'list --profile ops', { MCCS_CONFIG_DIR: dir });
    expect(lastRequest()).toMatchObject({ method: 'grp.list', user: 'filer', password: 'pw3' });
    await run('mcgrp', '-list', { MCCS_CONFIG_DIR: dir, MCCS_PROFILE: 'ops' });
    expect(lastRequest()).toMatchObject({ method: 'grp.list', user: 'filer', password: 'pw3' });
    await run('mcgrp', 'list -u other', { MCCS_CONFIG_DIR: dir, MCCS_PROFILE: 'ops' });
    expect(lastRequest().user).toBe('other');
    expect(lastRequest().password).toBeUndefined();
    await run('mcgrp', 'list', { MCCS_CONFIG_DIR: dir, MCCS_PROFILE: 'ops', MCCS_USER: 'envuser', MCCS_PASSWORD: 'envpw' });
    expect(lastRequest()).toMatchObject({ user: 'envuser', password: 'envpw' });

    // An unknown profile is NOT_FOUND (4), naming the known ones.
    const unknown = await run('mcgrp', 'list --profile nope --json', { MCCS_CONFIG_DIR: dir });
    expect(unknown.code).toBe(4);
    expect(JSON.parse(unknown.stdout).error.actions).toEqual(['known profiles: ops']);
  });
  it('a login the engine refuses stores nothing (exit 6)', async () => {
    const dir = join(scratch, 'settings-refused');
    api.answer('cluster.status', { ok: false, error: { code: 'AUTH', message: 'bad credentials', actions: [] } });
    const r = await run('mccs', 'login ops -u filer --json', { MCCS_CONFIG_DIR: dir, MCCS_PASSWORD: 'wrong' });
    expect(r.code).toBe(6);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
  });
  it('a password file others can read is refused (exit 6), nothing sent', async () => {
    const dir = join(scratch, 'settings-open');
    const file = join(scratch, 'open-password');
    writeFileSync(file, 'pw3');
    chmodSync(file, 0o644);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ profiles: { ops: { user: 'filer', passwordFile: file } } }), { mode: 0o600 });
    const r = await run('mcgrp', 'list --json', { MCCS_CONFIG_DIR: dir, MCCS_PROFILE: 'ops' });
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout).error.actions).toContain(`chmod 600 ${file}`);
    expect(api.requests).toHaveLength(0);
  });
});

describe('human output', () => {
  it('tables are plain when piped (no colour codes)', async () => {
    api.answer('grp.state', { ok: true, changed: false, result: [{ GroupName: 'web', node: 'node1', state: 'ONLINE', Frozen: false, Locked: false }] });
    const r = await run('mcgrp', 'state', { NO_COLOR: '' });
    expect(r.stdout).toMatch(/^GROUP\s+NODE\s+STATE\s+FROZEN\s+LOCKED\nweb\s+node1\s+ONLINE\s+false\s+false\n$/);
    expect(r.stdout).not.toContain('\x1b[');
  });
  it('cluster status shows nodes, groups, resources and warnings', async () => {
    api.answer('cluster.status', {
      ok: true,
      changed: false,
      result: {
        ClusterName: 'shop',
        localNode: 'node1',
        ConfigVersion: 7,
        nodes: [{ NodeName: 'node1', state: 'RUNNING', attributes: { PrimaryHB: '10.213.0.1', PrimaryHBStatus: 'UP' } }],
        groups: [{ GroupName: 'web', attributes: { GroupType: 'FAILOVER', Frozen: true }, states: { node1: 'ONLINE' }, resources: ['web-ip'], dependencies: [] }],
        resources: [{ ResName: 'web-ip', Type: 'IP', GroupName: 'web', attributes: {}, states: { node1: { state: 'ONLINE' } } }],
        warnings: ['no FenceProgram: a partition can run a group twice'],
      },
    });
    const r = await run('mccluster', 'status');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Cluster shop');
    expect(r.stdout).toMatch(/web\s+FAILOVER\s+ONLINE\s+frozen/);
    expect(r.stdout).toMatch(/web-ip\s+web\s+IP\s+ONLINE/);
    expect(r.stdout).toContain('warning: no FenceProgram');
  });
  it('cluster status says who orders configuration changes and whether both nodes hold the same copy', async () => {
    api.answer('cluster.status', {
      ok: true,
      changed: false,
      result: {
        ClusterName: 'shop',
        localNode: 'node2',
        ConfigVersion: 12,
        nodes: [],
        groups: [],
        resources: [],
        warnings: ['CONFIG_DIVERGED: node2 and node1 hold different configurations; the copy of node1 wins (mccluster events)'],
        membership: { configVersion: 12, configChecksum: 'aaaa', coordinator: 'node1', configAgreement: 'DIVERGED', peers: [{ node: 'node1', configVersion: 12, configChecksum: 'bbbb' }] },
      },
    });
    const r = await run('mccluster', 'status');
    expect(r.stdout).toContain('Configuration 12/aaaa DIVERGED (peer node1 12/bbbb)  changes ordered by node1');
    expect(r.stdout).toContain('warning: CONFIG_DIVERGED');
  });
  it('a change made while the peer is not RUNNING says where it is not', async () => {
    api.answer('grp.modify', { ok: true, changed: true, result: { ConfigVersion: 9, committedOn: ['node1'], notOn: ['node2'] } });
    const r = await run('mcgrp', ['modify', 'web', 'AutoFaultClearTime=60']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Configuration changed (ConfigVersion 9). Not on node2 (not RUNNING)');
  });
});

describe('issue-5 verbs with client-side work', () => {
  it('node support writes the archive to -p', async () => {
    api.answer('node.support', { ok: true, changed: false, result: { fileName: 'mccs-support-node1.tar.gz', contentBase64: Buffer.from('tgz!').toString('base64') } });
    const r = await run('mcnode', ['-support', '-n', 'node1', '-p', scratch, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.result).toEqual({ path: join(scratch, 'mccs-support-node1.tar.gz'), bytes: 4 });
    expect(readFileSync(out.result.path, 'utf8')).toBe('tgz!');
    expect(lastRequest()).toMatchObject({ method: 'node.support', params: { node: 'node1' } });
  });
  it('res monitor polls res.state every round; --json is one envelope per line', async () => {
    api.answer('res.state', { ok: true, changed: false, result: [{ ResName: 'web-ip', GroupName: 'web', node: 'node1', state: 'ONLINE' }] });
    const r = await run('mcres', '-monitor web -t 1 --count 2 --json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]).result[0].state).toBe('ONLINE');
    expect(api.requests.map((q) => [q.method, q.params])).toEqual([
      ['res.state', { group: 'web' }],
      ['res.state', { group: 'web' }],
    ]);
  });
  it('cluster attributes needs no engine', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'mccs-empty-'));
    const r = await run('mccluster', 'attributes --scope node --json', { MCCS_HOME: empty });
    expect(r.code).toBe(0);
    const names = JSON.parse(r.stdout).result.map((a: { name: string }) => a.name);
    expect(names).toContain('IsolationTestAddresses');
    expect(names).not.toContain('ClusterName');
    rmSync(empty, { recursive: true });
  });
  it('users add takes the password from MCCS_NEW_PASSWORD, never argv', async () => {
    await run('mccs', 'users add alice --role Monitor', { MCCS_NEW_PASSWORD: 's3cret' });
    expect(lastRequest()).toMatchObject({ method: 'users.add', params: { name: 'alice', role: 'Monitor', password: 's3cret' } });
  });
});

describe('remote access over TLS with a pinned certificate', () => {
  let server: ReturnType<typeof createHttpsServer>;
  let port = 0;
  let fingerprint = '';
  const seen: unknown[] = [];
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mccs-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=node2', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    fingerprint = new X509Certificate(cert).fingerprint256;
    server = createHttpsServer({ cert, key: readFileSync(join(dir, 'key.pem')) }, (req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push(JSON.parse(body));
        res.end(JSON.stringify({ ok: true, changed: false, result: [] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    rmSync(dir, { recursive: true });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('with the pinned fingerprint and credentials, the request goes through', async () => {
    const r = await run('mcgrp', `-ip 127.0.0.1:${port} -u admin -list --json`, { MCCS_PASSWORD: 'pw', MCCS_TLS_FINGERPRINT: fingerprint });
    expect(r.code).toBe(0);
    expect(seen.at(-1)).toEqual({ method: 'grp.list', params: {}, user: 'admin', password: 'pw' });
  });
  it('mccs login pins the certificate with --fingerprint; the profile then carries host, user, pin and password', async () => {
    const dir = join(scratch, 'settings-tls');
    const pwFile = join(scratch, 'tls-password');
    writeFileSync(pwFile, 'pw\n', { mode: 0o600 });
    const r = await run('mccs', `login prod --host 127.0.0.1:${port} -u admin --password-file ${pwFile} --fingerprint sha256:${fingerprint.replace(/:/g, '').toLowerCase()} --json`, { MCCS_CONFIG_DIR: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).profiles.prod).toEqual({ host: `127.0.0.1:${port}`, user: 'admin', fingerprint: `sha256:${fingerprint.replace(/:/g, '').toLowerCase()}`, passwordFile: pwFile });
    const used = await run('mcgrp', 'list --profile prod --json', { MCCS_CONFIG_DIR: dir });
    expect(used.code).toBe(0);
    expect(seen.at(-1)).toEqual({ method: 'grp.list', params: {}, user: 'admin', password: 'pw' });
  });
  it('mccs login without a pin, no terminal: refused (exit 6) showing the fingerprint to pass', async () => {
    const dir = join(scratch, 'settings-nopin');
    const r = await run('mccs', `login prod --host 127.0.0.1:${port} -u admin --json`, { MCCS_CONFIG_DIR: dir, MCCS_PASSWORD: 'pw' });
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout).error.message).toContain(fingerprint);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
  });
  it('no pin: refused (exit 6), showing the fingerprint to check', async () => {
    const before = seen.length;
    const r = await run('mcgrp', `list --host 127.0.0.1:${port} -u admin --password pw --json`);
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout).error.message).toContain(fingerprint);
    expect(seen.length).toBe(before);
  });
  it('a wrong pin: refused (exit 6), nothing sent', async () => {
    const before = seen.length;
    const r = await run('mcgrp', `list --host 127.0.0.1:${port} -u admin --password pw`, { MCCS_TLS_FINGERPRINT: 'AA:BB' });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('does not match the pinned fingerprint');
    expect(seen.length).toBe(before);
  });
  it('no credentials: refused before connecting (exit 6)', async () => {
    const r = await run('mcgrp', `list --host 127.0.0.1:${port}`, { MCCS_TLS_FINGERPRINT: fingerprint });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('needs credentials');
  });
  it('nobody listening: exit 7', async () => {
    const r = await run('mcgrp', `list --host 127.0.0.1:1 -u a --password b`, { MCCS_TLS_FINGERPRINT: fingerprint });
    expect(r.code).toBe(7);
  });
});

describe('the entry points, built (bin/*.js → dist)', () => {
  beforeAll(() => {
    // Others' files may not type-check yet: tsc still emits; the manifest follows the build.
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      // Type errors elsewhere; dist is written anyway.
    }
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'oclif'), ['manifest'], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      // Without a manifest oclif scans dist/commands: slower help, same behaviour.
    }
    expect(existsSync(join(ROOT, 'dist', 'cli', 'run.js'))).toBe(true);
  }, 120_000);

  it('mcgrp MCCS syntax and mccs oclif syntax: same request, same envelope', async () => {
    const a = await spawn('mcgrp', ['-u', 'admin', '-pw', 'password', '-online', '-g', 'pg', '-n', 'node1', '--json']);
    const b = await spawn('mccs', ['grp', 'online', 'pg', '--node', 'node1', '--user', 'admin', '--password', 'password', '--json']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(api.requests).toHaveLength(2);
    expect(api.requests[0]).toEqual(api.requests[1]);
    expect(api.requests[0]).toMatchObject({ method: 'grp.online', params: { group: 'pg', node: 'node1' }, user: 'admin', password: 'password' });
  });
  it('every entry point runs its topic', async () => {
    for (const [bin, args, method] of [
      ['mcnode', ['-list', '-n', 'node1'], 'node.list'],
      ['mcres', ['-clear', 'r1'], 'res.clear'],
      ['mccluster', ['status', '--json'], 'cluster.status'],
    ] as const) {
      const r = await spawn(bin, [...args]);
      expect(r.code, r.stderr).toBe(0);
      expect(lastRequest().method).toBe(method);
    }
  });
  it('exit codes survive the process boundary', async () => {
    api.answer('grp.online', { ok: false, error: { code: 'CONFLICT', message: 'web is online on node2', actions: ['mcgrp switch web --node node1'] } });
    const r = await spawn('mcgrp', ['online', 'web', '--node', 'node1']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('web is online on node2');
  });
  it('an unknown flag (oclif parser) is a usage error, one envelope under --json', async () => {
    const r = await spawn('mcgrp', ['online', 'web', '--bogus', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE' } });
    expect(JSON.parse(r.stdout).error.message).toContain('--bogus');
    expect(api.requests).toHaveLength(0);
  });
  it('a missing argument is a usage error', async () => {
    const r = await spawn('mcres', ['online', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe('USAGE');
  });
  it('an unknown command is a usage error, one envelope under --json', async () => {
    const r = await spawn('mcgrp', ['explode', 'web', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, error: { code: 'USAGE', message: "unknown command 'grp explode'", actions: ['mccs grp --help lists its commands'] } });
    const plain = await spawn('mccs', ['frobnicate']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("unknown command 'frobnicate'");
  });
  it('--help shows the command with its MCCS form', async () => {
    const r = await spawn('mcgrp', ['online', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--dry-run');
    expect(r.stdout).toContain('mcgrp -online -g web -n node1');
  });
  it('users add reads the new password from stdin when it is not a terminal', async () => {
    const r = await spawn('mccs', ['users', 'add', 'bob'], {}, 'hunter2\n');
    expect(r.code, r.stderr).toBe(0);
    expect(lastRequest()).toMatchObject({ method: 'users.add', params: { name: 'bob', role: 'Administrator', password: 'hunter2' } });
  });
  it('engine down: exit 7 from the real process', async () => {
    const r = await spawn('mcgrp', ['-list', '--json'], { MCCS_HOME: join(scratch, 'nothing-here') });
    expect(r.code).toBe(7);
    expect(JSON.parse(r.stdout).error.code).toBe('UNREACHABLE');
  });
  it('startup: mcgrp -list --json (median of 7)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) times.push((await spawn('mcgrp', ['-list', '--json'])).ms);
    times.sort((a, b) => a - b);
    const median = times[3];
    console.log(`mcgrp -list --json against the fake API: median ${median.toFixed(0)} ms (${times.map((t) => t.toFixed(0)).join(', ')})`);
    // The target is 250 ms on an idle machine; the bound here only catches a regression
    // (such as loading oclif on the fast path) on a shared, loaded test machine.
    expect(median).toBeLessThan(1000);
  });
});
