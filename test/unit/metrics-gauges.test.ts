// The state gauges read at scrape time, on plain data: node, group and
// resource state sets, link up / RTT / loss (a down link counts as loss 1),
// configuration agreement by version or, where nodes publish it, by
// checksum, and the witness gauges when a witness is configured.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { MainConfig } from '../../src/model/types.js';
import { registerLoadGauges } from '../../src/metrics/load-gauges.js';
import { registerStateGauges, type MembershipSource } from '../../src/metrics/state-gauges.js';

const config = {
  ConfigVersion: 7,
  Cluster: { ClusterName: 'shop' },
  Nodes: [{ NodeName: 'node1' }, { NodeName: 'node2' }],
  Groups: [{ GroupName: 'web', GroupType: 'FAILOVER', NodeList: ['node1', 'node2'], Resources: [{ ResName: 'web-app', Type: 'Process', Critical: true }], Dependencies: [] }],
} as unknown as MainConfig;

function fakeEngine(): Engine {
  const observed = {
    localNode: 'node1',
    nodes: { node1: { state: 'RUNNING' }, node2: { state: 'FAULTED' } },
    resources: { node1: { 'web-app': { state: 'ONLINE' } }, node2: { 'web-app': { state: 'OFFLINE' } } },
    groups: {},
  };
  return { config, localNode: 'node1', observed, status: (n: string, r: string) => (observed.resources as Record<string, Record<string, { state: string }>>)[n]?.[r] ?? { state: 'UNKNOWN' } } as unknown as Engine;
}

function membership(peer: Record<string, unknown>, self: Record<string, unknown> = {}): MembershipSource {
  return {
    linkStats: () => [
      { peer: 'node2', link: 'PRIMARY', status: 'UP', address: '10.0.0.2', rttMs: 0.25, lossRatio: 0.02 },
      { peer: 'node2', link: 'SECONDARY', status: 'DOWN', address: '10.0.1.2', rttMs: null, lossRatio: 0 },
    ],
    status: () => ({ ...self, peers: [{ node: 'node2', state: 'RUNNING', configVersion: 7, jeopardy: true, ...peer }] }) as never,
  };
}

async function scrape(m?: MembershipSource, witness?: { status(): unknown }): Promise<string> {
  const registry = new Registry();
  registerStateGauges(registry, fakeEngine(), m, witness);
  return registry.metrics();
}

describe('metrics state gauges', () => {
  it('state sets, links and jeopardy', async () => {
    const text = await scrape(membership({}));
    expect(text).toContain('mccs_node_state{node="node2",state="FAULTED"} 1');
    expect(text).toContain('mccs_node_state{node="node2",state="RUNNING"} 0');
    expect(text).toContain('mccs_group_state{group="web",node="node1",state="ONLINE"} 1');
    expect(text).toContain('mccs_resource_state{group="web",resource="web-app",type="Process",node="node2",state="OFFLINE"} 1');
    expect(text).toContain('mccs_heartbeat_link_up{peer="node2",link="SECONDARY"} 0');
    expect(text).toContain('mccs_heartbeat_link_rtt_seconds{peer="node2",link="PRIMARY"} 0.00025');
    expect(text).not.toContain('mccs_heartbeat_link_rtt_seconds{peer="node2",link="SECONDARY"}');
    expect(text).toContain('mccs_heartbeat_link_loss_ratio{peer="node2",link="SECONDARY"} 1');
    expect(text).toContain('mccs_heartbeat_link_loss_ratio{peer="node2",link="PRIMARY"} 0.02');
    expect(text).toContain('mccs_jeopardy{peer="node2"} 1');
    expect(text).toContain('mccs_config_version{node="node2"} 7');
    expect(text).toContain('mccs_config_agreement 1');
  });

  it('configuration agreement: by version, else by checksum where both publish one', async () => {
    expect(await scrape(membership({ configVersion: 6 }))).toContain('mccs_config_agreement 0');
    expect(await scrape(membership({ configChecksum: 'aa' }, { configChecksum: 'bb' }))).toContain('mccs_config_agreement 0');
    expect(await scrape(membership({ configChecksum: 'aa' }, { configChecksum: 'aa' }))).toContain('mccs_config_agreement 1');
    // A peer that is not RUNNING does not count.
    expect(await scrape(membership({ state: 'EXITED', configVersion: 3 }))).toContain('mccs_config_agreement 1');
  });

  it('witness gauges only with a witness', async () => {
    expect(await scrape()).not.toContain('mccs_witness');
    const text = await scrape(undefined, {
      status: () => ({ reachable: true, nodes: [{ node: 'node1', reachable: true, lastRoundTripMs: 4 }, { node: 'node2', reachable: false }], groups: [{ group: 'web', owner: 'node1' }] }),
    });
    expect(text).toContain('mccs_witness_reachable{node="node1"} 1');
    expect(text).toContain('mccs_witness_reachable{node="node2"} 0');
    expect(text).toContain('mccs_witness_round_trip_seconds 0.004');
    expect(text).toContain('mccs_witness_group_owner{group="web",owner="node1"} 1');
  });
});

// Issue 16: a cluster of three nodes or more; every node is in every series,
// and Load/Capacity are the figures of `mcnode list NODE`.
describe('metrics with three nodes: every node, Load and Capacity', () => {
  const three = {
    ConfigVersion: 9,
    Cluster: { ClusterName: 'shop', WitnessType: 'etcd' },
    Nodes: [{ NodeName: 'node1', Capacity: 100 }, { NodeName: 'node2' }, { NodeName: 'node3', Capacity: 50 }],
    Groups: [
      { GroupName: 'web', GroupType: 'FAILOVER', Load: 40, NodeList: ['node1', 'node2', 'node3'], Resources: [{ ResName: 'web-app', Type: 'Process' }], Dependencies: [] },
      { GroupName: 'db', GroupType: 'FAILOVER', Load: 30, NodeList: ['node3', 'node1'], Resources: [{ ResName: 'db-app', Type: 'Process' }], Dependencies: [] },
      { GroupName: 'big', GroupType: 'FAILOVER', Load: 80, NodeList: ['node3', 'node2'], Resources: [{ ResName: 'big-app', Type: 'Process' }], Dependencies: [] },
      { GroupName: 'agents', GroupType: 'PARALLEL', Load: 10, NodeList: ['node1', 'node2', 'node3'], Resources: [{ ResName: 'agent', Type: 'Process' }], Dependencies: [] },
    ],
  } as unknown as MainConfig;
  const online = (...names: string[]) => Object.fromEntries(['web-app', 'db-app', 'big-app', 'agent'].map((r) => [r, { state: names.includes(r) ? 'ONLINE' : 'OFFLINE' }]));
  const observed = {
    localNode: 'node2',
    nodes: { node1: { state: 'RUNNING' }, node2: { state: 'RUNNING' }, node3: { state: 'FAULTED' } },
    resources: { node1: online('web-app', 'agent'), node2: online('agent'), node3: online('db-app', 'agent') },
    groups: {},
  };
  const engine = { config: three, localNode: 'node2', observed, status: (n: string, r: string) => (observed.resources as Record<string, Record<string, { state: string }>>)[n]?.[r] ?? { state: 'UNKNOWN' } } as unknown as Engine;
  const peers: MembershipSource = {
    linkStats: () =>
      ['node1', 'node3'].flatMap((peer) => [
        { peer, link: 'PRIMARY', status: peer === 'node3' ? 'DOWN' : 'UP', address: `10.0.0.${peer.slice(-1)}`, rttMs: 0.5, lossRatio: 0 },
        { peer, link: 'SECONDARY', status: peer === 'node3' ? 'DOWN' : 'UP', address: `10.0.1.${peer.slice(-1)}`, rttMs: 0.5, lossRatio: 0 },
      ]),
    status: () =>
      ({
        peers: [
          { node: 'node1', state: 'RUNNING', configVersion: 9, jeopardy: false },
          { node: 'node3', state: 'FAULTED', configVersion: 8, jeopardy: false },
        ],
      }) as never,
  };
  const scrape3 = async (): Promise<string> => {
    const registry = new Registry();
    registerStateGauges(registry, engine, peers);
    registerLoadGauges(registry, engine);
    return registry.metrics();
  };

  it('node states, links, jeopardy and ConfigVersion for all three nodes', async () => {
    const text = await scrape3();
    for (const n of ['node1', 'node2', 'node3']) expect(text).toMatch(new RegExp(`mccs_node_state\\{node="${n}",state="RUNNING"\\} [01]`));
    expect(text).toContain('mccs_node_state{node="node3",state="FAULTED"} 1');
    expect(text).toContain('mccs_node_state{node="node2",state="RUNNING"} 1');
    expect(text).toContain('mccs_heartbeat_link_up{peer="node1",link="PRIMARY"} 1');
    expect(text).toContain('mccs_heartbeat_link_up{peer="node3",link="SECONDARY"} 0');
    expect(text).toContain('mccs_jeopardy{peer="node1"} 0');
    expect(text).toContain('mccs_jeopardy{peer="node3"} 0');
    expect(text).toContain('mccs_config_version{node="node1"} 9');
    expect(text).toContain('mccs_config_version{node="node3"} 8');
    expect(text).toContain('mccs_group_state{group="web",node="node3",state="OFFLINE"} 1');
    expect(text).toContain('mccs_group_state{group="agents",node="node2",state="ONLINE"} 1');
  });

  it('capacity, load in use and available capacity per node, load per group, each with HELP', async () => {
    const text = await scrape3();
    // node1: web (40) active; node3: db (30); PARALLEL agents never counted.
    expect(text).toContain('mccs_node_capacity{node="node1"} 100');
    expect(text).toContain('mccs_node_capacity{node="node3"} 50');
    expect(text).not.toContain('mccs_node_capacity{node="node2"}');
    expect(text).toContain('mccs_node_load_in_use{node="node1"} 40');
    expect(text).toContain('mccs_node_load_in_use{node="node2"} 0');
    expect(text).toContain('mccs_node_load_in_use{node="node3"} 30');
    expect(text).toContain('mccs_node_available_capacity{node="node1"} 60');
    expect(text).toContain('mccs_node_available_capacity{node="node3"} 20');
    expect(text).not.toContain('mccs_node_available_capacity{node="node2"}');
    expect(text).toContain('mccs_group_load{group="web"} 40');
    expect(text).toContain('mccs_group_load{group="big"} 80');
    expect(text).toContain('mccs_group_load{group="agents"} 0');
    for (const name of ['mccs_node_capacity', 'mccs_node_load_in_use', 'mccs_node_available_capacity', 'mccs_group_load']) {
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S.{20,}$`, 'm'));
      expect(text).toMatch(new RegExp(`^# TYPE ${name} gauge$`, 'm'));
    }
  });
});
