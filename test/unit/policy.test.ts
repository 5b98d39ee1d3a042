// The policy's rules asserted directly on order properties, so that a
// regenerated golden file cannot hide a regression of the named cases.
import { describe, expect, it } from 'vitest';
import { plan as planAt } from '../../src/engine/policy/plan.js';
import { JOINING_WAIT_MS } from '../../src/engine/policy/autostart.js';
import { groupState } from '../../src/engine/policy/group-state.js';
import { STEP_CODES, PLAN_CODES, SKIP_CODES } from '../../src/engine/policy/codes.js';
import type { Observed, Plan, PlanStep, PolicyEvent } from '../../src/engine/policy/types.js';
import { groupAttribute, resolveCommonAttribute } from '../../src/model/resolve.js';
import type { Dependency, GroupConfig, MainConfig, ResourceConfig, ResourceState } from '../../src/model/types.js';

/** These rules use no clock: the policy's `now` is 0. */
const plan = (config: Parameters<typeof planAt>[0], observed: Parameters<typeof planAt>[1], event: Parameters<typeof planAt>[2]) => planAt(config, observed, event, 0);

// ---- builders -------------------------------------------------------------

const res = (ResName: string, extra: Partial<ResourceConfig> = {}): ResourceConfig => ({ ResName, Type: 'Process', ...extra });
const dep = (Parent: string, Child: string, extra: Partial<Dependency> = {}): Dependency => ({ Parent, Child, ...extra });
const grp = (GroupName: string, Resources: ResourceConfig[], Dependencies: Dependency[] = [], extra: Partial<GroupConfig> = {}): GroupConfig => ({
  GroupName,
  GroupType: 'FAILOVER',
  NodeList: ['node1', 'node2'],
  ...extra,
  Resources,
  Dependencies,
});
const config = (groups: GroupConfig[], nodes = ['node1', 'node2'], Types: MainConfig['Types'] = {}): MainConfig => ({
  ConfigVersion: 1,
  Cluster: { ClusterName: 'lab' },
  Nodes: nodes.map((NodeName) => ({ NodeName })),
  Types,
  Groups: groups,
});
type States = Record<string, Record<string, ResourceState | { state: ResourceState; restartCount?: number }>>;
const observed = (states: States, nodes: Record<string, 'RUNNING' | 'FAULTED' | 'EXITED' | 'INITING'> = { node1: 'RUNNING', node2: 'RUNNING' }, groups: Observed['groups'] = {}): Observed => ({
  localNode: 'node1',
  nodes: Object.fromEntries(Object.entries(nodes).map(([n, state]) => [n, { state }])),
  resources: Object.fromEntries(Object.entries(states).map(([n, rs]) => [n, Object.fromEntries(Object.entries(rs).map(([r, s]) => [r, typeof s === 'string' ? { state: s } : s]))])),
  groups,
});
const every = (names: string[], state: ResourceState): Record<string, ResourceState> => Object.fromEntries(names.map((n) => [n, state]));

// ---- plan readers ---------------------------------------------------------

const line = (s: PlanStep): string => `${s.op} ${s.resource}@${s.node}`;
const lines = (p: Plan): string[] => p.steps.map(line);
const step = (p: Plan, l: string): PlanStep => {
  const s = p.steps.find((x) => line(x) === l);
  if (!s) throw new Error(`no step '${l}' in:\n${lines(p).join('\n')}`);
  return s;
};
/** b runs only after a: a path of `after` edges leads from b back to a. */
const before = (p: Plan, a: string, b: string): boolean => {
  const target = step(p, a).id;
  const seen = new Set<number>();
  const todo = [...step(p, b).after];
  while (todo.length > 0) {
    const id = todo.pop() as number;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...p.steps[id].after);
  }
  return false;
};
const independent = (p: Plan, a: string, b: string): boolean => !before(p, a, b) && !before(p, b, a);

// ---- the trees ------------------------------------------------------

const R = ['r1', 'r2', 'r3', 'r4'];
// r1 → r2 (D1, online STRONG), r1 → r3 (D2, online WEAK), r2 → r4.
const onlineTree = grp('g', R.map((n) => res(n)), [dep('r1', 'r2', { OnlineDependency: 'STRONG' }), dep('r1', 'r3', { OnlineDependency: 'WEAK' }), dep('r2', 'r4')]);
// r2 → r4 (D1, offline STRONG), r3 → r4 (D2, offline WEAK), r1 → r2.
const offlineTree = grp('g', R.map((n) => res(n)), [dep('r2', 'r4', { OfflineDependency: 'STRONG' }), dep('r3', 'r4', { OfflineDependency: 'WEAK' }), dep('r1', 'r2')]);

// web: app → ip → nic (NIC, monitor-only), app → fs → disk.
const W = ['nic', 'ip', 'disk', 'fs', 'app'];
const web = (extra: Partial<GroupConfig> = {}, app: Partial<ResourceConfig> = {}): GroupConfig =>
  grp('web', [res('nic', { Type: 'NIC' }), res('ip', { Type: 'IP', Critical: true }), res('disk'), res('fs', { Critical: true }), res('app', { Critical: true, ...app })], [dep('ip', 'nic'), dep('fs', 'disk'), dep('app', 'ip'), dep('app', 'fs')], extra);
const webOnNode1 = (nodes?: Parameters<typeof observed>[1]) => observed({ node1: every(W, 'ONLINE'), node2: { ...every(W, 'OFFLINE'), nic: 'ONLINE' } }, nodes);

describe('online order', () => {
  it('online r1 starts r4, r2, r1 (STRONG children first) and leaves the WEAK child r3 alone', () => {
    const p = plan(config([onlineTree]), observed({ node1: every(R, 'OFFLINE') }), { kind: 'ResourceOnline', resource: 'r1', node: 'node1' });
    expect(lines(p)).toEqual(['online r4@node1', 'online r2@node1', 'online r1@node1']);
    expect(before(p, 'online r4@node1', 'online r2@node1')).toBe(true);
    expect(before(p, 'online r2@node1', 'online r1@node1')).toBe(true);
    expect(p.steps.map((s) => s.decision.code)).toEqual(['ONLINE_REQUESTED_CHILD', 'ONLINE_REQUESTED_CHILD', 'ONLINE_REQUESTED']);
    expect(p.decision.code).toBe('RESOURCE_ONLINE');
  });

  it('children already online are not started again', () => {
    const p = plan(config([onlineTree]), observed({ node1: { r1: 'OFFLINE', r2: 'ONLINE', r3: 'OFFLINE', r4: 'ONLINE' } }), { kind: 'ResourceOnline', resource: 'r1', node: 'node1' });
    expect(lines(p)).toEqual(['online r1@node1']);
  });

  it('online of an online resource: no steps, ALREADY_ONLINE', () => {
    const p = plan(config([onlineTree]), observed({ node1: every(R, 'ONLINE') }), { kind: 'ResourceOnline', resource: 'r1', node: 'node1' });
    expect(p.steps).toEqual([]);
    expect(p.refused).toBeUndefined();
    expect(p.decision.code).toBe('ALREADY_ONLINE');
  });

  it('a FAULTED STRONG child blocks the online until cleared', () => {
    const p = plan(config([onlineTree]), observed({ node1: { ...every(R, 'OFFLINE'), r4: 'FAULTED' } }), { kind: 'ResourceOnline', resource: 'r1', node: 'node1' });
    expect(p.refused?.code).toBe('CONFLICT');
    expect(p.decision.code).toBe('RESOURCE_FAULTED');
  });
});

describe('offline order', () => {
  it('offline r4 stops r1, r2, r4 (STRONG parents first) and leaves the WEAK parent r3 online', () => {
    const p = plan(config([offlineTree]), observed({ node1: every(R, 'ONLINE') }), { kind: 'ResourceOffline', resource: 'r4', node: 'node1' });
    expect(lines(p)).toEqual(['offline r1@node1', 'offline r2@node1', 'offline r4@node1']);
    expect(before(p, 'offline r1@node1', 'offline r2@node1')).toBe(true);
    expect(before(p, 'offline r2@node1', 'offline r4@node1')).toBe(true);
    expect(p.decision.facts.stayOnline).toEqual(['r3']);
  });

  it('offline of an offline resource: no steps', () => {
    const p = plan(config([offlineTree]), observed({ node1: every(R, 'OFFLINE') }), { kind: 'ResourceOffline', resource: 'r4', node: 'node1' });
    expect(p.steps).toEqual([]);
    expect(p.decision.code).toBe('ALREADY_OFFLINE');
  });
});

describe('group online / offline', () => {
  it('follows the whole tree bottom-up; independent branches have no edge between them', () => {
    const p = plan(config([web()]), observed({ node1: { ...every(W, 'OFFLINE'), nic: 'ONLINE' } }), { kind: 'GroupOnline', group: 'web', node: 'node1' });
    expect(lines(p).sort()).toEqual(['online app@node1', 'online disk@node1', 'online fs@node1', 'online ip@node1']);
    expect(independent(p, 'online ip@node1', 'online disk@node1')).toBe(true);
    expect(independent(p, 'online ip@node1', 'online fs@node1')).toBe(true);
    expect(before(p, 'online disk@node1', 'online fs@node1')).toBe(true);
    expect(before(p, 'online ip@node1', 'online app@node1')).toBe(true);
    expect(before(p, 'online fs@node1', 'online app@node1')).toBe(true);
  });

  it('group online follows WEAK links too', () => {
    const p = plan(config([onlineTree]), observed({ node1: every(R, 'OFFLINE') }), { kind: 'GroupOnline', group: 'g', node: 'node1' });
    expect(lines(p)).toHaveLength(4);
    expect(before(p, 'online r3@node1', 'online r1@node1')).toBe(true);
  });

  it('group offline follows the whole tree top-down, WEAK links included', () => {
    const p = plan(config([offlineTree]), observed({ node1: every(R, 'ONLINE') }), { kind: 'GroupOffline', group: 'g', node: 'node1' });
    expect(lines(p)).toHaveLength(4);
    expect(before(p, 'offline r3@node1', 'offline r4@node1')).toBe(true);
    expect(before(p, 'offline r1@node1', 'offline r2@node1')).toBe(true);
    expect(independent(p, 'offline r1@node1', 'offline r3@node1')).toBe(true);
  });

  it('disabled and monitor-only resources get no step but still order their parents', () => {
    const g = grp('g', [res('vol'), res('agent', { NoAction: true }), res('cache', { Enabled: false }), res('srv')], [dep('agent', 'vol'), dep('cache', 'agent'), dep('srv', 'cache')]);
    const p = plan(config([g]), observed({ node1: every(['vol', 'agent', 'cache', 'srv'], 'OFFLINE') }), { kind: 'GroupOnline', group: 'g', node: 'node1' });
    expect(lines(p)).toEqual(['online vol@node1', 'online srv@node1']);
    expect(before(p, 'online vol@node1', 'online srv@node1')).toBe(true);
  });

  it('a failover group online on node1 cannot be brought online on node2', () => {
    const p = plan(config([web()]), webOnNode1(), { kind: 'GroupOnline', group: 'web', node: 'node2' });
    expect(p.refused?.code).toBe('CONFLICT');
    expect(p.refused?.message).toMatch(/online on node1; use switch/);
    expect(p.steps).toEqual([]);
  });

  it('force: an EXITED peer no longer counts (the operator vouches it runs nothing)', () => {
    const p = plan(config([web()]), webOnNode1({ node1: 'EXITED', node2: 'RUNNING' }), { kind: 'GroupOnline', group: 'web', node: 'node2' });
    expect(p.refused?.code).toBe('CONFLICT');
    const forced = plan(config([web()]), webOnNode1({ node1: 'EXITED', node2: 'RUNNING' }), { kind: 'GroupOnline', group: 'web', node: 'node2', force: true });
    expect(forced.refused).toBeUndefined();
    expect(forced.steps.length).toBe(4);
  });

  it('a FAULTED node does not hold the group', () => {
    const p = plan(config([web()]), webOnNode1({ node1: 'FAULTED', node2: 'RUNNING' }), { kind: 'GroupOnline', group: 'web', node: 'node2' });
    expect(p.refused).toBeUndefined();
  });
});

describe('resource failure', () => {
  it('critical, final: parents offline first, then its clean, then the rest top-down; fault; failover online after every offline', () => {
    const p = plan(config([web()]), webOnNode1(), { kind: 'ResourceFailed', resource: 'fs', node: 'node1', reason: 'unmounted' });
    expect(p.failover).toEqual({ group: 'web', from: 'node1', to: 'node2' });
    expect(before(p, 'offline app@node1', 'clean fs@node1')).toBe(true);
    expect(before(p, 'clean fs@node1', 'fault fs@node1')).toBe(true);
    expect(before(p, 'clean fs@node1', 'offline ip@node1')).toBe(true);
    expect(before(p, 'clean fs@node1', 'offline disk@node1')).toBe(true);
    const offline = p.steps.filter((s) => s.node === 'node1').map(line);
    const online = p.steps.filter((s) => s.node === 'node2').map(line);
    expect(online.sort()).toEqual(['online app@node2', 'online disk@node2', 'online fs@node2', 'online ip@node2']);
    for (const a of offline) for (const b of online) expect(before(p, a, b), `${a} before ${b}`).toBe(true);
    expect(p.steps.some((s) => s.node === 'node1' && s.op === 'online')).toBe(false);
  });

  it('critical, final, no other node: stays offline, FAULTED, to null', () => {
    const p = plan(config([web({ NodeList: ['node1'] })], ['node1']), observed({ node1: every(W, 'ONLINE') }, { node1: 'RUNNING' }), { kind: 'ResourceFailed', resource: 'app', node: 'node1', reason: 'exit 1' });
    expect(p.failover).toEqual({ group: 'web', from: 'node1', to: null });
    expect(p.steps.filter((s) => s.op === 'online')).toEqual([]);
    expect(lines(p)).toContain('fault app@node1');
    expect(lines(p).filter((l) => l.startsWith('offline')).sort()).toEqual(['offline disk@node1', 'offline fs@node1', 'offline ip@node1']);
  });

  it('critical, final, peer FAULTED, AutoFailover off or SINGLE group: to null', () => {
    const ev: PolicyEvent = { kind: 'ResourceFailed', resource: 'app', node: 'node1', reason: 'exit 1' };
    expect(plan(config([web()]), webOnNode1({ node1: 'RUNNING', node2: 'FAULTED' }), ev).failover?.to).toBeNull();
    expect(plan(config([web({ AutoFailover: false })]), webOnNode1(), ev).decision.facts.why).toBe('AUTO_FAILOVER_OFF');
    expect(plan(config([web({ GroupType: 'SINGLE' })]), webOnNode1(), ev).decision.facts.why).toBe('GROUP_TYPE_SINGLE');
  });

  it('the failover target is the highest-priority RUNNING node without a fault of the group', () => {
    const g = web({ NodeList: ['node1', 'node2', 'node3'] });
    const obs = observed({ node1: every(W, 'ONLINE'), node2: { ...every(W, 'OFFLINE'), disk: 'FAULTED' }, node3: every(W, 'OFFLINE') }, { node1: 'RUNNING', node2: 'RUNNING', node3: 'RUNNING' });
    const p = plan(config([g], ['node1', 'node2', 'node3']), obs, { kind: 'ResourceFailed', resource: 'app', node: 'node1', reason: 'exit 1' });
    expect(p.failover?.to).toBe('node3');
    expect(p.decision.facts.considered).toEqual({ node2: 'FAULTED: disk', node3: 'ok' });
  });

  it('non-critical, final: only the STRONG parents go offline; the rest stays; no failover even if parents are critical', () => {
    const g = grp('shop', [res('vol', { Critical: true }), res('cache'), res('api', { Critical: true }), res('stats', { Critical: true }), res('front', { Critical: true })], [dep('cache', 'vol'), dep('api', 'cache'), dep('stats', 'cache', { OfflineDependency: 'WEAK' }), dep('front', 'api')]);
    const names = ['vol', 'cache', 'api', 'stats', 'front'];
    const p = plan(config([g]), observed({ node1: every(names, 'ONLINE'), node2: every(names, 'OFFLINE') }), { kind: 'ResourceFailed', resource: 'cache', node: 'node1', reason: 'killed' });
    expect(lines(p)).toEqual(['offline front@node1', 'offline api@node1', 'clean cache@node1', 'fault cache@node1']);
    expect(before(p, 'offline api@node1', 'clean cache@node1')).toBe(true);
    expect(p.failover).toBeUndefined();
    expect(p.decision.code).toBe('FINAL_FAILURE_NONCRITICAL');
  });

  const chain = (limit: number) =>
    grp('db', [res('vol', { Critical: true }), res('pg', { Critical: true, RestartLimit: limit }), res('api', { Critical: true }), res('report')], [dep('pg', 'vol'), dep('api', 'pg'), dep('report', 'pg', { OfflineDependency: 'WEAK' })]);
  const D = ['vol', 'pg', 'api', 'report'];
  const failed = (count: number): Observed => observed({ node1: { ...every(D, 'ONLINE'), pg: { state: 'ONLINE', restartCount: count } }, node2: every(D, 'OFFLINE') });
  const pgFailed: PolicyEvent = { kind: 'ResourceFailed', resource: 'pg', node: 'node1', reason: 'postmaster gone' };

  it('RestartLimit=1, first failure: STRONG parents offline, clean, count, restart, parents back', () => {
    const p = plan(config([chain(1)]), failed(0), pgFailed);
    expect(lines(p)).toEqual(['offline api@node1', 'clean pg@node1', 'count-restart pg@node1', 'online pg@node1', 'online api@node1']);
    for (let i = 1; i < p.steps.length; i++) expect(before(p, line(p.steps[i - 1]), line(p.steps[i]))).toBe(true);
    expect(p.decision.code).toBe('RESTART_IN_PLACE');
    expect(p.failover).toBeUndefined();
  });

  it('RestartLimit=1, second failure: final, the group fails over', () => {
    const p = plan(config([chain(1)]), failed(1), pgFailed);
    expect(p.decision.code).toBe('FAILOVER');
    expect(p.failover).toEqual({ group: 'db', from: 'node1', to: 'node2' });
    expect(lines(p)).not.toContain('count-restart pg@node1');
    expect(before(p, 'offline api@node1', 'clean pg@node1')).toBe(true);
    expect(before(p, 'offline report@node1', 'clean pg@node1')).toBe(true);
    expect(before(p, 'clean pg@node1', 'offline vol@node1')).toBe(true);
    expect(before(p, 'offline vol@node1', 'online vol@node2')).toBe(true);
  });

  it('a monitor-only resource is never restarted nor cleaned', () => {
    const p = plan(config([web({}, {})].map((g) => ({ ...g, Resources: g.Resources.map((r) => (r.ResName === 'nic' ? { ...r, Critical: true, RestartLimit: 2 } : r)) }))), webOnNode1(), { kind: 'ResourceFailed', resource: 'nic', node: 'node1', reason: 'link down' });
    expect(lines(p)).not.toContain('clean nic@node1');
    expect(lines(p)).toContain('fault nic@node1');
    expect(before(p, 'offline ip@node1', 'fault nic@node1')).toBe(true);
    expect(p.failover?.to).toBe('node2');
  });

  it('a second report of an already FAULTED resource does nothing', () => {
    const p = plan(config([web()]), observed({ node1: { ...every(W, 'OFFLINE'), app: 'FAULTED' } }), { kind: 'ResourceFailed', resource: 'app', node: 'node1', reason: 'exit 1' });
    expect(p.steps).toEqual([]);
    expect(p.decision.code).toBe('ALREADY_FAULTED');
  });
});

describe('parallel groups', () => {
  const mon = grp('mon', [res('agent', { Critical: true }), res('exporter')], [dep('exporter', 'agent')], { GroupType: 'PARALLEL' });
  const both = observed({ node1: every(['agent', 'exporter'], 'ONLINE'), node2: every(['agent', 'exporter'], 'ONLINE') });

  it('never fail over: a critical failure leaves the group offline on that node only', () => {
    const p = plan(config([mon]), both, { kind: 'ResourceFailed', resource: 'agent', node: 'node2', reason: 'exit 2' });
    expect(p.failover).toBeUndefined();
    expect(p.steps.every((s) => s.node === 'node2')).toBe(true);
    expect(lines(p)).toEqual(['offline exporter@node2', 'clean agent@node2', 'fault agent@node2']);
  });

  it('refuse switch', () => {
    const p = plan(config([mon]), both, { kind: 'GroupSwitch', group: 'mon', node: 'node1' });
    expect(p.refused?.code).toBe('CONFLICT');
    expect(p.decision.code).toBe('PARALLEL_NO_SWITCH');
  });

  it('may be brought online on a second node', () => {
    const p = plan(config([mon]), observed({ node1: every(['agent', 'exporter'], 'ONLINE'), node2: every(['agent', 'exporter'], 'OFFLINE') }), { kind: 'GroupOnline', group: 'mon', node: 'node2' });
    expect(lines(p)).toEqual(['online agent@node2', 'online exporter@node2']);
  });
});

describe('switch', () => {
  it('offline top-down on the current node, then online bottom-up on the target', () => {
    const p = plan(config([web()]), webOnNode1(), { kind: 'GroupSwitch', group: 'web', node: 'node2' });
    const offline = p.steps.filter((s) => s.op === 'offline').map(line);
    const online = p.steps.filter((s) => s.op === 'online').map(line);
    expect(offline.every((l) => l.endsWith('@node1'))).toBe(true);
    expect(online.every((l) => l.endsWith('@node2'))).toBe(true);
    for (const a of offline) for (const b of online) expect(before(p, a, b)).toBe(true);
    expect(before(p, 'offline app@node1', 'offline fs@node1')).toBe(true);
    expect(before(p, 'online fs@node2', 'online app@node2')).toBe(true);
    expect(p.failover).toBeUndefined();
  });

  it('to where it already runs: no steps, ALREADY_THERE', () => {
    const p = plan(config([web()]), webOnNode1(), { kind: 'GroupSwitch', group: 'web', node: 'node1' });
    expect(p.steps).toEqual([]);
    expect(p.refused).toBeUndefined();
    expect(p.decision.code).toBe('ALREADY_THERE');
  });

  it('of a group online nowhere is refused', () => {
    const p = plan(config([web()]), observed({ node1: every(W, 'OFFLINE'), node2: every(W, 'OFFLINE') }), { kind: 'GroupSwitch', group: 'web', node: 'node2' });
    expect(p.decision.code).toBe('NOT_ONLINE');
    expect(p.refused?.code).toBe('CONFLICT');
  });
});

describe('node fault', () => {
  it('failover groups active on the dead node come online elsewhere, with no step on the dead node', () => {
    const mon = grp('mon', [res('agent')], [], { GroupType: 'PARALLEL' });
    const obs = observed({ node1: { ...every(W, 'OFFLINE'), agent: 'ONLINE' }, node2: { ...every(W, 'ONLINE'), agent: 'ONLINE' } }, { node1: 'RUNNING', node2: 'FAULTED' });
    const p = plan(config([web(), mon]), obs, { kind: 'NodeFaulted', node: 'node2' });
    expect(p.steps.every((s) => s.node === 'node1' && s.op === 'online' && s.group === 'web')).toBe(true);
    expect(p.steps).toHaveLength(4);
    expect(p.failovers).toEqual([{ group: 'web', from: 'node2', to: 'node1' }]);
    expect(p.decision.code).toBe('NODE_FAULT_TAKEOVER');
  });

  it('groups that were offline on the dead node are not touched', () => {
    const obs = observed({ node1: every(W, 'ONLINE'), node2: every(W, 'OFFLINE') }, { node1: 'RUNNING', node2: 'FAULTED' });
    const p = plan(config([web()]), obs, { kind: 'NodeFaulted', node: 'node2' });
    expect(p.steps).toEqual([]);
    expect(p.decision.code).toBe('NOTHING_TO_DO');
  });
});

describe('AutoStart (ProbeComplete)', () => {
  const off = (nodes: Parameters<typeof observed>[1] = { node1: 'RUNNING', node2: 'RUNNING' }) => observed({ node1: every(W, 'OFFLINE'), node2: every(W, 'OFFLINE') }, nodes);

  it('a failover group starts on the highest-priority RUNNING node only', () => {
    expect(plan(config([web()]), off(), { kind: 'ProbeComplete', node: 'node1' }).steps).toHaveLength(4);
    const p = plan(config([web()]), off(), { kind: 'ProbeComplete', node: 'node2' });
    expect(p.steps).toEqual([]);
    expect((p.decision.facts.groups as Record<string, { code: string }>).web.code).toBe('AUTOSTART_OTHER_NODE');
  });

  it('the second node starts it when the first is not RUNNING yet', () => {
    expect(plan(config([web()]), off({ node1: 'INITING', node2: 'RUNNING' }), { kind: 'ProbeComplete', node: 'node2' }).steps).toHaveLength(4);
  });

  it('a node earlier in the NodeList that is joining (INITING, REMOTE_BUILD) is waited for, at most JOINING_WAIT_MS after it entered that state', () => {
    const joining = (state: 'INITING' | 'REMOTE_BUILD', since: number): Observed => {
      const o = off({ node1: state, node2: 'RUNNING' });
      o.nodes.node1 = { state, since };
      return o;
    };
    for (const state of ['INITING', 'REMOTE_BUILD'] as const) {
      const p = planAt(config([web()]), joining(state, 1000), { kind: 'ProbeComplete', node: 'node2' }, 1500);
      expect(p.steps).toEqual([]);
      const d = (p.decision.facts.groups as Record<string, { code: string; facts: { joining: { node: string }[]; recheckInMs: number } }>).web;
      expect(d.code).toBe('AUTOSTART_WAIT_JOINING');
      expect(d.facts.joining.map((j) => j.node)).toEqual(['node1']);
      expect(d.facts.recheckInMs).toBe(JOINING_WAIT_MS - 500);
      // The wait has run out: node2 starts it.
      expect(planAt(config([web()]), joining(state, 1000), { kind: 'ProbeComplete', node: 'node2' }, 1000 + JOINING_WAIT_MS).steps).toHaveLength(4);
    }
    // An EXITED or FAULTED node earlier in the list is not waited for; nor is a joining node with an AutoStartNode set elsewhere.
    expect(planAt(config([web()]), off({ node1: 'EXITED', node2: 'RUNNING' }), { kind: 'ProbeComplete', node: 'node2' }, 1500).steps).toHaveLength(4);
    expect(planAt(config([web({ AutoStartNode: 'node2' })]), joining('INITING', 1000), { kind: 'ProbeComplete', node: 'node2' }, 1500).steps).toHaveLength(4);
    // A joining node later in the list does not hold the first one back.
    const later = off({ node1: 'RUNNING', node2: 'INITING' });
    later.nodes.node2 = { state: 'INITING', since: 1000 };
    expect(planAt(config([web()]), later, { kind: 'ProbeComplete', node: 'node1' }, 1500).steps).toHaveLength(4);
  });

  it('ProbeComplete with groups: AutoStart of those groups only', () => {
    const two = config([web(), grp('db', [res('dbp')])]);
    const obs = observed({ node1: { ...every(W, 'OFFLINE'), dbp: 'OFFLINE' }, node2: { ...every(W, 'OFFLINE'), dbp: 'OFFLINE' } });
    expect(Object.keys(plan(two, obs, { kind: 'ProbeComplete', node: 'node1' }).decision.facts.groups as object).sort()).toEqual(['db', 'web']);
    const p = plan(two, obs, { kind: 'ProbeComplete', node: 'node1', groups: ['db'] });
    expect(Object.keys(p.decision.facts.groups as object)).toEqual(['db']);
    expect(lines(p)).toEqual(['online dbp@node1']);
  });

  it('AutoStartNode wins over priority', () => {
    expect(plan(config([web({ AutoStartNode: 'node2' })]), off(), { kind: 'ProbeComplete', node: 'node1' }).steps).toEqual([]);
    expect(plan(config([web({ AutoStartNode: 'node2' })]), off(), { kind: 'ProbeComplete', node: 'node2' }).steps).toHaveLength(4);
  });

  it('nothing when the group runs elsewhere, AutoStart is off, or a resource is FAULTED here', () => {
    expect(plan(config([web()]), webOnNode1(), { kind: 'ProbeComplete', node: 'node2' }).steps).toEqual([]);
    expect(plan(config([web({ AutoStart: false })]), off(), { kind: 'ProbeComplete', node: 'node1' }).steps).toEqual([]);
    const faulted = observed({ node1: { ...every(W, 'OFFLINE'), fs: 'FAULTED' }, node2: every(W, 'OFFLINE') });
    expect(plan(config([web()]), faulted, { kind: 'ProbeComplete', node: 'node1' }).steps).toEqual([]);
  });

  it('a parallel group starts on every node of its NodeList', () => {
    const mon = grp('mon', [res('agent')], [], { GroupType: 'PARALLEL' });
    const obs = observed({ node1: { agent: 'ONLINE' }, node2: { agent: 'OFFLINE' } });
    expect(lines(plan(config([mon]), obs, { kind: 'ProbeComplete', node: 'node2' }))).toEqual(['online agent@node2']);
  });
});

describe('clear', () => {
  it('clears FAULTED resources without agent calls; nothing when not faulted', () => {
    const obs = observed({ node1: { ...every(W, 'OFFLINE'), fs: 'FAULTED', app: 'FAULTED' } });
    expect(lines(plan(config([web()]), obs, { kind: 'GroupClear', group: 'web', node: 'node1' }))).toEqual(['clear fs@node1', 'clear app@node1']);
    expect(lines(plan(config([web()]), obs, { kind: 'ResourceClear', resource: 'fs', node: 'node1' }))).toEqual(['clear fs@node1']);
    const p = plan(config([web()]), obs, { kind: 'ResourceClear', resource: 'ip', node: 'node1' });
    expect(p.steps).toEqual([]);
    expect(p.decision.code).toBe('NOT_FAULTED');
  });
});

describe('the gate', () => {
  const events: PolicyEvent[] = [
    { kind: 'ResourceOnline', resource: 'app', node: 'node1' },
    { kind: 'ResourceOffline', resource: 'app', node: 'node1' },
    { kind: 'GroupOnline', group: 'web', node: 'node1' },
    { kind: 'GroupOffline', group: 'web', node: 'node1' },
    { kind: 'GroupSwitch', group: 'web', node: 'node2' },
    { kind: 'ResourceFailed', resource: 'app', node: 'node1', reason: 'exit 1' },
    { kind: 'NodeFaulted', node: 'node2' },
    { kind: 'ProbeComplete', node: 'node2' },
  ];
  const partly = observed({ node1: { ...every(W, 'ONLINE'), app: 'OFFLINE' }, node2: { ...every(W, 'ONLINE'), app: 'OFFLINE' } });

  it('a frozen group is never acted on: every event gives no steps; operator requests are refused', () => {
    for (const event of events) {
      const p = plan(config([web({ Frozen: true })]), partly, event);
      expect(p.steps, event.kind).toEqual([]);
      const operator = ['ResourceOnline', 'ResourceOffline', 'GroupOnline', 'GroupOffline', 'GroupSwitch'].includes(event.kind);
      if (operator) expect(p.refused?.code, event.kind).toBe('CONFLICT');
      else expect(p.refused, event.kind).toBeUndefined();
      const codes = [p.decision.code, ...Object.values((p.decision.facts.groups ?? {}) as Record<string, { code: string }>).map((g) => g.code)];
      expect(codes, event.kind).toContain('FROZEN');
    }
  });

  it('Locked or tempLocked refuses operator online/offline/switch but not a restart', () => {
    const cases: [GroupConfig, Observed['groups']][] = [[web({ Locked: true }), {}], [web(), { web: { tempLocked: true } }]];
    for (const [cfg, runtime] of cases) {
      const obs = { ...webOnNode1(), groups: runtime };
      for (const event of events.slice(0, 5)) {
        const p = plan(config([cfg]), obs, event);
        expect(p.refused?.code, event.kind).toBe('CONFLICT');
        expect(p.decision.code).toBe('LOCKED');
      }
    }
    const locked = config([web({ Locked: true }, { RestartLimit: 1 })]);
    expect(plan(locked, webOnNode1(), events[5]).decision.code).toBe('RESTART_IN_PLACE');
  });

  it('a disabled group refuses online but may be taken offline', () => {
    const cfg = config([web({ Enabled: false })]);
    expect(plan(cfg, webOnNode1(), { kind: 'GroupOnline', group: 'web', node: 'node1' }).refused?.code).toBe('CONFLICT');
    expect(plan(cfg, webOnNode1(), { kind: 'GroupOffline', group: 'web', node: 'node1' }).steps.length).toBe(4);
  });
});

describe('bad subjects', () => {
  it('unknown group, resource or node: NOT_FOUND', () => {
    const cfg = config([web()]);
    const obs = webOnNode1();
    expect(plan(cfg, obs, { kind: 'GroupOnline', group: 'nope', node: 'node1' }).refused?.code).toBe('NOT_FOUND');
    expect(plan(cfg, obs, { kind: 'ResourceOffline', resource: 'nope', node: 'node1' }).refused?.code).toBe('NOT_FOUND');
    expect(plan(cfg, obs, { kind: 'GroupOnline', group: 'web', node: 'node9' }).refused?.code).toBe('NOT_FOUND');
    expect(plan(cfg, obs, { kind: 'NodeFaulted', node: 'node9' }).refused?.code).toBe('NOT_FOUND');
  });

  it('a node outside the NodeList: INVALID', () => {
    const p = plan(config([web({ NodeList: ['node1'] })]), webOnNode1(), { kind: 'GroupOnline', group: 'web', node: 'node2' });
    expect(p.refused?.code).toBe('INVALID');
    expect(p.decision.code).toBe('NOT_IN_NODELIST');
  });

  it('a node that is not RUNNING cannot start or stop anything', () => {
    const p = plan(config([web()]), observed({ node1: every(W, 'OFFLINE') }, { node1: 'RUNNING', node2: 'EXITED' }), { kind: 'GroupOnline', group: 'web', node: 'node2' });
    expect(p.refused?.code).toBe('CONFLICT');
    expect(p.decision.code).toBe('NODE_NOT_RUNNING');
  });
});

describe('decisions', () => {
  it('every code used is declared', () => {
    const declared = new Set<string>([...STEP_CODES, ...PLAN_CODES, ...SKIP_CODES]);
    const p = plan(config([web()]), webOnNode1(), { kind: 'ResourceFailed', resource: 'fs', node: 'node1', reason: 'x' });
    for (const s of p.steps) expect(declared.has(s.decision.code), s.decision.code).toBe(true);
    expect(declared.has(p.decision.code)).toBe(true);
  });
});

describe('group state', () => {
  const g = web();
  const cfg = config([g]);
  const on = (states: Record<string, ResourceState>) => groupState(cfg, g, observed({ node1: states }), 'node1');

  it('derives ONLINE / PARTIAL / OFFLINE / FAULTED / STARTING / STOPPING', () => {
    expect(on(every(W, 'ONLINE'))).toBe('ONLINE');
    expect(on({ ...every(W, 'ONLINE'), app: 'OFFLINE' })).toBe('PARTIAL');
    expect(on(every(W, 'OFFLINE'))).toBe('OFFLINE');
    expect(on({})).toBe('OFFLINE');
    expect(on({ ...every(W, 'OFFLINE'), fs: 'FAULTED' })).toBe('FAULTED');
    expect(on({ ...every(W, 'ONLINE'), fs: 'FAULTED' })).toBe('PARTIAL');
    expect(on({ ...every(W, 'OFFLINE'), ip: 'STARTING' })).toBe('STARTING');
    expect(on({ ...every(W, 'ONLINE'), ip: 'STOPPING' })).toBe('STOPPING');
  });

  it('monitor-only resources do not make a group PARTIAL', () => {
    expect(on({ ...every(W, 'ONLINE'), nic: 'OFFLINE' })).toBe('ONLINE');
    expect(on({ ...every(W, 'OFFLINE'), nic: 'ONLINE' })).toBe('OFFLINE');
  });
});

describe('attribute resolution', () => {
  it('resource value, else Types, else the declared default', () => {
    const cfg = config([], ['node1'], { Process: { RestartLimit: 3, Critical: true } });
    expect(resolveCommonAttribute(cfg, res('a', { RestartLimit: 1 }), 'RestartLimit')).toBe(1);
    expect(resolveCommonAttribute(cfg, res('a'), 'RestartLimit')).toBe(3);
    expect(resolveCommonAttribute(cfg, res('a', { Type: 'IP' }), 'RestartLimit')).toBe(0);
    expect(resolveCommonAttribute(cfg, res('a', { Type: 'IP' }), 'Enabled')).toBe(true);
    expect(resolveCommonAttribute(cfg, res('a'), 'Critical')).toBe(true);
    expect(groupAttribute(web(), 'AutoFailover')).toBe(true);
    expect(groupAttribute(web({ AutoFailover: false }), 'AutoFailover')).toBe(false);
  });

  it('RestartLimit from Types drives the restart in place', () => {
    const cfg = config([web()], ['node1', 'node2'], { Process: { RestartLimit: 1 } });
    expect(plan(cfg, webOnNode1(), { kind: 'ResourceFailed', resource: 'app', node: 'node1', reason: 'x' }).decision.code).toBe('RESTART_IN_PLACE');
  });
});
