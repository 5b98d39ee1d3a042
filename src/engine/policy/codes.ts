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
  // nothing to do (success, "changed": false)
  'ALREADY_ONLINE',
  'ALREADY_OFFLINE',
  'ALREADY_THERE',
  'ALREADY_FAULTED',
  'NOT_FAULTED',
  'NOTHING_TO_DO',
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
] as const;

/** Why a group of a multi-group event (NodeFaulted, ProbeComplete) was left alone, or why a failed group stays. */
export const SKIP_CODES = [
  'AUTOSTART_OFF',
  'AUTOSTART_OTHER_NODE',
  'NO_FAILOVER_TARGET',
  'AUTO_FAILOVER_OFF',
  'GROUP_TYPE_SINGLE',
  'GROUP_TYPE_PARALLEL',
] as const;

export type StepCode = (typeof STEP_CODES)[number];
export type PlanCode = (typeof PLAN_CODES)[number];
export type SkipCode = (typeof SKIP_CODES)[number];
export type DecisionCode = StepCode | PlanCode | SkipCode;

export function decide(code: DecisionCode, message: string, facts: Record<string, unknown> = {}): Decision {
  return { code, message, facts };
}
