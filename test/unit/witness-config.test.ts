// The witness attributes of main.json: declared once, validated like every
// attribute (mccluster modify refuses a bad value with its JSON path), and
// how status shows the witness.
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { validateConfig } from '../../src/model/config.js';
import type { MainConfig } from '../../src/model/types.js';
import { witnessSettings } from '../../src/witness/settings.js';
import { witnessBlock } from '../../src/cli/render-witness.js';

function config(cluster: Record<string, unknown>): MainConfig {
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'shop', ...cluster },
    Nodes: [
      { NodeName: 'node1', PrimaryHB: '10.213.0.1' },
      { NodeName: 'node2', PrimaryHB: '10.213.0.2' },
    ],
    Groups: [],
  } as MainConfig;
}

const errors = (cluster: Record<string, unknown>) => {
  const r = validateConfig(config(cluster));
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
};

describe('witness attributes', () => {
  it('default: no witness; prefix /mccs/<ClusterName>; TTL 1000 ms', () => {
    expect(errors({})).toEqual([]);
    expect(witnessSettings(config({}))).toMatchObject({ type: 'none', endpoints: [], ttlMs: 1000, prefix: '/mccs/shop' });
  });

  it('etcd with endpoints, TLS files and a prefix of its own', () => {
    const c = { WitnessType: 'etcd', WitnessEndpoints: 'https://10.0.0.11:2379, https://[fd00::12]:2379', WitnessTTL: 300, WitnessCACert: '/etc/mccs/ca.pem', WitnessCert: '/etc/mccs/c.pem', WitnessKey: '/etc/mccs/c.key', WitnessPrefix: '/ha/shop/' };
    expect(errors(c)).toEqual([]);
    expect(witnessSettings(config(c))).toMatchObject({ type: 'etcd', endpoints: ['https://10.0.0.11:2379', 'https://[fd00::12]:2379'], ttlMs: 300, prefix: '/ha/shop' });
  });

  it('refuses what cannot work, naming the attribute', () => {
    expect(errors({ WitnessType: 'etcd' }).join('\n')).toMatch(/\/Cluster\/WitnessEndpoints: WitnessType etcd needs WitnessEndpoints/);
    expect(errors({ WitnessType: 'zookeeper' }).join('\n')).toMatch(/\/Cluster\/WitnessType/);
    expect(errors({ WitnessType: 'etcd', WitnessEndpoints: '10.0.0.11:2379' }).join('\n')).toMatch(/\/Cluster\/WitnessEndpoints/);
    expect(errors({ WitnessType: 'etcd', WitnessEndpoints: 'http://10.0.0.11:2379', WitnessCert: '/c.pem' }).join('\n')).toMatch(/\/Cluster\/WitnessKey: WitnessCert and WitnessKey go together/);
    expect(errors({ WitnessTTL: 50 }).join('\n')).toMatch(/\/Cluster\/WitnessTTL/);
    expect(errors({ WitnessPrefix: 'no-slash' }).join('\n')).toMatch(/\/Cluster\/WitnessPrefix/);
  });

  it('status shows the witness, its reach from each node and each group owner with its deadline', () => {
    const text = witnessBlock(
      {
        type: 'etcd',
        endpoints: ['http://10.213.0.254:2379'],
        prefix: '/mccs/lab',
        ttlMs: 1000,
        reachable: true,
        nodes: [
          { node: 'node1', reachable: true, lastRoundTripMs: 2.1, error: null },
          { node: 'node2', reachable: false, lastRenewalSeenAgeMs: 5300 },
        ],
        groups: [{ group: 'web', owner: 'node1', revision: '42', deadlineInMs: 612, holdingOnPeer: false, unrecorded: false }],
      },
      new Chalk({ level: 0 }),
    );
    expect(text).toMatch(/Witness etcd http:\/\/10\.213\.0\.254:2379/);
    expect(text).toMatch(/node1\s+reachable\s+round trip 2\.1 ms/);
    expect(text).toMatch(/node2\s+UNREACHABLE\s+last renewal seen 5300 ms ago/);
    expect(text).toMatch(/web\s+node1\s+42\s+in 612 ms/);
  });
});
