// AutoStart, once every resource of `node` has been probed after engine start.
// For an enabled, non-frozen group with AutoStart=true and `node` in its
// NodeList, with no resource of the group FAULTED on `node`:
// - parallel: online on `node` (unless already online there);
// - failover and single: online on `node` only if it is active on no other
//   node and `node` is its AutoStartNode, or (without one) the
//   highest-priority RUNNING node of its NodeList free of faults with room
//   for its Load (NO_CAPACITY when a node qualifies but none has room). A group
//   found PARTIAL or STARTING on `node` itself (adopted half-running) is
//   completed here.
// - a node earlier in the NodeList that is joining the cluster (INITING,
//   LOCAL_BUILD, REMOTE_BUILD: nodes starting together become RUNNING one
//   after the other) is waited for, at most JOINING_WAIT_MS after it entered
//   that state (AUTOSTART_WAIT_JOINING): it starts the group itself when it
//   is RUNNING; the cluster layer asks again when it stops joining otherwise
//   or the wait runs out.
import { groupAttribute, groupFlag } from '../../model/resolve.js';
import { decide } from './codes.js';
import { faultedOn, isNodeRunning, JOINING_STATES, list, type Ctx } from './context.js';
import { ACTIVE_STATES, groupState, nodesWhere } from './group-state.js';
import { addGroupOnline } from './online.js';
import { planned, type Outcome } from './outcome.js';
import { loadOf } from './capacity.js';
import { autoStartNode, consideredText, STAY_REASONS } from './placement.js';
import type { PlanBuilder } from './steps.js';
import type { NodeState } from '../../model/types.js';

/** How long AutoStart waits for a joining node earlier in a NodeList (a REMOTE_BUILD takes well under a second). */
export const JOINING_WAIT_MS = 10_000;

/** Nodes before `node` in the group's NodeList that are joining the cluster and still within JOINING_WAIT_MS. */
function joiningBefore(ctx: Ctx, node: string, now: number): { node: string; state: NodeState; forMs: number }[] {
  const i = ctx.group.NodeList.indexOf(node);
  return ctx.group.NodeList.slice(0, Math.max(0, i)).flatMap((n) => {
    const s = ctx.observed.nodes[n];
    if (!s || !JOINING_STATES.includes(s.state) || s.since === undefined || now - s.since >= JOINING_WAIT_MS) return [];
    return [{ node: n, state: s.state, forMs: Math.round(now - s.since) }];
  });
}

export function autoStart(ctx: Ctx, b: PlanBuilder, node: string, now: number): Outcome {
  const g = ctx.group.GroupName;
  if (!groupFlag(ctx.group, 'AutoStart')) return planned(decide('AUTOSTART_OFF', `group ${g}: AutoStart is off`, { group: g, node }));
  if (!isNodeRunning(ctx.observed, node)) return planned(decide('NODE_NOT_RUNNING', `group ${g}: node ${node} is not RUNNING`, { group: g, node }));
  const faulted = faultedOn(ctx, node);
  if (faulted.length > 0) return planned(decide('RESOURCE_FAULTED', `group ${g}: ${list(faulted)} FAULTED on ${node}; not started here until cleared`, { group: g, node, faulted }));

  const here = groupState(ctx.config, ctx.group, ctx.observed, node);
  if (here === 'ONLINE') return planned(decide('ALREADY_ONLINE', `group ${g} is already online on ${node}`, { group: g, node }));
  if (groupAttribute(ctx.group, 'GroupType') !== 'PARALLEL') {
    const elsewhere = nodesWhere(ctx.config, ctx.group, ctx.observed, ACTIVE_STATES).filter((n) => n !== node);
    if (elsewhere.length > 0) return planned(decide('ONLINE_ELSEWHERE', `group ${g} is already active on ${list(elsewhere)}: not started on ${node}`, { group: g, node, onlineOn: elsewhere }));
    const adopted = here === 'PARTIAL' || here === 'STARTING';
    const wanted = groupAttribute(ctx.group, 'AutoStartNode');
    const chosen = autoStartNode(ctx);
    if (!adopted && chosen.why === 'NO_CAPACITY') {
      return planned(decide('NO_CAPACITY', `group ${g} (Load ${loadOf(ctx.group)}) is not started: ${STAY_REASONS.NO_CAPACITY} (${consideredText(chosen.considered)})`, { group: g, node, load: loadOf(ctx.group), considered: chosen.considered }));
    }
    if (!adopted && chosen.to !== node) {
      const waits = typeof wanted === 'string' && wanted !== '' ? `waits for its AutoStartNode ${wanted}` : `starts on ${chosen.to ?? 'the first qualifying node'}, the highest-priority RUNNING node${loadOf(ctx.group) > 0 ? ' with room' : ''}`;
      return planned(decide('AUTOSTART_OTHER_NODE', `group ${g} ${waits}, not on ${node}`, { group: g, node, autoStartNode: chosen.to, considered: chosen.considered }));
    }
    const joining = adopted || (typeof wanted === 'string' && wanted !== '') ? [] : joiningBefore(ctx, node, now);
    if (joining.length > 0) {
      const text = joining.map((j) => `${j.node} ${j.state} for ${j.forMs} ms`).join(', ');
      return planned(
        decide('AUTOSTART_WAIT_JOINING', `group ${g} waits for ${text}: earlier in its NodeList and joining the cluster, it starts the group itself once RUNNING (${node} starts it after ${JOINING_WAIT_MS / 1000} s otherwise)`, {
          group: g,
          node,
          joining,
          recheckInMs: Math.max(...joining.map((j) => JOINING_WAIT_MS - j.forMs)),
        }),
      );
    }
  }
  const started = addGroupOnline(ctx, b, node, [], 'AUTOSTART_ONLINE', `AutoStart of group ${g}`);
  return planned(decide('AUTOSTART', `group ${g} was ${here} on ${node}: AutoStart brings it online (start ${list([...started.keys()])})`, { group: g, node, was: here, start: [...started.keys()] }));
}
