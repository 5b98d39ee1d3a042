// What to conclude when a peer falls silent (SPEC §3), as pure functions of
// monotonic timestamps: no I/O, no clock of their own. Each returns a verdict,
// a reason code, one plain sentence and the facts behind it, for the event log.
//
// Time rules (all "exactly at the threshold" cases included):
// - a link is silent from its last authentic heartbeat; every link is down at
//   allDownAt = (latest last-heard) + HBInterval;
// - an address is silent for `now - lastAnswerAt` (never answered: since
//   pinging started); silent >= timeout counts as silent;
// - links dropped "further apart than SplitThreshold" means a spread of
//   last-heard times strictly greater than it (0 turns split detection off);
// - "the peer's host answers" and "this node still reaches a test address"
//   need an answer strictly after allDownAt: an answer from before the
//   silence proves nothing about the moment after it (no race with the ping
//   phase).

import type { WitnessFact } from '../witness/fact.js';

export type { WitnessFact };

export type Verdict = 'ISOLATED' | 'SPLIT' | 'PARTITION' | 'PEER_EXITED' | 'NODE_FAULT' | 'WAIT';

export type DecisionCode =
  | 'LINK_ALIVE'
  | 'ISOLATED'
  | 'SPLIT'
  | 'PEER_EXITED'
  | 'NODE_FAULT'
  | 'ISOLATION_UNKNOWN'
  | 'ICMP_PENDING'
  | 'PARTITION'
  | 'WITNESS_UNREACHABLE'
  | 'WITNESS_MARGIN'
  | 'WITNESS_PENDING'
  | 'HEARD_BY_PEERS';

export interface LinkFact {
  link: string;
  /** Monotonic ms of the last authentic heartbeat; undefined = never heard since start. */
  lastHeardAt: number | undefined;
}

export interface AddressFact {
  address: string;
  /** Monotonic ms of the last ICMP answer; undefined = none since pinging started. */
  lastAnswerAt: number | undefined;
}

export interface FaultFacts {
  now: number;
  /** When links and pinging started (the "last heard/answered" of what never was). */
  startedAt: number;
  /** Every configured heartbeat link to the peer. */
  links: LinkFact[];
  hbIntervalMs: number;
  splitThresholdMs: number;
  hbTimeoutMs: number;
  isolationTestTimeoutMs: number;
  /** The peer's heartbeat addresses. */
  peerAddresses: AddressFact[];
  /** This node's IsolationTestAddresses (may be empty: isolation cannot be told). */
  testAddresses: AddressFact[];
  fenceConfigured: boolean;
  /** With a witness (WitnessType etcd): what it says of the peer. */
  witness?: WitnessFact;
  /**
   * Three or more nodes: the other peers this node hears whose own last
   * heartbeat says they hear the silent peer. A node that others still hear
   * is cut off from this node only (a broken link), never failed over.
   */
  heardByPeers?: string[];
  /** Three or more nodes: the other peers this node still hears (a node that hears a peer is not the one cut off). */
  otherPeersHeard?: string[];
}


export interface Decision<V extends string = Verdict, C extends string = DecisionCode> {
  verdict: V;
  code: C;
  message: string;
  facts: Record<string, unknown>;
  /** For WAIT: the monotonic time at which the answer may change (decide again then, or sooner). */
  recheckAt?: number;
}

const since = (a: AddressFact, startedAt: number): number => a.lastAnswerAt ?? startedAt;
const ms = (n: number): string => `${Math.round(n)} ms`;

/** Decides about a peer whose heartbeat links may all be silent. */
export function decide(f: FaultFacts): Decision {
  const heard = f.links.map((l) => l.lastHeardAt ?? f.startedAt);
  const silentSince = Math.max(...heard);
  const allDownAt = silentSince + f.hbIntervalMs;
  const spreadMs = heard.length > 1 ? silentSince - Math.min(...heard) : 0;
  const peerSilence = f.peerAddresses.map((a) => ({ address: a.address, silenceMs: f.now - since(a, f.startedAt), answeredAfterSilence: (a.lastAnswerAt ?? -Infinity) > allDownAt }));
  const testSilence = f.testAddresses.map((a) => ({ address: a.address, silenceMs: f.now - since(a, f.startedAt), answeredAfterSilence: (a.lastAnswerAt ?? -Infinity) > allDownAt }));
  const facts: Record<string, unknown> = {
    links: f.links.map((l) => ({ link: l.link, silentMs: l.lastHeardAt === undefined ? null : Math.round(f.now - l.lastHeardAt) })),
    heartbeatSilenceMs: Math.round(f.now - silentSince),
    linkSpreadMs: Math.round(spreadMs),
    HBInterval: f.hbIntervalMs,
    HBTimeout: f.hbTimeoutMs,
    SplitThreshold: f.splitThresholdMs,
    IsolationTestTimeout: f.isolationTestTimeoutMs,
    peerIcmp: peerSilence.map((p) => ({ ...p, silenceMs: Math.round(p.silenceMs) })),
    isolationTests: testSilence.map((p) => ({ ...p, silenceMs: Math.round(p.silenceMs) })),
    fenceConfigured: f.fenceConfigured,
  };

  if (f.now < allDownAt) {
    return { verdict: 'WAIT', code: 'LINK_ALIVE', message: `a heartbeat link was heard ${ms(f.now - silentSince)} ago (HBInterval ${ms(f.hbIntervalMs)}): no decision`, facts, recheckAt: allDownAt };
  }

  if (f.heardByPeers && f.heardByPeers.length > 0) {
    facts.heardByPeers = f.heardByPeers;
    // Looked at again every heartbeat period: when the peer really died, the others stop hearing it within HBInterval.
    return {
      verdict: 'WAIT',
      code: 'HEARD_BY_PEERS',
      message: `every heartbeat link to the peer is down, but ${f.heardByPeers.join(', ')} still hear${f.heardByPeers.length === 1 ? 's' : ''} it: only the links between this node and the peer are broken; no takeover`,
      facts,
      recheckAt: f.now + Math.max(5, Math.floor(f.hbIntervalMs / 10)),
    };
  }

  const othersHeard = f.otherPeersHeard ?? [];
  if (othersHeard.length > 0) facts.otherPeersHeard = othersHeard;
  if (othersHeard.length === 0 && testSilence.length > 0 && testSilence.every((t) => t.silenceMs >= f.isolationTestTimeoutMs)) {
    return {
      verdict: 'ISOLATED',
      code: 'ISOLATED',
      message: `every heartbeat link is down and none of the isolation test addresses (${f.testAddresses.map((a) => a.address).join(', ')}) answered for IsolationTestTimeout ${ms(f.isolationTestTimeoutMs)}: this node is cut off; take its failover groups offline`,
      facts,
    };
  }

  if (heard.length > 1 && f.splitThresholdMs > 0 && spreadMs > f.splitThresholdMs) {
    return {
      verdict: 'SPLIT',
      code: 'SPLIT',
      message: `the heartbeat links dropped ${ms(spreadMs)} apart (SplitThreshold ${ms(f.splitThresholdMs)}): the network is suspect, not the peer; no takeover`,
      facts,
    };
  }

  const peerSilent = peerSilence.every((p) => p.silenceMs >= f.hbTimeoutMs);
  if (peerSilent) {
    const reachable = testSilence.filter((t) => t.answeredAfterSilence);
    if (testSilence.length === 0 || reachable.length > 0) {
      facts.isolationCheck = testSilence.length === 0 ? 'NOT_CONFIGURED' : 'REACHED';
      if (f.witness) {
        const w = witnessVerdict(f, f.witness, allDownAt, facts);
        if (w) return w;
      }
      return {
        verdict: 'NODE_FAULT',
        code: 'NODE_FAULT',
        message:
          `the peer is silent on every heartbeat link and on ICMP for at least HBTimeout ${ms(f.hbTimeoutMs)}` +
          (testSilence.length === 0 ? ' (no IsolationTestAddresses: isolation not checked)' : ` while this node still reaches ${reachable.map((r) => r.address).join(', ')}`) +
          (f.witness ? (f.witness.reachable ? '; the witness has seen no renewal from it for WitnessTTL' : '; the witness is unreachable from both nodes: two-node rules') : '') +
          (f.fenceConfigured ? ': fence it, then take over' : f.witness?.reachable ? ': take over' : ': take over (no FenceProgram: a partition between two healthy nodes could run a group twice)'),
        facts,
      };
    }
    const isolatedAt = Math.max(...f.testAddresses.map((a) => since(a, f.startedAt))) + f.isolationTestTimeoutMs;
    return {
      verdict: 'WAIT',
      code: 'ISOLATION_UNKNOWN',
      message: `the peer is silent on heartbeat and ICMP, but no isolation test address answered since the links went down: waiting to tell a dead peer from an isolated node`,
      facts,
      recheckAt: isolatedAt,
    };
  }

  const answering = peerSilence.filter((p) => p.answeredAfterSilence && p.silenceMs < f.hbTimeoutMs);
  if (answering.length > 0) {
    return {
      verdict: 'PEER_EXITED',
      code: 'PEER_EXITED',
      message: `the peer is silent on every heartbeat link but its host answers ICMP (${answering.map((a) => a.address).join(', ')}): its engine exited; no takeover, its services may still run`,
      facts,
    };
  }

  const confirmAt = Math.max(...f.peerAddresses.map((a) => since(a, f.startedAt))) + f.hbTimeoutMs;
  return {
    verdict: 'WAIT',
    code: 'ICMP_PENDING',
    message: `every heartbeat link is down; the peer's last ICMP answer is ${ms(Math.min(...peerSilence.map((p) => p.silenceMs)))} old: waiting for HBTimeout ${ms(f.hbTimeoutMs)} of ICMP silence or a fresh answer`,
    facts,
    recheckAt: confirmAt,
  };
}

/**
 * With a witness, a peer silent on heartbeat and ICMP is dead only if the
 * witness agrees: a peer that still renews there is on the other side of a
 * partition (PARTITION: no takeover). Returns null when the witness agrees
 * with a node fault (or is unreachable from both nodes: two-node rules).
 */
function witnessVerdict(f: FaultFacts, w: WitnessFact, allDownAt: number, facts: Record<string, unknown>): Decision | null {
  const aliveForMs = w.peerAliveUntil === undefined ? null : Math.round(w.peerAliveUntil - f.now);
  facts.witness = { reachable: w.reachable, peerRenewalValidForMs: aliveForMs, peerReachable: w.peerReachable ?? null, marginMs: w.marginMs };
  if (!w.reachable) {
    if (w.peerReachable === false) {
      facts.witnessRule = 'UNREACHABLE_FROM_BOTH';
      return null;
    }
    return {
      verdict: 'PARTITION',
      code: 'WITNESS_UNREACHABLE',
      message: `the peer is silent on heartbeat and ICMP, but this node cannot reach the witness while the peer could when last heard: it may still own and run its groups there; no takeover`,
      facts,
    };
  }
  if (w.peerAliveUntil !== undefined && f.now < w.peerAliveUntil) {
    if (w.peerRenewedAt !== undefined && w.peerRenewedAt <= allDownAt) {
      // The last renewal seen is from before the links went down: nothing says yet that the peer lives on the other side.
      return {
        verdict: 'WAIT',
        code: 'WITNESS_PENDING',
        message: `the peer is silent on heartbeat and ICMP; its last renewal at the witness was seen before the links went down and is valid ${ms(w.peerAliveUntil - f.now)} more: waiting for a newer renewal (a partition) or its end (a dead node)`,
        facts,
        recheckAt: w.peerAliveUntil,
      };
    }
    return {
      verdict: 'PARTITION',
      code: 'PARTITION',
      message: `the peer is silent on heartbeat and ICMP but still renews at the witness (valid ${ms(w.peerAliveUntil - f.now)} more): a partition between two healthy nodes; it keeps its groups, no takeover`,
      facts,
      recheckAt: w.peerAliveUntil,
    };
  }
  if (f.now < allDownAt + w.marginMs) {
    return {
      verdict: 'WAIT',
      code: 'WITNESS_MARGIN',
      message: `the peer's renewals at the witness lapsed; waiting ${ms(allDownAt + w.marginMs - f.now)} more so that an owner holding on its heartbeat alone has stopped`,
      facts,
      recheckAt: allDownAt + w.marginMs,
    };
  }
  facts.witnessRule = 'PEER_LAPSED';
  return null;
}

// ---------------------------------------------------------------- starting alone

export type StartAloneVerdict = 'START_ALONE' | 'WAIT' | 'JOIN';
export type StartAloneCode = 'PEER_HEARD' | 'FORCED' | 'WAIT_FOREVER' | 'TIMEOUT_PENDING' | 'PEER_HOST_UP' | 'ISOLATED' | 'PEER_DOWN';

export interface StartAloneFacts {
  now: number;
  /** When the engine (links and pinging) started. */
  startedAt: number;
  /** StartAloneTimeout in ms; 0 = wait forever. */
  startAloneTimeoutMs: number;
  /** A peer has been heard on a heartbeat link since start. */
  peerHeard: boolean;
  /** An operator forced the start (logged by the caller). */
  force: boolean;
  hbTimeoutMs: number;
  isolationTestTimeoutMs: number;
  /** Heartbeat addresses of the peers not heard. */
  peerAddresses: AddressFact[];
  testAddresses: AddressFact[];
}

/** SPEC §3 "Starting alone": may a node that hears no peer start its failover groups? */
export function decideStartAlone(f: StartAloneFacts): Decision<StartAloneVerdict, StartAloneCode> {
  const waitedMs = f.now - f.startedAt;
  const peerIcmp = f.peerAddresses.map((a) => ({ address: a.address, silenceMs: Math.round(f.now - since(a, f.startedAt)) }));
  const tests = f.testAddresses.map((a) => ({ address: a.address, silenceMs: Math.round(f.now - since(a, f.startedAt)) }));
  const facts: Record<string, unknown> = {
    waitedMs: Math.round(waitedMs),
    StartAloneTimeout: f.startAloneTimeoutMs,
    HBTimeout: f.hbTimeoutMs,
    IsolationTestTimeout: f.isolationTestTimeoutMs,
    peerHeard: f.peerHeard,
    force: f.force,
    peerIcmp,
    isolationTests: tests,
  };
  if (f.peerHeard) return { verdict: 'JOIN', code: 'PEER_HEARD', message: 'a peer is heard: join the cluster', facts };
  if (f.force) return { verdict: 'START_ALONE', code: 'FORCED', message: 'an operator forced this node to start alone', facts };
  if (f.startAloneTimeoutMs === 0) {
    return { verdict: 'WAIT', code: 'WAIT_FOREVER', message: 'waiting for a peer (StartAloneTimeout 0: wait until a peer joins or an operator forces the start)', facts };
  }
  if (waitedMs < f.startAloneTimeoutMs) {
    return {
      verdict: 'WAIT',
      code: 'TIMEOUT_PENDING',
      message: `waiting for a peer: ${ms(waitedMs)} of StartAloneTimeout ${ms(f.startAloneTimeoutMs)}`,
      facts,
      recheckAt: f.startedAt + f.startAloneTimeoutMs,
    };
  }
  const answering = f.peerAddresses.filter((a) => f.now - since(a, f.startedAt) < f.hbTimeoutMs);
  if (answering.length > 0) {
    return {
      verdict: 'WAIT',
      code: 'PEER_HOST_UP',
      message: `no peer engine is heard but its host answers ICMP (${answering.map((a) => a.address).join(', ')}): it may still run groups; waiting`,
      facts,
      recheckAt: Math.max(...answering.map((a) => since(a, f.startedAt))) + f.hbTimeoutMs,
    };
  }
  if (f.testAddresses.length > 0 && f.testAddresses.every((a) => f.now - since(a, f.startedAt) >= f.isolationTestTimeoutMs)) {
    return { verdict: 'WAIT', code: 'ISOLATED', message: 'no isolation test address answers: this node may be the one cut off; waiting', facts };
  }
  return {
    verdict: 'START_ALONE',
    code: 'PEER_DOWN',
    message: `no peer heard for StartAloneTimeout ${ms(f.startAloneTimeoutMs)}, its host is silent on ICMP and this node is not isolated: start alone`,
    facts,
  };
}
