// /proc helpers against real processes: the facts the Process agent stands on.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  findByCommandLine,
  findProcesses,
  isRunning,
  listPids,
  processIdentity,
  readCmdline,
  readExe,
  readProcStat,
  selfAndAncestors,
  signalProcess,
} from '../../src/system/proc.js';
import { waitFor as wait } from '../lab/wait.mjs';

const started: number[] = [];
let dir: string;

/** A unique duration so that no other test's sleep matches (GNU sleep sums its arguments). */
function marker(): string {
  return `0.${process.pid}${Math.floor(Math.random() * 1e6)}`;
}

function startDetached(path: string, args: string[]): ChildProcess {
  const child = spawn(path, args, { detached: true, stdio: 'ignore' });
  child.unref();
  started.push(child.pid!);
  return child;
}

/** Starts `command` in the background of a shell that exits: the process is no child of ours (PID 1 adopts it). */
function startOrphan(command: string): number {
  const r = spawnSync('/bin/sh', ['-c', `${command} >/dev/null 2>&1 </dev/null & echo $!`], { encoding: 'utf8' });
  const pid = Number(r.stdout.trim());
  started.push(pid);
  return pid;
}

function childrenOf(ppid: number): number[] {
  return listPids().filter((p) => readProcStat(p)?.ppid === ppid);
}

/** The lab's bounded wait (test/lab/wait.mjs) for a condition of this test. */
const waitFor = (check: () => boolean, ms = 3000): Promise<unknown> => wait('the condition', () => check(), ms, 10);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mccs-proc-'));
});

afterEach(() => {
  // End only what this file started, by pid, with its group when it leads one.
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // not a group leader, or gone
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('readProcStat', () => {
  it('reads state, parent and start time of this process', () => {
    const s = readProcStat(process.pid)!;
    expect(s.ppid).toBe(process.ppid);
    expect(['R', 'S']).toContain(s.state);
    expect(s.startTime).toBeGreaterThan(0);
    expect(processIdentity(process.pid)).toEqual({ pid: process.pid, startTime: s.startTime });
  });

  it('returns null for a pid that does not exist', () => {
    expect(readProcStat(4_194_304 + 7)).toBeNull();
    expect(readProcStat(-1)).toBeNull();
    expect(isRunning(4_194_304 + 7)).toBe(false);
  });

  it('parses a command name holding spaces and parentheses', async () => {
    const odd = join(dir, 'a) b (c');
    symlinkSync('/bin/sleep', odd);
    const child = startDetached(odd, ['1000', marker()]);
    await waitFor(() => readProcStat(child.pid!) !== null);
    const s = readProcStat(child.pid!)!;
    expect(s.ppid).toBe(process.pid);
    expect(s.state).not.toBe('Z');
    // Detached: its own session and group.
    expect(s.pgrp).toBe(child.pid);
    expect(s.session).toBe(child.pid);
  });
});

describe('isRunning and zombies', () => {
  it('a zombie is not running, though kill(pid, 0) succeeds on it', async () => {
    // sh forks `sleep 0` and then becomes `sleep 1000`, which never waits for it: a zombie.
    const parent = startDetached('/bin/sh', ['-c', `/bin/sleep 0 & exec /bin/sleep 1000 ${marker()}`]);
    let zombie = 0;
    await waitFor(() => {
      zombie = childrenOf(parent.pid!).find((p) => readProcStat(p)?.state === 'Z') ?? 0;
      return zombie > 0;
    });
    expect(() => process.kill(zombie, 0)).not.toThrow();
    expect(isRunning(zombie)).toBe(false);
    expect(isRunning(parent.pid!)).toBe(true);
    expect(signalProcess(processIdentity(zombie)!, 'SIGTERM')).toBe(false);
  });
});

describe('readCmdline and readExe', () => {
  it('reads the argument vector and the resolved executable', async () => {
    const m = marker();
    const child = startDetached('/bin/sleep', ['1000', m]);
    await waitFor(() => (readCmdline(child.pid!) ?? []).length === 3);
    expect(readCmdline(child.pid!)).toEqual(['/bin/sleep', '1000', m]);
    expect(readExe(child.pid!)).toBe('/usr/bin/sleep');
  });

  it('keeps arguments with spaces and empty arguments apart, and a rewritten argv[0]', async () => {
    const m = marker();
    const child = startDetached('/bin/sh', ['-c', `/bin/sleep 1000 ${m}; :`, 'x y', '']);
    await waitFor(() => (readCmdline(child.pid!) ?? []).length === 5);
    expect(readCmdline(child.pid!)).toEqual(['/bin/sh', '-c', `/bin/sleep 1000 ${m}; :`, 'x y', '']);
    const renamed = spawn('/bin/sleep', ['1000', m], { argv0: 'my prog', detached: true, stdio: 'ignore' });
    started.push(renamed.pid!);
    await waitFor(() => readCmdline(renamed.pid!)?.[0] === 'my prog');
    // argv[0] is free: still found by its executable and arguments.
    expect(findProcesses({ path: '/bin/sleep', args: ['1000', m] }).map((p) => p.pid)).toContain(renamed.pid);
    expect(readCmdline(4_194_304 + 7)).toBeNull();
    expect(readExe(4_194_304 + 7)).toBeNull();
  });
});

describe('findProcesses', () => {
  it('finds a process by exact path (through symlinks) and exact arguments', async () => {
    const m = marker();
    const child = startDetached('/bin/sleep', ['1000', m]);
    await waitFor(() => readExe(child.pid!) === '/usr/bin/sleep');
    const start = readProcStat(child.pid!)!.startTime;
    expect(findProcesses({ path: '/bin/sleep', args: ['1000', m] })).toEqual([{ pid: child.pid, startTime: start }]);
    expect(findProcesses({ path: '/usr/bin/sleep', args: ['1000', m] })).toEqual([{ pid: child.pid, startTime: start }]);
    expect(findProcesses({ path: '/bin/sleep', args: ['1000'] })).toEqual([]);
    expect(findProcesses({ path: '/bin/sleep', args: ['1000', m, 'x'] })).toEqual([]);
    expect(findProcesses({ path: '/bin/cat', args: ['1000', m] })).toEqual([]);
  });

  it('finds a process started by hand and no child of ours', async () => {
    const m = marker();
    const pid = startOrphan(`/bin/sleep 1000 ${m}`);
    await waitFor(() => findProcesses({ path: '/bin/sleep', args: ['1000', m] }).length === 1);
    expect(findProcesses({ path: '/bin/sleep', args: ['1000', m] })[0]!.pid).toBe(pid);
    expect(readProcStat(pid)!.ppid).not.toBe(process.pid);
  });

  it('finds a #! script by its interpreter, script path and arguments, and nothing that merely names the script', async () => {
    const script = join(dir, 'svc.sh');
    writeFileSync(script, '#!/bin/sh\n/bin/sleep 1000\n');
    chmodSync(script, 0o755);
    const m = marker();
    const child = startDetached(script, [m]);
    const reader = startDetached('/usr/bin/tail', ['-f', script]);
    await waitFor(() => findProcesses({ path: script, args: [m] }).length === 1);
    expect(findProcesses({ path: script, args: [m] }).map((p) => p.pid)).toEqual([child.pid]);
    expect(readCmdline(child.pid!)).toEqual(['/bin/sh', script, m]);
    // tail -f SCRIPT: same last word, other executable: not the service.
    await waitFor(() => readExe(reader.pid!) !== null);
    expect(findProcesses({ path: script, args: [] })).toEqual([]);
  });

  it('never returns the engine itself nor its ancestors', () => {
    const self = findProcesses({ path: readExe(process.pid)!, args: readCmdline(process.pid)!.slice(1) });
    expect(self.map((p) => p.pid)).not.toContain(process.pid);
    const parentArgv = readCmdline(process.ppid)!;
    const parent = findProcesses({ path: readExe(process.ppid)!, args: parentArgv.slice(1) });
    expect(parent.map((p) => p.pid)).not.toContain(process.ppid);
    expect(selfAndAncestors().has(process.ppid)).toBe(true);
  });

  it('does not count a process that was killed and lingers as a zombie', async () => {
    const m = marker();
    const pid = startOrphan(`/bin/sleep 1000 ${m}`);
    await waitFor(() => findProcesses({ path: '/bin/sleep', args: ['1000', m] }).length === 1);
    process.kill(pid, 'SIGKILL');
    // PID 1 may reap it seconds later; it is gone for us at once.
    await waitFor(() => !isRunning(pid), 1000);
    expect(findProcesses({ path: '/bin/sleep', args: ['1000', m] })).toEqual([]);
  });
});

describe('findByCommandLine', () => {
  it('matches the argument vector joined by single spaces, exactly, and filters by user', async () => {
    const m = marker();
    const child = startDetached('/bin/sleep', ['1000', m]);
    await waitFor(() => (readCmdline(child.pid!) ?? []).length === 3);
    expect(findByCommandLine(`/bin/sleep 1000 ${m}`).map((p) => p.pid)).toEqual([child.pid]);
    expect(findByCommandLine(`/bin/sleep  1000 ${m}`)).toEqual([]);
    expect(findByCommandLine(`sleep 1000 ${m}`)).toEqual([]);
    expect(findByCommandLine(`/bin/sleep 1000 ${m}`, process.getuid!()).map((p) => p.pid)).toEqual([child.pid]);
    expect(findByCommandLine(`/bin/sleep 1000 ${m}`, 65534)).toEqual([]);
  });
});
