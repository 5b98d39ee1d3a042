// `mccs apply -f FILE`: what the policy does to running groups when a whole
// main.json replaces the current one (policy/apply.ts, pure).
import { afterAll, describe, expect, it } from 'vitest';
import { planApply, sameConfiguration, type ApplyPlan } from '../../src/engine/policy/apply.js';
import { APPLY_CODES } from '../../src/engine/policy/codes.js';
import type { Observed } from '../../src/engine/policy/types.js';
import type { GroupConfig, MainConfig, ResourceState } from '../../src/model/types.js';

const group = (GroupName: string, extra: Partial<GroupConfig> = {}): GroupConfig => ({
  GroupName,
  GroupType: 'FAILOVER',
  NodeList: ['node1', 'node2'],
  Resources: [
    { ResName: `${GroupName}-ip`, Type: 'Process' },
    { ResName: `${GroupName}-app`, Type: 'Process' },
  ],
  Dependencies: [{ Parent: `${GroupName}-app`, Child: `${GroupName}-ip` }],
  ...extra,
});

const config = (groups: GroupConfig[], ConfigVersion = 1): MainConfig => ({
  ConfigVersion,
  Cluster: { ClusterName: 'lab' },
  Nodes: [{ NodeName: 'node1' }, { NodeName: 'node2' }, { NodeName: 'node3' }],
  Types: {},
  Groups: groups,
});

/** Every resource of `groups` in `state` on `node`; other nodes see them OFFLINE. */
const observed = (groups: GroupConfig[], online: Record<string, string[]>, nodes: Record<string, string> = { node1: 'RUNNING', node2: 'RUNNING', node3: 'RUNNING' }): Observed => {
  const resources: Observed['resources'] = {};
  for (const n of Object.keys(nodes)) {
    resources[n] = {};
    for (const g of groups) {
      const state: ResourceState = (online[n] ?? []).includes(g.GroupName) ? 'ONLINE' : 'OFFLINE';
      for (const r of g.Resources) resources[n][r.ResName] = { state };
    }
  }
  return { localNode: 'node1', nodes: Object.fromEntries(Object.entries(nodes).map(([n, state]) => [n, { state: state as never }])), resources, groups: {} };
};

/** One line per action: when, op, group[/resource], node (from), code. */
const lines = (p: ApplyPlan): string[] => p.actions.map((a) => `${a.when} ${a.op} ${a.group}${a.resource ? `/${a.resource}` : ''} ${a.node}${a.from ? ` from ${a.from}` : ''} ${a.code}`);

const produced = new Set<string>();
const apply = (current: MainConfig, next: MainConfig, obs: Observed): string[] => {
  const p = planApply(current, next, obs);
  for (const a of p.actions) {
    produced.add(a.code);
    expect(a.message.length, `${a.code} has a sentence`).toBeGreaterThan(10);
  }
  return lines(p);
};

describe('planApply', () => {
  const web = group('web');
  const db = group('db');

  it('a group missing from the file is taken offline where it runs, before the change', () => {
    expect(apply(config([web, db]), config([db]), observed([web, db], { node1: ['web'], node2: ['db'] }))).toEqual(['before stop web node1 APPLY_GROUP_REMOVED']);
  });

  it('a resource missing from the file is taken offline where it is active, and only there', () => {
    const smaller = { ...web, Resources: [web.Resources[0]], Dependencies: [] };
    expect(apply(config([web]), config([smaller]), observed([web], { node2: ['web'] }))).toEqual(['before stop-resource web/web-app node2 APPLY_RESOURCE_REMOVED']);
  });

  it('a node leaving the NodeList of a failover group: the group switches to the next RUNNING node of it', () => {
    const moved = { ...web, NodeList: ['node2'] };
    expect(apply(config([web]), config([moved]), observed([web], { node1: ['web'] }))).toEqual(['before move web node2 from node1 APPLY_NODE_LEFT_NODELIST']);
  });

  it('a node leaving the NodeList with no RUNNING node left to take the group: taken offline there', () => {
    const moved = { ...web, NodeList: ['node2'] };
    expect(apply(config([web]), config([moved]), observed([web], { node1: ['web'] }, { node1: 'RUNNING', node2: 'FAULTED', node3: 'RUNNING' }))).toEqual(['before stop web node1 APPLY_NO_NODE_LEFT']);
  });

  it('a PARALLEL group leaving a node is stopped there, not moved', () => {
    const par = group('par', { GroupType: 'PARALLEL' });
    const smaller = { ...par, NodeList: ['node2'] };
    expect(apply(config([par]), config([smaller]), observed([par], { node1: ['par'], node2: ['par'] }))).toEqual(['before stop par node1 APPLY_NO_NODE_LEFT']);
  });

  it('a new AutoStart group starts after the change on the first RUNNING node of its NodeList, or its AutoStartNode', () => {
    const fresh = group('fresh', { NodeList: ['node2', 'node1'] });
    expect(apply(config([web]), config([web, fresh]), observed([web], {}))).toEqual(['after start fresh node2 APPLY_GROUP_ADDED']);
    expect(apply(config([web]), config([web, fresh]), observed([web], {}, { node1: 'RUNNING', node2: 'EXITED', node3: 'RUNNING' }))).toEqual(['after start fresh node1 APPLY_GROUP_ADDED']);
    expect(apply(config([web]), config([web, { ...fresh, AutoStartNode: 'node1' }]), observed([web], {}))).toEqual(['after start fresh node1 APPLY_GROUP_ADDED']);
  });

  it('a new PARALLEL group starts on every RUNNING node of its NodeList', () => {
    const par = group('par', { GroupType: 'PARALLEL', NodeList: ['node1', 'node2', 'node3'] });
    expect(apply(config([]), config([par]), observed([], {}, { node1: 'RUNNING', node2: 'RUNNING', node3: 'FAULTED' }))).toEqual(['after start par node1 APPLY_GROUP_ADDED', 'after start par node2 APPLY_GROUP_ADDED']);
  });

  it('Load and Capacity: moves and starts go to a node with room, each counting those decided before it', () => {
    const caps = (c: MainConfig): MainConfig => ({ ...c, Nodes: [{ NodeName: 'node1' }, { NodeName: 'node2', Capacity: 100 }, { NodeName: 'node3', Capacity: 100 }] });
    const a = group('a', { NodeList: ['node1', 'node2', 'node3'], Load: 60 });
    const b = group('b', { NodeList: ['node1', 'node2', 'node3'], Load: 60 });
    const left = (g: GroupConfig) => ({ ...g, NodeList: ['node2', 'node3'] });
    const obs = observed([a, b], { node1: ['a', 'b'] });
    expect(apply(caps(config([a, b])), caps(config([left(a), left(b)])), obs)).toEqual(['before move a node2 from node1 APPLY_NODE_LEFT_NODELIST', 'before move b node3 from node1 APPLY_NODE_LEFT_NODELIST']);
    const small = group('small', { NodeList: ['node2', 'node3'], Load: 30 });
    const big = group('big', { NodeList: ['node2', 'node3'], Load: 50 });
    expect(apply(caps(config([a, b])), caps(config([left(a), left(b), big, small])), obs)).toEqual(['before move a node2 from node1 APPLY_NODE_LEFT_NODELIST', 'before move b node3 from node1 APPLY_NODE_LEFT_NODELIST', 'after start small node2 APPLY_GROUP_ADDED']);
    const c = group('c', { NodeList: ['node1', 'node2', 'node3'], Load: 60 });
    expect(apply(caps(config([a, b, c])), caps(config([left(a), left(b), left(c)])), observed([a, b, c], { node1: ['a', 'b', 'c'] }))).toEqual(['before move a node2 from node1 APPLY_NODE_LEFT_NODELIST', 'before move b node3 from node1 APPLY_NODE_LEFT_NODELIST', 'before stop c node1 APPLY_NO_NODE_LEFT']);
  });

  it('a new group with AutoStart off, or disabled, is only added', () => {
    expect(apply(config([]), config([group('a', { AutoStart: false }), group('b', { Enabled: false })]), observed([], {}))).toEqual([]);
  });

  it('an offline group removed, or a node leaving the NodeList of a group not running there, needs no action', () => {
    expect(apply(config([web, db]), config([{ ...db, NodeList: ['node2'] }]), observed([web, db], {}))).toEqual([]);
  });

  it('the same file again is the same configuration, whatever its ConfigVersion; a changed attribute is not', () => {
    expect(sameConfiguration(config([web], 4), config([web], 9))).toBe(true);
    expect(sameConfiguration(config([web]), config([{ ...web, AutoStart: false }]))).toBe(false);
    expect(planApply(config([web], 4), config([web], 9), observed([web], { node1: ['web'] })).actions).toEqual([]);
  });

  afterAll(() => {
    // Every APPLY code of codes.ts is produced by a case above: a new code comes with its case.
    expect(APPLY_CODES.filter((c) => !produced.has(c))).toEqual([]);
  });
});
