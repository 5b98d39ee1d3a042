// The published schema (schema/main.schema.json) is current and says what
// the engine says: it accepts the SPEC example and rejects what the engine rejects.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { publishedSchema } from '../../src/docs/gen-schema.js';

const example = {
  ConfigVersion: 7,
  Cluster: { ClusterName: 'shop', HBPort: 14321, HBInterval: 1000, HBTimeout: 1000 },
  Nodes: [{ NodeName: 'node1', PrimaryHB: '10.213.0.1' }, { NodeName: 'node2', PrimaryHB: '10.213.0.2' }],
  Types: { Process: { MonitorInterval: 5 } },
  Groups: [
    {
      GroupName: 'web',
      GroupType: 'FAILOVER',
      NodeList: ['node1', 'node2'],
      Resources: [
        { ResName: 'web-nic', Type: 'NIC', Device: 'eth0' },
        { ResName: 'web-ip', Type: 'IP', NICResName: 'web-nic', Address: '10.213.0.100', Prefix: 24, Critical: true },
        { ResName: 'web-app', Type: 'Process', Path: '/usr/bin/node', Arguments: ['/srv/web/server.js'], Critical: true, RestartLimit: 1 },
      ],
      Dependencies: [{ Parent: 'web-ip', Child: 'web-nic' }],
    },
  ],
};

describe('schema/main.schema.json', () => {
  it('is the one the declarations generate (run `npm run schema` after changing an attribute)', () => {
    expect(JSON.parse(readFileSync(new URL('../../schema/main.schema.json', import.meta.url), 'utf8'))).toEqual(publishedSchema());
  });

  it('accepts the SPEC example and rejects an attribute of another type, a wrong type and an unknown key', () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(publishedSchema());
    expect(validate(example)).toBe(true);
    const wrong = structuredClone(example) as { Groups: { Resources: Record<string, unknown>[] }[]; Types: Record<string, unknown> };
    wrong.Groups[0]!.Resources[0]!.Path = '/bin/true'; // Path is a Process attribute, not a NIC one
    expect(validate(wrong)).toBe(false);
    const badType = structuredClone(example) as { Groups: { Resources: Record<string, unknown>[] }[] };
    badType.Groups[0]!.Resources[2]!.RestartLimit = 'once';
    expect(validate(badType)).toBe(false);
    const unknownType = structuredClone(example) as { Types: Record<string, unknown> };
    unknownType.Types.Teleporter = {};
    expect(validate(unknownType)).toBe(false);
    const three = structuredClone(example) as { Nodes: Record<string, unknown>[]; Cluster: Record<string, unknown> };
    three.Nodes.push({ NodeName: 'node3', PrimaryHB: '10.213.0.3' });
    expect(validate(three)).toBe(false); // 3 nodes need WitnessType etcd
    three.Cluster.WitnessType = 'etcd';
    three.Cluster.WitnessEndpoints = 'http://10.213.0.250:2379';
    expect(validate(three)).toBe(true);
  });
});
