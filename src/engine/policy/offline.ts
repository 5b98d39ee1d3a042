// Taking resources offline: parents first.
// - one resource: it and the parents that STRONGly depend on it (WEAK links
//   are not followed: those parents stay online);
// - a group: the whole tree, whatever the link strength.
// Resources already OFFLINE, STOPPING or FAULTED get no step; UNKNOWN (not yet
// probed) ones do, since offline of an offline resource succeeds.
import { ancestors, resourceNames, strongOffline } from '../../model/graph.js';
import { isMonitorOnly } from '../../model/resolve.js';
import { decide, type StepCode } from './codes.js';
import { isEnabled, isManaged, isNodeRunning, list, mayRun, resourceOf, stateOf, type Ctx } from './context.js';
import { planned, refused, type Outcome } from './outcome.js';
import { addTree, type PlanBuilder } from './steps.js';

export function stopConflict(ctx: Ctx, node: string): Outcome | null {
  if (isNodeRunning(ctx.observed, node)) return null;
  const state = ctx.observed.nodes[node]?.state ?? 'unknown';
  return refused('CONFLICT', decide('NODE_NOT_RUNNING', `node ${node} is ${state}: only RUNNING nodes start and stop resources`, { group: ctx.group.GroupName, node, nodeState: state }));
}

/** Offline steps for `members` that may run on `node`, top-down. */
export function addOffline(ctx: Ctx, b: PlanBuilder, node: string, members: Iterable<string>, after: number[], decideFor: (r: string) => { code: StepCode; message: string }, facts: Record<string, unknown> = {}): Map<string, number> {
  return addTree(b, ctx, {
    node,
    members,
    direction: 'top-down',
    op: 'offline',
    after,
    needsStep: (r) => isManaged(ctx, r) && mayRun(stateOf(ctx.observed, node, r)),
    decide: (r) => {
      const d = decideFor(r);
      return decide(d.code, d.message, { resource: r, node, state: stateOf(ctx.observed, node, r), ...facts });
    },
  });
}

/** `facts`: added to every step's facts (a switch names its target `to`, which agents receive as the successor). */
export function addGroupOffline(ctx: Ctx, b: PlanBuilder, node: string, after: number[], code: StepCode, why: string, facts: Record<string, unknown> = {}): Map<string, number> {
  return addOffline(ctx, b, node, resourceNames(ctx.group), after, (r) => ({ code, message: `stop ${r} on ${node}: ${why}` }), facts);
}

export function resourceOffline(ctx: Ctx, b: PlanBuilder, res: string, node: string): Outcome {
  const g = ctx.group.GroupName;
  if (!isEnabled(ctx, res)) return refused('CONFLICT', decide('RESOURCE_DISABLED', `resource ${res} is disabled: it is neither started nor stopped; enable it first`, { resource: res, node }));
  const conflict = stopConflict(ctx, node);
  if (conflict) return conflict;
  const state = stateOf(ctx.observed, node, res);
  if (!mayRun(state)) return planned(decide('ALREADY_OFFLINE', `resource ${res} is already ${state} on ${node}: nothing to do`, { resource: res, node, state }));
  if (isMonitorOnly(ctx.config, resourceOf(ctx, res))) {
    return refused('CONFLICT', decide('MONITOR_ONLY', `resource ${res} is monitor-only (${resourceOf(ctx, res).Type}): the engine watches it but never stops it`, { resource: res, node, state }));
  }

  const scope = [res, ...ancestors(ctx.group, res, strongOffline)];
  const ids = addOffline(ctx, b, node, scope, [], (r) =>
    r === res
      ? { code: 'OFFLINE_REQUESTED', message: `stop ${r} on ${node}: requested` }
      : { code: 'OFFLINE_PARENT_STRONG', message: `stop ${r} on ${node} before ${res}: it STRONGly depends on ${res}` },
  );
  const stopped = [...ids.keys()];
  const stay = [...ancestors(ctx.group, res)].filter((r) => !scope.includes(r) && isManaged(ctx, r) && mayRun(stateOf(ctx.observed, node, r)));
  const weak = stay.length > 0 ? `; ${list(stay)} left online (WEAK)` : '';
  return planned(decide('RESOURCE_OFFLINE', `offline ${res} on ${node} (group ${g}): stop ${list(stopped)}, parents first${weak}`, { group: g, resource: res, node, stop: stopped, stayOnline: stay }));
}

export function groupOffline(ctx: Ctx, b: PlanBuilder, node: string): Outcome {
  const g = ctx.group.GroupName;
  const conflict = stopConflict(ctx, node);
  if (conflict) return conflict;
  const ids = addGroupOffline(ctx, b, node, [], 'OFFLINE_GROUP_MEMBER', `group ${g} offline, top-down`);
  const stopped = [...ids.keys()];
  if (stopped.length === 0) return planned(decide('ALREADY_OFFLINE', `group ${g} is already offline on ${node}: nothing to do`, { group: g, node }));
  return planned(decide('GROUP_OFFLINE', `offline group ${g} on ${node}: stop ${list(stopped)}, top-down`, { group: g, node, stop: stopped }));
}
