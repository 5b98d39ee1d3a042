// Process agent against real processes: the operator's stories of a basic
// application started, killed, adopted after an engine restart and stopped.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AgentContext } from '../../src/engine/agents/agent.js';
import { createProcessAgent, processAgent } from '../../src/engine/agents/process.js';
import { findProcesses, isRunning, listPids, procFs, readCmdline, readExe, readProcStat, type ProcReader } from '../../src/system/proc.js';
import { ProcessIndex } from '../../src/system/process-index.js';
import { agentContract, makeTempHome, makeTestContext, removeTempHome, type TestContextOptions } from '../helpers/agent-contract.js';
import { waitFor as wait } from '../lab/wait.mjs';

const home = makeTempHome('process');
const isRoot = process.getuid?.() === 0;

/** A unique duration so that no other test's sleep matches (GNU sleep sums its arguments). */
function marker(): string {
  return `0.${process.pid}${Math.floor(Math.random() * 1e6)}`;
}

/** Every context a test used, so that afterEach can clean what it left. */
const used: AgentContext[] = [];
const extraPids: number[] = [];

function ctxFor(attrs: Record<string, unknown>, more: Partial<TestContextOptions> = {}): AgentContext {
  const ctx = makeTestContext({ home, attrs, ...more });
  used.push(ctx);
  return ctx;
}

function sleepAttrs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Path: '/bin/sleep', Arguments: ['1000', marker()], ...extra };
}

function stateFile(res: string): string {
  return join(home, 'run', 'agents', `${res}.json`);
}

function writeRecord(res: string, record: object): void {
  mkdirSync(dirname(stateFile(res)), { recursive: true });
  writeFileSync(stateFile(res), JSON.stringify(record));
}

function recorded(res: string): { pid: number; startTime: number; origin: string } {
  return JSON.parse(readFileSync(stateFile(res), 'utf8'));
}

/** Starts `command` in the background of a shell that exits: a process the engine did not start. */
function startOrphan(command: string): number {
  const r = spawnSync('/bin/sh', ['-c', `${command} >/dev/null 2>&1 </dev/null & echo $!`], { encoding: 'utf8' });
  const pid = Number(r.stdout.trim());
  extraPids.push(pid);
  return pid;
}

/** The lab's bounded wait (test/lab/wait.mjs) for a condition of this test. */
const waitFor = (check: () => boolean, ms = 3000): Promise<unknown> => wait('the condition', () => check(), ms, 10);

afterEach(async () => {
  // Leave nothing running: a fresh agent finds each resource by state file or path+arguments.
  const cleaner = createProcessAgent();
  for (const ctx of used.splice(0)) {
    await cleaner.clean({ ...ctx, deadline: 5000, signal: AbortSignal.timeout(5000), onUnexpectedExit: undefined }).catch(() => {});
  }
  for (const pid of extraPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

afterAll(() => removeTempHome(home));

describe('Process', () => {
  const contractAttrs = sleepAttrs();
  agentContract('Process /bin/sleep', () => makeTestContext({ home, attrs: contractAttrs, resName: 'contract' }), processAgent, {
    afterOnline: () => {
      expect(recorded('contract').origin).toBe('engine');
    },
    afterOnlineAgain: () => {
      expect(findProcesses({ path: '/bin/sleep', args: contractAttrs.Arguments as string[] })).toHaveLength(1);
    },
    afterOffline: () => {
      expect(findProcesses({ path: '/bin/sleep', args: contractAttrs.Arguments as string[] })).toEqual([]);
      expect(existsSync(stateFile('contract'))).toBe(false);
    },
  });

  describe('online', () => {
    it('starts the process detached, records pid and start time, appends its output to log/<res>.out', async () => {
      const m = marker();
      const ctx = ctxFor({ Path: '/bin/sh', Arguments: ['-c', `echo hello ${m}; /bin/sleep 1000`] }, { resName: 'out' });
      await processAgent.online(ctx);
      const rec = recorded('out');
      expect(rec.startTime).toBe(readProcStat(rec.pid)!.startTime);
      const stat = readProcStat(rec.pid)!;
      expect(stat.session).toBe(rec.pid);
      expect(stat.pgrp).toBe(rec.pid);
      await waitFor(() => readFileSync(join(home, 'log', 'out.out'), 'utf8').includes(`hello ${m}`));
      expect(readlinkSync(`/proc/${rec.pid}/fd/0`)).toBe('/dev/null');
    });

    it('runs in StartupDirectory, with its own small environment', async () => {
      const ctx = ctxFor(sleepAttrs({ StartupDirectory: home }), { resName: 'cwd' });
      await processAgent.online(ctx);
      const { pid } = recorded('cwd');
      expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(home);
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      expect(env).toContain('MCCS_RESNAME=cwd');
      expect(env).toContain(`MCCS_HOME=${home}`);
    });

    it('reports a bad Path, a missing directory and an immediate exit with a one-line reason', async () => {
      await expect(processAgent.online(ctxFor({ Path: 'sleep', Arguments: ['1'] }, { resName: 'bad1' }))).rejects.toThrow(/Path must be an absolute path/);
      await expect(processAgent.online(ctxFor({ Path: '/nonexistent/prog' }, { resName: 'bad2' }))).rejects.toThrow(/cannot start \/nonexistent\/prog: ENOENT/);
      await expect(processAgent.online(ctxFor(sleepAttrs({ StartupDirectory: '/nonexistent' }), { resName: 'bad3' }))).rejects.toThrow(/StartupDirectory \/nonexistent: ENOENT/);
      const quick = ctxFor({ Path: '/bin/sh', Arguments: ['-c', 'echo "config file missing" >&2; exit 3'] }, { resName: 'bad4' });
      await expect(processAgent.online(quick)).rejects.toThrow(/process \d+ exited with code 3: config file missing/);
      expect(existsSync(stateFile('bad4'))).toBe(false);
      expect((await processAgent.observe(quick)).state).toBe('stopped');
    });
  });

  describe('a child the engine started', () => {
    it('its death is reported through onUnexpectedExit at once, not at the next monitor', async () => {
      let resolveExit!: (v: { reason: string; at: number }) => void;
      const exited = new Promise<{ reason: string; at: number }>((r) => (resolveExit = r));
      const ctx = ctxFor(sleepAttrs(), { resName: 'killed', onUnexpectedExit: (reason) => resolveExit({ reason, at: performance.now() }) });
      await processAgent.online(ctx);
      const { pid } = recorded('killed');
      const t0 = performance.now();
      process.kill(pid, 'SIGKILL');
      const { reason, at } = await exited;
      expect(at - t0).toBeLessThan(100);
      expect(reason).toBe(`process ${pid} killed by SIGKILL`);
      // Not stopped by us: failed, with the same reason.
      expect(await processAgent.observe(ctx)).toEqual({ state: 'failed', reason: `process ${pid} killed by SIGKILL` });
      await processAgent.offline(ctx);
      expect((await processAgent.observe(ctx)).state).toBe('stopped');
    });

    it('an exit code and the last line it printed make the reason', async () => {
      const reasons: string[] = [];
      const ctx = ctxFor({ Path: '/bin/sh', Arguments: ['-c', `sleep 0.2; echo "out of memory ${marker()}" >&2; exit 4`] }, { resName: 'exit4', onUnexpectedExit: (r) => reasons.push(r) });
      await processAgent.online(ctx);
      const { pid } = recorded('exit4');
      await waitFor(() => reasons.length === 1);
      expect(reasons[0]).toMatch(new RegExp(`^process ${pid} exited with code 4: out of memory`));
    });

    it('its end caused by offline is not reported as unexpected', async () => {
      const reasons: string[] = [];
      const ctx = ctxFor(sleepAttrs(), { resName: 'planned', onUnexpectedExit: (r) => reasons.push(r) });
      await processAgent.online(ctx);
      await processAgent.offline(ctx);
      await sleep(100);
      expect(reasons).toEqual([]);
    });
  });

  describe('after an engine restart', () => {
    it('finds the process again by its state file (pid and start time)', async () => {
      const attrs = sleepAttrs();
      await processAgent.online(ctxFor(attrs, { resName: 'restart1' }));
      const { pid } = recorded('restart1');
      const restarted = createProcessAgent();
      const ctx = ctxFor(attrs, { resName: 'restart1' });
      expect(await restarted.observe(ctx)).toEqual({ state: 'running', reason: `pid ${pid}` });
      await restarted.online(ctx);
      expect(findProcesses({ path: '/bin/sleep', args: attrs.Arguments as string[] }).map((p) => p.pid)).toEqual([pid]);
      await restarted.offline(ctx);
      expect(isRunning(pid)).toBe(false);
      expect((await restarted.observe(ctx)).state).toBe('stopped');
    });

    it('adopts it by exact path and arguments when the state file is gone', async () => {
      const attrs = sleepAttrs();
      await processAgent.online(ctxFor(attrs, { resName: 'restart2' }));
      const { pid, startTime } = recorded('restart2');
      rmSync(stateFile('restart2'));
      const restarted = createProcessAgent();
      const obs = await restarted.observe(ctxFor(attrs, { resName: 'restart2' }));
      expect(obs).toEqual({ state: 'running', reason: `pid ${pid} (adopted by path and arguments)` });
      expect(recorded('restart2')).toMatchObject({ pid, startTime, origin: 'adopted' });
    });

    it('adopts a process it never started, sees it die although PID 1 reaps it late, and reports the loss', async () => {
      const attrs = sleepAttrs();
      const pid = startOrphan(`/bin/sleep ${(attrs.Arguments as string[]).join(' ')}`);
      const ctx = ctxFor(attrs, { resName: 'orphan' });
      await waitFor(() => findProcesses({ path: '/bin/sleep', args: attrs.Arguments as string[] }).length === 1);
      expect((await processAgent.observe(ctx)).state).toBe('running');
      expect(readProcStat(pid)!.ppid).not.toBe(process.pid);
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isRunning(pid), 1000);
      expect(await processAgent.observe(ctx)).toEqual({ state: 'failed', reason: `process ${pid} exited` });
      await processAgent.offline(ctx);
      expect(await processAgent.observe(ctx)).toEqual({ state: 'stopped', reason: 'not running' });
    });

    it('stops an adopted process promptly although it stays a zombie of PID 1 for a while', async () => {
      const attrs = sleepAttrs();
      const pid = startOrphan(`/bin/sleep ${(attrs.Arguments as string[]).join(' ')}`);
      const ctx = ctxFor(attrs, { resName: 'orphan2' });
      await waitFor(() => findProcesses({ path: '/bin/sleep', args: attrs.Arguments as string[] }).length === 1);
      const t0 = Date.now();
      await processAgent.offline(ctx);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(isRunning(pid)).toBe(false);
    });

    it('does not take a recycled pid for its process (same pid, other start time)', async () => {
      const attrs = sleepAttrs();
      const other = startOrphan(`/bin/sleep 1000 ${marker()}`);
      await waitFor(() => readProcStat(other) !== null);
      const stat = readProcStat(other)!;
      writeRecord('recycled', ({ pid: other, startTime: stat.startTime - 1, path: '/bin/sleep', args: attrs.Arguments, user: '', origin: 'engine', recordedAt: '' }));
      const ctx = ctxFor(attrs, { resName: 'recycled' });
      expect(await processAgent.observe(ctx)).toEqual({ state: 'failed', reason: `process ${other} exited` });
      await processAgent.offline(ctx);
      expect(isRunning(other)).toBe(true);
    });
  });

  describe('never a zombie, never the engine', () => {
    it('a recorded process that is now a zombie is not running', async () => {
      const parent = spawn('/bin/sh', ['-c', `/bin/sleep 0 & exec /bin/sleep 1000 ${marker()}`], { detached: true, stdio: 'ignore' });
      extraPids.push(parent.pid!);
      let zombie = 0;
      await waitFor(() => {
        zombie = listPids().find((p) => readProcStat(p)?.ppid === parent.pid && readProcStat(p)?.state === 'Z') ?? 0;
        return zombie > 0;
      });
      const { startTime } = readProcStat(zombie)!;
      writeRecord('zombie', ({ pid: zombie, startTime, path: '/bin/sleep', args: ['0'], user: '', origin: 'engine', recordedAt: '' }));
      const ctx = ctxFor({ Path: '/bin/sleep', Arguments: ['0'] }, { resName: 'zombie' });
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(await processAgent.observe(ctx)).toEqual({ state: 'failed', reason: `process ${zombie} exited` });
    });

    it('a resource naming the engine\'s own command line is never the engine', async () => {
      // This test worker: sibling workers share its command line and may be adopted, never the worker itself.
      const self = { Path: readExe(process.pid)!, Arguments: readCmdline(process.pid)!.slice(1) };
      const obs = await processAgent.observe(makeTestContext({ home, attrs: self, resName: 'self' }));
      expect(obs.reason).not.toContain(`pid ${process.pid}`);
      rmSync(stateFile('self'), { force: true });
      // The vitest main process, an ancestor: unique command line, never adopted, never signalled.
      const parent = { Path: readExe(process.ppid)!, Arguments: readCmdline(process.ppid)!.slice(1) };
      const ctx = ctxFor(parent, { resName: 'parent' });
      expect((await processAgent.observe(ctx)).state).toBe('stopped');
      await processAgent.offline(ctx);
      expect(isRunning(process.ppid)).toBe(true);
    });
  });

  describe('offline escalation', () => {
    const script = join(home, 'ignores-term.mjs');
    writeFileSync(script, "process.on('SIGTERM', () => console.log('SIGTERM ignored'));\nsetInterval(() => {}, 1000);\nconsole.log('ready');\n");

    async function startStubborn(res: string, extra: Record<string, unknown>): Promise<{ ctx: AgentContext; pid: number; log: string[] }> {
      const log: string[] = [];
      const ctx = ctxFor({ Path: process.execPath, Arguments: [script, marker()], ...extra }, { resName: res, log });
      await processAgent.online(ctx);
      const { pid } = recorded(res);
      await waitFor(() => readFileSync(join(home, 'log', `${res}.out`), 'utf8').includes('ready'), 5000);
      return { ctx, pid, log };
    }

    it('SIGTERM, then SIGKILL after StopGraceTime for a program that ignores SIGTERM', async () => {
      const { ctx, pid, log } = await startStubborn('stubborn', { StopGraceTime: 0.5 });
      const t0 = Date.now();
      await processAgent.offline(ctx);
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(500);
      expect(took).toBeLessThan(2000);
      expect(isRunning(pid)).toBe(false);
      expect(log.some((l) => l.includes('SIGKILL'))).toBe(true);
      expect(readFileSync(join(home, 'log', 'stubborn.out'), 'utf8')).toContain('SIGTERM ignored');
      expect((await processAgent.observe(ctx)).state).toBe('stopped');
    });

    it('with ForcibleTermination false, reports the failure and leaves the process to clean', async () => {
      const { ctx, pid } = await startStubborn('gentle', { StopGraceTime: 0.3, ForcibleTermination: false });
      await expect(processAgent.offline(ctx)).rejects.toThrow(new RegExp(`process ${pid} still running 0.3 s after SIGTERM \\(ForcibleTermination is false\\)`));
      expect(isRunning(pid)).toBe(true);
      expect((await processAgent.observe(ctx)).state).toBe('running');
      await processAgent.clean(ctx);
      expect(isRunning(pid)).toBe(false);
      expect((await processAgent.observe(ctx)).state).toBe('stopped');
    });

    it('stays inside the operation budget when StopGraceTime is longer', async () => {
      const { pid } = await startStubborn('budget', { StopGraceTime: 60 });
      const ctx = ctxFor(used.at(-1)!.attrs, { resName: 'budget', deadlineMs: 1500 });
      const t0 = Date.now();
      await processAgent.offline(ctx);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(isRunning(pid)).toBe(false);
    });

    it('clean kills the whole session of a process it started, helpers included', async () => {
      const m = marker();
      const ctx = ctxFor({ Path: '/bin/sh', Arguments: ['-c', `/bin/sleep 1000 ${m} & wait`] }, { resName: 'session' });
      await processAgent.online(ctx);
      const { pid } = recorded('session');
      await waitFor(() => findProcesses({ path: '/bin/sleep', args: ['1000', m] }).length === 1);
      const helper = findProcesses({ path: '/bin/sleep', args: ['1000', m] })[0]!.pid;
      await processAgent.clean(ctx);
      expect(isRunning(pid)).toBe(false);
      await waitFor(() => !isRunning(helper), 1000);
      expect(existsSync(stateFile('session'))).toBe(false);
    });

    it('offline also stops a second copy started by hand with the same path and arguments', async () => {
      const attrs = sleepAttrs();
      const ctx = ctxFor(attrs, { resName: 'twice' });
      await processAgent.online(ctx);
      const copy = startOrphan(`/bin/sleep ${(attrs.Arguments as string[]).join(' ')}`);
      await waitFor(() => findProcesses({ path: '/bin/sleep', args: attrs.Arguments as string[] }).length === 2);
      await processAgent.offline(ctx);
      await waitFor(() => !isRunning(copy), 1000);
      expect((await processAgent.observe(ctx)).state).toBe('stopped');
    });
  });

  describe('probes share one index of /proc (ProcessIndex)', () => {
    /** The real /proc, every listing and executable read counted. */
    function countingProc(): ProcReader & { lists: number; exeReads: number; pidsListed: number } {
      const r = {
        lists: 0,
        exeReads: 0,
        pidsListed: 0,
        list: (path: string) => {
          const names = procFs.list(path);
          r.lists += 1;
          r.pidsListed = Math.max(r.pidsListed, names.filter((n) => /^\d+$/.test(n)).length);
          return names;
        },
        read: (path: string) => procFs.read(path),
        link: (path: string) => {
          if (/^\/proc\/\d+\/exe$/.test(path)) r.exeReads += 1;
          return procFs.link(path);
        },
      };
      return r;
    }

    /** An agent whose index never reads every process again by itself (one hour): what it sees comes from its listing and its checks. */
    function staleAgent(reader: ProcReader = procFs) {
      const index = new ProcessIndex({ reader, fullScanEveryMs: 3_600_000 });
      return { agent: createProcessAgent({ index }), index };
    }

    it('offline probes of many resources at once read every process once, not once per resource', async () => {
      const proc = countingProc();
      const { agent, index } = staleAgent(proc);
      const ctxs = Array.from({ length: 40 }, (_, i) => ctxFor(sleepAttrs(), { resName: `many${i}` }));
      const results = await Promise.all(ctxs.map((ctx) => agent.observe(ctx)));
      expect(results.every((r) => r.state === 'stopped')).toBe(true);
      expect(index.fullScans).toBe(1);
      expect(proc.lists).toBe(40);
      // Every process once, plus the few that other tests start meanwhile; a scan per resource would be 40 × that.
      expect(proc.exeReads).toBeLessThan(2 * proc.pidsListed);
    });

    it('a process started by hand after the index was built is found by the next probe', async () => {
      const { agent, index } = staleAgent();
      const attrs = sleepAttrs();
      const ctx = ctxFor(attrs, { resName: 'late' });
      expect((await agent.observe(ctx)).state).toBe('stopped');
      const pid = startOrphan(`/bin/sleep ${(attrs.Arguments as string[]).join(' ')}`);
      await waitFor(() => findProcesses({ path: '/bin/sleep', args: attrs.Arguments as string[] }).length === 1);
      expect(await agent.observe(ctx)).toEqual({ state: 'running', reason: `pid ${pid} (adopted by path and arguments)` });
      expect(index.fullScans).toBe(1);
    });

    it('an adopted process that dies is offline at the next probe, although the index still remembers it', async () => {
      const { agent, index } = staleAgent();
      const attrs = sleepAttrs();
      const ctx = ctxFor(attrs, { resName: 'dies' });
      const pid = startOrphan(`/bin/sleep ${(attrs.Arguments as string[]).join(' ')}`);
      await waitFor(() => findProcesses({ path: '/bin/sleep', args: attrs.Arguments as string[] }).length === 1);
      expect((await agent.observe(ctx)).state).toBe('running');
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !isRunning(pid), 1000);
      expect(await agent.observe(ctx)).toEqual({ state: 'failed', reason: `process ${pid} exited` });
      // And a process this engine started, killed: the same.
      const ctx2 = ctxFor(sleepAttrs(), { resName: 'dies2' });
      await agent.online(ctx2);
      const { pid: own } = recorded('dies2');
      process.kill(own, 'SIGKILL');
      await waitFor(() => !isRunning(own), 1000);
      expect(await agent.observe(ctx2)).toEqual({ state: 'failed', reason: `process ${own} killed by SIGKILL` });
      expect(index.fullScans).toBe(1);
      await agent.offline(ctx);
      expect(await agent.observe(ctx)).toEqual({ state: 'stopped', reason: 'not running' });
    });

    it('a recorded pid now held by another process (other start time) is not taken for ours, though the index knows that pid as the same program', async () => {
      const { agent } = staleAgent();
      const attrs = sleepAttrs();
      const other = startOrphan(`/bin/sleep 1000 ${marker()}`);
      await waitFor(() => readProcStat(other) !== null && readExe(other) !== '/bin/sh');
      // Another resource's probe builds the index: it lists `other` as a /bin/sleep and reads its arguments.
      expect((await agent.observe(ctxFor(sleepAttrs(), { resName: 'warm' }))).state).toBe('stopped');
      writeRecord('recycled2', { pid: other, startTime: readProcStat(other)!.startTime - 1, path: '/bin/sleep', args: attrs.Arguments, user: '', origin: 'engine', recordedAt: '' });
      const ctx = ctxFor(attrs, { resName: 'recycled2' });
      expect(await agent.observe(ctx)).toEqual({ state: 'failed', reason: `process ${other} exited` });
      await agent.offline(ctx);
      expect(isRunning(other)).toBe(true);
    });
  });

  describe.runIf(isRoot)('User', () => {
    it('runs the process as that user, and adopts only that user\'s processes', async () => {
      const attrs = sleepAttrs({ User: 'nobody' });
      const ctx = ctxFor(attrs, { resName: 'nobody' });
      await processAgent.online(ctx);
      const { pid } = recorded('nobody');
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(status).toMatch(/^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
      expect(status).toMatch(/^Gid:\s+65534\s+65534\s+65534\s+65534$/m);
      expect(status).toMatch(/^Groups:\s*$/m);
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain('USER=nobody');
      await processAgent.offline(ctx);

      // A root process with the same command line is not this resource.
      const rootCopy = startOrphan(`/bin/sleep ${(attrs.Arguments as string[]).join(' ')}`);
      await waitFor(() => readProcStat(rootCopy) !== null);
      expect((await processAgent.observe(ctx)).state).toBe('stopped');
      await processAgent.offline(ctx);
      expect(isRunning(rootCopy)).toBe(true);
    });
  });
});
