// The witness on a real etcd (issue 11): etcd 3.4 runs in the lab namespace
// on the gateway's address; both engines have WitnessType etcd. The group
// NIC ← IP ← Process runs on node1. A sampler reads both nodes' address
// tables every 10 ms (ip -j addr, from the host: it works on a frozen or
// powered-off node too) and counts the samples where both hold the VIP.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { exec, signal, sleep } from '../lab/exec.js';
import { ROOT } from '../helpers/engine-harness.js';
import { ETCD_ENDPOINT, startEtcd, stopEtcd, type EtcdProcess } from '../lab/etcd.js';
import { isolate, reconnect } from '../lab/lab.js';
import { ClusterLab, clusterConfig, GROUP, IS_ROOT, VIP4, type NodeName } from '../helpers/cluster-lab.js';
import { HolderSampler } from '../helpers/holder-sampler.js';

if (!IS_ROOT) console.log('witness-etcd.test: skipped: the two-node lab needs root (network, PID and mount namespaces)');

const LAB_ID = 'wit';

async function nodePids(cl: ClusterLab, n: NodeName): Promise<number[]> {
  const r = await exec('ip', ['netns', 'pids', cl.lab.nodes[n].ns]);
  return r.stdout.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number);
}

interface WitnessView {
  reachable: boolean;
  nodes: { node: string; reachable: boolean }[];
  groups: { group: string; owner: string | null; ownedByThisEngine: boolean; deadlineInMs: number | null }[];
}

async function witnessOf(cl: ClusterLab, n: NodeName): Promise<WitnessView> {
  const s = await cl.call<{ membership: { witness: WitnessView } }>(n, 'cluster.status');
  return s.membership.witness;
}

/** node owns the group at the witness, as both engines see it (after a restore the owner takes it again within a renewal or two). */
async function waitOwner(cl: ClusterLab, node: NodeName): Promise<void> {
  await cl.waitFor(`${node} to own ${GROUP} at the witness`, async () => {
    for (const n of ['node1', 'node2'] as const) if ((await witnessOf(cl, n)).groups.find((g) => g.group === GROUP)?.owner !== node) return false;
    return (await witnessOf(cl, node)).groups.find((g) => g.group === GROUP)?.ownedByThisEngine === true;
  }, 10_000, 50);
}

describe.skipIf(!IS_ROOT)('witness on etcd in the lab', () => {
  let cl: ClusterLab;
  let etcd: EtcdProcess;

  beforeAll(async () => {
    cl = await ClusterLab.create(LAB_ID, clusterConfig({ cluster: { WitnessType: 'etcd', WitnessEndpoints: ETCD_ENDPOINT } }));
    etcd = await startEtcd(cl.lab);
    await cl.startBoth('running');
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' });
    await cl.waitVip(VIP4, 'node1');
  }, 90_000);

  afterAll(async () => {
    if (etcd) await stopEtcd(etcd);
    await cl?.destroy();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump()}`);
  });

  it('status shows the witness reachable from both nodes, node1 owning the group with a deadline; no NO_FENCING warning; witness check', async () => {
    for (const n of ['node1', 'node2'] as const) {
      const w = await cl.waitFor(`${n} to see node1 own ${GROUP} at the witness`, async () => {
        const v = await witnessOf(cl, n);
        return v.reachable && v.groups.find((g) => g.group === GROUP)?.owner === 'node1' && v.nodes.every((x) => x.reachable) ? v : false;
      }, 10_000, 100);
      expect(w.groups[0]!.deadlineInMs).not.toBeNull();
      expect((await cl.clusterStatus(n)).warnings.filter((x) => /NO_FENCING|WITNESS_UNREACHABLE/.test(x))).toEqual([]);
    }
    const check = await cl.call<{ reachable: boolean; holds: string[]; endpoints: { reachable: boolean; latencyMs: number; version: string }[] }>('node1', 'witness.check');
    expect(check.reachable).toBe(true);
    expect(check.holds).toEqual([GROUP]);
    expect(check.endpoints[0]!.version).toMatch(/^3\.4/);
    // What the operator reads: mccs witness check and mccluster status, through the CLI.
    const env = { ...process.env, MCCS_HOME: cl.home('node1'), NO_COLOR: '1' };
    const checked = await exec(process.execPath, [join(ROOT, 'bin/mccs.js'), 'witness', 'check'], { env });
    expect(checked.stdout).toMatch(/node1: the witness is reachable/);
    expect(checked.stdout).toMatch(/holds: web/);
    const status = await exec(process.execPath, [join(ROOT, 'bin/mccluster.js'), 'status'], { env });
    expect(status.stdout).toMatch(/Witness etcd http:\/\/10\.213\.0\.254:2379/);
    expect(status.stdout).toMatch(/web\s+node1\s+\d+\s+in \d+ ms/);
  });

  it('partition (both heartbeat links cut, the witness reached by both): the owner keeps the VIP, node2 says PARTITION and never takes it', async () => {
    await waitOwner(cl, 'node1');
    const m = cl.mark();
    const sampler = new HolderSampler(cl.lab, VIP4);
    await Promise.all([cl.cutPeerPath('primary', true), cl.cutPeerPath('secondary', true)]);
    try {
      const ev = await cl.waitEvent('node2', m, 'DECISION_PARTITION', 15_000);
      expect(ev.facts?.code).toBe('PARTITION');
      const st = await cl.clusterStatus('node2');
      expect(st.warnings.some((w) => w.startsWith('PARTITION: node1'))).toBe(true);
      expect(st.nodes.find((n) => n.NodeName === 'node1')?.state).not.toBe('FAULTED');
      await sleep(4000); // well past HBInterval + HBTimeout + WitnessTTL
    } finally {
      await Promise.all([cl.cutPeerPath('primary', false), cl.cutPeerPath('secondary', false)]);
    }
    const s = await sampler.stop();
    console.log(`partition with witness: ${s.samples} samples of the VIP holders (one per ${s.periodMs} ms), ${s.dual} with two holders; seen: ${s.seen.join(', ')}`);
    expect(s.dual).toBe(0);
    expect(s.seen).toEqual(['node1']);
    expect(cl.rulesSince('node2', m)).not.toContain('NODE_FAULT_TAKEOVER');
    await cl.restore('node1');
  }, 60_000);

  it('witness down alone: nothing moves; both nodes warn WITNESS_UNREACHABLE; back to normal when it returns', async () => {
    const m = cl.mark();
    await stopEtcd(etcd);
    try {
      for (const n of ['node1', 'node2'] as const) await cl.waitEvent(n, m, 'WITNESS_UNREACHABLE', 10_000);
      await sleep(3000);
      for (const n of ['node1', 'node2'] as const) expect((await cl.clusterStatus(n)).warnings.some((w) => w.startsWith('WITNESS_UNREACHABLE'))).toBe(true);
      expect(await cl.vipHolders(VIP4)).toEqual(['node1']);
      expect(await cl.groupStates('node2')).toMatchObject({ node1: 'ONLINE', node2: 'OFFLINE' });
      expect(cl.rulesSince('node1', m)).not.toContain('OWNERSHIP_LAPSED');
    } finally {
      etcd = await startEtcd(cl.lab);
    }
    for (const n of ['node1', 'node2'] as const) await cl.waitEvent(n, m, 'WITNESS_REACHABLE', 15_000);
    await cl.waitVip(VIP4, 'node1');
  }, 60_000);

  it('engine SIGKILL on the owner: no takeover while its host answers', async () => {
    const m = cl.mark();
    await cl.killEngine('node1');
    await cl.waitEvent('node2', m, 'DECISION_PEER_EXITED', 10_000);
    await sleep(3000);
    expect(await cl.vipHolders(VIP4)).toEqual(['node1']);
    expect(cl.rulesSince('node2', m)).not.toContain('OWNERSHIP_TAKEN');
    await cl.startEngine('node1', 'running', 30_000);
    await cl.restore('node1');
  }, 60_000);

  it('owner cut off from its peer and the witness (nothing it sends gets out; it still hears node2): it drops the VIP by itself, then node2 takes over; never two holders', async () => {
    await waitOwner(cl, 'node1');
    const m = cl.mark();
    const sampler = new HolderSampler(cl.lab, VIP4);
    // Every packet node1 sends to the lab networks is refused by its own routing (carrier stays up, so
    // the NIC resource sees nothing): node2 and etcd hear nothing from it, while node1 still hears node2.
    const ns = cl.lab.nodes.node1.ns;
    await exec('ip', ['-n', ns, 'rule', 'add', 'to', '10.213.0.0/16', 'prohibit', 'pref', '100']);
    try {
      const lapsed = await cl.waitEvent('node1', m, 'OWNERSHIP_LAPSED', 10_000);
      const taken = await cl.waitEvent('node2', m, 'OWNERSHIP_TAKEN', 15_000);
      await cl.waitFor('node2 alone to hold the VIP', async () => JSON.stringify(await cl.vipHolders(VIP4)) === '["node2"]', 15_000, 50);
      console.log(`owner cut off: node1 dropped its ownership at ${lapsed.time}, node2 took it at ${taken.time}`);
      // node1 held on while node2 still said it heard node1, and let go once it no longer did.
      expect(lapsed.message).toMatch(/not heard/);
    } finally {
      await exec('ip', ['-n', ns, 'rule', 'del', 'pref', '100']);
    }
    const s = await sampler.stop();
    console.log(`owner cut off: ${s.samples} samples (one per ${s.periodMs} ms), ${s.dual} with two holders; seen: ${s.seen.join(', ')}`);
    expect(s.dual).toBe(0);
    expect(s.seen).not.toContain('node1+node2');
    await cl.restore('node1');
  }, 90_000);

  it('frozen owner (SIGSTOP of its whole node, links down like a paused VM) resumed after the takeover: it drops the VIP before acting', async () => {
    await waitOwner(cl, 'node1');
    const m = cl.mark();
    await isolate(cl.lab, 'node1');
    const pids = await nodePids(cl, 'node1');
    for (const pid of pids) signal(pid, 'SIGSTOP');
    let resumed = false;
    try {
      await cl.waitEvent('node2', m, 'OWNERSHIP_TAKEN', 15_000);
      await cl.waitFor('node2 to hold the VIP', async () => (await cl.vipHolders(VIP4)).includes('node2'), 15_000, 50);
      const m2 = cl.mark();
      for (const pid of pids) signal(pid, 'SIGCONT');
      resumed = true;
      await cl.waitFor('node1 to drop the VIP after it resumed', async () => JSON.stringify(await cl.vipHolders(VIP4)) === '["node2"]', 10_000, 20);
      const after = cl.eventsSince('node1', m2).filter((e) => e.group === GROUP || e.subject === `group:${GROUP}`);
      // The first thing node1 did about the group: drop it (its lease lapsed while it stood still).
      expect(after[0]?.rule).toBe('OWNERSHIP_LAPSED');
      expect(after[0]?.facts?.stalled).toBe(true);
      expect(after.map((e) => e.rule)).not.toContain('OWNERSHIP_TAKEN');
      expect(after.filter((e) => e.newState === 'STARTING')).toEqual([]);
    } finally {
      if (!resumed) for (const pid of pids) signal(pid, 'SIGCONT');
      const sampler = new HolderSampler(cl.lab, VIP4);
      await reconnect(cl.lab, 'node1');
      await sleep(3000);
      const s = await sampler.stop();
      console.log(`frozen owner back on the network: ${s.samples} samples (one per ${s.periodMs} ms), ${s.dual} with two holders; seen: ${s.seen.join(', ')}`);
      expect(s.dual).toBe(0);
    }
    await cl.restore('node1');
  }, 90_000);

  it('witness down, then the owner powered off: node2 takes over under the two-node rules and says so', async () => {
    const m = cl.mark();
    await stopEtcd(etcd);
    try {
      for (const n of ['node1', 'node2'] as const) await cl.waitEvent(n, m, 'WITNESS_UNREACHABLE', 10_000);
      await sleep(500); // node1's "unreachable" reaches node2 with the state exchange
      await cl.powerOff('node1');
      await cl.waitVip(VIP4, 'node2', 20_000);
      const d = cl.eventsSince('node2', m).find((e) => e.rule === 'DECISION_NODE_FAULT');
      expect(d?.facts?.witnessRule).toBe('UNREACHABLE_FROM_BOTH');
      expect(d?.message).toMatch(/unreachable from both nodes: two-node rules/);
      expect(cl.rulesSince('node2', m)).toContain('OWNERSHIP_UNRECORDED');
    } finally {
      etcd = await startEtcd(cl.lab);
    }
    // Back with the witness: node2 records the ownership it took under the two-node rules.
    await cl.waitFor('node2 to own the group at the witness', async () => (await witnessOf(cl, 'node2')).groups[0]?.owner === 'node2', 15_000, 100);
    await cl.restore('node1');
  }, 90_000);

  it('power-off of the owner: node2 takes over once heartbeat, ICMP and the witness agree', async () => {
    const m = cl.mark();
    const t0 = Date.now();
    await cl.powerOff('node1');
    await cl.waitVip(VIP4, 'node2', 20_000);
    const ms = Date.now() - t0;
    const d = cl.eventsSince('node2', m).find((e) => e.rule === 'DECISION_NODE_FAULT');
    expect(d?.facts?.witnessRule).toBe('PEER_LAPSED');
    expect(cl.rulesSince('node2', m)).toContain('OWNERSHIP_TAKEN');
    console.log(`power-off of the owner with the witness: the VIP answered from node2 after ${ms} ms (test clock, includes probing)`);
    await cl.restore('node1');
  }, 90_000);
});
