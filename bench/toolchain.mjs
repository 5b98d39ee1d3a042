// Figures of issue 14 (operator tool chain), each printed as it is measured:
//
//   scrape    GET /metrics of an engine with 20 groups × 10 resources (target ≤ 20 ms)
//   notify    event → receiver latency of NotifyWebhook and NotifyProgram (target ≤ 100 ms)
//   hang      failovers of a two-node pair (127.0.0.1 / 127.0.0.2) with no NotifyProgram and
//             with one that hangs, alternated in the same run: the hanging one must not be slower
//
//   node bench/toolchain.mjs [scrape|notify|hang ...]     (default: all three; build first)
//
// Only 127.0.0.0/8; every process is ended by its PID (lib.mjs cleanup).
import { chmodSync, copyFileSync, existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { cleanup, DIST, pidsOfHome, events, makeHome, onSignalsCleanup, rpc, sleep, startEngine, stats, waitFor, writeConfig } from './lib.mjs';

const which = process.argv.slice(2);
const want = (x) => which.length === 0 || which.includes(x);
const homes = [];
onSignalsCleanup(async () => {
  for (const [home, engine] of homes) await cleanup(home, engine);
});
const ms = (x) => `${x.toFixed(2)} ms`;
const line = (label, s) => console.log(`${label.padEnd(46)} n=${s.n} median ${ms(s.median)}  p90 ${ms(s.p90)}  max ${ms(s.max)}`);

function flagApp(home, name) {
  const flag = join(home, 'run', `${name}.up`);
  return { ResName: name, Type: 'Application', StartProgram: ['/bin/touch', flag], StopProgram: ['/bin/rm', '-f', flag], MonitorProgram: ['/usr/bin/test', '-f', flag], MonitorInterval: 10 };
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function scrape() {
  const home = makeHome('mccs-bench-scrape-');
  const port = await freePort();
  const groups = Array.from({ length: 20 }, (_, g) => ({
    GroupName: `g${g}`,
    GroupType: 'FAILOVER',
    NodeList: ['n1'],
    AutoStart: true,
    Resources: Array.from({ length: 10 }, (_, r) => flagApp(home, `g${g}-r${r}`)),
    Dependencies: Array.from({ length: 9 }, (_, r) => ({ Parent: `g${g}-r${r + 1}`, Child: `g${g}-r${r}` })),
  }));
  writeConfig(home, { ConfigVersion: 1, Cluster: { ClusterName: 'bench', GroupLimit: 64, MetricsPort: port }, Nodes: [{ NodeName: 'n1', StandAlone: true }], Groups: groups });
  const engine = await startEngine(home, 'n1');
  homes.push([home, engine]);
  try {
    await waitFor('200 resources online', async () => {
      const s = await rpc(home, 'res.state', {});
      return s.ok && s.result.filter((x) => x.state === 'ONLINE').length === 200;
    }, 60_000, 200);
    const url = `http://127.0.0.1:${port}/metrics`;
    let body = '';
    for (let i = 0; i < 20; i++) body = await (await fetch(url)).text(); // warm-up
    const times = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      body = await (await fetch(url)).text();
      times.push(performance.now() - t0);
      await sleep(5);
    }
    const series = body.split('\n').filter((l) => l && !l.startsWith('#')).length;
    console.log(`\n[scrape] 20 groups × 10 resources, StandAlone engine, ${series} series, ${(body.length / 1024).toFixed(0)} KiB per scrape`);
    line('GET /metrics (client-side, keep-alive)', stats(times));
  } finally {
    await cleanup(home, engine);
    homes.pop();
  }
}

async function notify() {
  const home = makeHome('mccs-bench-notify-');
  const got = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ at: Date.now(), doc: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const program = join(home, 'notify.sh');
  // The program stamps the arrival (ms) before reading the document.
  writeFileSync(program, `#!/bin/sh\nt=$(date +%s%3N)\nprintf '%s ' "$t" >> "${join(home, 'program.log')}"\ncat >> "${join(home, 'program.log')}"\necho >> "${join(home, 'program.log')}"\n`, { mode: 0o755 });
  writeConfig(home, { ConfigVersion: 1, Cluster: { ClusterName: 'bench', NotifyWebhook: `http://127.0.0.1:${server.address().port}/`, NotifyProgram: program, NotifyEvents: 'config' }, Nodes: [{ NodeName: 'n1', StandAlone: true }], Groups: [] });
  const engine = await startEngine(home, 'n1');
  homes.push([home, engine]);
  try {
    const n = 30;
    for (let i = 0; i < n; i++) {
      const r = await rpc(home, 'cluster.modify', { attributes: { LogBackupCount: String(3 + (i % 2)) } });
      if (!r.ok) throw new Error(JSON.stringify(r));
      await sleep(100);
    }
    await waitFor('every webhook delivery', () => got.length >= n, 20_000);
    await waitFor('every program run', () => existsSync(join(home, 'program.log')) && (readLines(join(home, 'program.log')).length >= n), 20_000);
    const hook = got.map((g) => g.at - Date.parse(g.doc.time));
    const prog = readLines(join(home, 'program.log')).map((l) => {
      const sp = l.indexOf(' ');
      return Number(l.slice(0, sp)) - Date.parse(JSON.parse(l.slice(sp + 1)).time);
    });
    console.log(`\n[notify] ${n} config events (event log time → arrival, same host clock, ms resolution)`);
    line('NotifyWebhook: event → receiver', stats(hook));
    line('NotifyProgram: event → program started', stats(prog));
  } finally {
    server.close();
    await cleanup(home, engine);
    homes.pop();
  }
}

function readLines(file) {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

async function hang() {
  const { generateSecret } = await import(join(DIST, 'cluster/crypto.js'));
  const h1 = makeHome('mccs-bench-hang1-');
  const h2 = makeHome('mccs-bench-hang2-');
  const hangProgram = join(h1, 'hang.sh');
  writeFileSync(hangProgram, '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
  const hbPort = 30000 + (process.pid % 1000) * 4;
  const app = (home) => {
    const flag = '"$MCCS_HOME/run/web.up"';
    return { ResName: 'web-app', Type: 'Application', StartProgram: ['/bin/sh', '-c', `touch ${flag}`], StopProgram: ['/bin/sh', '-c', `rm -f ${flag}`], MonitorProgram: ['/bin/sh', '-c', `test -f ${flag}`], Critical: true, RestartLimit: 0, MonitorInterval: 0.2 };
  };
  const config = {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'benchhang', HBPort: hbPort, HBInterval: 400, HBTimeout: 400, PingInterval: 100, NotifyTimeout: 600 },
    Nodes: [
      { NodeName: 'node1', PrimaryHB: '127.0.0.1', IsolationTestAddresses: '127.0.0.1' },
      { NodeName: 'node2', PrimaryHB: '127.0.0.2', IsolationTestAddresses: '127.0.0.2' },
    ],
    Groups: [{ GroupName: 'web', GroupType: 'FAILOVER', NodeList: ['node1', 'node2'], AutoStart: true, Resources: [app()], Dependencies: [] }],
  };
  generateSecret(join(h1, 'config/cluster.key'));
  copyFileSync(join(h1, 'config/cluster.key'), join(h2, 'config/cluster.key'));
  chmodSync(join(h2, 'config/cluster.key'), 0o600);
  writeConfig(h1, config);
  writeConfig(h2, config);
  const [e1, e2] = await Promise.all([startEngineAny(h1, 'node1'), startEngineAny(h2, 'node2')]);
  homes.push([h1, e1], [h2, e2]);
  const home = { node1: h1, node2: h2 };
  const where = async () => {
    const s = await rpc(h2, 'grp.state', { group: 'web' });
    return s.ok ? Object.fromEntries(s.result.map((x) => [x.node, x.state])) : {};
  };
  try {
    await waitFor('web ONLINE on node1', async () => (await where()).node1 === 'ONLINE', 30_000);
    const results = { none: [], hang: [] };
    let at = 'node1';
    for (let round = 0; round < 6; round++) {
      // Failovers alternate direction; the mode order alternates per round so that each mode
      // gets as many node1 → node2 as node2 → node1 moves.
      for (const mode of round % 2 === 0 ? ['none', 'hang'] : ['hang', 'none']) {
        const r = await rpc(h1, 'cluster.modify', { attributes: { NotifyProgram: mode === 'hang' ? hangProgram : '' } });
        if (!r.ok) throw new Error(JSON.stringify(r));
        const other = at === 'node1' ? 'node2' : 'node1';
        // Break the app where it runs: its monitor sees it gone, the failure is final, it fails over.
        const mark = events(home[at]).length;
        const t0 = Date.now();
        const flag = join(home[at], 'run', 'web.up');
        if (existsSync(flag)) unlinkSync(flag);
        await waitFor(`web ONLINE on ${other}`, async () => (await where())[other] === 'ONLINE', 30_000, 10);
        const wall = Date.now() - t0;
        const ev = events(home[at], mark);
        const failed = ev.find((e) => e.rule === 'RESOURCE_FAILED');
        const otherEv = events(home[other]).filter((e) => e.rule === 'ONLINE_DONE' && Date.parse(e.time) >= t0);
        const engine = failed && otherEv.length ? Date.parse(otherEv[0].time) - Date.parse(failed.time) : NaN;
        results[mode].push({ wall, engine });
        // Clear the fault where it happened, so the group can come back there next time.
        await rpc(home[at], 'res.clear', { resource: 'web-app', wait: true });
        at = other;
      }
    }
    console.log(`\n[hang] ${results.none.length} failovers each, alternated in one run (monitor every 200 ms; a hanging NotifyProgram: sleep 600, NotifyTimeout 600 s)`);
    line('no NotifyProgram: failure → online on the peer', stats(results.none.map((x) => x.engine)));
    line('hanging NotifyProgram: failure → online on peer', stats(results.hang.map((x) => x.engine)));
    line('no NotifyProgram: file removed → peer ONLINE', stats(results.none.map((x) => x.wall)));
    line('hanging NotifyProgram: file removed → peer ONLINE', stats(results.hang.map((x) => x.wall)));
    const hanging = [h1, h2].flatMap((h) => pidsOfHome(h)).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep'));
    console.log(`hanging notify programs still running at the end (their notifications queued behind them): ${hanging.length}`);
  } finally {
    for (const [h, e] of homes.splice(0)) await cleanup(h, e);
  }
}

/** startEngine waits for a RUNNING node; a pair member is RUNNING only with its peer, so wait for the API alone here. */
async function startEngineAny(home, node) {
  return startEngine(home, node, { timeoutMs: 30_000 });
}

if (want('scrape')) await scrape();
if (want('notify')) await notify();
if (want('hang')) await hang();
process.exit(0);
