// The event log: one JSON line per decision in log/events.jsonl, so that
// "why did my group move at 03:12?" can be answered from it alone.
import { EventEmitter } from 'node:events';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { EventRecord } from './event-record.js';
import { rotateWhenFull } from './log-rotation.js';
import { writeFailures } from './write-failures.js';

/** Records kept in memory while the disk refuses them (bounded: the oldest go first). */
const PENDING_MAX = 10_000;

export interface EventFilter {
  group?: string;
  resource?: string;
  node?: string;
  /** Earlier names of `node` (a renamed node's events before its rename). */
  aliases?: string[];
  since?: string;
  until?: string;
  limit?: number;
}

/**
 * 'event' is emitted after each record is written (or kept in memory while
 * the disk is full), in the order written: the metrics and notifications
 * listen here, never inside the engine's decisions. Listeners must return at
 * once (they run on the decision path).
 */
export interface EventLogEvents {
  event: [record: EventRecord];
}

export class EventLog extends EventEmitter<EventLogEvents> {
  /** Lines not yet on disk (full disk): written first at the next write that succeeds, and shown by read(). */
  private pending: string[] = [];

  constructor(
    private readonly path: string,
    public node: string,
    private readonly maxBytes = 10 * 1024 * 1024,
    private readonly backups = 3,
  ) {
    super();
  }

  /** Appends synchronously: the record is on disk before the engine acts on the decision. */
  write(record: Omit<EventRecord, 'time' | 'node'> & { node?: string }): EventRecord {
    const full: EventRecord = { time: new Date().toISOString(), node: record.node ?? this.node, ...record };
    this.pending.push(`${JSON.stringify(full)}\n`);
    if (this.pending.length > PENDING_MAX) this.pending.splice(0, this.pending.length - PENDING_MAX);
    try {
      rotateWhenFull(this.path, this.maxBytes, this.backups);
      appendFileSync(this.path, this.pending.join(''));
      this.pending = [];
    } catch (e) {
      // The decision stands and is acted on; its record waits in memory for space.
      writeFailures.report('event log', e);
    }
    this.publish(full);
    return full;
  }

  private publish(record: EventRecord): void {
    for (const listener of this.listeners('event')) {
      try {
        (listener as (r: EventRecord) => void)(record);
      } catch {
        // A listener's bug must never break the decision that wrote the record.
      }
    }
  }

  read(filter: EventFilter = {}): EventRecord[] {
    const files = [...Array.from({ length: this.backups }, (_, i) => `${this.path}.${this.backups - i}`), this.path];
    const out: EventRecord[] = [];
    for (const file of files) {
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        let e: EventRecord;
        try {
          e = JSON.parse(line) as EventRecord;
        } catch {
          continue; // a torn last line after a crash is skipped, not fatal
        }
        if (matches(e, filter)) out.push(e);
      }
    }
    for (const line of this.pending) {
      const e = JSON.parse(line) as EventRecord;
      if (matches(e, filter)) out.push(e);
    }
    return filter.limit ? out.slice(-filter.limit) : out;
  }
}

export function matches(e: EventRecord, f: EventFilter): boolean {
  if (f.group && e.group !== f.group) return false;
  if (f.resource && e.resource !== f.resource) return false;
  if (f.node && e.node !== f.node && !f.aliases?.includes(e.node)) return false;
  if (f.since && e.time < normalizeTime(f.since)) return false;
  if (f.until && e.time > normalizeTime(f.until)) return false;
  return true;
}

/** Accepts ISO times and relative ones like "10m", "2h", "1d" (ago). */
export function normalizeTime(value: string, now = Date.now()): string {
  const rel = /^(\d+)([smhd])$/.exec(value.trim());
  if (rel) {
    const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(rel[1]) * unit).toISOString();
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? value : new Date(t).toISOString();
}
