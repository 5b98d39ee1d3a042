// The one path of configuration changes (issue 8), with plain files and a
// scripted replication: changes are serialized and each gets its own
// version; --if-version refuses a stale change; nothing is written here when
// a RUNNING node did not confirm; a copy that does not descend from ours is
// taken only when it wins, and ours is then kept beside main.json.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore, relate, type ConfigCommit } from '../../src/engine/config-store.js';
import { configChecksum } from '../../src/model/config-checksum.js';
import type { MainConfig } from '../../src/model/types.js';

const base: MainConfig = {
  ConfigVersion: 4,
  Cluster: { ClusterName: 'unit' },
  Nodes: [{ NodeName: 'node1', PrimaryHB: '127.0.0.1' }, { NodeName: 'node2', PrimaryHB: '127.0.0.2' }],
  Groups: [
    { GroupName: 'a', GroupType: 'FAILOVER', NodeList: ['node1', 'node2'], Resources: [], Dependencies: [] },
    { GroupName: 'b', GroupType: 'FAILOVER', NodeList: ['node1', 'node2'], Resources: [], Dependencies: [] },
  ],
} as unknown as MainConfig;

let dir: string;
let store: ConfigStore;
const sent: ConfigCommit[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mccs-store-'));
  writeFileSync(join(dir, 'main.json'), JSON.stringify(base));
  store = new ConfigStore(join(dir, 'main.json'), () => 'node1');
  await store.load();
  sent.length = 0;
  store.replication = {
    coordinator: () => 'node1',
    peerVersion: () => 0,
    replicate: async (c) => {
      await new Promise((r) => setTimeout(r, 5));
      sent.push(c);
      return { confirmedBy: ['node2'], skipped: [] };
    },
    replicateDocument: async () => ({ confirmedBy: ['node2'], skipped: [] }),
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const onDisk = (): MainConfig => JSON.parse(readFileSync(join(dir, 'main.json'), 'utf8')) as MainConfig;
const setTime = (g: string, v: number) => (c: MainConfig) => {
  c.Groups.find((x) => x.GroupName === g)!.AutoFaultClearTime = v;
};

describe('ConfigStore', () => {
  it('concurrent changes are applied one after the other, each with its own version, all kept, replicated in that order', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.change(setTime(i % 2 ? 'a' : 'b', 10 + i), { cause: `change ${i}` })));
    expect(results.map((r) => r.ConfigVersion)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(sent.map((c) => c.config.ConfigVersion)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(onDisk().ConfigVersion).toBe(14);
    expect(onDisk().Groups.find((g) => g.GroupName === 'a')!.AutoFaultClearTime).toBe(19);
    expect(store.lineage.map((e) => e.version)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(store.checksum).toBe(configChecksum(onDisk()));
  });

  it('a change that changes nothing writes nothing; an invalid change is refused whole', async () => {
    await store.change(setTime('a', 5), { cause: 'x' });
    const again = await store.change(setTime('a', 5), { cause: 'x' });
    expect(again).toMatchObject({ changed: false, ConfigVersion: 5 });
    await expect(store.change((c) => (c.Groups[0]!.NodeList = ['node9']), { cause: 'bad' })).rejects.toMatchObject({ code: 'INVALID' });
    expect(onDisk().ConfigVersion).toBe(5);
  });

  it('ifVersion: refused with CONFLICT naming the current version when it differs', async () => {
    await expect(store.change(setTime('a', 1), { cause: 'x', ifVersion: 3 })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('version 4') });
    await expect(store.change(setTime('a', 1), { cause: 'x', ifVersion: 4 })).resolves.toMatchObject({ ConfigVersion: 5 });
  });

  it('nothing is written here when a RUNNING node did not confirm', async () => {
    store.replication = { ...store.replication, replicate: async () => Promise.reject(new Error('node2 did not answer')) };
    await expect(store.change(setTime('a', 1), { cause: 'x' })).rejects.toMatchObject({ code: 'UNREACHABLE' });
    expect(onDisk().ConfigVersion).toBe(4);
  });

  it('a node that is not the coordinator refuses to make a change', async () => {
    store.replication = { ...store.replication, coordinator: () => 'node2' };
    await expect(store.change(setTime('a', 1), { cause: 'x' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('a new version is above what the peer holds', async () => {
    store.replication = { ...store.replication, peerVersion: () => 9 };
    expect((await store.change(setTime('a', 1), { cause: 'x' })).ConfigVersion).toBe(10);
  });

  it('a commit that descends from our copy is taken as is; one that does not is taken from the coordinator and ours is kept aside', async () => {
    const next = { ...structuredClone(base), ConfigVersion: 5 };
    next.Groups[0]!.AutoFaultClearTime = 77;
    await store.acceptCommit({ config: next, lineage: [...store.lineage, { version: 5, checksum: configChecksum(next) }], cause: 'c' }, 'node2', true);
    expect(onDisk().ConfigVersion).toBe(5);
    expect(readdirSync(dir).filter((f) => f.includes('diverged'))).toEqual([]);
    const other = { ...structuredClone(base), ConfigVersion: 6 };
    other.Groups[1]!.AutoFaultClearTime = 88;
    await store.acceptCommit({ config: other, lineage: [{ version: 4, checksum: 'ffff' }, { version: 6, checksum: configChecksum(other) }], cause: 'c' }, 'node2', true);
    expect(onDisk().ConfigVersion).toBe(6);
    const aside = readdirSync(dir).filter((f) => f.startsWith('main.json.diverged-v5-'));
    expect(aside.length).toBe(1);
    expect((JSON.parse(readFileSync(join(dir, aside[0]!), 'utf8')) as MainConfig).Groups[0]!.AutoFaultClearTime).toBe(77);
  });

  it('a commit from a node that is not the coordinator, or not above our version, is refused with our version', async () => {
    const next = { ...structuredClone(base), ConfigVersion: 5 };
    await expect(store.acceptCommit({ config: next, lineage: [], cause: 'c' }, 'node2', false)).rejects.toMatchObject({ code: 'CONFLICT' });
    const old = { ...structuredClone(base), ConfigVersion: 4, Cluster: { ClusterName: 'other' } } as MainConfig;
    await expect(store.acceptCommit({ config: old, lineage: [], cause: 'c' }, 'node1', true)).rejects.toMatchObject({ code: 'CONFLICT', details: { ConfigVersion: 4 } });
  });

  it('relate(): same, behind, ahead, diverged', () => {
    const a = [{ version: 1, checksum: 'a1' }, { version: 2, checksum: 'a2' }];
    expect(relate(a, a)).toBe('SAME');
    expect(relate(a, [...a, { version: 3, checksum: 'a3' }])).toBe('BEHIND');
    expect(relate([...a, { version: 3, checksum: 'a3' }], a)).toBe('AHEAD');
    expect(relate([...a, { version: 3, checksum: 'x3' }], [...a, { version: 3, checksum: 'y3' }])).toBe('DIVERGED');
  });

  it('the lineage survives a restart (read back beside main.json)', async () => {
    await store.change(setTime('a', 1), { cause: 'x' });
    const again = new ConfigStore(join(dir, 'main.json'), () => 'node1');
    await again.load();
    expect(again.lineage.map((e) => e.version)).toEqual([4, 5]);
  });
});
