// Node rename in the two-node lab (issue 13; the MCCS manual, "How to Change
// the Node Name"): `mcnode -modify -n OLD -a NodeName NEW` is one
// configuration change on both nodes (Nodes, NodeList); both engines restart
// in process under the new names, the services keep running, membership
// and the peer know the new name, events and status use it, and the node
// started again as `--node OLD` comes up under its new name. Refused while
// it would leave a group without its node.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/api/protocol.js';
import { ClusterLab, clusterConfig, GROUP, IS_ROOT, VIP4 } from '../helpers/cluster-lab.js';
import { runCli } from '../helpers/cli-run.js';

if (!IS_ROOT) console.log('node-rename.test: skipped: the two-node lab needs root (network, PID and mount namespaces)');

async function cli(home: string, bin: string, args: string[]): Promise<{ code: number; json: { ok: boolean; changed?: boolean; result?: any; error?: { code: string; message: string } }; out: string }> {
  const r = await runCli(bin, [...args, '--json'], { env: { MCCS_HOME: home, MCCS_CREDENTIALS: join(home, 'none.json') } });
  // Not an envelope: shown by the assertion.
  return { code: r.code, json: r.json ?? { ok: false }, out: r.stdout + r.stderr };
}

describe.skipIf(!IS_ROOT)('node rename in the two-node lab', () => {
  let cl: ClusterLab;

  beforeAll(async () => {
    cl = await ClusterLab.create('rnm', clusterConfig({ ConfigVersion: 2 }));
    await cl.startBoth('running');
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await cl?.destroy();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump(60)}`);
  });

  const status = (n: 'node1' | 'node2') => cl.call<{ localNode: string; ConfigVersion: number; nodes: { NodeName: string; state: string }[] }>(n, 'cluster.status');

  it('mcnode -modify -n node1 -a NodeName db1 is refused while group web runs there (it would be left without its node)', async () => {
    const v = cl.readConfig('node1').ConfigVersion;
    const r = await cli(cl.home('node2'), 'mcnode', ['-modify', '-n', 'node1', '-a', 'NodeName', 'db1']);
    expect([r.code, r.json.error?.code], r.out).toEqual([5, 'CONFLICT']);
    expect(r.json.error?.message).toMatch(/node1 runs group web \(ONLINE\).*without its node/);
    expect(cl.readConfig('node1').ConfigVersion).toBe(v);
    expect(cl.readConfig('node2').ConfigVersion).toBe(v);
  });

  it('mcnode -modify -n node2 -a NodeName db2: one change on both nodes, both engines take the name, the service keeps running', async () => {
    const pids = await cl.echoPids('node1');
    expect(pids).toHaveLength(1);
    const m = cl.mark();
    const v = cl.readConfig('node1').ConfigVersion;
    const r = await cli(cl.home('node1'), 'mcnode', ['-modify', '-n', 'node2', '-a', 'NodeName', 'db2']);
    expect(r.code, r.out).toBe(0);
    expect(r.json.result).toMatchObject({ from: 'node2', to: 'db2', ConfigVersion: v + 1 });

    // main.json on both nodes: Nodes and NodeList.
    await cl.waitFor('node2 main.json at the new version', () => cl.readConfig('node2').ConfigVersion === v + 1, 10_000);
    for (const n of ['node1', 'node2'] as const) {
      const c = cl.readConfig(n);
      expect([n, c.Nodes.map((x) => x.NodeName), c.Groups[0]!.NodeList]).toEqual([n, ['node1', 'db2'], ['node1', 'db2']]);
    }
    // Both engines restart in process under the new names and meet again.
    await cl.waitFor('both engines RUNNING under the new names', async () => {
      const [a, b] = await Promise.all([status('node1').catch(() => undefined), status('node2').catch(() => undefined)]);
      const running = (s: typeof a) => s?.nodes.every((x) => x.state === 'RUNNING') && JSON.stringify(s.nodes.map((x) => x.NodeName)) === '["node1","db2"]';
      return a?.localNode === 'node1' && b?.localNode === 'db2' && running(a) && running(b);
    }, 60_000, 200);
    for (const n of ['node1', 'node2'] as const) expect(cl.eventsSince(n, m).some((e) => e.rule === 'NODE_RENAMED' && (e.facts as { to?: string }).to === 'db2')).toBe(true);

    // The group stayed where it was, its process adopted (not restarted); both views agree.
    for (const n of ['node1', 'node2'] as const) {
      const rows = await cl.call<{ node: string; state: string }[]>(n, 'grp.state', { group: GROUP });
      expect(Object.fromEntries(rows.map((x) => [x.node, x.state]))).toEqual({ node1: 'ONLINE', db2: 'OFFLINE' });
    }
    expect(await cl.echoPids('node1')).toEqual(pids);
    expect(cl.eventsSince('node1', m).filter((e) => e.rule === 'ONLINE_DONE')).toEqual([]);

    // The node's events before the rename are found under its new name.
    const ev = await cl.call<EventRecord[]>('node2', 'cluster.events', { node: 'db2' });
    expect(ev.some((e) => e.node === 'node2')).toBe(true);
    expect(ev.some((e) => e.node === 'db2')).toBe(true);
  }, 120_000);

  it('the group switches to db2 by its new name; restarted as --node node2 the engine comes up as db2 and keeps it', async () => {
    const sw = await cli(cl.home('node1'), 'mcgrp', ['-switch', '-g', GROUP, '-n', 'db2', '--wait']);
    expect(sw.code, sw.out).toBe(0);
    // The VIP is on node2's host, and the service there answers with the node's name: db2.
    await cl.waitFor('the VIP answered by db2 from node2', async () => {
      const v = await cl.vipAnswerers(VIP4, 3, 700);
      return JSON.stringify(v.holders) === '["node2"]' && v.answers.length === 3 && v.answers.every((a) => a === 'db2');
    }, 15_000, 100);
    const pids = await cl.echoPids('node2');
    expect(pids).toHaveLength(1);

    // systemd restarts it with the name it was installed with.
    await cl.stopEngine('node2');
    await cl.startEngine('node2', 'api', 30_000);
    await cl.waitFor('node2 engine RUNNING as db2', async () => {
      const s = await status('node2').catch(() => undefined);
      return s?.localNode === 'db2' && s.nodes.every((x) => x.state === 'RUNNING');
    }, 60_000, 200);
    const rows = await cl.call<{ node: string; state: string }[]>('node1', 'grp.state', { group: GROUP });
    expect(Object.fromEntries(rows.map((x) => [x.node, x.state]))).toEqual({ node1: 'OFFLINE', db2: 'ONLINE' });
    expect(await cl.echoPids('node2')).toEqual(pids);
  }, 120_000);
});
