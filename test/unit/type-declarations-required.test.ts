// A process that plans or validates without having loaded the agent catalog
// must fail, naming the import, instead of planning as if no Type were
// monitor-only (a NIC counted as a service) or calling every Type unknown.
// The test setup loads the catalog (test/setup/declare-types.ts); here the
// module registry is reset so the policy and the model are imported afresh,
// with nothing declared.
import { describe, expect, it, vi } from 'vitest';
import type { Observed } from '../../src/engine/policy/types.js';
import type { GroupConfig, MainConfig, ResourceState } from '../../src/model/types.js';

const group: GroupConfig = {
  GroupName: 'web',
  GroupType: 'FAILOVER',
  NodeList: ['node1', 'node2'],
  Resources: [
    { ResName: 'web-nic', Type: 'NIC' },
    { ResName: 'web-app', Type: 'Process' },
  ],
  Dependencies: [{ Parent: 'web-app', Child: 'web-nic' }],
};
const config = (groups: GroupConfig[]): MainConfig => ({ ConfigVersion: 1, Cluster: { ClusterName: 'lab' }, Nodes: [{ NodeName: 'node1' }, { NodeName: 'node2' }], Types: {}, Groups: groups });

/** The NIC is watched and up on node1; the process is `app` there. */
const observed = (app: ResourceState): Observed => ({
  localNode: 'node1',
  nodes: { node1: { state: 'RUNNING' }, node2: { state: 'RUNNING' } },
  resources: { node1: { 'web-nic': { state: 'ONLINE' }, 'web-app': { state: app } }, node2: {} },
  groups: {},
}) as unknown as Observed;

const missing = /no resource type is declared: the process must import src\/engine\/agents\/catalog\.js/;

describe('the agents’ Type declarations are required to plan', () => {
  it('with the catalog loaded (the setup): the NIC is monitor-only, the group is as active as its process', async () => {
    const { planApply } = await import('../../src/engine/policy/apply.js');
    const removed = (app: ResourceState) => planApply(config([group]), config([]), observed(app)).actions.map((a) => `${a.op} ${a.group} ${a.node} ${a.code}`);
    expect(removed('ONLINE')).toEqual(['stop web node1 APPLY_GROUP_REMOVED']);
    expect(removed('OFFLINE')).toEqual([]);
  });

  it('without it, mccs apply’s plan throws, naming the import, instead of misplanning', async () => {
    vi.resetModules();
    const { planApply } = await import('../../src/engine/policy/apply.js');
    expect(() => planApply(config([group]), config([]), observed('OFFLINE'))).toThrow(missing);
  });

  it('without it, the state of a group throws too', async () => {
    vi.resetModules();
    const { groupState } = await import('../../src/engine/policy/group-state.js');
    expect(() => groupState(config([group]), group, observed('OFFLINE'), 'node1')).toThrow(missing);
  });
});
