// The steps of a plan's follow-ups, as they would be planned now: each
// follow-up event is planned on the facts the previous follow-ups of its
// group leave (their steps done), and its first steps come after their last
// ones. The caller plans each follow-up again when it runs it (on fresh
// state, under the group's lock); these steps show what that will be.
import type { MainConfig, ResourceState } from '../../model/types.js';
import type { PlanBuilder } from './steps.js';
import type { Decision, FollowUp, Observed, Plan, PlanStep, PolicyEvent } from './types.js';

const AFTER_OP: Partial<Record<PlanStep['op'], ResourceState>> = { online: 'ONLINE', offline: 'OFFLINE', clean: 'OFFLINE', fault: 'FAULTED', clear: 'OFFLINE' };

/** The observed state once `steps` have run. */
export function afterSteps(observed: Observed, steps: PlanStep[]): Observed {
  const resources = { ...observed.resources };
  for (const s of steps) {
    const state = AFTER_OP[s.op];
    if (!state) continue;
    const byRes = (resources[s.node] = { ...resources[s.node] });
    byRes[s.resource] = { ...byRes[s.resource], state };
  }
  return { ...observed, resources };
}

/** The observed state once the group runs on no node but `node` (every other holder let go of it, in or out of its NodeList). */
function stoppedElsewhere(config: MainConfig, observed: Observed, group: string, node: string): Observed {
  const g = config.Groups.find((x) => x.GroupName === group);
  const resources = { ...observed.resources };
  for (const n of config.Nodes.map((x) => x.NodeName)) {
    if (n === node) continue;
    const byRes = (resources[n] = { ...resources[n] });
    for (const r of g?.Resources ?? []) {
      const st = byRes[r.ResName];
      if (st && (st.state === 'ONLINE' || st.state === 'STARTING')) byRes[r.ResName] = { ...st, state: 'OFFLINE' };
    }
  }
  return { ...observed, resources };
}

/** A follow-up that would not act: refused (an operator's kind of request) or held by the gate (frozen, disabled). */
export interface StoppedFollowUp {
  verdict: 'refused' | 'held';
  decision: Decision;
}

const GATE_CODES: readonly string[] = ['FROZEN', 'LOCKED', 'GROUP_DISABLED'];

/** The gate held the event (frozen, disabled…): recorded, nothing done; the follow-ups after it are not run either. */
export function heldByGate(p: Plan): boolean {
  return !p.refused && p.steps.length === 0 && GATE_CODES.includes(p.decision.code);
}

/** Adds the follow-ups' steps to `b`. Returns, per group, the follow-up that would be refused or held. */
export function composeFollowUps(config: MainConfig, observed: Observed, b: PlanBuilder, followUps: FollowUp[], plan: (event: PolicyEvent, observed: Observed) => Plan): Record<string, StoppedFollowUp> {
  const stopped: Record<string, StoppedFollowUp> = {};
  const byGroup = new Map<string, FollowUp[]>();
  for (const f of followUps) byGroup.set(f.group, [...(byGroup.get(f.group) ?? []), f]);
  for (const [group, list] of byGroup) {
    let facts = observed;
    let after: number[] = [];
    for (const f of list) {
      if (f.untilPeerStops) facts = stoppedElsewhere(config, facts, group, f.event.node);
      const p = plan(f.event, facts);
      if (p.refused || heldByGate(p)) {
        stopped[group] ??= { verdict: p.refused ? 'refused' : 'held', decision: p.decision };
        break;
      }
      const base = b.steps.length;
      for (const s of p.steps) b.add(s.op, s.group, s.resource, s.node, s.after.length > 0 ? s.after.map((a) => a + base) : after, s.decision);
      const ids = p.steps.map((s) => s.id + base);
      if (ids.length > 0) after = b.sinks(ids);
      facts = afterSteps(facts, p.steps);
    }
  }
  return stopped;
}
