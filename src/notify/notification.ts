// The JSON document one event becomes for NotifyProgram (stdin) and
// NotifyWebhook (POST body). Its fields are the event log's, plus the kind
// and a sequence number per engine so that a receiver can check the order
// and see a gap. Stable: receivers' scripts rely on these names.
import type { EventRecord } from '../api/protocol.js';
import type { EventKind } from '../engine/event-kinds.js';

export interface Notification {
  /** Document format version. */
  version: 1;
  /** +1 per notification of this engine since it started; a gap means some were dropped. */
  seq: number;
  kind: EventKind;
  cluster: string;
  /** The node whose engine wrote the event. */
  node: string;
  time: string;
  subject: string;
  group?: string;
  resource?: string;
  oldState?: string;
  newState?: string;
  /** The reason code (the event log's `rule`). */
  reason: string;
  message: string;
  cause: string;
  facts: Record<string, unknown>;
}

export function toNotification(e: EventRecord, kind: EventKind, cluster: string, seq: number): Notification {
  return {
    version: 1,
    seq,
    kind,
    cluster,
    node: e.node,
    time: e.time,
    subject: e.subject,
    ...(e.group !== undefined ? { group: e.group } : {}),
    ...(e.resource !== undefined ? { resource: e.resource } : {}),
    ...(e.oldState !== undefined ? { oldState: e.oldState } : {}),
    ...(e.newState !== undefined ? { newState: e.newState } : {}),
    reason: e.rule,
    message: e.message,
    cause: e.cause,
    facts: e.facts ?? {},
  };
}
