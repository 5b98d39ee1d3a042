// The web console on a three-node cluster (issue 16) in a real browser
// (Debian's chromium, headless, puppeteer-core): three engines on
// 127.0.0.131-133 with an etcd witness (etcd 3.4 on 127.0.0.1), each with its
// own `mccs console`. The operator opens node3's console (the third node, not
// "this node and its peer") and sees every node RUNNING with its links, its
// Load in use, Capacity and Available; every group with its Load and its
// state on every node; a group that AutoStart could place nowhere (no room
// for its Load) and, under Why?, the NO_CAPACITY record with each node's
// figures; the console's own switch dialog refusing it on node3 with the
// engine's NO_CAPACITY reason; then web switched to node3 through the console
// and the figures following live on every console. No screenshot is written.
import { existsSync } from 'node:fs';
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { ADMIN, CHROMIUM, ConsoleLab, flagResource, flagScript } from '../helpers/console-lab.js';
import { waitFor } from '../helpers/engine-harness.js';
import { startLocalEtcd, type LocalEtcd } from '../helpers/local-etcd.mjs';

const HAS_BROWSER = existsSync(CHROMIUM);
const HAS_ETCD = existsSync('/usr/bin/etcd');
if (!HAS_BROWSER) console.log(`console-three-nodes.test: skipped: no ${CHROMIUM} (apt-get install chromium; it is in scripts/debian-packages.txt)`);
if (!HAS_ETCD) console.log('console-three-nodes.test: skipped: no /usr/bin/etcd (apt-get install etcd-server etcd-client; scripts/debian-packages.txt)');

const HB_PORT = 29441;
const CONSOLE_PORT = 29480;
const NODES = ['node1', 'node2', 'node3'];

interface StatusView {
  nodes: { NodeName: string; state: string; attributes: Record<string, unknown> }[];
  groups: { GroupName: string; states: Record<string, string> }[];
}

describe.skipIf(!HAS_BROWSER || !HAS_ETCD)('the web console on three nodes, in a real browser', () => {
  let lab: ConsoleLab;
  let etcd: LocalEtcd;
  let page: Page;

  const status = async (n = 'node1') => {
    const s = await lab.node(n).engine.rpc<StatusView>('cluster.status');
    if (!s.ok) throw new Error(`cluster.status on ${n}: ${JSON.stringify(s)}`);
    return s.result;
  };
  const text = (sel: string) => page.$eval(sel, (e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim());
  const attr = (sel: string, name: string) => page.$eval(sel, (e, name) => e.getAttribute(name), name);
  /** The Overview's Load columns of one node: [in use, capacity, available] as data attributes. */
  const loadRow = async (node: string) => [await attr(`tr[data-node=${node}] [data-load-in-use]`, 'data-load-in-use'), await attr(`tr[data-node=${node}] [data-capacity]`, 'data-capacity'), await attr(`tr[data-node=${node}] [data-available]`, 'data-available')];

  beforeAll(async () => {
    etcd = await startLocalEtcd();
    lab = await ConsoleLab.create({
      hbPort: HB_PORT,
      consolePort: CONSOLE_PORT,
      base: 130,
      nodes: 3,
      config: (l) => {
        const flag = flagScript(l.work);
        // AutoStartNode: each node decides AutoStart when its own probe ends, perhaps before it hears the others RUNNING.
        const grp = (name: string, nodeList: string[], load: number) => ({
          GroupName: name,
          GroupType: 'FAILOVER',
          NodeList: nodeList,
          AutoStart: true,
          AutoStartNode: nodeList[0],
          Load: load,
          Resources: [flagResource(flag, `${name}-app`, { Critical: true })],
        });
        return {
          ConfigVersion: 1,
          Cluster: { ClusterName: 'grid', HBPort: HB_PORT, WitnessType: 'etcd', WitnessEndpoints: etcd.endpoint, WitnessPrefix: `/mccs-console3/${process.pid}` },
          Nodes: NODES.map((n, i) => ({ NodeName: n, PrimaryHB: `127.0.0.${131 + i}`, IsolationTestAddresses: `127.0.0.${131 + i}`, Capacity: [100, 60, 50][i] })),
          Groups: [
            grp('web', ['node1', 'node2', 'node3'], 40),
            grp('db', ['node2', 'node3', 'node1'], 30),
            // 80 fits neither node3 (Capacity 50) nor node2 (60, db 30 there): AutoStart leaves it offline (NO_CAPACITY).
            grp('big', ['node3', 'node2'], 80),
          ],
        } as MainConfig;
      },
    });
    await lab.waitRunning();
    await waitFor('web ONLINE on node1 and db ONLINE on node2, seen by every node', async () => {
      for (const n of NODES) {
        const s = await status(n);
        const st = (g: string) => s.groups.find((x) => x.GroupName === g)?.states ?? {};
        if (st('web').node1 !== 'ONLINE' || st('db').node2 !== 'ONLINE') return false;
      }
      return true;
    }, 60_000);
    await lab.launchBrowser();
    page = await lab.browser!.newPage();
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) console.log(`console-three-nodes.test: the page at the failure:\n${await page.evaluate(() => document.body.innerText).catch(() => '')}`);
  });

  afterAll(async () => {
    await lab?.destroy();
    await etcd?.stop();
  }, 60_000);

  it("node3's console shows all three nodes RUNNING, their links, ConfigVersion agreed by all three, and each node's Load in use, Capacity and Available", async () => {
    await lab.login(page, lab.node('node3'), ADMIN);
    for (const n of NODES) await page.waitForSelector(`table.nodes tr[data-node=${n}] [data-state=RUNNING]`);
    expect(await page.$$eval('table.nodes tbody tr', (l) => l.map((r) => r.getAttribute('data-node')))).toEqual(NODES);
    expect(await text('tr[data-node=node3] th')).toMatch(/node3 \(this node\)/);
    for (const n of ['node1', 'node2']) expect(await text(`tr[data-node=${n}]`)).toMatch(/UP/);
    await page.waitForSelector('[data-config-agreement=agree]');
    expect(await text('[data-config-agreement]')).toMatch(/every node agrees.*node3 \d+, node1 \d+, node2 \d+/);
    await page.waitForFunction(() => document.querySelector('tr[data-node=node1] [data-load-in-use]')?.getAttribute('data-load-in-use') === '40');
    expect(await loadRow('node1')).toEqual(['40', '100', '60']);
    expect(await loadRow('node2')).toEqual(['30', '60', '30']);
    expect(await loadRow('node3')).toEqual(['0', '50', '50']);
    // The header links every node's page; node3's page says what its load is made of.
    expect(await page.$$eval('header nav a', (l) => l.map((a) => a.textContent))).toEqual(expect.arrayContaining(['Node node1', 'Node node2', 'Node node3']));
    await page.goto(`${lab.node('node3').url}/main#/node/node1`);
    await page.waitForSelector('[data-node-load]');
    expect(await text('[data-node-load]')).toBe('Load: 40 of 100 in use, 60 available: web 40.');
    // The Node Attributes tab has the engine's read-only figures.
    expect(await page.$eval('#node-LoadInUse', (e) => (e as HTMLInputElement).value)).toBe('40');
    expect(await page.$eval('#node-AvailableCapacity', (e) => (e as HTMLInputElement).value)).toBe('60');
    expect(await page.$eval('#node-Capacity', (e) => (e as HTMLInputElement).value)).toBe('100');
  }, 90_000);

  it("the groups view has a column per node and each group's Load; big is offline on its two nodes and not in node1's column", async () => {
    await page.goto(`${lab.node('node3').url}/main#/groups`);
    await page.waitForSelector('tbody[data-group=web] tr.group-row td[data-node=node1] [data-state=ONLINE]');
    expect(await page.$$eval('table.tree thead th', (l) => l.map((x) => (x.textContent ?? '').trim()))).toEqual(expect.arrayContaining(['node1', 'node2', 'node3', 'Load']));
    expect(await attr('tbody[data-group=web] tr.group-row [data-load]', 'data-load')).toBe('40');
    expect(await attr('tbody[data-group=big] tr.group-row [data-load]', 'data-load')).toBe('80');
    for (const n of ['node2', 'node3']) expect(await page.$(`tbody[data-group=big] tr.group-row td[data-node=${n}] [data-state=OFFLINE]`)).not.toBeNull();
    expect(await text('tbody[data-group=big] tr.group-row td[data-node=node1]')).toBe('—');
    expect(await page.$('tbody[data-group=db] tr.group-row td[data-node=node2] [data-state=ONLINE]')).not.toBeNull();
  }, 60_000);

  it('Why? of big: the NO_CAPACITY record with every node of its NodeList and its figures, and what to do', async () => {
    await page.goto(`${lab.node('node3').url}/main#/why/group/big`);
    await page.waitForSelector('ol.why li[data-rule=NO_CAPACITY]');
    const item = await text('ol.why li[data-rule=NO_CAPACITY]');
    expect(item).toMatch(/big/);
    expect(await text('ol.why li[data-rule=NO_CAPACITY] .considered li[data-node=node3]')).toMatch(/no room: Load 80 \+ 0 in use > Capacity 50/);
    expect(await text('ol.why li[data-rule=NO_CAPACITY] .considered li[data-node=node2]')).toMatch(/no room: Load 80 \+ \d+ in use.* > Capacity 60|node [A-Z_]+/);
    expect(await text('[data-no-room]')).toMatch(/raise a node's Capacity/);
  }, 60_000);

  it("the switch dialog offers every node of a group's NodeList; bringing big online on node3 is refused with the engine's NO_CAPACITY reason", async () => {
    await page.goto(`${lab.node('node3').url}/main#/groups`);
    await page.waitForSelector('tbody[data-group=big] button[data-act=group]');
    await page.click('tbody[data-group=big] button[data-act=group]');
    await page.waitForSelector('dialog[open] select[name=node]');
    expect(await page.$$eval('dialog[open] select[name=node] option', (l) => l.map((o) => (o as HTMLOptionElement).value))).toEqual(['node3', 'node2']);
    await page.select('dialog[open] select[name=action]', 'online');
    await page.select('dialog[open] select[name=node]', 'node3');
    await page.waitForFunction(() => /NO_CAPACITY|no room/.test(document.querySelector('dialog[open] .preview')?.textContent ?? ''), { timeout: 20_000 });
    expect(await text('dialog[open] .preview')).toMatch(/node node3 has no room for group big: Load 80 \+ 0 in use > Capacity 50/);
    expect(await page.$eval('dialog[open] button[type=submit]', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    await page.click('dialog[open] .buttons button[type=button]');
  }, 60_000);

  it("switching web to node3 in the console moves the load: every console's Overview follows live", async () => {
    await page.goto(`${lab.node('node3').url}/main#/groups`);
    await page.waitForSelector('tbody[data-group=web] button[data-act=group]');
    await page.click('tbody[data-group=web] button[data-act=group]');
    await page.waitForSelector('dialog[open] select[name=action]');
    await page.select('dialog[open] select[name=action]', 'switch');
    expect(await page.$$eval('dialog[open] select[name=node] option', (l) => l.map((o) => (o as HTMLOptionElement).value))).toEqual(NODES);
    await page.select('dialog[open] select[name=node]', 'node3');
    await page.waitForFunction(() => [...document.querySelectorAll('dialog[open] .steps li')].some((l) => /online web-app on node3/.test(l.textContent ?? '')), { timeout: 20_000 });
    await page.click('dialog[open] button[type=submit]');
    await page.waitForSelector('dialog[open] [data-outcome]', { timeout: 60_000 });
    expect(await attr('dialog[open] [data-outcome]', 'data-outcome')).toBe('ok');
    await page.click('dialog[open] .buttons button');
    await page.waitForSelector('tbody[data-group=web] tr.group-row td[data-node=node3] [data-state=ONLINE]');
    // The Overview of node1's and node2's consoles too: node3 now carries web (40 of 50), node1 nothing.
    for (const viewer of ['node3', 'node1', 'node2']) {
      await page.goto(`${lab.node(viewer).url}/main#/overview`);
      if (!(await page.$('[data-role]'))) await lab.login(page, lab.node(viewer), ADMIN);
      await page.waitForFunction(() => document.querySelector('tr[data-node=node3] [data-load-in-use]')?.getAttribute('data-load-in-use') === '40', { timeout: 20_000 });
      expect(await loadRow('node3'), `as ${viewer} sees it`).toEqual(['40', '50', '10']);
      expect(await loadRow('node1'), `as ${viewer} sees it`).toEqual(['0', '100', '100']);
    }
    const s = await status('node2');
    expect(s.nodes.find((n) => n.NodeName === 'node3')?.attributes).toMatchObject({ LoadInUse: 40, AvailableCapacity: 10 });
  }, 120_000);
});
