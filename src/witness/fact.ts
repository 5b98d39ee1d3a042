// What the witness tells a fault decision about a silent peer (cluster/fault-decision.ts), on this node's monotonic clock.

export interface WitnessFact {
  /** This node completed a round trip to the witness within WitnessTTL. */
  reachable: boolean;
  /** Until when the peer may still hold what it owns: its last renewal this node saw + WitnessTTL (undefined: never seen one). */
  peerAliveUntil?: number;
  /** When this node first saw the peer's last renewal (its clock; undefined: never seen one). */
  peerRenewedAt?: number;
  /** The peer reached the witness when it last told this node (undefined: not told). */
  peerReachable?: boolean;
  /** An owner whose renewals lapsed keeps its groups only while it hears its peer: it stops within this much after the links drop. */
  marginMs: number;
}

export type Clock = () => number;
