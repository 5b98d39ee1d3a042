// Where a group may run: the failover target and the AutoStart node.
// Node priority is NodeList order (first = highest). A node qualifies when it
// is RUNNING and none of the group's resources is FAULTED there (a FAULTED
// resource stays faulted on that node until cleared).
import { groupAttribute, groupFlag } from '../../model/resolve.js';
import { faultedOn, isNodeRunning, type Ctx } from './context.js';
import { ACTIVE_STATES, groupState } from './group-state.js';

/** Why each node of the NodeList does or does not qualify (for decision facts). */
export function nodeFitness(ctx: Ctx, node: string): string {
  const state = ctx.observed.nodes[node]?.state;
  if (state !== 'RUNNING') return `node ${state ?? 'unknown'}`;
  const faulted = faultedOn(ctx, node);
  if (faulted.length > 0) return `FAULTED: ${faulted.join(', ')}`;
  return 'ok';
}

/** Qualifying nodes, best first, leaving out `except`. */
export function candidates(ctx: Ctx, except: readonly string[] = []): string[] {
  return ctx.group.NodeList.filter((n) => !except.includes(n) && isNodeRunning(ctx.observed, n) && faultedOn(ctx, n).length === 0);
}

/** Why a group that must leave a node stays offline instead. */
export type StayReason = 'NO_FAILOVER_TARGET' | 'AUTO_FAILOVER_OFF' | 'GROUP_TYPE_SINGLE' | 'GROUP_TYPE_PARALLEL';

export const STAY_REASONS: Record<StayReason, string> = {
  NO_FAILOVER_TARGET: 'no other RUNNING node of the NodeList is free of faults',
  AUTO_FAILOVER_OFF: 'AutoFailover is off',
  GROUP_TYPE_SINGLE: 'a single-node group never moves',
  GROUP_TYPE_PARALLEL: 'a parallel group never fails over; it stays offline on this node only',
};

export interface Target {
  to: string | null;
  /** Set when `to` is null. */
  why?: StayReason;
  /** Every other node of the NodeList and why it does or does not qualify. */
  considered: Record<string, string>;
}

/**
 * The node a failover group moves to when it must leave `from`: the
 * highest-priority qualifying node other than `from` where the group is not
 * already active. SINGLE and PARALLEL groups never move; AutoFailover=false
 * keeps a group where it is.
 */
export function failoverTarget(ctx: Ctx, from: string): Target {
  const considered = Object.fromEntries(ctx.group.NodeList.filter((n) => n !== from).map((n) => [n, nodeFitness(ctx, n)]));
  const type = groupAttribute(ctx.group, 'GroupType');
  if (type === 'SINGLE') return { to: null, why: 'GROUP_TYPE_SINGLE', considered };
  if (type === 'PARALLEL') return { to: null, why: 'GROUP_TYPE_PARALLEL', considered };
  if (!groupFlag(ctx.group, 'AutoFailover')) return { to: null, why: 'AUTO_FAILOVER_OFF', considered };
  const to = candidates(ctx, [from]).find((n) => !ACTIVE_STATES.includes(groupState(ctx.config, ctx.group, ctx.observed, n)));
  return to === undefined ? { to: null, why: 'NO_FAILOVER_TARGET', considered } : { to, considered };
}

/**
 * The node AutoStart brings a failover or single group online on: its
 * AutoStartNode when set (and qualifying), else the highest-priority
 * qualifying node of the NodeList. null when none qualifies.
 */
export function autoStartNode(ctx: Ctx): string | null {
  const wanted = groupAttribute(ctx.group, 'AutoStartNode');
  const qualifying = candidates(ctx);
  if (typeof wanted === 'string' && wanted !== '') return qualifying.includes(wanted) ? wanted : null;
  return qualifying[0] ?? null;
}
