// The witness's share of a decision (issue 11), as plain data: the peer is
// silent on both heartbeat links since 10_000 (every link down at 11_000)
// and on ICMP, this node still reaches the gateway; what does the witness
// add? Then the lease rules of src/witness/lease.ts.
import { describe, expect, it } from 'vitest';
import { decide, type FaultFacts, type WitnessFact } from '../../src/cluster/fault-decision.js';
import { holdVerdict, leaseTimings, ownerDeadline, stalled, takeableAt } from '../../src/witness/lease.js';

const facts = (now: number, witness?: WitnessFact): FaultFacts => ({
  now,
  startedAt: 0,
  links: [
    { link: 'PRIMARY', lastHeardAt: 10_000 },
    { link: 'SECONDARY', lastHeardAt: 10_000 },
  ],
  hbIntervalMs: 1000,
  splitThresholdMs: 500,
  hbTimeoutMs: 1000,
  isolationTestTimeoutMs: 3000,
  peerAddresses: [{ address: '10.213.0.2', lastAnswerAt: 10_000 }],
  testAddresses: [{ address: '10.213.0.254', lastAnswerAt: now - 50 }],
  fenceConfigured: false,
  witness,
});

describe('fault decision with a witness', () => {
  it('without a witness: NODE_FAULT once heartbeat and ICMP are silent (today)', () => {
    expect(decide(facts(11_100)).verdict).toBe('NODE_FAULT');
  });

  it('the peer still renews at the witness: PARTITION, no takeover, decided again when its renewal would run out', () => {
    const d = decide(facts(11_100, { reachable: true, peerAliveUntil: 11_900, peerReachable: true, marginMs: 200 }));
    expect(d).toMatchObject({ verdict: 'PARTITION', code: 'PARTITION', recheckAt: 11_900 });
    expect(d.message).toMatch(/still renews at the witness/);
  });

  it('the peer renewed after the links went down: PARTITION; its last renewal is from before the silence: WAIT for a newer one or its end (no PARTITION record for a dead node)', () => {
    expect(decide(facts(11_100, { reachable: true, peerAliveUntil: 11_900, peerRenewedAt: 11_050, peerReachable: true, marginMs: 200 }))).toMatchObject({ verdict: 'PARTITION', code: 'PARTITION' });
    const d = decide(facts(11_100, { reachable: true, peerAliveUntil: 11_900, peerRenewedAt: 10_900, peerReachable: true, marginMs: 200 }));
    expect(d).toMatchObject({ verdict: 'WAIT', code: 'WITNESS_PENDING', recheckAt: 11_900 });
    // Exactly at the silence: not after it, so not proof of life.
    expect(decide(facts(11_100, { reachable: true, peerAliveUntil: 11_900, peerRenewedAt: 11_000, marginMs: 200 })).code).toBe('WITNESS_PENDING');
  });

  it('the peer stopped renewing, but an owner holding on its heartbeat alone may not have stopped yet: WAIT the margin', () => {
    expect(decide(facts(11_100, { reachable: true, peerAliveUntil: 10_500, marginMs: 200 }))).toMatchObject({ verdict: 'WAIT', code: 'WITNESS_MARGIN', recheckAt: 11_200 });
  });

  it('heartbeat, ICMP and the witness agree: NODE_FAULT, and the facts say why', () => {
    const d = decide(facts(11_200, { reachable: true, peerAliveUntil: 10_500, peerReachable: true, marginMs: 200 }));
    expect(d.verdict).toBe('NODE_FAULT');
    expect(d.facts.witnessRule).toBe('PEER_LAPSED');
    expect(d.message).toMatch(/witness has seen no renewal/);
    expect(d.message).not.toMatch(/could run a group twice/);
  });

  it('this node cannot reach the witness and the peer could when last heard: PARTITION (WITNESS_UNREACHABLE), no takeover', () => {
    expect(decide(facts(11_200, { reachable: false, peerReachable: true, marginMs: 200 }))).toMatchObject({ verdict: 'PARTITION', code: 'WITNESS_UNREACHABLE' });
    expect(decide(facts(11_200, { reachable: false, marginMs: 200 })).verdict).toBe('PARTITION');
  });

  it('the witness unreachable from both nodes: the two-node rules, and the decision says so', () => {
    const d = decide(facts(11_200, { reachable: false, peerReachable: false, marginMs: 200 }));
    expect(d.verdict).toBe('NODE_FAULT');
    expect(d.facts.witnessRule).toBe('UNREACHABLE_FROM_BOTH');
    expect(d.message).toMatch(/unreachable from both nodes: two-node rules/);
  });

  it('isolation still comes first: a node that reaches nothing is ISOLATED whatever the witness', () => {
    const f = { ...facts(14_000, { reachable: false, marginMs: 200 }), testAddresses: [{ address: '10.213.0.254', lastAnswerAt: 10_000 }] };
    expect(decide(f).verdict).toBe('ISOLATED');
  });
});

describe('ownership lease (each node its own clock)', () => {
  const t = leaseTimings(1000, 1000);

  it('derives the timings from WitnessTTL and HBInterval', () => {
    expect(t).toMatchObject({ ttlMs: 1000, renewEveryMs: 200, ownerValidMs: 750, marginMs: 200, callTimeoutMs: 500 });
    expect(leaseTimings(200, 80)).toMatchObject({ renewEveryMs: 40, ownerValidMs: 150, marginMs: 108 });
  });

  it('the owner stops before any taker may start: sent ≤ seen, so sent + ¾ TTL < seen + TTL, even with the owner clock 20 % slow', () => {
    for (const [sent, seen] of [[0, 0], [0, 1], [100, 400]]) {
      expect(ownerDeadline(t, sent!)).toBeLessThan(takeableAt(t, seen!));
      expect(sent! + t.ownerValidMs / 0.8).toBeLessThan(takeableAt(t, seen!));
    }
  });

  it('VALID within the lease; past it, HOLD_ON_PEER only while the peer is heard and the node did not stand still; else DROP', () => {
    expect(holdVerdict(t, { now: 700, sentAt: 0, peerHeard: false, stalled: false })).toBe('VALID');
    expect(holdVerdict(t, { now: 700, sentAt: 0, peerHeard: false, stalled: true })).toBe('VALID');
    expect(holdVerdict(t, { now: 800, sentAt: 0, peerHeard: true, stalled: false })).toBe('HOLD_ON_PEER');
    expect(holdVerdict(t, { now: 800, sentAt: 0, peerHeard: false, stalled: false })).toBe('DROP');
    // resumed after a freeze: heartbeats that queued up meanwhile do not count
    expect(holdVerdict(t, { now: 60_000, sentAt: 0, peerHeard: true, stalled: true })).toBe('DROP');
  });

  it('a gap of more than half WitnessTTL in the loop is a stand-still', () => {
    expect(stalled(t, 1000, 1400)).toBe(false);
    expect(stalled(t, 1000, 1501)).toBe(true);
  });
});
