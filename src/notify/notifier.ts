// NotifyProgram / NotifyWebhook: every event of the kinds in NotifyEvents,
// as one JSON document, to a program's stdin and/or a webhook, in order,
// retried with back-off. It listens on the event log and only queues there,
// so a slow or hanging receiver never delays a decision or a failover.
import type { EventRecord } from '../api/protocol.js';
import type { Engine } from '../engine/engine.js';
import { kindOf, parseKinds } from '../engine/event-kinds.js';
import { deliverToProgram, deliverToWebhook } from './delivery.js';
import { DeliveryQueue } from './delivery-queue.js';
import { toNotification } from './notification.js';

export interface Notifier {
  /** Per target ("program", "webhook"): what is waiting, delivered, failed and dropped. */
  stats(): Record<string, { queued: number; delivered: number; failedAttempts: number; dropped: number }>;
  /** Stops taking events; waits up to graceMs for what is queued, then drops the rest. */
  close(graceMs: number): Promise<void>;
}

export interface NotifierOptions {
  backoffMs?: number;
  maxBackoffMs?: number;
  attempts?: number;
  limit?: number;
}

export function startNotifier(engine: Engine, options: NotifierOptions = {}): Notifier {
  let seq = 0;
  const log = (level: 'warn' | 'error' | 'info', message: string) => engine.log[level](message);
  const timeoutMs = () => Number(engine.config.Cluster.NotifyTimeout ?? 10) * 1000;
  const program = () => String(engine.config.Cluster.NotifyProgram ?? '');
  const webhook = () => String(engine.config.Cluster.NotifyWebhook ?? '');
  const queues = {
    program: new DeliveryQueue({
      ...options,
      name: 'program',
      log,
      deliver: (body, signal) => {
        const p = program();
        if (!p) return Promise.resolve(); // removed meanwhile: nothing to deliver to
        const doc = JSON.parse(body) as { kind: string; reason: string; subject: string };
        return deliverToProgram(p, body, { MCCS_EVENT_KIND: doc.kind, MCCS_EVENT_REASON: doc.reason, MCCS_EVENT_SUBJECT: doc.subject }, timeoutMs(), signal);
      },
    }),
    webhook: new DeliveryQueue({
      ...options,
      name: 'webhook',
      log,
      deliver: (body, signal) => {
        const url = webhook();
        return url ? deliverToWebhook(url, body, timeoutMs(), signal) : Promise.resolve();
      },
    }),
  };

  const onEvent = (e: EventRecord): void => {
    const p = program();
    const w = webhook();
    if (!p && !w) return;
    const kind = kindOf(e);
    if (!kind) return;
    const wanted = parseKinds(String(engine.config.Cluster.NotifyEvents ?? 'node,failover,resource,group,jeopardy,config')).kinds;
    if (!wanted.includes(kind)) return;
    seq += 1;
    const body = JSON.stringify(toNotification(e, kind, String(engine.config.Cluster.ClusterName), seq));
    const label = `#${seq} ${kind} ${e.rule} ${e.subject}`;
    if (p) queues.program.push(body, label);
    if (w) queues.webhook.push(body, label);
  };
  engine.events.on('event', onEvent);

  return {
    stats: () =>
      Object.fromEntries(Object.entries(queues).map(([k, q]) => [k, { queued: q.length, delivered: q.delivered, failedAttempts: q.failedAttempts, dropped: q.dropped }])),
    close: async (graceMs) => {
      engine.events.off('event', onEvent);
      await Promise.all(Object.values(queues).map((q) => q.drain(graceMs)));
      for (const q of Object.values(queues)) q.close();
    },
  };
}
