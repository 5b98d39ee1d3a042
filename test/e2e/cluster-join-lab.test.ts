// A node joins and leaves a running three-node cluster in the lab (issue
// 16), while two groups run: node1..node3 on a three-member etcd, alpha on
// node1 and beta on node2; node4 (a host of the lab that is not in Nodes)
// is set up with `mccs join-token` on node1 and `mccs init --join` run
// inside node4 (over the lab network, TLS checked against the fingerprint),
// its engine starts and every node shows the four RUNNING; then node4's
// engine stops and `mcnode remove node4` on node2 takes it out. The engines
// of node1..node3 are never restarted, the groups never stop, and no VIP
// ever has two holders or moves (address tables sampled every 10 ms).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import { createCertificate } from '../../src/init/setup.js';
import { homePaths } from '../../src/model/home.js';
import type { MainConfig } from '../../src/model/types.js';
import { etcdClusterEndpoints, startEtcdCluster, stopEtcdCluster, type EtcdCluster } from '../lab/etcd.js';
import { sleep } from '../lab/exec.js';
import { bootNode, execInNode } from '../lab/lab.js';
import { cliEnv, runCli, type CliEnvelope } from '../helpers/cli-run.js';
import { ROOT } from '../helpers/engine-harness.js';
import { ClusterLab, IS_ROOT, manyNodeConfig, type GroupSpec, type NodeName } from '../helpers/cluster-lab.js';
import { HolderSampler } from '../helpers/holder-sampler.js';

if (!IS_ROOT) console.log('cluster-join-lab.test: skipped: the lab needs root (network, PID and mount namespaces)');

const LAB_ID = 'cjn';
const GROUPS: GroupSpec[] = [
  { name: 'alpha', nodeList: ['node1', 'node2', 'node3'], vip: '10.213.0.121', port: 7721 },
  { name: 'beta', nodeList: ['node2', 'node3', 'node1'], vip: '10.213.0.122', port: 7722 },
];
const MEMBERS: NodeName[] = ['node1', 'node2', 'node3'];
const ADMIN_PASSWORD = 'lab-Join-pw-4';

describe.skipIf(!IS_ROOT)('a node joins and leaves a running three-node cluster in the lab', () => {
  let cl: ClusterLab;
  let etcd: EtcdCluster;
  let sampler: HolderSampler | undefined;
  const pids: Partial<Record<NodeName, number>> = {};
  let joinMark: Record<NodeName, number>;

  const cli = async (bin: string, args: string[], home: string): Promise<{ code: number; out: string; json: CliEnvelope }> => {
    const r = await runCli(bin, [...args, '--json'], { env: { MCCS_HOME: home } });
    if (!r.json) throw new Error(`${bin} ${args.join(' ')}: not one JSON envelope: ${r.stdout} ${r.stderr}`);
    return { code: r.code, out: r.stdout + r.stderr, json: r.json };
  };
  const nodesSeen = async (viewer: NodeName): Promise<Record<string, string>> => cl.nodeStates(viewer);
  const configOf = (n: NodeName): MainConfig => JSON.parse(readFileSync(join(cl.home(n), 'config/main.json'), 'utf8')) as MainConfig;
  const groupsWhereTheyWere = async (viewers: NodeName[]): Promise<void> => {
    for (const v of viewers) {
      expect((await cl.groupStates(v, 'alpha')).node1, `alpha as ${v} sees it`).toBe('ONLINE');
      expect((await cl.groupStates(v, 'beta')).node2, `beta as ${v} sees it`).toBe('ONLINE');
    }
  };

  beforeAll(async () => {
    cl = await ClusterLab.create(LAB_ID, manyNodeConfig({ nodes: 3, groups: GROUPS, witnessEndpoints: etcdClusterEndpoints(3) }), { nodes: 4 });
    // node4 is a bare host: nothing of the cluster in its home until it joins.
    rmSync(join(cl.home('node4'), 'config'), { recursive: true, force: true });
    // Each member has its node certificate (the remote API, and the fingerprint a joining node checks).
    for (const n of MEMBERS) {
      const tlsDir = homePaths(cl.home(n)).tlsDir;
      mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
      await createCertificate(new ExecRunner(), tlsDir, n, [cl.lab.nodes[n].ipv4.primary]);
    }
    etcd = await startEtcdCluster(cl.lab);
    await Promise.all(MEMBERS.map((n) => cl.startEngine(n, 'running', 60_000)));
    await cl.waitAllRunning(60_000, MEMBERS);
    // AutoStart may bring a group up on a node that was RUNNING before its first node was: each to the first of its NodeList.
    for (const g of GROUPS) {
      await cl.waitFor(`${g.name} online somewhere`, async () => Object.values(await cl.groupStates('node1', g.name)).includes('ONLINE'), 60_000, 200);
      if ((await cl.groupStates('node1', g.name))[g.nodeList[0]!] !== 'ONLINE') await cl.call('node1', 'grp.switch', { group: g.name, node: g.nodeList[0], wait: true, timeout: 60 });
    }
    await cl.waitPlacement({ alpha: 'node1', beta: 'node2' }, { viewers: MEMBERS, nodes: MEMBERS, timeoutMs: 60_000 });
    for (const g of GROUPS) await cl.waitVip(g.vip, g.nodeList[0]!, 15_000, g.port);
    for (const n of MEMBERS) pids[n] = cl.engines[n]!.pid;
    joinMark = cl.mark();
    sampler = new HolderSampler(cl.lab, GROUPS.map((g) => g.vip), cl.names, 600_000);
  }, 120_000);

  afterAll(async () => {
    await sampler?.stop();
    if (etcd) await stopEtcdCluster(etcd);
    await cl?.destroy();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump(30)}`);
  });

  it('node4 joins with mccs join-token (node1) and mccs init --join (inside node4, over the lab network): every node shows the four RUNNING; node1..node3 were not restarted and the groups never moved', async () => {
    const version = configOf('node1').ConfigVersion;
    const token = await cli('mccs', ['join-token'], cl.home('node1'));
    expect(token.code, token.out).toBe(0);
    const { token: secret, fingerprint } = token.json.result as { token: string; fingerprint: string };
    expect(secret).toBeTruthy();
    // The new host runs the command itself: its engine-to-be reaches node1's remote API (HBPort + 3) over the service network.
    await bootNode(cl.lab, 'node4');
    const joined = await execInNode(cl.lab, 'node4', process.execPath, [join(ROOT, 'bin/mccs.js'), 'init', '--join', '10.213.0.1:14324', '--token', secret, '--fingerprint', fingerprint,
      '--node', 'node4', '--primary-hb', '10.213.0.4', '--secondary-hb', '10.213.1.4', '--isolation-addresses', '10.213.0.254', '--json'],
    { env: cliEnv({ MCCS_HOME: cl.home('node4'), MCCS_ADMIN_PASSWORD: ADMIN_PASSWORD }), timeoutMs: 60_000 });
    expect(joined.exitCode, `${joined.stdout}\n${joined.stderr}`).toBe(0);
    expect(JSON.parse(joined.stdout).result).toMatchObject({ node: 'node4', added: true, ConfigVersion: version + 1 });
    expect(existsSync(join(cl.home('node4'), 'config/cluster.key'))).toBe(true);
    for (const n of [...MEMBERS, 'node4'] as NodeName[]) {
      const c = configOf(n);
      expect([n, c.ConfigVersion, c.Nodes.map((x) => x.NodeName)]).toEqual([n, version + 1, ['node1', 'node2', 'node3', 'node4']]);
    }
    await cl.startEngine('node4', 'running', 60_000);
    await cl.waitAllRunning(60_000);
    for (const n of MEMBERS) expect([n, cl.engines[n]!.pid, cl.engineAlive(n)]).toEqual([n, pids[n], true]);
    await groupsWhereTheyWere(cl.names);
    // The new node is a member like the others: it hears every link of every node.
    const st = await cl.clusterStatus('node4');
    expect(st.nodes.map((x) => [x.NodeName, x.state])).toEqual([['node1', 'RUNNING'], ['node2', 'RUNNING'], ['node3', 'RUNNING'], ['node4', 'RUNNING']]);
  }, 180_000);

  it('node4 leaves: mcnode remove is refused while its engine runs; stopped, it is removed (on node2) and every node left shows node1..node3 only; nothing moved', async () => {
    const refused = await cli('mcnode', ['remove', 'node4'], cl.home('node2'));
    expect([refused.code, refused.json.error?.code], refused.out).toEqual([5, 'CONFLICT']);
    await cl.stopEngine('node4');
    await cl.waitFor('node1..node3 to see node4 stopped', async () => {
      for (const v of MEMBERS) if (['RUNNING', undefined].includes((await nodesSeen(v)).node4)) return false;
      return true;
    }, 30_000, 250);
    const version = configOf('node1').ConfigVersion;
    const removed = await cli('mcnode', ['-remove', '-n', 'node4'], cl.home('node2'));
    expect(removed.code, removed.out).toBe(0);
    expect(removed.json).toMatchObject({ ok: true, changed: true, result: { node: 'node4', removed: true, ConfigVersion: version + 1 } });
    for (const v of MEMBERS) {
      const s = await cl.clusterStatus(v);
      expect([v, s.ConfigVersion, s.nodes.map((x) => [x.NodeName, x.state])]).toEqual([v, version + 1, [['node1', 'RUNNING'], ['node2', 'RUNNING'], ['node3', 'RUNNING']]]);
    }
    await sleep(3000);
    for (const v of MEMBERS) expect([v, await nodesSeen(v)]).toEqual([v, { node1: 'RUNNING', node2: 'RUNNING', node3: 'RUNNING' }]);
    for (const n of MEMBERS) expect([n, cl.engines[n]!.pid, cl.engineAlive(n)]).toEqual([n, pids[n], true]);
    await groupsWhereTheyWere(MEMBERS);
    for (const g of GROUPS) await cl.waitVip(g.vip, g.nodeList[0]!, 15_000, g.port);
    const s = await sampler!.stop();
    sampler = undefined;
    console.log(`join and leave: ${s.samples} holder samples (one per ${s.periodMs} ms), ${s.dual} with two holders; seen ${JSON.stringify(s.seenByAddr)}`);
    expect(s.dual).toBe(0);
    expect(s.seenByAddr).toEqual({ '10.213.0.121': ['node1'], '10.213.0.122': ['node2'] });
    // The groups ran throughout: nothing of them stopped anywhere since the join began.
    for (const n of cl.names) {
      expect(cl.eventsSince(n, joinMark).filter((e) => e.newState === 'STOPPING').map((e) => `${n} ${e.subject}`)).toEqual([]);
    }
  }, 180_000);
});
