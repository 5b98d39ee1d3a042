// The disk lease of a SharedDisk: one 4 KiB block in a reserved area of the
// shared device, so that only one node mounts the file system.
//
// Record (ASCII, NUL-padded to one block):
//   MCCSLEASE1 owner=<node> gen=<generation> counter=<n>[ for=<node>] sum=<16 hex>\n
// The holder rewrites it every renewal period with counter+1. Nobody ever
// compares wall clocks: a reader judges freshness by whether the counter
// changes, timed on its own monotonic clock. Every write raises the counter,
// so two reads of the same record mean nobody wrote in between, however far
// apart they are (a standby's LeaseWatch relies on this).
// A release for a planned switch names the successor (`for=`): that node
// takes the lease at once; any other node treats it as held by the successor.
//
// Block I/O goes through `dd iflag=direct` / `oflag=direct,dsync` (see
// DdLeaseIO): O_DIRECT needs buffers aligned to the logical block size, and a
// Node Buffer's address is neither aligned nor knowable from JavaScript, so
// fs.open(O_DIRECT) would fail with EINVAL at random. The record is ASCII so it
// travels through the runner's text stdin/stdout unchanged.
import { createHash } from 'node:crypto';
import type { Runner } from '../runner.js';

export const LEASE_BLOCK = 4096;
export const LEASE_MAGIC = 'MCCSLEASE1';
/** Default reserved area: the last MiB of the device (LeaseOffset -1048576). */
export const DEFAULT_LEASE_RESERVE = 1024 * 1024;

export interface LeaseRecord {
  /** '' when released. */
  owner: string;
  generation: number;
  counter: number;
  /** Released for this node only (planned switch): it may take the lease without waiting. */
  handoff?: string;
}

export type DecodedBlock =
  | { kind: 'blank' }
  | { kind: 'record'; record: LeaseRecord }
  | { kind: 'corrupt'; text: string }
  | { kind: 'foreign' };

/** Reads and writes the lease block of one device. */
export interface LeaseIO {
  read(): Promise<string>;
  write(block: string): Promise<void>;
  /** Human name for messages ("/dev/sdb at offset 1072693248"). */
  describe(): string;
}

/** Monotonic milliseconds (performance.now in production). */
export interface Clock {
  now(): number;
}

export const monotonic: Clock = { now: () => performance.now() };

const OWNER_PATTERN = /^[A-Za-z0-9_.-]{1,63}$/;

function checksum(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

export function encodeRecord(r: LeaseRecord): string {
  if (r.owner !== '' && !OWNER_PATTERN.test(r.owner)) throw new Error(`invalid lease owner name '${r.owner}'`);
  if (r.handoff !== undefined && (r.owner !== '' || !OWNER_PATTERN.test(r.handoff))) throw new Error(`invalid lease handoff '${r.handoff}'`);
  const body = `owner=${r.owner} gen=${r.generation} counter=${r.counter}${r.handoff !== undefined ? ` for=${r.handoff}` : ''}`;
  const line = `${LEASE_MAGIC} ${body} sum=${checksum(body)}\n`;
  return line + '\0'.repeat(LEASE_BLOCK - line.length);
}

export function decodeBlock(text: string): DecodedBlock {
  const trimmed = text.replace(/\0+$/, '');
  if (trimmed === '') return { kind: 'blank' };
  if (!trimmed.startsWith(`${LEASE_MAGIC} `)) return { kind: 'foreign' };
  const m = /^MCCSLEASE1 (owner=([A-Za-z0-9_.-]{0,63}) gen=(\d+) counter=(\d+)(?: for=([A-Za-z0-9_.-]{1,63}))?) sum=([0-9a-f]{16})\n?$/.exec(trimmed);
  if (!m || checksum(m[1]!) !== m[6]) return { kind: 'corrupt', text: trimmed.slice(0, 120) };
  const record: LeaseRecord = { owner: m[2]!, generation: Number(m[3]), counter: Number(m[4]) };
  if (m[5] !== undefined) record.handoff = m[5];
  return { kind: 'record', record };
}

export function sameRecord(a: DecodedBlock, b: DecodedBlock): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'record' && b.kind === 'record') {
    return a.record.owner === b.record.owner && a.record.generation === b.record.generation && a.record.counter === b.record.counter && a.record.handoff === b.record.handoff;
  }
  if (a.kind === 'corrupt' && b.kind === 'corrupt') return a.text === b.text;
  return true;
}

export function describeHolder(d: DecodedBlock): string {
  if (d.kind === 'record' && d.record.owner === '' && d.record.handoff) return `nobody (released for ${d.record.handoff})`;
  if (d.kind === 'record') return `${d.record.owner} (generation ${d.record.generation}, counter ${d.record.counter})`;
  if (d.kind === 'corrupt') return 'an unreadable record';
  return 'nobody';
}

/** Lease I/O through `dd` with direct I/O, run by the engine's runner (as root). */
export class DdLeaseIO implements LeaseIO {
  constructor(
    private readonly runner: Runner,
    private readonly device: string,
    /** Byte offset of the lease block; a multiple of LEASE_BLOCK. */
    private readonly offset: number,
    private readonly timeoutMs = 5000,
  ) {
    if (offset < 0 || offset % LEASE_BLOCK !== 0) throw new Error(`lease offset ${offset} is not a non-negative multiple of ${LEASE_BLOCK}`);
  }

  describe(): string {
    return `${this.device} at offset ${this.offset}`;
  }

  private async dd(args: string[], input?: string): Promise<string> {
    let r;
    try {
      r = await this.runner.run('dd', args, { timeoutMs: this.timeoutMs, input });
    } catch (e) {
      throw new Error(`cannot run dd (install the Debian package coreutils): ${(e as Error).message}`);
    }
    if (r.timedOut) throw new Error(`dd on ${this.describe()} did not finish in ${this.timeoutMs} ms`);
    if (r.exitCode !== 0) throw new Error(`dd on ${this.describe()} failed: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.exitCode}`}`);
    return r.stdout;
  }

  async read(): Promise<string> {
    const block = this.offset / LEASE_BLOCK;
    return this.dd([`if=${this.device}`, `bs=${LEASE_BLOCK}`, 'count=1', `skip=${block}`, 'iflag=direct', 'status=none']);
  }

  async write(text: string): Promise<void> {
    if (text.length !== LEASE_BLOCK) throw new Error(`lease block must be ${LEASE_BLOCK} bytes`);
    const block = this.offset / LEASE_BLOCK;
    await this.dd([`of=${this.device}`, `bs=${LEASE_BLOCK}`, 'count=1', `seek=${block}`, 'iflag=fullblock', 'oflag=direct,dsync', 'conv=notrunc', 'status=none'], text);
  }
}

export interface DiskLeaseOptions {
  io: LeaseIO;
  /** This node's name, written as the owner. */
  owner: string;
  /** Renewal period in ms. */
  renewMs: number;
  /** A lease whose counter has not changed for more than this many renewal periods is stale (>= 4). */
  staleIntervals: number;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  log?: (message: string) => void;
}

/** What a standby's LeaseWatch saw: a block, and since when (monotonic) it has been unchanged. */
export interface LeaseSighting {
  block: DecodedBlock;
  /** Monotonic time of the first read that returned this block. */
  since: number;
}

export class LeaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaseError';
  }
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One node's view of one lease.
 *
 * Timing (R = renewMs, S = staleIntervals):
 * - the holder renews every R; before each write it re-reads the block and
 *   checks it is still its own (read-before-write), and that its last
 *   successful renewal is less than holdMs = (S-2)·R ago on its clock; if
 *   either fails the lease is lost and it never writes again;
 * - a taker waits until the counter has not moved for more than S·R on its
 *   own clock; a counter that moves means a live holder: refuse at once;
 * - acquiring = write own record, wait 1.5·R (longer than one renewal
 *   period, so a live holder would have overwritten it), re-read, check.
 * A holder that was frozen (SIGSTOP, VM pause) wakes up past holdMs and
 * stops without writing; the monotonic clock runs on while it is stopped.
 */
export class DiskLease {
  readonly io: LeaseIO;
  readonly owner: string;
  readonly renewMs: number;
  readonly staleIntervals: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly log: (message: string) => void;
  private generation = 0;
  private counter = 0;
  /** Monotonic time just before the last successful write (conservative). */
  private lastRenewAt = 0;
  private heldFlag = false;
  private lost: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = true;
  /** Number of writes this instance has done (tests assert a lost holder never writes). */
  writes = 0;

  constructor(o: DiskLeaseOptions) {
    if (!OWNER_PATTERN.test(o.owner)) throw new LeaseError(`node name '${o.owner}' cannot be a lease owner`);
    if (!Number.isInteger(o.staleIntervals) || o.staleIntervals < 4) throw new LeaseError('LeaseStaleIntervals must be an integer >= 4');
    if (!(o.renewMs >= 50)) throw new LeaseError('LeaseRenewInterval must be at least 50 ms');
    this.io = o.io;
    this.owner = o.owner;
    this.renewMs = o.renewMs;
    this.staleIntervals = o.staleIntervals;
    this.clock = o.clock ?? monotonic;
    this.sleep = o.sleep ?? defaultSleep;
    this.log = o.log ?? (() => {});
  }

  /** Longest time without a successful renewal before the holder gives up. */
  get holdMs(): number {
    return (this.staleIntervals - 2) * this.renewMs;
  }

  get staleMs(): number {
    return this.staleIntervals * this.renewMs;
  }

  get held(): boolean {
    return this.heldFlag && this.lost === undefined;
  }

  get lostReason(): string | undefined {
    return this.lost;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  async readBlock(): Promise<DecodedBlock> {
    return decodeBlock(await this.io.read());
  }

  private async writeRecord(r: LeaseRecord): Promise<void> {
    this.writes += 1;
    await this.io.write(encodeRecord(r));
  }

  /**
   * Takes the lease: at once when blank, released, or handed to this node;
   * after it went stale when another node holds it, never while its counter
   * moves. `seen` (from a LeaseWatch): when the block still reads the same,
   * the stale period is counted from when the watch first saw it, so a
   * takeover waits only for what is left of it.
   * `budgetMs`: give up (LeaseError) when the wait would exceed it.
   */
  async acquire(budgetMs = Number.POSITIVE_INFINITY, signal?: AbortSignal, seen?: LeaseSighting): Promise<void> {
    if (this.held) return;
    const started = this.clock.now();
    const first = await this.readBlock();
    if (first.kind === 'foreign') {
      throw new LeaseError(`the lease area (${this.io.describe()}) holds data that is not an mccs lease: refusing to overwrite it (is the file system covering it?)`);
    }
    const released = first.kind === 'record' && first.record.owner === '';
    const handedHere = released && first.record.handoff === this.owner;
    const free = first.kind === 'blank' || (released && (first.record.handoff === undefined || handedHere));
    if (!free) {
      // Someone (maybe our own earlier life, or the successor of a switch) holds it: wait for it to go stale.
      const seenAt = seen && sameRecord(seen.block, first) ? Math.min(seen.since, this.clock.now()) : this.clock.now();
      const already = Math.round(this.clock.now() - seenAt);
      this.log(`disk lease on ${this.io.describe()} held by ${describeHolder(first)}: waiting until it is stale (${this.staleMs} ms unchanged${already > 0 ? `, ${already} ms of it already watched` : ''})`);
      for (;;) {
        if (signal?.aborted) throw new LeaseError(`gave up waiting for the disk lease held by ${describeHolder(first)}`);
        const waited = this.clock.now() - seenAt;
        if (waited > this.staleMs) break;
        if (this.clock.now() - started + (this.staleMs - waited) + 1.5 * this.renewMs > budgetMs) {
          throw new LeaseError(`disk lease held by ${describeHolder(first)}; it can only be taken over after ${this.staleMs} ms without renewal, longer than the time left`);
        }
        await this.sleep(Math.min(this.renewMs / 2, this.staleMs - waited + 1));
        const now = await this.readBlock();
        if (!sameRecord(first, now)) {
          throw new LeaseError(`disk lease is held and renewed by ${describeHolder(now)}: the disk is in use on that node`);
        }
      }
      this.log(`disk lease of ${describeHolder(first)} is stale (unchanged for ${Math.round(this.clock.now() - seenAt)} ms, more than ${this.staleMs} ms): taking it over`);
    }
    if (handedHere) {
      // Released for this node by a holder that stopped using the disk: nobody else may take it, so no race to wait out.
      const mine: LeaseRecord = { owner: this.owner, generation: first.record.generation + 1, counter: first.record.counter + 1 };
      const writeAt = this.clock.now();
      await this.writeRecord(mine);
      this.generation = mine.generation;
      this.counter = mine.counter;
      this.lastRenewAt = writeAt;
      this.heldFlag = true;
      this.lost = undefined;
      this.log(`disk lease handed over to ${this.owner} (generation ${mine.generation})`);
      return;
    }
    const prev = first.kind === 'record' ? first.record : { owner: '', generation: 0, counter: 0 };
    const mine: LeaseRecord = { owner: this.owner, generation: prev.generation + 1, counter: prev.counter + 1 };
    const writeAt = this.clock.now();
    await this.writeRecord(mine);
    await this.sleep(1.5 * this.renewMs);
    const check = await this.readBlock();
    if (check.kind !== 'record' || check.record.owner !== this.owner || check.record.generation !== mine.generation) {
      throw new LeaseError(`lost the race for the disk lease to ${describeHolder(check)}`);
    }
    // Frozen during the wait for so long that a taker may have judged us stale: start over.
    if (this.clock.now() - writeAt > this.staleMs - this.renewMs) {
      throw new LeaseError(`acquiring the disk lease stalled for ${Math.round(this.clock.now() - writeAt)} ms: try again`);
    }
    // The acquire wait ate into the hold budget: renew at once (we just read it, still ours).
    const renewAt = this.clock.now();
    await this.writeRecord({ ...mine, counter: check.record.counter + 1 });
    this.generation = mine.generation;
    this.counter = check.record.counter + 1;
    this.lastRenewAt = renewAt;
    this.heldFlag = true;
    this.lost = undefined;
  }

  /**
   * Resumes holding a lease whose record already names this node (engine
   * restart while mounted). Returns false when the record is someone else's.
   */
  async adopt(): Promise<boolean> {
    const b = await this.readBlock();
    if (b.kind !== 'record' || b.record.owner !== this.owner) return false;
    this.generation = b.record.generation;
    this.counter = b.record.counter;
    this.lastRenewAt = this.clock.now();
    this.heldFlag = true;
    this.lost = undefined;
    await this.renew();
    return this.held;
  }

  private markLost(reason: string): void {
    if (this.lost !== undefined) return;
    this.lost = reason;
    this.log(reason);
  }

  /** One renewal: read, check ownership and hold time, write counter+1. Never writes once lost. */
  async renew(): Promise<void> {
    if (!this.heldFlag || this.lost !== undefined) return;
    const late = (): boolean => this.clock.now() - this.lastRenewAt > this.holdMs;
    if (late()) {
      const waited = Math.round(this.clock.now() - this.lastRenewAt);
      let who = '';
      try {
        who = `; now held by ${describeHolder(await this.readBlock())}`;
      } catch {
        /* reading is only for the message */
      }
      this.markLost(`disk lease lost: not renewed for ${waited} ms (more than ${this.holdMs} ms)${who}`);
      return;
    }
    let b: DecodedBlock;
    try {
      b = await this.readBlock();
    } catch (e) {
      this.log(`disk lease renewal: read failed: ${(e as Error).message}`);
      return;
    }
    if (b.kind !== 'record' || b.record.owner !== this.owner || b.record.generation !== this.generation) {
      this.markLost(`disk lease lost: now held by ${describeHolder(b)}`);
      return;
    }
    // A freeze between the read and the write must not let us overwrite a taker.
    if (late()) {
      this.markLost(`disk lease lost: renewal stalled for more than ${this.holdMs} ms`);
      return;
    }
    const next: LeaseRecord = { owner: this.owner, generation: this.generation, counter: b.record.counter + 1 };
    const writeAt = this.clock.now();
    try {
      await this.writeRecord(next);
    } catch (e) {
      this.log(`disk lease renewal: write failed: ${(e as Error).message}`);
      return;
    }
    this.counter = next.counter;
    this.lastRenewAt = writeAt;
  }

  /** Renews every renewMs until stop(); calls onLost once when the lease is lost. */
  start(onLost: (reason: string) => void): void {
    this.stopped = false;
    const tick = async (): Promise<void> => {
      this.timer = undefined;
      if (this.stopped) return;
      const p = this.renew();
      this.inFlight = p;
      await p;
      this.inFlight = undefined;
      if (this.lost !== undefined) {
        this.stopped = true;
        onLost(this.lost);
        return;
      }
      if (!this.stopped) {
        this.timer = setTimeout(() => void tick(), this.renewMs);
        this.timer.unref();
      }
    };
    this.timer = setTimeout(() => void tick(), this.renewMs);
    this.timer.unref();
  }

  /** Stops renewing (the lease goes stale after staleMs; it is not released). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) await this.inFlight;
  }

  /**
   * Stops renewing and marks the lease free, if it is still ours (read
   * before write). `successor`: free for that node only (planned switch).
   */
  async release(successor?: string): Promise<void> {
    await this.stop();
    if (!this.heldFlag) return;
    this.heldFlag = false;
    if (this.lost !== undefined) return;
    const b = await this.readBlock();
    if (b.kind === 'record' && b.record.owner === this.owner && b.record.generation === this.generation) {
      const handoff = successor !== undefined && successor !== this.owner && OWNER_PATTERN.test(successor) ? successor : undefined;
      await this.writeRecord({ owner: '', generation: this.generation, counter: b.record.counter + 1, ...(handoff ? { handoff } : {}) });
    }
  }

  /** The counter last written (for tests and status lines). */
  get lastCounter(): number {
    return this.counter;
  }
}

/**
 * Size in bytes of the file system whose first 64 KiB are in `head`
 * (ext2/3/4 and XFS), so the agent can check it leaves the lease area free.
 */
export function filesystemSize(head: Buffer): { type: string; bytes: number } | undefined {
  if (head.length >= 2048 && head.readUInt16LE(1024 + 56) === 0xef53) {
    const lo = head.readUInt32LE(1024 + 4);
    const logBlock = head.readUInt32LE(1024 + 24);
    const incompat = head.readUInt32LE(1024 + 96);
    const hi = incompat & 0x80 && head.length >= 1024 + 0x154 ? head.readUInt32LE(1024 + 0x150) : 0;
    const blockSize = 1024 << logBlock;
    return { type: 'ext', bytes: (hi * 2 ** 32 + lo) * blockSize };
  }
  if (head.length >= 16 && head.toString('latin1', 0, 4) === 'XFSB') {
    const blockSize = head.readUInt32BE(4);
    const blocks = Number(head.readBigUInt64BE(8));
    return { type: 'xfs', bytes: blocks * blockSize };
  }
  return undefined;
}
