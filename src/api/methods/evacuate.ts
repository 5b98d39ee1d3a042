// node.evacuate (mcnode -evacuate): every failover group online on a node
// switches to another RUNNING node of its NodeList; every move is planned
// before any runs, so a refusal leaves nothing half-done.
import type { HandleResult } from '../../engine/engine.js';
import { groupState } from '../../engine/policy/group-state.js';
import type { Plan, PlanStep, PolicyEvent } from '../../engine/policy/types.js';
import { MccsError } from '../../model/errors.js';
import { groupAttribute } from '../../model/resolve.js';
import { change } from '../methods.js';
import { str, type Spec } from './config-change.js';

/** Steps of several plans as one plan (ids renumbered), for the CLI to print. */
function combinePlans(plans: Plan[], node: string, decision: Plan['decision']): Plan {
  const steps: PlanStep[] = [];
  for (const plan of plans) {
    const base = steps.length;
    for (const s of plan.steps) steps.push({ ...s, id: base + s.id, after: s.after.map((a) => base + a) });
  }
  return { event: (plans[0]?.event ?? { kind: 'NodeEvacuate', node }) as PolicyEvent, steps, decision };
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
    // Every failover group online (or starting) there.
    const groups = engine.config.Groups.filter((g) => groupAttribute(g, 'GroupType') === 'FAILOVER' && ['ONLINE', 'PARTIAL', 'STARTING'].includes(groupState(engine.config, g, engine.observed, node)));
    // Decide every move before running any: nothing half-done because of a refusal.
    const moves: { group: string; from: string; to: string; plan: Plan }[] = [];
    for (const g of groups) {
      const candidates = g.NodeList.filter((n) => n !== node && engine.observed.nodes[n]?.state === 'RUNNING');
      if (candidates.length === 0) {
        throw new MccsError('CONFLICT', `no other node can take group ${g.GroupName}: no other node of its NodeList (${g.NodeList.join(', ')}) is RUNNING`, ['start the engine of the other node first', `or take it offline: mcgrp offline ${g.GroupName}`]);
      }
      let firstRefusal: Plan | undefined;
      let chosen: { to: string; plan: Plan } | undefined;
      for (const to of candidates) {
        const plan = engine.plan({ kind: 'GroupSwitch', group: g.GroupName, node: to });
        if (!plan.refused) {
          chosen = { to, plan };
          break;
        }
        firstRefusal ??= plan;
      }
      if (!chosen) {
        const r = firstRefusal!.refused!;
        throw new MccsError(r.code, `cannot evacuate group ${g.GroupName} from ${node}: ${r.message}`, [], { plan: firstRefusal });
      }
      moves.push({ group: g.GroupName, from: node, to: chosen.to, plan: chosen.plan });
    }
    const decision = moves.length
      ? { code: 'NODE_EVACUATE', message: `evacuate ${node}: ${moves.map((m) => `switch ${m.group} to ${m.to}`).join(', ')}`, facts: { node, moves: moves.map(({ group, to }) => ({ group, to })) } }
      : { code: 'NOTHING_TO_EVACUATE', message: `no failover group is online on ${node}: nothing to do`, facts: { node } };
    const summary = moves.map(({ group, from, to }) => ({ group, from, to }));
    if (dryRun) return { changed: false, result: { dryRun: true, plan: combinePlans(moves.map((m) => m.plan), node, decision), moves: summary } };
    if (moves.length === 0) return { changed: false, result: { plan: combinePlans([], node, decision), moves: summary } };
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
    return { changed: outs.some((o) => o.changed), result: { plan, moves: summary, ...(state ? { state } : {}) } };
  },
};
