// `mcnode evacuate NODE`: every failover group online, partial or starting on
// NODE switches to the first node of its NodeList, in priority order, that is
// RUNNING and to which a switch is not refused (frozen, locked, FAULTED
// there, no room for its Load…). Every move is decided before any runs, each
// on the facts the moves decided before it leave (plan.ts), so the groups
// spread by NodeList order and Capacity: two groups never both go to a node
// that has room for one. If one group cannot move, the whole evacuation is
// refused and nothing moves. Each move then runs as an ordinary GroupSwitch.
import { groupAttribute } from '../../model/resolve.js';
import { decide, type DecisionCode } from './codes.js';
import { isNodeRunning, type Ctx } from './context.js';
import { groupState, ONLINE_STATES } from './group-state.js';
import { roomText, type Room } from './capacity.js';
import { planned, refused, type Outcome } from './outcome.js';
import { consideredText } from './placement.js';
import type { Plan, PolicyEvent } from './types.js';

/** null: the group is not concerned. `trial` plans an event on the same facts. */
export function evacuate(ctx: Ctx, node: string, trial: (event: PolicyEvent) => Plan): Outcome | null {
  const g = ctx.group.GroupName;
  if (groupAttribute(ctx.group, 'GroupType') !== 'FAILOVER') return null;
  if (!ONLINE_STATES.includes(groupState(ctx.config, ctx.group, ctx.observed, node))) return null;
  const candidates = ctx.group.NodeList.filter((n) => n !== node && isNodeRunning(ctx.observed, n));
  if (candidates.length === 0) {
    return refused('CONFLICT', decide('EVACUATE_NO_TARGET', `no other node can take group ${g}: no other node of its NodeList (${ctx.group.NodeList.join(', ')}) is RUNNING`, { group: g, node, nodeList: ctx.group.NodeList }));
  }
  let first: Plan | undefined;
  const considered: Record<string, string> = {};
  for (const to of candidates) {
    const event: PolicyEvent = { kind: 'GroupSwitch', group: g, node: to };
    const p = trial(event);
    if (!p.refused) return planned(decide('EVACUATE_SWITCH', `switch ${g} to ${to}`, { group: g, from: node, to, considered }), undefined, [{ group: g, event }]);
    considered[to] = p.decision.code === 'NO_CAPACITY' ? `no room: ${roomText(p.decision.facts as unknown as Room)}` : p.refused.message;
    first ??= p;
  }
  const r = first!.refused!;
  // One reason for every node (frozen, locked…) is said once; different reasons are said per node.
  const reasons = new Set(Object.values(considered));
  const full = Object.values(considered).some((c) => c.startsWith('no room: '));
  const why = reasons.size === 1 && !full ? r.message : `${consideredText(considered)}${full ? '; move a group away from one of them or raise its Capacity first' : ''}`;
  return refused(r.code, decide(first!.decision.code as DecisionCode, `cannot evacuate group ${g} from ${node}: ${why}`, { ...first!.decision.facts, group: g, node, considered }));
}
