// The disk lease: two nodes' views of one lease block. In memory (fast,
// exact), then on a real loop device through dd with direct I/O, including a
// holder in a separate process that is frozen (SIGSTOP), taken over, and
// resumed (SIGCONT): it must find out on its next renewal and never write
// again.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { DdLeaseIO, decodeBlock, DiskLease, encodeRecord, filesystemSize, LEASE_BLOCK, type LeaseIO } from '../../src/engine/agents/disk-lease.js';
import { LeaseWatch } from '../../src/engine/agents/lease-watch.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';

class MemoryIO implements LeaseIO {
  block = '\0'.repeat(LEASE_BLOCK);
  async read(): Promise<string> {
    return this.block;
  }
  async write(b: string): Promise<void> {
    this.block = b;
  }
  describe(): string {
    return 'memory';
  }
}

const R = 100; // renewal period of these tests, ms
const lease = (io: LeaseIO, owner: string, log?: string[]) => new DiskLease({ io, owner, renewMs: R, staleIntervals: 4, log: (m) => log?.push(m) });
const owner = (io: MemoryIO) => {
  const d = decodeBlock(io.block);
  return d.kind === 'record' ? d.record.owner : d.kind;
};

describe('disk lease records', () => {
  it('round-trip, blank, foreign data and a torn record are told apart', () => {
    const text = encodeRecord({ owner: 'node1', generation: 3, counter: 17 });
    expect(text).toHaveLength(LEASE_BLOCK);
    expect(decodeBlock(text)).toEqual({ kind: 'record', record: { owner: 'node1', generation: 3, counter: 17 } });
    expect(decodeBlock('\0'.repeat(LEASE_BLOCK))).toEqual({ kind: 'blank' });
    expect(decodeBlock('\x53\xef ext4 data')).toEqual({ kind: 'foreign' });
    expect(decodeBlock(text.replace('counter=17', 'counter=18')).kind).toBe('corrupt');
  });

  it('reads the size of ext4 and xfs file systems from their superblocks', () => {
    const ext = Buffer.alloc(4096);
    ext.writeUInt16LE(0xef53, 1024 + 56);
    ext.writeUInt32LE(1000, 1024 + 4);
    ext.writeUInt32LE(2, 1024 + 24); // 4096-byte blocks
    expect(filesystemSize(ext)).toEqual({ type: 'ext', bytes: 4096000 });
    const xfs = Buffer.alloc(4096);
    xfs.write('XFSB', 0, 'latin1');
    xfs.writeUInt32BE(4096, 4);
    xfs.writeBigUInt64BE(10n, 8);
    expect(filesystemSize(xfs)).toEqual({ type: 'xfs', bytes: 40960 });
    expect(filesystemSize(Buffer.alloc(4096))).toBeUndefined();
  });
});

describe('disk lease between two nodes (in memory)', () => {
  it('a blank lease is taken at once; a live holder is never taken over', async () => {
    const io = new MemoryIO();
    const a = lease(io, 'nodeA');
    const b = lease(io, 'nodeB');
    await a.acquire();
    a.start(() => {});
    try {
      expect(owner(io)).toBe('nodeA');
      await expect(b.acquire()).rejects.toThrow(/held and renewed by nodeA/);
      expect(owner(io)).toBe('nodeA');
    } finally {
      await a.stop();
    }
  });

  it('a dead holder is taken over only after the lease went stale on the taker\'s clock', async () => {
    const io = new MemoryIO();
    const a = lease(io, 'nodeA');
    await a.acquire(); // holder "dies": it never renews again
    const b = lease(io, 'nodeB');
    const t0 = performance.now();
    await b.acquire();
    expect(performance.now() - t0).toBeGreaterThan(4 * R + 1.5 * R);
    expect(owner(io)).toBe('nodeB');
    expect(decodeBlock(io.block)).toMatchObject({ record: { generation: 2 } });
  });

  it('a holder frozen past its hold time gives up on resume without writing', async () => {
    const io = new MemoryIO();
    const log: string[] = [];
    const a = lease(io, 'nodeA', log);
    await a.acquire();
    const lost: string[] = [];
    a.start((r) => lost.push(r));
    await a.stop(); // frozen: no renewals
    const b = lease(io, 'nodeB');
    await b.acquire();
    const writes = a.writes;
    await a.renew(); // resumed
    expect(a.held).toBe(false);
    expect(a.lostReason).toMatch(/not renewed for \d+ ms .*now held by nodeB/);
    expect(a.writes).toBe(writes);
    expect(owner(io)).toBe('nodeB');
  });

  it('read-before-write: a renewal that finds another owner stops at once', async () => {
    const io = new MemoryIO();
    const a = lease(io, 'nodeA');
    await a.acquire();
    io.block = encodeRecord({ owner: 'nodeB', generation: 9, counter: 1 });
    const writes = a.writes;
    await a.renew();
    expect(a.lostReason).toMatch(/now held by nodeB \(generation 9/);
    expect(a.writes).toBe(writes);
    await a.release(); // a lost lease is never released over the new owner
    expect(owner(io)).toBe('nodeB');
  });

  it('a released lease is free for the next node at once', async () => {
    const io = new MemoryIO();
    const a = lease(io, 'nodeA');
    await a.acquire();
    await a.release();
    expect(owner(io)).toBe('');
    const b = lease(io, 'nodeB');
    const t0 = performance.now();
    await b.acquire();
    expect(performance.now() - t0).toBeLessThan(4 * R);
  });

  it('a release for a planned switch names the successor: it takes the lease at once, others must wait it out', async () => {
    const io = new MemoryIO();
    const a = lease(io, 'nodeA');
    await a.acquire();
    await a.release('nodeB');
    expect(decodeBlock(io.block)).toMatchObject({ kind: 'record', record: { owner: '', handoff: 'nodeB' } });
    await expect(lease(io, 'nodeC').acquire(2 * R)).rejects.toThrow(/released for nodeB.*can only be taken over after/);
    const b = lease(io, 'nodeB');
    const t0 = performance.now();
    await b.acquire();
    expect(performance.now() - t0).toBeLessThan(R); // no acquisition wait
    expect(b.held).toBe(true);
    expect(owner(io)).toBe('nodeB');
    // The handed-over lease is renewed like any other.
    await b.renew();
    expect(b.held).toBe(true);
  });

  it('a watched lease: the takeover waits only for what is left of the stale period', async () => {
    const io = new MemoryIO();
    const a = lease(io, 'nodeA');
    await a.acquire(); // then dies without renewing
    const watch = new LeaseWatch(io, R);
    watch.start();
    await sleep(4 * R + 50); // detection takes longer than the stale period
    const log: string[] = [];
    const b = lease(io, 'nodeB', log);
    const t0 = performance.now();
    await b.acquire(Number.POSITIVE_INFINITY, undefined, watch.sighting);
    watch.stop();
    expect(log.join('\n')).toMatch(/ms of it already watched/);
    expect(performance.now() - t0).toBeLessThan(4 * R); // 1.5 R acquisition check only
    expect(owner(io)).toBe('nodeB');
  });

  it('a watch that saw the block change counts from the change, and a stale sighting of another block gives no head start', async () => {
    const io = new MemoryIO();
    const a = lease(io, 'nodeA');
    await a.acquire();
    a.start(() => {});
    const watch = new LeaseWatch(io, R / 2);
    watch.start();
    await sleep(3 * R);
    const since = watch.sighting!.since;
    expect(performance.now() - since).toBeLessThan(2 * R); // the holder renews: the unchanged period keeps restarting
    await a.stop();
    const old = watch.sighting!;
    watch.stop();
    await a.renew(); // one more write the watch did not see
    const log: string[] = [];
    const t0 = performance.now();
    await lease(io, 'nodeB', log).acquire(Number.POSITIVE_INFINITY, undefined, old);
    expect(performance.now() - t0).toBeGreaterThan(4 * R);
    expect(log.join('\n')).not.toMatch(/already watched/);
  });

  it('data that is not a lease is never overwritten', async () => {
    const io = new MemoryIO();
    io.block = 'some file system data'.padEnd(LEASE_BLOCK, '\0');
    await expect(lease(io, 'nodeA').acquire()).rejects.toThrow(/not an mccs lease: refusing to overwrite/);
    expect(io.block.startsWith('some file system data')).toBe(true);
  });
});

// ---------------------------------------------------------------- real loop device
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('disk-lease: loop device cases skipped: they need root (losetup)');

const work = mkdtempSync('/tmp/mccs-lease-');
const image = join(work, 'disk.img');
let loop = '';
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) {
    try {
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (loop) spawnSync('losetup', ['-d', loop]);
  rmSync(work, { recursive: true, force: true });
});

function setupLoop(): string {
  if (loop) return loop;
  writeFileSync(image, '');
  spawnSync('truncate', ['-s', '8M', image]);
  const r = spawnSync('losetup', ['-f', '--show', image], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`losetup failed: ${r.stderr}`);
  loop = r.stdout.trim();
  return loop;
}

/** The lease module as plain JavaScript, for a holder in another process. */
function holderScript(): string {
  const src = readFileSync(resolve(import.meta.dirname, '../../src/engine/agents/disk-lease.ts'), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(join(work, 'disk-lease.mjs'), js);
  const holder = `
import { spawn } from 'node:child_process';
import { DdLeaseIO, DiskLease } from './disk-lease.mjs';
const [device, offset, owner, renewMs] = process.argv.slice(2);
// A minimal runner: argument arrays, stdin text, captured stdout.
const runner = { run: (command, args, o = {}) => new Promise((res, rej) => {
  const p = spawn(command, args, { stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  p.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  p.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  p.on('error', rej);
  p.on('close', (code) => res({ command, args, exitCode: code ?? 1, stdout, stderr, timedOut: false, durationMs: 0 }));
  if (o.input !== undefined) { p.stdin.on('error', () => {}); p.stdin.end(o.input); }
}) };
const io = new DdLeaseIO(runner, device, Number(offset));
const write = io.write.bind(io);
io.write = async (b) => { console.log('WRITE ' + b.slice(0, 80).replace(/\\n.*/s, '')); return write(b); };
const lease = new DiskLease({ io, owner, renewMs: Number(renewMs), staleIntervals: 4, log: (m) => console.log('LOG ' + m) });
await lease.acquire();
console.log('HELD generation=' + lease.currentGeneration);
lease.start((reason) => { console.log('LOST ' + reason); setTimeout(() => process.exit(0), 200); });
setInterval(() => {}, 1000);
`;
  writeFileSync(join(work, 'holder.mjs'), holder);
  return join(work, 'holder.mjs');
}

describe.skipIf(!isRoot)('disk lease on a loop device (dd, direct I/O)', () => {
  it('two nodes in one process: exclusion, release, takeover', async () => {
    const dev = setupLoop();
    const runner = new ExecRunner();
    const off = 8 * 1024 * 1024 - 1024 * 1024;
    const a = new DiskLease({ io: new DdLeaseIO(runner, dev, off), owner: 'nodeA', renewMs: 200, staleIntervals: 4 });
    const b = new DiskLease({ io: new DdLeaseIO(runner, dev, off), owner: 'nodeB', renewMs: 200, staleIntervals: 4 });
    await a.acquire();
    a.start(() => {});
    await expect(b.acquire()).rejects.toThrow(/held and renewed by nodeA/);
    await a.release();
    await b.acquire();
    expect(b.held).toBe(true);
    await b.stop(); // nodeB dies holding it
    const t0 = performance.now();
    await a.acquire();
    expect(performance.now() - t0).toBeGreaterThan(800);
    expect(await a.readBlock()).toMatchObject({ record: { owner: 'nodeA', generation: 3 } });
    await a.release();
  });

  it('a holder in another process, frozen and taken over, does not write again when resumed', async () => {
    const dev = setupLoop();
    const off = 8 * 1024 * 1024 - 1024 * 1024;
    const runner = new ExecRunner();
    // Start from a released lease.
    await new DdLeaseIO(runner, dev, off).write(encodeRecord({ owner: '', generation: 10, counter: 1 }));
    const child = spawn(process.execPath, [holderScript(), dev, String(off), 'nodeA', '200'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    for (let i = 0; i < 100 && !out.includes('HELD'); i++) await sleep(50);
    expect(out).toContain('HELD generation=11');

    const b = new DiskLease({ io: new DdLeaseIO(runner, dev, off), owner: 'nodeB', renewMs: 200, staleIntervals: 4 });
    await expect(b.acquire()).rejects.toThrow(/held and renewed by nodeA/);

    child.kill('SIGSTOP');
    await sleep(300); // let the output of its last renewal arrive
    await b.acquire(); // waits for the frozen holder's lease to go stale
    const lost: string[] = [];
    b.start((r) => lost.push(r));
    expect(await b.readBlock()).toMatchObject({ record: { owner: 'nodeB', generation: 12 } });

    const mark = out.length;
    child.kill('SIGCONT');
    for (let i = 0; i < 60 && !out.slice(mark).includes('LOST'); i++) await sleep(50);
    const after = out.slice(mark);
    expect(after).toMatch(/LOST disk lease lost: (not renewed for \d+ ms|now held by nodeB)/);
    expect(after).not.toContain('WRITE');
    await sleep(500); // nodeB keeps renewing; the lease is still its own
    expect(lost).toEqual([]);
    expect(b.held).toBe(true);
    expect(await b.readBlock()).toMatchObject({ record: { owner: 'nodeB', generation: 12 } });
    await b.release();
  });
});
