// Configuration as code (issue 14): `mccs config check FILE` gives the
// daemon's own errors and exit codes offline; `mccs config diff FILE` lists
// what differs from the running engine; `mccs apply -f FILE` prints its plan,
// applies the file as one change (ConfigVersion +1), takes a removed group
// offline first and starts a new AutoStart group after, is idempotent, and is
// refused (exit 5, nothing applied) when the cluster changed meanwhile.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { createHarness, DAEMON, ROOT, type Harness } from '../helpers/engine-harness.js';

function app(home: string, name: string): Record<string, unknown> {
  const flag = join(home, 'run', `${name}.up`);
  return { ResName: `${name}-app`, Type: 'Application', StartProgram: ['/bin/touch', flag], StopProgram: ['/bin/rm', '-f', flag], MonitorProgram: ['/usr/bin/test', '-f', flag], MonitorInterval: 0.5 };
}

function group(home: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { GroupName: name, GroupType: 'FAILOVER', NodeList: ['n1'], AutoStart: true, Resources: [app(home, name)], Dependencies: [], ...extra };
}

describe('mccs config check / config diff / apply -f', () => {
  let h: Harness;
  let dir: string;
  const cli = (args: string[], env: Record<string, string> = {}) => {
    const e: NodeJS.ProcessEnv = { ...process.env, MCCS_HOME: h.home, MCCS_CONFIG_DIR: join(dir, 'no-settings'), ...env };
    delete e.NODE_ENV;
    return spawnSync(process.execPath, [join(ROOT, 'bin/mccs.js'), ...args], { env: e, encoding: 'utf8', input: '' });
  };
  const base = (): MainConfig => ({ ConfigVersion: 1, Cluster: { ClusterName: 'cac' }, Nodes: [{ NodeName: 'n1', StandAlone: true }], Groups: [group(h.home, 'old'), group(h.home, 'keep')] }) as unknown as MainConfig;
  const file = (name: string, config: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
    return p;
  };

  beforeAll(async () => {
    h = createHarness({ node: 'n1' });
    dir = join(h.home, 'repo');
    mkdirSync(dir, { recursive: true });
    h.writeConfig(base());
    await h.start();
  }, 30_000);

  afterAll(async () => {
    await h?.cleanup();
  });

  it('config check: exit 0 for a valid file; the daemon\'s errors and exit codes otherwise', () => {
    const ok = cli(['config', 'check', file('ok.json', base())]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^valid: .*ok\.json \(cluster cac, ConfigVersion 1, 1 nodes, 2 groups, 2 resources\)/);

    const bad = base() as unknown as { Cluster: Record<string, unknown>; Groups: Record<string, unknown>[] };
    bad.Cluster.HBPort = 'x';
    bad.Groups[0]!.Bogus = 1;
    const badFile = file('bad.json', bad);
    const check = cli(['config', 'check', badFile, '--json']);
    expect(check.status).toBe(3);
    const env = JSON.parse(check.stdout) as { ok: boolean; error: { code: string; message: string } };
    expect(env.ok).toBe(false);
    expect(env.error.code).toBe('INVALID');
    // The daemon started on the same bytes: same exit code, same error lines.
    const home = join(dir, 'daemon-home');
    mkdirSync(join(home, 'config'), { recursive: true });
    writeFileSync(join(home, 'config', 'main.json'), readFileSync(badFile));
    const daemon = spawnSync(process.execPath, [DAEMON, '--node', 'n1'], { env: { ...process.env, MCCS_HOME: home }, encoding: 'utf8', timeout: 20_000 });
    expect(daemon.status).toBe(3);
    const lines = (s: string) => s.split('\n').filter((l) => /^\s+\/(Cluster|Groups)/.test(l)).map((l) => l.trim());
    expect(lines(daemon.stderr)).toEqual(['/Cluster/HBPort: must be integer', '/Groups/0/Bogus: unknown attribute \'Bogus\'']);
    expect(lines(env.error.message)).toEqual(lines(daemon.stderr));

    expect(cli(['config', 'check', file('syntax.json', '{"ConfigVersion": 1,')]).status).toBe(3);
    expect(cli(['config', 'check', join(dir, 'missing.json')]).status).toBe(4);
  }, 30_000);

  it('config diff names what differs from the running cluster, matched by name', () => {
    const next = base() as unknown as { Cluster: Record<string, unknown>; Groups: Record<string, unknown>[] };
    next.Cluster.HBTimeout = 1500;
    next.Groups = [next.Groups[1]!, group(h.home, 'new')]; // keep first now: order is no difference
    const r = cli(['config', 'diff', file('next.json', next), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const env = JSON.parse(r.stdout) as { result: { changes: { op: string; what: string; attribute?: string; after?: unknown }[] } };
    expect(env.result.changes.map((c) => `${c.op} ${c.what}${c.attribute ? ` ${c.attribute}=${JSON.stringify(c.after)}` : ''}`)).toEqual(['change cluster HBTimeout=1500', 'remove group old', 'add group new']);
    const same = cli(['config', 'diff', file('same.json', base())]);
    expect(same.stdout).toMatch(/^no difference/);
  });

  it('apply --dry-run prints the plan and changes nothing; apply runs it as one change; a second apply changes nothing', async () => {
    const next = { ...base(), Groups: [group(h.home, 'keep'), group(h.home, 'new')] };
    const f = file('apply.json', next);
    const dry = cli(['apply', '-f', f, '--dry-run']);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Plan (dry run, nothing was changed) against ConfigVersion 1');
    expect(dry.stdout).toMatch(/stop +group old is not in the file: taken offline on n1, then removed \(APPLY_GROUP_REMOVED/);
    expect(dry.stdout).toMatch(/start +new group new \(AutoStart\): brought online on n1 \(APPLY_GROUP_ADDED/);
    expect((await h.rpc<{ ConfigVersion: number }>('cluster.status')).ok && JSON.parse(readFileSync(join(h.home, 'config/main.json'), 'utf8')).ConfigVersion).toBe(1);

    const run = cli(['apply', '-f', f]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    // Without a terminal: the plan, then one plain line per step as it happened, then the result.
    expect(run.stdout).toMatch(/^\+ +\d+\.\ds n1 group:old STOPPING → OFFLINE GROUP_STATE/m);
    expect(run.stdout).toMatch(/^\+ +\d+\.\ds n1 group:new STARTING → ONLINE GROUP_STATE/m);
    expect(run.stdout).toContain('Applied: ConfigVersion 2 (2 changes).');
    const written = JSON.parse(readFileSync(join(h.home, 'config/main.json'), 'utf8')) as MainConfig;
    expect(written.ConfigVersion).toBe(2);
    expect(written.Groups.map((g) => g.GroupName)).toEqual(['keep', 'new']);
    const states = await h.rpc<{ GroupName: string; state: string }[]>('grp.state', {});
    expect(states.ok && states.result.map((s) => `${s.GroupName}:${s.state}`)).toEqual(['keep:ONLINE', 'new:ONLINE']);
    expect(h.events().filter((e) => e.rule === 'CONFIG_CHANGED')).toHaveLength(1);

    const again = cli(['apply', '-f', f, '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, changed: false, result: { ConfigVersion: 2, changes: [] } });
  }, 60_000);

  it('apply is refused (exit 5, nothing applied) when the cluster is not at the version the plan was made on', async () => {
    const next = { ...base(), Cluster: { ClusterName: 'cac', HBTimeout: 2000 }, Groups: [group(h.home, 'keep'), group(h.home, 'new')] };
    // Someone else changes the cluster after this operator read version 2.
    expect((await h.rpc('cluster.modify', { attributes: { HBTimeout: '1800' } })).ok).toBe(true);
    const r = cli(['apply', '-f', file('late.json', next), '--if-version', '2', '--json']);
    expect(r.status).toBe(5);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('the configuration is at version 3, not 2') });
    expect(JSON.parse(readFileSync(join(h.home, 'config/main.json'), 'utf8')).Cluster.HBTimeout).toBe(1800);
  }, 30_000);
});
