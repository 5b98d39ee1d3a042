// AutoRestart: a persistent, monitor-only resource (NIC) whose failure took its
// group offline is up again on `node`. With AutoRestart on, a group active
// (ONLINE, PARTIAL, STARTING) on no node of its NodeList comes back online on
// `node`, through an ordinary GroupOnline (gated and checked like one).
import { groupFlag } from '../../model/resolve.js';
import { decide } from './codes.js';
import { list, type Ctx } from './context.js';
import { groupState, ONLINE_STATES } from './group-state.js';
import { planned, type Outcome } from './outcome.js';

export function resourceRecovered(ctx: Ctx, res: string, node: string): Outcome {
  const g = ctx.group.GroupName;
  const facts = { group: g, resource: res, node };
  if (!groupFlag(ctx.group, 'AutoRestart')) return planned(decide('AUTORESTART_OFF', `${res} recovered on ${node}; group ${g} has AutoRestart off: it stays as it is`, facts));
  // Every node of the NodeList, FAULTED ones included: what ran there may still run.
  const active = ctx.group.NodeList.filter((n) => ONLINE_STATES.includes(groupState(ctx.config, ctx.group, ctx.observed, n)));
  if (active.includes(node)) return planned(decide('ALREADY_ONLINE', `${res} recovered on ${node}; group ${g} is already active here`, { ...facts, onlineOn: active }));
  if (active.length > 0) return planned(decide('ONLINE_ELSEWHERE', `${res} recovered on ${node}; group ${g} is active on ${list(active)}: not brought back here`, { ...facts, onlineOn: active }));
  return planned(decide('AUTORESTART', `${res} recovered on ${node} and group ${g} is online nowhere: AutoRestart brings it back online on ${node}`, facts), undefined, [
    { group: g, event: { kind: 'GroupOnline', group: g, node, by: 'cluster' } },
  ]);
}
