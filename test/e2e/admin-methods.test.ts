// The administration methods of issue 5 against a real engine (dist/daemon):
// groups and resources added, linked, modified, enabled/disabled, locked and
// deleted; node license, evacuate and support; the users of the API. Each
// method: success, idempotency (no second CONFIG_CHANGED), dry run, the error
// codes, main.json untouched after a refusal, roles and credentials.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/api/protocol.js';
import type { MainConfig } from '../../src/model/types.js';
import { createHarness, makeHome, pidsWithArg, ROOT, waitFor, type Harness } from '../helpers/engine-harness.js';

const SERVICE = join(ROOT, 'test/fixtures/service.mjs');
/** A well-formed cluster secret (the daemon checks its shape): it must never leave the node. */
const CLUSTER_KEY = randomBytes(32).toString('hex');

function config(home: string): MainConfig {
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'admin', FenceProgram: '/usr/local/bin/fence-peer' },
    // n1 runs alone (StandAlone: no heartbeat); n2 is declared but its engine never runs.
    Nodes: [{ NodeName: 'n1', StandAlone: true }, { NodeName: 'n2' }],
    Types: { Process: { MonitorInterval: 0.5, OfflineMonitorInterval: 1 } },
    Groups: [
      {
        GroupName: 'web',
        GroupType: 'FAILOVER',
        NodeList: ['n1', 'n2'],
        AutoStart: false,
        Resources: [{ ResName: 'web-app', Type: 'Process', Path: process.execPath, Arguments: [SERVICE, `${home}/web-app`], Critical: true }],
        Dependencies: [],
      },
    ],
  };
}

describe('administration methods against a real engine', () => {
  let h: Harness;
  const mainJson = () => readFileSync(join(h.home, 'config/main.json'), 'utf8');
  const onDisk = () => JSON.parse(mainJson()) as MainConfig;
  const configChanges = () => h.events().filter((e) => e.rule === 'CONFIG_CHANGED').length;
  const ok = <T = Record<string, unknown>>(env: Envelope<T>): { changed: boolean; result: T } => {
    if (!env.ok) throw new Error(`expected ok, got ${env.error.code}: ${env.error.message}`);
    return env;
  };
  const code = (env: Envelope) => (env.ok ? 'OK' : env.error.code);
  const message = (env: Envelope) => (env.ok ? '' : env.error.message);

  /** Runs `call` twice: the first changes (one CONFIG_CHANGED), the second is a no-op. */
  async function changesOnce(call: () => Promise<Envelope>): Promise<Envelope> {
    const before = configChanges();
    const first = await call();
    expect(first, JSON.stringify(first)).toMatchObject({ ok: true, changed: true });
    expect(configChanges()).toBe(before + 1);
    const disk = mainJson();
    const second = await call();
    expect(second, JSON.stringify(second)).toMatchObject({ ok: true, changed: false });
    expect(configChanges()).toBe(before + 1);
    expect(mainJson()).toBe(disk);
    return first;
  }

  /** A refused request: its code, nothing written, no CONFIG_CHANGED. */
  async function refused(call: () => Promise<Envelope>, expected: string, text?: string | RegExp): Promise<Envelope> {
    const disk = mainJson();
    const before = configChanges();
    const env = await call();
    expect(code(env), JSON.stringify(env)).toBe(expected);
    if (text) expect(message(env)).toMatch(text);
    expect(mainJson()).toBe(disk);
    expect(configChanges()).toBe(before);
    return env;
  }

  /** A dry run: reports wouldChange, changes nothing. */
  async function dryRun(call: () => Promise<Envelope>, wouldChange = true): Promise<Envelope> {
    const disk = mainJson();
    const before = configChanges();
    const env = await call();
    expect(env, JSON.stringify(env)).toMatchObject({ ok: true, changed: false, result: { dryRun: true, wouldChange } });
    expect(mainJson()).toBe(disk);
    expect(configChanges()).toBe(before);
    return env;
  }

  beforeAll(async () => {
    h = createHarness({ node: 'n1' });
    h.writeConfig(config(h.home));
    // Secrets the support archive must never carry.
    writeFileSync(join(h.home, 'config/cluster.key'), `${CLUSTER_KEY}\n`, { mode: 0o600 });
    mkdirSync(join(h.home, 'config/tls'), { recursive: true });
    writeFileSync(join(h.home, 'config/tls/node.key'), '-----BEGIN PRIVATE KEY-----\nSECRET\n', { mode: 0o600 });
    await h.start();
    ok(await h.rpc('grp.online', { group: 'web', wait: true, timeout: 30 }));
  });
  afterAll(async () => {
    await h.cleanup();
    // The harness only ends processes with the home itself as an argument; ours carry `${home}/web-app`.
    for (const pid of pidsWithArg(`${h.home}/web-app`)) process.kill(pid, 'SIGKILL');
  });

  describe('groups', () => {
    it('grp.add creates a FAILOVER group from typed attributes; again: changed false', async () => {
      await dryRun(() => h.rpc('grp.add', { group: 'db', attributes: { NodeList: 'n2,n1', AutoStart: 'false' }, dryRun: true }));
      expect(onDisk().Groups.map((g) => g.GroupName)).toEqual(['web']);
      const r = await changesOnce(() => h.rpc('grp.add', { group: 'db', attributes: { NodeList: 'n2,n1', AutoStart: 'false' } }));
      expect(r).toMatchObject({ result: { ConfigVersion: 2 } });
      expect(onDisk().Groups[1]).toEqual({ GroupName: 'db', GroupType: 'FAILOVER', NodeList: ['n2', 'n1'], AutoStart: false, Resources: [], Dependencies: [] });
      expect(onDisk().ConfigVersion).toBe(2);
      // Asking for a subset of what holds is "already so" too.
      expect(await h.rpc('grp.add', { group: 'db', attributes: { GroupType: 'failover' } })).toMatchObject({ ok: true, changed: false });
      await dryRun(() => h.rpc('grp.add', { group: 'db', attributes: { NodeList: 'n2,n1' }, dryRun: true }), false);
    });

    it('grp.add refuses: another definition (CONFLICT), a bad node (INVALID with its path), unknown or read-only attributes', async () => {
      await refused(() => h.rpc('grp.add', { group: 'db', attributes: { NodeList: 'n1' } }), 'CONFLICT', /already exists with another definition.*NodeList/);
      await refused(() => h.rpc('grp.add', { group: 'x', attributes: { NodeList: 'n1,ghost' } }), 'INVALID', /\/Groups\/2\/NodeList\/1: unknown node 'ghost'/);
      await refused(() => h.rpc('grp.add', { group: 'x', attributes: { GroupType: 'BOGUS' } }), 'INVALID', /\/Groups\/2\/GroupType/);
      await refused(() => h.rpc('grp.add', { group: 'x', attributes: { NoSuch: '1' } }), 'NOT_FOUND', /no attribute 'NoSuch'/);
      await refused(() => h.rpc('grp.add', { group: 'x', attributes: { MaxDependencyLevel: '3' } }), 'INVALID', /read-only/);
      await refused(() => h.rpc('grp.add', { group: 'x', attributes: { NodeList: 'n1' }, dryRun: true, bogus: 1 }), 'USAGE');
    });

    it('grp.disable / grp.enable toggle Enabled; each twice is one change', async () => {
      await dryRun(() => h.rpc('grp.disable', { group: 'db', dryRun: true }));
      await changesOnce(() => h.rpc('grp.disable', { group: 'db' }));
      expect(onDisk().Groups[1]!.Enabled).toBe(false);
      await changesOnce(() => h.rpc('grp.enable', { group: 'db' }));
      expect(onDisk().Groups[1]!.Enabled).toBeUndefined(); // the default again
      await dryRun(() => h.rpc('grp.enable', { group: 'db', dryRun: true }), false);
      await refused(() => h.rpc('grp.enable', { group: 'nope' }), 'NOT_FOUND', /no group 'nope'/);
    });

    it('grp.lock stores Locked in main.json; a locked group refuses offline; unlock lifts it', async () => {
      await dryRun(() => h.rpc('grp.lock', { group: 'web', dryRun: true }));
      await changesOnce(() => h.rpc('grp.lock', { group: 'web' }));
      expect(onDisk().Groups[0]!.Locked).toBe(true);
      expect(await h.rpc('grp.offline', { group: 'web' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      await changesOnce(() => h.rpc('grp.unlock', { group: 'web' }));
      expect(onDisk().Groups[0]!.Locked).toBeUndefined();
      await refused(() => h.rpc('grp.lock', { group: 'nope' }), 'NOT_FOUND');
    });

    it('grp.lock --temporary is runtime only: shown by grp.state, never written to main.json', async () => {
      const disk = mainJson();
      const first = await h.rpc('grp.lock', { group: 'web', temporary: true });
      expect(first).toMatchObject({ ok: true, changed: true, result: { Locked: true, temporary: true } });
      expect(await h.rpc('grp.lock', { group: 'web', temporary: true })).toMatchObject({ ok: true, changed: false });
      expect(mainJson()).toBe(disk);
      const st = ok(await h.rpc<{ node: string; Locked: boolean }[]>('grp.state', { group: 'web' }));
      expect(st.result.every((r) => r.Locked)).toBe(true);
      expect(await h.rpc('grp.offline', { group: 'web' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      expect(h.events().filter((e) => e.rule === 'GROUP_TEMP_LOCKED')).toHaveLength(1);
      expect(await h.rpc('grp.unlock', { group: 'web', temporary: true })).toMatchObject({ ok: true, changed: true, result: { Locked: false } });
      expect(await h.rpc('grp.unlock', { group: 'web', temporary: true })).toMatchObject({ ok: true, changed: false });
      expect(mainJson()).toBe(disk);
    });
  });

  describe('resources', () => {
    it('res.add adds a typed resource (comma list or JSON array for Arguments); again: changed false', async () => {
      await dryRun(() => h.rpc('res.add', { resource: 'db-a', type: 'Process', group: 'db', attributes: { Path: '/bin/sleep', Arguments: '100,200' }, dryRun: true }));
      await changesOnce(() => h.rpc('res.add', { resource: 'db-a', type: 'Process', group: 'db', attributes: { Path: '/bin/sleep', Arguments: '100,200', RestartLimit: '2' } }));
      await changesOnce(() => h.rpc('res.add', { resource: 'db-b', type: 'Process', group: 'db', attributes: { Path: '/bin/sleep', Arguments: '["a b", "c,d"]', Critical: 'yes' } }));
      const db = onDisk().Groups[1]!;
      expect(db.Resources).toEqual([
        { ResName: 'db-a', Type: 'Process', Path: '/bin/sleep', Arguments: ['100', '200'], RestartLimit: 2 },
        { ResName: 'db-b', Type: 'Process', Path: '/bin/sleep', Arguments: ['a b', 'c,d'], Critical: true },
      ]);
      const list = ok(await h.rpc<{ ResName: string; states: Record<string, { state: string }> }[]>('res.list', { group: 'db' }));
      expect(list.result.map((r) => r.ResName)).toEqual(['db-a', 'db-b']);
    });

    it('res.add refuses: unknown type or group (NOT_FOUND), bad value (INVALID with its path), another definition (CONFLICT)', async () => {
      await refused(() => h.rpc('res.add', { resource: 'x', type: 'Bogus', group: 'db', attributes: { Path: '/bin/true' } }), 'NOT_FOUND', /no resource type 'Bogus'/);
      await refused(() => h.rpc('res.add', { resource: 'x', type: 'Process', group: 'nope', attributes: { Path: '/bin/true' } }), 'NOT_FOUND', /no group 'nope'/);
      await refused(() => h.rpc('res.add', { resource: 'x', type: 'Process', group: 'db', attributes: { Path: '/bin/true', RestartLimit: 'many' } }), 'INVALID', /\/Groups\/1\/Resources\/2\/RestartLimit/);
      await refused(() => h.rpc('res.add', { resource: 'x', type: 'Process', group: 'db', attributes: { Path: 'relative' } }), 'INVALID', /\/Groups\/1\/Resources\/2\/Path/);
      await refused(() => h.rpc('res.add', { resource: 'x', type: 'Process', group: 'db', attributes: { Nope: '1' } }), 'NOT_FOUND', /no attribute 'Nope'/);
      await refused(() => h.rpc('res.add', { resource: 'db-a', type: 'Process', group: 'db', attributes: { Path: '/bin/true' } }), 'CONFLICT', /another definition.*Path/);
      await refused(() => h.rpc('res.add', { resource: 'db-a', type: 'Process', group: 'web', attributes: { Path: '/bin/sleep' } }), 'CONFLICT', /group db/);
      await refused(() => h.rpc('res.add', { resource: 'web-app', type: 'Process', group: 'db', attributes: {} }), 'CONFLICT');
    });

    it('res.modify changes typed attributes; refuses read-only (INVALID, as grp/node/cluster modify), unknown (NOT_FOUND), invalid (INVALID)', async () => {
      await dryRun(() => h.rpc('res.modify', { resource: 'db-a', attributes: { RestartLimit: '3' }, dryRun: true }));
      await changesOnce(() => h.rpc('res.modify', { resource: 'db-a', attributes: { RestartLimit: '3', Arguments: '300' } }));
      expect(onDisk().Groups[1]!.Resources[0]).toMatchObject({ RestartLimit: 3, Arguments: ['300'] });
      // The declared default of an absent attribute: already so, nothing written.
      expect(await h.rpc('res.modify', { resource: 'db-a', attributes: { Critical: 'false' } })).toMatchObject({ ok: true, changed: false });
      await refused(() => h.rpc('res.modify', { resource: 'db-a', attributes: { ResName: 'other' } }), 'INVALID', /read-only/);
      await refused(() => h.rpc('res.modify', { resource: 'db-a', attributes: { Nope: '1' } }), 'NOT_FOUND');
      await refused(() => h.rpc('res.modify', { resource: 'db-a', attributes: { MonitorInterval: '-1' } }), 'INVALID', /\/Groups\/1\/Resources\/0\/MonitorInterval/);
      await refused(() => h.rpc('res.modify', { resource: 'nope', attributes: { Critical: 'true' } }), 'NOT_FOUND', /no resource 'nope'/);
    });

    it('res.disable / res.enable toggle Enabled', async () => {
      await dryRun(() => h.rpc('res.disable', { resource: 'db-b', dryRun: true }));
      await changesOnce(() => h.rpc('res.disable', { resource: 'db-b' }));
      expect(onDisk().Groups[1]!.Resources[1]!.Enabled).toBe(false);
      await changesOnce(() => h.rpc('res.enable', { resource: 'db-b' }));
      expect(onDisk().Groups[1]!.Resources[1]!.Enabled).toBeUndefined();
      await refused(() => h.rpc('res.disable', { resource: 'nope' }), 'NOT_FOUND');
    });

    it('grp.link / grp.unlink manage Dependencies; a cycle is INVALID and named', async () => {
      await dryRun(() => h.rpc('grp.link', { group: 'db', parent: 'db-b', child: 'db-a', attributes: { OfflineDependency: 'weak' }, dryRun: true }));
      await changesOnce(() => h.rpc('grp.link', { group: 'db', parent: 'db-b', child: 'db-a', attributes: { OfflineDependency: 'weak' } }));
      expect(onDisk().Groups[1]!.Dependencies).toEqual([{ Parent: 'db-b', Child: 'db-a', OfflineDependency: 'WEAK' }]);
      expect(await h.rpc('grp.link', { group: 'db', parent: 'db-b', child: 'db-a', attributes: {} })).toMatchObject({ ok: true, changed: false });
      // An existing pair with new properties: changed in place (the MCCS manual: select the dependency, change its properties).
      await changesOnce(() => h.rpc('grp.link', { group: 'db', parent: 'db-b', child: 'db-a', attributes: { OfflineDependency: 'STRONG' } }));
      expect(onDisk().Groups[1]!.Dependencies).toEqual([{ Parent: 'db-b', Child: 'db-a', OfflineDependency: 'STRONG' }]);
      await refused(() => h.rpc('grp.link', { group: 'db', parent: 'db-a', child: 'db-b', attributes: {} }), 'INVALID', /dependency cycle: db-\w → db-\w → db-\w/);
      await refused(() => h.rpc('grp.link', { group: 'db', parent: 'db-a', child: 'web-app', attributes: {} }), 'NOT_FOUND', /in group 'web'/);
      await refused(() => h.rpc('grp.link', { group: 'db', parent: 'db-a', child: 'db-b', attributes: { Strength: 'x' } }), 'NOT_FOUND');
      const level = ok(await h.rpc<{ attributes: { MaxDependencyLevel: number } }[]>('grp.list', { group: 'db' }));
      expect(level.result[0]!.attributes.MaxDependencyLevel).toBe(2);
    });

    it('res.delete refuses a resource with dependencies or online (CONFLICT) unless force', async () => {
      await refused(() => h.rpc('res.delete', { resource: 'db-a' }), 'CONFLICT', /has dependencies: db-b → db-a/);
      await refused(() => h.rpc('res.delete', { resource: 'web-app' }), 'CONFLICT', /online on n1/);
      await dryRun(() => h.rpc('res.delete', { resource: 'db-a', force: true, dryRun: true }));
      const r = await changesOnce(() => h.rpc('res.delete', { resource: 'db-a', force: true }));
      expect(r).toMatchObject({ result: { removedDependencies: [{ Parent: 'db-b', Child: 'db-a' }] } });
      expect(onDisk().Groups[1]!.Resources.map((x) => x.ResName)).toEqual(['db-b']);
      expect(onDisk().Groups[1]!.Dependencies).toEqual([]);
    });

    it('grp.unlink removes a dependency; unknown resources are NOT_FOUND', async () => {
      ok(await h.rpc('res.add', { resource: 'db-c', type: 'Process', group: 'db', attributes: { Path: '/bin/sleep', Arguments: '5' } }));
      ok(await h.rpc('grp.link', { group: 'db', parent: 'db-c', child: 'db-b' }));
      await dryRun(() => h.rpc('grp.unlink', { group: 'db', parent: 'db-c', child: 'db-b', dryRun: true }));
      await changesOnce(() => h.rpc('grp.unlink', { group: 'db', parent: 'db-c', child: 'db-b' }));
      expect(onDisk().Groups[1]!.Dependencies).toEqual([]);
      await refused(() => h.rpc('grp.unlink', { group: 'db', parent: 'db-c', child: 'ghost' }), 'NOT_FOUND');
      await refused(() => h.rpc('grp.unlink', { group: 'nope', parent: 'a', child: 'b' }), 'NOT_FOUND');
    });

    it('grp.delete refuses a group online anywhere (CONFLICT); deletes an offline one; again: changed false', async () => {
      await refused(() => h.rpc('grp.delete', { group: 'web' }), 'CONFLICT', /online on n1/);
      await dryRun(() => h.rpc('grp.delete', { group: 'db', dryRun: true }));
      await changesOnce(() => h.rpc('grp.delete', { group: 'db' }));
      expect(onDisk().Groups.map((g) => g.GroupName)).toEqual(['web']);
      expect(await h.rpc('res.list', { resource: 'db-b' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    });
  });

  describe('nodes', () => {
    it('node.license stores License (never enforced); --all sets every node', async () => {
      await dryRun(() => h.rpc('node.license', { node: 'n1', license: 'KEY-1', dryRun: true }));
      await changesOnce(() => h.rpc('node.license', { node: 'n1', license: 'KEY-1' }));
      expect(onDisk().Nodes[0]!.License).toBe('KEY-1');
      await changesOnce(() => h.rpc('node.license', { all: true, license: 'KEY-2' }));
      expect(onDisk().Nodes.map((n) => n.License)).toEqual(['KEY-2', 'KEY-2']);
      await refused(() => h.rpc('node.license', { node: 'n9', license: 'K' }), 'NOT_FOUND', /no node 'n9'/);
    });

    it('node.evacuate: CONFLICT when no other node can take a group; nothing to do on a node without groups', async () => {
      await refused(() => h.rpc('node.evacuate', { node: 'n1' }), 'CONFLICT', /no other node can take group web/);
      await refused(() => h.rpc('node.evacuate', { node: 'n1', dryRun: true }), 'CONFLICT');
      expect(await h.rpc('node.evacuate', { node: 'n2', wait: true })).toMatchObject({ ok: true, changed: false, result: { moves: [], plan: { steps: [] } } });
      await refused(() => h.rpc('node.evacuate', { node: 'n9' }), 'NOT_FOUND');
      const st = ok(await h.rpc<{ node: string; state: string }[]>('grp.state', { group: 'web', node: 'n1' }));
      expect(st.result[0]!.state).toBe('ONLINE');
    });

    it('node.support: a tar.gz of logs, sanitized config, states and facts; never cluster.key, users.json or TLS keys', async () => {
      ok(await h.rpc('users.add', { name: 'helper', role: 'Administrator', password: 'pw-helper' }));
      const r = ok(await h.rpc<{ fileName: string; contentBase64: string }>('node.support', {}));
      expect(r.result.fileName).toMatch(/^mccs-support-n1-\d{8}T\d{6}Z\.tar\.gz$/);
      const data = Buffer.from(r.result.contentBase64, 'base64');
      expect([data[0], data[1]]).toEqual([0x1f, 0x8b]);
      const scratch = mkdtempSync(join(tmpdir(), 'mccs-support-test-'));
      try {
        const file = join(scratch, r.result.fileName);
        writeFileSync(file, data);
        const names = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
        const top = r.result.fileName.replace(/\.tar\.gz$/, '');
        for (const f of ['log/events.jsonl', 'log/engine.log', 'config/main.json', 'states.json', 'facts.txt', 'README.txt']) expect(names).toContain(`${top}/${f}`);
        expect(names.filter((n) => /cluster\.key|users\.json|tls|\.pem$|node\.key/.test(n))).toEqual([]);
        execFileSync('tar', ['-xzf', file, '-C', scratch]);
        const main = JSON.parse(readFileSync(join(scratch, top, 'config/main.json'), 'utf8')) as MainConfig;
        expect(main.Cluster.FenceProgram).toBe('/usr/local/bin/fence-peer');
        expect(main.Groups.map((g) => g.GroupName)).toEqual(['web']);
        const states = JSON.parse(readFileSync(join(scratch, top, 'states.json'), 'utf8')) as { localNode: string; groups: unknown[] };
        expect(states.localNode).toBe('n1');
        expect(readFileSync(join(scratch, top, 'facts.txt'), 'utf8')).toContain('$ uname -a');
        for (const f of names.filter((n) => !n.endsWith('/'))) {
          const text = readFileSync(join(scratch, f), 'utf8');
          expect(text, f).not.toContain(CLUSTER_KEY);
          expect(text, f).not.toMatch(/PRIVATE KEY|scrypt\$/);
        }
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      await refused(() => h.rpc('node.support', { node: 'n9' }), 'NOT_FOUND');
      await refused(() => h.rpc('node.support', { node: 'n2' }), 'CONFLICT');
    });
  });

  describe('users and roles', () => {
    const mon = { user: 'watcher', password: 'pw-watch' };

    it('users.add / users.list: passwords never returned; same user again: changed false; another definition: CONFLICT', async () => {
      const r = await h.rpc('users.add', { name: 'watcher', role: 'Monitor', password: 'pw-watch' });
      expect(r).toMatchObject({ ok: true, changed: true, result: { name: 'watcher', role: 'Monitor' } });
      expect(await h.rpc('users.add', { name: 'watcher', role: 'Monitor', password: 'pw-watch' })).toMatchObject({ ok: true, changed: false });
      expect(code(await h.rpc('users.add', { name: 'watcher', role: 'Administrator', password: 'pw-watch' }))).toBe('CONFLICT');
      expect(code(await h.rpc('users.add', { name: 'watcher', role: 'Monitor', password: 'other' }))).toBe('CONFLICT');
      expect(await h.rpc('users.add', { name: 'tmp', role: 'Monitor', password: 'x', dryRun: true })).toMatchObject({ ok: true, changed: false, result: { dryRun: true, wouldChange: true } });
      const list = ok(await h.rpc<{ name: string; role: string }[]>('users.list', {}));
      expect(list.result).toEqual([
        { name: 'helper', role: 'Administrator' },
        { name: 'watcher', role: 'Monitor' },
      ]);
      expect(JSON.stringify(list)).not.toMatch(/scrypt|pw-/);
      expect(code(await h.rpc('users.add', { name: 'bad name!', role: 'Monitor', password: 'x' }))).toBe('USAGE');
    });

    it('a Monitor user reads but may not change anything (AUTH); a wrong password is AUTH', async () => {
      expect(await h.rpc('grp.list', {}, mon)).toMatchObject({ ok: true });
      expect(await h.rpc('cluster.status', {}, mon)).toMatchObject({ ok: true });
      for (const [method, params] of [
        ['grp.disable', { group: 'web' }],
        ['grp.lock', { group: 'web', temporary: true }],
        ['res.modify', { resource: 'web-app', attributes: { Critical: 'false' } }],
        ['grp.add', { group: 'sneaky', attributes: { NodeList: 'n1' } }],
        ['node.license', { node: 'n1', license: 'X' }],
        ['node.support', {}],
        ['users.list', {}],
        ['users.add', { name: 'evil', role: 'Administrator', password: 'x' }],
      ] as const) {
        await refused(() => h.rpc(method, params as Record<string, unknown>, mon), 'AUTH');
      }
      await refused(() => h.rpc('grp.list', {}, { user: 'watcher', password: 'wrong' }), 'AUTH');
      await refused(() => h.rpc('grp.list', {}, { user: 'nobody', password: 'x' }), 'AUTH');
      // An Administrator user may.
      expect(await h.rpc('grp.lock', { group: 'web', temporary: true, dryRun: true }, { user: 'helper', password: 'pw-helper' })).toMatchObject({ ok: true });
    });

    it('users.password changes the password (old one refused after); same password: changed false', async () => {
      expect(await h.rpc('users.password', { name: 'watcher', password: 'pw-new' })).toMatchObject({ ok: true, changed: true });
      expect(await h.rpc('users.password', { name: 'watcher', password: 'pw-new' })).toMatchObject({ ok: true, changed: false });
      expect(code(await h.rpc('grp.list', {}, mon))).toBe('AUTH');
      expect(code(await h.rpc('grp.list', {}, { user: 'watcher', password: 'pw-new' }))).toBe('OK');
      expect(code(await h.rpc('users.password', { name: 'ghost', password: 'x' }))).toBe('NOT_FOUND');
    });

    it('users.delete refuses the last Administrator (CONFLICT); deletes others; again: changed false', async () => {
      expect(await h.rpc('users.delete', { name: 'helper' })).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringMatching(/last Administrator/) } });
      expect(await h.rpc('users.delete', { name: 'watcher', dryRun: true })).toMatchObject({ ok: true, changed: false, result: { wouldChange: true } });
      expect(await h.rpc('users.delete', { name: 'watcher' })).toMatchObject({ ok: true, changed: true });
      expect(await h.rpc('users.delete', { name: 'watcher' })).toMatchObject({ ok: true, changed: false });
      expect(code(await h.rpc('grp.list', {}, { user: 'watcher', password: 'pw-new' }))).toBe('AUTH');
      const users = JSON.parse(readFileSync(join(h.home, 'config/users.json'), 'utf8')) as { users: { name: string }[] };
      expect(users.users.map((u) => u.name)).toEqual(['helper']);
      expect(h.events().filter((e) => e.rule.startsWith('USER_')).map((e) => e.rule)).toEqual(['USER_ADDED', 'USER_ADDED', 'USER_PASSWORD', 'USER_DELETED']);
      expect(JSON.stringify(h.events())).not.toMatch(/pw-/);
    });
  });

  it('the running service was never disturbed by any refused request', async () => {
    const st = ok(await h.rpc<{ state: string }[]>('grp.state', { group: 'web', node: 'n1' }));
    expect(st.result[0]!.state).toBe('ONLINE');
    await waitFor('web-app still adopted', async () => (ok(await h.rpc<{ state: string }[]>('res.state', { resource: 'web-app', node: 'n1' })).result[0]!.state === 'ONLINE'));
  });
});

describe('node.evacuate moves failover groups to the other RUNNING node (engine in process)', () => {
  it('switches every failover group online on n1 to n2, waiting for it', async () => {
    const { Engine } = await import('../../src/engine/engine.js');
    const { singleNodePort } = await import('../../src/engine/cluster-port.js');
    const { silentLogger } = await import('../../src/engine/logger.js');
    const { dispatch } = await import('../../src/api/methods.js');
    await import('../../src/api/methods/admin.js');
    const { LOCAL_ROOT } = await import('../../src/auth/users.js');
    const home = makeHome('mccs-evacuate-');
    try {
      const cfg = config(home);
      cfg.Groups.push({ GroupName: 'par', GroupType: 'PARALLEL', NodeList: ['n1', 'n2'], AutoStart: false, Resources: [], Dependencies: [] });
      writeFileSync(join(home, 'config/main.json'), JSON.stringify(cfg));
      const engine = new Engine({ home, nodeName: 'n1', logger: silentLogger });
      await engine.start();
      const remote: string[] = [];
      // n2 stands in for a peer: its steps are recorded and take effect at once.
      engine.attach({
        ...singleNodePort(() => 'n1'),
        remoteStep: async (step) => {
          remote.push(`${step.op} ${step.resource}@${step.node}`);
          engine.setState(step.node, step.resource, { state: step.op === 'online' ? 'ONLINE' : 'OFFLINE' }, undefined);
        },
      });
      engine.setNodeState('n2', 'RUNNING');
      const ctx = { engine, principal: LOCAL_ROOT };
      await dispatch(ctx, 'grp.online', { group: 'web', wait: true, timeout: 30 });
      const dry = await dispatch(ctx, 'node.evacuate', { node: 'n1', dryRun: true });
      expect(dry).toMatchObject({ changed: false, result: { dryRun: true, moves: [{ group: 'web', from: 'n1', to: 'n2' }] } });
      expect(remote).toEqual([]);
      const out = await dispatch(ctx, 'node.evacuate', { node: 'n1', wait: true, timeout: 30 });
      expect(out).toMatchObject({ changed: true, result: { moves: [{ group: 'web', to: 'n2' }], state: { web: 'ONLINE' } } });
      expect(remote).toEqual(['online web-app@n2']);
      expect(engine.status('n1', 'web-app').state).toBe('OFFLINE');
      expect(await dispatch(ctx, 'node.evacuate', { node: 'n1', wait: true })).toMatchObject({ changed: false });
      await engine.stop();
    } finally {
      for (const pid of pidsWithArg(`${home}/web-app`)) process.kill(pid, 'SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  });
});
