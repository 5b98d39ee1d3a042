// Counters fed by the event log (every decision is one record there) and
// histograms fed by the engine's timings. Reason labels are the stable
// reason codes of the event log, so a graph and `mccluster events` agree.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { EventRecord } from '../api/protocol.js';
import type { Engine } from '../engine/engine.js';
import { failoversOf, kindOf } from '../engine/event-kinds.js';

export function registerEventCounters(registry: Registry, engine: Engine): () => void {
  const registers = [registry];
  const events = new Counter({ name: 'mccs_events_total', help: 'Records written to the event log by this engine, by reason code.', labelNames: ['rule'], registers });
  const failovers = new Counter({ name: 'mccs_failovers_total', help: 'Failovers and takeovers planned by this engine, by group, source node and reason code.', labelNames: ['group', 'from', 'reason'], registers });
  const restarts = new Counter({ name: 'mccs_restarts_total', help: 'Restarts in place of a failed resource, by group, resource and reason code.', labelNames: ['group', 'resource', 'reason'], registers });
  const resourceFaults = new Counter({ name: 'mccs_resource_faults_total', help: 'Resources marked FAULTED, by group, resource, node and reason code.', labelNames: ['group', 'resource', 'node', 'reason'], registers });
  const groupFaults = new Counter({ name: 'mccs_group_faults_total', help: 'Groups that became FAULTED, by group, node and reason code.', labelNames: ['group', 'node', 'reason'], registers });
  const nodeFaults = new Counter({ name: 'mccs_node_faults_total', help: 'Peers seen FAULTED or EXITED by this engine, by node, state and reason code.', labelNames: ['node', 'state', 'reason'], registers });
  const monitor = new Histogram({
    name: 'mccs_monitor_duration_seconds',
    help: 'Time of one monitor run, by resource type and outcome (running, stopped, failed, error).',
    labelNames: ['type', 'outcome'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const decision = new Histogram({
    name: 'mccs_decision_duration_seconds',
    help: 'Time the policy took to turn one event into a plan, by decision code.',
    labelNames: ['code'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers,
  });

  const onEvent = (e: EventRecord): void => {
    events.inc({ rule: e.rule });
    const kind = kindOf(e);
    const node = typeof e.facts?.node === 'string' ? e.facts.node : e.node;
    if (kind === 'failover') for (const f of failoversOf(e)) if (f.to !== null) failovers.inc({ group: f.group, from: f.from, reason: e.rule });
    if (kind === 'resource') resourceFaults.inc({ group: e.group ?? '', resource: e.resource ?? '', node, reason: e.rule });
    if (kind === 'group') groupFaults.inc({ group: e.group ?? '', node, reason: e.rule });
    if (kind === 'node') nodeFaults.inc({ node: e.subject.slice('node:'.length), state: e.newState ?? '', reason: e.rule });
    if (e.rule === 'RESTART_IN_PLACE' && e.resource) restarts.inc({ group: e.group ?? '', resource: e.resource, reason: e.rule });
  };
  const onMonitor = (type: string, seconds: number, outcome: string): void => monitor.observe({ type, outcome }, seconds);
  const onDecision = (code: string, seconds: number): void => decision.observe({ code }, seconds);
  engine.events.on('event', onEvent);
  engine.timings.on('monitor', onMonitor);
  engine.timings.on('decision', onDecision);
  return () => {
    engine.events.off('event', onEvent);
    engine.timings.off('monitor', onMonitor);
    engine.timings.off('decision', onDecision);
  };
}
