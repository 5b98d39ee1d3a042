// Starting, configuration and IPv6 in the two-node lab (issue 3): a node
// started alone waits for its peer (StartAloneTimeout 0) even when the
// peer's host is up; configuration changes made on one node apply on both,
// and a node restarted with an older main.json takes the newer one; a VIP
// of IPv6 (fd00:213::100/64) fails over like an IPv4 one.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../lab/exec.js';
import { answers, bootNode } from '../lab/lab.js';
import { ClusterLab, clusterConfig, GROUP, IS_ROOT, VIP6 } from '../helpers/cluster-lab.js';

if (!IS_ROOT) console.log('cluster-config.test: skipped: the two-node lab needs root (network, PID and mount namespaces)');

describe.skipIf(!IS_ROOT)('starting, configuration and IPv6 in the two-node lab', () => {
  let cl: ClusterLab;
  const base = clusterConfig({ vip: VIP6, ConfigVersion: 3 });

  beforeAll(async () => {
    cl = await ClusterLab.create('ccf', base);
  });

  afterAll(async () => {
    await cl?.destroy();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump()}`);
  });

  it('node1 started alone, node2 host up but its engine stopped: no group starts (StartAloneTimeout 0) until node2 joins', async () => {
    await bootNode(cl.lab, 'node2');
    await cl.startEngine('node1', 'api');
    // The peer's host answers ICMP; its engine is silent.
    expect(await answers(cl.lab, '10.213.0.2')).toBe(true);
    await sleep(5000);
    const s = await cl.clusterStatus('node1');
    expect(s.nodes.find((n) => n.NodeName === 'node1')?.state).toBe('INITING');
    expect(s.warnings.some((w) => w.startsWith('WAITING')), JSON.stringify(s.warnings)).toBe(true);
    expect(cl.events('node1').filter((e) => e.rule === 'ONLINE_DONE' || e.rule === 'AUTOSTART')).toEqual([]);
    expect(await cl.echoPids('node1')).toEqual([]);
    await cl.waitVip(VIP6, null, 3000);

    // The peer joins: the group comes online on the priority node only.
    await cl.startEngine('node2', 'running');
    await cl.waitFor('node1 RUNNING', async () => (await cl.nodeStates('node1')).node1 === 'RUNNING', 15_000);
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' });
    await cl.waitVip(VIP6, 'node1');
    expect(await cl.echoPids('node2')).toEqual([]);
  }, 60_000);

  it('a configuration change made on node2 appears on node1 (main.json, ConfigVersion)', async () => {
    const v = cl.readConfig('node1').ConfigVersion;
    const m = cl.mark();
    const r = await cl.call<{ ConfigVersion: number }>('node2', 'node.modify', { node: 'node1', attributes: { ExpirationDate: '2030-01-01' } });
    expect(r.ConfigVersion).toBe(v + 1);
    await cl.waitFor('node1 main.json at the new version', () => cl.readConfig('node1').ConfigVersion === v + 1, 10_000);
    expect(cl.readConfig('node1').Nodes.find((n) => n.NodeName === 'node1')?.ExpirationDate).toBe('2030-01-01');
    expect(cl.readConfig('node2').ConfigVersion).toBe(v + 1);
    // node1 coordinates changes: the change given on node2 is made there and taken whole by node2.
    await cl.waitEvent('node1', m, 'CONFIG_CHANGED', 5000);
    await cl.waitEvent('node2', m, 'CONFIG_ADOPTED', 5000);
    for (const n of ['node1', 'node2'] as const) {
      expect((await cl.clusterStatus(n)).ConfigVersion).toBe(v + 1);
      const nodes = await cl.call<{ NodeName: string; attributes: Record<string, unknown> }[]>(n, 'node.list', { node: 'node1' });
      expect(nodes[0]?.attributes.ExpirationDate).toBe('2030-01-01');
    }
    // Nothing moved.
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 2000 });
  }, 30_000);

  it('commands about node2 given on node1 run on node2: probe, and a support archive with -all holds both nodes', async () => {
    const probe = await cl.call<{ node: string }>('node1', 'res.probe', { resource: 'web-app', node: 'node2' });
    expect(probe.node).toBe('node2');
    const bundle = await cl.call<{ fileName: string; contentBase64: string }>('node1', 'node.support', { all: true });
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    const dir = mkdtempSync('/tmp/mccs-support-test-');
    try {
      writeFileSync(`${dir}/${bundle.fileName}`, Buffer.from(bundle.contentBase64, 'base64'));
      const list = execFileSync('tar', ['-tzf', `${dir}/${bundle.fileName}`], { encoding: 'utf8' });
      expect(list).toMatch(/\/nodes\/mccs-support-node2-.*\.tar\.gz/);
      expect(list).toMatch(/\/states\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('node1 restarted with an old main.json takes the newer configuration from node2 (its service is adopted, not restarted)', async () => {
    const newer = cl.readConfig('node2');
    const [pid] = await cl.echoPids('node1');
    await cl.stopEngine('node1');
    // The planned stop: node2 takes nothing over.
    await sleep(2000);
    expect((await cl.groupStates('node2')).node2).toBe('OFFLINE');
    cl.writeConfig('node1', base); // ConfigVersion 3, no ExpirationDate
    expect(newer.ConfigVersion).toBeGreaterThan(base.ConfigVersion);
    const m = cl.mark();
    await cl.startEngine('node1', 'running');
    await cl.waitFor('node1 main.json replaced by the newer one', () => cl.readConfig('node1').ConfigVersion === newer.ConfigVersion, 10_000);
    expect(cl.readConfig('node1').Nodes.find((n) => n.NodeName === 'node1')?.ExpirationDate).toBe('2030-01-01');
    expect((await cl.clusterStatus('node1')).ConfigVersion).toBe(newer.ConfigVersion);
    expect(cl.rulesSince('node1', m)).toContain('CONFIG_ADOPTED');
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' });
    expect(await cl.echoPids('node1')).toEqual([pid]);
    await cl.waitVip(VIP6, 'node1');
  }, 40_000);

  it('IPv6 VIP: switch to node2 and back, then power-off of node1: node2 takes fd00:213::100 over', async () => {
    await cl.call('node1', 'grp.switch', { group: GROUP, node: 'node2', wait: true, timeout: 60 });
    await cl.waitGroup({ node1: 'OFFLINE', node2: 'ONLINE' });
    await cl.waitVip(VIP6, 'node2');
    await cl.call('node1', 'grp.switch', { group: GROUP, node: 'node1', wait: true, timeout: 60 });
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' });
    await cl.waitVip(VIP6, 'node1');

    const m = cl.mark();
    await cl.powerOff('node1');
    const d = await cl.waitEvent('node2', m, /^DECISION_/, 10_000);
    expect(d.rule, d.message).toBe('DECISION_NODE_FAULT');
    await cl.waitGroup({ node2: 'ONLINE' }, { viewers: ['node2'] });
    await cl.waitVip(VIP6, 'node2');
    await cl.restore('node1', VIP6);
  }, 60_000);
});
