// Operator clear: forget FAULTED (and the restart count) of a resource, or of
// every FAULTED resource of a group, on one node. Bookkeeping only: no agent
// runs, the resource is OFFLINE afterwards and may be started again.
import { decide } from './codes.js';
import { list, stateOf, type Ctx } from './context.js';
import { planned, type Outcome } from './outcome.js';
import type { PlanBuilder } from './steps.js';

function addClear(ctx: Ctx, b: PlanBuilder, res: string, node: string): void {
  b.add('clear', ctx.group.GroupName, res, node, [], decide('CLEAR_FAULTED', `clear FAULTED of ${res} on ${node}`, { resource: res, node, reason: ctx.observed.resources[node]?.[res]?.reason ?? null }));
}

export function resourceClear(ctx: Ctx, b: PlanBuilder, res: string, node: string): Outcome {
  const state = stateOf(ctx.observed, node, res);
  if (state !== 'FAULTED') return planned(decide('NOT_FAULTED', `resource ${res} is ${state} on ${node}, not FAULTED: nothing to clear`, { resource: res, node, state }));
  addClear(ctx, b, res, node);
  return planned(decide('CLEAR_FAULTED', `clear FAULTED of ${res} on ${node}`, { resource: res, node }));
}

export function groupClear(ctx: Ctx, b: PlanBuilder, node: string): Outcome {
  const g = ctx.group.GroupName;
  const faulted = ctx.group.Resources.map((r) => r.ResName).filter((r) => stateOf(ctx.observed, node, r) === 'FAULTED');
  if (faulted.length === 0) return planned(decide('NOT_FAULTED', `group ${g} has no FAULTED resource on ${node}: nothing to clear`, { group: g, node }));
  for (const r of faulted) addClear(ctx, b, r, node);
  return planned(decide('CLEAR_FAULTED', `clear FAULTED of ${list(faulted)} on ${node} (group ${g})`, { group: g, node, cleared: faulted }));
}
