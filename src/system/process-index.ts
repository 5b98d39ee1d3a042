// An index of /proc shared by every probe of one engine: which process runs
// which executable (and, once asked, with which arguments), so that finding
// the process of a resource by path and arguments costs one listing of /proc
// and a few reads, not a read of every process.
//
// Why: an offline probe of a Process resource looks for a process to adopt.
// findProcesses reads the executable of every process on the host; with many
// resources, and many processes on the host (several engines sharing a lab
// machine: ~2·N² processes for N engines), those scans were most of an
// engine's CPU.
//
// What stays exact:
// - A process started since the last probe is seen at once: every find lists
//   /proc again, and a pid not seen before is read.
// - A match is never taken from memory: each candidate is read again
//   (executable, arguments, state, start time) when found, through the same
//   rule as findProcesses (proc.ts matchProcess). A process that died, turned
//   zombie, or whose pid now belongs to another program is never returned.
// - What memory can miss: a process that was already listed and, later,
//   exec()s into the program (or a pid recycled between two listings). A pid
//   new since the previous listing is read again on every find during its
//   first `settleMs` (a new process between its fork and its exec), and every
//   process is read again when the last full read is older than
//   `fullScanEveryMs`: such a process is seen at most that much later than
//   with a full scan per probe (against monitor periods of 10 to 60 s).
import { acceptsExe, argvMatches, byStartTime, listPids, matchProcess, prepareQuery, procFs, readCmdline, readExe, selfAndAncestors, type ProcReader, type ProcessIdentity, type ProcessQuery } from './proc.js';

export interface ProcessIndexOptions {
  reader?: ProcReader;
  /** Every process is read again when the last full read is older (ms). Default 2000. */
  fullScanEveryMs?: number;
  /** A pid is read again on every find while it was first listed less than this ago (ms). Default 1000. */
  settleMs?: number;
  /** Monotonic clock (ms). */
  now?: () => number;
}

interface Entry {
  /** readlink /proc/PID/exe when read; null: unreadable (kernel thread, zombie, not ours). */
  exe: string | null;
  /** /proc/PID/cmdline, read the first time a query accepts `exe`. */
  argv?: string[] | null;
  /** When this pid was first listed. */
  firstSeen: number;
}

export class ProcessIndex {
  /** Full reads of the process table so far (every process's executable read). */
  fullScans = 0;
  private readonly reader: ProcReader;
  private readonly fullScanEveryMs: number;
  private readonly settleMs: number;
  private readonly now: () => number;
  private entries = new Map<number, Entry>();
  private lastFull = Number.NEGATIVE_INFINITY;
  private excluded = new Set<number>();
  private listed = false;

  constructor(opts: ProcessIndexOptions = {}) {
    this.reader = opts.reader ?? procFs;
    this.fullScanEveryMs = opts.fullScanEveryMs ?? 2000;
    this.settleMs = opts.settleMs ?? 1000;
    this.now = opts.now ?? (() => performance.now());
  }

  /** The next find reads every process again. */
  invalidate(): void {
    this.lastFull = Number.NEGATIVE_INFINITY;
  }

  /**
   * Processes running exactly `query.path` with exactly `query.args`, oldest
   * first: the same answer as findProcesses (proc.ts), from the index.
   * `fresh`: read every process now (before signalling what is found).
   */
  find(query: ProcessQuery, opts: { fresh?: boolean } = {}): ProcessIdentity[] {
    if (opts.fresh) this.invalidate();
    this.update();
    const q = prepareQuery(query);
    const found: ProcessIdentity[] = [];
    for (const [pid, e] of this.entries) {
      if (e.exe === null || !acceptsExe(q, e.exe)) continue;
      if (e.argv === undefined) e.argv = readCmdline(pid, this.reader);
      if (!e.argv || !argvMatches(q, e.exe, e.argv)) continue;
      // A candidate: read again now, never taken from memory.
      const id = matchProcess(pid, q, this.reader);
      if (id) found.push(id);
    }
    return found.sort(byStartTime);
  }

  /** Lists /proc; reads the executable of new and young pids (of every pid when the last full read is too old). */
  private update(): void {
    const t = this.now();
    const full = t - this.lastFull >= this.fullScanEveryMs;
    if (full) {
      this.lastFull = t;
      this.fullScans += 1;
      this.excluded = selfAndAncestors(this.reader);
    }
    // A pid absent from the previous listing may be between fork and exec: young. At the first
    // listing nothing is known to be new (a process caught before its exec is read again at the next full read).
    const bornAt = this.listed ? t : t - this.settleMs;
    const next = new Map<number, Entry>();
    for (const pid of listPids(this.reader)) {
      if (this.excluded.has(pid)) continue;
      const old = this.entries.get(pid);
      if (old && !full && t - old.firstSeen >= this.settleMs) {
        next.set(pid, old);
        continue;
      }
      next.set(pid, { exe: readExe(pid, this.reader), firstSeen: old?.firstSeen ?? bornAt });
    }
    this.entries = next;
    this.listed = true;
  }
}
