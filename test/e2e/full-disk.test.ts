// A full disk stops nothing (issue 8): each node's MCCS_HOME is a small tmpfs
// filled to the last page while the cluster runs. A killed Process resource
// is restarted, both engines restarted on the full disk start their group
// (AutoStart), a final failure fails the group over to the peer, the event
// log keeps its records in memory (shown by `mccluster events`, with one
// LOG_WRITE_FAILED) and writes them once space returns.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterLab, clusterConfig, GROUP, IS_ROOT, RES, VIP4 } from '../helpers/cluster-lab.js';
import type { NodeName } from '../lab/lab.js';
import type { EventRecord } from '../../src/api/protocol.js';

if (!IS_ROOT) console.log('full-disk.test: skipped: tmpfs mounts and the two-node lab need root');

const NODES: NodeName[] = ['node1', 'node2'];

function fill(home: string): void {
  // Big blocks first, then pages until the file system refuses even one.
  for (const [name, bs] of [['fill-big', '1M'], ['fill-pages', '4k']] as const) {
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(home, name)}`, `bs=${bs}`], { stdio: 'ignore' });
    } catch {
      // ENOSPC ends dd with status 1: that is the point
    }
  }
  const df = execFileSync('df', ['--output=avail', '-B1', home], { encoding: 'utf8' }).trim().split('\n').pop()!.trim();
  if (Number(df) !== 0) throw new Error(`${home} still has ${df} bytes free`);
}

describe.skipIf(!IS_ROOT)('a full disk under MCCS_HOME stops nothing', () => {
  let cl: ClusterLab;
  const mounted: string[] = [];

  beforeAll(async () => {
    cl = await ClusterLab.create('fdk', clusterConfig({ restartLimit: 1 }));
    // Each home becomes a 3 MB tmpfs holding the same files (before the nodes boot, so they see it).
    for (const n of NODES) {
      const home = cl.home(n);
      const keep = mkdtempSync('/tmp/mccs-fdk-');
      cpSync(home, keep, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0755', 'tmpfs', home]);
      mounted.push(home);
      cpSync(keep, home, { recursive: true });
      rmSync(keep, { recursive: true, force: true });
    }
    await cl.startBoth('running');
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 20_000 });
    for (const n of NODES) fill(cl.home(n));
  }, 90_000);

  afterAll(async () => {
    for (const home of mounted) {
      try {
        execFileSync('umount', ['-l', home]);
      } catch {
        // already gone
      }
    }
    await cl?.destroy();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump()}`);
  });

  const apiEvents = (n: NodeName) => cl.call<EventRecord[]>(n, 'cluster.events', {});

  it('a killed Process resource is restarted in place on the full disk; LOG_WRITE_FAILED says what could not be written', async () => {
    const [before] = await cl.echoPids('node1');
    expect(before).toBeGreaterThan(0);
    process.kill(before!, 'SIGKILL');
    const after = await cl.waitFor('a new echo process on node1', async () => {
      const pids = await cl.echoPids('node1');
      return pids.length === 1 && pids[0] !== before ? pids[0] : undefined;
    }, 20_000);
    expect(after).toBeGreaterThan(0);
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 10_000 });
    const events = await apiEvents('node1');
    expect(events.some((e) => e.rule === 'RESTART_IN_PLACE'), 'the restart is in the event log (memory)').toBe(true);
    const failed = events.filter((e) => e.rule === 'LOG_WRITE_FAILED');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.map((e) => e.message).join('\n')).toMatch(/ENOSPC/);
  }, 60_000);

  it('both engines restarted on the full disk: the group is started again (AutoStart) on node1', async () => {
    await Promise.all(NODES.map((n) => cl.stopEngine(n)));
    for (const pid of await cl.echoPids('node1')) process.kill(pid, 'SIGKILL');
    await cl.startBoth('running');
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' }, { timeoutMs: 30_000 });
    expect((await cl.echoPids('node1')).length).toBe(1);
    await cl.waitVip(VIP4, 'node1');
  }, 90_000);

  it('a final failure on node1 fails the group over to node2 (both disks full)', async () => {
    for (let kill = 0; kill < 2; kill++) {
      const [pid] = await cl.waitFor('the echo process on node1', async () => {
        const pids = await cl.echoPids('node1');
        return pids.length === 1 ? pids : undefined;
      }, 20_000);
      process.kill(pid!, 'SIGKILL');
      if (kill === 0) await cl.waitFor('the restart', async () => (await cl.echoPids('node1')).some((p) => p !== pid), 20_000);
    }
    await cl.waitGroup({ node2: 'ONLINE' }, { timeoutMs: 30_000 });
    await cl.waitVip(VIP4, 'node2');
    expect((await apiEvents('node2')).some((e) => e.rule === 'ONLINE_DONE' && e.resource === RES.app)).toBe(true);
  }, 90_000);

  it('space returns: the records kept in memory reach events.jsonl', async () => {
    for (const n of NODES) for (const f of ['fill-big', 'fill-pages']) rmSync(join(cl.home(n), f), { force: true });
    // Any new event flushes what waited.
    await cl.call('node2', 'grp.freeze', { group: GROUP });
    await cl.call('node2', 'grp.unfreeze', { group: GROUP });
    const onDisk = readFileSync(join(cl.home('node1'), 'log/events.jsonl'), 'utf8');
    expect(onDisk).toContain('RESTART_IN_PLACE');
    expect(onDisk).toContain('LOG_WRITE_FAILED');
  }, 30_000);
});
