// AutoFaultClearTime: a FAULTED resource is cleared once it has been FAULTED
// that long (0 = never). The engine asks when the fault appears (to set its
// timer at facts.dueAt) and again when the timer fires.
//   AutoFaultClearTime 0                   -> AUTO_CLEAR_OFF
//   not FAULTED (cleared meanwhile)        -> NOT_FAULTED
//   now < faultedSince + AutoFaultClearTime -> AUTO_CLEAR_PENDING (facts.dueAt)
//   otherwise                              -> AUTO_FAULT_CLEAR: an ordinary ResourceClear follows
import { groupAttribute } from '../../model/resolve.js';
import { decide } from './codes.js';
import { stateOf, type Ctx } from './context.js';
import { planned, type Outcome } from './outcome.js';

export function faultTimer(ctx: Ctx, res: string, node: string, now: number): Outcome {
  const g = ctx.group.GroupName;
  const value = groupAttribute(ctx.group, 'AutoFaultClearTime');
  const seconds = typeof value === 'number' ? value : 0;
  const facts = { group: g, resource: res, node, autoFaultClearTime: seconds };
  if (seconds <= 0) return planned(decide('AUTO_CLEAR_OFF', `group ${g} has AutoFaultClearTime 0: ${res} stays FAULTED on ${node} until an operator clears it`, facts));
  const state = stateOf(ctx.observed, node, res);
  if (state !== 'FAULTED') return planned(decide('NOT_FAULTED', `resource ${res} is ${state} on ${node}, not FAULTED: nothing to clear`, { ...facts, state }));
  const since = ctx.observed.resources[node]?.[res]?.faultedSince ?? now;
  const dueAt = since + seconds * 1000;
  if (now < dueAt) return planned(decide('AUTO_CLEAR_PENDING', `${res} is FAULTED on ${node}: cleared in ${Math.round((dueAt - now) / 1000)} s (AutoFaultClearTime ${seconds} s of group ${g})`, { ...facts, faultedSince: since, dueAt }));
  return planned(decide('AUTO_FAULT_CLEAR', `${res} has been FAULTED on ${node} for AutoFaultClearTime ${seconds} s of group ${g}: cleared`, { ...facts, faultedSince: since }), undefined, [
    { group: g, event: { kind: 'ResourceClear', resource: res, node } },
  ]);
}
