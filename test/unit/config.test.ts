// main.json validation: every error named by JSON path and reason; nothing
// half-accepted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, validateConfig, writeConfigFile } from '../../src/model/config.js';
import { MccsError } from '../../src/model/errors.js';
import type { MainConfig } from '../../src/model/types.js';

function base(): MainConfig {
  return {
    ConfigVersion: 7,
    Cluster: { ClusterName: 'shop', HBPort: 14321, HBInterval: 1000, HBTimeout: 1000 },
    Nodes: [
      { NodeName: 'node1', PrimaryHB: '10.213.0.1', SecondaryHB: '10.213.1.1', IsolationTestAddresses: '10.213.0.254' },
      { NodeName: 'node2', PrimaryHB: '10.213.0.2', SecondaryHB: '10.213.1.2', IsolationTestAddresses: '10.213.0.254' },
    ],
    Types: { Process: { MonitorInterval: 5 } },
    Groups: [
      {
        GroupName: 'web',
        GroupType: 'FAILOVER',
        NodeList: ['node1', 'node2'],
        AutoStart: true,
        Resources: [
          { ResName: 'web-nic', Type: 'NIC', Device: 'eth0' },
          { ResName: 'web-ip', Type: 'IP', NICResName: 'web-nic', Address: '10.213.0.100', Prefix: 24, Critical: true },
          { ResName: 'web-app', Type: 'Process', Path: '/usr/bin/node', Arguments: ['/srv/web/server.js'], Critical: true, RestartLimit: 1 },
        ],
        Dependencies: [
          { Parent: 'web-ip', Child: 'web-nic' },
          { Parent: 'web-app', Child: 'web-ip', OnlineDependency: 'STRONG', OfflineDependency: 'STRONG' },
        ],
      },
    ],
  };
}

function errorsOf(config: unknown): string[] {
  const r = validateConfig(config);
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('main.json validation', () => {
  it('accepts the SPEC §4 example', () => {
    expect(errorsOf(base())).toEqual([]);
  });

  it('bad JSON: INVALID with the parser position', () => {
    expect(() => parseConfig('{"ConfigVersion": 1,', 'main.json')).toThrow(/main.json is not valid JSON/);
    try {
      parseConfig('{', 'x.json');
    } catch (e) {
      expect((e as MccsError).exitCode).toBe(3);
    }
  });

  it('unknown attribute, wrong type, unknown type: each with its JSON path', () => {
    const c = base() as unknown as { Groups: { Resources: Record<string, unknown>[] }[]; Cluster: Record<string, unknown> };
    c.Cluster.HBIntervall = 5;
    c.Groups[0]!.Resources[2]!.RestartLimit = 'twice';
    c.Groups[0]!.Resources[2]!.Colour = 'red';
    const errs = errorsOf(c);
    expect(errs).toContain("/Cluster/HBIntervall: unknown attribute 'HBIntervall'");
    expect(errs).toContain('/Groups/0/Resources/2/RestartLimit: must be integer');
    expect(errs).toContain("/Groups/0/Resources/2/Colour: unknown attribute 'Colour'");
    const t = base() as unknown as { Groups: { Resources: Record<string, unknown>[] }[] };
    t.Groups[0]!.Resources[0]!.Type = 'Teleporter';
    expect(errorsOf(t).join('\n')).toMatch(/\/Groups\/0\/Resources\/0\/Type: must be one of/);
  });

  it('read-only attributes are not accepted in the file', () => {
    const c = base() as unknown as { Groups: Record<string, unknown>[] };
    c.Groups[0]!.MaxDependencyLevel = 3;
    expect(errorsOf(c)).toContain("/Groups/0/MaxDependencyLevel: unknown attribute 'MaxDependencyLevel'");
  });

  it('dependency cycle is rejected and named', () => {
    const c = base();
    c.Groups[0]!.Dependencies!.push({ Parent: 'web-nic', Child: 'web-app' });
    expect(errorsOf(c).join('\n')).toMatch(/\/Groups\/0\/Dependencies: dependency cycle: .*web-/);
  });

  it('a resource in two groups, an unknown node in a node list, unknown dependency ends', () => {
    const c = base();
    c.Groups.push({ GroupName: 'db', GroupType: 'FAILOVER', NodeList: ['node1', 'node3'], Resources: [{ ResName: 'web-app', Type: 'Process', Path: '/bin/true' }], Dependencies: [{ Parent: 'web-app', Child: 'ghost' }] });
    const errs = errorsOf(c);
    expect(errs).toContain("/Groups/1/Resources/0/ResName: resource 'web-app' is already in group 'web' (a resource belongs to one group)");
    expect(errs).toContain("/Groups/1/NodeList/1: unknown node 'node3' (not in Nodes)");
    expect(errs).toContain("/Groups/1/Dependencies/0/Child: unknown resource 'ghost' (not in group 'db')");
  });

  it('IP must name a NIC resource of its group', () => {
    const c = base();
    c.Groups[0]!.Resources[1]!.NICResName = 'web-app';
    expect(errorsOf(c)).toContain("/Groups/0/Resources/1/NICResName: 'web-app' is not a NIC resource of group 'web'");
  });

  it('missing required keys are named', () => {
    const errs = errorsOf({ ConfigVersion: 1, Cluster: {}, Nodes: [{}], Groups: [] });
    expect(errs).toContain("/Cluster: missing required attribute 'ClusterName'");
    expect(errs).toContain("/Nodes/0: missing required attribute 'NodeName'");
  });

  it('3 to 16 nodes need WitnessType etcd; more than 16 are refused (exit 3)', () => {
    const withNodes = (n: number, witness?: Record<string, unknown>): MainConfig => {
      const c = base();
      c.Nodes = Array.from({ length: n }, (_, i) => ({ NodeName: `node${i + 1}`, PrimaryHB: `10.213.0.${i + 1}` }));
      if (witness) c.Cluster = { ...c.Cluster, ...witness };
      c.Groups[0]!.NodeList = ['node1'];
      return c;
    };
    const etcd = { WitnessType: 'etcd', WitnessEndpoints: 'http://10.213.0.250:2379' };
    expect(errorsOf(withNodes(1))).toEqual([]);
    expect(errorsOf(withNodes(2))).toEqual([]);
    expect(errorsOf(withNodes(3))).toEqual(['/Nodes: 3 nodes need Cluster WitnessType etcd (WitnessType is none): with more than 2 nodes, membership and group ownership are kept in etcd; set WitnessType and WitnessEndpoints, or keep at most 2 nodes']);
    expect(errorsOf(withNodes(5, { WitnessType: 'none' }))[0]).toMatch(/^\/Nodes: 5 nodes need Cluster WitnessType etcd \(WitnessType is none\)/);
    expect(errorsOf(withNodes(3, etcd))).toEqual([]);
    expect(errorsOf(withNodes(16, etcd))).toEqual([]);
    expect(errorsOf(withNodes(17, etcd))).toEqual(['/Nodes: must NOT have more than 16 items']);
    try {
      parseConfig(JSON.stringify(withNodes(3)), 'main.json');
      expect.unreachable();
    } catch (e) {
      expect((e as MccsError).exitCode).toBe(3);
      expect((e as MccsError).message).toContain('/Nodes: 3 nodes need Cluster WitnessType etcd');
    }
  });

  it('group Load and node Capacity: integers >= 0, Capacity optional', () => {
    const c = base();
    c.Groups[0]!.Load = 60;
    c.Nodes[0]!.Capacity = 100;
    expect(errorsOf(c)).toEqual([]);
    c.Groups[0]!.Load = -1;
    c.Nodes[1]!.Capacity = 1.5;
    expect(errorsOf(c).sort()).toEqual(['/Groups/0/Load: must be >= 0', '/Nodes/1/Capacity: must be integer']);
  });

  it('writes atomically and refuses to write an invalid config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mccs-cfg-'));
    try {
      const file = join(dir, 'main.json');
      await writeConfigFile(file, base());
      expect(JSON.parse(readFileSync(file, 'utf8')).ConfigVersion).toBe(7);
      const bad = base();
      bad.Groups[0]!.NodeList = ['nobody'];
      await expect(writeConfigFile(file, bad)).rejects.toThrow(/unknown node 'nobody'/);
      expect(JSON.parse(readFileSync(file, 'utf8')).Groups[0].NodeList).toEqual(['node1', 'node2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
