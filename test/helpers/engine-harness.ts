// Runs a real engine (node dist/daemon/main.js) with its own MCCS_HOME in a
// temp dir, and talks to it over its API socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { callApi } from '../../src/api/client.js';
import { waitFor as wait, WaitAborted } from '../lab/wait.mjs';
import type { Envelope, EventRecord, MethodName } from '../../src/api/protocol.js';
import type { MainConfig } from '../../src/model/types.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DAEMON = join(ROOT, 'dist/daemon/main.js');

export interface Harness {
  home: string;
  daemon?: ChildProcess;
  /** Starts the engine; waits until it answers and (unless `running: false`) this node is RUNNING. */
  start(options?: { running?: boolean }): Promise<void>;
  /** SIGTERM: the engine only. */
  stop(): Promise<void>;
  kill(): Promise<void>;
  rpc<T = unknown>(method: string, params?: Record<string, unknown>, auth?: { user: string; password: string }): Promise<Envelope<T>>;
  events(): EventRecord[];
  writeConfig(config: MainConfig): void;
  /** Ends every process whose command line holds this home's marker (the managed services of this test). */
  cleanup(): Promise<void>;
}

export function makeHome(prefix = 'mccs-test-'): string {
  const home = mkdtempSync(join(tmpdir(), prefix));
  for (const d of ['config', 'log', 'run']) mkdirSync(join(home, d), { recursive: true });
  return home;
}

/** One call to the engine on `socket`, through the project's API client (src/api/client.ts), as the CLI makes it. */
export function rpcAt<T>(socket: string, method: string, params: Record<string, unknown> = {}, auth?: { user: string; password: string }): Promise<Envelope<T>> {
  return callApi(method as MethodName, params as never, { socketPath: socket, ...auth }) as Promise<Envelope<T>>;
}

/** The bounded wait of test/lab/wait.mjs, with the engine tests' defaults (20 s, every 50 ms). */
export function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, stepMs = 50): Promise<T> {
  return wait(what, fn, timeoutMs, stepMs);
}

/** PIDs of live (non-zombie) processes with an argument equal to `marker` or under it (`marker/...`). */
export function pidsWithArg(marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!argv.some((a) => a === marker || a.startsWith(`${marker}/`))) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && state !== 'X') out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function createHarness(opts: { node?: string; home?: string; env?: Record<string, string>; netns?: string } = {}): Harness {
  const home = opts.home ?? makeHome();
  const socket = join(home, 'run/mccs.sock');
  const h: Harness = {
    home,
    async start(startOptions = {}) {
      const argv = [process.execPath, DAEMON, ...(opts.node ? ['--node', opts.node] : [])];
      // `ip netns exec` execs the engine itself (same PID), inside the namespace, with its own /sys.
      const [cmd, ...args] = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv;
      const child = spawn(cmd!, args, {
        env: { ...process.env, MCCS_HOME: home, ...opts.env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      h.daemon = child;
      await waitFor(`engine of ${home} to be ready (stderr: ${stderr})`, async () => {
        if (child.exitCode !== null) throw new WaitAborted(`daemon exited ${child.exitCode}: ${stderr}`);
        if (!existsSync(socket)) return false;
        const s = await rpcAt<{ nodes: { NodeName: string; state: string }[]; localNode: string }>(socket, 'cluster.status');
        if (startOptions.running === false) return s.ok;
        return s.ok && s.result.nodes.some((n) => n.NodeName === s.result.localNode && n.state === 'RUNNING');
      });
    },
    async stop() {
      const d = h.daemon;
      if (!d || d.exitCode !== null || d.signalCode !== null) return;
      const exited = new Promise((r) => d.once('exit', r));
      d.kill('SIGTERM');
      await exited;
    },
    async kill() {
      const d = h.daemon;
      if (!d || d.exitCode !== null || d.signalCode !== null) return;
      const exited = new Promise((r) => d.once('exit', r));
      d.kill('SIGKILL');
      await exited;
    },
    rpc: (method, params, auth) => rpcAt(socket, method, params, auth),
    events() {
      const file = join(home, 'log/events.jsonl');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as EventRecord);
    },
    writeConfig(config) {
      writeFileSync(join(home, 'config/main.json'), JSON.stringify(config, null, 2));
    },
    async cleanup() {
      await h.kill();
      for (const pid of pidsWithArg(home)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
  return h;
}
