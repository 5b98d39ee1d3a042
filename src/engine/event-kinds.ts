// What kind of fact an event record is, for the metrics and the
// notifications: one reading of the event log, so that a counter and a
// notification never disagree about what a failover or a fault is.
import type { EventRecord } from './event-record.js';

/** Kinds an operator can subscribe to (NotifyEvents); each record has at most one. */
export const EVENT_KINDS = ['node', 'failover', 'resource', 'group', 'jeopardy', 'config'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface Failover {
  group: string;
  from: string;
  to: string | null;
}

/** The failovers a plan record carries (empty for any other record). */
export function failoversOf(e: EventRecord): Failover[] {
  const f = e.facts ?? {};
  if (Array.isArray(f.failovers)) return f.failovers as Failover[];
  if (f.failover && typeof f.failover === 'object') return [f.failover as Failover];
  return [];
}

const CONFIG_RULES = new Set(['CONFIG_CHANGED', 'CONFIG_ADOPTED', 'CONFIG_REFUSED', 'CONFIG_DIVERGED', 'RESTART_NEEDED']);
const JEOPARDY_RULES = new Set(['JEOPARDY', 'JEOPARDY_OVER']);
const FAULTY_NODE_STATES = new Set(['FAULTED', 'EXITED']);

export function kindOf(e: EventRecord): EventKind | undefined {
  if (failoversOf(e).length > 0 && !e.rule.startsWith('REFUSED_')) return 'failover';
  if (JEOPARDY_RULES.has(e.rule)) return 'jeopardy';
  if (CONFIG_RULES.has(e.rule)) return 'config';
  if (e.subject.startsWith('node:') && e.newState && FAULTY_NODE_STATES.has(e.newState) && e.newState !== e.oldState) return 'node';
  if (e.subject.startsWith('resource:') && e.newState === 'FAULTED' && e.oldState !== 'FAULTED') return 'resource';
  if (e.subject.startsWith('group:') && e.newState === 'FAULTED' && e.oldState !== 'FAULTED') return 'group';
  return undefined;
}

/** "node,failover" → the kinds; unknown words are errors naming them. */
export function parseKinds(list: string): { kinds: EventKind[]; unknown: string[] } {
  const words = list.split(',').map((w) => w.trim()).filter(Boolean);
  const known = new Set<string>(EVENT_KINDS);
  return { kinds: words.filter((w): w is EventKind => known.has(w)), unknown: words.filter((w) => !known.has(w)) };
}
