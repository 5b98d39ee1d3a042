// A node was judged dead (after fencing, if any): every failover group that
// was active there comes online on the first other node of its own NodeList
// that qualifies and has room for its Load (placement.ts); groups placed
// earlier in the same plan count on their new node (plan.ts). A group
// without room anywhere stays offline (NO_CAPACITY). Nothing runs on the
// dead node. Parallel and single groups never move.
import { groupAttribute } from '../../model/resolve.js';
import { decide } from './codes.js';
import { list, type Ctx } from './context.js';
import { ACTIVE_STATES, groupState, nodesWhere } from './group-state.js';
import { addGroupOnline } from './online.js';
import { planned, type Outcome } from './outcome.js';
import { loadOf } from './capacity.js';
import { consideredText, failoverTarget, STAY_REASONS } from './placement.js';
import type { PlanBuilder } from './steps.js';

/** The group was active on the dead node: the takeover concerns it. */
export function wasActiveOn(ctx: Ctx, dead: string): boolean {
  return ACTIVE_STATES.includes(groupState(ctx.config, ctx.group, ctx.observed, dead));
}

export function takeOver(ctx: Ctx, b: PlanBuilder, dead: string): Outcome {
  const g = ctx.group.GroupName;
  const type = groupAttribute(ctx.group, 'GroupType');
  const was = groupState(ctx.config, ctx.group, ctx.observed, dead);
  if (type === 'PARALLEL') return planned(decide('GROUP_TYPE_PARALLEL', `group ${g} is parallel: it does not move off ${dead}`, { group: g, node: dead }));
  const elsewhere = nodesWhere(ctx.config, ctx.group, ctx.observed, ACTIVE_STATES).filter((n) => n !== dead);
  if (elsewhere.length > 0) return planned(decide('ONLINE_ELSEWHERE', `group ${g} is already active on ${list(elsewhere)}: nothing to take over`, { group: g, node: dead, onlineOn: elsewhere }));

  const target = failoverTarget(ctx, dead);
  if (target.to === null) {
    const why = target.why ?? 'NO_FAILOVER_TARGET';
    const detail = why === 'NO_CAPACITY' ? ` (${consideredText(target.considered)})` : '';
    return planned(decide(why, `group ${g} was ${was} on ${dead} and stays offline: ${STAY_REASONS[why]}${detail}`, { group: g, from: dead, was, load: loadOf(ctx.group), considered: target.considered }), { group: g, from: dead, to: null });
  }
  const started = addGroupOnline(ctx, b, target.to, [], 'TAKEOVER_ONLINE', `node ${dead} FAULTED, group ${g} taken over`);
  return planned(
    decide('FAILOVER', `group ${g} was ${was} on ${dead}: taken over by ${target.to} (start ${list([...started.keys()])})`, { group: g, from: dead, to: target.to, was, considered: target.considered }),
    { group: g, from: dead, to: target.to },
  );
}
