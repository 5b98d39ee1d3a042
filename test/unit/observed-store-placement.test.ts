// The engine's side of placement on more than two nodes: each peer's takeover
// generation is kept apart, and a group left offline for want of room by a
// node-wide plan has an event of its own (mccluster events --group G).
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/engine/event-record.js';
import { ObservedStore, type ObservedStoreHost } from '../../src/engine/observed-store.js';
import { plan } from '../../src/engine/policy/plan.js';
import type { MainConfig } from '../../src/model/types.js';

const config: MainConfig = {
  ConfigVersion: 1,
  Cluster: { ClusterName: 'lab', WitnessType: 'etcd', WitnessEndpoints: 'http://10.213.0.250:2379' },
  Nodes: [{ NodeName: 'node1' }, { NodeName: 'node2', Capacity: 100 }, { NodeName: 'node3', Capacity: 50 }],
  Groups: ['a', 'b'].map((g) => ({ GroupName: g, GroupType: 'FAILOVER' as const, NodeList: ['node1', 'node2', 'node3'], Load: 60, Resources: [{ ResName: `${g}-app`, Type: 'Process' }] })),
};

function store(): { s: ObservedStore; records: Omit<EventRecord, 'time' | 'node'>[] } {
  const records: Omit<EventRecord, 'time' | 'node'>[] = [];
  const host = {
    config,
    localNode: 'node2',
    events: { write: (e: Omit<EventRecord, 'time' | 'node'>) => (records.push(e), { ...e, time: '', node: 'node2' }) },
    log: { info: () => {} },
    probed: true,
    findGroup: (name: string) => config.Groups.find((g) => g.GroupName === name)!,
    localStateChanged: () => {},
    localResourceFaulted: () => {},
    groupOnlineHere: () => {},
  } as unknown as ObservedStoreHost;
  const s = new ObservedStore(host);
  s.reset(config, 'node2');
  return { s, records };
}

describe('observed store with three nodes', () => {
  it('keeps each peer\'s generation apart; a new takeover goes above all of them', () => {
    const { s } = store();
    s.setPeerGenerations({ a: 4 }, 'node1');
    s.setPeerGenerations({ a: 2 }, 'node3');
    expect(s.observed.groups?.a).toMatchObject({ peerGenerations: { node1: 4, node3: 2 } });
    s.setState('node2', 'a-app', { state: 'ONLINE' }, { cause: 'test', rule: 'TAKEOVER_ONLINE', message: 'up' });
    expect(s.observed.groups?.a?.generation).toBe(5);
  });

  it('a group that a takeover leaves offline for want of room gets its own NO_CAPACITY record', () => {
    const { s, records } = store();
    for (const n of ['node1', 'node2', 'node3']) s.setNodeState(n, n === 'node1' ? 'FAULTED' : 'RUNNING');
    s.replaceResources('node1', { 'a-app': { state: 'ONLINE' }, 'b-app': { state: 'ONLINE' } });
    const p = plan(config, s.observed, { kind: 'NodeFaulted', node: 'node1' }, 0);
    s.recordPlan(p, 'node1 FAULTED');
    expect(records.map((r) => `${r.subject} ${r.rule}`)).toEqual(['node:node1 NODE_FAULT_TAKEOVER', 'group:b NO_CAPACITY']);
    expect(records[1]).toMatchObject({ group: 'b', message: expect.stringContaining('node2: no room: Load 60 + 60 in use (a 60) > Capacity 100; node3: no room: Load 60 + 0 in use > Capacity 50') });
  });
});
