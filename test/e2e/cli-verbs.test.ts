// Each verb of mcnode, mcgrp, mcres, mccluster and mccs users, in MCCS
// single-dash syntax and in oclif syntax, run as the real bins (bin/*.js,
// built: scripts/test.sh builds first) against a real engine (dist/daemon)
// with its own MCCS_HOME: the --json envelope parsed, the exit codes of SPEC §6
// (0 1 2 3 4 5 6 7 124), idempotency (the same command twice: exit 0,
// changed:false and no second action in log/events.jsonl), --dry-run changes
// nothing, credentials from -u/-pw, MCCS_USER/MCCS_PASSWORD and the
// profile of `mccs login` (conf), the live watch of `mcres -monitor`, the support archive,
// and `mccluster status` plain when piped, in colour on a TTY, NO_COLOR honoured.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/api/protocol.js';
import { hashPassword } from '../../src/auth/password.js';
import type { MainConfig } from '../../src/model/types.js';
import { cliEnv, runCli } from '../helpers/cli-run.js';
import { createHarness, pidsWithArg, ROOT, waitFor, type Harness } from '../helpers/engine-harness.js';

const SERVICE = join(ROOT, 'test/fixtures/service.mjs');
const ADMIN_PASSWORD = 'admin-Secret-1';
const MONITOR_PASSWORD = 'monitor-Secret-1';

type Bin = 'mccs' | 'mcnode' | 'mcgrp' | 'mcres' | 'mccluster';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** The --json envelope (the first line of stdout), when there is one. */
  json: { ok: boolean; changed?: boolean; result?: any; error?: { code: string; message: string; actions: string[] } };
}

function config(home: string): MainConfig {
  const proc = (name: string) => ({ ResName: name, Type: 'Process', Path: process.execPath, Arguments: [SERVICE, `${home}/${name}`] });
  const flag = join(home, 'slow.flag');
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'verbs' },
    Nodes: [{ NodeName: 'n1', StandAlone: true }],
    Types: { Process: { MonitorInterval: 0.5, OfflineMonitorInterval: 1 } },
    Groups: [
      {
        GroupName: 'web',
        GroupType: 'FAILOVER',
        NodeList: ['n1'],
        AutoStart: false,
        Resources: [proc('base'), proc('app')],
        Dependencies: [{ Parent: 'app', Child: 'base' }],
      },
      {
        // Applications: one slow to come online (3 s), one whose start fails.
        GroupName: 'spare',
        GroupType: 'FAILOVER',
        NodeList: ['n1'],
        AutoStart: false,
        Resources: [
          {
            ResName: 'slow',
            Type: 'Application',
            StartProgram: ['/bin/sh', '-c', `sleep 3; touch ${flag}`],
            StopProgram: ['/bin/rm', '-f', flag],
            MonitorProgram: ['/bin/sh', '-c', `test -f ${flag} || exit 1`],
          },
          { ResName: 'bad', Type: 'Application', StartProgram: ['/bin/false'], MonitorProgram: ['/bin/false'] },
        ],
        Dependencies: [],
      },
    ],
  } as MainConfig;
}

describe('every CLI verb in both syntaxes against a running engine', () => {
  let h: Harness;
  const noSettings = () => join(h.home, 'no-settings');

  /** A CLI run against this engine only (no credentials unless given): test/helpers/cli-run.ts. */
  async function run(bin: Bin, args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
    const r = await runCli(bin, args, { env: { MCCS_HOME: h.home, MCCS_CONFIG_DIR: noSettings(), ...opts.env }, cwd: h.home, input: opts.input });
    if (args.includes('--json') && !r.json) throw new Error(`${bin} ${args.join(' ')}: stdout is not one JSON envelope: ${r.stdout} ${r.stderr}`);
    return { ...r, json: r.json ?? { ok: false } } as Run;
  }

  /** stderr less the build warning of run.ts (a parallel `tsc` run can leave oclif.manifest.json older than dist/). */
  const quiet = (stderr: string) => stderr.replace(/^warning: oclif\.manifest\.json is older.*\n/m, '');
  const show = (bin: Bin, args: string[], r: Run) => `${bin} ${args.join(' ')} → exit ${r.code}\n${r.stdout}${r.stderr}`;

  /** Runs a command that must succeed (exit 0, ok:true); returns the envelope. */
  async function ok(bin: Bin, args: string[], opts: { env?: Record<string, string>; input?: string; changed?: boolean } = {}): Promise<Run['json']> {
    const r = await run(bin, [...args, '--json'], opts);
    expect(r.code, show(bin, args, r)).toBe(0);
    expect(r.json.ok, show(bin, args, r)).toBe(true);
    expect(quiet(r.stderr), show(bin, args, r)).toBe('');
    if (opts.changed !== undefined) expect(r.json.changed, show(bin, args, r)).toBe(opts.changed);
    return r.json;
  }

  /** Runs a command that must fail with this exit code and error code. */
  async function fails(bin: Bin, args: string[], exit: number, code: string, opts: { env?: Record<string, string> } = {}): Promise<Run['json']> {
    const r = await run(bin, [...args, '--json'], opts);
    expect(r.code, show(bin, args, r)).toBe(exit);
    expect(r.json, show(bin, args, r)).toMatchObject({ ok: false, error: { code } });
    expect(typeof r.json.error?.message).toBe('string');
    expect(Array.isArray(r.json.error?.actions)).toBe(true);
    expect(quiet(r.stderr), 'nothing on stderr under --json').toBe('');
    return r.json;
  }

  const events = (): EventRecord[] => h.events();
  /** Events that record something done: a state transition, a configuration change, a user or temporary-lock change. */
  const actions = (since: number): EventRecord[] =>
    events()
      .slice(since)
      .filter((e) => e.newState !== undefined || /^(CONFIG_CHANGED|USER_|GROUP_TEMP_)/.test(e.rule));

  /**
   * The same command twice: the first changes (exit 0, changed:true, at least
   * one action in the event log), the second finds it done (exit 0,
   * changed:false) and adds no action.
   */
  async function twice(bin: Bin, args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Run['json']> {
    const mark = events().length;
    const first = await ok(bin, args, { ...opts, changed: true });
    await new Promise((r) => setTimeout(r, 100)); // let the engine finish writing its records
    const done = actions(mark);
    expect(done.length, `${bin} ${args.join(' ')} recorded no action`).toBeGreaterThan(0);
    const mark2 = events().length;
    await ok(bin, args, { ...opts, changed: false });
    await new Promise((r) => setTimeout(r, 100));
    expect(actions(mark2), `${bin} ${args.join(' ')} acted a second time`).toEqual([]);
    return first;
  }

  const mainJson = () => readFileSync(join(h.home, 'config/main.json'), 'utf8');
  const onDisk = () => JSON.parse(mainJson()) as MainConfig;

  /** A dry run: exit 0, changed:false, main.json and the event log's actions untouched. */
  async function dryRun(bin: Bin, args: string[]): Promise<Run['json']> {
    const disk = mainJson();
    const mark = events().length;
    const env = await ok(bin, [...args, '--dry-run'], { changed: false });
    await new Promise((r) => setTimeout(r, 100));
    expect(mainJson()).toBe(disk);
    expect(actions(mark)).toEqual([]);
    return env;
  }

  const groupState = async (group: string) => {
    const s = await h.rpc<{ state: string }[]>('grp.state', { group });
    if (!s.ok) throw new Error(s.error.message);
    return s.result[0]!.state;
  };
  const resState = async (res: string) => {
    const s = await h.rpc<{ state: string }[]>('res.state', { resource: res });
    if (!s.ok) throw new Error(s.error.message);
    return s.result[0]!.state;
  };

  beforeAll(async () => {
    h = createHarness({ node: 'n1' });
    h.writeConfig(config(h.home));
    const users = {
      users: [
        { name: 'admin', role: 'Administrator', hash: await hashPassword(ADMIN_PASSWORD) },
        { name: 'watcher', role: 'Monitor', hash: await hashPassword(MONITOR_PASSWORD) },
      ],
    };
    writeFileSync(join(h.home, 'config/users.json'), JSON.stringify(users), { mode: 0o600 });
    await h.start();
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('mcnode list, modify, license: both syntaxes, idempotent, --dry-run', async () => {
    const all = await ok('mcnode', ['-list']);
    expect(all.result.map((n: { NodeName: string }) => n.NodeName)).toEqual(['n1']);
    expect(all.changed).toBe(false);
    const one = await ok('mcnode', ['-list', '-n', 'n1']);
    expect(one.result[0]).toMatchObject({ NodeName: 'n1', state: 'RUNNING' });
    expect((await ok('mccs', ['node', 'list', 'n1'])).result).toEqual(one.result);
    await fails('mcnode', ['list', 'n9'], 4, 'NOT_FOUND');

    await twice('mcnode', ['-modify', '-n', 'n1', '-a', 'IsolationTestAddresses', '127.0.0.1']);
    expect(onDisk().Nodes[0]!.IsolationTestAddresses).toBe('127.0.0.1');
    await twice('mccs', ['node', 'modify', 'n1', 'IsolationTestAddresses=127.0.0.2']);
    expect(onDisk().Nodes[0]!.IsolationTestAddresses).toBe('127.0.0.2');
    await dryRun('mcnode', ['modify', 'n1', 'IsolationTestAddresses=10.9.9.9']);
    expect(onDisk().Nodes[0]!.IsolationTestAddresses).toBe('127.0.0.2');

    await twice('mcnode', ['-license', '-n', 'n1', 'KEY-ONE']);
    expect(onDisk().Nodes[0]!.License).toBe('KEY-ONE');
    await twice('mcnode', ['license', '--all', 'KEY-TWO']);
    expect(onDisk().Nodes[0]!.License).toBe('KEY-TWO');
  });

  it('mcnode support writes a tar.gz (-p DIR, --path FILE) without secrets; evacuate with nothing online does nothing', async () => {
    const dir = join(h.home, 'support');
    mkdirSync(dir);
    const a = await ok('mcnode', ['-support', '-p', dir]);
    expect(a.result.path).toMatch(new RegExp(`^${dir}/mccs-support-n1-.*\\.tar\\.gz$`));
    expect(readFileSync(a.result.path as string).length).toBe(a.result.bytes);
    const listing = execFileSync('tar', ['-tzf', a.result.path as string], { encoding: 'utf8' });
    expect(listing).toMatch(/config\/main\.json/);
    expect(listing).toMatch(/log\/events\.jsonl/);
    expect(listing).not.toMatch(/users\.json|cluster\.key|node\.key/);
    const b = await ok('mcnode', ['support', '--path', join(dir, 'named.tar.gz')]);
    expect(b.result.path).toBe(join(dir, 'named.tar.gz'));
    expect(existsSync(join(dir, 'named.tar.gz'))).toBe(true);

    expect(await groupState('web')).toBe('OFFLINE');
    const ev = await ok('mcnode', ['-evacuate', '-n', 'n1'], { changed: false });
    expect(ev.result.moves).toEqual([]);
    await ok('mccs', ['node', 'evacuate', 'n1', '--wait'], { changed: false });
  });

  it('mcgrp list and state: both syntaxes', async () => {
    const list = await ok('mcgrp', ['-list']);
    expect(list.result.map((g: { GroupName: string }) => g.GroupName)).toEqual(['web', 'spare']);
    const web = await ok('mcgrp', ['-list', '-g', 'web']);
    expect(web.result[0]).toMatchObject({ GroupName: 'web', resources: ['base', 'app'], dependencies: [{ Parent: 'app', Child: 'base', OnlineDependency: 'STRONG' }] });
    expect((await ok('mcgrp', ['list', 'web'])).result).toEqual(web.result);
    const st = await ok('mcgrp', ['-state', '-g', 'web', '-n', 'n1']);
    expect(st.result).toEqual([{ GroupName: 'web', node: 'n1', state: 'OFFLINE', Frozen: false, Locked: false }]);
    expect((await ok('mccs', ['grp', 'state', 'web', '--node', 'n1'])).result).toEqual(st.result);
    // `mccs grp -state …`: MCCS syntax after the topic of mccs.
    expect((await ok('mccs', ['grp', '-state', '-g', 'web'])).result).toEqual(st.result);
  });

  it('mcgrp online, switch, clear, offline: both syntaxes, --wait, idempotent, --dry-run runs nothing', async () => {
    const plan = await dryRun('mcgrp', ['online', 'web', '--node', 'n1']);
    expect(plan.result.plan.steps.map((s: { op: string; resource: string }) => `${s.op} ${s.resource}`)).toEqual(['online base', 'online app']);
    expect(await groupState('web')).toBe('OFFLINE');
    expect(pidsWithArg(`${h.home}/app`)).toEqual([]);

    const on = await twice('mcgrp', ['-online', '-g', 'web', '-n', 'n1', '--wait']);
    expect(on.result.state).toBe('ONLINE');
    expect(pidsWithArg(`${h.home}/base`)).toHaveLength(1);
    expect(pidsWithArg(`${h.home}/app`)).toHaveLength(1);

    // Already there, nothing faulted: success without change, in both syntaxes.
    await ok('mcgrp', ['-switch', '-g', 'web', '-n', 'n1', '--wait'], { changed: false });
    await ok('mcgrp', ['switch', 'web', '--node', 'n1'], { changed: false });
    await ok('mcgrp', ['-clear', '-g', 'web', '-n', 'n1'], { changed: false });
    await ok('mcgrp', ['clear', 'web', '--node', 'n1'], { changed: false });

    await dryRun('mcgrp', ['-offline', '-g', 'web', '-n', 'n1']);
    const off = await twice('mcgrp', ['offline', 'web', '--node', 'n1', '--wait', '--timeout', '30']);
    expect(off.result.state).toBe('OFFLINE');
    expect(pidsWithArg(`${h.home}/app`)).toEqual([]);
    await twice('mccs', ['grp', 'online', 'web', '--node', 'n1', '--wait']);
    expect(await groupState('web')).toBe('ONLINE');
  });

  it('mcgrp freeze/unfreeze, disable/enable, lock/unlock (also --temporary): both syntaxes, idempotent; refusals exit 5', async () => {
    await dryRun('mcgrp', ['freeze', 'web']);
    await twice('mcgrp', ['-freeze', '-g', 'web']);
    expect(onDisk().Groups[0]!.Frozen).toBe(true);
    await fails('mcgrp', ['-offline', '-g', 'web'], 5, 'CONFLICT');
    await fails('mcgrp', ['offline', 'web'], 5, 'CONFLICT');
    await twice('mcgrp', ['unfreeze', 'web']);

    await twice('mcgrp', ['disable', 'spare']);
    await fails('mcgrp', ['-online', '-g', 'spare', '-n', 'n1'], 5, 'CONFLICT');
    await twice('mcgrp', ['-enable', '-g', 'spare']);

    await twice('mcgrp', ['-lock', '-g', 'web']);
    expect(onDisk().Groups[0]!.Locked).toBe(true);
    await fails('mcgrp', ['offline', 'web', '--node', 'n1'], 5, 'CONFLICT');
    await twice('mcgrp', ['unlock', 'web']);
    await twice('mcgrp', ['lock', 'web', '--temporary']);
    expect(onDisk().Groups[0]!.Locked).toBeUndefined();
    expect((await ok('mcgrp', ['-state', '-g', 'web'])).result[0].Locked).toBe(true);
    await twice('mcgrp', ['-unlock', '-g', 'web', '-temp']);
    expect(await groupState('web')).toBe('ONLINE');
  });

  it('mcgrp add/modify/link/unlink/delete and mcres add/modify/disable/enable/delete on a second group: both syntaxes', async () => {
    const res = (name: string) => [`Path=${process.execPath}`, `Arguments=${JSON.stringify([SERVICE, `${h.home}/${name}`])}`];
    await dryRun('mcgrp', ['add', 'extra', 'NodeList=n1']);
    expect(onDisk().Groups.map((g) => g.GroupName)).toEqual(['web', 'spare']);
    await twice('mcgrp', ['-add', '-g', 'extra', '-a', 'NodeList', 'n1', '-a', 'AutoStart', 'false']);
    await fails('mcgrp', ['add', 'extra', 'AutoStart=true'], 5, 'CONFLICT');

    await twice('mcres', ['-add', 'x1', '-t', 'Process', '-g', 'extra', '-a', 'Path', process.execPath, '-a', 'Arguments', JSON.stringify([SERVICE, `${h.home}/x1`])]);
    await twice('mcres', ['add', 'x2', '--type', 'Process', '--group', 'extra', ...res('x2')]);
    await fails('mcres', ['add', 'x3', '--type', 'NoSuchType', '--group', 'extra'], 4, 'NOT_FOUND');
    await fails('mcres', ['-add', 'x3', '-t', 'Process', '-g', 'extra', '-a', 'RestartLimit', '-1', ...res('x3')], 3, 'INVALID');
    expect(onDisk().Groups[2]!.Resources.map((r) => r.ResName)).toEqual(['x1', 'x2']);

    await twice('mcgrp', ['-link', '-g', 'extra', 'x2', 'x1']);
    expect(onDisk().Groups[2]!.Dependencies).toEqual([{ Parent: 'x2', Child: 'x1' }]);
    await twice('mcgrp', ['unlink', 'extra', 'x2', 'x1']);
    await twice('mcgrp', ['link', 'extra', 'x2', 'x1', 'OfflineDependency=WEAK']);
    expect(onDisk().Groups[2]!.Dependencies).toEqual([{ Parent: 'x2', Child: 'x1', OfflineDependency: 'WEAK' }]);
    await twice('mcgrp', ['-unlink', '-g', 'extra', 'x2', 'x1']);
    expect(onDisk().Groups[2]!.Dependencies).toEqual([]);

    await twice('mcgrp', ['-modify', '-g', 'extra', '-a', 'AutoFailover', 'false']);
    await twice('mcgrp', ['modify', 'extra', 'AutoFailover=true']);
    await twice('mcres', ['-modify', 'x1', '-a', 'RestartLimit', '2']);
    await twice('mcres', ['modify', 'x1', 'RestartLimit=3']);
    expect(onDisk().Groups[2]!.Resources[0]).toMatchObject({ ResName: 'x1', RestartLimit: 3 });
    await dryRun('mcres', ['modify', 'x1', 'RestartLimit=4']);

    // Load and Capacity change at run time; an online beyond Capacity is refused (exit 5) unless --force.
    await twice('mcgrp', ['-modify', '-g', 'extra', '-a', 'Load', '60']);
    await twice('mcnode', ['modify', 'n1', 'Capacity=50']);
    expect(onDisk().Groups[2]).toMatchObject({ GroupName: 'extra', Load: 60 });
    expect(onDisk().Nodes[0]).toMatchObject({ NodeName: 'n1', Capacity: 50 });
    expect((await ok('mcnode', ['-list', '-n', 'n1'])).result[0].attributes).toMatchObject({ Capacity: 50, LoadInUse: 0, AvailableCapacity: 50 });
    await fails('mcgrp', ['modify', 'extra', 'Load=-1'], 3, 'INVALID');
    await fails('mcnode', ['-modify', '-n', 'n1', '-a', 'Capacity', 'lots'], 3, 'INVALID');
    const full = await fails('mcgrp', ['-online', '-g', 'extra', '-n', 'n1'], 5, 'CONFLICT');
    expect(full.error?.message).toContain('node n1 has no room for group extra: Load 60 + 0 in use > Capacity 50');
    expect((await dryRun('mcgrp', ['online', 'extra', '--node', 'n1', '--force'])).result.plan.decision.code).toBe('GROUP_ONLINE');
    await twice('mcgrp', ['modify', 'extra', 'Load=0']);
    await twice('mcnode', ['modify', 'n1', 'Capacity=1000']);

    await twice('mcres', ['-disable', 'x1']);
    expect(onDisk().Groups[2]!.Resources[0]!.Enabled).toBe(false);
    await twice('mcres', ['enable', 'x1']);

    await dryRun('mcres', ['delete', 'x2']);
    await twice('mcres', ['-delete', 'x2']);
    await twice('mcres', ['delete', 'x1']);
    await dryRun('mcgrp', ['delete', 'extra']);
    await twice('mcgrp', ['-delete', '-g', 'extra']);
    expect(onDisk().Groups.map((g) => g.GroupName)).toEqual(['web', 'spare']);
  });

  it('mcres list, state, probe, offline, online: both syntaxes', async () => {
    const list = await ok('mcres', ['-list', '-g', 'web']);
    expect(list.result.map((r: { ResName: string }) => r.ResName)).toEqual(['base', 'app']);
    const app = await ok('mcres', ['-list', 'app']);
    expect(app.result[0]).toMatchObject({ ResName: 'app', Type: 'Process', GroupName: 'web', attributes: { MonitorInterval: 0.5 }, states: { n1: { state: 'ONLINE' } } });
    expect((await ok('mcres', ['list', 'app'])).result[0].ResName).toBe('app');
    const st = await ok('mcres', ['-state', '-g', 'web', '-n', 'n1']);
    expect(st.result.map((r: { ResName: string; state: string }) => `${r.ResName} ${r.state}`)).toEqual(['base ONLINE', 'app ONLINE']);
    expect((await ok('mcres', ['state', 'app', '--node', 'n1'])).result).toMatchObject([{ ResName: 'app', state: 'ONLINE' }]);
    expect((await ok('mcres', ['-probe', 'app', '-n', 'n1'])).result).toMatchObject({ ResName: 'app', observation: 'running', state: 'ONLINE' });
    expect((await ok('mcres', ['probe', 'base'])).result).toMatchObject({ ResName: 'base', observation: 'running' });

    await dryRun('mcres', ['offline', 'app', '--node', 'n1']);
    await twice('mcres', ['-offline', 'app', '-n', 'n1', '--wait']);
    expect(pidsWithArg(`${h.home}/app`)).toEqual([]);
    expect(pidsWithArg(`${h.home}/base`)).toHaveLength(1);
    await twice('mcres', ['online', 'app', '--node', 'n1', '--wait']);
    expect(await resState('app')).toBe('ONLINE');
  });

  it('exit 1 when the start fails; mcres clear (both syntaxes) clears it once', async () => {
    const r = await fails('mcres', ['-online', 'bad', '-n', 'n1', '--wait'], 1, 'FAILED');
    expect(r.error?.message).toMatch(/StartProgram exited with code 1/);
    await waitFor('bad FAULTED', async () => (await resState('bad')) === 'FAULTED');
    await twice('mcres', ['clear', 'bad', '--node', 'n1']);
    expect(await resState('bad')).toBe('OFFLINE');
    await fails('mccs', ['res', 'online', 'bad', '--wait'], 1, 'FAILED');
    await twice('mcres', ['-clear', 'bad', '-n', 'n1']);
  });

  it('exit 124 when --wait --timeout is too short; the state comes later', async () => {
    const t = await run('mcres', ['-online', 'slow', '-n', 'n1', '--wait', '--timeout', '1', '--json']);
    expect(t.code, t.stdout).toBe(124);
    expect(t.json).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(t.ms).toBeLessThan(2900);
    await waitFor('slow online', async () => (await resState('slow')) === 'ONLINE', 15_000);
    await ok('mcres', ['online', 'slow', '--node', 'n1', '--wait', '--timeout', '1'], { changed: false });
    await twice('mcgrp', ['offline', 'spare', '--node', 'n1', '--wait']);
  });

  it('usage (2), invalid (3), not found (4) and conflict (5) in both syntaxes, with the envelope', async () => {
    await fails('mcgrp', ['-bogus'], 2, 'USAGE');
    await fails('mcgrp', ['-online', '-g', 'web', '-zz', 'x'], 2, 'USAGE');
    await fails('mcgrp', ['frobnicate'], 2, 'USAGE');
    await fails('mcgrp', ['online'], 2, 'USAGE');
    await fails('mcgrp', ['list', '--no-such-flag'], 2, 'USAGE');
    await fails('mcnode', ['modify', 'n1', 'NotAnAssignment'], 2, 'USAGE');
    await fails('mccluster', ['events', '--since', 'yesterday-ish'], 2, 'USAGE');

    const disk = mainJson();
    await fails('mcres', ['modify', 'app', 'RestartLimit=-1'], 3, 'INVALID');
    await fails('mcres', ['-modify', 'app', '-a', 'RestartLimit', 'many'], 3, 'INVALID');
    await fails('mcgrp', ['-modify', '-g', 'web', '-a', 'NodeList', 'n1,ghost'], 3, 'INVALID');
    expect(mainJson()).toBe(disk);

    await fails('mcgrp', ['-online', '-g', 'nope', '-n', 'n1'], 4, 'NOT_FOUND');
    await fails('mcgrp', ['online', 'nope'], 4, 'NOT_FOUND');
    await fails('mcres', ['-offline', 'nope'], 4, 'NOT_FOUND');
    await fails('mcnode', ['-list', '-n', 'n9'], 4, 'NOT_FOUND');
    await fails('mcgrp', ['modify', 'web', 'NoSuchAttribute=1'], 4, 'NOT_FOUND');

    // web is online on n1 and there is no other node to take it.
    await fails('mcnode', ['-evacuate', '-n', 'n1'], 5, 'CONFLICT');
    await fails('mcnode', ['evacuate', 'n1', '--dry-run'], 5, 'CONFLICT');
    await fails('mcgrp', ['delete', 'web'], 5, 'CONFLICT');
    expect(mainJson()).toBe(disk);

    // Without --json: the error on stderr, nothing on stdout, the same exit code.
    const human = await run('mcgrp', ['-online', '-g', 'nope']);
    expect(human.code).toBe(4);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(/NOT_FOUND.*nope/);
  });

  it('mcres -monitor -t 1 --count 2: a live watch, one envelope per round; plain text when piped', async () => {
    const r = await run('mcres', ['-monitor', '-t', '1', '--count', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; result: { ResName: string; state: string }[] });
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l.ok).toBe(true);
    expect(lines[1]!.result.find((x) => x.ResName === 'app')?.state).toBe('ONLINE');
    expect(r.ms).toBeGreaterThanOrEqual(1000);

    const plain = await run('mcres', ['monitor', 'web', '--interval', '1', '--count', '2']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.match(/^\d{4}-\d\d-\d\dT/gm)).toHaveLength(2);
    expect(plain.stdout).toMatch(/app/);
    expect(plain.stdout).not.toContain('\x1b');
  });

  it('mccluster status, events, modify, attributes: both syntaxes', async () => {
    const st = await ok('mccluster', ['-status']);
    expect(st.result).toMatchObject({ ClusterName: 'verbs', localNode: 'n1' });
    expect(st.result.groups.map((g: { GroupName: string }) => g.GroupName)).toEqual(['web', 'spare']);
    expect(st.result.resources.length).toBe(4);
    expect((await ok('mccluster', ['status'])).result.ClusterName).toBe('verbs');

    const ev = await ok('mccluster', ['-events', '-g', 'web', '-limit', '5']);
    expect(ev.result.length).toBeGreaterThan(0);
    expect(ev.result.length).toBeLessThanOrEqual(5);
    for (const e of ev.result as EventRecord[]) expect(e.group).toBe('web');
    const evr = await ok('mccluster', ['events', '--resource', 'app', '--limit', '3']);
    for (const e of evr.result as EventRecord[]) expect(e.resource).toBe('app');

    await twice('mccluster', ['-modify', '-a', 'HBTimeout', '2000']);
    await twice('mccluster', ['modify', 'HBTimeout=1500']);
    expect(onDisk().Cluster.HBTimeout).toBe(1500);
    await dryRun('mccluster', ['modify', 'HBTimeout=1800']);
    await fails('mccluster', ['modify', 'HBTimeout=1'], 3, 'INVALID');

    const attrs = await ok('mccluster', ['attributes', '--scope', 'group']);
    expect(attrs.result.every((a: { scope: string }) => a.scope === 'group')).toBe(true);
    expect(attrs.result.map((a: { name: string }) => a.name)).toContain('Frozen');
    expect((await ok('mccluster', ['-attributes'])).result.length).toBeGreaterThan(attrs.result.length);
  });

  it('mccluster status: plain when piped, in colour on a TTY, NO_COLOR honoured', async () => {
    const piped = await run('mccluster', ['status']);
    expect(piped.code).toBe(0);
    expect(piped.stdout).toMatch(/web/);
    expect(piped.stdout).not.toContain('\x1b');
    const noColour = await run('mccluster', ['status'], { env: { NO_COLOR: '1' } });
    expect(noColour.stdout).not.toContain('\x1b');
    // A real pseudo-terminal (util-linux script).
    let hasScript = true;
    try {
      execFileSync('script', ['--version'], { stdio: 'ignore' });
    } catch {
      hasScript = false;
    }
    if (!hasScript) return;
    const onTty = (extra: Record<string, string>) =>
      execFileSync('script', ['-qec', `${process.execPath} ${join(ROOT, 'bin/mccluster.js')} status`, '/dev/null'], {
        env: cliEnv({ MCCS_HOME: h.home, MCCS_CONFIG_DIR: noSettings(), TERM: 'xterm-256color', ...extra }),
        encoding: 'utf8',
      });
    const colour = onTty({});
    expect(colour).toMatch(/web/);
    expect(colour).toContain('\x1b[');
    const tty = onTty({ NO_COLOR: '1' });
    expect(tty).toMatch(/web/);
    expect(tty).not.toContain('\x1b');
  });

  it('mccs users add, password, list, delete: idempotent; the password never on argv', async () => {
    const pw = 'ops-Secret-1';
    const addArgs = ['users', 'add', 'ops', '--role', 'Monitor'];
    await twice('mccs', addArgs, { env: { MCCS_NEW_PASSWORD: pw } });
    expect(addArgs.join(' ')).not.toContain(pw);
    const list = await ok('mccs', ['users', 'list']);
    expect(list.result).toEqual([
      { name: 'admin', role: 'Administrator' },
      { name: 'watcher', role: 'Monitor' },
      { name: 'ops', role: 'Monitor' },
    ]);
    // The new password from stdin (not a terminal), then the same again: no change.
    await twice('mccs', ['users', 'password', 'ops'], { input: 'ops-Secret-2\n' });
    await ok('mcgrp', ['-list'], { env: { MCCS_USER: 'ops', MCCS_PASSWORD: 'ops-Secret-2' } });
    await fails('mcgrp', ['-list'], 6, 'AUTH', { env: { MCCS_USER: 'ops', MCCS_PASSWORD: pw } });
    await fails('mccs', ['users', 'password', 'nobody'], 4, 'NOT_FOUND', { env: { MCCS_NEW_PASSWORD: pw } });
    await twice('mccs', ['users', 'delete', 'ops']);
    await fails('mccs', ['users', 'delete', 'admin'], 5, 'CONFLICT');
  });

  it('credentials: -u/-pw, MCCS_USER/MCCS_PASSWORD, a profile of mccs login; wrong ones exit 6', async () => {
    await fails('mcgrp', ['-u', 'admin', '-pw', 'wrong-password', '-list'], 6, 'AUTH');
    await fails('mcgrp', ['list', '--user', 'admin', '--password', 'wrong-password'], 6, 'AUTH');
    await ok('mcgrp', ['-u', 'admin', '-pw', ADMIN_PASSWORD, '-list']);

    // The environment: argv holds no password at all.
    const args = ['-freeze', '-g', 'web', '--dry-run'];
    expect(args.join(' ')).not.toContain(ADMIN_PASSWORD);
    await ok('mcgrp', args, { env: { MCCS_USER: 'admin', MCCS_PASSWORD: ADMIN_PASSWORD } });
    await fails('mcgrp', args, 6, 'AUTH', { env: { MCCS_USER: 'admin', MCCS_PASSWORD: 'wrong-password' } });
    // A Monitor user reads but may not change.
    await ok('mcgrp', ['-state', '-g', 'web'], { env: { MCCS_USER: 'watcher', MCCS_PASSWORD: MONITOR_PASSWORD } });
    await fails('mcgrp', ['freeze', 'web'], 6, 'AUTH', { env: { MCCS_USER: 'watcher', MCCS_PASSWORD: MONITOR_PASSWORD } });

    // A profile (mccs login checks it against this engine, conf stores it, mode 0600); used by --profile / MCCS_PROFILE.
    const settings = join(h.home, 'settings');
    await fails('mccs', ['login', 'ops', '-u', 'admin'], 6, 'AUTH', { env: { MCCS_CONFIG_DIR: settings, MCCS_PASSWORD: 'wrong-password' } });
    expect(existsSync(join(settings, 'config.json'))).toBe(false);
    await ok('mccs', ['login', 'ops', '-u', 'admin'], { env: { MCCS_CONFIG_DIR: settings, MCCS_PASSWORD: ADMIN_PASSWORD } });
    await ok('mccs', ['login', 'watch', '-u', 'watcher'], { env: { MCCS_CONFIG_DIR: settings, MCCS_PASSWORD: MONITOR_PASSWORD } });
    await ok('mcgrp', [...args, '--profile', 'ops'], { env: { MCCS_CONFIG_DIR: settings } });
    await fails('mcgrp', ['freeze', 'web'], 6, 'AUTH', { env: { MCCS_CONFIG_DIR: settings, MCCS_PROFILE: 'watch' } });
    // The environment wins over the profile.
    await fails('mcgrp', ['-list'], 6, 'AUTH', { env: { MCCS_CONFIG_DIR: settings, MCCS_PROFILE: 'ops', MCCS_PASSWORD: 'wrong-password' } });
    // A password file readable by others: refused like ssh does.
    const pwFile = JSON.parse(readFileSync(join(settings, 'config.json'), 'utf8')).profiles.ops.passwordFile as string;
    chmodSync(pwFile, 0o644);
    const loose = await fails('mcgrp', ['-list'], 6, 'AUTH', { env: { MCCS_CONFIG_DIR: settings, MCCS_PROFILE: 'ops' } });
    expect(loose.error?.message).toMatch(/readable by others/);
    expect(onDisk().Groups[0]!.Frozen).toBeUndefined();
  });

  it('engine stopped: exit 7 in both syntaxes', async () => {
    await h.stop();
    await fails('mcgrp', ['-list'], 7, 'UNREACHABLE');
    await fails('mccluster', ['status'], 7, 'UNREACHABLE');
    await fails('mcgrp', ['online', 'web', '--wait'], 7, 'UNREACHABLE');
  });
});
