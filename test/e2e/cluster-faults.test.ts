// Fencing in the lab (issue 3): a FenceProgram that powers off the peer's
// namespace runs before any takeover, and a failing one blocks it. The
// program (a shell script in the lab's test directory) runs inside node2's
// namespaces: it cannot reach node1's processes, so it asks the test to do
// it: it appends the peer's name to a request file and waits for a "done"
// file (bounded); in "fail" mode it exits 1 at once. Only the test powers
// off anything, and only the lab's own node (lab.powerOff: its init by PID).
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labDir } from '../lab/cleanup.js';
import { sleep } from '../lab/exec.js';
import { ClusterLab, clusterConfig, IS_ROOT, VIP4 } from '../helpers/cluster-lab.js';

if (!IS_ROOT) console.log('cluster-faults.test: skipped: the two-node lab needs root (network, PID and mount namespaces)');

const LAB_ID = 'cfe';
const FENCE_DIR = join(labDir(LAB_ID), 'test', 'fence');
const FENCE = join(FENCE_DIR, 'fence.sh');

const FENCE_SCRIPT = `#!/bin/sh
# FenceProgram of the lab test: $1 is the peer to fence; hostname is the node asking (each node has its own UTS namespace).
dir='${FENCE_DIR}'
me=$(hostname)
echo "$me $1" >> "$dir/requests"
if [ "$(cat "$dir/mode" 2>/dev/null)" = fail ]; then
  echo "fence: cannot reach the power switch of $1 (test mode: fail)" >&2
  exit 1
fi
i=0
while [ ! -e "$dir/done-$me-$1" ]; do
  i=$((i + 1))
  if [ $i -gt 300 ]; then echo "fence: no confirmation for $1" >&2; exit 1; fi
  sleep 0.1
done
rm -f "$dir/done-$me-$1"
echo "fence: $1 is powered off"
`;

function requests(): string[] {
  const f = join(FENCE_DIR, 'requests');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
}

describe.skipIf(!IS_ROOT)('fencing in the lab', () => {
  let cl: ClusterLab;

  beforeAll(async () => {
    cl = await ClusterLab.create(LAB_ID, clusterConfig({ cluster: { FenceProgram: FENCE } }));
    mkdirSync(FENCE_DIR, { recursive: true });
    writeFileSync(FENCE, FENCE_SCRIPT);
    chmodSync(FENCE, 0o755);
    await cl.startBoth('running');
    await cl.waitGroup({ node1: 'ONLINE', node2: 'OFFLINE' });
    await cl.waitVip(VIP4, 'node1');
  }, 60_000);

  afterAll(async () => {
    await cl?.destroy();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail' && cl) console.log(`--- ${ctx.task.name}: the nodes at failure ---\n${cl.dump()}`);
  });

  it('with a FenceProgram, status does not warn about a partition running a group twice', async () => {
    for (const n of ['node1', 'node2'] as const) expect((await cl.clusterStatus(n)).warnings.filter((w) => w.includes('NO_FENCING'))).toEqual([]);
  });

  it('node1 cut off from node2 (both still up): node2 fences node1 (powers it off) before it takes over; never on both', async () => {
    const m = cl.mark();
    const before = requests().length;
    await Promise.all([cl.cutPeerPath('primary', true), cl.cutPeerPath('secondary', true)]);
    try {
      // Both nodes see a silent peer while they reach the gateway: each asks to fence the other; the test
      // grants node2's request (node1's waits, and dies with node1).
      await cl.waitFor('a fence request from node2', () => requests().slice(before).includes('node2 node1'), 15_000, 50);
      await cl.waitEvent('node2', m, 'FENCE_STARTED', 2000);
      // The takeover waits for the fence: node1 still holds the group, node2 has started nothing.
      await sleep(1000);
      expect(cl.rulesSince('node2', m).filter((r) => r === 'ONLINE_DONE' || r === 'DECISION_NODE_FAULT')).toEqual([]);
      expect((await cl.groupStates('node2')).node2).toBe('OFFLINE');
      expect(await cl.vipHolders(VIP4)).toEqual(['node1']);
      // The fence acts: node1 is powered off, then confirmed.
      await cl.powerOff('node1');
      writeFileSync(join(FENCE_DIR, 'done-node2-node1'), '');
      await cl.waitEvent('node2', m, 'FENCE_SUCCEEDED', 10_000);
      await cl.waitGroup({ node2: 'ONLINE' }, { viewers: ['node2'] });
      await cl.waitVip(VIP4, 'node2');
      const rules = cl.rulesSince('node2', m);
      const fenced = rules.indexOf('FENCE_SUCCEEDED');
      expect(fenced).toBeGreaterThanOrEqual(0);
      expect(rules.indexOf('DECISION_NODE_FAULT')).toBeGreaterThan(fenced);
      expect(rules.indexOf('ONLINE_DONE')).toBeGreaterThan(fenced);
      const decision = cl.eventsSince('node2', m).find((e) => e.rule === 'DECISION_NODE_FAULT');
      expect(decision?.facts?.fenced).toBe(true);
      expect((await cl.nodeStates('node2')).node1).toBe('FAULTED');
    } finally {
      await Promise.all([cl.cutPeerPath('primary', false), cl.cutPeerPath('secondary', false)]);
    }
    // node1 back: it joins, the group stays on node2 (exactly one holder), then the known state again.
    await cl.powerOn('node1', 'running');
    await cl.waitGroup({ node1: 'OFFLINE', node2: 'ONLINE' });
    await cl.waitVip(VIP4, 'node2');
    await cl.restore('node1');
  }, 90_000);

  it('a failing FenceProgram (exit 1) blocks the takeover after a power-off of node1; it is retried, and takeover follows its first success', async () => {
    writeFileSync(join(FENCE_DIR, 'mode'), 'fail');
    const m = cl.mark();
    const before = requests().length;
    try {
      await cl.powerOff('node1');
      const failed = await cl.waitEvent('node2', m, 'FENCE_FAILED', 15_000);
      expect(failed.message).toMatch(/exited 1/);
      expect(JSON.stringify(failed.facts)).toContain('cannot reach the power switch');
      // Blocked: nobody holds the group, across a retry (every 5 s).
      await cl.waitFor('a second failed attempt', () => cl.rulesSince('node2', m).filter((r) => r === 'FENCE_FAILED').length >= 2, 12_000, 100);
      expect(cl.rulesSince('node2', m).filter((r) => r === 'ONLINE_DONE' || r === 'DECISION_NODE_FAULT')).toEqual([]);
      expect((await cl.groupStates('node2')).node2).toBe('OFFLINE');
      await cl.waitVip(VIP4, null, 3000);
      expect(await cl.echoPids('node2')).toEqual([]);
      expect(requests().slice(before).filter((r) => r === 'node2 node1').length).toBeGreaterThanOrEqual(2);
      // The switch answers again: the next attempt succeeds, then node2 takes over.
      writeFileSync(join(FENCE_DIR, 'done-node2-node1'), '');
      rmSync(join(FENCE_DIR, 'mode'), { force: true });
      await cl.waitEvent('node2', m, 'FENCE_SUCCEEDED', 15_000);
      await cl.waitGroup({ node2: 'ONLINE' }, { viewers: ['node2'] });
      await cl.waitVip(VIP4, 'node2');
    } finally {
      rmSync(join(FENCE_DIR, 'mode'), { force: true });
    }
    await cl.restore('node1');
  }, 90_000);
});
