// "Why is it so?": the chain of event records that led a group or a resource
// to its current state, read from the event log (newest last). It starts at
// the record that set the current state and walks back through the records
// of the same group while they follow each other closely, down to the root
// cause: an operator command, a monitor failure, a node decision or an engine
// start. A group kept offline for want of room (NO_CAPACITY: AutoStart,
// takeover or failover found no node of its NodeList with room for its Load,
// or an operator's online/switch was refused for it) changes no state: those
// records, when newer than the last state change, end the chain, so "why is
// it offline?" shows every node's figures.
import type { EventRecord } from '../api/protocol.js';

/** Records further apart than this belong to different stories. */
const GAP_MS = 120_000;
const MAX_CHAIN = 30;
/** At most this many "no room" records after the last state change (a retry loop repeats them). */
const MAX_STAY = 5;

/** A record that says the group stays where it is (offline) because no node has room for its Load. */
export function isNoRoom(e: EventRecord): boolean {
  return e.rule === 'NO_CAPACITY' || e.rule === 'REFUSED_NO_CAPACITY' || (e.facts as { why?: unknown } | undefined)?.why === 'NO_CAPACITY';
}

export function isRootCause(e: EventRecord): boolean {
  return (
    e.cause.startsWith('operator') ||
    e.rule === 'RESOURCE_FAILED' ||
    e.rule.startsWith('DECISION_') ||
    e.rule === 'ENGINE_START' ||
    e.rule === 'AUTOSTART' ||
    e.rule === 'PROBE_COMPLETE'
  );
}

/**
 * events: the log filtered on the group (or the resource's group), oldest first.
 * subject: "group:NAME" or "resource:NAME".
 */
export function whyChain(events: EventRecord[], subject: string): EventRecord[] {
  let end = -1;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.subject === subject && e.newState !== undefined) {
      end = i;
      break;
    }
  }
  const stays = subject.startsWith('group:') ? events.slice(end + 1).filter((e) => e.subject === subject && isNoRoom(e)).slice(-MAX_STAY) : [];
  if (end < 0) return stays;
  const chain: EventRecord[] = [events[end]!];
  let later = Date.parse(events[end]!.time);
  if (isRootCause(events[end]!)) return [...chain, ...stays];
  for (let i = end - 1; i >= 0 && chain.length < MAX_CHAIN; i--) {
    const e = events[i]!;
    const t = Date.parse(e.time);
    if (later - t > GAP_MS) break;
    chain.unshift(e);
    later = t;
    if (isRootCause(e)) break;
  }
  return [...chain, ...stays];
}
