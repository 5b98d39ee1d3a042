// The policy's entry: plan(config, observed, event, now) → Plan. Pure: no
// I/O, no clock of its own (`now` is given), no randomness; the same inputs
// give the same plan, byte for byte.
//
// 1. subject: which group(s), resource and node the event is about (NOT_FOUND,
//    NOT_IN_NODELIST);
// 2. gate: Frozen, Locked, Enabled — the one place they are checked;
// 3. the handler of the event, which adds steps to one builder;
// 4. one decision summing the plan up;
// 5. follow-ups (heal, isolation, evacuation, AutoRestart, AutoFaultClearTime):
//    the events the caller runs next, each planned here too so that the plan
//    shows their steps.
import { decide } from './codes.js';
import type { Ctx } from './context.js';
import { faultTimer } from './auto-clear.js';
import { resourceRecovered } from './auto-restart.js';
import { autoStart } from './autostart.js';
import { groupClear, resourceClear } from './clear.js';
import { evacuate } from './evacuate.js';
import { resourceFailed } from './failure.js';
import { afterSteps, composeFollowUps, type StoppedFollowUp } from './follow-ups.js';
import { gate, intentOf } from './gate.js';
import { heal } from './heal.js';
import { isolated } from './isolation.js';
import { monitorTimedOut } from './monitor-timeout.js';
import { groupOffline, resourceOffline } from './offline.js';
import { onlineAttemptFailed } from './online-retry.js';
import { groupOnline, resourceOnline } from './online.js';
import type { Failover, Outcome } from './outcome.js';
import { PlanBuilder } from './steps.js';
import { subjectOf } from './subject.js';
import { ownershipLost } from './ownership-lost.js';
import { groupSwitch } from './switch.js';
import { takeOver, wasActiveOn } from './takeover.js';
import { monitorConfirmed } from './trust.js';
import type { MainConfig } from '../../model/types.js';
import type { Decision, FollowUp, Observed, Plan, PolicyEvent } from './types.js';

export function plan(config: MainConfig, observed: Observed, event: PolicyEvent, now: number): Plan {
  const subject = subjectOf(config, event);
  if ('decision' in subject) return finish(event, new PlanBuilder(), subject);

  const b = new PlanBuilder();
  const sub = (e: PolicyEvent, o: Observed = observed) => plan(config, o, e, now);
  if (subject.kind === 'group') {
    const ctx: Ctx = { config, observed, group: subject.group };
    const held = gate(subject.group, observed.groups?.[subject.group.GroupName], intentOf(event));
    if (held) return finish(event, b, held.verdict === 'refuse' ? { kind: 'refused', code: 'CONFLICT', decision: held.decision } : { kind: 'planned', decision: held.decision });
    const outcome = handle(ctx, b, event, now);
    if (outcome.kind === 'planned' && outcome.followUps) {
      const stopped = Object.values(composeFollowUps(config, observed, b, outcome.followUps, sub))[0];
      if (stopped) outcome.decision = { ...outcome.decision, facts: { ...outcome.decision.facts, ...followUpFact(stopped) } };
    }
    return finish(event, b, outcome);
  }

  // A node event: each group that lists the node, through the same gate.
  // Each group is placed on the facts the groups before it leave (their
  // steps, and the moves of their follow-ups, done), so that the Load placed
  // earlier in this plan counts on its new node (capacity.ts).
  const outcomes: { group: string; outcome: Outcome }[] = [];
  let facts = observed;
  for (const group of subject.groups) {
    const ctx: Ctx = { config, observed: facts, group };
    if (event.kind === 'NodeFaulted' && !wasActiveOn(ctx, subject.node)) continue;
    const held = gate(group, facts.groups?.[group.GroupName], intentOf(event));
    const mark = b.steps.length;
    const outcome: Outcome | null = held ? { kind: 'planned', decision: held.decision } : handleNode(ctx, b, event, (e) => sub(e, facts), now);
    if (!outcome) continue;
    // One group that cannot move refuses the whole request (evacuation): nothing half-done.
    if (outcome.kind === 'refused') return finish(event, new PlanBuilder(), outcome);
    outcomes.push({ group: group.GroupName, outcome });
    facts = afterSteps(facts, b.steps.slice(mark));
    for (const f of outcome.followUps ?? []) {
      if (f.event.kind !== 'GroupSwitch' && f.event.kind !== 'GroupOnline') continue;
      const p = sub(f.event, facts);
      if (!p.refused) facts = afterSteps(facts, p.steps);
    }
  }
  const followUps = outcomes.flatMap((o) => (o.outcome.kind === 'planned' ? (o.outcome.followUps ?? []) : []));
  const stoppedFollowUps = composeFollowUps(config, observed, b, followUps, sub);
  const decision = summarise(event, subject.node, b, outcomes, stoppedFollowUps);
  const failovers = outcomes.flatMap((o) => (o.outcome.kind === 'planned' && o.outcome.failover ? [o.outcome.failover] : []));
  return finish(event, b, { kind: 'planned', decision, followUps }, failovers);
}

function handle(ctx: Ctx, b: PlanBuilder, event: PolicyEvent, now: number): Outcome {
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
      return groupSwitch(ctx, b, event.node, event.force === true);
    case 'ResourceFailed':
      return resourceFailed(ctx, b, event.resource, event.node, event.reason, event.final === true);
    case 'ResourceClear':
      return resourceClear(ctx, b, event.resource, event.node);
    case 'GroupClear':
      return groupClear(ctx, b, event.node);
    case 'OwnershipLost':
      return ownershipLost(ctx, b, event.node, event.reason);
    case 'OnlineAttemptFailed':
      return onlineAttemptFailed(ctx, b, event.resource, event.node, event.reason);
    case 'MonitorTimedOut':
      return monitorTimedOut(ctx, event.resource, event.node, event.reason);
    case 'ResourceRecovered':
      return resourceRecovered(ctx, event.resource, event.node);
    case 'FaultTimer':
      return faultTimer(ctx, event.resource, event.node, now);
    case 'MonitorConfirmed':
      return monitorConfirmed(ctx, b, event.resource, event.node, now);
    default:
      throw new Error(`${event.kind} is a node event`);
  }
}

/** One group of a node event; null when the group is not concerned. */
function handleNode(ctx: Ctx, b: PlanBuilder, event: PolicyEvent, sub: (e: PolicyEvent) => Plan, now: number): Outcome | null {
  switch (event.kind) {
    case 'NodeFaulted':
      return takeOver(ctx, b, event.node);
    case 'ProbeComplete':
      return autoStart(ctx, b, event.node, now);
    case 'PeerStateReceived':
      return heal(ctx, event.node, event.peer);
    case 'NodeIsolated':
      return isolated(ctx, event.node, event.reason);
    case 'NodeEvacuate':
      return evacuate(ctx, event.node, sub);
    default:
      throw new Error(`${event.kind} is not a node event`);
  }
}

/** The fact naming a follow-up that would not act: followUpRefused or followUpHeld. */
function followUpFact(stopped: StoppedFollowUp): Record<string, { code: string; message: string }> {
  const key = stopped.verdict === 'refused' ? 'followUpRefused' : 'followUpHeld';
  return { [key]: { code: stopped.decision.code, message: stopped.decision.message } };
}

function summarise(event: PolicyEvent, node: string, b: PlanBuilder, outcomes: { group: string; outcome: Outcome }[], stoppedFollowUps: Record<string, StoppedFollowUp>): Decision {
  // Each group's own decision; a follow-up that would be refused (locked…) or held (frozen, disabled) is named beside it.
  const groups = Object.fromEntries(
    outcomes.map(({ group, outcome }) => {
      const stopped = stoppedFollowUps[group];
      return [group, { code: outcome.decision.code, message: outcome.decision.message, facts: outcome.decision.facts, ...(stopped ? followUpFact(stopped) : {}) }];
    }),
  );
  const lines = outcomes.map(({ outcome }) => outcome.decision.message);
  const acting = (o: Outcome) => o.kind === 'planned' && (o.followUps?.length ?? 0) > 0;
  switch (event.kind) {
    case 'NodeFaulted': {
      if (outcomes.length === 0) return decide('NOTHING_TO_DO', `node ${node} FAULTED: no group was active there`, { node, groups });
      const moving = outcomes.some(({ outcome }) => outcome.kind === 'planned' && outcome.failover !== undefined);
      return decide(moving ? 'NODE_FAULT_TAKEOVER' : 'NOTHING_TO_DO', `node ${node} FAULTED: ${lines.join('; ')}`, { node, groups });
    }
    case 'PeerStateReceived':
      if (outcomes.length === 0) return decide('NOTHING_TO_DO', `states of ${event.peer} received: no failover group is online on both ${node} and ${event.peer} (or its heal is under way)`, { node, peer: event.peer, groups });
      return decide(outcomes.some((o) => acting(o.outcome)) ? 'HEAL' : 'NOTHING_TO_DO', `heal after partition: ${lines.join('; ')}`, { node, peer: event.peer, groups });
    case 'NodeIsolated':
      if (outcomes.length === 0) return decide('NOTHING_TO_DO', `${node} is isolated (${event.reason}): no failover group is online here`, { node, reason: event.reason, groups });
      return decide('NODE_ISOLATED', `${node} is isolated (${event.reason}): ${lines.join('; ')}`, { node, reason: event.reason, groups });
    case 'NodeEvacuate': {
      if (outcomes.length === 0) return decide('NOTHING_TO_EVACUATE', `no failover group is online on ${node}: nothing to do`, { node });
      const moves = outcomes.map(({ outcome }) => ({ group: outcome.decision.facts.group, to: outcome.decision.facts.to }));
      return decide('NODE_EVACUATE', `evacuate ${node}: ${lines.join(', ')}`, { node, moves, groups });
    }
    default: {
      if (outcomes.length === 0) return decide('NOTHING_TO_DO', `probes of ${node} complete: no group lists ${node}`, { node, groups });
      const started = outcomes.some(({ group }) => b.steps.some((s) => s.group === group));
      return decide(started ? 'AUTOSTART' : 'NOTHING_TO_DO', `probes of ${node} complete: ${lines.join('; ')}`, { node, groups });
    }
  }
}

function finish(event: PolicyEvent, b: PlanBuilder, outcome: Outcome, failovers: Failover[] = []): Plan {
  if (outcome.kind === 'refused') return { event, steps: [], decision: outcome.decision, refused: { code: outcome.code, message: outcome.decision.message } };
  const all = outcome.failover ? [outcome.failover] : failovers;
  const out: Plan = { event, steps: b.steps, decision: outcome.decision };
  if (all.length > 0) {
    out.failover = all[0];
    out.failovers = all;
  }
  const followUps: FollowUp[] = outcome.followUps ?? [];
  if (followUps.length > 0) out.followUps = followUps;
  return out;
}
