// An ordered, bounded queue of notifications to one receiver, delivered one
// at a time (so they arrive in the order they happened), each retried with
// exponential back-off. It never blocks whoever pushes: push() only appends.
// When the receiver is down long enough for the queue to fill, the oldest
// waiting notification is dropped (logged); a receiver sees the gap in `seq`.

export interface QueueOptions {
  name: string;
  /** One attempt; `signal` aborts when the queue closes (kill the program, drop the request). */
  deliver: (body: string, signal: AbortSignal) => Promise<void>;
  log: (level: 'warn' | 'error' | 'info', message: string) => void;
  limit?: number;
  /** Attempts per notification before it is given up (logged). */
  attempts?: number;
  /** Back-off before the 2nd attempt; doubled each time up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

interface Item {
  body: string;
  label: string;
}

export class DeliveryQueue {
  private readonly items: Item[] = [];
  private running = false;
  private closed = false;
  private wake?: () => void;
  private readonly stopping = new AbortController();
  private idle: Array<() => void> = [];
  delivered = 0;
  failedAttempts = 0;
  dropped = 0;

  constructor(private readonly options: QueueOptions) {}

  get length(): number {
    return this.items.length;
  }

  push(body: string, label: string): void {
    if (this.closed) return;
    const limit = this.options.limit ?? 1000;
    if (this.items.length >= limit) {
      const lost = this.items.shift()!;
      this.dropped += 1;
      this.options.log('error', `notify ${this.options.name}: queue full (${limit}); dropped ${lost.label}`);
    }
    this.items.push({ body, label });
    if (!this.running) {
      this.running = true;
      // Not on the caller's stack: the event that produced it finishes first.
      setImmediate(() => void this.pump());
    }
  }

  /** Resolves when the queue is empty, or after timeoutMs. */
  drain(timeoutMs: number): Promise<void> {
    if (!this.running && this.items.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref?.();
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.closed = true;
    this.items.length = 0;
    this.stopping.abort();
    this.wake?.();
  }

  private async pump(): Promise<void> {
    const attempts = this.options.attempts ?? 8;
    const base = this.options.backoffMs ?? 500;
    const max = this.options.maxBackoffMs ?? 30_000;
    while (!this.closed && this.items.length > 0) {
      const item = this.items[0]!;
      for (let attempt = 1; !this.closed; attempt++) {
        try {
          await this.options.deliver(item.body, this.stopping.signal);
          this.delivered += 1;
          if (attempt > 1) this.options.log('info', `notify ${this.options.name}: ${item.label} delivered at attempt ${attempt}`);
          break;
        } catch (e) {
          if (this.closed) break;
          this.failedAttempts += 1;
          if (attempt >= attempts) {
            this.options.log('error', `notify ${this.options.name}: ${item.label} given up after ${attempt} attempts: ${(e as Error).message}`);
            break;
          }
          const wait = Math.min(max, base * 2 ** (attempt - 1));
          this.options.log('warn', `notify ${this.options.name}: ${item.label} attempt ${attempt} failed: ${(e as Error).message}; retry in ${wait} ms`);
          await new Promise<void>((r) => {
            const t = setTimeout(r, wait);
            t.unref?.();
            this.wake = () => {
              clearTimeout(t);
              r();
            };
          });
          this.wake = undefined;
        }
      }
      if (this.items[0] === item) this.items.shift();
    }
    this.running = false;
    for (const f of this.idle.splice(0)) f();
  }
}
