// A standby's watch on a disk lease it does not hold: it reads the lease
// block every renewal period and remembers since when (on its own monotonic
// clock) the block has been unchanged. When a takeover is decided, the stale
// period has then already been running in parallel with the detection of the
// node fault: DiskLease.acquire waits only for what is left of it.
//
// Why that is as safe as counting from the takeover: every write of the
// lease raises its counter, so the same block at two reads means nobody wrote
// in between; the unchanged period starts at the first read that returned
// the block, never before the holder's last write. The holder stops writing
// (S-2)·R after its last successful renewal on its own clock, so a block
// unchanged for S·R on the taker's clock belongs to a holder that has given
// up, exactly as when the wait starts at the takeover.
import { decodeBlock, monotonic, sameRecord, type Clock, type LeaseIO, type LeaseSighting } from './disk-lease.js';

export class LeaseWatch {
  private timer: NodeJS.Timeout | undefined;
  private current: LeaseSighting | undefined;
  private running = false;
  /** Last read error (a watch that cannot read gives no head start). */
  lastError: string | undefined;

  constructor(
    readonly io: LeaseIO,
    private readonly periodMs: number,
    private readonly clock: Clock = monotonic,
  ) {}

  /** The block and since when it has been unchanged, or undefined when nothing was read yet (or the last read failed). */
  get sighting(): LeaseSighting | undefined {
    return this.current;
  }

  get active(): boolean {
    return this.running;
  }

  /** One read; a changed block restarts the unchanged period. */
  async read(): Promise<void> {
    try {
      const block = decodeBlock(await this.io.read());
      // Timed at the end of the read: the write that produced the block landed before it, never after.
      const readEnd = this.clock.now();
      if (!this.current || !sameRecord(this.current.block, block)) this.current = { block, since: readEnd };
      this.lastError = undefined;
    } catch (e) {
      this.current = undefined;
      this.lastError = (e as Error).message;
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = async (): Promise<void> => {
      this.timer = undefined;
      if (!this.running) return;
      await this.read();
      if (!this.running) return;
      this.timer = setTimeout(() => void tick(), this.periodMs);
      this.timer.unref();
    };
    void tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
