// The policy's entry: plan(config, observed, event) → Plan. Pure: no I/O, no
// clock, no randomness; the same inputs give the same plan, byte for byte.
//
// 1. subject: which group(s), resource and node the event is about (NOT_FOUND,
//    NOT_IN_NODELIST);
// 2. gate: Frozen, Locked, Enabled — the one place they are checked;
// 3. the handler of the event, which adds steps to one builder;
// 4. one decision summing the plan up.
import { decide } from './codes.js';
import type { Ctx } from './context.js';
import { autoStart } from './autostart.js';
import { groupClear, resourceClear } from './clear.js';
import { resourceFailed } from './failure.js';
import { gate, intentOf } from './gate.js';
import { groupOffline, resourceOffline } from './offline.js';
import { groupOnline, resourceOnline } from './online.js';
import type { Failover, Outcome } from './outcome.js';
import { PlanBuilder } from './steps.js';
import { subjectOf } from './subject.js';
import { ownershipLost } from './ownership-lost.js';
import { groupSwitch } from './switch.js';
import { takeOver, wasActiveOn } from './takeover.js';
import type { MainConfig } from '../../model/types.js';
import type { Decision, Observed, Plan, PolicyEvent } from './types.js';

export function plan(config: MainConfig, observed: Observed, event: PolicyEvent): Plan {
  const subject = subjectOf(config, event);
  if ('decision' in subject) return finish(event, new PlanBuilder(), subject);

  const b = new PlanBuilder();
  if (subject.kind === 'group') {
    const ctx: Ctx = { config, observed, group: subject.group };
    const held = gate(subject.group, observed.groups?.[subject.group.GroupName], intentOf(event));
    if (held) return finish(event, b, held.verdict === 'refuse' ? { kind: 'refused', code: 'CONFLICT', decision: held.decision } : { kind: 'planned', decision: held.decision });
    return finish(event, b, handle(ctx, b, event));
  }

  // A node event: each group that lists the node, through the same gate.
  const outcomes: { group: string; outcome: Outcome }[] = [];
  for (const group of subject.groups) {
    const ctx: Ctx = { config, observed, group };
    if (event.kind === 'NodeFaulted' && !wasActiveOn(ctx, subject.node)) continue;
    const held = gate(group, observed.groups?.[group.GroupName], intentOf(event));
    const outcome: Outcome = held ? { kind: 'planned', decision: held.decision } : handle(ctx, b, event);
    outcomes.push({ group: group.GroupName, outcome });
  }
  return finish(event, b, { kind: 'planned', decision: summarise(event, subject.node, b, outcomes) }, outcomes.flatMap((o) => (o.outcome.kind === 'planned' && o.outcome.failover ? [o.outcome.failover] : [])));
}

function handle(ctx: Ctx, b: PlanBuilder, event: PolicyEvent): Outcome {
  switch (event.kind) {
    case 'ResourceOnline':
      return resourceOnline(ctx, b, event.resource, event.node);
    case 'ResourceOffline':
      return resourceOffline(ctx, b, event.resource, event.node);
    case 'GroupOnline':
      return groupOnline(ctx, b, event.node, event.force === true);
    case 'GroupOffline':
      return groupOffline(ctx, b, event.node);
    case 'GroupSwitch':
      return groupSwitch(ctx, b, event.node);
    case 'ResourceFailed':
      return resourceFailed(ctx, b, event.resource, event.node, event.reason, event.final === true);
    case 'NodeFaulted':
      return takeOver(ctx, b, event.node);
    case 'ProbeComplete':
      return autoStart(ctx, b, event.node);
    case 'ResourceClear':
      return resourceClear(ctx, b, event.resource, event.node);
    case 'GroupClear':
      return groupClear(ctx, b, event.node);
    case 'OwnershipLost':
      return ownershipLost(ctx, b, event.node, event.reason);
  }
}

function summarise(event: PolicyEvent, node: string, b: PlanBuilder, outcomes: { group: string; outcome: Outcome }[]): Decision {
  const groups = Object.fromEntries(outcomes.map(({ group, outcome }) => [group, { code: outcome.decision.code, message: outcome.decision.message }]));
  const lines = outcomes.map(({ outcome }) => outcome.decision.message);
  if (event.kind === 'NodeFaulted') {
    if (outcomes.length === 0) return decide('NOTHING_TO_DO', `node ${node} FAULTED: no group was active there`, { node, groups });
    const moving = outcomes.some(({ outcome }) => outcome.kind === 'planned' && outcome.failover !== undefined);
    return decide(moving ? 'NODE_FAULT_TAKEOVER' : 'NOTHING_TO_DO', `node ${node} FAULTED: ${lines.join('; ')}`, { node, groups });
  }
  if (outcomes.length === 0) return decide('NOTHING_TO_DO', `probes of ${node} complete: no group lists ${node}`, { node, groups });
  const acting = outcomes.some(({ group }) => b.steps.some((s) => s.group === group));
  return decide(acting ? 'AUTOSTART' : 'NOTHING_TO_DO', `probes of ${node} complete: ${lines.join('; ')}`, { node, groups });
}

function finish(event: PolicyEvent, b: PlanBuilder, outcome: Outcome, failovers: Failover[] = []): Plan {
  if (outcome.kind === 'refused') return { event, steps: [], decision: outcome.decision, refused: { code: outcome.code, message: outcome.decision.message } };
  const all = outcome.failover ? [outcome.failover] : failovers;
  const out: Plan = { event, steps: b.steps, decision: outcome.decision };
  if (all.length > 0) {
    out.failover = all[0];
    out.failovers = all;
  }
  return out;
}
