// A third node joins a running two-node cluster with an etcd witness and
// leaves it again (issue 16): `mccs join-token` on t2, `mccs init --join …
// --node t3 --primary-hb …` on t3 (t2 forwards the addition to t1, the
// coordinator), t3's engine starts, and every node's
// `mccluster status --json` shows t1, t2, t3 RUNNING without a restart of
// t1 and t2 (same PIDs) while group web stays online on t1; then t3's engine
// stops and `mcnode -remove -n t3` takes it out: every remaining node's
// status no longer shows it. Then t3 joins again over its old files and is
// removed with --force while its engine runs: t1 and t2 carry on without
// it. Real engines (dist/daemon) on loopback
// addresses 127.0.0.76-78 (HBPort 26761, t2's remote API 26764), etcd 3.4 on
// 127.0.0.1 (test/helpers/local-etcd.mjs); no namespaces.
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret } from '../../src/cluster/crypto.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import { createCertificate, createHomeDirs } from '../../src/init/setup.js';
import { writeConfigFile } from '../../src/model/config.js';
import { homePaths } from '../../src/model/home.js';
import type { MainConfig } from '../../src/model/types.js';
import { runCli, type CliEnvelope } from '../helpers/cli-run.js';
import { createHarness, makeHome, waitFor, type Harness } from '../helpers/engine-harness.js';
import { startLocalEtcd, type LocalEtcd } from '../helpers/local-etcd.mjs';
import { flagApp } from '../helpers/loopback-pair.js';

const ADMIN_PASSWORD = 'third-Admin-pw';

async function cli(bin: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string; json: CliEnvelope }> {
  const r = await runCli(bin, [...args, '--json'], { env });
  if (!r.json) throw new Error(`${bin} ${args.join(' ')}: not one JSON envelope: ${r.stdout} ${r.stderr}`);
  return { code: r.code, out: r.stdout + r.stderr, json: r.json };
}

const T1 = '127.0.0.76';
const T2 = '127.0.0.77';
const T3 = '127.0.0.78';
const T_PORT = 26761;
/** The join goes to t2, which is not the coordinator: the addition is forwarded to t1, as every change. */
const T_API = `${T2}:${T_PORT + 3}`;

describe('a third node joins a running two-node etcd cluster and leaves it, the two engines running throughout', () => {
  let etcd: LocalEtcd;
  const h: Record<'t1' | 't2' | 't3', Harness> = {} as never;
  let fingerprint = '';

  const status = async (n: 't1' | 't2' | 't3') => {
    const r = await cli('mccluster', ['status'], { MCCS_HOME: h[n].home });
    expect(r.code, r.out).toBe(0);
    return r.json.result as { localNode: string; ConfigVersion: number; nodes: { NodeName: string; state: string }[]; groups: { GroupName: string; states: Record<string, string> }[] };
  };
  const nodesSeen = async (n: 't1' | 't2' | 't3') => Object.fromEntries((await status(n)).nodes.map((x) => [x.NodeName, x.state]));
  const enginePid = (n: 't1' | 't2') => h[n].daemon?.pid;

  beforeAll(async () => {
    etcd = await startLocalEtcd();
    for (const n of ['t1', 't2', 't3'] as const) h[n] = createHarness({ node: n, home: makeHome(`mccs-${n}-`) });
    const config = {
      ConfigVersion: 1,
      Cluster: { ClusterName: 'three', HBPort: T_PORT, WitnessType: 'etcd', WitnessEndpoints: etcd.endpoint, WitnessPrefix: `/mccs-test/${process.pid}` },
      Nodes: [
        { NodeName: 't1', PrimaryHB: T1 },
        { NodeName: 't2', PrimaryHB: T2 },
      ],
      Groups: [{ GroupName: 'web', GroupType: 'FAILOVER', NodeList: ['t1', 't2'], AutoStart: true, Resources: [flagApp('web')], Dependencies: [] }],
    } as MainConfig;
    const p1 = homePaths(h.t1.home);
    await createHomeDirs(p1);
    generateSecret(p1.clusterKey, { force: true });
    await createCertificate(new ExecRunner(), p1.tlsDir, 't1', [T1]);
    await writeConfigFile(p1.mainJson, config);
    const p2 = homePaths(h.t2.home);
    await createHomeDirs(p2);
    copyFileSync(p1.clusterKey, p2.clusterKey);
    chmodSync(p2.clusterKey, 0o600);
    await writeConfigFile(p2.mainJson, config);
    fingerprint = (await createCertificate(new ExecRunner(), p2.tlsDir, 't2', [T2])).fingerprint;
    await Promise.all([h.t1.start({ running: false }), h.t2.start({ running: false })]);
    await waitFor('t1 and t2 RUNNING on both, web ONLINE on t1', async () => {
      for (const n of ['t1', 't2'] as const) {
        const s = await status(n);
        if (!s.nodes.every((x) => x.state === 'RUNNING') || s.groups[0]?.states.t1 !== 'ONLINE') return false;
      }
      return true;
    }, 60_000, 250);
  }, 120_000);
  afterAll(async () => {
    for (const n of ['t3', 't2', 't1'] as const) await h[n]?.cleanup();
    await etcd?.stop();
  });

  it('mccs init --join adds t3 on every node; its engine starts; every node shows t1, t2, t3 RUNNING; t1 and t2 were not restarted and web stayed online', async () => {
    const pids = { t1: enginePid('t1'), t2: enginePid('t2') };
    const version = (await status('t1')).ConfigVersion;
    const token = await cli('mccs', ['join-token'], { MCCS_HOME: h.t2.home });
    expect(token.code, token.out).toBe(0);
    expect(token.json.result.pending).toEqual([]);
    // Every listed node runs: the command printed is the one for a new node.
    expect(token.json.result.command).toBe(token.json.result.newNodeCommand);
    const r = await cli('mccs', ['init', '--join', T_API, '--token', token.json.result.token, '--fingerprint', fingerprint, '--node', 't3', '--primary-hb', T3], { MCCS_HOME: h.t3.home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(r.code, r.out).toBe(0);
    expect(r.json.result).toMatchObject({ node: 't3', peer: 't2', added: true, ConfigVersion: version + 1 });
    // t2 took the token; t1, the coordinator, made the change in the name of the token's issuer.
    expect(h.t2.events().filter((e) => e.rule === 'JOIN_ACCEPTED').at(-1)?.message).toMatch(/node 't3' joined with a token issued by root as a new node \(added to Nodes\)/);
    expect(h.t1.events().filter((e) => e.rule === 'CONFIG_CHANGED').at(-1)?.message).toMatch(/configuration changed to version \d+ \(operator root \(join token\)@peer: node add t3\)/);
    for (const n of ['t1', 't2', 't3'] as const) {
      const c = JSON.parse(readFileSync(homePaths(h[n].home).mainJson, 'utf8')) as MainConfig;
      expect([n, c.ConfigVersion, c.Nodes.map((x) => x.NodeName)]).toEqual([n, version + 1, ['t1', 't2', 't3']]);
    }
    await h.t3.start({ running: false });
    await waitFor('every node shows t1, t2, t3 RUNNING', async () => {
      for (const n of ['t1', 't2', 't3'] as const) {
        const seen = await nodesSeen(n);
        if (JSON.stringify(seen) !== JSON.stringify({ t1: 'RUNNING', t2: 'RUNNING', t3: 'RUNNING' })) return false;
      }
      return true;
    }, 60_000, 250);
    expect({ t1: enginePid('t1'), t2: enginePid('t2') }).toEqual(pids);
    expect(h.t1.daemon?.exitCode).toBeNull();
    expect(h.t2.daemon?.exitCode).toBeNull();
    for (const n of ['t1', 't2', 't3'] as const) expect((await status(n)).groups[0]?.states).toEqual({ t1: 'ONLINE', t2: 'OFFLINE' });
  }, 120_000);

  it('mcnode remove t3: refused while its engine runs; once it is stopped, every remaining node no longer shows it', async () => {
    const running = await cli('mcnode', ['remove', 't3'], { MCCS_HOME: h.t2.home });
    expect([running.code, running.json.error?.code], running.out).toEqual([5, 'CONFLICT']);
    expect(running.json.error?.message).toContain('the engine of t3 is RUNNING');
    await h.t3.stop();
    await waitFor('t1 and t2 see t3 stopped', async () => {
      for (const n of ['t1', 't2'] as const) if (['RUNNING', undefined].includes((await nodesSeen(n)).t3)) return false;
      return true;
    }, 30_000, 250);
    const version = (await status('t1')).ConfigVersion;
    const r = await cli('mcnode', ['-remove', '-n', 't3'], { MCCS_HOME: h.t2.home });
    expect(r.code, r.out).toBe(0);
    expect(r.json).toMatchObject({ ok: true, changed: true, result: { node: 't3', removed: true, ConfigVersion: version + 1 } });
    for (const n of ['t1', 't2'] as const) {
      const s = await status(n);
      expect([n, s.ConfigVersion, s.nodes.map((x) => [x.NodeName, x.state])]).toEqual([n, version + 1, [['t1', 'RUNNING'], ['t2', 'RUNNING']]]);
      expect(s.groups[0]?.states).toEqual({ t1: 'ONLINE', t2: 'OFFLINE' });
    }
    // The two stay joined, and still agree a while later (no restart, no fault of the removed node).
    await new Promise((res) => setTimeout(res, 2000));
    for (const n of ['t1', 't2'] as const) expect([n, await nodesSeen(n)]).toEqual([n, { t1: 'RUNNING', t2: 'RUNNING' }]);
    expect(h.t1.daemon?.exitCode).toBeNull();
    expect(h.t2.daemon?.exitCode).toBeNull();
  }, 90_000);

  it('the removed t3 joins again (init --join --force over its old files), then mcnode remove --force takes it out while its engine still runs: t1 and t2 carry on without it', async () => {
    const version = (await status('t1')).ConfigVersion;
    const token = await cli('mccs', ['join-token'], { MCCS_HOME: h.t1.home });
    expect(token.code, token.out).toBe(0);
    const fp1 = token.json.result.fingerprint as string;
    const again = await cli('mccs', ['init', '--join', `${T1}:${T_PORT + 3}`, '--token', token.json.result.token, '--fingerprint', fp1, '--node', 't3', '--primary-hb', T3, '--force'], { MCCS_HOME: h.t3.home, MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD });
    expect(again.code, again.out).toBe(0);
    expect(again.json.result).toMatchObject({ node: 't3', peer: 't1', added: true, ConfigVersion: version + 1 });
    await h.t3.start({ running: false });
    await waitFor('every node shows t1, t2, t3 RUNNING again', async () => {
      for (const n of ['t1', 't2', 't3'] as const) if (JSON.stringify(await nodesSeen(n)) !== JSON.stringify({ t1: 'RUNNING', t2: 'RUNNING', t3: 'RUNNING' })) return false;
      return true;
    }, 60_000, 250);
    const forced = await cli('mcnode', ['remove', 't3', '--force'], { MCCS_HOME: h.t1.home });
    expect(forced.code, forced.out).toBe(0);
    expect(forced.json).toMatchObject({ ok: true, changed: true, result: { node: 't3', removed: true, ConfigVersion: version + 2 } });
    // t3's engine still runs (the operator stops it next); the two that stay neither fail it over nor list it.
    await new Promise((res) => setTimeout(res, 3000));
    for (const n of ['t1', 't2'] as const) {
      const s = await status(n);
      expect([n, s.ConfigVersion, s.nodes.map((x) => [x.NodeName, x.state])]).toEqual([n, version + 2, [['t1', 'RUNNING'], ['t2', 'RUNNING']]]);
      expect(s.groups[0]?.states).toEqual({ t1: 'ONLINE', t2: 'OFFLINE' });
    }
    expect(h.t1.daemon?.exitCode).toBeNull();
    expect(h.t2.daemon?.exitCode).toBeNull();
    await h.t3.stop();
    await new Promise((res) => setTimeout(res, 1500));
    for (const n of ['t1', 't2'] as const) expect([n, await nodesSeen(n)]).toEqual([n, { t1: 'RUNNING', t2: 'RUNNING' }]);
  }, 120_000);
});
