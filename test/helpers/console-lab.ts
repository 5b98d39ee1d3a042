// Real engines on 127.0.0.x (no root needed; two by default, up to sixteen
// with an etcd witness in the configuration), each with its own web console
// process (`mccs console`), and a headless Debian chromium driven by
// puppeteer-core (never a downloaded browser).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { generateSecret } from '../../src/cluster/crypto.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import { createCertificate, writeUser } from '../../src/init/setup.js';
import { homePaths } from '../../src/model/home.js';
import type { MainConfig } from '../../src/model/types.js';
import { createHarness, pidsWithArg, ROOT, waitFor, type Harness } from './engine-harness.js';

export const CHROMIUM = '/usr/bin/chromium';
export const MCCS = join(ROOT, 'bin/mccs.js');
export const ADMIN = { user: 'admin', password: 'admin-pass-1' };
export const WATCHER = { user: 'watcher', password: 'watcher-pass-1' };

/** A resource whose state is a flag file in the node's own MCCS_HOME (start: create, stop: remove). */
export function flagScript(dir: string): string {
  const path = join(dir, 'flag-resource.sh');
  writeFileSync(
    path,
    `#!/bin/sh
# flag-resource.sh start|stop|monitor NAME: a resource that is a file under $MCCS_HOME/run (tests only).
f="$MCCS_HOME/run/flag-$2"
case "$1" in
  start) : > "$f" ;;
  stop) rm -f "$f" ;;
  monitor) [ -f "$f" ] && { echo "flag $2 present"; exit 0; }; echo "flag $2 absent"; exit 1 ;;
esac
exit 0
`,
    { mode: 0o755 },
  );
  return path;
}

export function flagResource(script: string, name: string, extra: Record<string, unknown> = {}) {
  return { ResName: name, Type: 'Application', StartProgram: [script, 'start', name], StopProgram: [script, 'stop', name], MonitorProgram: [script, 'monitor', name], MonitorInterval: 2, ...extra };
}

export interface ConsoleNode {
  name: string;
  address: string;
  engine: Harness;
  console?: ChildProcess;
  consoleLog: string;
  url: string;
}

export class ConsoleLab {
  nodes: ConsoleNode[] = [];
  browser?: Browser;
  readonly work: string;

  private constructor(readonly port: number) {
    this.work = mkdtempSync(join(tmpdir(), 'mccs-console-lab-'));
  }

  /**
   * config(lab) builds main.json (the same on every node); nodes node1..nodeN (N = nodes, default 2) on
   * addresses 127.0.0.(base+1)..(base+N); consoles on `port` of each node's address (HTTPS with each
   * node's certificate unless tls false; none with consoles false).
   */
  static async create(opts: { hbPort: number; consolePort: number; base: number; nodes?: number; tls?: boolean; consoles?: boolean; config: (lab: ConsoleLab) => MainConfig }): Promise<ConsoleLab> {
    const lab = new ConsoleLab(opts.consolePort);
    const names = Array.from({ length: opts.nodes ?? 2 }, (_, i) => `node${i + 1}`);
    const secret = join(lab.work, 'cluster.key');
    generateSecret(secret);
    for (const [i, name] of names.entries()) {
      const engine = createHarness({ node: name });
      const address = `127.0.0.${opts.base + i + 1}`;
      lab.nodes.push({ name, address, engine, consoleLog: join(engine.home, 'log/console.log'), url: `${opts.tls === false ? 'http' : 'https'}://${address}:${opts.consolePort}` });
    }
    const config = opts.config(lab);
    for (const n of lab.nodes) {
      n.engine.writeConfig(config);
      writeFileSync(join(n.engine.home, 'config/cluster.key'), readFileSync(secret), { mode: 0o600 });
      await writeUser(homePaths(n.engine.home), { name: ADMIN.user, role: 'Administrator', password: ADMIN.password });
      await writeUser(homePaths(n.engine.home), { name: WATCHER.user, role: 'Monitor', password: WATCHER.password });
      mkdirSync(join(n.engine.home, 'config/tls'), { recursive: true });
      if (opts.tls !== false) await createCertificate(new ExecRunner(), join(n.engine.home, 'config/tls'), n.name, [n.address]);
    }
    await Promise.all(lab.nodes.map((n) => n.engine.start({ running: false })));
    if (opts.consoles !== false) for (const n of lab.nodes) await lab.startConsole(n, opts.tls !== false);
    return lab;
  }

  node(name: string): ConsoleNode {
    return this.nodes.find((n) => n.name === name)!;
  }

  async startConsole(n: ConsoleNode, tls = true): Promise<void> {
    const child = spawn(process.execPath, [MCCS, 'console', '--home', n.engine.home, '--bind', n.address, '--port', String(this.port), ...(tls ? [] : ['--no-tls'])], {
      env: { ...process.env, MCCS_HOME: n.engine.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', () => writeFileSync(n.consoleLog, out));
    n.console = child;
    await waitFor(`console of ${n.name} listening (${out})`, async () => {
      if (child.exitCode !== null) throw new Error(`console exited ${child.exitCode}: ${out}`);
      return (await fetchText(n.url + '/main').catch(() => undefined))?.status === 200;
    }, 20_000);
  }

  async stopConsole(n: ConsoleNode): Promise<void> {
    const c = n.console;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }

  async waitRunning(): Promise<void> {
    for (const n of this.nodes) {
      await waitFor(`${n.name} RUNNING`, async () => {
        const s = await n.engine.rpc<{ nodes: { NodeName: string; state: string }[] }>('cluster.status');
        return s.ok && s.result.nodes.every((x) => x.state === 'RUNNING');
      }, 30_000);
    }
  }

  async launchBrowser(): Promise<Browser> {
    this.browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: mkdtempSync(join(this.work, 'chromium-')),
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--ignore-certificate-errors', '--disable-dev-shm-usage'],
      defaultViewport: { width: 1400, height: 1000 },
    });
    // Errors of the page end up in the test output.
    this.browser.on('targetcreated', async (t) => {
      const p = await t.page().catch(() => null);
      p?.on('pageerror', (e) => console.log(`page error: ${(e as Error).message}`));
    });
    return this.browser;
  }

  async login(page: Page, n: ConsoleNode, who: { user: string; password: string }): Promise<void> {
    await page.goto(`${n.url}/main#/overview`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('input[name=user]');
    await page.$$eval('input[name=user], input[name=password]', (l) => l.forEach((e) => ((e as HTMLInputElement).value = '')));
    await page.type('input[name=user]', who.user);
    await page.type('input[name=password]', who.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-role]', { timeout: 15_000 });
  }

  async destroy(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    for (const n of this.nodes) await this.stopConsole(n);
    for (const n of this.nodes) await n.engine.cleanup();
    // Services the engines started with arguments under the lab's directory (by PID).
    for (const pid of pidsWithArg(this.work)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** GET/POST to a console without a browser (HTTPS: the test trusts the node's self-signed certificate). */
export function fetchText(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  const u = new URL(url);
  const fn = u.protocol === 'https:' ? request : httpRequest;
  return new Promise((resolve, reject) => {
    const req = fn(
      { hostname: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? 'GET', headers: opts.headers, rejectUnauthorized: false, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(opts.body);
  });
}
