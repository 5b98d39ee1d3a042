// Issue 15 item 5: no flood of garbage rotates real history out of the event
// log. Rejection events are limited globally per kind (whatever the source
// address or port), and a summary event says how many more were rejected.
// Attacker traffic: garbage UDP datagrams from many source ports and garbage
// TCP connections, on 127.0.0.0/8, bounded in count.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitValue } from '../../src/limits/constants.js';
import { RejectionLimiter, type RejectionSummary } from '../../src/limits/rejection-limiter.js';
import { waitFor } from '../helpers/engine-harness.js';
import { mcclusterStatus, startTarget, type TargetNode } from '../helpers/security-node.js';

describe('RejectionLimiter (unit, injected clock)', () => {
  it('admits the first N of a kind per window, counts the rest and sums them up when the window closes', () => {
    let now = 0;
    const summaries: RejectionSummary[] = [];
    const l = new RejectionLimiter({ perWindow: 3, windowMs: 60_000, clock: () => now, onSummary: (s) => summaries.push(s) });
    const admitted = Array.from({ length: 10 }, () => l.admit('MESSAGE_REJECTED heartbeat')).filter(Boolean).length;
    expect(admitted).toBe(3);
    expect(l.admit('LOGIN_FAILED (password)')).toBe(true); // kinds apart
    now = 59_999;
    l.flush();
    expect(summaries).toEqual([]);
    now = 60_000;
    l.flush();
    expect(summaries).toEqual([{ kind: 'MESSAGE_REJECTED heartbeat', suppressed: 7, windowMs: 60_000 }]);
    expect(l.admit('MESSAGE_REJECTED heartbeat')).toBe(true); // a new minute
    expect(l.totals.get('MESSAGE_REJECTED heartbeat')).toBe(11);
  });
});

describe('a flood of garbage against a real engine (127.0.0.191)', () => {
  let node: TargetNode;
  const sockets: UdpSocket[] = [];
  beforeAll(async () => {
    node = await startTarget({ address: '127.0.0.191', peerAddress: '127.0.0.192', hbPort: 28351 });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await node?.cleanup();
  });

  it('50,000 garbage heartbeats from 2,000 source ports make at most the per-minute limit of events, then one summary', async () => {
    const before = node.eventsText().length;
    const garbage = Buffer.from('MCCS\u0001\u0001 this is not a sealed heartbeat, just noise from a port scanner');
    for (let i = 0; i < 2000; i++) {
      const s = createSocket('udp4');
      sockets.push(s);
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    }
    for (let round = 0; round < 25; round++) {
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.send(garbage, node.hbPort, node.address, () => r()))));
    }
    // Engine still answers an operator during and after the flood.
    const st = await mcclusterStatus(node.home);
    expect(st.code).toBe(0);
    const rejected = await waitFor('the engine to count the flood', async () => {
      const s = (await node.status()) as any;
      const n = s.result.security.rejected['MESSAGE_REJECTED heartbeat'] ?? 0;
      return n >= 25_000 ? n : false; // UDP may drop some on a busy machine
    }, 30_000, 200);
    const records = () => node.eventsText().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const recorded = records().filter((e) => e.rule === 'MESSAGE_REJECTED' && e.facts.channel === 'heartbeat');
    expect(recorded.length).toBeLessThanOrEqual(limitValue('REJECTION_EVENTS_PER_MINUTE'));
    expect(node.eventsText().length - before).toBeLessThan(50_000);
    // The minute closes with one summary naming how many more there were.
    const summary = await waitFor('the summary event', () => records().find((e) => e.rule === 'REJECTIONS_SUPPRESSED' && e.facts.kind === 'MESSAGE_REJECTED heartbeat'), 75_000, 500);
    expect(summary.message).toMatch(/^\d+ more MESSAGE_REJECTED heartbeat rejected in the last minute/);
    expect(summary.facts.suppressed).toBe(rejected - recorded.length);
  }, 150_000);

  it('garbage connections to the peer channel are limited the same way', async () => {
    const kinds = () => node.eventsText().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.rule === 'MESSAGE_REJECTED' && e.facts.channel === 'peer channel');
    for (let i = 0; i < 300; i++) {
      await new Promise<void>((resolve) => {
        const s = connect({ host: node.address, port: node.commandPort, localAddress: `127.0.${1 + (i % 200)}.${1 + (i % 250)}` }, () => {
          const head = Buffer.alloc(4);
          head.writeUInt32BE(40, 0);
          s.end(Buffer.concat([head, Buffer.alloc(40, 7)]));
        });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
    }
    const s = (await node.status()) as any;
    expect(s.result.security.rejected['MESSAGE_REJECTED peer channel']).toBeGreaterThanOrEqual(300);
    expect(kinds().length).toBeLessThanOrEqual(limitValue('REJECTION_EVENTS_PER_MINUTE'));
  }, 60_000);
});
