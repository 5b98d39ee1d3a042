// The cluster-wide group locks (issue 8) between two nodes in one process:
// the coordinator's table serves its own plans and the peer's in arrival
// order; a release that overtakes its request leaves no orphan holder; a
// waiter whose coordinator stops being one asks again; a peer that leaves
// RUNNING loses what it held; an unreachable coordinator is not waited for.
import { describe, expect, it } from 'vitest';
import { ClusterGroupLocks } from '../../src/cluster/group-locks.js';
import type { PeerResponse } from '../../src/cluster/peer-channel.js';

function pair(opts: { coordinator?: () => string; unreachable?: () => boolean } = {}) {
  const coordinatorOf = opts.coordinator ?? (() => 'node1');
  const alone: string[] = [];
  const applied: unknown[] = [];
  let node1!: ClusterGroupLocks;
  // node2 asks node1 over a "channel" that calls node1's handlers as cluster-node.ts does.
  const request = async (kind: string, body: unknown): Promise<PeerResponse> => {
    if (opts.unreachable?.()) throw new Error('connect EHOSTUNREACH');
    const { group, token } = body as { group: string; token: string };
    if (kind === 'lock.acquire') return (await node1.lockHere(group, token)) ? { ok: true, body: { state: 'node1-state' } } : { ok: false, error: { code: 'CONFLICT', message: 'gave up' } };
    node1.releaseHere(group, token);
    return { ok: true, body: {} };
  };
  node1 = new ClusterGroupLocks({ localNode: 'node1', coordinator: coordinatorOf, request: async () => ({ ok: true, body: {} }), stateBody: () => 'node1-state', applyState: () => undefined, onAlone: () => undefined });
  const node2 = new ClusterGroupLocks({ localNode: 'node2', coordinator: coordinatorOf, request, stateBody: () => 'node2-state', applyState: (b) => applied.push(b), onAlone: (g) => alone.push(g) });
  return { node1, node2, alone, applied };
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('cluster group locks', () => {
  it('one holder per group across both nodes, in arrival order; the grant carries the coordinator state', async () => {
    const { node1, node2, applied } = pair();
    const order: string[] = [];
    const a = await node1.acquire('web');
    const b = node2.acquire('web').then((l) => (order.push('node2'), l));
    const c = node1.acquire('web').then((l) => (order.push('node1 again'), l));
    const other = await node2.acquire('db'); // another group is not held up
    other.release();
    await tick();
    expect(order).toEqual([]);
    a.release();
    (await b).release();
    (await c).release();
    expect(order).toEqual(['node2', 'node1 again']);
    expect(applied).toContain('node1-state');
    expect(node1.held()).toEqual({});
  });

  it('a release that arrives before its request: the request is refused when it comes, nothing stays held', async () => {
    const { node1 } = pair();
    node1.releaseHere('web', 'node2#9');
    expect(await node1.lockHere('web', 'node2#9')).toBe(false);
    expect(node1.held()).toEqual({});
    const l = await node1.acquire('web');
    l.release();
  });

  it('a waiter whose coordinator stops being one asks again of the new one (here: itself)', async () => {
    let coordinator = 'node1';
    const { node1, node2 } = pair({ coordinator: () => coordinator });
    const held = await node1.acquire('web');
    const waiting = node2.acquire('web');
    await tick(20);
    coordinator = 'node2'; // node1 froze: node2 holds the locks now
    const lease = await waiting;
    expect(node1.held().web?.holder).toMatch(/^node1#/); // node1's own plan, untouched
    lease.release();
    held.release();
  });

  it('the peer leaves RUNNING: its holds and waits are released', async () => {
    const { node1 } = pair();
    await node1.lockHere('web', 'node2#1');
    const waiting = node1.lockHere('web', 'node2#2');
    const mine = node1.acquire('web');
    node1.releaseAllOf('node2');
    expect(await waiting).toBe(false);
    (await mine).release();
    expect(node1.held()).toEqual({});
  });

  it('a coordinator that cannot be reached for 3 s is not waited for: the plan is made alone, and said so', async () => {
    const { node2, alone } = pair({ unreachable: () => true });
    const t0 = performance.now();
    const lease = await node2.acquire('web');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(alone).toEqual(['web']);
    lease.release();
  }, 10_000);
});
