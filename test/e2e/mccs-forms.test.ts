// Issue 13: every MCCS form an operator already types, run as the real bins
// against a real engine (one StandAlone node, its own MCCS_HOME). Each test
// quotes the form of the MCCS manual it proves, verbatim in its title.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { runCli } from '../helpers/cli-run.js';
import { createHarness, ROOT, waitFor, type Harness } from '../helpers/engine-harness.js';

const SERVICE = join(ROOT, 'test/fixtures/service.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: { ok: boolean; changed?: boolean; result?: any; error?: { code: string; message: string; actions: string[] } };
}

describe('MCCS manual forms against a running engine', () => {
  let h: Harness;
  let home = '';

  const config = (): MainConfig =>
    ({
      ConfigVersion: 1,
      Cluster: { ClusterName: 'forms' },
      Nodes: [{ NodeName: 'n1', StandAlone: true, HostID: 'rack1', LicenseType: 'trial' }],
      Types: { Process: { MonitorInterval: 0.5, OfflineMonitorInterval: 1 } },
      Groups: [
        {
          GroupName: 'web',
          GroupType: 'FAILOVER',
          NodeList: ['n1'],
          AutoStart: false,
          AutoStartNode: 'n1',
          Resources: [
            { ResName: 'base', Type: 'Process', Path: process.execPath, Arguments: [SERVICE, `${h.home}/base`] },
            { ResName: 'app', Type: 'Process', Path: process.execPath, Arguments: [SERVICE, `${h.home}/app`] },
          ],
          Dependencies: [{ Parent: 'app', Child: 'base' }],
        },
        {
          GroupName: 'batch',
          GroupType: 'FAILOVER',
          NodeList: ['n1'],
          AutoStart: false,
          Resources: [{ ResName: 'job', Type: 'Application', StartProgram: ['/bin/true'], MonitorProgram: ['/bin/false'] }],
          Dependencies: [],
        },
      ],
    }) as MainConfig;

  async function run(bin: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
    const r = await runCli(bin, [...args, '--json'], { env: { MCCS_HOME: h.home, MCCS_CREDENTIALS: join(h.home, 'none.json'), HOME: home, ...env }, cwd: h.home });
    // Not an envelope: left as not ok, the assertion shows stdout.
    return { ...r, json: r.json ?? { ok: false } };
  }


  /** The form as the manual prints it, split on blanks. */
  const form = (line: string) => {
    const [bin, ...args] = line.split(' ');
    return { bin: bin!, args };
  };
  async function ok(line: string, env: Record<string, string> = {}): Promise<Run['json']> {
    const { bin, args } = form(line);
    const r = await run(bin, args, env);
    expect(r.code, `${line} → ${r.code}\n${r.stdout}${r.stderr}`).toBe(0);
    return r.json;
  }
  async function fails(line: string, exit: number, code: string): Promise<Run['json']> {
    const { bin, args } = form(line);
    const r = await run(bin, args);
    expect([r.code, r.json.error?.code], `${line}\n${r.stdout}${r.stderr}`).toEqual([exit, code]);
    return r.json;
  }
  const onDisk = () => JSON.parse(readFileSync(join(h.home, 'config/main.json'), 'utf8')) as MainConfig;
  const me = () => onDisk().Nodes[0]!;

  beforeAll(async () => {
    h = createHarness({ node: 'n1' });
    home = mkdtempSync(join(tmpdir(), 'mccs-forms-home-'));
    h.writeConfig(config());
    await h.start();
  }, 60_000);

  afterAll(async () => {
    if (process.env.MCCS_TEST_DUMP) console.log(readFileSync(join(h.home, 'log/engine.log'), 'utf8').split('\n').slice(-60).join('\n'));
    await h?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('mcnode -l KEY', async () => {
    const r = await ok('mcnode -l KEY-L');
    expect(r.changed).toBe(true);
    expect(me().License).toBe('KEY-L');
    expect((await ok('mcnode -l KEY-L')).changed).toBe(false);
  });

  it('mcnode -license -n NODE -all KEY', async () => {
    await ok('mcnode -license -n n1 -all KEY-ALL');
    expect(me().License).toBe('KEY-ALL');
    await fails('mcnode -license -n ghost -all KEY-ALL', 4, 'NOT_FOUND');
  });

  it('mcnode -license KEY (no -n: the local node)', async () => {
    await ok('mcnode -license KEY-LOCAL');
    expect(me().License).toBe('KEY-LOCAL');
  });

  it('mcnode -modify -n NODE -a IsolationTestAddress ADDR (the singular of the manual)', async () => {
    await ok('mcnode -modify -n n1 -a IsolationTestAddress 127.0.0.1');
    expect(me().IsolationTestAddresses).toBe('127.0.0.1');
    expect(me()).not.toHaveProperty('IsolationTestAddress');
  });

  it('mcnode -supprot -p PATH (as the manual spells it once)', async () => {
    const dir = join(h.home, 'support');
    mkdirSync(dir);
    const r = await ok(`mcnode -supprot -p ${dir}`);
    expect(r.result.path).toMatch(new RegExp(`^${dir}/mccs-support-n1-.*\\.tar\\.gz$`));
    expect(existsSync(r.result.path as string)).toBe(true);
  });

  it("mcnode -support (no -p: the user's home directory)", async () => {
    const r = await ok('mcnode -support');
    expect(r.result.path).toMatch(new RegExp(`^${home}/mccs-support-n1-.*\\.tar\\.gz$`));
    expect(readdirSync(home).some((f) => f.startsWith('mccs-support-n1-'))).toBe(true);
  });

  it('mcres -modify RES -a Restartlimit 2 (the manual also writes Restartlimit): stored and shown as RestartLimit', async () => {
    await ok('mcres -modify app -a Restartlimit 2');
    const res = onDisk().Groups[0]!.Resources.find((r) => r.ResName === 'app')!;
    expect(res.RestartLimit).toBe(2);
    expect(res).not.toHaveProperty('Restartlimit');
    const list = await ok('mcres -list app');
    expect(list.result[0].attributes.RestartLimit).toBe(2);
    await ok('mcgrp -modify -g web -a autofailover false');
    expect(onDisk().Groups[0]!.AutoFailover).toBe(false);
  });

  it('mcnode -modify -n NODE -a BootMode false / true (BOOLEAN in the manual: true = AUTO)', async () => {
    await ok('mcnode -modify -n n1 -a BootMode false');
    expect(me().BootMode).toBe('MANUAL');
    await ok('mcnode -modify -n n1 -a BootMode true');
    expect(me().BootMode).toBe('AUTO');
  });

  it('mcnode -modify -n NODE -a HostID|LicenseType|PrimaryHB|SecondaryHB|StandAlone VALUE: read-only as in the manual', async () => {
    for (const [attr, value] of [['HostID', 'x'], ['LicenseType', 'full'], ['PrimaryHB', '127.0.0.9'], ['SecondaryHB', '127.0.0.10'], ['StandAlone', 'false']]) {
      const r = await fails(`mcnode -modify -n n1 -a ${attr} ${value}`, 3, 'INVALID');
      expect(r.error?.message).toContain(`'${attr}' of node n1 is read-only`);
    }
    expect(me()).toMatchObject({ HostID: 'rack1', LicenseType: 'trial', StandAlone: true });
    // The documented address change: --force, applied at the next engine start.
    await ok('mcnode modify n1 SecondaryHB=127.0.0.10 --force');
    expect(me().SecondaryHB).toBe('127.0.0.10');
    await fails('mcnode modify n1 HostID=x --force', 3, 'INVALID');
  });

  it('mcgrp -link -g GROUP PARENT CHILD -a OfflineDependency WEAK on an existing pair: changed in place, idempotent', async () => {
    const r = await ok('mcgrp -link -g web app base -a OfflineDependency WEAK');
    expect(r.changed).toBe(true);
    expect(onDisk().Groups[0]!.Dependencies).toEqual([{ Parent: 'app', Child: 'base', OfflineDependency: 'WEAK' }]);
    expect((await ok('mcgrp -link -g web app base -a OfflineDependency WEAK')).changed).toBe(false);
    // The modern verb; values in any case; a bad value and a missing pair are refused.
    await ok('mcgrp modify-link web app base OnlineDependency=weak OfflineDependency=STRONG');
    expect(onDisk().Groups[0]!.Dependencies).toEqual([{ Parent: 'app', Child: 'base', OnlineDependency: 'WEAK', OfflineDependency: 'STRONG' }]);
    expect((await ok('mcgrp modify-link web app base OnlineDependency=WEAK')).changed).toBe(false);
    await fails('mcgrp modify-link web app base OnlineDependency=MEDIUM', 3, 'INVALID');
    await fails('mcgrp modify-link web base app OnlineDependency=WEAK', 4, 'NOT_FOUND');
    expect(onDisk().Groups[0]!.Dependencies).toHaveLength(1);
  });

  it('mcres -modify RES -a StartProgram /path/to/start (a string is one executable path, never a shell line)', async () => {
    await ok('mcres -modify job -a StartProgram /usr/bin/true');
    expect(onDisk().Groups[1]!.Resources.find((r) => r.ResName === 'job')!.StartProgram).toBe('/usr/bin/true');
    const { bin, args } = form('mcres -modify job -a StartProgram X');
    const r = await run(bin, [...args.slice(0, -1), '/usr/bin/true --now; rm -rf /']);
    expect(r.code, r.stdout).toBe(3);
    expect(r.json.error?.message).toMatch(/one absolute executable path, not a command line/);
    const arr = await run('mcres', ['modify', 'job', 'StartProgram=["/bin/sh","-c","exit 0"]']);
    expect(arr.code, arr.stdout).toBe(0);
    expect(onDisk().Groups[1]!.Resources.find((r) => r.ResName === 'job')!.StartProgram).toEqual(['/bin/sh', '-c', 'exit 0']);
  });

  it('mcnode -modify -n OLD -a NodeName NEW: refused while a group is online there, then renamed everywhere; the engine takes the name; --node OLD finds it at the next start', async () => {
    await ok('mcgrp -online -g web -n n1 --wait');
    const refused = await fails('mcnode -modify -n n1 -a NodeName db1', 5, 'CONFLICT');
    expect(refused.error?.message).toMatch(/runs group web .*without its node/);
    expect(me().NodeName).toBe('n1');
    await ok('mcgrp -offline -g web -n n1 --wait');

    const r = await ok('mcnode -modify -n n1 -a NodeName db1');
    expect(r.result).toMatchObject({ from: 'n1', to: 'db1' });
    const c = onDisk();
    expect(c.Nodes[0]!.NodeName).toBe('db1');
    expect(c.Groups[0]!.NodeList).toEqual(['db1']);
    expect(c.Groups[0]!.AutoStartNode).toBe('db1');
    expect(c.Groups[1]!.NodeList).toEqual(['db1']);
    // The running engine restarts in process under its new name.
    await waitFor('the engine to run as db1', async () => {
      const s = await h.rpc<{ localNode: string; nodes: { NodeName: string; state: string }[] }>('cluster.status').catch(() => undefined);
      return s?.ok && s.result.localNode === 'db1' && s.result.nodes[0]?.state === 'RUNNING';
    }, 30_000);
    expect(h.events().some((e) => e.rule === 'NODE_RENAMED' && (e.facts as { from?: string })?.from === 'n1')).toBe(true);
    // events --node NEW also shows the node's events from before the rename.
    const ev = await ok('mccluster -events -n db1');
    expect((ev.result as { node: string }[]).some((e) => e.node === 'n1')).toBe(true);
    await ok('mcgrp -online -g web -n db1 --wait');
    expect((await ok('mcgrp -state -g web')).result[0]).toMatchObject({ node: 'db1', state: 'ONLINE' });

    // The next start with --node n1 (systemd unit, MCCS_NODE) runs as db1.
    await h.stop();
    await h.start();
    const s = await h.rpc<{ localNode: string }>('cluster.status');
    expect(s.ok && s.result.localNode).toBe('db1');
    await ok('mcgrp -offline -g web -n db1 --wait');
    // The same rename again: nothing to do.
    expect((await ok('mcnode rename db1 db1')).changed).toBe(false);
  }, 120_000);
});
