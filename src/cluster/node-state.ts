// The node state machine of SPEC §2 as tables of (state, event) → handler.
// Handlers are pure: they return the next state, a reason code, one sentence
// and the facts behind it. An event with no handler in a state leaves the
// state unchanged with code IGNORED (and says so, for the event log).
//
// Two tables:
// - LOCAL: this node's own state (EXITED → INITING → LOCAL_BUILD or
//   REMOTE_BUILD → RUNNING);
// - PEER: what this node believes of a peer, from its heartbeats, its planned
//   stop message and the fault decisions.
import type { NodeState } from '../model/types.js';
import type { Verdict } from './fault-decision.js';

export interface SelfView {
  node: string;
  configVersion: number;
  /** Position in Nodes: 0 = first = highest priority. */
  rank: number;
}

export interface PeerView extends SelfView {
  state: NodeState;
}

export type NodeEvent =
  /** The engine starts; peerCount = other nodes in the configuration. */
  | { type: 'start'; peerCount: number }
  /**
   * The peers currently heard on a heartbeat link (planned-stopped ones
   * excluded). absentAtWitness: peers not heard whose member record at the
   * witness has lapsed (more than two nodes with a witness only).
   */
  | { type: 'peers'; self: SelfView; heard: PeerView[]; peerCount: number; absentAtWitness?: string[] }
  /** decideStartAlone said START_ALONE (or an operator forced it). */
  | { type: 'startAlone'; self: SelfView; heard: PeerView[]; forced: boolean }
  /** A peer that was lost (or never heard while this node runs) is heard again. */
  | { type: 'peerReturned'; self: SelfView; peer: PeerView }
  | { type: 'buildDone' }
  | { type: 'remoteBuildDone' }
  | { type: 'buildFailed'; reason: string }
  /** A peer was judged gone (fault decision or planned stop). */
  | { type: 'peerLost'; peer: string; verdict: Verdict | 'PLANNED_STOP' }
  /** This engine stops (SIGTERM). */
  | { type: 'stop' };

export type NodeEventType = NodeEvent['type'];

export interface Transition {
  from: NodeState;
  next: NodeState;
  changed: boolean;
  code: string;
  message: string;
  facts: Record<string, unknown>;
}

type Result = Omit<Transition, 'from' | 'changed'>;
type Handler<E extends NodeEvent> = (state: NodeState, event: E) => Result;
type Row = { [T in NodeEventType]?: Handler<Extract<NodeEvent, { type: T }>> };

/** Better candidate for LOCAL_BUILD: higher ConfigVersion, then higher priority (lower rank), then smaller name. */
export function betterBuilder(a: SelfView, b: SelfView): boolean {
  if (a.configVersion !== b.configVersion) return a.configVersion > b.configVersion;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return a.node < b.node;
}

/** Higher node priority: lower rank, then smaller name (total order, same on both sides). */
export function higherPriority(a: SelfView, b: SelfView): boolean {
  return a.rank !== b.rank ? a.rank < b.rank : a.node < b.node;
}

const stay = (state: NodeState, code: string, message: string, facts: Record<string, unknown> = {}): Result => ({ next: state, code, message, facts });

const stop: Handler<{ type: 'stop' }> = () => ({ next: 'EXITED', code: 'PLANNED_STOP', message: 'the engine stops; its services keep running', facts: {} });

function remoteBuildFrom(self: SelfView, running: PeerView[]): Result {
  const source = [...running].sort((x, y) => (higherPriority(x, y) ? -1 : 1))[0]!;
  return {
    next: 'REMOTE_BUILD',
    code: 'PEER_RUNNING',
    message:
      `${source.node} is RUNNING: take the configuration from it` +
      (self.configVersion > source.configVersion ? ` (local ConfigVersion ${self.configVersion} is newer than the running ${source.configVersion} and is replaced)` : ''),
    facts: { source: source.node, localConfigVersion: self.configVersion, sourceConfigVersion: source.configVersion, localNewer: self.configVersion > source.configVersion },
  };
}

const LOCAL: Record<NodeState, Row> = {
  EXITED: {
    start: (_s, e) =>
      e.peerCount === 0
        ? { next: 'LOCAL_BUILD', code: 'SINGLE_NODE', message: 'single-node cluster: build from the local main.json', facts: { peerCount: 0 } }
        : { next: 'INITING', code: 'START', message: `engine started; looking for ${e.peerCount} peer(s)`, facts: { peerCount: e.peerCount } },
  },
  INITING: {
    peers: (s, e) => {
      const running = e.heard.filter((p) => p.state === 'RUNNING');
      if (running.length > 0) return remoteBuildFrom(e.self, running);
      const building = e.heard.filter((p) => p.state === 'LOCAL_BUILD');
      if (building.length > 0) return stay(s, 'WAIT_PEER_BUILD', `${building.map((p) => p.node).join(', ')} builds the configuration: wait for it to be RUNNING`);
      const initing = e.heard.filter((p) => p.state === 'INITING');
      const absent = e.absentAtWitness ?? [];
      // With more than two nodes and a witness, a majority of Nodes may start without the rest once the
      // witness shows every one of them gone (no engine renews its member record): nothing can run there.
      const majority = (initing.length + 1) * 2 > e.peerCount + 1;
      const quorumStart = initing.length < e.peerCount && majority && initing.length + absent.length >= e.peerCount;
      if (initing.length < e.peerCount && !quorumStart) {
        return stay(s, 'WAIT_PEERS', `${initing.length} of ${e.peerCount} peer(s) heard INITING; waiting for all nodes or a RUNNING peer${e.peerCount > 1 ? ` (or, with a witness, a majority of the ${e.peerCount + 1} nodes and the others gone at the witness)` : ''}`, {
          heard: e.heard.map((p) => `${p.node}:${p.state}`),
          ...(absent.length ? { absentAtWitness: absent } : {}),
        });
      }
      const best = initing.find((p) => betterBuilder(p, e.self));
      if (best) {
        return stay(s, 'WAIT_PEER_BUILD', `${best.node} builds the configuration (ConfigVersion ${best.configVersion}, rank ${best.rank} vs local ${e.self.configVersion}, rank ${e.self.rank})`, {
          builder: best.node,
          localConfigVersion: e.self.configVersion,
          builderConfigVersion: best.configVersion,
        });
      }
      if (quorumStart) {
        return {
          next: 'LOCAL_BUILD',
          code: 'MAJORITY_START',
          message: `${initing.length + 1} of ${e.peerCount + 1} nodes are INITING (a majority) and the others (${absent.join(', ')}) renew nothing at the witness: this node has the newest configuration (ConfigVersion ${e.self.configVersion}, rank ${e.self.rank}) and builds from the local main.json without them`,
          facts: { localConfigVersion: e.self.configVersion, peers: initing.map((p) => ({ node: p.node, configVersion: p.configVersion, rank: p.rank })), absentAtWitness: absent },
        };
      }
      return {
        next: 'LOCAL_BUILD',
        code: 'BEST_CONFIG',
        message: `every node is INITING and this node has the newest configuration (ConfigVersion ${e.self.configVersion}, rank ${e.self.rank}): build from the local main.json`,
        facts: { localConfigVersion: e.self.configVersion, peers: initing.map((p) => ({ node: p.node, configVersion: p.configVersion, rank: p.rank })) },
      };
    },
    startAlone: (s, e) => {
      const running = e.heard.filter((p) => p.state === 'RUNNING');
      if (running.length > 0) return remoteBuildFrom(e.self, running);
      const better = e.heard.find((p) => p.state === 'LOCAL_BUILD' || (p.state === 'INITING' && betterBuilder(p, e.self)));
      if (better) return stay(s, 'WAIT_PEER_BUILD', `${better.node} builds the configuration`, { builder: better.node });
      return {
        next: 'LOCAL_BUILD',
        code: e.forced ? 'START_ALONE_FORCED' : 'START_ALONE',
        message: e.forced ? 'an operator forced a start without the peer: build from the local main.json' : 'no peer: start alone from the local main.json',
        facts: { forced: e.forced },
      };
    },
    stop,
  },
  LOCAL_BUILD: {
    buildDone: () => ({ next: 'RUNNING', code: 'BUILD_DONE', message: 'configuration built from the local main.json', facts: {} }),
    buildFailed: (_s, e) => ({ next: 'INITING', code: 'BUILD_FAILED', message: `local build failed: ${e.reason}`, facts: { reason: e.reason } }),
    stop,
  },
  REMOTE_BUILD: {
    remoteBuildDone: () => ({ next: 'RUNNING', code: 'REMOTE_BUILD_DONE', message: 'configuration taken from the running peer', facts: {} }),
    buildFailed: (_s, e) => ({ next: 'INITING', code: 'BUILD_FAILED', message: `remote build failed: ${e.reason}`, facts: { reason: e.reason } }),
    peerLost: (_s, e) => ({ next: 'INITING', code: 'BUILD_SOURCE_LOST', message: `${e.peer} was lost (${e.verdict}) during the remote build: start over`, facts: { peer: e.peer, verdict: e.verdict } }),
    stop,
  },
  RUNNING: {
    peerReturned: (s, e) => {
      if (e.peer.state !== 'RUNNING') return stay(s, 'PEER_JOINS', `${e.peer.node} is back (${e.peer.state}) and joins this node`, { peer: e.peer.node, peerState: e.peer.state });
      if (higherPriority(e.peer, e.self)) {
        return {
          next: 'REMOTE_BUILD',
          code: 'REJOIN',
          message: `${e.peer.node} is RUNNING and has the higher priority: rejoin it (REMOTE_BUILD) without stopping the services here`,
          facts: { peer: e.peer.node, peerRank: e.peer.rank, localRank: e.self.rank, localConfigVersion: e.self.configVersion, peerConfigVersion: e.peer.configVersion },
        };
      }
      return stay(s, 'PEER_REJOINS', `${e.peer.node} is RUNNING with a lower priority: it rejoins this node`, { peer: e.peer.node });
    },
    stop,
  },
  FAULTED: {
    start: (_s, e) => ({ next: e.peerCount === 0 ? 'LOCAL_BUILD' : 'INITING', code: 'START', message: 'engine started', facts: { peerCount: e.peerCount } }),
    stop,
  },
};

function apply(table: Record<NodeState, Row>, state: NodeState, event: { type: string }): Transition {
  const handler = (table[state] as Record<string, Handler<never> | undefined>)[event.type] as ((s: NodeState, e: unknown) => Result) | undefined;
  const result = handler ? handler(state, event) : stay(state, 'IGNORED', `event ${event.type} has no effect in state ${state}`);
  return { from: state, changed: result.next !== state, ...result };
}

/** This node's next state. */
export function transition(state: NodeState, event: NodeEvent): Transition {
  return apply(LOCAL, state, event);
}

// ---------------------------------------------------------------- peer view

export type PeerEvent =
  | { type: 'heard'; state: NodeState; newIncarnation: boolean }
  | { type: 'plannedStop' }
  /** A fault decision; NODE_FAULT is applied only once fencing (if any) succeeded. */
  | { type: 'decision'; verdict: Verdict; code: string };

const heard = (s: NodeState, e: Extract<PeerEvent, { type: 'heard' }>): Result => {
  if (e.newIncarnation && s !== 'EXITED' && s !== 'FAULTED') return { next: e.state, code: 'PEER_RESTARTED', message: `the peer engine restarted (now ${e.state})`, facts: { was: s } };
  if (e.state === s) return stay(s, 'UNCHANGED', `peer still ${s}`);
  if (s === 'EXITED' || s === 'FAULTED') return { next: e.state, code: 'PEER_RETURNED', message: `the peer is heard again (${e.state}) after being ${s}`, facts: { was: s } };
  return { next: e.state, code: 'PEER_REPORTED', message: `the peer reports ${e.state}`, facts: { was: s } };
};

const peerDecision = (s: NodeState, e: Extract<PeerEvent, { type: 'decision' }>): Result => {
  switch (e.verdict) {
    case 'NODE_FAULT':
      return { next: 'FAULTED', code: 'NODE_FAULT', message: 'the peer node is dead (silent on heartbeat and ICMP)', facts: { decision: e.code } };
    case 'PEER_EXITED':
      // A FAULTED peer stays FAULTED until its engine is heard again: its host
      // coming back does not give it back its groups.
      if (s === 'FAULTED') return stay(s, 'STILL_FAULTED', 'the faulted peer host answers ICMP again; it stays FAULTED until its engine joins');
      return { next: 'EXITED', code: 'ENGINE_EXITED', message: 'the peer engine is silent but its host answers ICMP: no takeover', facts: { decision: e.code } };
    default:
      return stay(s, e.verdict, `decision ${e.verdict} (${e.code}) leaves the peer state as last known`);
  }
};

const plannedStop = (): Result => ({ next: 'EXITED', code: 'PLANNED_STOP', message: 'the peer engine stopped on purpose: no takeover, its services keep running', facts: {} });

// The same handlers whatever the peer's last known state; the handlers look at it where it matters.
const PEER_HANDLERS: Row = { heard, plannedStop, decision: peerDecision } as unknown as Row;
const PEER = Object.fromEntries((['EXITED', 'INITING', 'LOCAL_BUILD', 'REMOTE_BUILD', 'RUNNING', 'FAULTED'] as NodeState[]).map((s) => [s, PEER_HANDLERS])) as Record<NodeState, Row>;

/** What this node now believes of a peer. */
export function peerTransition(state: NodeState, event: PeerEvent): Transition {
  return apply(PEER, state, event);
}
