// Placement with three nodes and more (issue 16): Load / Capacity, several
// groups placed by one plan, and heal among N holders. The golden scenarios
// tell the stories; these assert the rules on many cases at once.
import { describe, expect, it } from 'vitest';
import { capacityOf, loadOn } from '../../src/engine/policy/capacity.js';
import { healWinner } from '../../src/engine/policy/heal.js';
import { plan as planAt } from '../../src/engine/policy/plan.js';
import type { Observed, Plan, PolicyEvent } from '../../src/engine/policy/types.js';
import type { GroupConfig, MainConfig, NodeState, ResourceState } from '../../src/model/types.js';

const plan = (c: MainConfig, o: Observed, e: PolicyEvent): Plan => planAt(c, o, e, 0);

const names = (n: number) => Array.from({ length: n }, (_, i) => `node${i + 1}`);

function cluster(nodes: number, capacity: Record<string, number> = {}): MainConfig {
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'lab', WitnessType: 'etcd', WitnessEndpoints: 'http://10.213.0.250:2379' },
    Nodes: names(nodes).map((NodeName) => (capacity[NodeName] === undefined ? { NodeName } : { NodeName, Capacity: capacity[NodeName] })),
    Groups: [],
  };
}

function group(name: string, nodeList: string[], extra: Partial<GroupConfig> = {}): GroupConfig {
  return { GroupName: name, GroupType: 'FAILOVER', NodeList: nodeList, ...extra, Resources: [{ ResName: `${name}-app`, Type: 'Process', Critical: true }] };
}

/** Every node RUNNING unless told; `on` maps a group to the node it is ONLINE on. */
function observed(c: MainConfig, on: Record<string, string>, states: Record<string, NodeState> = {}, local = 'node1'): Observed {
  const nodes = Object.fromEntries(c.Nodes.map((n) => [n.NodeName, { state: states[n.NodeName] ?? ('RUNNING' as NodeState) }]));
  const resources = Object.fromEntries(c.Nodes.map((n) => [n.NodeName, Object.fromEntries(c.Groups.map((g) => [`${g.GroupName}-app`, { state: (on[g.GroupName] === n.NodeName ? 'ONLINE' : 'OFFLINE') as ResourceState }]))]));
  return { localNode: local, nodes, resources };
}

/** Load per node once the plan's online steps ran, from the groups online before and the steps. */
function loadAfter(c: MainConfig, on: Record<string, string>, p: Plan, dead?: string): Record<string, number> {
  const where = { ...on };
  for (const s of p.steps) if (s.op === 'online') where[s.group] = s.node;
  for (const f of p.followUps ?? []) if (f.event.kind === 'GroupSwitch') where[f.group] = f.event.node;
  const out: Record<string, number> = {};
  for (const [g, n] of Object.entries(where)) {
    if (n === dead) continue;
    out[n] = (out[n] ?? 0) + Number(c.Groups.find((x) => x.GroupName === g)?.Load ?? 0);
  }
  return out;
}

describe('Load and Capacity', () => {
  it('load in use: FAILOVER and SINGLE groups ONLINE, PARTIAL or STARTING on the node; PARALLEL and stopped ones not', () => {
    const c = cluster(2, { node1: 100 });
    c.Groups = [group('a', names(2), { Load: 10 }), group('b', names(2), { Load: 20, GroupType: 'SINGLE' }), group('p', names(2), { Load: 40, GroupType: 'PARALLEL' }), group('s', names(2), { Load: 80 }), group('o', names(2), { Load: 5 })];
    const o = observed(c, { a: 'node1', b: 'node1', p: 'node1', o: 'node2' });
    o.resources.node1!['s-app'] = { state: 'STARTING' };
    expect(loadOn(c, o, 'node1')).toEqual({ a: 10, b: 20, s: 80 });
    expect(loadOn(c, o, 'node1', 's')).toEqual({ a: 10, b: 20 });
    o.resources.node1!['s-app'] = { state: 'STOPPING' };
    expect(loadOn(c, o, 'node1')).toEqual({ a: 10, b: 20 });
    expect(capacityOf(c, 'node1')).toBe(100);
    expect(capacityOf(c, 'node2')).toBeUndefined();
  });

  it('a group of Load 0 fits on a node already over its Capacity; no Capacity = unlimited', () => {
    const c = cluster(3, { node2: 10 });
    c.Groups = [group('big', ['node3', 'node2'], { Load: 50 }), group('free', ['node1', 'node2']), group('any', ['node1', 'node3'], { Load: 1000 })];
    const o = observed(c, { big: 'node2', free: 'node1', any: 'node1' });
    expect(plan(c, o, { kind: 'GroupSwitch', group: 'free', node: 'node2' }).decision.code).toBe('GROUP_SWITCH');
    expect(plan(c, o, { kind: 'GroupSwitch', group: 'any', node: 'node3' }).decision.code).toBe('GROUP_SWITCH');
  });

  it('an operator online beyond Capacity is refused (CONFLICT, exit 5) unless --force; a switch too', () => {
    const c = cluster(3, { node2: 100 });
    c.Groups = [group('web', ['node1', 'node2', 'node3'], { Load: 60 }), group('db', ['node2', 'node1'], { Load: 50 })];
    const o = observed(c, { db: 'node2' });
    const refusedOnline = plan(c, o, { kind: 'GroupOnline', group: 'web', node: 'node2' });
    expect(refusedOnline.refused?.code).toBe('CONFLICT');
    expect(refusedOnline.decision.code).toBe('NO_CAPACITY');
    expect(refusedOnline.decision.message).toContain('Load 60 + 50 in use (db 50) > Capacity 100');
    expect(refusedOnline.decision.facts).toMatchObject({ group: 'web', node: 'node2', load: 60, used: 50, capacity: 100, holders: { db: 50 } });
    expect(plan(c, o, { kind: 'GroupOnline', group: 'web', node: 'node2', force: true }).decision.code).toBe('GROUP_ONLINE');
    expect(plan(c, o, { kind: 'ResourceOnline', resource: 'web-app', node: 'node2' }).decision.code).toBe('NO_CAPACITY');

    const moved = observed(c, { db: 'node2', web: 'node1' });
    expect(plan(c, moved, { kind: 'GroupSwitch', group: 'web', node: 'node2' }).refused?.code).toBe('CONFLICT');
    expect(plan(c, moved, { kind: 'GroupSwitch', group: 'web', node: 'node2', force: true }).decision.code).toBe('GROUP_SWITCH');
    expect(plan(c, moved, { kind: 'GroupSwitch', group: 'web', node: 'node3' }).decision.code).toBe('GROUP_SWITCH');
  });

  it('a group already active on the node is not asked for room again (completing a PARTIAL group)', () => {
    const c = cluster(2, { node1: 10 });
    c.Groups = [{ ...group('web', ['node1', 'node2'], { Load: 60 }), Resources: [{ ResName: 'web-app', Type: 'Process' }, { ResName: 'web-ip', Type: 'IP' }] }];
    const o: Observed = { localNode: 'node1', nodes: { node1: { state: 'RUNNING' }, node2: { state: 'RUNNING' } }, resources: { node1: { 'web-app': { state: 'ONLINE' }, 'web-ip': { state: 'OFFLINE' } }, node2: {} } };
    expect(plan(c, o, { kind: 'GroupOnline', group: 'web', node: 'node1' }).decision.code).toBe('GROUP_ONLINE');
  });

  it('a critical failure fails over to the first node with room, or stays offline with NO_CAPACITY', () => {
    const c = cluster(3, { node2: 100, node3: 100 });
    c.Groups = [group('web', ['node1', 'node2', 'node3'], { Load: 60 }), group('db', ['node2'], { Load: 50 }), group('erp', ['node3'], { Load: 30 })];
    const o = observed(c, { web: 'node1', db: 'node2', erp: 'node3' });
    const p = plan(c, o, { kind: 'ResourceFailed', resource: 'web-app', node: 'node1', reason: 'exited 1' });
    expect(p.failover).toEqual({ group: 'web', from: 'node1', to: 'node3' });
    c.Nodes[2]!.Capacity = 80;
    const stays = plan(c, o, { kind: 'ResourceFailed', resource: 'web-app', node: 'node1', reason: 'exited 1' });
    expect(stays.failover).toEqual({ group: 'web', from: 'node1', to: null });
    expect(stays.decision.facts.why).toBe('NO_CAPACITY');
    expect(stays.decision.message).toContain('node3: no room: Load 60 + 30 in use (erp 30) > Capacity 80');
  });

  it('one plan never puts more Load on a node than its Capacity (takeover of many groups, 5 nodes)', () => {
    // 8 groups of various Loads on node1, spread NodeLists; every node but node1 has a Capacity.
    const loads = [30, 50, 20, 70, 40, 60, 10, 90];
    const capacity = { node2: 100, node3: 80, node4: 120, node5: 60 };
    const c = cluster(5, capacity);
    const rotations = [names(5), ['node1', 'node3', 'node2', 'node5', 'node4'], ['node1', 'node4', 'node5', 'node2', 'node3'], ['node1', 'node5', 'node4', 'node3', 'node2']];
    c.Groups = loads.map((Load, i) => group(`g${i}`, rotations[i % rotations.length]!, { Load }));
    const on = Object.fromEntries(c.Groups.map((g) => [g.GroupName, 'node1']));
    const p = plan(c, observed(c, on, { node1: 'FAULTED' }, 'node2'), { kind: 'NodeFaulted', node: 'node1' });
    const after = loadAfter(c, on, p, 'node1');
    for (const [n, cap] of Object.entries(capacity)) expect(after[n] ?? 0, `${n} load`).toBeLessThanOrEqual(cap);
    // Each group that moved went to the first node of its own NodeList with room at its turn.
    const moved = (p.failovers ?? []).filter((f) => f.to !== null);
    const stayed = (p.failovers ?? []).filter((f) => f.to === null);
    expect(moved.length + stayed.length).toBe(loads.length);
    expect(new Set(moved.map((f) => f.to)).size).toBeGreaterThan(1);
    for (const f of stayed) expect((p.decision.facts.groups as Record<string, { code: string }>)[f.group]!.code).toBe('NO_CAPACITY');
  });

  it('the takeover plan is the same on every surviving node (any local node)', () => {
    const c = cluster(4, { node2: 100, node3: 100 });
    c.Groups = [group('a', names(4), { Load: 60 }), group('b', names(4), { Load: 60 }), group('c', ['node1', 'node4', 'node2'], { Load: 60 })];
    const on = { a: 'node1', b: 'node1', c: 'node1' };
    const plans = ['node2', 'node3', 'node4'].map((local) => plan(c, observed(c, on, { node1: 'FAULTED' }, local), { kind: 'NodeFaulted', node: 'node1' }));
    expect(plans[1]).toEqual(plans[0]);
    expect(plans[2]).toEqual(plans[0]);
    expect(plans[0]!.failovers).toEqual([
      { group: 'a', from: 'node1', to: 'node2' },
      { group: 'b', from: 'node1', to: 'node3' },
      { group: 'c', from: 'node1', to: 'node4' },
    ]);
  });

  it('evacuation: each move counts the moves decided before it; one group without room refuses all', () => {
    const c = cluster(3, { node2: 100, node3: 100 });
    c.Groups = [group('a', names(3), { Load: 60 }), group('b', names(3), { Load: 60 }), group('c', names(3), { Load: 30 })];
    const on = { a: 'node1', b: 'node1', c: 'node1' };
    const p = plan(c, observed(c, on), { kind: 'NodeEvacuate', node: 'node1' });
    expect((p.followUps ?? []).map((f) => `${f.group}@${f.event.node}`)).toEqual(['a@node2', 'b@node3', 'c@node2']);
    c.Groups.push(group('d', names(3), { Load: 50 }));
    const refused = plan(c, observed(c, { ...on, d: 'node1' }), { kind: 'NodeEvacuate', node: 'node1' });
    expect(refused.refused?.code).toBe('CONFLICT');
    expect(refused.decision.code).toBe('NO_CAPACITY');
    expect(refused.steps).toEqual([]);
    expect(refused.followUps).toBeUndefined();
  });
});

describe('heal with three nodes and more', () => {
  it('a node outside the NodeList never keeps the group, whatever its generation, on both sides', () => {
    const inList = { node: 'node1', generation: 1, rank: 0 };
    const outside = { node: 'node3', generation: 9, rank: 2, listed: false };
    expect(healWinner(inList, outside)).toMatchObject({ winner: 'node1', code: 'IN_NODELIST' });
    expect(healWinner(outside, inList)).toMatchObject({ winner: 'node1', code: 'IN_NODELIST' });
  });

  /** Every combination of holders and generations: each holder decides with what it sees; exactly one keeps the group. */
  it('exactly one holder keeps the group, for every set of holders and generations (3 to 5 nodes)', () => {
    for (const n of [3, 4, 5]) {
      const all = names(n);
      for (let mask = 3; mask < 1 << n; mask++) {
        const holders = all.filter((_, i) => mask & (1 << i));
        if (holders.length < 2) continue;
        for (let seed = 0; seed < 9; seed++) {
          const gen = Object.fromEntries(holders.map((h, i) => [h, ((seed * 7 + i * 3) % 4) + (i === seed % holders.length ? 1 : 0)]));
          const c = cluster(n);
          // Half the cases: the last node is outside the NodeList.
          const nodeList = seed % 2 === 0 ? all : all.slice(0, -1);
          c.Groups = [group('web', nodeList)];
          const keepers = holders.filter((here) => {
            const o = observed(c, {}, {}, here);
            for (const h of holders) o.resources[h]!['web-app'] = { state: 'ONLINE' };
            o.groups = { web: { generation: gen[here], peerGenerations: Object.fromEntries(holders.filter((h) => h !== here).map((h) => [h, gen[h]!])) } };
            const peer = holders.find((h) => h !== here)!;
            const p = plan(c, o, { kind: 'PeerStateReceived', node: here, peer });
            const code = (p.decision.facts.groups as Record<string, { code: string }>).web!.code;
            return code === 'HEAL_KEEP' || code === 'HEAL_STORAGE_RESTART';
          });
          const listed = holders.filter((h) => nodeList.includes(h));
          expect(keepers.length, `holders ${holders.join(',')} generations ${JSON.stringify(gen)}`).toBe(listed.length > 0 ? 1 : 0);
          if (listed.length > 0) expect(nodeList).toContain(keepers[0]);
        }
      }
    }
  });

  it('pairwise only (no third holder seen yet): the keepers of the pairs converge to one', () => {
    // node1 gen 2, node2 gen 3, node3 gen 4: node2 keeps against node1, then gives up to node3.
    const c = cluster(3);
    c.Groups = [group('web', names(3))];
    const gen: Record<string, number> = { node1: 2, node2: 3, node3: 4 };
    const decide = (here: string, peer: string) => {
      const o = observed(c, {}, {}, here);
      o.resources[here]!['web-app'] = { state: 'ONLINE' };
      o.resources[peer]!['web-app'] = { state: 'ONLINE' };
      o.groups = { web: { generation: gen[here], peerGenerations: { [peer]: gen[peer]! } } };
      return (plan(c, o, { kind: 'PeerStateReceived', node: here, peer }).decision.facts.groups as Record<string, { code: string }>).web!.code;
    };
    expect(decide('node2', 'node1')).toBe('HEAL_KEEP');
    expect(decide('node1', 'node2')).toBe('HEAL_GIVE_UP');
    expect(decide('node2', 'node3')).toBe('HEAL_GIVE_UP');
    expect(decide('node3', 'node2')).toBe('HEAL_KEEP');
    expect(decide('node3', 'node1')).toBe('HEAL_KEEP');
  });

  it('two nodes without per-peer generations: the single peerGeneration still decides', () => {
    const c = cluster(2);
    c.Cluster = { ClusterName: 'lab' };
    c.Groups = [group('web', names(2))];
    const o = observed(c, {}, {}, 'node1');
    o.resources.node1!['web-app'] = { state: 'ONLINE' };
    o.resources.node2!['web-app'] = { state: 'ONLINE' };
    o.groups = { web: { generation: 1, peerGeneration: 2 } };
    const p = plan(c, o, { kind: 'PeerStateReceived', node: 'node1', peer: 'node2' });
    expect((p.decision.facts.groups as Record<string, { code: string }>).web!.code).toBe('HEAL_GIVE_UP');
  });

  it('taking a group offline on a node outside its NodeList is allowed (an online there is INVALID)', () => {
    const c = cluster(3);
    c.Groups = [group('web', ['node1', 'node2'])];
    const o = observed(c, { web: 'node3' });
    expect(plan(c, o, { kind: 'GroupOffline', group: 'web', node: 'node3' }).decision.code).toBe('GROUP_OFFLINE');
    expect(plan(c, o, { kind: 'GroupOnline', group: 'web', node: 'node3' }).refused?.code).toBe('INVALID');
  });
});
