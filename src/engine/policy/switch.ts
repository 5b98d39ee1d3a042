// Planned switch of a failover group to another node: offline top-down on the
// node where it runs, then online bottom-up on the target, the first online
// steps `after` the last offline ones. Parallel and single groups never move.
// Switching to where the group already runs changes nothing. The target
// must have room for the group's Load (Capacity), unless `force`.
import { resourceNames } from '../../model/graph.js';
import { groupAttribute } from '../../model/resolve.js';
import { decide } from './codes.js';
import { faultedOn, isNodeRunning, list, type Ctx } from './context.js';
import { nodesWhere, ONLINE_STATES } from './group-state.js';
import { addGroupOnline, noRoom } from './online.js';
import { addGroupOffline } from './offline.js';
import { planned, refused, type Outcome } from './outcome.js';
import type { PlanBuilder } from './steps.js';

export function groupSwitch(ctx: Ctx, b: PlanBuilder, to: string, force = false): Outcome {
  const g = ctx.group.GroupName;
  const type = groupAttribute(ctx.group, 'GroupType');
  if (type === 'PARALLEL') return refused('CONFLICT', decide('PARALLEL_NO_SWITCH', `group ${g} is a parallel group: it runs on every node of its NodeList and never moves; use online/offline per node`, { group: g, node: to }));
  if (type === 'SINGLE') return refused('CONFLICT', decide('SINGLE_NO_SWITCH', `group ${g} is a single-node group: it never moves`, { group: g, node: to }));

  const from = nodesWhere(ctx.config, ctx.group, ctx.observed, ONLINE_STATES);
  if (from.length === 1 && from[0] === to) return planned(decide('ALREADY_THERE', `group ${g} is already online on ${to}: nothing to do`, { group: g, node: to }));
  if (from.length === 0) return refused('CONFLICT', decide('NOT_ONLINE', `group ${g} is online nowhere: use online to start it on ${to}`, { group: g, node: to }));
  for (const n of [to, ...from]) {
    if (!isNodeRunning(ctx.observed, n)) {
      const state = ctx.observed.nodes[n]?.state ?? 'unknown';
      return refused('CONFLICT', decide('NODE_NOT_RUNNING', `node ${n} is ${state}: only RUNNING nodes start and stop resources`, { group: g, node: n, nodeState: state }));
    }
  }
  const faulted = faultedOn(ctx, to).filter((r) => resourceNames(ctx.group).includes(r));
  if (faulted.length > 0) return refused('CONFLICT', decide('RESOURCE_FAULTED', `${list(faulted)} FAULTED on ${to}: clear the fault first`, { group: g, node: to, faulted }));

  if (!force) {
    const full = noRoom(ctx, to);
    if (full) return full;
  }

  const mark = b.steps.length;
  const leaving = from.filter((n) => n !== to);
  for (const n of leaving) addGroupOffline(ctx, b, n, [], 'SWITCH_OFFLINE', `group ${g} switches to ${to}`, { to });
  const started = addGroupOnline(ctx, b, to, b.sinks(b.since(mark)), 'SWITCH_ONLINE', `group ${g} switches from ${leaving.join(', ')}`);
  return planned(decide('GROUP_SWITCH', `switch group ${g} from ${leaving.join(', ')} to ${to}: stop top-down there, then start ${list([...started.keys()])} bottom-up`, { group: g, from: leaving, to }));
}
