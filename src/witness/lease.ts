// The ownership lease, as pure functions of monotonic timestamps (each node
// its own clock; no clock is ever compared with another node's).
//
// Safety argument. The owner renews with a compare-and-swap on the key's mod
// revision and counts its lease from the moment it *sent* the renewal that
// succeeded: sentAt. The renewal was applied at or after sentAt, and any
// other node saw it at or after it was applied: seenAt >= sentAt. The owner
// stops holding at sentAt + 3/4 TTL (unless it still hears its peer, which
// then takes nothing: a takeover needs every heartbeat link silent); a taker
// acts no earlier than seenAt + TTL, and only through a compare-and-swap on
// the revision it saw, which fails if the owner renewed meanwhile. With clock
// rates within 25 % of each other, the owner has stopped before the taker
// starts, and of two writers exactly one wins. "Hears its peer" means both
// ways: each heartbeat carries the nodes its sender hears.

export interface LeaseTimings {
  ttlMs: number;
  /** Period of renewals (and of the witness loop). */
  renewEveryMs: number;
  /** The owner's lease, from the send time of its last successful renewal. */
  ownerValidMs: number;
  /**
   * Time an owner holding on its peer's heartbeat alone needs to stop once
   * the links drop: the two nodes' last heartbeats may be one send period
   * (HBInterval/10) apart, plus 100 ms to notice and take the virtual IPs down.
   */
  marginMs: number;
  /** Deadline of one round trip to etcd. */
  callTimeoutMs: number;
  /** How long a node waits for ownership before it gives up (the owner keeps renewing). */
  acquireLimitMs: number;
}

export function leaseTimings(ttlMs: number, hbIntervalMs: number): LeaseTimings {
  return {
    ttlMs,
    renewEveryMs: Math.max(20, Math.round(ttlMs / 5)),
    ownerValidMs: Math.round((ttlMs * 3) / 4),
    marginMs: Math.round(hbIntervalMs / 10) + 100,
    callTimeoutMs: Math.max(50, Math.round(ttlMs / 2)),
    acquireLimitMs: 3 * ttlMs,
  };
}

/** Until when the owner may hold: from the send time of its last successful renewal. */
export function ownerDeadline(t: LeaseTimings, sentAt: number): number {
  return sentAt + t.ownerValidMs;
}

/** From when another node may take a key whose last change it saw at seenAt (its own clock). */
export function takeableAt(t: LeaseTimings, seenAt: number): number {
  return seenAt + t.ttlMs;
}

/** The event loop stood still (a frozen process or VM): what it believed of its peer is stale. */
export function stalled(t: LeaseTimings, previousTickAt: number, now: number): boolean {
  return now - previousTickAt > t.ttlMs / 2;
}

export type HoldVerdict = 'VALID' | 'HOLD_ON_PEER' | 'DROP';

/**
 * May an owner keep a group it runs? VALID within its lease; past it, only
 * while it hears its peer (which then cannot take over) and its own loop did
 * not stand still (a resumed frozen node must not trust heartbeats that
 * queued up while it slept); else DROP, before anything else.
 */
export function holdVerdict(t: LeaseTimings, f: { now: number; sentAt: number; peerHeard: boolean; stalled: boolean }): HoldVerdict {
  if (f.now < ownerDeadline(t, f.sentAt)) return 'VALID';
  if (f.peerHeard && !f.stalled) return 'HOLD_ON_PEER';
  return 'DROP';
}
