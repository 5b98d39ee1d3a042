// A monitor found an online resource failed. Only the failed resource's own
// Critical flag counts (SPEC §1).
//
// - restart in place while restartCount < RestartLimit: the parents that
//   STRONGly depend on it go offline (top-down), the resource is cleaned,
//   counted, started again, and those parents come back (bottom-up);
// - final failure, critical: its parents go offline first, then its own clean
//   (nothing half-running) and the rest of the group top-down; the resource is
//   recorded FAULTED; a failover group then comes online on its failover
//   target, after every offline step (or stays offline: `failover.to` null);
// - final failure, non-critical: only the parents that STRONGly depend on it
//   go offline (transitively, as for an operator's offline), it is cleaned and
//   recorded FAULTED, and it stops there: the rest stays online and nothing
//   fails over, even if those parents are critical.
// A monitor-only resource (NIC) cannot be restarted: its failure is final at
// once, and it gets no clean step (nothing of it runs).
import { ancestors, resourceNames, strongOffline } from '../../model/graph.js';
import { isMonitorOnly, resourceFlag, resourceNumber } from '../../model/resolve.js';
import { decide } from './codes.js';
import { isEnabled, list, resourceOf, stateOf, type Ctx } from './context.js';
import { addGroupOnline } from './online.js';
import { addOffline } from './offline.js';
import { planned, type Outcome } from './outcome.js';
import { consideredText, failoverTarget, STAY_REASONS } from './placement.js';
import { addTree, type PlanBuilder } from './steps.js';

export function resourceFailed(ctx: Ctx, b: PlanBuilder, res: string, node: string, reason: string, final = false): Outcome {
  const r = resourceOf(ctx, res);
  const state = stateOf(ctx.observed, node, res);
  if (!isEnabled(ctx, res)) return planned(decide('RESOURCE_DISABLED', `resource ${res} is disabled: its failure on ${node} is not acted on`, { resource: res, node, reason }));
  if (state === 'FAULTED') return planned(decide('ALREADY_FAULTED', `resource ${res} is already FAULTED on ${node}: nothing more to do`, { resource: res, node, reason }));

  const restarts = ctx.observed.resources[node]?.[res]?.restartCount ?? 0;
  const limit = resourceNumber(ctx.config, r, 'RestartLimit');
  const monitorOnly = isMonitorOnly(ctx.config, r);
  const facts = { group: ctx.group.GroupName, resource: res, node, reason, restartCount: restarts, restartLimit: limit, critical: resourceFlag(ctx.config, r, 'Critical'), monitorOnly };
  if (!monitorOnly && !final && restarts < limit) return restartInPlace(ctx, b, res, node, facts);
  return resourceFlag(ctx.config, r, 'Critical') ? criticalFailure(ctx, b, res, node, facts) : nonCriticalFailure(ctx, b, res, node, facts);
}

type Facts = { group: string; resource: string; node: string; reason: string; restartCount: number; restartLimit: number; critical: boolean; monitorOnly: boolean };

function restartInPlace(ctx: Ctx, b: PlanBuilder, res: string, node: string, facts: Facts): Outcome {
  const parents = ancestors(ctx.group, res, strongOffline);
  const stopped = addOffline(ctx, b, node, parents, [], (p) => ({ code: 'RESTART_PARENT_OFFLINE', message: `stop ${p} on ${node} before restarting ${res}: it STRONGly depends on ${res}` }));
  const n = facts.restartCount + 1;
  const clean = b.add('clean', ctx.group.GroupName, res, node, b.sinks([...stopped.values()]), decide('RESTART_CLEAN', `clean ${res} on ${node} before restart ${n} of ${facts.restartLimit}`, { ...facts }));
  const count = b.add('count-restart', ctx.group.GroupName, res, node, [clean], decide('RESTART_COUNT', `count restart ${n} of ${facts.restartLimit} of ${res} on ${node}`, { resource: res, node, restartCount: n, restartLimit: facts.restartLimit }));
  const online = b.add('online', ctx.group.GroupName, res, node, [count], decide('RESTART_IN_PLACE', `restart ${res} on ${node} (restart ${n} of ${facts.restartLimit}): ${facts.reason}`, { ...facts }));
  const back = addTree(b, ctx, {
    node,
    members: stopped.keys(),
    direction: 'bottom-up',
    op: 'online',
    after: [online],
    needsStep: () => true,
    decide: (p) => decide('RESTART_PARENT_ONLINE', `start ${p} on ${node} again after the restart of ${res}`, { resource: p, node }),
  });
  const parentsText = stopped.size > 0 ? `; parents ${list([...stopped.keys()])} stopped first and started again after` : '';
  return planned(decide('RESTART_IN_PLACE', `resource ${res} failed on ${node} (${facts.reason}): restart in place ${n} of ${facts.restartLimit}${parentsText}`, { ...facts, parents: [...back.keys()] }));
}

/** Offline of the failed resource's parents (top-down), then its clean and fault. Returns the ids of those steps. */
function stopAndFault(ctx: Ctx, b: PlanBuilder, res: string, node: string, parents: Set<string>, facts: Facts): { parents: string[]; clean: number | null } {
  const g = ctx.group.GroupName;
  const stopped = addOffline(ctx, b, node, parents, [], (p) => ({ code: 'FAILURE_PARENT_OFFLINE', message: `stop ${p} on ${node}: it depends on ${res}, which failed for good` }));
  const afterParents = b.sinks([...stopped.values()]);
  let clean: number | null = null;
  if (!isMonitorOnly(ctx.config, resourceOf(ctx, res))) {
    const code = facts.critical ? 'FINAL_FAILURE_CRITICAL' : 'FINAL_FAILURE_NONCRITICAL';
    clean = b.add('clean', g, res, node, afterParents, decide(code, `clean ${res} on ${node}: ${facts.critical ? 'critical' : 'non-critical'} resource failed for good (${facts.reason})`, { ...facts }));
  }
  b.add('fault', g, res, node, clean === null ? afterParents : [clean], decide('FAULT_RECORDED', `mark ${res} FAULTED on ${node}: ${facts.reason}`, { resource: res, node, reason: facts.reason }));
  return { parents: [...stopped.keys()], clean };
}

function usedRestarts(facts: Facts): string {
  if (facts.monitorOnly) return 'monitor-only: never restarted';
  return facts.restartLimit === 0 ? 'no restart allowed' : `${facts.restartCount} of ${facts.restartLimit} restarts used`;
}

function nonCriticalFailure(ctx: Ctx, b: PlanBuilder, res: string, node: string, facts: Facts): Outcome {
  const { parents } = stopAndFault(ctx, b, res, node, ancestors(ctx.group, res, strongOffline), facts);
  const stop = parents.length > 0 ? `; its STRONG parents ${list(parents)} go offline` : '';
  return planned(decide('FINAL_FAILURE_NONCRITICAL', `non-critical resource ${res} failed for good on ${node} (${facts.reason}; ${usedRestarts(facts)}): FAULTED${stop}; the rest of group ${facts.group} stays online, no failover`, { ...facts, parentsOffline: parents }));
}

function criticalFailure(ctx: Ctx, b: PlanBuilder, res: string, node: string, facts: Facts): Outcome {
  const g = ctx.group.GroupName;
  const mark = b.steps.length;
  const parents = ancestors(ctx.group, res);
  const first = stopAndFault(ctx, b, res, node, parents, facts);
  const rest = resourceNames(ctx.group).filter((r) => r !== res && !parents.has(r));
  const restAfter = first.clean === null ? b.sinks(b.since(mark)) : [first.clean];
  const restIds = addOffline(ctx, b, node, rest, restAfter, (r) => ({ code: 'FAILURE_GROUP_OFFLINE', message: `stop ${r} on ${node}: critical resource ${res} failed for good, group ${g} goes offline` }));
  const stopped = [...first.parents, ...restIds.keys()];

  const target = failoverTarget(ctx, node);
  const head = `critical resource ${res} failed for good on ${node} (${facts.reason}; ${usedRestarts(facts)}): group ${g} goes offline on ${node}`;
  const failoverFacts = { ...facts, stop: stopped, considered: target.considered };
  if (target.to === null) {
    const why = STAY_REASONS[target.why ?? 'NO_FAILOVER_TARGET'] + (target.why === 'NO_CAPACITY' ? ` (${consideredText(target.considered)})` : '');
    const d = decide('FINAL_FAILURE_CRITICAL', `${head} and stays offline: ${why}`, { ...failoverFacts, why: target.why });
    return target.why === 'GROUP_TYPE_PARALLEL' ? planned(d) : planned(d, { group: g, from: node, to: null });
  }
  const started = addGroupOnline(ctx, b, target.to, b.sinks(b.since(mark)), 'FAILOVER_TARGET', `group ${g} fails over from ${node} (critical resource ${res} failed)`);
  return planned(
    decide('FAILOVER', `${head} and fails over to ${target.to}`, { ...failoverFacts, to: target.to, start: [...started.keys()] }),
    { group: g, from: node, to: target.to },
  );
}
