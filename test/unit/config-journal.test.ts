// The configuration journal (issue 16) against a real etcd 3.4 started here
// on 127.0.0.1 (free random ports, temp data directory, killed by PID after):
// a change written whole to PREFIX/config under a compare on the key's mod
// revision; of two writers on the same revision exactly one wins and the
// other is told the version it missed; a node that was away catches up from
// latest() through ConfigStore.adopt.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigStore, VersionConflict, type ConfigCommit, type LineageEntry } from '../../src/engine/config-store.js';
import { configChecksum } from '../../src/model/config-checksum.js';
import type { MainConfig } from '../../src/model/types.js';
import { catchUpFromJournal, ConfigJournal, JournalConflict, JournalInvalid, JournalUnreachable } from '../../src/witness/config-journal.js';
import { EtcdStore } from '../../src/witness/etcd-store.js';
import type { WitnessSettings } from '../../src/witness/settings.js';
import { freePort, startLocalEtcd, type LocalEtcd } from '../helpers/local-etcd.mjs';

let etcd: LocalEtcd;
const opened: { close(): void }[] = [];
let prefixes = 0;

beforeAll(async () => {
  etcd = await startLocalEtcd();
});

afterAll(async () => {
  for (const j of opened) j.close();
  await etcd?.stop();
});

function settings(endpoint = etcd.endpoint, ttlMs = 1000): WitnessSettings {
  prefixes += 1;
  return { type: 'etcd', endpoints: [endpoint], ttlMs, caCert: '', cert: '', key: '', prefix: `/mccs-unit/${process.pid}-${prefixes}` };
}

function journal(s: WitnessSettings, node: string): ConfigJournal {
  const j = new ConfigJournal(s, { node });
  opened.push(j);
  return j;
}

function config(version: number, groups: string[] = ['a']): MainConfig {
  return {
    ConfigVersion: version,
    Cluster: { ClusterName: 'unit', WitnessType: 'etcd', WitnessEndpoints: 'http://127.0.0.1:2379' },
    // Two nodes: valid with or without the N-node schema (the journal does not look inside).
    Nodes: [{ NodeName: 'node1' }, { NodeName: 'node2' }],
    Groups: groups.map((g) => ({ GroupName: g, GroupType: 'FAILOVER', NodeList: ['node1', 'node2'], Resources: [], Dependencies: [] })),
  } as unknown as MainConfig;
}

/** A commit of `c` whose lineage is `before` plus c's own entry, as ConfigStore.commit builds it. */
function commit(c: MainConfig, before: LineageEntry[] = [], cause = 'unit test'): ConfigCommit {
  return { config: c, lineage: [...before, { version: c.ConfigVersion, checksum: configChecksum(c) }], cause };
}

describe('configuration journal on etcd', () => {
  it('an empty journal: latest() is undefined', async () => {
    expect(await journal(settings(), 'node1').latest()).toBeUndefined();
  });

  it('append then latest(): the whole committed copy comes back with the revision of the change', async () => {
    const s = settings();
    const j = journal(s, 'node1');
    const c1 = commit(config(1), [], 'first');
    const r1 = await j.append(c1, '0');
    expect(r1).toMatch(/^[1-9][0-9]*$/);
    const got = await j.latest();
    expect(got).toMatchObject({ revision: r1, ConfigVersion: 1, checksum: configChecksum(c1.config), lineage: c1.lineage, cause: 'first', committedBy: 'node1', format: 1 });
    expect(got?.config).toEqual(c1.config);
    expect(Number.isNaN(Date.parse(got!.committedAt))).toBe(false);

    // The next change names the revision it was made on, and gets a later one.
    const c2 = commit(config(2, ['a', 'b']), c1.lineage, 'second');
    const r2 = await j.append(c2, r1);
    expect(BigInt(r2)).toBeGreaterThan(BigInt(r1));
    // Another node's client sees the same copy.
    const other = await journal(s, 'node2').latest();
    expect(other).toMatchObject({ revision: r2, ConfigVersion: 2, committedBy: 'node1' });
    expect(other?.config).toEqual(c2.config);
  });

  it('two writers append on the same revision at once: exactly one wins, the other is told the version it missed', async () => {
    const s = settings();
    const w1 = journal(s, 'node1');
    const w2 = journal(s, 'node2');
    let seen = await w1.append(commit(config(1)), '0');
    let lineage = commit(config(1)).lineage;
    for (let round = 0; round < 5; round++) {
      const base = 2 + round * 2;
      const a = commit(config(base, ['a', `x${round}`]), lineage, 'node1 change');
      const b = commit(config(base + 1, ['a', `y${round}`]), lineage, 'node2 change');
      const results = await Promise.allSettled([w1.append(a, seen), w2.append(b, seen)]);
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, revision: r.value }] : []));
      const lost = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, error: r.reason as unknown }] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = won[0]!.i === 0 ? a : b;
      const conflict = lost[0]!.error;
      expect(conflict).toBeInstanceOf(JournalConflict);
      const c = conflict as JournalConflict;
      expect(c.expectedRevision).toBe(seen);
      expect(c.version).toBe(winner.config.ConfigVersion);
      expect(c.stored).toMatchObject({ revision: won[0]!.revision, ConfigVersion: winner.config.ConfigVersion, checksum: configChecksum(winner.config), committedBy: won[0]!.i === 0 ? 'node1' : 'node2' });
      expect(c.message).toMatch(new RegExp(`holds version ${winner.config.ConfigVersion} .*etcd revision ${won[0]!.revision}`));
      // In config-store's terms: commit above the version the journal holds.
      const vc = c.toVersionConflict();
      expect(vc).toBeInstanceOf(VersionConflict);
      expect(vc).toMatchObject({ node: won[0]!.i === 0 ? 'node1' : 'node2', version: winner.config.ConfigVersion });
      // The journal holds the winner's copy, whole.
      const latest = await w2.latest();
      expect(latest?.config).toEqual(winner.config);
      seen = won[0]!.revision;
      lineage = winner.lineage;
    }
  });

  it('a writer that did not see the last change is refused; expecting an empty journal when it is not is refused', async () => {
    const s = settings();
    const j = journal(s, 'node1');
    const c1 = commit(config(1));
    const r1 = await j.append(c1, '0');
    const c2 = commit(config(2, ['b']), c1.lineage);
    await j.append(c2, r1);
    const stale = commit(config(2, ['c']), c1.lineage);
    await expect(journal(s, 'node3').append(stale, r1)).rejects.toMatchObject({ name: 'JournalConflict', version: 2, expectedRevision: r1 });
    await expect(journal(s, 'node3').append(commit(config(1, ['z'])), '0')).rejects.toBeInstanceOf(JournalConflict);
    expect((await j.latest())?.config).toEqual(c2.config);
  });

  it('appending the same copy again (an answer lost on the way back) answers its revision and writes nothing', async () => {
    const j = journal(settings(), 'node1');
    const c1 = commit(config(1));
    const r1 = await j.append(c1, '0');
    expect(await j.append(c1, '0')).toBe(r1);
    expect((await j.latest())?.revision).toBe(r1);
  });

  it('refuses a commit whose lineage does not end with its own copy, and a revision that is not one, before any write', async () => {
    const j = journal(settings(), 'node1');
    const c = config(3);
    await expect(j.append({ config: c, lineage: [{ version: 2, checksum: '0123456789abcdef' }], cause: 'x' }, '0')).rejects.toThrow(/lineage of version 3 does not end with its own copy/);
    await expect(j.append(commit(c), '12x')).rejects.toBeInstanceOf(JournalInvalid);
    expect(await j.latest()).toBeUndefined();
  });

  it('a value at PREFIX/config that is not a journal record (or whose checksum does not match) is refused with what is wrong', async () => {
    const s = settings();
    const raw = new EtcdStore(s);
    opened.push(raw);
    const key = `${s.prefix}/config`;
    await raw.txn({ expect: {}, put: { [key]: '{"ConfigVersion": "7"}' }, del: [], readPrefix: key }, 2000);
    await expect(journal(s, 'node1').latest()).rejects.toThrow(new RegExp(`${key} \\(etcd revision \\d+\\) is not a configuration journal record: .*must have required property`));
    const c = commit(config(5));
    const tampered = { format: 1, ConfigVersion: 5, checksum: configChecksum(c.config), config: { ...c.config, Groups: [] }, lineage: c.lineage, cause: 'x', committedBy: 'node1', committedAt: new Date().toISOString() };
    await raw.txn({ expect: {}, put: { [key]: JSON.stringify(tampered) }, del: [], readPrefix: key }, 2000);
    await expect(journal(s, 'node1').latest()).rejects.toThrow(/checksum is [0-9a-f]{16}, not [0-9a-f]{16} as recorded/);
    await raw.txn({ expect: {}, put: { [key]: 'not json' }, del: [], readPrefix: key }, 2000);
    await expect(journal(s, 'node1').latest()).rejects.toThrow(/is not JSON/);
  });

  it('etcd unreachable: a bounded wait, then JournalUnreachable naming the endpoint (nobody listens on the port)', async () => {
    const port = await freePort();
    const j = journal(settings(`http://127.0.0.1:${port}`, 300), 'node1');
    const t0 = performance.now();
    const err = await j.latest().then(
      () => undefined,
      (e: unknown) => e,
    );
    const took = performance.now() - t0;
    expect(err).toBeInstanceOf(JournalUnreachable);
    expect((err as JournalUnreachable).message).toMatch(new RegExp(`configuration journal on etcd \\(http://127.0.0.1:${port}\\) did not answer within 500 ms`));
    expect(took).toBeLessThan(10_000); // bounded (the deadline is 500 ms; generous for a busy machine)
    await expect(j.append(commit(config(1)), '0')).rejects.toBeInstanceOf(JournalUnreachable);
  });

  it('etcd killed while a journal is open: the next round trip fails with JournalUnreachable', async () => {
    const own = await startLocalEtcd();
    try {
      const j = journal(settings(own.endpoint, 300), 'node1');
      const r = await j.append(commit(config(1)), '0');
      expect(r).toMatch(/^\d+$/);
      await own.stop();
      await expect(j.append(commit(config(2), commit(config(1)).lineage), r)).rejects.toBeInstanceOf(JournalUnreachable);
      await expect(j.latest()).rejects.toBeInstanceOf(JournalUnreachable);
    } finally {
      await own.stop();
    }
  });
});

describe('a node that was away catches up from the journal before it runs anything', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mccs-journal-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function nodeStore(name: string, c: MainConfig): Promise<ConfigStore> {
    const home = mkdtempSync(join(dir, `${name}-`));
    writeFileSync(join(home, 'main.json'), JSON.stringify(c));
    const store = new ConfigStore(join(home, 'main.json'), () => name);
    await store.load();
    return store;
  }

  it('behind: takes the newer copy (main.json on disk too); then SAME; a copy ahead of the journal is kept', async () => {
    const s = settings();
    const j = journal(s, 'node1');
    const c1 = commit(config(1));
    const r1 = await j.append(c1, '0');
    const c2 = commit(config(2, ['a', 'b']), c1.lineage, 'group b added');
    const r2 = await j.append(c2, r1);

    const away = await nodeStore('node3', config(1));
    expect(await catchUpFromJournal(j, away)).toEqual({ outcome: 'TAKEN', revision: r2, ConfigVersion: 2 });
    expect(away.version).toBe(2);
    expect(JSON.parse(readFileSync(away.path, 'utf8'))).toEqual(c2.config);
    expect(away.lineage).toEqual(c2.lineage);
    expect(await catchUpFromJournal(j, away)).toMatchObject({ outcome: 'SAME', revision: r2 });

    const ahead = await nodeStore('node2', config(1));
    await ahead.adopt(c2.config, c2.lineage, 'test', true);
    const c3 = commit(config(3, ['a', 'b', 'c']), c2.lineage);
    await ahead.adopt(c3.config, c3.lineage, 'test', true);
    expect(await catchUpFromJournal(j, ahead)).toMatchObject({ outcome: 'KEPT', revision: r2 });
    expect(ahead.version).toBe(3);
  });

  it('diverged (changed apart while away): the journal wins, the local copy is kept beside main.json', async () => {
    const j = journal(settings(), 'node1');
    const c1 = commit(config(1));
    const r1 = await j.append(c1, '0');
    await j.append(commit(config(2, ['a', 'b']), c1.lineage), r1);
    const away = await nodeStore('node3', config(2, ['a', 'local']));
    expect(await catchUpFromJournal(j, away)).toMatchObject({ outcome: 'TAKEN', ConfigVersion: 2 });
    expect(away.current.Groups.map((g) => g.GroupName)).toEqual(['a', 'b']);
    const home = join(away.path, '..');
    expect(readdirSync(home).some((f) => f.startsWith('main.json.diverged-v2-'))).toBe(true);
  });

  it('an empty journal: ABSENT, revision 0 (the first append expects it absent)', async () => {
    const away = await nodeStore('node3', config(4));
    expect(await catchUpFromJournal(journal(settings(), 'node1'), away)).toEqual({ outcome: 'ABSENT', revision: '0' });
    expect(existsSync(away.path)).toBe(true);
    expect(away.version).toBe(4);
  });
});
