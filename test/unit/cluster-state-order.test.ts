// A peer's state bodies arrive on several connections: an older one that
// arrives after a newer one is dropped (src/cluster/state-order.ts).
import { describe, expect, it } from 'vitest';
import { StateOrder } from '../../src/cluster/state-order.js';

describe('the order of a peer state bodies', () => {
  it('takes newer bodies, drops one overtaken by a newer one, per peer', () => {
    const o = new StateOrder();
    expect(o.accept('node2', 'a1', 1)).toBe(true);
    expect(o.accept('node2', 'a1', 3)).toBe(true);
    // seq 2 was sent before 3 but arrived after it: STARTING after ONLINE.
    expect(o.accept('node2', 'a1', 2)).toBe(false);
    expect(o.accept('node2', 'a1', 3)).toBe(false);
    expect(o.accept('node2', 'a1', 4)).toBe(true);
    // Another peer has its own order.
    expect(o.accept('node3', 'b1', 1)).toBe(true);
  });

  it('a restarted peer (new incarnation) starts a new order; a body without an order is always taken', () => {
    const o = new StateOrder();
    expect(o.accept('node2', 'a1', 50)).toBe(true);
    expect(o.accept('node2', 'a2', 1)).toBe(true);
    expect(o.accept('node2', 'a2', 2)).toBe(true);
    expect(o.accept('node2', undefined, undefined)).toBe(true);
    expect(o.accept('node2', 'a2', 1)).toBe(false);
  });
});
