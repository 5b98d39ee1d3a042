// One rejection limiter per engine (limits/rejection-limiter.ts): the API
// (failed logins, refused connections) and the cluster layer (forged or
// garbled messages) report every rejection here; the first
// REJECTION_EVENTS_PER_MINUTE of each kind per minute become events (and log
// lines), the rest one REJECTIONS_SUPPRESSED summary per minute.
import type { EventRecord } from './event-record.js';
import { limitValue } from '../limits/constants.js';
import { RejectionLimiter } from '../limits/rejection-limiter.js';
import type { Engine } from './engine.js';

const limiters = new WeakMap<Engine, RejectionLimiter>();

export function rejectionLimiter(engine: Engine): RejectionLimiter {
  let limiter = limiters.get(engine);
  if (!limiter) {
    limiter = new RejectionLimiter({
      perWindow: limitValue('REJECTION_EVENTS_PER_MINUTE'),
      onSummary: ({ kind, suppressed, windowMs }) =>
        engine.record({
          subject: `node:${engine.localNode}`,
          cause: `rejection limit (${limitValue('REJECTION_EVENTS_PER_MINUTE')} ${kind} events per minute)`,
          rule: 'REJECTIONS_SUPPRESSED',
          message: `${suppressed} more ${kind} rejected in the last minute (not recorded one by one)`,
          facts: { kind, suppressed, windowMs },
        }),
    });
    limiters.set(engine, limiter);
  }
  return limiter;
}

/**
 * Records a rejection event unless its kind is over the limit this minute.
 * `kind` groups what an attacker can repeat ("MESSAGE_REJECTED heartbeat",
 * "LOGIN_FAILED"); returns whether it was recorded.
 */
export function recordRejection(engine: Engine, kind: string, event: Omit<EventRecord, 'time' | 'node'>): boolean {
  if (!rejectionLimiter(engine).admit(kind)) return false;
  engine.record(event);
  return true;
}

/** Every rejection seen since the engine started, per kind (recorded or summarized). */
export function rejectionTotals(engine: Engine): Record<string, number> {
  return Object.fromEntries(limiters.get(engine)?.totals ?? []);
}
