// Three nodes on a three-member etcd (issue 16), for real: three engines in
// the lab, etcd 3.4 members on 10.213.0.251..253 of the lab namespace, two
// failover groups that both start on node1 and fall back in different
// orders:
//   alpha  NodeList node1, node2, node3   VIP 10.213.0.101, echo on 7701
//   beta   NodeList node1, node3, node2   VIP 10.213.0.102, echo on 7702
// A node running both is powered off, cut off in a 2|1 partition (it is the
// side of one: no peer, no witness, no gateway), and etcd loses a member.
// A sampler reads every node's address table every 10 ms and counts the
// rounds where a VIP has two holders. Each case starts with both groups on
// node1 and the whole cluster RUNNING.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  etcdClusterEndpoints, etcdLeader, etcdLogTails, startEtcdCluster, startEtcdMember, stopEtcdCluster, stopEtcdMember, type EtcdCluster,
} from '../lab/etcd.js';
import { sleep } from '../lab/exec.js';
import { healPartition, partition } from '../lab/lab.js';
import { ClusterLab, IS_ROOT, groupPort, groupResources, manyNodeConfig, type GroupSpec, type NodeName } from '../helpers/cluster-lab.js';
import { HolderSampler } from '../helpers/holder-sampler.js';
import type { EventRecord } from '../../src/api/protocol.js';

if (!IS_ROOT) console.log('cluster-three-nodes.test: skipped: the lab needs root (network, PID and mount namespaces)');

const LAB_ID = 'c3n';
const GROUPS: GroupSpec[] = [
  { name: 'alpha', nodeList: ['node1', 'node2', 'node3'], vip: '10.213.0.101', port: 7701 },
  { name: 'beta', nodeList: ['node1', 'node3', 'node2'], vip: '10.213.0.102', port: 7702 },
];
const VIPS = GROUPS.map((g) => g.vip);
const vipOf = (g: string): string => GROUPS.find((x) => x.name === g)!.vip;
/** The declared default: an owner that cannot renew drops its groups within three quarters of it; another node takes them after all of it. */
const WITNESS_TTL = 1000;
/** An event about group g or one of its resources. */
const ofGroup = (e: EventRecord, g: string): boolean => e.group === g || e.subject === `group:${g}` || Boolean(e.resource?.startsWith(`${g}-`));
/** Rules that mean a group moved or lost its owner. */
const MOVES = /^(DECISION_NODE_FAULT|NODE_FAULT_TAKEOVER|OWNERSHIP_(LOST|LAPSED|TAKEN|RELEASED|CONFLICT)|WITNESS_UNREACHABLE)/;

describe.skipIf(!IS_ROOT)('three nodes on a three-member etcd', () => {
  let cl: ClusterLab;
  let etcd: EtcdCluster;

  const allEvents = (mark: Record<NodeName, number>): EventRecord[] => cl.names.flatMap((n) => cl.eventsSince(n, mark));
  const started = (ev: EventRecord[], res: string, node: NodeName): number | undefined => {
    const e = ev.find((x) => x.node === node && x.resource === res && x.newState === 'STARTING');
    return e ? Date.parse(e.time) : undefined;
  };
  const onlineAt = (ev: EventRecord[], res: string, node: NodeName): number | undefined => {
    const e = ev.find((x) => x.node === node && x.resource === res && x.rule === 'ONLINE_DONE');
    return e ? Date.parse(e.time) : undefined;
  };

  /** Both groups on node1 (switched back where they are not), every VIP answering from there. */
  async function bothOnNode1(): Promise<void> {
    await healPartition(cl.lab);
    for (const n of cl.names) if (!cl.lab.nodes[n].init) await cl.powerOn(n, false);
    // Together: a node alone waits for the others (or for a majority, with the rest gone at the witness).
    await Promise.all(cl.names.filter((n) => !cl.engineAlive(n)).map((n) => cl.startEngine(n, 'running', 60_000)));
    await cl.waitAllRunning(60_000);
    for (const g of GROUPS) {
      const states = await cl.groupStates('node1', g.name);
      if (states.node1 !== 'ONLINE') await cl.call('node1', 'grp.switch', { group: g.name, node: 'node1', wait: true, timeout: 60 });
    }
    await cl.waitPlacement({ alpha: 'node1', beta: 'node1' }, { timeoutMs: 30_000 });
    for (const g of GROUPS) await cl.waitVip(g.vip, 'node1', 15_000, g.port);
  }

  beforeAll(async () => {
    cl = await ClusterLab.create(LAB_ID, manyNodeConfig({ nodes: 3, groups: GROUPS, witnessEndpoints: etcdClusterEndpoints(3) }), { nodes: 3 });
    etcd = await startEtcdCluster(cl.lab);
  }, 90_000);

  afterAll(async () => {
    if (etcd) await stopEtcdCluster(etcd);
    await cl?.destroy();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) {
      const etcdLogs = etcd ? etcdLogTails(etcd, 10) : '';
      console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump()}\n${etcdLogs}`);
    }
  });

  it('started together: both groups come online on node1 only, every node RUNNING and seeing the three RUNNING', async () => {
    await cl.startAll('running', 60_000);
    await cl.waitAllRunning(60_000);
    await cl.waitPlacement({ alpha: 'node1', beta: 'node1' }, { timeoutMs: 60_000 });
    for (const g of GROUPS) await cl.waitVip(g.vip, 'node1', 15_000, g.port);
    expect(await cl.echoPids('node2')).toEqual([]);
    expect(await cl.echoPids('node3')).toEqual([]);
    expect(await cl.echoPids('node1')).toHaveLength(2);
    // Only node1 ever started anything.
    for (const n of ['node2', 'node3'] as const) expect(cl.events(n).filter((e) => e.rule === 'ONLINE_DONE' && e.node === n)).toEqual([]);
  }, 120_000);

  /** SIGKILL of one etcd member for several ownership deadlines, then back: returns what every node logged meanwhile. */
  async function withoutMember(which: 'follower' | 'leader'): Promise<EventRecord[]> {
    await bothOnNode1();
    const m = cl.mark();
    const sampler = new HolderSampler(cl.lab, VIPS);
    const leader = await etcdLeader(etcd);
    expect(leader).not.toBeNull();
    const victim = which === 'leader' ? leader! : etcd.members.find((x) => x.name !== leader)!.name;
    await stopEtcdMember(etcd, victim);
    try {
      await sleep(5 * WITNESS_TTL + 3000);
      const s = await sampler.stop();
      console.log(`etcd ${which} ${victim} down: ${s.samples} samples (one per ${s.periodMs} ms); holders seen ${JSON.stringify(s.seenByAddr)}; rules logged: ${[...new Set(allEvents(m).map((e) => `${e.node} ${e.rule}`))].join(', ') || 'none'}`);
      expect(s.dual).toBe(0);
      for (const vip of VIPS) expect(s.seenByAddr[vip]).toEqual(['node1']);
      for (const v of cl.names) {
        for (const g of GROUPS) expect(await cl.groupStates(v, g.name), `${g.name} as ${v} sees it`).toEqual({ node1: 'ONLINE', node2: 'OFFLINE', node3: 'OFFLINE' });
      }
      const ev = allEvents(m);
      expect(ev.filter((e) => e.newState === 'STARTING' || e.newState === 'STOPPING').map((e) => `${e.node} ${e.subject} ${e.newState}`)).toEqual([]);
      return ev;
    } finally {
      await startEtcdMember(etcd, victim);
    }
  }

  it('etcd loses one of its three members (a follower, SIGKILL): nothing moves, no ownership is lost, no node warns', async () => {
    const ev = await withoutMember('follower');
    expect(ev.filter((e) => MOVES.test(e.rule)).map((e) => `${e.node} ${e.rule} ${e.subject}: ${e.message}`)).toEqual([]);
    for (const v of cl.names) expect((await cl.clusterStatus(v)).warnings.filter((w) => /WITNESS|PARTITION|OWNERSHIP/.test(w)), `warnings of ${v}`).toEqual([]);
  }, 120_000);

  it('etcd loses its leader (SIGKILL): nothing moves and no ownership is lost while the two members left elect a new leader', async () => {
    const ev = await withoutMember('leader');
    // etcd serves no lease renewal until the two left have elected a leader (its election timeout, 1 s by default, and up to twice
    // that): a WITNESS_UNREACHABLE of that moment is the truth; a move or a lost ownership is not.
    const moved = ev.filter((e) => MOVES.test(e.rule) && e.rule !== 'WITNESS_UNREACHABLE');
    expect(moved.map((e) => `${e.node} ${e.rule} ${e.subject}: ${e.message}`)).toEqual([]);
    await cl.waitFor('every node to see the witness again', async () => {
      for (const v of cl.names) if ((await cl.clusterStatus(v)).warnings.some((w) => /WITNESS|PARTITION|OWNERSHIP/.test(w))) return false;
      return true;
    }, 15_000, 200);
  }, 120_000);

  it('power-off of node1 running both groups: alpha moves to node2 and beta to node3, in parallel; each VIP answers from its new node', async () => {
    await bothOnNode1();
    const m = cl.mark();
    const sampler = new HolderSampler(cl.lab, VIPS);
    const t0 = Date.now();
    await cl.powerOff('node1');
    try {
      await cl.waitPlacement({ alpha: 'node2', beta: 'node3' }, { viewers: ['node2', 'node3'], timeoutMs: 30_000 });
      await cl.waitVip(vipOf('alpha'), 'node2', 15_000, groupPort(GROUPS, 'alpha'));
      await cl.waitVip(vipOf('beta'), 'node3', 15_000, groupPort(GROUPS, 'beta'));
      const s = await sampler.stop();
      const ev = allEvents(m);
      const a = groupResources('alpha');
      const b = groupResources('beta');
      const alpha = [started(ev, a.ip, 'node2'), onlineAt(ev, a.app, 'node2')];
      const beta = [started(ev, b.ip, 'node3'), onlineAt(ev, b.app, 'node3')];
      console.log(`power-off of node1: alpha on node2 from ${alpha.map((x) => (x ? x - t0 : x)).join('→')} ms, beta on node3 from ${beta.map((x) => (x ? x - t0 : x)).join('→')} ms after the fault; ${s.samples} holder samples, ${s.dual} with two holders`);
      expect(s.dual).toBe(0);
      // Each moved by its own NodeList, and the two takeovers ran side by side (each started before the other was done).
      expect(alpha.every((x) => x !== undefined) && beta.every((x) => x !== undefined), JSON.stringify({ alpha, beta })).toBe(true);
      expect(alpha[0]!).toBeLessThanOrEqual(beta[1]!);
      expect(beta[0]!).toBeLessThanOrEqual(alpha[1]!);
      // Nothing of either group was started anywhere else.
      const expected = (e: EventRecord): boolean => (e.node === 'node2' && ofGroup(e, 'alpha')) || (e.node === 'node3' && ofGroup(e, 'beta'));
      expect(ev.filter((e) => e.newState === 'STARTING' && !expected(e)).map((e) => `${e.node} ${e.subject}`)).toEqual([]);
    } finally {
      await cl.powerOn('node1', 'running');
    }
    // node1 is back and RUNNING; no failback.
    await cl.waitAllRunning(60_000);
    await sleep(2000);
    await cl.waitPlacement({ alpha: 'node2', beta: 'node3' }, { timeoutMs: 10_000 });
  }, 180_000);

  it('2|1 partition with both groups on the side of one: node1 (no peer, no witness, no gateway) stops them by its deadline, the majority runs alpha on node2 and beta on node3; never two holders, through the heal too', async () => {
    await bothOnNode1();
    const m = cl.mark();
    const sampler = new HolderSampler(cl.lab, VIPS);
    const t0 = Date.now();
    await partition(cl.lab, [['node2', 'node3'], ['node1']]);
    let dropMs = -1;
    try {
      await cl.waitFor('node1 to drop both VIPs', async () => {
        for (const vip of VIPS) if ((await cl.vipHolders(vip)).includes('node1')) return false;
        return true;
      }, 20_000, 20);
      dropMs = Date.now() - t0;
      await cl.waitPlacement({ alpha: 'node2', beta: 'node3' }, { viewers: ['node2', 'node3'], timeoutMs: 30_000 });
      await cl.waitVip(vipOf('alpha'), 'node2', 15_000, groupPort(GROUPS, 'alpha'));
      await cl.waitVip(vipOf('beta'), 'node3', 15_000, groupPort(GROUPS, 'beta'));
      // The side of one runs nothing, and says so itself.
      for (const g of GROUPS) expect((await cl.groupStates('node1', g.name)).node1).toBe('OFFLINE');
      expect(await cl.echoPids('node1')).toEqual([]);
      await sleep(3 * WITNESS_TTL);
      expect(await cl.echoPids('node1')).toEqual([]);
    } finally {
      await healPartition(cl.lab);
    }
    await cl.waitAllRunning(60_000);
    await sleep(3000);
    const s = await sampler.stop();
    const ev1 = cl.eventsSince('node1', m);
    console.log(`2|1 partition: node1 dropped both VIPs ${dropMs} ms after the cut (WitnessTTL ${WITNESS_TTL} ms); node1's rules: ${[...new Set(ev1.map((e) => e.rule))].join(', ')}; ${s.samples} holder samples (one per ${s.periodMs} ms), ${s.dual} with two holders; seen ${JSON.stringify(s.seenByAddr)}`);
    expect(s.dual).toBe(0);
    for (const vip of VIPS) for (const seen of s.seenByAddr[vip]!) expect(seen).not.toContain('+');
    // By its deadline: three quarters of WitnessTTL without renewal (plus the time to take the VIP down, generously).
    expect(dropMs).toBeLessThanOrEqual(WITNESS_TTL + 3000);
    // No failback after the heal: the majority's placement holds, seen by all three.
    await cl.waitPlacement({ alpha: 'node2', beta: 'node3' }, { timeoutMs: 15_000 });
    expect(cl.rulesSince('node1', m)).not.toContain('OWNERSHIP_TAKEN');
  }, 180_000);

  it('cold start with node3 powered off: node1 and node2 (a majority) start without it once the witness shows it gone, run both groups on node1; node3 joins later with nothing moving', async () => {
    await bothOnNode1();
    for (const n of cl.names) await cl.powerOff(n);
    await cl.powerOn('node1', false);
    await cl.powerOn('node2', false);
    const m = cl.mark();
    await Promise.all([cl.startEngine('node1', 'running', 60_000), cl.startEngine('node2', 'running', 60_000)]);
    const stateCode = (e: EventRecord): unknown => (e.rule === 'NODE_STATE' ? (e.facts as Record<string, unknown> | undefined)?.code : undefined);
    for (const n of ['node1', 'node2'] as const) {
      console.log(`cold start without node3, ${n}: ${cl.eventsSince(n, m).filter((e) => e.rule === 'NODE_STATE').map((e) => `${String(stateCode(e))} ${e.newState}: ${e.message}`).join(' | ')}`);
    }
    // Exactly one of the two built from its own main.json, saying why; node3 is not RUNNING anywhere.
    const built = (['node1', 'node2'] as const).filter((n) => cl.eventsSince(n, m).some((e) => stateCode(e) === 'MAJORITY_START'));
    expect(built).toEqual(['node1']);
    await cl.waitPlacement({ alpha: 'node1', beta: 'node1' }, { viewers: ['node1', 'node2'], nodes: ['node1', 'node2'], timeoutMs: 60_000 });
    for (const g of GROUPS) await cl.waitVip(g.vip, 'node1', 15_000, g.port);
    expect((await cl.nodeStates('node2')).node3).not.toBe('RUNNING');
    // node3 comes back: it takes the running cluster's configuration and nothing moves.
    const back = cl.mark();
    await cl.powerOn('node3', 'running');
    await cl.waitAllRunning(60_000);
    expect(cl.eventsSince('node3', back).filter((e) => stateCode(e) === 'MAJORITY_START')).toEqual([]);
    await cl.waitPlacement({ alpha: 'node1', beta: 'node1' }, { timeoutMs: 30_000 });
    expect(await cl.echoPids('node3')).toEqual([]);
  }, 240_000);

  it('a change made while node1 and node2 were down is in the journal: after node3 dies too, node1 and node2 start without it and catch up from etcd before running anything', async () => {
    await bothOnNode1();
    const before = cl.readConfig('node1').ConfigVersion;
    await cl.powerOff('node1');
    await cl.powerOff('node2');
    // node3 alone runs the groups once the others are judged FAULTED, and takes a change.
    await cl.waitPlacement({ alpha: 'node3', beta: 'node3' }, { viewers: ['node3'], nodes: ['node3'], timeoutMs: 60_000 });
    const changed = await cl.call<{ ConfigVersion: number }>('node3', 'grp.modify', { group: 'alpha', attributes: { AutoFaultClearTime: '4321' } });
    expect(changed.ConfigVersion).toBeGreaterThan(before);
    await cl.powerOff('node3');
    await cl.powerOn('node1', false);
    await cl.powerOn('node2', false);
    // Both main.json files are older than the journal.
    expect(cl.readConfig('node1').ConfigVersion).toBe(before);
    const m = cl.mark();
    await Promise.all([cl.startEngine('node1', 'running', 60_000), cl.startEngine('node2', 'running', 60_000)]);
    const ev = cl.eventsSince('node1', m);
    const caught = ev.find((e) => e.rule === 'CONFIG_CAUGHT_UP');
    const running = ev.find((e) => e.rule === 'NODE_STATE' && e.newState === 'RUNNING');
    console.log(`journal catch-up: ${caught?.message ?? 'none'}; RUNNING at ${running?.time}`);
    expect(caught).toBeDefined();
    expect(Date.parse(caught!.time)).toBeLessThanOrEqual(Date.parse(running!.time));
    for (const n of ['node1', 'node2'] as const) {
      const c = cl.readConfig(n);
      expect(c.ConfigVersion, `${n}'s main.json`).toBe(changed.ConfigVersion);
      expect(c.Groups.find((g) => g.GroupName === 'alpha')?.AutoFaultClearTime, `${n}'s main.json`).toBe(4321);
    }
    await cl.waitPlacement({ alpha: 'node1', beta: 'node1' }, { viewers: ['node1', 'node2'], nodes: ['node1', 'node2'], timeoutMs: 60_000 });
    await cl.powerOn('node3', 'running');
    await cl.waitAllRunning(60_000);
  }, 240_000);

  it('two operators on two nodes switch two groups at once to node3, which has room for one: one moves, the other is refused (no room); node3 never holds both', async () => {
    await bothOnNode1();
    await cl.call('node1', 'node.modify', { node: 'node3', attributes: { Capacity: '10' } });
    for (const g of GROUPS) await cl.call('node1', 'grp.modify', { group: g.name, attributes: { Load: '10' } });
    try {
      const sampler = new HolderSampler(cl.lab, VIPS);
      const answers = await Promise.all([
        cl.rpc('node1', 'grp.switch', { group: 'alpha', node: 'node3', wait: true, timeout: 60 }),
        cl.rpc('node2', 'grp.switch', { group: 'beta', node: 'node3', wait: true, timeout: 60 }),
      ]);
      await sleep(2000);
      const s = await sampler.stop();
      console.log(`two switches to node3 at once: ${answers.map((a) => (a.ok ? 'ok' : `${a.error.code}: ${a.error.message}`)).join(' | ')}; holders seen ${JSON.stringify(s.seenByAddr)}`);
      expect(answers.filter((a) => a.ok)).toHaveLength(1);
      const refused = answers.find((a) => !a.ok)!;
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.error.code).toBe('CONFLICT');
        expect(refused.error.message).toMatch(/node node3 has no room for group (alpha|beta): Load 10 \+ 10 in use \((alpha|beta) 10\) > Capacity 10/);
      }
      const moved = answers[0]!.ok ? 'alpha' : 'beta';
      const stayed = moved === 'alpha' ? 'beta' : 'alpha';
      await cl.waitPlacement({ [moved]: 'node3', [stayed]: 'node1' }, { timeoutMs: 30_000 });
      // node3 never ran both VIPs at once.
      expect(s.seenByAddr[vipOf(stayed)]?.some((x) => x.includes('node3'))).toBe(false);
      const node3 = (await cl.clusterStatus('node1')).nodes.find((n) => n.NodeName === 'node3')!;
      expect(node3.attributes).toMatchObject({ Capacity: 10, LoadInUse: 10, AvailableCapacity: 0 });
    } finally {
      for (const g of GROUPS) await cl.call('node1', 'grp.modify', { group: g.name, attributes: { Load: '0' } });
      await cl.call('node1', 'node.modify', { node: 'node3', attributes: { Capacity: '1000' } });
    }
  }, 180_000);
});
