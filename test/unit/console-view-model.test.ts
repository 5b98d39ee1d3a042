// What the console's pages compute from the engine's cluster.status, on a
// three-node cluster (issue 16): every node's Load in use, Capacity and
// Available (the engine's LoadInUse/AvailableCapacity, the groups behind
// them), a group's Load as placement counts it, ConfigVersion agreement and
// jeopardy over every peer. The pages themselves are driven in a real
// browser by test/e2e/console-three-nodes.test.ts.
import { describe, expect, it } from 'vitest';
import { groupLoad, loadSentence, nodeLoad, nodeLoads } from '../../web/console/load.js';
import { agreement, jeopardyPeers } from '../../web/console/overview.js';

const group = (name: string, type: string, load: number | undefined, states: Record<string, string>) => ({ GroupName: name, attributes: { GroupType: type, ...(load === undefined ? {} : { Load: load }) }, states, resources: [], dependencies: [] });
const node = (name: string, attributes: Record<string, unknown>) => ({ NodeName: name, state: 'RUNNING', attributes: { NodeName: name, ...attributes } });

const status = {
  ClusterName: 'shop',
  localNode: 'node2',
  ConfigVersion: 12,
  nodes: [node('node1', { Capacity: 100, LoadInUse: 70, AvailableCapacity: 30 }), node('node2', { LoadInUse: 0 }), node('node3', { Capacity: 50, LoadInUse: 50, AvailableCapacity: 0 })],
  groups: [
    group('web', 'FAILOVER', 40, { node1: 'ONLINE', node2: 'OFFLINE', node3: 'OFFLINE' }),
    group('db', 'FAILOVER', 30, { node1: 'STARTING', node3: 'OFFLINE' }),
    group('crm', 'FAILOVER', 50, { node2: 'OFFLINE', node3: 'PARTIAL' }),
    group('big', 'FAILOVER', 80, { node2: 'OFFLINE', node3: 'OFFLINE' }),
    group('agents', 'PARALLEL', 10, { node1: 'ONLINE', node2: 'ONLINE', node3: 'ONLINE' }),
    group('misc', 'SINGLE', undefined, { node2: 'ONLINE' }),
  ],
  resources: [],
  warnings: [],
  membership: {
    jeopardy: false,
    peers: [
      { node: 'node1', configVersion: 12, jeopardy: false },
      { node: 'node3', configVersion: 12, jeopardy: true },
    ],
  },
};

describe('console view model with three nodes', () => {
  it('every node has its figures, in the order of Nodes, with the groups that make up its load', () => {
    const loads = nodeLoads(status);
    expect(loads.map((l: { node: string }) => l.node)).toEqual(['node1', 'node2', 'node3']);
    expect(loads[0]).toMatchObject({ capacity: 100, inUse: 70, available: 30, full: false, groups: [{ group: 'web', load: 40, state: 'ONLINE' }, { group: 'db', load: 30, state: 'STARTING' }] });
    // No Capacity: unlimited, nothing available to show; PARALLEL and Load-less groups weigh nothing.
    expect(loads[1]).toMatchObject({ capacity: undefined, inUse: 0, available: undefined, full: false, groups: [] });
    expect(loads[2]).toMatchObject({ capacity: 50, inUse: 50, available: 0, full: true, groups: [{ group: 'crm', load: 50, state: 'PARTIAL' }] });
    expect(loadSentence(loads[0])).toBe('70 of 100 in use, 30 available: web 40, db 30');
    expect(loadSentence(loads[1])).toBe('0 in use, no Capacity (unlimited); no group with a Load is active here');
    expect(loadSentence(loads[2])).toBe('50 of 50 in use, 0 available: crm 50');
  });

  it("the engine's LoadInUse and AvailableCapacity win; without them (an older engine) the page counts the active groups", () => {
    const older = { ...status, nodes: [node('node1', { Capacity: 100 }), node('node2', {}), node('node3', { Capacity: 50 })] };
    expect(nodeLoad(older, 'node1')).toMatchObject({ inUse: 70, available: 30 });
    expect(nodeLoad(older, 'node3')).toMatchObject({ inUse: 50, available: 0, full: true });
    expect(nodeLoad(older, 'node2')).toMatchObject({ inUse: 0, available: undefined });
  });

  it("a group's Load as placement counts it: PARALLEL groups 0, no Load 0", () => {
    expect(status.groups.map((g) => [g.GroupName, groupLoad(g)])).toEqual([['web', 40], ['db', 30], ['crm', 50], ['big', 80], ['agents', 0], ['misc', 0]]);
  });

  it('ConfigVersion agreement and jeopardy over every peer, not only the first', () => {
    expect(agreement(status)).toEqual({ versions: [{ node: 'node2', v: 12 }, { node: 'node1', v: 12 }, { node: 'node3', v: 12 }], agree: true, complete: true });
    const behind = { ...status, membership: { ...status.membership, peers: [status.membership.peers[0], { node: 'node3', configVersion: 11, jeopardy: false }] } };
    expect(agreement(behind).agree).toBe(false);
    expect(jeopardyPeers(status)).toEqual(['node3']);
  });
});
