// SPEC §3 isolation: every heartbeat link is down and this node reaches none
// of its isolation test addresses: it is the one cut off. Every failover
// group online (or partial, or starting) here goes offline at once, through
// an ordinary GroupOffline each, so that the peer may take it over.
import { groupAttribute } from '../../model/resolve.js';
import { decide } from './codes.js';
import type { Ctx } from './context.js';
import { groupState, ONLINE_STATES } from './group-state.js';
import { planned, type Outcome } from './outcome.js';

/** null: the group is not concerned (not a failover group, or not running here). */
export function isolated(ctx: Ctx, node: string, reason: string): Outcome | null {
  const g = ctx.group.GroupName;
  if (groupAttribute(ctx.group, 'GroupType') !== 'FAILOVER') return null;
  const state = groupState(ctx.config, ctx.group, ctx.observed, node);
  if (!ONLINE_STATES.includes(state)) return null;
  return planned(decide('ISOLATION_OFFLINE', `group ${g} was ${state} on ${node}: taken offline`, { group: g, node, was: state, reason }), undefined, [
    { group: g, event: { kind: 'GroupOffline', group: g, node, by: 'cluster' } },
  ]);
}
