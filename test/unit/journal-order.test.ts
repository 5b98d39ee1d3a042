// The order of configuration changes through the journal (src/cluster/journal-order.ts)
// against a real etcd 3.4 on 127.0.0.1 (test/helpers/local-etcd.mjs): two
// nodes' stores commit through their own JournalOrder on one journal.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalOrder, journalOrdered } from '../../src/cluster/journal-order.js';
import { ConfigStore } from '../../src/engine/config-store.js';
import { configChecksum } from '../../src/model/config-checksum.js';
import { MccsError } from '../../src/model/errors.js';
import type { MainConfig } from '../../src/model/types.js';
import { startLocalEtcd, type LocalEtcd } from '../helpers/local-etcd.mjs';

let etcd: LocalEtcd;
let dir: string;
const orders: JournalOrder[] = [];
let prefixes = 0;

beforeAll(async () => {
  etcd = await startLocalEtcd();
  dir = mkdtempSync(join(tmpdir(), 'mccs-order-'));
});

afterAll(async () => {
  for (const o of orders) o.close();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(prefix: string, version: number, groups: string[] = ['a']): MainConfig {
  return {
    ConfigVersion: version,
    Cluster: { ClusterName: 'unit', WitnessType: 'etcd', WitnessEndpoints: etcd.endpoint, WitnessPrefix: prefix, WitnessTTL: 1000 },
    Nodes: [{ NodeName: 'node1' }, { NodeName: 'node2' }],
    Groups: groups.map((g) => ({ GroupName: g, GroupType: 'FAILOVER', NodeList: ['node1', 'node2'], Resources: [], Dependencies: [] })),
  } as unknown as MainConfig;
}

async function node(name: string, c: MainConfig): Promise<{ store: ConfigStore; order: JournalOrder }> {
  const home = mkdtempSync(join(dir, `${name}-`));
  writeFileSync(join(home, 'main.json'), JSON.stringify(c));
  const store = new ConfigStore(join(home, 'main.json'), () => name);
  await store.load();
  const order = new JournalOrder(store, name, () => store.current);
  orders.push(order);
  return { store, order };
}

const commitOf = (store: ConfigStore, c: MainConfig) => ({ config: c, lineage: [...store.lineage, { version: c.ConfigVersion, checksum: configChecksum(c) }], cause: 'unit test' });

describe('configuration changes ordered by the journal', () => {
  it('is used with more than two nodes and an etcd witness only', () => {
    const c = config('/p', 1);
    expect(journalOrdered(c)).toBe(false);
    expect(journalOrdered({ ...c, Nodes: [...c.Nodes, { NodeName: 'node3' }] } as MainConfig)).toBe(true);
    expect(journalOrdered({ ...c, Cluster: { ClusterName: 'x' }, Nodes: [...c.Nodes, { NodeName: 'node3' }] } as MainConfig)).toBe(false);
  });

  it('two coordinators on the same base: the first is appended, the second is refused with CONFLICT and takes the first', async () => {
    prefixes += 1;
    const prefix = `/mccs-order/${process.pid}-${prefixes}`;
    const a = await node('node1', config(prefix, 7));
    const b = await node('node2', config(prefix, 7));
    await a.order.catchUp();
    await b.order.catchUp();
    await a.order.append(commitOf(a.store, config(prefix, 8, ['a', 'from-node1'])));
    const refused = await b.order.append(commitOf(b.store, config(prefix, 8, ['a', 'from-node2']))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MccsError);
    expect((refused as MccsError).code).toBe('CONFLICT');
    expect((refused as MccsError).message).toMatch(/journal holds version 8 committed by node1/);
    // node2 caught up while refusing: it now holds node1's change, and its next change goes in on top of it.
    expect(b.store.current.Groups.map((g) => g.GroupName)).toEqual(['a', 'from-node1']);
    await b.order.append(commitOf(b.store, config(prefix, 9, ['a', 'from-node1', 'then-node2'])));
    expect(b.order.revision).not.toBe(a.order.revision);
  });

  it('a new coordinator whose copy is the journal\'s but whose revision is old: refreshed once, appended', async () => {
    prefixes += 1;
    const prefix = `/mccs-order/${process.pid}-${prefixes}`;
    const a = await node('node1', config(prefix, 7));
    await a.order.catchUp();
    const c8 = config(prefix, 8, ['a', 'b']);
    await a.order.append(commitOf(a.store, c8));
    // node2 took version 8 from node1 directly (a peer commit), never read the journal: revision '0'.
    const b = await node('node2', config(prefix, 7));
    await b.store.adopt(c8, commitOf(a.store, c8).lineage, 'node1', true);
    expect(b.order.revision).toBe('0');
    await b.order.append(commitOf(b.store, config(prefix, 9, ['a', 'b', 'c'])));
    expect(BigInt(b.order.revision)).toBeGreaterThan(BigInt(a.order.revision));
  });

  it('etcd unreachable: UNREACHABLE, nothing appended', async () => {
    const c = config('/mccs-order/none', 7);
    (c.Cluster as Record<string, unknown>).WitnessEndpoints = 'http://127.0.0.1:9';
    const a = await node('node1', c);
    const err = await a.order.append(commitOf(a.store, { ...c, ConfigVersion: 8 })).catch((e: unknown) => e);
    expect((err as MccsError).code).toBe('UNREACHABLE');
  });
});
