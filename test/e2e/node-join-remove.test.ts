// Nodes joining and leaving a running cluster (issue 16): `mccs join-token`
// prints the command for a NEW node, `mccs init --join … --node NAME
// --primary-hb ADDRESS` adds it to Nodes through the one configuration
// change path before the files are handed back, and `mcnode remove` takes a
// node out, refused while anything depends on it. Real engines (dist/daemon)
// on loopback addresses, no namespaces: n1 on 127.0.0.66 (HBPort 26661,
// remote API 26664) and n2 on 127.0.0.67; the new node is 127.0.0.68.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/cluster/crypto.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import { createCertificate, createHomeDirs } from '../../src/init/setup.js';
import { writeConfigFile } from '../../src/model/config.js';
import { homePaths } from '../../src/model/home.js';
import type { MainConfig } from '../../src/model/types.js';
import { runCli, type CliEnvelope } from '../helpers/cli-run.js';
import { createHarness, makeHome, rpcAt, waitFor, type Harness } from '../helpers/engine-harness.js';

const N1 = '127.0.0.66';
const N2 = '127.0.0.67';
const N3 = '127.0.0.68';
const HB_PORT = 26661;
const API = `${N1}:${HB_PORT + 3}`;
const ADMIN_PASSWORD = 'joined-Admin-pw';

interface Run {
  code: number;
  out: string;
  json: CliEnvelope;
}

async function cli(bin: string, args: string[], env: Record<string, string>): Promise<Run> {
  const r = await runCli(bin, [...args, '--json'], { env });
  if (!r.json) throw new Error(`${bin} ${args.join(' ')}: not one JSON envelope: ${r.stdout} ${r.stderr}`);
  return { code: r.code, out: r.stdout + r.stderr, json: r.json };
}

function pairConfig(): MainConfig {
  return {
    ConfigVersion: 5,
    Cluster: { ClusterName: 'grow', HBPort: HB_PORT },
    Nodes: [
      { NodeName: 'n1', PrimaryHB: N1 },
      { NodeName: 'n2', PrimaryHB: N2 },
    ],
    Groups: [
      {
        GroupName: 'web',
        GroupType: 'FAILOVER',
        NodeList: ['n1', 'n2'],
        AutoStart: false,
        Resources: [{ ResName: 'web-app', Type: 'Process', Path: '/usr/bin/sleep', Arguments: ['1000000.26661'] }],
        Dependencies: [],
      },
    ],
  } as MainConfig;
}

describe('mccs init --join for a new node: added to Nodes by the running cluster, or refused with the reason', () => {
  let node1: Harness;
  let node2: Harness;
  const spare: string[] = [];
  let fingerprint = '';

  const freshHome = () => {
    const home = makeHome('mccs-grow-');
    spare.push(home);
    return home;
  };
  const onDisk = () => JSON.parse(readFileSync(homePaths(node1.home).mainJson, 'utf8')) as MainConfig;
  const joinEvents = () => node1.events().filter((e) => e.rule.startsWith('JOIN_'));
  const newToken = async () => {
    const r = await cli('mccs', ['join-token'], { MCCS_HOME: node1.home });
    expect(r.code, r.out).toBe(0);
    return r.json.result as { token: string; fingerprint: string; command: string; newNodeCommand: string; pending: string[]; witnessType: string };
  };
  const join3 = (token: string, extra: string[], home: string) =>
    cli('mccs', ['init', '--join', API, '--token', token, '--fingerprint', fingerprint, ...extra], { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });

  beforeAll(async () => {
    node1 = createHarness({ node: 'n1' });
    const paths = homePaths(node1.home);
    await createHomeDirs(paths);
    generateSecret(paths.clusterKey, { force: true });
    fingerprint = (await createCertificate(new ExecRunner(), paths.tlsDir, 'n1', [N1])).fingerprint;
    await writeConfigFile(paths.mainJson, pairConfig());
    await node1.start({ running: false }); // waits for its socket: n1 waits for n2 before it is RUNNING
    node2 = createHarness({ node: 'n2' });
  });
  afterAll(async () => {
    await node2?.cleanup();
    await node1?.cleanup();
    for (const home of spare) rmSync(home, { recursive: true, force: true });
  });

  it('mccs join-token prints the command for the listed node that has not joined, and the one for a new node', async () => {
    const t = await newToken();
    expect(t.pending).toEqual(['n2']);
    expect(t.witnessType).toBe('none');
    expect(t.command).toBe(`mccs init --join ${API} --token ${t.token} --fingerprint ${fingerprint} --node n2`);
    expect(t.newNodeCommand).toBe(`mccs init --join ${API} --token ${t.token} --fingerprint ${fingerprint} --node NAME --primary-hb ADDRESS [--secondary-hb ADDRESS]`);
    const human = await runCli('mccs', ['join-token'], { env: { MCCS_HOME: node1.home } });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/On n2 \(in main\.json, engine not running yet\)[\s\S]*--node n2\n[\s\S]*to add a NEW node[\s\S]*WitnessType none: a third node is refused until it is etcd[\s\S]*--node NAME --primary-hb ADDRESS/);
  });

  it('a third node without WitnessType etcd is refused (3) and says so; nothing is written anywhere; the token stays valid', async () => {
    const t = await newToken();
    const home = freshHome();
    const before = onDisk();
    const r = await join3(t.token, ['--node', 'n3', '--primary-hb', N3], home);
    expect([r.code, r.json.error?.code], r.out).toEqual([3, 'INVALID']);
    // The validator's own words (model/config.ts), as for any change.
    expect(r.json.error?.message).toMatch(/^the change would make the configuration invalid:\n {2}\/Nodes: 3 nodes need Cluster WitnessType etcd \(WitnessType is none\)/);
    expect(r.json.error?.actions).toEqual([expect.stringMatching(/^nothing was changed, and the token stays valid until \S+: run the same command again once this is fixed$/)]);
    expect(onDisk()).toEqual(before);
    expect(existsSync(join(home, 'config/main.json'))).toBe(false);
    expect(existsSync(join(home, 'config/cluster.key'))).toBe(false);
    expect(joinEvents().at(-1)).toMatchObject({ rule: 'JOIN_REFUSED' });
    expect(joinEvents().at(-1)?.message).toMatch(/the new node was not added.*the token stays valid/);
    // The same token is still good: n2 (listed, not joined yet) joins with it.
    const ok = await cli('mccs', ['init', '--join', API, '--token', t.token, '--fingerprint', fingerprint, '--node', 'n2'], { MCCS_HOME: home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(ok.code, ok.out).toBe(0);
  });

  it('bad flags are refused before anything is sent (2 usage, 3 invalid address); the token is not spent', async () => {
    const t = await newToken();
    const home = freshHome();
    const before = joinEvents().length;
    const noName = await join3(t.token, ['--primary-hb', N3], home);
    expect([noName.code, noName.json.error?.message], noName.out).toEqual([2, '--primary-hb adds a new node: give its name with --node NAME']);
    const noPrimary = await join3(t.token, ['--node', 'n3', '--secondary-hb', '10.0.1.3'], home);
    expect(noPrimary.code, noPrimary.out).toBe(2);
    const badAddress = await join3(t.token, ['--node', 'n3', '--primary-hb', 'node3.example'], home);
    expect([badAddress.code, badAddress.json.error?.message], badAddress.out).toEqual([3, "PrimaryHB 'node3.example' of node n3 is not an IP address (IPv4, or IPv6 with %interface for a link-local one)"]);
    const sameLink = await join3(t.token, ['--node', 'n3', '--primary-hb', N3, '--secondary-hb', N3], home);
    expect(sameLink.code, sameLink.out).toBe(3);
    const badName = await join3(t.token, ['--node', '3rd', '--primary-hb', N3], home);
    expect(badName.code, badName.out).toBe(3);
    expect(joinEvents().length).toBe(before); // n1 never saw a request
    expect(existsSync(join(home, 'config/main.json'))).toBe(false);
  });

  it('a name or heartbeat address already in use is refused (5), naming the node; the same definition again is accepted without change', async () => {
    const t = await newToken();
    const home = freshHome();
    const before = onDisk();
    const taken = await join3(t.token, ['--node', 'n3', '--primary-hb', N2], home);
    expect([taken.code, taken.json.error?.code], taken.out).toEqual([5, 'CONFLICT']);
    expect(taken.json.error?.message).toBe(`PrimaryHB ${N2} is already the heartbeat address of node n2`);
    const other = await join3(t.token, ['--node', 'n2', '--primary-hb', '127.0.0.69'], home);
    expect([other.code, other.json.error?.code], other.out).toEqual([5, 'CONFLICT']);
    expect(other.json.error?.message).toBe(`node n2 already exists with another definition (PrimaryHB ${N2}, SecondaryHB (none); asked: PrimaryHB 127.0.0.69, SecondaryHB (none))`);
    const self = await join3(t.token, ['--node', 'n1', '--primary-hb', N1], home);
    expect([self.code, self.json.error?.message], self.out).toEqual([5, "'n1' is the node being joined, not the joining one"]);
    expect(onDisk()).toEqual(before);
    expect(existsSync(join(home, 'config/main.json'))).toBe(false);

    // n2 exactly as main.json defines it: no change (added: false), the files are handed back, the token is spent.
    const same = await join3(t.token, ['--node', 'n2', '--primary-hb', N2], node2.home);
    expect(same.code, same.out).toBe(0);
    expect(same.json).toMatchObject({ ok: true, changed: true, result: { node: 'n2', peer: 'n1', added: false, ConfigVersion: before.ConfigVersion } });
    expect(onDisk()).toEqual(before);
    expect(readFileSync(homePaths(node2.home).mainJson, 'utf8')).toBe(readFileSync(homePaths(node1.home).mainJson, 'utf8'));
    expect(joinEvents().at(-1)?.message).toMatch(/as a new node \(already in Nodes with this definition\)/);
    const again = await join3(t.token, ['--node', 'n2', '--primary-hb', N2], freshHome());
    expect(again.code, again.out).toBe(6);
  });

  it('with both engines RUNNING, mcnode remove names everything that holds the node (5), --force lifts only the running engine, and a node never removes itself', async () => {
    await node2.start({ running: false });
    const running = async (h: Harness) => {
      const s = await rpcAt<{ nodes: { NodeName: string; state: string }[] }>(join(h.home, 'run/mccs.sock'), 'cluster.status');
      return s.ok && s.result.nodes.every((n) => n.state === 'RUNNING');
    };
    await waitFor('both nodes RUNNING on n1 and on n2', async () => (await running(node1)) && (await running(node2)), 40_000, 250);
    const before = onDisk();
    const r = await cli('mcnode', ['remove', 'n2'], { MCCS_HOME: node1.home });
    expect([r.code, r.json.error?.code], r.out).toEqual([5, 'CONFLICT']);
    expect(r.json.error?.message).toBe('node n2 cannot be removed:\n  group web lists n2 in its NodeList (n1,n2)\n  the engine of n2 is RUNNING: it would keep running in a cluster that no longer lists it');
    expect(r.json.error?.actions).toEqual(['mcgrp modify web NodeList=n1', 'stop it first: systemctl stop mccs on n2 (services there keep running: move them first), or add --force']);
    const forced = await cli('mcnode', ['-remove', '-n', 'n2', '-force'], { MCCS_HOME: node1.home });
    expect([forced.code, forced.json.error?.message], forced.out).toEqual([5, 'node n2 cannot be removed:\n  group web lists n2 in its NodeList (n1,n2)']);
    // Given on n2 about n1, the coordinator: forwarded there, where n1 is the node carrying out the change.
    const self = await cli('mcnode', ['remove', 'n1', '--force'], { MCCS_HOME: node2.home });
    expect([self.code, self.json.error?.code], self.out).toEqual([5, 'CONFLICT']);
    expect(self.json.error?.message).toMatch(/n1 is the node carrying out this change .*a node cannot remove itself/);
    expect(onDisk()).toEqual(before);
  }, 60_000);
});

describe('mcnode remove against a real engine: idempotent, --dry-run, --if-version, --json, MCCS form', () => {
  let h: Harness;
  const onDisk = () => JSON.parse(readFileSync(join(h.home, 'config/main.json'), 'utf8')) as MainConfig;
  const env = () => ({ MCCS_HOME: h.home });
  const changes = () => h.events().filter((e) => e.rule === 'CONFIG_CHANGED');

  beforeAll(async () => {
    h = createHarness({ node: 'n1' });
    // n1 runs alone (StandAlone); n2 is declared but its engine never runs (EXITED as far as n1 knows).
    h.writeConfig({
      ConfigVersion: 1,
      Cluster: { ClusterName: 'shrink' },
      Nodes: [{ NodeName: 'n1', StandAlone: true }, { NodeName: 'n2', PrimaryHB: '127.0.0.70' }],
      Groups: [
        { GroupName: 'web', GroupType: 'FAILOVER', NodeList: ['n1', 'n2'], AutoStart: false, AutoStartNode: 'n2', Resources: [{ ResName: 'web-app', Type: 'Process', Path: '/usr/bin/sleep', Arguments: ['1000000.26671'] }], Dependencies: [] },
      ],
    } as MainConfig);
    await h.start();
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('refused while a group lists it (5): the envelope names the group and the command that clears it', async () => {
    const r = await cli('mcnode', ['remove', 'n2'], env());
    expect(r.code, r.out).toBe(5);
    expect(r.json).toEqual({
      ok: false,
      error: {
        code: 'CONFLICT',
        message: 'node n2 cannot be removed:\n  group web lists n2 in its NodeList (n1,n2)',
        actions: ['mcgrp modify web NodeList=n1 AutoStartNode='],
        details: { blockers: [{ kind: 'NODELIST', message: 'group web lists n2 in its NodeList (n1,n2)' }] },
      },
    });
    expect(onDisk().Nodes.map((n) => n.NodeName)).toEqual(['n1', 'n2']);
    // The dry run says the same.
    expect((await cli('mcnode', ['remove', 'n2', '--dry-run'], env())).code).toBe(5);
  });

  it('once the NodeList is edited: --dry-run changes nothing, a stale --if-version is refused (5), the removal is one change, and again is exit 0 changed false', async () => {
    const edit = await cli('mcgrp', ['modify', 'web', 'NodeList=n1', 'AutoStartNode='], env());
    expect(edit.code, edit.out).toBe(0);
    const version = onDisk().ConfigVersion;
    const dry = await cli('mcnode', ['remove', 'n2', '--dry-run'], env());
    expect(dry.code, dry.out).toBe(0);
    expect(dry.json).toEqual({ ok: true, changed: false, result: { dryRun: true, wouldChange: true, node: 'n2', ConfigVersion: version } });
    const stale = await cli('mcnode', ['remove', 'n2', '--if-version', String(version - 1)], env());
    expect([stale.code, stale.json.error?.code], stale.out).toEqual([5, 'CONFLICT']);
    expect(stale.json.error?.message).toContain(`the configuration is at version ${version}, not ${version - 1}`);
    expect(onDisk().Nodes.map((n) => n.NodeName)).toEqual(['n1', 'n2']);

    const before = changes().length;
    const r = await cli('mcnode', ['-remove', '-n', 'n2', '--if-version', String(version)], env());
    expect(r.code, r.out).toBe(0);
    expect(r.json).toMatchObject({ ok: true, changed: true, result: { node: 'n2', removed: true, ConfigVersion: version + 1 } });
    expect(onDisk().Nodes).toEqual([{ NodeName: 'n1', StandAlone: true }]);
    expect(changes().length).toBe(before + 1);
    expect(changes().at(-1)?.message).toMatch(/node remove n2/);
    // Status and node list no longer show it.
    const list = await h.rpc<{ NodeName: string }[]>('node.list');
    expect(list.ok && list.result.map((n) => n.NodeName)).toEqual(['n1']);

    const again = await cli('mcnode', ['remove', 'n2'], env());
    expect(again.code, again.out).toBe(0);
    expect(again.json).toEqual({ ok: true, changed: false, result: { node: 'n2', removed: false, ConfigVersion: version + 1 } });
    expect(changes().length).toBe(before + 1);
    const human = await runCli('mcnode', ['remove', 'ghost'], { env: env() });
    expect(human.code, human.stdout + human.stderr).toBe(0);
  });

  it('the node the engine runs on is never removed, not even with --force; a Monitor may not remove (6); an unknown flag is a usage error (2)', async () => {
    const self = await cli('mcnode', ['remove', 'n1', '--force'], env());
    expect([self.code, self.json.error?.code], self.out).toEqual([5, 'CONFLICT']);
    expect(self.json.error?.message).toContain('n1 is the node carrying out this change');
    const usage = await runCli('mcnode', ['remove', 'n1', '--bogus'], { env: env() });
    expect(usage.code).toBe(2);
    const add = await h.rpc('users.add', { name: 'watcher', role: 'Monitor', password: 'watcher-pw-1' });
    expect(add.ok, JSON.stringify(add)).toBe(true);
    const monitor = await cli('mcnode', ['remove', 'n1', '-u', 'watcher'], { ...env(), MCCS_PASSWORD: 'watcher-pw-1' });
    expect([monitor.code, monitor.json.error?.code], monitor.out).toEqual([6, 'AUTH']);
    expect(onDisk().Nodes.map((n) => n.NodeName)).toEqual(['n1']);
  });
});
