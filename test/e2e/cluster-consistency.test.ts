// One coordinator for the cluster's state (issue 8), in the two-node lab:
// changes made at the same moment on both nodes are all kept, in one order,
// on both nodes; --if-version refuses a stale change; copies changed apart
// during a partition are detected (CONFIG_DIVERGED) and resolved the same way
// on both nodes (the coordinator's copy wins, the other is kept aside); and
// one plan per group runs at a time cluster-wide.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterLab, clusterConfig, GROUP, IS_ROOT, RES, VIP4 } from '../helpers/cluster-lab.js';
import type { EventRecord } from '../../src/api/protocol.js';
import type { NodeName } from '../lab/lab.js';

if (!IS_ROOT) console.log('cluster-consistency.test: skipped: the two-node lab needs root (network, PID and mount namespaces)');

const NODES: NodeName[] = ['node1', 'node2'];
const ACTIVE = new Set(['STARTING', 'ONLINE', 'STOPPING']);

/**
 * From both nodes' event logs (one clock: one machine), the moments a
 * resource was starting, online or stopping on both nodes at once. At equal
 * times a step that ends activity is taken first.
 */
function overlaps(events: EventRecord[], resources: string[]): string[] {
  const rows = events
    .filter((e) => e.resource && resources.includes(e.resource) && e.newState && typeof e.facts?.node === 'string')
    .map((e) => ({ time: e.time, res: e.resource!, node: e.facts!.node as string, active: ACTIVE.has(e.newState!) }))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : Number(a.active) - Number(b.active)));
  const state = new Map<string, boolean>();
  const out: string[] = [];
  for (const r of rows) {
    state.set(`${r.res}@${r.node}`, r.active);
    const on = NODES.filter((n) => state.get(`${r.res}@${n}`) === true);
    if (on.length > 1) out.push(`${r.time} ${r.res} active on ${on.join(' and ')}`);
  }
  return out;
}

interface MembershipView {
  configVersion: number;
  configChecksum: string;
  coordinator: string;
  configAgreement: string;
  peers: { node: string; configVersion: number | null; configChecksum: string | null }[];
}

describe.skipIf(!IS_ROOT)('one coordinator for the cluster state', () => {
  let cl: ClusterLab;

  beforeAll(async () => {
    cl = await ClusterLab.create('cns', clusterConfig({ ConfigVersion: 1 }));
    await cl.startBoth('running');
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 20_000 });
    for (let i = 0; i < 10; i++) await cl.call('node1', 'grp.add', { group: `g${i}`, attributes: { AutoStart: 'false' } });
  }, 90_000);

  afterAll(async () => {
    await cl?.destroy();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump()}`);
  });

  const membership = async (n: NodeName): Promise<MembershipView> => ((await cl.call<{ membership: MembershipView }>(n, 'cluster.status')).membership);

  /** Both nodes RUNNING and holding the same configuration (version and checksum), main.json equal on disk. */
  async function waitAgreement(timeoutMs = 10_000): Promise<void> {
    await cl.waitFor('both nodes to hold the same configuration', async () => {
      const [a, b] = await Promise.all(NODES.map((n) => membership(n)));
      return a!.configVersion === b!.configVersion && a!.configChecksum === b!.configChecksum && a!.configAgreement === 'AGREE' && b!.configAgreement === 'AGREE';
    }, timeoutMs);
    expect(cl.readConfig('node1')).toEqual(cl.readConfig('node2'));
  }

  const faultClear = (config: ReturnType<ClusterLab['readConfig']>, g: string): unknown => config.Groups.find((x) => x.GroupName === g)?.AutoFaultClearTime;

  it('ten changes at the same moment, five given to each node: every one answers ok with its own version and is in main.json on both nodes', async () => {
    await waitAgreement();
    const start = cl.readConfig('node1').ConfigVersion;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => cl.rpc<{ ConfigVersion: number; committedOn: string[] }>(i % 2 === 0 ? 'node1' : 'node2', 'grp.modify', { group: `g${i}`, attributes: { AutoFaultClearTime: String(100 + i) } })),
    );
    for (const a of answers) expect(a.ok, JSON.stringify(a)).toBe(true);
    const versions = answers.map((a) => (a.ok ? a.result.ConfigVersion : -1));
    expect(new Set(versions).size, `versions ${versions.join(',')}`).toBe(10);
    for (const a of answers) if (a.ok) expect([...a.result.committedOn].sort()).toEqual(['node1', 'node2']);
    await waitAgreement();
    const config = cl.readConfig('node2');
    expect(config.ConfigVersion).toBe(start + 10);
    for (let i = 0; i < 10; i++) expect(faultClear(config, `g${i}`)).toBe(100 + i);
  }, 60_000);

  it('ten changes at the same moment given to node2 only (forwarded to the coordinator node1): all kept, no divergence', async () => {
    const m = await membership('node2');
    expect(m.coordinator).toBe('node1');
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => cl.rpc('node2', 'grp.modify', { group: `g${i}`, attributes: { AutoFaultClearTime: String(200 + i) } })));
    for (const a of answers) expect(a.ok, JSON.stringify(a)).toBe(true);
    await waitAgreement();
    for (const n of NODES) for (let i = 0; i < 10; i++) expect(faultClear(cl.readConfig(n), `g${i}`)).toBe(200 + i);
    expect(cl.events('node1').concat(cl.events('node2')).filter((e) => e.rule === 'CONFIG_DIVERGED')).toEqual([]);
  }, 60_000);

  it('two changes of the same attribute at the same moment: both answer ok, the one with the higher version is the value', async () => {
    const answers = await Promise.all(NODES.map((n, i) => cl.rpc<{ ConfigVersion: number }>(n, 'grp.modify', { group: 'g0', attributes: { AutoFaultClearTime: String(300 + i) } })));
    for (const a of answers) expect(a.ok, JSON.stringify(a)).toBe(true);
    const [v1, v2] = answers.map((a) => (a.ok ? a.result.ConfigVersion : -1)) as [number, number];
    expect(v1).not.toBe(v2);
    await waitAgreement();
    expect(faultClear(cl.readConfig('node1'), 'g0')).toBe(v1 > v2 ? 300 : 301);
  }, 60_000);

  it('--if-version: a change against a version that is no longer current is refused with CONFLICT naming the current version; nothing changes', async () => {
    const current = cl.readConfig('node1').ConfigVersion;
    for (const n of NODES) {
      const stale = await cl.rpc(n, 'grp.modify', { group: 'g1', attributes: { AutoFaultClearTime: '9' }, ifVersion: current - 1 });
      expect(stale.ok).toBe(false);
      if (!stale.ok) {
        expect(stale.error.code).toBe('CONFLICT');
        expect(stale.error.message).toContain(`version ${current}`);
      }
    }
    expect(cl.readConfig('node1').ConfigVersion).toBe(current);
    const state = await cl.rpc('node2', 'grp.offline', { group: 'g3', ifVersion: current + 5 });
    expect(state.ok).toBe(false);
    const fresh = await cl.rpc<{ ConfigVersion: number }>('node2', 'grp.modify', { group: 'g1', attributes: { AutoFaultClearTime: '9' }, ifVersion: current });
    expect(fresh.ok, JSON.stringify(fresh)).toBe(true);
    if (fresh.ok) expect(fresh.result.ConfigVersion).toBe(current + 1);
    // Two scripts racing with the same guard: exactly one wins.
    const race = await Promise.all(NODES.map((n) => cl.rpc(n, 'grp.modify', { group: 'g2', attributes: { AutoFaultClearTime: n === 'node1' ? '71' : '72' }, ifVersion: current + 1 })));
    expect(race.filter((r) => r.ok).length).toBe(1);
    expect(race.filter((r) => !r.ok && r.error.code === 'CONFLICT').length).toBe(1);
    await waitAgreement();
  }, 60_000);

  it('a temporary lock given on node2 holds on both nodes: online and switch refused (LOCKED) wherever they are asked; unlock lifts it on both', async () => {
    await cl.call('node2', 'grp.lock', { group: GROUP, temporary: true });
    await cl.waitFor('the temporary lock seen by both nodes', async () => {
      const rows = await Promise.all(NODES.map((n) => cl.call<{ Locked: boolean; node: string }[]>(n, 'grp.state', { group: GROUP })));
      return rows.every((r) => r.every((x) => x.Locked));
    }, 5000);
    for (const n of NODES) {
      const r = await cl.rpc(n, 'grp.switch', { group: GROUP, node: n === 'node1' ? 'node2' : 'node1' });
      expect(r.ok, JSON.stringify(r)).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/lock/i);
    }
    await cl.call('node1', 'grp.unlock', { group: GROUP });
    await cl.waitFor('the temporary lock lifted on both nodes', async () => {
      const rows = await Promise.all(NODES.map((n) => cl.call<{ Locked: boolean }[]>(n, 'grp.state', { group: GROUP })));
      return rows.every((r) => r.every((x) => !x.Locked));
    }, 5000);
  }, 30_000);

  it('cluster.events with all: both nodes\' logs merged by time, read on either node', async () => {
    for (const n of NODES) {
      const events = await cl.call<EventRecord[]>(n, 'cluster.events', { all: true, limit: 2000 });
      const nodes = new Set(events.map((e) => e.node));
      expect([...nodes].sort()).toEqual(['node1', 'node2']);
      const times = events.map((e) => e.time);
      expect(times).toEqual([...times].sort());
      const mine = await cl.call<EventRecord[]>(n, 'cluster.events', { limit: 2000 });
      expect(new Set(mine.map((e) => e.node))).toEqual(new Set([n]));
    }
  }, 30_000);

  it('users added on node2 are in users.json on both nodes', async () => {
    const r = await cl.rpc('node2', 'users.add', { name: 'opsbot', role: 'Monitor', password: 'pw-opsbot-1' });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    for (const n of NODES) {
      const users = JSON.parse(readFileSync(join(cl.home(n), 'config/users.json'), 'utf8')) as { users: { name: string }[] };
      expect(users.users.map((u) => u.name)).toContain('opsbot');
    }
  }, 30_000);

  it('50 rounds of switches given on both nodes at the same instant (opposite targets, then the same target): each round ends ONLINE on exactly one node; no resource started twice or active on both', async () => {
    await cl.restore('node1');
    const m = cl.mark();
    for (let round = 0; round < 50; round++) {
      const states = await cl.groupStates('node1');
      const holder: NodeName = states.node1 === 'ONLINE' ? 'node1' : 'node2';
      const away: NodeName = holder === 'node1' ? 'node2' : 'node1';
      // Even rounds: opposite targets (node1 → node2, node2 → node1). Odd rounds: both ask to move the group away from its holder.
      const targets: Record<NodeName, NodeName> = round % 2 === 0 ? { node1: 'node2', node2: 'node1' } : { node1: away, node2: away };
      const r = cl.mark();
      const answers = await Promise.all(NODES.map((n) => cl.rpc(n, 'grp.switch', { group: GROUP, node: targets[n], wait: true, timeout: 60 })));
      for (const a of answers) expect(a.ok, `round ${round}: ${JSON.stringify(a)}`).toBe(true);
      for (const viewer of NODES) {
        const now = await cl.groupStates(viewer);
        expect(NODES.filter((n) => now[n] === 'ONLINE').length, `round ${round} seen by ${viewer}: ${JSON.stringify(now)}`).toBe(1);
        expect(NODES.filter((n) => now[n] === 'OFFLINE').length, `round ${round} seen by ${viewer}: ${JSON.stringify(now)}`).toBe(1);
      }
      // Every switch here moves the group at most once per command: a resource starts at most once per node and command.
      const starts = new Map<string, number>();
      for (const n of NODES) for (const e of cl.eventsSince(n, r)) if (e.newState === 'STARTING' && e.resource) starts.set(`${e.resource}@${e.facts?.node}`, (starts.get(`${e.resource}@${e.facts?.node}`) ?? 0) + 1);
      for (const [key, count] of starts) expect(count, `round ${round}: ${key} started ${count} times`).toBeLessThanOrEqual(1);
    }
    const events = [...cl.eventsSince('node1', m), ...cl.eventsSince('node2', m)];
    expect(overlaps(events, [RES.ip, RES.app])).toEqual([]);
    expect(events.filter((e) => e.rule === 'ONLINE_DONE').length, 'the group did move').toBeGreaterThan(50);
    await cl.waitFor('the VIP on exactly one node', async () => (await cl.vipHolders(VIP4)).length === 1, 10_000);
  }, 300_000);

  it('a switch given on node2 while a critical resource fails on node1: ordered, never interleaved; the group ends ONLINE on exactly one node', async () => {
    await cl.restore('node1');
    for (let round = 0; round < 5; round++) {
      const on = (await cl.groupStates('node1')).node1 === 'ONLINE' ? 'node1' : 'node2';
      const away: NodeName = on === 'node1' ? 'node2' : 'node1';
      const m = cl.mark();
      const [pid] = await cl.echoPids(on);
      expect(pid, `the echo process on ${on}`).toBeGreaterThan(0);
      process.kill(pid!, 'SIGKILL');
      const answer = await cl.rpc(away, 'grp.switch', { group: GROUP, node: away, wait: true, timeout: 60 });
      expect(answer.ok || answer.error.code === 'CONFLICT' || answer.error.code === 'FAILED', JSON.stringify(answer)).toBe(true);
      await cl.waitFor('the group ONLINE on exactly one node and OFFLINE or FAULTED on the other', async () => {
        const s = await cl.groupStates('node1');
        return NODES.filter((n) => s[n] === 'ONLINE').length === 1 && NODES.every((n) => ['ONLINE', 'OFFLINE', 'FAULTED'].includes(s[n]));
      }, 30_000);
      const events = [...cl.eventsSince('node1', m), ...cl.eventsSince('node2', m)];
      expect(overlaps(events, [RES.ip, RES.app]), `round ${round}`).toEqual([]);
      // Clear the fault for the next round.
      for (const n of NODES) await cl.rpc(n, 'grp.clear', { group: GROUP, node: n, wait: true, timeout: 30 });
    }
  }, 300_000);

  it('copies changed apart during a partition: CONFIG_DIVERGED with both checksums, the coordinator node1 wins on both, node2 keeps its copy beside main.json', async () => {
    const m = cl.mark();
    await Promise.all([cl.cutPeerPath('primary', true), cl.cutPeerPath('secondary', true)]);
    try {
      await cl.waitFor('each node to see the other gone', async () => {
        const [s1, s2] = await Promise.all([cl.nodeStates('node1'), cl.nodeStates('node2')]);
        return s1.node2 !== 'RUNNING' && s2.node1 !== 'RUNNING';
      }, 20_000);
      // Each side coordinates alone: both changes succeed, on one node each.
      const a = await cl.call<{ ConfigVersion: number; notOn?: string[] }>('node1', 'grp.modify', { group: 'g5', attributes: { AutoFaultClearTime: '501' } });
      const b = await cl.call<{ ConfigVersion: number; notOn?: string[] }>('node2', 'grp.modify', { group: 'g6', attributes: { AutoFaultClearTime: '602' } });
      await cl.call('node2', 'grp.modify', { group: 'g7', attributes: { AutoFaultClearTime: '702' } });
      expect(a.notOn).toEqual(['node2']);
      expect(b.notOn).toEqual(['node1']);
    } finally {
      await Promise.all([cl.cutPeerPath('primary', false), cl.cutPeerPath('secondary', false)]);
    }
    await cl.waitBothRunning(30_000);
    await waitAgreement(15_000);
    const diverged = [...cl.eventsSince('node1', m), ...cl.eventsSince('node2', m)].filter((e) => e.rule === 'CONFIG_DIVERGED');
    expect(diverged.length, 'a CONFIG_DIVERGED event').toBeGreaterThan(0);
    expect(JSON.stringify(diverged[0]!.facts)).toMatch(/checksum/);
    const final = cl.readConfig('node2');
    expect(faultClear(final, 'g5')).toBe(501); // node1's change kept
    expect(faultClear(final, 'g6')).not.toBe(602); // node2's copy lost the divergence...
    const aside = readdirSync(join(cl.home('node2'), 'config')).filter((f) => f.startsWith('main.json.diverged-'));
    expect(aside.length, 'node2 keeps its own copy').toBe(1);
    const kept = JSON.parse(readFileSync(join(cl.home('node2'), 'config', aside[0]!), 'utf8')) as ReturnType<ClusterLab['readConfig']>;
    expect(faultClear(kept, 'g6')).toBe(602); // ...and keeps it beside main.json
    expect(faultClear(kept, 'g7')).toBe(702);
    expect(readdirSync(join(cl.home('node1'), 'config')).filter((f) => f.startsWith('main.json.diverged-'))).toEqual([]);
    // Heal leaves the group on exactly one node.
    await cl.waitFor('the VIP on exactly one node', async () => (await cl.vipHolders(VIP4)).length === 1, 20_000);
  }, 120_000);
});
