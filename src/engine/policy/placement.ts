// Where a group may run: the failover target and the AutoStart node.
// Node priority is NodeList order (first = highest). A node qualifies when it
// is RUNNING and none of the group's resources is FAULTED there (a FAULTED
// resource stays faulted on that node until cleared); of the qualifying
// nodes, the group goes to the first that has room for its Load
// (capacity.ts). With several nodes, each group of a dead node goes to the
// first node of its own NodeList that qualifies and has room, so groups with
// different NodeLists spread over different nodes.
import { groupAttribute, groupFlag } from '../../model/resolve.js';
import { roomOn, roomText } from './capacity.js';
import { faultedOn, isNodeRunning, type Ctx } from './context.js';
import { ACTIVE_STATES, groupState } from './group-state.js';

/** Why each node of the NodeList does or does not qualify (for decision facts). */
export function nodeFitness(ctx: Ctx, node: string): string {
  const state = ctx.observed.nodes[node]?.state;
  if (state !== 'RUNNING') return `node ${state ?? 'unknown'}`;
  const faulted = faultedOn(ctx, node);
  if (faulted.length > 0) return `FAULTED: ${faulted.join(', ')}`;
  const room = roomOn(ctx, node);
  if (!room.fits) return `no room: ${roomText(room)}`;
  return 'ok';
}

/** Qualifying nodes (RUNNING, free of the group's faults), best first, leaving out `except`; Capacity not looked at. */
export function candidates(ctx: Ctx, except: readonly string[] = []): string[] {
  return ctx.group.NodeList.filter((n) => !except.includes(n) && isNodeRunning(ctx.observed, n) && faultedOn(ctx, n).length === 0);
}

/** Does the group fit on the node within its Capacity? */
export function hasRoom(ctx: Ctx, node: string): boolean {
  return roomOn(ctx, node).fits;
}

/** Why a group that must leave a node (or start) stays offline instead. */
export type StayReason = 'NO_FAILOVER_TARGET' | 'NO_CAPACITY' | 'AUTO_FAILOVER_OFF' | 'GROUP_TYPE_SINGLE' | 'GROUP_TYPE_PARALLEL';

export const STAY_REASONS: Record<StayReason, string> = {
  NO_FAILOVER_TARGET: 'no other RUNNING node of the NodeList is free of faults',
  NO_CAPACITY: 'no RUNNING node of the NodeList free of faults has room for its Load (Capacity)',
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
 * already active and that has room for it. SINGLE and PARALLEL groups never
 * move; AutoFailover=false keeps a group where it is.
 */
export function failoverTarget(ctx: Ctx, from: string): Target {
  const considered = Object.fromEntries(ctx.group.NodeList.filter((n) => n !== from).map((n) => [n, nodeFitness(ctx, n)]));
  const type = groupAttribute(ctx.group, 'GroupType');
  if (type === 'SINGLE') return { to: null, why: 'GROUP_TYPE_SINGLE', considered };
  if (type === 'PARALLEL') return { to: null, why: 'GROUP_TYPE_PARALLEL', considered };
  if (!groupFlag(ctx.group, 'AutoFailover')) return { to: null, why: 'AUTO_FAILOVER_OFF', considered };
  const free = candidates(ctx, [from]).filter((n) => !ACTIVE_STATES.includes(groupState(ctx.config, ctx.group, ctx.observed, n)));
  if (free.length === 0) return { to: null, why: 'NO_FAILOVER_TARGET', considered };
  const to = free.find((n) => hasRoom(ctx, n));
  return to === undefined ? { to: null, why: 'NO_CAPACITY', considered } : { to, considered };
}

/**
 * The node AutoStart brings a failover or single group online on: its
 * AutoStartNode when set (and qualifying, with room), else the
 * highest-priority qualifying node of the NodeList with room. `to` null when
 * none: `why` NO_CAPACITY when a node qualifies but none has room.
 */
export function autoStartNode(ctx: Ctx): Target {
  const considered = Object.fromEntries(ctx.group.NodeList.map((n) => [n, nodeFitness(ctx, n)]));
  const wanted = groupAttribute(ctx.group, 'AutoStartNode');
  const qualifying = typeof wanted === 'string' && wanted !== '' ? candidates(ctx).filter((n) => n === wanted) : candidates(ctx);
  if (qualifying.length === 0) return { to: null, why: 'NO_FAILOVER_TARGET', considered };
  const to = qualifying.find((n) => hasRoom(ctx, n));
  return to === undefined ? { to: null, why: 'NO_CAPACITY', considered } : { to, considered };
}

/** "node1: ok; node3: no room: …": the considered nodes in one line. */
export function consideredText(considered: Record<string, string>): string {
  return Object.entries(considered).map(([n, why]) => `${n}: ${why}`).join('; ');
}
