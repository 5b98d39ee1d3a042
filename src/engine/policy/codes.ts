// Every reason code the policy writes, in one place: the event log, scenario
// tests and operators' scripts rely on them, so they are stable.
import type { Decision } from './types.js';

/** Codes of a step's decision: why this action is in the plan. */
export const STEP_CODES = [
  'ONLINE_REQUESTED', // the resource named by the operator
  'ONLINE_REQUESTED_CHILD', // a child the requested resource STRONGly depends on
  'ONLINE_GROUP_MEMBER', // group online: the whole tree, bottom-up
  'OFFLINE_REQUESTED',
  'OFFLINE_PARENT_STRONG', // a parent that STRONGly depends on the resource going offline
  'OFFLINE_GROUP_MEMBER', // group offline: the whole tree, top-down
  'RESTART_PARENT_OFFLINE', // restart in place: a STRONG parent stopped first
  'RESTART_CLEAN', // restart in place: forced clean of the failed resource
  'RESTART_COUNT', // restart in place: one more restart counted
  'RESTART_IN_PLACE', // restart in place: the failed resource started again
  'RESTART_PARENT_ONLINE', // restart in place: a parent stopped for it started again
  'FAILURE_PARENT_OFFLINE', // final failure: a parent of the failed resource stopped first
  'FAILURE_GROUP_OFFLINE', // final failure of a critical resource: the rest of the group stopped
  'FINAL_FAILURE_CRITICAL', // forced clean of a critical resource that failed for good
  'FINAL_FAILURE_NONCRITICAL', // forced clean of a non-critical resource that failed for good
  'FAULT_RECORDED', // the failed resource marked FAULTED on its node
  'FAILOVER_TARGET', // the group started on the node it fails over to
  'SWITCH_OFFLINE', // planned switch: stopped on the current node
  'SWITCH_ONLINE', // planned switch: started on the target node
  'TAKEOVER_ONLINE', // a dead node's group started here
  'AUTOSTART_ONLINE', // AutoStart after the node's probes
  'CLEAR_FAULTED', // operator clear of a FAULTED resource
  'OWNERSHIP_LOST_VIP', // witness: ownership lapsed, the virtual IP goes first
  'OWNERSHIP_LOST_OFFLINE', // witness: ownership lapsed, the rest of the group, top-down
  'ONLINE_RETRY_CLEAN', // OnlineRetryLimit: forced clean after a failed online attempt, before the next one
  'ONLINE_RETRY', // OnlineRetryLimit: the online attempted again
  'ONLINE_FAILED_CLEAN', // OnlineRetryLimit used up: forced clean after the last failed attempt
  'RESTART_COUNT_RESET', // OnlineTrustTime: the restart count forgotten
] as const;

/** Codes of a plan's decision: what the policy decided for the event as a whole. */
export const PLAN_CODES = [
  // something to do
  'RESOURCE_ONLINE',
  'RESOURCE_OFFLINE',
  'GROUP_ONLINE',
  'GROUP_OFFLINE',
  'GROUP_SWITCH',
  'RESTART_IN_PLACE',
  'FAILOVER',
  'FINAL_FAILURE_CRITICAL', // critical failure, the group stays offline (see facts.why)
  'FINAL_FAILURE_NONCRITICAL',
  'NODE_FAULT_TAKEOVER',
  'AUTOSTART',
  'CLEAR_FAULTED',
  'OWNERSHIP_LOST',
  'ONLINE_RETRY', // OnlineRetryLimit: one more attempt
  'ONLINE_RETRIES_EXHAUSTED', // OnlineRetryLimit used up: the online failed for good
  'MONITOR_TIMEOUTS_FAULT', // FaultOnMonitorTimeouts reached: the timeouts count as a failure
  'ONLINE_TRUSTED', // OnlineTrustTime passed: the restarts are forgiven
  'AUTORESTART', // AutoRestart: the group comes back once its persistent resource recovered
  'AUTO_FAULT_CLEAR', // AutoFaultClearTime passed: the fault is cleared
  'HEAL', // SPEC §3 Heal: a failover group online on both nodes stays on one
  'NODE_ISOLATED', // this node is cut off: its failover groups go offline
  'NODE_EVACUATE', // operator: every failover group of the node switches away
  // one group of a multi-group event (heal, isolation, evacuation)
  'HEAL_GIVE_UP', // heal: another holder keeps the group (or this node is outside its NodeList): it goes offline here
  'HEAL_STORAGE_RESTART', // heal: this node keeps a group with storage: offline here, online again once every other holder let go
  'ISOLATION_OFFLINE', // isolation: the group goes offline here
  'EVACUATE_SWITCH', // evacuation: the group switches to the first node of its NodeList that may take it (room counted with the moves before it)
  // nothing to do (success, "changed": false)
  'ALREADY_ONLINE',
  'ALREADY_OFFLINE',
  'ALREADY_THERE',
  'ALREADY_FAULTED',
  'NOT_FAULTED',
  'NOTHING_TO_DO',
  'NOTHING_TO_EVACUATE',
  'MONITOR_TIMEOUT_TOLERATED', // fewer than FaultOnMonitorTimeouts in a row (or 0 = never)
  'AUTO_CLEAR_PENDING', // AutoFaultClearTime not yet passed: due at facts.dueAt
  'TRUST_PENDING', // restarts counted, OnlineTrustTime not yet passed
  // held by the gate (no steps; refused when the event is an operator request)
  'FROZEN',
  'LOCKED',
  'GROUP_DISABLED',
  // refused
  'NOT_FOUND',
  'NOT_IN_NODELIST',
  'NODE_NOT_RUNNING',
  'ONLINE_ELSEWHERE',
  'RESOURCE_DISABLED',
  'RESOURCE_FAULTED',
  'MONITOR_ONLY',
  'PARALLEL_NO_SWITCH',
  'SINGLE_NO_SWITCH',
  'NOT_ONLINE',
  'EVACUATE_NO_TARGET',
] as const;

/** Why a group of a multi-group event (NodeFaulted, ProbeComplete, heal) was left alone, why a failed group stays, or why a time rule does not apply. */
export const SKIP_CODES = [
  'AUTOSTART_OFF',
  'AUTOSTART_OTHER_NODE',
  'AUTOSTART_WAIT_JOINING', // a node earlier in the NodeList is joining the cluster (INITING, LOCAL_BUILD, REMOTE_BUILD): AutoStart waits for it (at most JOINING_WAIT_MS)
  'NO_FAILOVER_TARGET',
  'NO_CAPACITY', // Load/Capacity: no qualifying node has room for the group (facts.considered per node); also refuses an operator's online or switch (exit 5) without --force
  'AUTO_FAILOVER_OFF',
  'GROUP_TYPE_SINGLE',
  'GROUP_TYPE_PARALLEL',
  'AUTORESTART_OFF',
  'AUTO_CLEAR_OFF',
  'HEAL_KEEP', // heal: this node keeps the group (no storage): nothing to do here
] as const;

/** Codes of `mccs apply -f FILE`: what applying a whole main.json does to a running group (policy/apply.ts). */
export const APPLY_CODES = [
  'APPLY_GROUP_REMOVED', // the group is not in the file: taken offline, then removed
  'APPLY_RESOURCE_REMOVED', // the resource is not in the file: taken offline with its STRONG parents, then removed
  'APPLY_NODE_LEFT_NODELIST', // a node leaves the group's NodeList: the group switches to another node of it
  'APPLY_NO_NODE_LEFT', // a node leaves the NodeList and no other node can take the group: taken offline
  'APPLY_GROUP_ADDED', // a new AutoStart group: brought online after the change
] as const;

export type StepCode = (typeof STEP_CODES)[number];
export type ApplyCode = (typeof APPLY_CODES)[number];
export type PlanCode = (typeof PLAN_CODES)[number];
export type SkipCode = (typeof SKIP_CODES)[number];
export type DecisionCode = StepCode | PlanCode | SkipCode;

export function decide(code: DecisionCode, message: string, facts: Record<string, unknown> = {}): Decision {
  return { code, message, facts };
}
