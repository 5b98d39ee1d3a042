// node.evacuate (mcnode -evacuate): every failover group online on a node
// switches to another RUNNING node of its NodeList. The policy decides the
// moves (NodeEvacuate: targets, refusals, reason codes) before any runs, so a
// refusal leaves nothing half-done; each move then runs as its own GroupSwitch.
import type { HandleResult } from '../../engine/engine.js';
import { groupState } from '../../engine/policy/group-state.js';
import type { Plan, PlanStep } from '../../engine/policy/types.js';
import { MccsError } from '../../model/errors.js';
import { change } from '../methods.js';
import { str, type Spec } from './config-change.js';

/** Steps of several plans as one plan (ids renumbered), for the CLI to print. */
function combinePlans(plans: Plan[], node: string, decision: Plan['decision']): Plan {
  const steps: PlanStep[] = [];
  for (const plan of plans) {
    const base = steps.length;
    for (const s of plan.steps) steps.push({ ...s, id: base + s.id, after: s.after.map((a) => base + a) });
  }
  return { event: plans[0]?.event ?? { kind: 'NodeEvacuate', node }, steps, decision };
}

export const nodeEvacuate: Spec = {
  readOnly: false,
  params: { ...change },
  required: ['node'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const node = engine.checkNode(str(p, 'node'));
    const dryRun = p.dryRun === true;
    const wait = p.wait === true;
    // The policy decides every move before any runs (NodeEvacuate): a refusal leaves nothing half-done.
    const decided = engine.plan({ kind: 'NodeEvacuate', node });
    if (decided.refused) {
      const r = decided.refused;
      const actions = decided.decision.code === 'EVACUATE_NO_TARGET' ? ['start the engine of the other node first', `or take it offline: mcgrp offline ${String(decided.decision.facts.group)}`] : [];
      throw new MccsError(r.code, r.message, actions, { plan: decided });
    }
    const moves = (decided.followUps ?? []).map((f) => ({ group: f.group, from: node, to: f.event.node }));
    const decision = decided.decision;
    if (dryRun) return { changed: false, result: { dryRun: true, plan: decided, moves } };
    if (moves.length === 0) return { changed: false, result: { plan: combinePlans([], node, decision), moves } };
    const opts = { wait, timeout: p.timeout as number | undefined, cause: `operator ${ctx.principal.name}: evacuate ${node}` };
    const outs: HandleResult[] = await Promise.all(moves.map((m) => engine.handle({ kind: 'GroupSwitch', group: m.group, node: m.to }, opts)));
    const plan = combinePlans(outs.map((o) => o.plan), node, decision);
    const failed = outs.flatMap((o) => (o.execution && !o.execution.ok ? o.execution.steps.filter((s) => s.status === 'failed').map((s) => `${o.plan.steps[s.id]?.op} ${o.plan.steps[s.id]?.resource}: ${s.error}`) : []));
    if (failed.length > 0) throw new MccsError('FAILED', `evacuation of ${node} failed: ${failed.join('; ')}`, ['see why: mccluster events', 'after fixing: mcres -clear RES'], { plan });
    let state: Record<string, string> | undefined;
    if (wait) {
      state = Object.fromEntries(moves.map((m) => [m.group, groupState(engine.config, engine.findGroup(m.group), engine.observed, m.to)]));
      const notThere = moves.filter((m) => state![m.group] !== 'ONLINE');
      if (notThere.length > 0) throw new MccsError('FAILED', notThere.map((m) => `group ${m.group} is ${state![m.group]} on ${m.to}, not ONLINE`).join('; '), ['mccluster events']);
    }
    return { changed: outs.some((o) => o.changed), result: { plan, moves, ...(state ? { state } : {}) } };
  },
};
