// Two-node failover for real (issue 3, "Tests: the lab"): two engines in the
// lab, a group NIC ← IP(10.213.0.100/24) ← Process(echo-node), default
// cluster timings. Each case checks from the client namespace that the VIP
// answers from exactly one node (or none), and that both engines agree on
// the group's state. One lab for every case of this file; each case starts
// from the known state (both engines up, group on node1) and puts it back.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/engine-harness.js';
import { signal, sleep } from '../lab/exec.js';
import { clearNetem, isolate, linkDown, linkUp, netem, reconnect } from '../lab/lab.js';
import { ClusterLab, clusterConfig, GROUP, IS_ROOT, RES, VIP4 } from '../helpers/cluster-lab.js';

if (!IS_ROOT) console.log('cluster-failover.test: skipped: the two-node lab needs root (network, PID and mount namespaces)');

describe.skipIf(!IS_ROOT)('two-node failover in the lab', () => {
  let cl: ClusterLab;

  beforeAll(async () => {
    cl = await ClusterLab.create('cfo', clusterConfig({ restartLimit: 1 }));
  });

  afterAll(async () => {
    await cl?.destroy();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump()}`);
  });

  it('both engines started at once: the group comes online on the priority node only', async () => {
    await cl.startBoth('running');
    const seen = await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' });
    expect(seen.node1).toEqual(seen.node2);
    await cl.waitVip(VIP4, 'node1');
    expect(await cl.echoPids('node2')).toEqual([]);
    expect(await cl.echoPids('node1')).toHaveLength(1);
    for (const n of ['node1', 'node2'] as const) expect(await cl.nodeStates(n)).toEqual({ node1: 'RUNNING', node2: 'RUNNING' });
    // Only node1 ever started it.
    expect(cl.events('node2').filter((e) => e.rule === 'ONLINE_DONE')).toEqual([]);
  }, 40_000);

  it('switch to node2 and back (grp.switch --wait)', async () => {
    const r = await cl.rpc('node1', 'grp.switch', { group: GROUP, node: 'node2', wait: true, timeout: 60 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    await cl.waitGroup({ node1: 'OFFLINE', node2: 'ONLINE' }, { timeoutMs: 5000 });
    await cl.waitVip(VIP4, 'node2', 5000);
    expect(await cl.echoPids('node1')).toEqual([]);
    // Back, asked on node2 this time.
    const back = await cl.rpc('node2', 'grp.switch', { group: GROUP, node: 'node1', wait: true, timeout: 60 });
    expect(back.ok, JSON.stringify(back)).toBe(true);
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 5000 });
    await cl.waitVip(VIP4, 'node1', 5000);
  }, 60_000);

  it('SIGKILL of the active engine only: no takeover (PEER_EXITED), the VIP stays; restarted, it adopts the running service', async () => {
    const [pid] = await cl.echoPids('node1');
    expect(pid).toBeGreaterThan(0);
    const m = cl.mark();
    await cl.killEngine('node1');
    const d = await cl.waitEvent('node2', m, /^DECISION_/, 10_000);
    expect(d.rule).toBe('DECISION_PEER_EXITED');
    expect((await cl.nodeStates('node2')).node1).toBe('EXITED');
    // Longer than HBTimeout and IsolationTestTimeout: still no takeover.
    await sleep(4000);
    expect(cl.rulesSince('node2', m).filter((r) => r.startsWith('DECISION_'))).toEqual(['DECISION_PEER_EXITED']);
    expect((await cl.groupStates('node2')).node2).toBe('OFFLINE');
    expect(await cl.echoPids('node2')).toEqual([]);
    await cl.waitVip(VIP4, 'node1', 3000);
    expect(await cl.echoPids('node1')).toEqual([pid]);

    await cl.startEngine('node1', 'running');
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' });
    await cl.waitVip(VIP4, 'node1', 5000);
    // Adopted, not started again: the same process.
    expect(await cl.echoPids('node1')).toEqual([pid]);
    const ev1 = cl.eventsSince('node1', m);
    expect(ev1.find((e) => e.rule === 'PROBE_ADOPTED' && e.resource === RES.app), JSON.stringify(ev1.map((e) => e.rule))).toBeTruthy();
    expect(ev1.filter((e) => e.rule === 'ONLINE_DONE')).toEqual([]);
    await cl.waitFor('node2 to see node1 RUNNING again', async () => (await cl.nodeStates('node2')).node1 === 'RUNNING', 10_000);
  }, 60_000);

  it('one heartbeat link down: no failover, the link status is reported, jeopardy raised', async () => {
    const m = cl.mark();
    await linkDown(cl.lab, 'node1', 'secondary');
    try {
      for (const viewer of ['node1', 'node2'] as const) {
        await cl.waitFor(`${viewer} to report SecondaryHBStatus DOWN`, async () => {
          const nodes = await cl.call<{ NodeName: string; attributes: Record<string, unknown> }[]>(viewer, 'node.list');
          return nodes.every((n) => n.attributes.SecondaryHBStatus === 'DOWN' && n.attributes.PrimaryHBStatus === 'UP');
        }, 10_000, 100);
        await cl.waitFor(`${viewer} status to warn about JEOPARDY`, async () => (await cl.clusterStatus(viewer)).warnings.some((w) => w.includes('JEOPARDY')), 5000, 100);
        await cl.waitEvent(viewer, m, 'JEOPARDY', 5000);
      }
      await sleep(3000);
      for (const n of ['node1', 'node2'] as const) {
        expect(cl.rulesSince(n, m).filter((r) => r.startsWith('DECISION_') || r === 'OFFLINE_DONE' || r === 'ONLINE_DONE')).toEqual([]);
        expect(await cl.nodeStates(n)).toEqual({ node1: 'RUNNING', node2: 'RUNNING' });
      }
      await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 2000 });
      await cl.waitVip(VIP4, 'node1', 3000);
    } finally {
      await linkUp(cl.lab, 'node1', 'secondary');
    }
    for (const viewer of ['node1', 'node2'] as const) {
      await cl.waitFor(`${viewer}: both links UP, no jeopardy`, async () => {
        const nodes = await cl.call<{ attributes: Record<string, unknown> }[]>(viewer, 'node.list');
        const st = await cl.clusterStatus(viewer);
        return nodes.every((n) => n.attributes.SecondaryHBStatus === 'UP') && !st.warnings.some((w) => w.includes('JEOPARDY'));
      }, 10_000, 100);
      await cl.waitEvent(viewer, m, 'JEOPARDY_OVER', 5000);
    }
  }, 60_000);

  it('a forged heartbeat from a third namespace (wrong secret) is rejected and changes nothing', async () => {
    const script = join(cl.tmp, 'forge.mjs');
    writeFileSync(script, FORGER);
    const m = cl.mark();
    const r = await cl.runInClient(script, [join(ROOT, 'dist/cluster/crypto.js'), '10.213.0.1', '14321', '40']);
    expect(r.exitCode, r.stderr).toBe(0);
    const rejected = await cl.waitEvent('node1', m, 'MESSAGE_REJECTED', 5000);
    expect(JSON.stringify(rejected.facts)).toMatch(/FORGED|MALFORMED/);
    await sleep(1500);
    for (const n of ['node1', 'node2'] as const) {
      expect(cl.rulesSince(n, m).filter((x) => /^(NODE_STATE|PEER_|DECISION_|FENCE_|ONLINE_DONE|OFFLINE_DONE|JEOPARDY)/.test(x))).toEqual([]);
      expect(await cl.nodeStates(n)).toEqual({ node1: 'RUNNING', node2: 'RUNNING' });
    }
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 2000 });
    await cl.waitVip(VIP4, 'node1', 3000);
  }, 30_000);

  it('30 % loss on the secondary link, 200 ms delay on both, one CPU core busy for 30 s: no false failover (default timings)', async () => {
    const m = cl.mark();
    const [pid] = await cl.echoPids('node1');
    await netem(cl.lab, 'node1', 'primary', { delayMs: 200 });
    await netem(cl.lab, 'node1', 'secondary', { delayMs: 200, lossPct: 30 });
    const busy = await cl.busyLoop('node1');
    const misses: string[] = [];
    try {
      const end = Date.now() + 30_000;
      while (Date.now() < end) {
        const who = await cl.vipHolder(VIP4, 3000);
        if (who !== 'node1') misses.push(`${new Date().toISOString()} ${who}`);
        await sleep(1000);
      }
    } finally {
      if (busy.pid > 0) signal(busy.pid, 'SIGKILL');
      await clearNetem(cl.lab, 'node1', 'primary');
      await clearNetem(cl.lab, 'node1', 'secondary');
    }
    expect(misses).toEqual([]);
    for (const n of ['node1', 'node2'] as const) {
      expect(cl.rulesSince(n, m).filter((x) => /^(NODE_STATE|DECISION_|FENCE_|ONLINE_DONE|OFFLINE_DONE|RESOURCE_FAILED)/.test(x) || (x.startsWith('PEER_') && x !== 'PEER_HEARD'))).toEqual([]);
      expect(await cl.nodeStates(n)).toEqual({ node1: 'RUNNING', node2: 'RUNNING' });
    }
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 2000 });
    await cl.waitVip(VIP4, 'node1', 5000);
    expect(await cl.echoPids('node1')).toEqual([pid]);
  }, 90_000);

  it('split: the links drop far apart in time (primary, then secondary after more than SplitThreshold): no takeover', async () => {
    const [pid] = await cl.echoPids('node1');
    const m = cl.mark();
    try {
      await cl.cutPeerPath('primary', true);
      await sleep(1500); // SplitThreshold 500 ms (default)
      await cl.cutPeerPath('secondary', true);
      for (const n of ['node1', 'node2'] as const) {
        const d = await cl.waitEvent(n, m, /^DECISION_/, 10_000);
        expect(d.rule, `${n}: ${d.message}`).toBe('DECISION_SPLIT');
      }
      // Longer than IsolationTestTimeout: nobody takes anything over, nobody is isolated.
      await sleep(4000);
      for (const n of ['node1', 'node2'] as const) {
        expect(cl.rulesSince(n, m).filter((r) => r.startsWith('DECISION_'))).toEqual(['DECISION_SPLIT']);
        expect(cl.rulesSince(n, m).filter((r) => r === 'ONLINE_DONE' || r === 'OFFLINE_DONE')).toEqual([]);
      }
      expect((await cl.groupStates('node1')).node1).toBe('ONLINE');
      expect((await cl.groupStates('node2')).node2).toBe('OFFLINE');
      await cl.waitVip(VIP4, 'node1', 3000);
    } finally {
      await cl.cutPeerPath('primary', false);
      await cl.cutPeerPath('secondary', false);
    }
    // Links back: node2 rejoins; node1's service was never stopped.
    await cl.waitFor('both nodes RUNNING, seeing each other', async () => {
      for (const v of ['node1', 'node2'] as const) {
        const s = await cl.nodeStates(v);
        if (s.node1 !== 'RUNNING' || s.node2 !== 'RUNNING') return false;
      }
      return true;
    }, 15_000, 100);
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' });
    await cl.waitVip(VIP4, 'node1', 5000);
    expect(await cl.echoPids('node1')).toEqual([pid]);
  }, 60_000);

  it('a critical resource fails for good on node1 (RestartLimit 1, killed twice): the group moves to node2', async () => {
    const [first] = await cl.echoPids('node1');
    const m = cl.mark();
    signal(first!, 'SIGKILL');
    // First failure: restarted in place.
    const [second] = await cl.waitFor('the service restarted in place on node1', async () => {
      const p = await cl.echoPids('node1');
      return p.length === 1 && p[0] !== first ? p : false;
    }, 15_000, 100);
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' });
    await cl.waitVip(VIP4, 'node1', 5000);
    // Second failure: final, the group fails over.
    signal(second!, 'SIGKILL');
    const seen = await cl.waitGroup({ node2: 'ONLINE' }, { timeoutMs: 20_000 });
    expect(seen.node1.node1).not.toBe('ONLINE');
    expect(seen.node2.node1).toBe(seen.node1.node1);
    await cl.waitVip(VIP4, 'node2');
    expect(await cl.echoPids('node1')).toEqual([]);
    expect(cl.rulesSince('node1', m)).toContain('RESOURCE_FAILED');
    await cl.restore('node1');
  }, 90_000);

  it('node1 isolated (all its links down), the group Locked: node1 takes its group offline all the same, node2 takes over', async () => {
    // A lock refuses operators' requests only: kept online here, the group would run on both nodes.
    const locked = await cl.rpc('node1', 'grp.lock', { group: GROUP });
    expect(locked.ok, JSON.stringify(locked)).toBe(true);
    const m = cl.mark();
    await isolate(cl.lab, 'node1');
    try {
      const d2 = await cl.waitEvent('node2', m, /^DECISION_/, 10_000);
      expect(d2.rule, d2.message).toBe('DECISION_NODE_FAULT');
      await cl.waitGroup({ node2: 'ONLINE' }, { viewers: ['node2'] });
      const d1 = await cl.waitEvent('node1', m, /^DECISION_/, 15_000);
      expect(d1.rule, d1.message).toBe('DECISION_ISOLATED');
      // node1 removed the VIP and stopped its service by itself.
      await cl.waitGroup({ node1: 'OFFLINE' }, { viewers: ['node1'] });
      await cl.waitVip(VIP4, 'node2');
      expect(await cl.echoPids('node1')).toEqual([]);
      expect(await cl.echoPids('node2')).toHaveLength(1);
    } finally {
      await reconnect(cl.lab, 'node1');
    }
    // Links back: both agree the group is on node2 only.
    await cl.waitGroup({ node1: 'OFFLINE', node2: 'ONLINE' });
    await cl.waitVip(VIP4, 'node2');
    expect(cl.rulesSince('node1', m)).not.toContain('LOCKED');
    const unlocked = await cl.rpc('node2', 'grp.unlock', { group: GROUP });
    expect(unlocked.ok, JSON.stringify(unlocked)).toBe(true);
    await cl.restore('node1');
  }, 90_000);

  it('power-off of the active node: node2 takes over; node1 back does not take it back', async () => {
    const m = cl.mark();
    await cl.powerOff('node1');
    const d = await cl.waitEvent('node2', m, /^DECISION_/, 10_000);
    expect(d.rule, d.message).toBe('DECISION_NODE_FAULT');
    await cl.waitGroup({ node2: 'ONLINE' }, { viewers: ['node2'] });
    await cl.waitVip(VIP4, 'node2');
    expect((await cl.nodeStates('node2')).node1).toBe('FAULTED');
    // Power back on: node1 joins, the group stays on node2 (no failback).
    await cl.powerOn('node1', 'running');
    await cl.waitFor('node1 and node2 RUNNING on both', async () => {
      for (const v of ['node1', 'node2'] as const) {
        const s = await cl.nodeStates(v);
        if (s.node1 !== 'RUNNING' || s.node2 !== 'RUNNING') return false;
      }
      return true;
    }, 20_000, 100);
    await cl.waitGroup({ node1: 'OFFLINE', node2: 'ONLINE' });
    await cl.waitVip(VIP4, 'node2');
    expect(await cl.echoPids('node1')).toEqual([]);
    await cl.restore('node1');
  }, 90_000);

  it('links cut between the nodes only (both still reach the gateway): both hold the group; links back: exactly one keeps it (Heal)', async () => {
    const m = cl.mark();
    await Promise.all([cl.cutPeerPath('primary', true), cl.cutPeerPath('secondary', true)]);
    try {
      const d2 = await cl.waitEvent('node2', m, /^DECISION_/, 10_000);
      expect(d2.rule, d2.message).toBe('DECISION_NODE_FAULT');
      await cl.waitGroup({ node2: 'ONLINE' }, { viewers: ['node2'] });
      expect((await cl.groupStates('node1')).node1).toBe('ONLINE');
      // Without fencing, this is the partition status warns about: both hold it.
      expect(await cl.vipHolders(VIP4)).toEqual(['node1', 'node2']);
      expect((await cl.clusterStatus('node2')).warnings.some((w) => w.includes('NO_FENCING'))).toBe(true);
    } finally {
      await Promise.all([cl.cutPeerPath('primary', false), cl.cutPeerPath('secondary', false)]);
    }
    // Heal: the higher takeover generation (node2 took it over last) keeps it, within a few seconds.
    const healed = await cl.waitFor('exactly one holder of the VIP', async () => {
      const h = await cl.vipHolders(VIP4);
      return h.length === 1 ? h[0] : false;
    }, 10_000, 100);
    expect(healed).toBe('node2');
    await cl.waitGroup({ node1: 'OFFLINE', node2: 'ONLINE' }, { timeoutMs: 10_000 });
    await cl.waitVip(VIP4, 'node2');
    expect(await cl.echoPids('node1')).toEqual([]);
    expect(cl.rulesSince('node1', m)).toContain('HEAL');
  }, 60_000);
});

/** Sends sealed heartbeats with a random (wrong) secret, claiming to be node2, plus garbage. */
const FORGER = `
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
const [crypto, addr, port, count] = process.argv.slice(2);
const { Sealer, newIncarnation } = await import(crypto);
const sealer = new Sealer({ secret: randomBytes(32), clusterName: 'lab', sender: 'node2', channel: 'HB_PRIMARY', incarnation: newIncarnation() });
const socket = createSocket('udp4');
const send = (buf) => new Promise((resolve, reject) => socket.send(buf, Number(port), addr, (err) => (err ? reject(err) : resolve())));
for (let i = 0; i < Number(count); i++) {
  await send(sealer.seal(JSON.stringify({ echo: {}, state: 'FAULTED', configVersion: 999, rank: 0, groups: {}, plannedStop: i % 2 === 0 })));
  if (i % 10 === 0) await send(randomBytes(80));
  await new Promise((r) => setTimeout(r, 20));
}
socket.close();
`;
