// bench/console: the web console with 20 groups × 10 resources on one engine
// (StandAlone), its own `mccs console` process (plain HTTP on 127.0.0.1, so
// TLS setup is not counted) and Debian's headless chromium (puppeteer-core).
//
//   first load → interactive: a fresh page of a logged-in operator opens
//     /main#/groups; time from navigation start until the tree of 20 groups
//     and 200 resources is on screen (the page's own performance clock).
//   event → screen: a Process resource is killed (SIGKILL); time from the
//     engine's RESOURCE_FAILED record to the moment the page shows FAULTED
//     (a MutationObserver in the page stamps it; same host clock).
//
// Targets (issue 10): interactive ≤ 500 ms, event → screen ≤ 1 s.
// Run: npm run build && node bench/console.mjs [--rounds N]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { agentPid, cleanup, events, makeHome, onSignalsCleanup, ROOT, rpc, SERVICE, sleep, startEngine, stats, waitFor, writeConfig } from './lib.mjs';

const GROUPS = 20;
const PER_GROUP = 10;
const PORT = 29080;
const HB_PORT = 29321;
const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 5) || 5;
const USER = { user: 'bench', password: 'bench-pass-1' };

const home = makeHome('mccs-bench-console-');
const flag = join(home, 'flag.sh');
writeFileSync(flag, '#!/bin/sh\nf="$MCCS_HOME/run/flag-$2"\ncase "$1" in start) : > "$f" ;; stop) rm -f "$f" ;; monitor) [ -f "$f" ] && exit 0; exit 1 ;; esac\nexit 0\n', { mode: 0o755 });
const groups = [];
for (let g = 0; g < GROUPS; g++) {
  const name = `g${String(g).padStart(2, '0')}`;
  const resources = [];
  const deps = [];
  for (let r = 0; r < PER_GROUP; r++) {
    const res = `${name}-r${r}`;
    if (g === 0 && r === 0) resources.push({ ResName: res, Type: 'Process', Path: process.execPath, Arguments: [SERVICE, `${home}/victim`], RestartLimit: 0, MonitorInterval: 5 });
    else resources.push({ ResName: res, Type: 'Application', StartProgram: [flag, 'start', res], StopProgram: [flag, 'stop', res], MonitorProgram: [flag, 'monitor', res], MonitorInterval: 60, OfflineMonitorInterval: 0 });
    if (r > 0) deps.push({ Parent: res, Child: `${name}-r${r - 1}` });
  }
  groups.push({ GroupName: name, GroupType: 'FAILOVER', NodeList: ['node1'], AutoStart: true, Resources: resources, Dependencies: deps.filter((_, i) => i % 3 === 0) });
}
writeConfig(home, { ConfigVersion: 1, Cluster: { ClusterName: 'bench', HBPort: HB_PORT, GroupLimit: 64 }, Nodes: [{ NodeName: 'node1', StandAlone: true }], Groups: groups });

let engine;
let consoleProc;
let browser;
const done = async () => {
  await browser?.close().catch(() => undefined);
  if (consoleProc && consoleProc.exitCode === null) consoleProc.kill('SIGKILL');
  await cleanup(home, engine);
};
onSignalsCleanup(done);

try {
  const { writeUser } = await import(join(ROOT, 'dist/init/setup.js'));
  const { homePaths } = await import(join(ROOT, 'dist/model/home.js'));
  await writeUser(homePaths(home), { name: USER.user, role: 'Administrator', password: USER.password });
  engine = await startEngine(home, 'node1', { timeoutMs: 60_000 });
  await waitFor('200 resources online', async () => {
    const s = await rpc(home, 'cluster.status', {}, 5000);
    return s.ok && s.result.groups.every((g) => g.states.node1 === 'ONLINE');
  }, 120_000, 200);
  consoleProc = spawn(process.execPath, [join(ROOT, 'bin/mccs.js'), 'console', '--home', home, '--bind', '127.0.0.1', '--port', String(PORT), '--no-tls'], { env: { ...process.env, MCCS_HOME: home }, stdio: 'ignore' });
  const base = `http://127.0.0.1:${PORT}`;
  await waitFor('console', async () => (await fetch(`${base}/main`).catch(() => ({ ok: false }))).ok, 20_000);

  browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    userDataDir: mkdtempSync(join(home, 'chromium-')),
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1400, height: 1000 },
  });
  const page = await browser.newPage();
  await page.goto(`${base}/main`);
  await page.waitForSelector('input[name=user]');
  await page.type('input[name=user]', USER.user);
  await page.type('input[name=password]', USER.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-role]');
  await page.close();

  // First load → interactive (the session cookie is in the browser; the bundle is cached after the first round, as for an operator coming back).
  const loads = [];
  for (let i = 0; i < ROUNDS + 1; i++) {
    const p = await browser.newPage();
    await p.goto(`${base}/main#/groups`, { waitUntil: 'domcontentloaded' });
    await p.waitForFunction((n) => document.querySelectorAll('tr.res-row').length === n && document.querySelectorAll('button[data-act]').length > 0, { timeout: 20_000 }, GROUPS * PER_GROUP);
    const ms = await p.evaluate(() => performance.now());
    if (i > 0) loads.push(ms);
    else console.log(`first load, cold cache: ${ms.toFixed(0)} ms`);
    await p.close();
  }

  // Event → screen.
  const page2 = await browser.newPage();
  await page2.goto(`${base}/main#/groups`);
  const cellSel = 'tr[data-resource="g00-r0"] td[data-node=node1] [data-state]';
  await page2.waitForSelector(cellSel);
  const latencies = [];
  for (let i = 0; i < ROUNDS; i++) {
    await waitFor('victim online', async () => (await page2.$eval(cellSel, (e) => e.getAttribute('data-state'))) === 'ONLINE' && agentPid(home, 'g00-r0'), 30_000);
    await page2.evaluate((sel) => {
      window.__faultedAt = undefined;
      const obs = new MutationObserver(() => {
        if (document.querySelector(sel.replace('[data-state]', '[data-state=FAULTED]')) && !window.__faultedAt) window.__faultedAt = Date.now();
      });
      obs.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    }, cellSel);
    const from = events(home).length;
    const { pid } = agentPid(home, 'g00-r0');
    process.kill(pid, 'SIGKILL');
    await page2.waitForFunction(() => window.__faultedAt, { timeout: 10_000 });
    const shownAt = await page2.evaluate(() => window.__faultedAt);
    const failed = events(home, from).find((e) => e.rule === 'RESOURCE_FAILED' && e.resource === 'g00-r0');
    latencies.push(shownAt - Date.parse(failed.time));
    await rpc(home, 'res.clear', { resource: 'g00-r0' }, 10_000);
    await rpc(home, 'grp.online', { group: 'g00', wait: true, timeout: 30 }, 40_000);
    await sleep(300);
  }
  const f = (s) => `median ${s.median.toFixed(0)} ms, min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)} (n=${s.n})`;
  const l = stats(loads);
  const e = stats(latencies);
  console.log(`console bench: ${GROUPS} groups × ${PER_GROUP} resources, one engine, console on 127.0.0.1 (plain HTTP), headless chromium`);
  console.log(`first load → interactive (cached bundle): ${f(l)}   target ≤ 500 ms: ${l.median <= 500 ? 'met' : 'NOT met'}`);
  console.log(`engine event → screen (resource FAULTED): ${f(e)}   target ≤ 1000 ms: ${e.max <= 1000 ? 'met' : 'NOT met'}`);
} finally {
  await done();
}
