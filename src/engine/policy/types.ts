// The inputs and output of the pure policy: plan(config, observed, event, now) → Plan.
// `now` is the engine's monotonic clock in ms (performance.now()): the time
// facts below (onlineSince, faultedSince) are on the same clock.
import type { MainConfig, NodeState, ResourceState } from '../../model/types.js';

/** What the engine knows of one resource on one node. */
export interface ResourceStatus {
  state: ResourceState;
  /** One-line reason of the last observation (shown to the operator). */
  reason?: string;
  /** Restarts in place since the resource was last trusted (OnlineTrustTime). */
  restartCount?: number;
  /** Failed attempts of the online in progress, the last one included (OnlineRetryLimit). */
  onlineRetryCount?: number;
  /** Monitor timeouts in a row, the last one included (FaultOnMonitorTimeouts). */
  monitorTimeouts?: number;
  /** Monotonic ms since which the resource has run without failing (OnlineTrustTime). */
  onlineSince?: number;
  /** Monotonic ms at which the resource became FAULTED (AutoFaultClearTime). */
  faultedSince?: number;
  /** Structured facts of the last observation (replication role, lag…); never used by the policy. */
  details?: Record<string, unknown>;
}

export interface NodeStatus {
  state: NodeState;
  /** When this engine saw the node enter `state` (its monotonic clock, as `now` of a plan); unset: not known. */
  since?: number;
}

/** Runtime group facts that are not configuration. */
export interface GroupRuntime {
  /** Temporary lock: lost when all engines stop. */
  tempLocked?: boolean;
  /** Takeover generation: raised each time the group comes online after a move (SPEC §3 Heal). */
  generation?: number;
  /** The peer's generation of the group, as it last told us (two nodes; with more, see peerGenerations). */
  peerGeneration?: number;
  /** Each peer's generation of the group, as it last told us, by node name (three nodes or more). */
  peerGenerations?: Record<string, number>;
  /** Last state of the group on this node that was not STARTING/STOPPING. */
  lastStable?: string;
  /** A heal of the group (SPEC §3) is being carried out here: not decided again meanwhile. */
  healing?: boolean;
}

export interface Observed {
  /** The node this engine runs on. */
  localNode: string;
  nodes: Record<string, NodeStatus>;
  /** resources[node][resName] */
  resources: Record<string, Record<string, ResourceStatus>>;
  groups?: Record<string, GroupRuntime>;
}

export type PolicyEvent =
  /** Operator: bring one resource online (and the children it STRONGly depends on). */
  | { kind: 'ResourceOnline'; resource: string; node: string }
  /** Operator: take one resource offline (and the parents STRONGly depending on it). */
  | { kind: 'ResourceOffline'; resource: string; node: string }
  /**
   * by 'cluster': asked by the cluster itself (heal, isolation, AutoRestart), not an operator: a lock does not stop it (gate.ts).
   * force: the operator vouches that an EXITED node no longer runs the group, and places it even beyond the node's Capacity.
   */
  | { kind: 'GroupOnline'; group: string; node: string; force?: boolean; by?: 'cluster' }
  | { kind: 'GroupOffline'; group: string; node: string; by?: 'cluster' }
  /** Planned move of a failover group to `node`. force: the operator places it even beyond the node's Capacity. */
  | { kind: 'GroupSwitch'; group: string; node: string; force?: boolean }
  /** A monitor found an ONLINE resource failed or gone (unplanned). */
  /** final: the resource could not be brought online at all (after OnlineRetryLimit): no restart in place. */
  | { kind: 'ResourceFailed'; resource: string; node: string; reason: string; final?: boolean }
  /** A node is judged dead (after fencing, if any): take over its failover groups. */
  | { kind: 'NodeFaulted'; node: string }
  /** Every resource of the local node has been probed after engine start: AutoStart. */
  /** groups: AutoStart again for these only (they waited for a joining node: AUTOSTART_WAIT_JOINING). */
  | { kind: 'ProbeComplete'; node: string; groups?: string[] }
  /** Operator: clear FAULTED on a resource (or a whole group). */
  | { kind: 'ResourceClear'; resource: string; node: string }
  | { kind: 'GroupClear'; group: string; node: string }
  /** The witness: this node's ownership of a failover group lapsed (or was lost): drop the group here, virtual IPs first. */
  | { kind: 'OwnershipLost'; group: string; node: string; reason: string }
  // ---- time rules: the facts are in `observed`, the clock is `now`
  /** An online attempt of a resource failed (onlineRetryCount counts it): retry or give up (OnlineRetryLimit). */
  | { kind: 'OnlineAttemptFailed'; resource: string; node: string; reason: string }
  /** A monitor of the resource timed out (monitorTimeouts counts it): tolerate or count as a failure (FaultOnMonitorTimeouts). */
  | { kind: 'MonitorTimedOut'; resource: string; node: string; reason: string }
  /** A monitor found the ONLINE resource running: forgive its restarts once it ran OnlineTrustTime (onlineSince). */
  | { kind: 'MonitorConfirmed'; resource: string; node: string }
  /** A monitor-only resource (NIC) is up again: bring its group back if AutoRestart and it runs nowhere. */
  | { kind: 'ResourceRecovered'; resource: string; node: string }
  /** The AutoFaultClearTime timer of a FAULTED resource (faultedSince) is due, or is being set. */
  | { kind: 'FaultTimer'; resource: string; node: string }
  // ---- cluster and node events
  /** The peer's states arrived (`node` is this node): a failover group online on both is healed (SPEC §3 Heal). */
  | { kind: 'PeerStateReceived'; node: string; peer: string; reason?: string }
  /** This node (`node`) is cut off (SPEC §3 isolation): its failover groups go offline at once. */
  | { kind: 'NodeIsolated'; node: string; reason: string }
  /** Operator: switch every failover group active on `node` to another node (mcnode evacuate). */
  | { kind: 'NodeEvacuate'; node: string };

/**
 * An event the caller runs after the plan, as its own plan (under its
 * group's lock, planned again on fresh state). Heal, isolation, evacuation,
 * AutoRestart and AutoFaultClearTime are carried out this way, so each group
 * moves through the same operator-visible plan (GROUP_OFFLINE, GROUP_SWITCH…)
 * as an operator command would give.
 */
export interface FollowUp {
  event: PolicyEvent;
  /** Run only once the group runs neither ONLINE nor PARTIAL on any other node (heal of a group with storage; with two nodes, the peer). */
  untilPeerStops?: boolean;
  /** The follow-ups of one group run one after the other, in order; those of different groups at once. */
  group: string;
}

/** Why a step is in the plan: a stable code, a sentence, and the facts behind it. */
export interface Decision {
  code: string;
  message: string;
  facts: Record<string, unknown>;
}

export type StepOp =
  /** Run the agent's online on (resource, node). */
  | 'online'
  /** Run the agent's offline on (resource, node). */
  | 'offline'
  /** Run the agent's forced clean on (resource, node). */
  | 'clean'
  /** Record the resource FAULTED on node (no agent call). */
  | 'fault'
  /** Record one more restart in place (restartCount + 1). */
  | 'count-restart'
  /** Forget FAULTED and restart counts on (resource, node) (no agent call). */
  | 'clear'
  /** Forget the restart count (OnlineTrustTime passed) on (resource, node) (no agent call). */
  | 'reset-restarts';

export interface PlanStep {
  /** Index in Plan.steps. */
  id: number;
  op: StepOp;
  group: string;
  resource: string;
  node: string;
  /** Ids of the steps that must succeed before this one runs; steps with no path between them may run in parallel. */
  after: number[];
  decision: Decision;
}

export interface Plan {
  event: PolicyEvent;
  steps: PlanStep[];
  /** The plan as a whole: what the policy decided and why (also when it decided to do nothing). */
  decision: Decision;
  /** Set when the request is refused (frozen, locked, online elsewhere…): no steps. */
  refused?: { code: RefusalCode; message: string };
  /** Set when the plan ends with a failover group that must come online on another node. */
  failover?: { group: string; from: string; to: string | null };
  /**
   * Every group this plan moves off a node (or, with `to` null, leaves
   * offline there): one for a resource failure, possibly several for a
   * NodeFaulted. `failover` is the first of them.
   */
  failovers?: { group: string; from: string; to: string | null }[];
  /** Events the caller runs after this plan (see FollowUp); the steps above are their plans as made now. */
  followUps?: FollowUp[];
}

/** Maps to CLI exit codes: NOT_FOUND 4, CONFLICT 5, INVALID 3. */
export type RefusalCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID';
