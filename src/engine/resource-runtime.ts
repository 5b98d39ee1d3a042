// What the engine keeps per local resource between agent calls: the monitor
// timer, whether an agent action is in flight, since when it runs. Shared by
// the resource operations (which mark a resource busy) and the monitor loop
// (which ignores results while it is busy or after a state change).

export interface ResourceRuntime {
  timer?: NodeJS.Timeout;
  /** An agent action is in flight: monitor results are not failures meanwhile. */
  busy: boolean;
  /** Monotonic ms since which it runs (OnlineTrustTime). */
  onlineSince?: number;
  /** Monitor timeouts in a row (FaultOnMonitorTimeouts). */
  monitorTimeouts: number;
  /** Monotonic ms at which it became FAULTED, and the timer of its AutoFaultClearTime. */
  faultedSince?: number;
  clearTimer?: NodeJS.Timeout;
  /** Monotonic id so a stale monitor result after a state change is dropped. */
  epoch: number;
}

export class ResourceRuntimes {
  private readonly runtime = new Map<string, ResourceRuntime>();

  get(name: string): ResourceRuntime {
    let rt = this.runtime.get(name);
    if (!rt) {
      rt = { busy: false, monitorTimeouts: 0, epoch: 0 };
      this.runtime.set(name, rt);
    }
    return rt;
  }

  /** Every monitor and clear timer stops (engine stop). */
  clearTimers(): void {
    for (const rt of this.runtime.values()) {
      if (rt.timer) clearTimeout(rt.timer);
      if (rt.clearTimer) clearTimeout(rt.clearTimer);
    }
  }
}
