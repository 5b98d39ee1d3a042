// Bringing resources online: children first.
// - one resource: it and the children it STRONGly depends on (WEAK links are
//   not followed); children already up are not started again;
// - a group: the whole tree, whatever the link strength; independent branches
//   carry no `after` edge between them and may run in parallel.
// Monitor-only and disabled resources get no step but still order their parents.
import { descendants, resourceNames, strongOnline } from '../../model/graph.js';
import { groupAttribute } from '../../model/resolve.js';
import { decide, type StepCode } from './codes.js';
import { faultedOn, isEnabled, isManaged, isNodeRunning, isUp, list, resourceOf, stateOf, type Ctx } from './context.js';
import { roomOn, roomText } from './capacity.js';
import { groupState, nodesWhere, ONLINE_STATES } from './group-state.js';
import { planned, refused, type Outcome } from './outcome.js';
import { addTree, type PlanBuilder } from './steps.js';
import { isMonitorOnly } from '../../model/resolve.js';

/**
 * Why the group cannot be started on `node`, or null. Failover and single
 * groups run on one node: online (or starting, or partial) on another node
 * that is not FAULTED is a conflict; with `force`, only RUNNING nodes count
 * (the operator vouches that an EXITED peer no longer runs it). A group not
 * yet active on `node` must fit within its Capacity (capacity.ts), unless
 * `force`.
 */
export function startConflict(ctx: Ctx, node: string, scope: string[], force = false): Outcome | null {
  const g = ctx.group.GroupName;
  if (!isNodeRunning(ctx.observed, node)) {
    const state = ctx.observed.nodes[node]?.state ?? 'unknown';
    return refused('CONFLICT', decide('NODE_NOT_RUNNING', `node ${node} is ${state}: only RUNNING nodes start and stop resources`, { group: g, node, nodeState: state }));
  }
  if (groupAttribute(ctx.group, 'GroupType') !== 'PARALLEL') {
    const elsewhere = nodesWhere(ctx.config, ctx.group, ctx.observed, ONLINE_STATES).filter((n) => n !== node && (!force || isNodeRunning(ctx.observed, n)));
    if (elsewhere.length > 0) {
      return refused('CONFLICT', decide('ONLINE_ELSEWHERE', `group ${g} is online on ${elsewhere.join(', ')}; use switch to move it to ${node}`, { group: g, node, onlineOn: elsewhere }));
    }
  }
  const faulted = faultedOn(ctx, node).filter((r) => scope.includes(r));
  if (faulted.length > 0) {
    return refused('CONFLICT', decide('RESOURCE_FAULTED', `${list(faulted)} FAULTED on ${node}: clear the fault first`, { group: g, node, faulted }));
  }
  if (!force && !ONLINE_STATES.includes(groupState(ctx.config, ctx.group, ctx.observed, node))) return noRoom(ctx, node);
  return null;
}

/** Refused when the group does not fit within the node's Capacity (a group already active there is not asked again). */
export function noRoom(ctx: Ctx, node: string): Outcome | null {
  const room = roomOn(ctx, node);
  if (room.fits) return null;
  const g = ctx.group.GroupName;
  return refused(
    'CONFLICT',
    decide('NO_CAPACITY', `node ${node} has no room for group ${g}: ${roomText(room)}; move a group away from ${node}, raise its Capacity (mcnode -modify -n ${node} -a Capacity N), or retry with --force to exceed it`, { group: g, ...room }),
  );
}

/** Online steps for every managed resource of the group not yet up on `node`, bottom-up. */
export function addGroupOnline(ctx: Ctx, b: PlanBuilder, node: string, after: number[], code: StepCode, why: string): Map<string, number> {
  return addTree(b, ctx, {
    node,
    members: resourceNames(ctx.group),
    direction: 'bottom-up',
    op: 'online',
    after,
    needsStep: (r) => isManaged(ctx, r) && !isUp(stateOf(ctx.observed, node, r)),
    decide: (r) => decide(code, `start ${r} on ${node}: ${why}`, { resource: r, node, state: stateOf(ctx.observed, node, r) }),
  });
}

export function resourceOnline(ctx: Ctx, b: PlanBuilder, res: string, node: string): Outcome {
  const g = ctx.group.GroupName;
  if (!isEnabled(ctx, res)) return refused('CONFLICT', decide('RESOURCE_DISABLED', `resource ${res} is disabled: it is neither started nor stopped; enable it first`, { resource: res, node }));
  const scope = [res, ...descendants(ctx.group, res, strongOnline)];
  const conflict = startConflict(ctx, node, scope);
  if (conflict) return conflict;
  const state = stateOf(ctx.observed, node, res);
  if (isUp(state)) return planned(decide('ALREADY_ONLINE', `resource ${res} is already ${state} on ${node}: nothing to do`, { resource: res, node, state }));
  if (isMonitorOnly(ctx.config, resourceOf(ctx, res))) {
    return refused('CONFLICT', decide('MONITOR_ONLY', `resource ${res} is monitor-only (${resourceOf(ctx, res).Type}): the engine watches it but never starts it`, { resource: res, node, state }));
  }

  const ids = addTree(b, ctx, {
    node,
    members: scope,
    direction: 'bottom-up',
    op: 'online',
    needsStep: (r) => isManaged(ctx, r) && !isUp(stateOf(ctx.observed, node, r)),
    decide: (r) =>
      r === res
        ? decide('ONLINE_REQUESTED', `start ${r} on ${node}: requested`, { resource: r, node, state: stateOf(ctx.observed, node, r) })
        : decide('ONLINE_REQUESTED_CHILD', `start ${r} on ${node} before ${res}: ${res} STRONGly depends on it`, { resource: r, node, requested: res, state: stateOf(ctx.observed, node, r) }),
  });
  const started = [...ids.keys()];
  const leftAlone = [...descendants(ctx.group, res)].filter((r) => !scope.includes(r) && isManaged(ctx, r) && !isUp(stateOf(ctx.observed, node, r)));
  const weak = leftAlone.length > 0 ? `; ${list(leftAlone)} left alone (WEAK)` : '';
  return planned(decide('RESOURCE_ONLINE', `online ${res} on ${node} (group ${g}): start ${list(started)}, children first${weak}`, { group: g, resource: res, node, start: started, leftAlone }));
}

export function groupOnline(ctx: Ctx, b: PlanBuilder, node: string, force: boolean): Outcome {
  const g = ctx.group.GroupName;
  const conflict = startConflict(ctx, node, resourceNames(ctx.group), force);
  if (conflict) return conflict;
  const ids = addGroupOnline(ctx, b, node, [], 'ONLINE_GROUP_MEMBER', `group ${g} online, bottom-up`);
  const started = [...ids.keys()];
  if (started.length === 0) return planned(decide('ALREADY_ONLINE', `group ${g} is already online on ${node}: nothing to do`, { group: g, node }));
  return planned(decide('GROUP_ONLINE', `online group ${g} on ${node}: start ${list(started)}, bottom-up`, { group: g, node, start: started, force }));
}
