// One record of the event log (log/events.jsonl); the API sends it as is.

/** One line of log/events.jsonl (ARCHITECTURE "The event log"). */
export interface EventRecord {
  time: string;
  node: string;
  /** "group:web", "resource:web-ip", "node:node2", "cluster" */
  subject: string;
  group?: string;
  resource?: string;
  oldState?: string;
  newState?: string;
  /** What happened that led here (the policy event, a monitor result, an operator command). */
  cause: string;
  /** Stable reason code of the rule that decided. */
  rule: string;
  message: string;
  facts?: Record<string, unknown>;
}
