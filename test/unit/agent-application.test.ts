// Application agent: the operator's own start/stop/monitor programs, run for
// real (shell scripts of a small "app" in a temp dir) and through the
// recording runner for the monitor exit-code contract.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AgentContext } from '../../src/engine/agents/agent.js';
import { applicationAgent, applicationProblems } from '../../src/engine/agents/application.js';
import { findByCommandLine, isRunning } from '../../src/system/proc.js';
import { agentContract, makeTempHome, makeTestContext, removeTempHome, type TestContextOptions } from '../helpers/agent-contract.js';
import { RecordingRunner } from '../helpers/recording-runner.js';
import { waitFor as wait } from '../lab/wait.mjs';

const home = makeTempHome('application');
chmodSync(home, 0o755);
const isRoot = process.getuid?.() === 0;

function marker(): string {
  return `0.${process.pid}${Math.floor(Math.random() * 1e6)}`;
}

function script(name: string, body: string): string {
  const path = join(home, name);
  writeFileSync(path, `#!/bin/sh\n${body}`);
  chmodSync(path, 0o755);
  return path;
}

// A small app: start launches a daemon and writes its pid file; stop kills it;
// monitor follows the exit-code contract (0 running, 7 stopped, 2 failed).
const start = script('start.sh', '/bin/sleep 1000 "$2" </dev/null >/dev/null 2>&1 &\necho $! > "$1/pid"\n');
const stop = script('stop.sh', '[ -f "$1/pid" ] || exit 0\nkill "$(cat "$1/pid")" 2>/dev/null\nrm -f "$1/pid"\n');
const monitor = script(
  'monitor.sh',
  '[ -f "$1/pid" ] || { echo "no pid file"; exit 7; }\npid=$(cat "$1/pid")\n' +
    'if [ -d /proc/$pid ] && ! grep -q "^State:.*Z" /proc/$pid/status; then echo "pid $pid"; exit 0; fi\n' +
    'echo "pid $pid is gone but its pid file remains" >&2\nexit 2\n',
);
const stubborn = join(home, 'ignores-term.mjs');
writeFileSync(stubborn, "process.on('SIGTERM', () => console.log('SIGTERM ignored'));\nsetInterval(() => {}, 1000);\nconsole.log('ready');\n");
const startStubborn = script('start-stubborn.sh', `"${process.execPath}" "${stubborn}" "$2" </dev/null >"$1/out" 2>&1 &\n`);

let appCount = 0;
/** A fresh app directory and marker; attrs of an Application resource running it. */
function app(extra: Record<string, unknown> = {}): { dir: string; m: string; attrs: Record<string, unknown>; cmdline: string } {
  const dir = join(home, `app${++appCount}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  const m = marker();
  return {
    dir,
    m,
    cmdline: `/bin/sleep 1000 ${m}`,
    attrs: {
      StartProgram: [start, dir, m],
      StopProgram: [stop, dir],
      MonitorProgram: [monitor, dir],
      MonitorProcesses: [`/bin/sleep 1000 ${m}`],
      MonitorTimeout: 5,
      ...extra,
    },
  };
}

const used: AgentContext[] = [];
function ctxFor(attrs: Record<string, unknown>, more: Partial<TestContextOptions> = {}): AgentContext {
  const ctx = makeTestContext({ home, attrs, resName: 'app', ...more });
  used.push(ctx);
  return ctx;
}

/** The lab's bounded wait (test/lab/wait.mjs) for a condition of this test. */
const waitFor = (check: () => boolean, ms = 3000): Promise<unknown> => wait('the condition', () => check(), ms, 10);

afterEach(async () => {
  // Kill what each test's MonitorProcesses name; only real contexts started anything.
  for (const ctx of used.splice(0)) {
    for (const line of (ctx.attrs.MonitorProcesses as string[] | undefined) ?? []) {
      for (const p of findByCommandLine(line)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }
});

afterAll(() => removeTempHome(home));

describe('Application', () => {
  const contract = app();
  agentContract('Application (start/stop/monitor scripts)', () => makeTestContext({ home, attrs: contract.attrs, resName: 'contract' }), applicationAgent, {
    afterOnlineAgain: () => {
      expect(findByCommandLine(contract.cmdline)).toHaveLength(1);
    },
    afterOffline: () => {
      expect(findByCommandLine(contract.cmdline)).toEqual([]);
      expect(existsSync(join(contract.dir, 'pid'))).toBe(false);
    },
  });

  describe('MonitorProgram exit-code contract', () => {
    const attrs = { StartProgram: ['/opt/app/start'], MonitorProgram: ['/opt/app/monitor', '--quick'], MonitorTimeout: 0.2 };

    async function observeWith(reply: Parameters<RecordingRunner['on']>[1]) {
      const runner = new RecordingRunner({ strict: true }).on('/opt/app/monitor', reply);
      return applicationAgent.observe(makeTestContext({ home, attrs, runner }));
    }

    it.each([0, 110])('exit %i: running', async (code) => {
      expect(await observeWith({ exitCode: code, stdout: 'all good\n' })).toEqual({ state: 'running', reason: 'all good' });
    });

    it.each([1, 3, 7, 100])('exit %i: cleanly stopped', async (code) => {
      expect((await observeWith({ exitCode: code })).state).toBe('stopped');
    });

    it.each([2, 4, 5, 99, 101, 255])('exit %i: failed, the first line of stderr is the reason', async (code) => {
      expect(await observeWith({ exitCode: code, stdout: 'noise', stderr: '\n  database refuses connections\nmore\n' })).toEqual({
        state: 'failed',
        reason: `MonitorProgram exited with code ${code}: database refuses connections`,
      });
    });

    it('without stderr the reason is stdout, else the exit code', async () => {
      expect((await observeWith({ exitCode: 2, stdout: 'port 8080 closed' })).reason).toBe('MonitorProgram exited with code 2: port 8080 closed');
      expect((await observeWith({ exitCode: 2 })).reason).toBe('MonitorProgram exited with code 2');
    });

    it('a monitor that does not exit within MonitorTimeout is a monitor timeout, not a verdict', async () => {
      await expect(observeWith({ delayMs: 5000, exitCode: 0 })).rejects.toThrow(/MonitorProgram timed out/);
    });

    it('a monitor that cannot be run is a failure that says so', async () => {
      expect(await observeWith({ error: 'ENOENT' })).toEqual({ state: 'failed', reason: 'MonitorProgram: cannot run /opt/app/monitor: ENOENT' });
    });

    it('runs the program with its argument array, as User, with the resource named in the environment', async () => {
      const runner = new RecordingRunner().on('/opt/app/monitor', { exitCode: 0 });
      await applicationAgent.observe(makeTestContext({ home, attrs: { ...attrs, User: 'nobody' }, runner, resName: 'web' }));
      expect(runner.calls).toHaveLength(1);
      const call = runner.calls[0]!;
      expect([call.command, ...call.args]).toEqual(['/opt/app/monitor', '--quick']);
      expect(call.options).toMatchObject({ user: 'nobody', timeoutMs: 200, cwd: '/' });
      expect(call.options.env).toMatchObject({ MCCS_RESNAME: 'web', MCCS_HOME: home });
    });
  });

  describe('MonitorProcesses', () => {
    it('each entry is an exact command line; all running = running, none = stopped, some = failed naming the missing', async () => {
      const a = app();
      const b = `/bin/sleep 1000 ${marker()}`;
      const attrs = { StartProgram: [start], MonitorProcesses: [a.cmdline, b] };
      const ctx = ctxFor(attrs);
      expect(await applicationAgent.observe(ctx)).toEqual({ state: 'stopped', reason: 'no MonitorProcesses running' });
      await ctx.runner.run('/bin/sh', ['-c', `${a.cmdline} </dev/null >/dev/null 2>&1 &`]);
      await waitFor(() => findByCommandLine(a.cmdline).length === 1);
      expect(await applicationAgent.observe(ctx)).toEqual({ state: 'failed', reason: `not running: ${b}` });
      await ctx.runner.run('/bin/sh', ['-c', `${b} </dev/null >/dev/null 2>&1 &`]);
      await waitFor(() => findByCommandLine(b).length === 1);
      expect(await applicationAgent.observe(ctx)).toEqual({ state: 'running', reason: '2 MonitorProcesses running' });
      // Same program, other spacing or a prefix: not a match.
      expect((await applicationAgent.observe(ctxFor({ StartProgram: [start], MonitorProcesses: [`/bin/sleep  1000 ${a.m}`] }))).state).toBe('stopped');
      expect((await applicationAgent.observe(ctxFor({ StartProgram: [start], MonitorProcesses: [`/bin/sleep 1000`] }))).state).toBe('stopped');
    });

    it('disagreement between MonitorProgram and MonitorProcesses is a failure saying which', async () => {
      const a = app();
      const ctx = ctxFor(a.attrs);
      writeFileSync(join(a.dir, 'pid'), `${process.pid}\n`);
      expect(await applicationAgent.observe(ctx)).toEqual({ state: 'failed', reason: `MonitorProgram says running but not running: ${a.cmdline}` });
      const b = app();
      const ctxB = ctxFor(b.attrs);
      await ctxB.runner.run('/bin/sh', ['-c', `${b.cmdline} </dev/null >/dev/null 2>&1 &`]);
      await waitFor(() => findByCommandLine(b.cmdline).length === 1);
      expect((await applicationAgent.observe(ctxB)).reason).toMatch(new RegExp(`^MonitorProgram says stopped but still running: /bin/sleep 1000 ${b.m} \\(pid \\d+\\)$`));
    });
  });

  describe('attributes', () => {
    it('programs are absolute argument arrays; a plain string is one program path; something must monitor', () => {
      expect(applicationProblems({ StartProgram: ['/opt/app/start', 'now'], MonitorProcesses: ['/opt/app/daemon'] })).toEqual([]);
      expect(applicationProblems({ StartProgram: '/opt/app/start', MonitorProgram: '/opt/app/monitor' })).toEqual([]);
      // A string is never a command line: arguments go in the array form.
      expect(applicationProblems({ StartProgram: '/opt/app/start --now', MonitorProgram: '/opt/app/monitor' })).toEqual([
        'StartProgram is one executable path, not a command line (got "/opt/app/start --now"): give arguments in the array form ["/path/program", "arg", …]',
      ]);
      expect(applicationProblems({ StartProgram: ['start.sh'], MonitorProgram: ['/m'] })).toEqual(['StartProgram: the program must be an absolute path (got "start.sh")']);
      expect(applicationProblems({ MonitorProgram: ['/m'] })).toEqual(['StartProgram is required']);
      expect(applicationProblems({ StartProgram: ['/s'] })).toEqual(['MonitorProgram or MonitorProcesses is required: nothing would tell whether the application runs']);
      expect(applicationProblems({ StartProgram: ['/s'], StopProgram: [1], MonitorProcesses: [''] })).toEqual([
        'StopProgram must be an executable path or an array of strings [program, arg…]',
        'MonitorProcesses must be an array of non-empty command lines',
      ]);
    });

    it('a bad attribute fails the operation with the reason', async () => {
      await expect(applicationAgent.observe(ctxFor({ StartProgram: ['start.sh'], MonitorProgram: ['/m'] }))).rejects.toThrow('StartProgram: the program must be an absolute path');
      await expect(applicationAgent.observe(ctxFor({ StartProgram: ['/s'], MonitorProgram: ['/m'], User: 'no-such-user-mccs' }))).rejects.toThrow(/OS user 'no-such-user-mccs' does not exist/);
    });
  });

  describe('online', () => {
    it('a failing StartProgram is reported with its exit code and first line of stderr', async () => {
      const runner = new RecordingRunner()
        .on('/opt/app/monitor', { exitCode: 7 })
        .on('/opt/app/start', { exitCode: 1, stderr: 'cannot bind 0.0.0.0:8080\n' });
      const ctx = makeTestContext({ home, attrs: { StartProgram: ['/opt/app/start', '-d'], MonitorProgram: ['/opt/app/monitor'] }, runner });
      await expect(applicationAgent.online(ctx)).rejects.toThrow('StartProgram exited with code 1: cannot bind 0.0.0.0:8080');
      expect(runner.commandLines()).toEqual(['/opt/app/monitor', '/opt/app/start -d']);
    });

    it('waits for the monitor to say running, and fails at the end of the budget with the last reason', async () => {
      let calls = 0;
      const runner = new RecordingRunner()
        .on('/opt/app/monitor', () => (++calls < 3 ? { exitCode: 7, stdout: 'starting' } : { exitCode: 0 }))
        .on('/opt/app/start', { exitCode: 0 });
      await applicationAgent.online(makeTestContext({ home, attrs: { StartProgram: ['/opt/app/start'], MonitorProgram: ['/opt/app/monitor'] }, runner }));
      expect(calls).toBe(3);

      const never = new RecordingRunner().on('/opt/app/monitor', { exitCode: 7, stdout: 'no pid file' });
      const t0 = Date.now();
      await expect(
        applicationAgent.online(makeTestContext({ home, attrs: { StartProgram: ['/opt/app/start'], MonitorProgram: ['/opt/app/monitor'] }, runner: never, deadlineMs: 600 })),
      ).rejects.toThrow('not running after StartProgram: no pid file');
      expect(Date.now() - t0).toBeLessThan(1500);
    });

    it('does not start when the first monitor times out (it might be running)', async () => {
      const runner = new RecordingRunner().on('/opt/app/monitor', { delayMs: 5000 });
      await expect(
        applicationAgent.online(makeTestContext({ home, attrs: { StartProgram: ['/opt/app/start'], MonitorProgram: ['/opt/app/monitor'], MonitorTimeout: 0.1 }, runner })),
      ).rejects.toThrow(/timed out/);
      expect(runner.callsOf('/opt/app/start')).toEqual([]);
    });
  });

  describe('offline escalation', () => {
    async function startStubbornApp(extra: Record<string, unknown>) {
      const dir = join(home, `stubborn${++appCount}`);
      mkdirSync(dir);
      const m = marker();
      const cmdline = `${process.execPath} ${stubborn} ${m}`;
      const log: string[] = [];
      const ctx = ctxFor({ StartProgram: [startStubborn, dir, m], MonitorProcesses: [cmdline], StopGraceTime: 0.3, ...extra }, { log, deadlineMs: 4000 });
      await applicationAgent.online(ctx);
      await waitFor(() => existsSync(join(dir, 'out')) && readFileSync(join(dir, 'out'), 'utf8').includes('ready'), 5000);
      const pid = findByCommandLine(cmdline)[0]!.pid;
      return { ctx, pid, log, dir };
    }

    it('without StopProgram: SIGTERM, then SIGKILL to MonitorProcesses that ignore it', async () => {
      const { ctx, pid, log, dir } = await startStubbornApp({});
      await applicationAgent.offline(ctx);
      expect(isRunning(pid)).toBe(false);
      expect(readFileSync(join(dir, 'out'), 'utf8')).toContain('SIGTERM ignored');
      expect(log.some((l) => l.includes('SIGKILL sent'))).toBe(true);
      expect((await applicationAgent.observe(ctx)).state).toBe('stopped');
    });

    it('a StopProgram that fails goes straight to killing the MonitorProcesses', async () => {
      const { ctx, pid, log } = await startStubbornApp({ StopProgram: ['/bin/sh', '-c', 'echo "stop: no such instance" >&2; exit 1'] });
      const t0 = Date.now();
      await applicationAgent.offline(ctx);
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(isRunning(pid)).toBe(false);
      expect(log).toContain('app: StopProgram exited with code 1: stop: no such instance');
    });

    it('a StopProgram that does not stop it: wait within the budget, then kill', async () => {
      const { ctx, pid } = await startStubbornApp({ StopProgram: ['/bin/true'] });
      await applicationAgent.offline(ctx);
      expect(isRunning(pid)).toBe(false);
    });

    it('reports the failure when nothing stops it', async () => {
      const runner = new RecordingRunner().on('/opt/app/monitor', { exitCode: 0, stdout: 'still serving' }).on('/opt/app/stop', { exitCode: 0 });
      const ctx = makeTestContext({ home, attrs: { StartProgram: ['/opt/app/start'], StopProgram: ['/opt/app/stop'], MonitorProgram: ['/opt/app/monitor'] }, runner, deadlineMs: 500 });
      const t0 = Date.now();
      await expect(applicationAgent.offline(ctx)).rejects.toThrow('still not stopped after StopProgram: still serving');
      expect(Date.now() - t0).toBeLessThan(1500);
    });

    it('clean kills the MonitorProcesses at once', async () => {
      const { ctx, pid } = await startStubbornApp({ StopGraceTime: 60 });
      const t0 = Date.now();
      await applicationAgent.clean(ctx);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(isRunning(pid)).toBe(false);
    });
  });

  describe.runIf(isRoot)('User', () => {
    it('starts the application as that user and counts only that user\'s processes', async () => {
      const a = app({ User: 'nobody' });
      const ctx = ctxFor(a.attrs);
      await applicationAgent.online(ctx);
      const [p] = findByCommandLine(a.cmdline);
      expect(readFileSync(`/proc/${p!.pid}/status`, 'utf8')).toMatch(/^Uid:\s+65534\s+65534/m);
      await applicationAgent.offline(ctx);

      // The same command line run by root is not the application of nobody.
      const rootCtx = ctxFor({ StartProgram: [start], MonitorProcesses: [a.cmdline], User: 'nobody' });
      await rootCtx.runner.run('/bin/sh', ['-c', `${a.cmdline} </dev/null >/dev/null 2>&1 &`]);
      await waitFor(() => findByCommandLine(a.cmdline).length === 1);
      expect((await applicationAgent.observe(rootCtx)).state).toBe('stopped');
    });
  });
});
