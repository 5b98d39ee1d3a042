// Heartbeat loss on one link, from the sender's sequence numbers (one
// sequence per sender boot and link, +1 per heartbeat, see crypto.ts): the
// share of heartbeats missing in the last completed window of WINDOW
// sequence numbers (or in the current one before any window completed).

const WINDOW = 100;

export class LossWindow {
  private start?: number;
  private last = 0;
  private received = 0;
  private completed?: number;

  /** An authentic heartbeat with this sequence number arrived. */
  seen(seq: number): void {
    if (this.start === undefined || seq < this.start || seq > this.last + 10 * WINDOW) {
      // First heartbeat, a new boot of the sender (sequence restarted), or a long outage.
      this.start = seq;
      this.last = seq;
      this.received = 1;
      return;
    }
    if (seq - this.start >= WINDOW) {
      // Everything of [start, start + WINDOW) not received is lost.
      this.completed = Math.max(0, Math.min(1, 1 - this.received / WINDOW));
      this.start = seq;
      this.last = seq;
      this.received = 1;
      return;
    }
    this.received += 1;
    if (seq > this.last) this.last = seq;
  }

  /** 0..1; null before any heartbeat. */
  lossRatio(): number | null {
    if (this.completed !== undefined) return this.completed;
    return this.start === undefined ? null : this.ratio();
  }

  private ratio(): number {
    const expected = this.last - this.start! + 1;
    return Math.max(0, Math.min(1, 1 - this.received / expected));
  }
}
