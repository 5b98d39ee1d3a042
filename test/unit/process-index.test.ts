// ProcessIndex against a made-up process table (a ProcReader stand-in that
// counts every read): what it finds is what findProcesses finds on the same
// table, it reads every process once for many probes, and memory never makes
// it return a process that died or whose pid now belongs to another one.
import { describe, expect, it } from 'vitest';
import { findProcesses, type ProcReader } from '../../src/system/proc.js';
import { ProcessIndex } from '../../src/system/process-index.js';

interface FakeProcess {
  exe: string | null;
  argv: string[];
  state: string;
  startTime: number;
}

/** /proc as a table; `reads` counts listings and reads per kind. */
class FakeProc implements ProcReader {
  readonly table = new Map<number, FakeProcess>();
  readonly reads = { list: 0, exe: 0, cmdline: 0, stat: 0 };

  run(pid: number, exe: string, argv: string[], startTime: number): void {
    this.table.set(pid, { exe, argv, state: 'S', startTime });
  }

  list(path: string): string[] {
    expect(path).toBe('/proc');
    this.reads.list += 1;
    return ['self', 'stat', ...[...this.table.keys()].map(String)];
  }

  read(path: string): string | null {
    const m = /^\/proc\/(\d+)\/(stat|cmdline)$/.exec(path);
    if (!m) return null;
    const p = this.table.get(Number(m[1]));
    if (m[2] === 'stat') {
      this.reads.stat += 1;
      // Fields 3..22: state, ppid, pgrp, session, 15 others, starttime.
      return p ? `${m[1]} (x) ${p.state} 1 ${m[1]} ${m[1]} ${Array(15).fill(0).join(' ')} ${p.startTime} 0 0\n` : null;
    }
    this.reads.cmdline += 1;
    return p ? (p.state === 'Z' ? '' : `${p.argv.join('\0')}\0`) : null;
  }

  link(path: string): string | null {
    const m = /^\/proc\/(\d+)\/exe$/.exec(path);
    if (!m) return null;
    this.reads.exe += 1;
    const p = this.table.get(Number(m[1]));
    return p && p.state !== 'Z' ? p.exe : null;
  }
}

// Paths that exist nowhere on this machine: no symlink to resolve, no #! line to read.
const DAEMON = '/nonexistent/mccs-test/daemon';
const OTHER = '/nonexistent/mccs-test/other';

function table(): FakeProc {
  const fake = new FakeProc();
  // Unrelated processes, a kernel thread (no executable), and the daemon with several argument sets.
  for (let pid = 100; pid < 400; pid++) fake.run(pid, OTHER, [OTHER, String(pid)], pid);
  fake.table.set(2, { exe: null, argv: [], state: 'S', startTime: 1 });
  fake.run(1000, DAEMON, [DAEMON, '--id', 'a'], 500);
  fake.run(1001, DAEMON, ['renamed-argv0', '--id', 'b'], 501);
  fake.run(1002, DAEMON, [DAEMON, '--id', 'b'], 400);
  return fake;
}

/** An index on `fake` whose clock only moves when the test says so. */
function indexOn(fake: FakeProc, opts: { fullScanEveryMs?: number; settleMs?: number } = {}) {
  const clock = { t: 1_000_000 };
  const index = new ProcessIndex({ reader: fake, now: () => clock.t, ...opts });
  return { index, clock };
}

describe('ProcessIndex', () => {
  it('finds what findProcesses finds on the same table: exact executable and arguments, oldest first, argv[0] free', () => {
    const fake = table();
    const { index } = indexOn(fake);
    for (const args of [['--id', 'a'], ['--id', 'b'], ['--id'], ['--id', 'c'], []]) {
      expect(index.find({ path: DAEMON, args })).toEqual(findProcesses({ path: DAEMON, args }, fake));
    }
    expect(index.find({ path: DAEMON, args: ['--id', 'b'] })).toEqual([
      { pid: 1002, startTime: 400 },
      { pid: 1001, startTime: 501 },
    ]);
    expect(index.find({ path: OTHER, args: ['--id', 'a'] })).toEqual([]);
  });

  it('reads every process once for many probes in one tick, where findProcesses reads every process per probe', () => {
    const fake = table();
    const processes = fake.table.size;
    const { index } = indexOn(fake);
    const probes = 100;
    for (let i = 0; i < probes; i++) index.find({ path: DAEMON, args: ['--id', `r${i}`] });
    expect(index.fullScans).toBe(1);
    expect(fake.reads.exe).toBe(processes); // one readlink per process, none per probe: nothing matched
    expect(fake.reads.list).toBe(probes); // each probe lists /proc: a new process is seen at once
    expect(fake.reads.cmdline).toBe(3); // the three daemons' argument vectors, read once

    const direct = new FakeProc();
    for (const [pid, p] of fake.table) direct.table.set(pid, p);
    for (let i = 0; i < probes; i++) findProcesses({ path: DAEMON, args: ['--id', `r${i}`] }, direct);
    expect(direct.reads.exe).toBe(processes * probes);
  });

  it('a process that died or turned zombie is not found on the next probe, although it is remembered', () => {
    const fake = table();
    const { index } = indexOn(fake, { fullScanEveryMs: 3_600_000 });
    expect(index.find({ path: DAEMON, args: ['--id', 'a'] })).toEqual([{ pid: 1000, startTime: 500 }]);
    fake.table.get(1000)!.state = 'Z';
    expect(index.find({ path: DAEMON, args: ['--id', 'a'] })).toEqual([]);
    fake.table.delete(1000);
    expect(index.find({ path: DAEMON, args: ['--id', 'a'] })).toEqual([]);
    expect(index.fullScans).toBe(1);
  });

  it('a pid now held by another process (other start time) is never the remembered one', () => {
    const fake = table();
    const { index, clock } = indexOn(fake, { fullScanEveryMs: 3_600_000 });
    expect(index.find({ path: DAEMON, args: ['--id', 'a'] })).toEqual([{ pid: 1000, startTime: 500 }]);
    clock.t += 10_000;
    // Recycled between two listings by another program: not returned (its executable is read again).
    fake.run(1000, OTHER, [OTHER, 'x'], 900);
    expect(index.find({ path: DAEMON, args: ['--id', 'a'] })).toEqual([]);
    // Recycled by the same program and arguments: returned with its own start time, so a caller that
    // recorded {pid 1000, start 500} does not take it for its process.
    fake.run(1000, DAEMON, [DAEMON, '--id', 'a'], 950);
    expect(index.find({ path: DAEMON, args: ['--id', 'a'] })).toEqual([{ pid: 1000, startTime: 950 }]);
    // Same program, other arguments (the pid remembered with the old argument vector): not returned.
    fake.run(1000, DAEMON, [DAEMON, '--id', 'z'], 960);
    expect(index.find({ path: DAEMON, args: ['--id', 'a'] })).toEqual([]);
    expect(index.fullScans).toBe(1);
  });

  it('a process started by hand after the last probe is found at once, without reading every process again', () => {
    const fake = table();
    const { index, clock } = indexOn(fake, { fullScanEveryMs: 3_600_000 });
    expect(index.find({ path: DAEMON, args: ['--id', 'new'] })).toEqual([]);
    const exeReads = fake.reads.exe;
    clock.t += 5000;
    fake.run(2000, DAEMON, [DAEMON, '--id', 'new'], 1200);
    expect(index.find({ path: DAEMON, args: ['--id', 'new'] })).toEqual([{ pid: 2000, startTime: 1200 }]);
    expect(index.fullScans).toBe(1);
    expect(fake.reads.exe - exeReads).toBe(2); // the new pid when listed, then once more when it matched
  });

  it('a new process listed between its fork and its exec is found once it has exec()ed', () => {
    const fake = table();
    const { index, clock } = indexOn(fake, { fullScanEveryMs: 3_600_000, settleMs: 1000 });
    expect(index.find({ path: DAEMON, args: ['--id', 'forked'] })).toEqual([]);
    clock.t += 5000;
    fake.run(3000, '/bin/sh', ['/bin/sh', '-c', 'x'], 1300); // forked, not yet exec()ed
    expect(index.find({ path: DAEMON, args: ['--id', 'forked'] })).toEqual([]);
    clock.t += 50;
    fake.run(3000, DAEMON, [DAEMON, '--id', 'forked'], 1300); // execve: same pid and start time
    expect(index.find({ path: DAEMON, args: ['--id', 'forked'] })).toEqual([{ pid: 3000, startTime: 1300 }]);
    expect(index.fullScans).toBe(1);
  });

  it('an old process that exec()s into the program is found at the next full read (fullScanEveryMs), or at once when asked fresh', () => {
    const fake = table();
    const { index, clock } = indexOn(fake, { fullScanEveryMs: 2000, settleMs: 1000 });
    expect(index.find({ path: DAEMON, args: ['--id', 'exec'] })).toEqual([]);
    fake.run(150, DAEMON, [DAEMON, '--id', 'exec'], 150); // pid 150 was OTHER since the first listing
    clock.t += 1000;
    expect(index.find({ path: DAEMON, args: ['--id', 'exec'] })).toEqual([]);
    expect(index.find({ path: DAEMON, args: ['--id', 'exec'] }, { fresh: true })).toEqual([{ pid: 150, startTime: 150 }]);
    expect(index.fullScans).toBe(2);
    fake.run(151, DAEMON, [DAEMON, '--id', 'exec'], 151);
    clock.t += 2000;
    expect(index.find({ path: DAEMON, args: ['--id', 'exec'] })).toEqual([
      { pid: 150, startTime: 150 },
      { pid: 151, startTime: 151 },
    ]);
    expect(index.fullScans).toBe(3);
  });
});
