// ICMP as a membership test scripts it: the addresses in `answering` answer
// every 50 ms; `pinged` holds what membership added at run time (a node joined).
import { monotonic } from '../../src/cluster/clock.js';
import type { IcmpProbe } from '../../src/cluster/membership.js';

export class FakeIcmp implements IcmpProbe {
  readonly answering = new Set<string>();
  readonly pinged = new Set<string>();
  startedAt: number | undefined;
  private readonly last = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  constructor(answering: string[]) {
    for (const a of answering) this.answering.add(a);
  }
  start(): void {
    this.startedAt = monotonic();
    const tick = () => {
      for (const a of this.answering) this.last.set(a, monotonic());
    };
    tick();
    this.timer = setInterval(tick, 50);
  }
  lastAnswerAt(address: string): number | undefined {
    return this.last.get(address);
  }
  addAddress(address: string): void {
    this.pinged.add(address);
  }
  removeAddress(address: string): void {
    this.pinged.delete(address);
  }
  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}
