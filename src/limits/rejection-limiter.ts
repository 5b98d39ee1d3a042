// Rejection events (a forged heartbeat, a failed login, a refused
// connection) are limited globally per kind, not per source: an attacker who
// varies its address or port gets no more events than one who does not, so
// no flood rotates real history out of the event log. The first
// REJECTION_EVENTS_PER_MINUTE of a kind in a minute are recorded; the rest are
// counted, and one summary ("N more rejected in the last minute") closes the
// minute.

export interface RejectionSummary {
  kind: string;
  suppressed: number;
  windowMs: number;
}

export interface RejectionLimiterOptions {
  perWindow: number;
  windowMs?: number;
  /** Monotonic ms (tests inject one). */
  clock?: () => number;
  onSummary: (summary: RejectionSummary) => void;
}

interface Window {
  start: number;
  admitted: number;
  suppressed: number;
}

export class RejectionLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly windowMs: number;
  private readonly clock: () => number;
  private timer?: NodeJS.Timeout;
  /** Every rejection ever seen, per kind (recorded or not): for status. */
  readonly totals = new Map<string, number>();

  constructor(private readonly options: RejectionLimiterOptions) {
    this.windowMs = options.windowMs ?? 60_000;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** true: record this one; false: counted only (a summary follows). */
  admit(kind: string): boolean {
    this.totals.set(kind, (this.totals.get(kind) ?? 0) + 1);
    const now = this.clock();
    let w = this.windows.get(kind);
    if (w && now - w.start >= this.windowMs) {
      this.close(kind, w);
      w = undefined;
    }
    if (!w) {
      w = { start: now, admitted: 0, suppressed: 0 };
      this.windows.set(kind, w);
      this.arm();
    }
    if (w.admitted < this.options.perWindow) {
      w.admitted += 1;
      return true;
    }
    w.suppressed += 1;
    return false;
  }

  /** Closes every window that has ended (the timer calls it; tests may too). */
  flush(): void {
    const now = this.clock();
    for (const [kind, w] of this.windows) if (now - w.start >= this.windowMs) this.close(kind, w);
    if (this.windows.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private close(kind: string, w: Window): void {
    this.windows.delete(kind);
    if (w.suppressed > 0) this.options.onSummary({ kind, suppressed: w.suppressed, windowMs: this.windowMs });
  }

  private arm(): void {
    if (this.timer || this.options.clock) return;
    this.timer = setInterval(() => this.flush(), Math.max(1000, this.windowMs / 10));
    this.timer.unref();
  }
}
