// The state gauges read at scrape time, on plain data: node, group and
// resource state sets, link up / RTT / loss (a down link counts as loss 1),
// configuration agreement by version or, where nodes publish it, by
// checksum, and the witness gauges when a witness is configured.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { MainConfig } from '../../src/model/types.js';
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
