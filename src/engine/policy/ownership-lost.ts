// The witness says this node's ownership of a failover group lapsed (it could
// not renew in time and hears no peer) or was taken: the group goes offline
// here before any other node may start it. Clients must stop reaching this
// node first, so every virtual IP of the group goes at once (no `after`),
// then the rest of the tree top-down, after the IPs.
import { resourceNames } from '../../model/graph.js';
import { decide } from './codes.js';
import { isManaged, list, mayRun, resourceOf, stateOf, type Ctx } from './context.js';
import { addOffline } from './offline.js';
import { planned, type Outcome } from './outcome.js';
import type { PlanBuilder } from './steps.js';

export function ownershipLost(ctx: Ctx, b: PlanBuilder, node: string, reason: string): Outcome {
  const g = ctx.group.GroupName;
  const running = (r: string) => isManaged(ctx, r) && mayRun(stateOf(ctx.observed, node, r));
  const all = [...resourceNames(ctx.group)];
  const vips = all.filter((r) => resourceOf(ctx, r).Type === 'IP' && running(r));
  const vipSteps = vips.map((r) =>
    b.add('offline', g, r, node, [], decide('OWNERSHIP_LOST_VIP', `stop ${r} on ${node} first: ${reason}`, { resource: r, node, state: stateOf(ctx.observed, node, r) })),
  );
  const rest = addOffline(ctx, b, node, all.filter((r) => !vips.includes(r)), vipSteps, (r) => ({ code: 'OWNERSHIP_LOST_OFFLINE', message: `stop ${r} on ${node}: ${reason}` }));
  const stopped = [...vips, ...rest.keys()];
  if (stopped.length === 0) return planned(decide('ALREADY_OFFLINE', `group ${g} is already offline on ${node}: ${reason}`, { group: g, node }));
  return planned(decide('OWNERSHIP_LOST', `drop group ${g} on ${node}, virtual IPs first (${list(stopped)}): ${reason}`, { group: g, node, stop: stopped, reason }));
}
