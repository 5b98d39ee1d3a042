// The web console (issue 10) in a real browser: Debian's chromium, headless,
// driven by puppeteer-core, against two real engines on 127.0.0.121/122, each
// with its own `mccs console` process over HTTPS. The operator's story: log
// in, watch a killed process turn FAULTED, switch a group, draw and delete a
// dependency, see the engine refuse an edit, a Monitor who cannot act, a
// cross-site request refused, and node2's console operating node1.
// Screenshots of each main view go to docs/screenshots/.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { ADMIN, CHROMIUM, ConsoleLab, fetchText, flagResource, flagScript, WATCHER } from '../helpers/console-lab.js';
import { pidsWithArg, ROOT, waitFor } from '../helpers/engine-harness.js';

const SHOTS = join(ROOT, 'docs/screenshots');
const HAS_BROWSER = existsSync(CHROMIUM);
if (!HAS_BROWSER) console.log(`console.test: skipped: no ${CHROMIUM} (apt-get install chromium; it is in scripts/debian-packages.txt)`);

describe.skipIf(!HAS_BROWSER)('the web console in a real browser, two engines', () => {
  let lab: ConsoleLab;
  let page: Page;
  let workerMarker = '';

  const mainJson = (node: string) => JSON.parse(readFileSync(join(lab.node(node).engine.home, 'config/main.json'), 'utf8')) as MainConfig;
  const linksOf = (node: string) => (mainJson(node).Groups.find((g) => g.GroupName === 'web')?.Dependencies ?? []).map((d) => `${d.Parent}->${d.Child}`);
  const shot = async (p: Page, name: string) => {
    mkdirSync(SHOTS, { recursive: true });
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const cell = (row: string, node: string, state: string) => `${row} td[data-node=${node}] [data-state=${state}]`;
  /** Screen position of a graph element of the dependency editor (cytoscape renders on a canvas). */
  const graphPoint = (p: Page, id: string, edge = false) =>
    p.evaluate(
      (id, edge) => {
        const cy = (window as unknown as { __mccsGraph: { $id(i: string): { renderedPosition(): { x: number; y: number }; renderedMidpoint(): { x: number; y: number } }; container(): HTMLElement } }).__mccsGraph;
        const box = cy.container().getBoundingClientRect();
        const el = cy.$id(id) as unknown as { renderedPosition(): { x: number; y: number }; renderedSourceEndpoint(): { x: number; y: number }; renderedTargetEndpoint(): { x: number; y: number } };
        // An edge: a third of the way from the parent, away from its label.
        const pos = edge ? ((s, t) => ({ x: s.x + (t.x - s.x) / 3, y: s.y + (t.y - s.y) / 3 }))(el.renderedSourceEndpoint(), el.renderedTargetEndpoint()) : el.renderedPosition();
        return { x: box.left + pos.x, y: box.top + pos.y };
      },
      id,
      edge,
    );

  beforeAll(async () => {
    lab = await ConsoleLab.create({
      hbPort: 28321,
      consolePort: 28080,
      base: 120,
      config: (l) => {
        const flag = flagScript(l.work);
        workerMarker = join(l.work, 'worker');
        return {
          ConfigVersion: 1,
          Cluster: { ClusterName: 'shop', HBPort: 28321 },
          Nodes: [
            { NodeName: 'node1', PrimaryHB: '127.0.0.121', IsolationTestAddresses: '127.0.0.121' },
            { NodeName: 'node2', PrimaryHB: '127.0.0.122', IsolationTestAddresses: '127.0.0.122' },
          ],
          Groups: [
            {
              GroupName: 'web',
              GroupType: 'FAILOVER',
              NodeList: ['node1', 'node2'],
              AutoStart: true,
              Resources: [flagResource(flag, 'web-data', { Critical: true }), flagResource(flag, 'web-app', { Critical: true }), flagResource(flag, 'web-cfg')],
              Dependencies: [{ Parent: 'web-app', Child: 'web-data' }],
            },
            {
              GroupName: 'jobs',
              GroupType: 'FAILOVER',
              NodeList: ['node1'],
              AutoStart: true,
              Resources: [{ ResName: 'worker', Type: 'Process', Path: process.execPath, Arguments: [join(ROOT, 'test/fixtures/service.mjs'), workerMarker], RestartLimit: 0, MonitorInterval: 1 }],
            },
          ],
        } as MainConfig;
      },
    });
    await lab.waitRunning();
    await waitFor('web and jobs online on node1', async () => {
      const s = await lab.node('node1').engine.rpc<{ groups: { GroupName: string; states: Record<string, string> }[] }>('cluster.status');
      return s.ok && s.result.groups.every((g) => g.states.node1 === 'ONLINE');
    }, 30_000);
    await lab.launchBrowser();
    page = await lab.browser!.newPage();
  }, 120_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) {
      const file = join(lab.work, '..', `mccs-console-failure-${Date.now()}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      console.log(`console.test: the page at the failure: ${file}\n${await page.evaluate(() => document.body.innerText).catch(() => '')}`);
    }
  });

  afterAll(async () => {
    await lab?.destroy();
  }, 60_000);

  it('logs in on node1 and shows both nodes RUNNING, the links, ConfigVersion and agreement', async () => {
    await page.goto(`${lab.node('node1').url}/main`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('input[name=user]');
    await shot(page, 'login');
    // A wrong password is refused with a message, nothing else.
    await page.type('input[name=user]', ADMIN.user);
    await page.type('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await page.waitForSelector('#login-error');
    expect(await page.$eval('#login-error', (e) => e.textContent)).toMatch(/wrong user or password/);
    await lab.login(page, lab.node('node1'), ADMIN);
    await page.waitForSelector('tr[data-node=node2] [data-state=RUNNING]');
    expect(await page.$$eval('table.nodes [data-state=RUNNING]', (l) => l.length)).toBe(2);
    await page.waitForSelector('[data-config-agreement=agree]');
    expect(await page.$eval('[data-config-version]', (e) => e.textContent)).toBe('1');
    expect(await page.$eval('tr[data-node=node1]', (e) => e.textContent)).toMatch(/UP/);
    // No secret reaches the page.
    const html = await page.content();
    expect(html).not.toMatch(/scrypt\$|admin-pass-1/);
    await shot(page, 'overview');
  });

  it('a killed Process resource shows FAULTED in the page within 2 s, without reload', async () => {
    await page.goto(`${lab.node('node1').url}/main#/groups`);
    await page.waitForSelector(cell('tr[data-resource=worker]', 'node1', 'ONLINE'));
    const [pid] = pidsWithArg(workerMarker);
    expect(pid).toBeGreaterThan(0);
    const killed = Date.now();
    process.kill(pid!, 'SIGKILL');
    await page.waitForSelector(cell('tr[data-resource=worker]', 'node1', 'FAULTED'), { timeout: 2000 });
    const ms = Date.now() - killed;
    console.log(`console.test: worker FAULTED on the page ${ms} ms after SIGKILL`);
    expect(ms).toBeLessThanOrEqual(2000);
    await shot(page, 'groups');
    // Why: the chain names the failure and its rule code.
    await page.goto(`${lab.node('node1').url}/main#/why/resource/worker`);
    await page.waitForSelector('ol.why li[data-rule]');
    expect(await page.$$eval('ol.why li', (l) => l.map((x) => x.getAttribute('data-rule')))).toContain('RESOURCE_FAILED');
    await shot(page, 'why');
  });

  it('switches a group with confirmation, dry-run plan, progress and outcome; the page watches it move', async () => {
    await page.goto(`${lab.node('node1').url}/main#/groups`);
    await page.waitForSelector('tbody[data-group=web] button[data-act=group]');
    await page.click('tbody[data-group=web] button[data-act=group]');
    await page.waitForSelector('dialog[open] select[name=action]');
    await page.select('dialog[open] select[name=action]', 'switch');
    await page.select('dialog[open] select[name=node]', 'node2');
    // The plan of the dry run: offline on node1, online on node2.
    await page.waitForFunction(() => [...document.querySelectorAll('dialog[open] .steps li')].some((l) => /online web-app on node2/.test(l.textContent ?? '')));
    const steps = await page.$$eval('dialog[open] .steps li', (l) => l.map((x) => x.textContent ?? ''));
    expect(steps.some((s) => /offline web-app on node1/.test(s))).toBe(true);
    await shot(page, 'action-plan');
    await page.click('dialog[open] button[type=submit]');
    await page.waitForSelector('dialog[open] [data-outcome]', { timeout: 60_000 });
    expect(await page.$eval('dialog[open] [data-outcome]', (e) => e.getAttribute('data-outcome'))).toBe('ok');
    // Each step turns done from the live states (the answer may arrive a moment before the last state).
    await page.waitForFunction(() => [...document.querySelectorAll('dialog[open] .steps li')].every((x) => x.getAttribute('data-step-state') === 'done'), { timeout: 5000 });
    // The events are asked for after the outcome is shown: they may follow it by a moment.
    await page.waitForFunction(() => [...document.querySelectorAll('dialog[open] .events-mini .code')].some((x) => x.textContent === 'GROUP_STATE'), { timeout: 10_000 });
    await shot(page, 'action-outcome');
    await page.click('dialog[open] .buttons button');
    await page.waitForSelector(cell('tbody[data-group=web] tr.group-row', 'node2', 'ONLINE'));
    await page.waitForSelector(cell('tbody[data-group=web] tr.group-row', 'node1', 'OFFLINE'));
  }, 90_000);

  it('creates a dependency by clicking parent then child, and deletes it by right-click; main.json on both nodes follows', async () => {
    await page.goto(`${lab.node('node1').url}/main#/group/web`);
    await page.waitForFunction(() => Boolean((window as unknown as { __mccsGraph?: unknown }).__mccsGraph) && document.querySelector('.graph[data-shape]'));
    await page.click('input[name=mode][value=link]');
    const parent = await graphPoint(page, 'web-app');
    const child = await graphPoint(page, 'web-cfg');
    // Parents are drawn above their children.
    expect(parent.y).toBeLessThan((await graphPoint(page, 'web-data')).y);
    await page.mouse.click(parent.x, parent.y);
    await page.mouse.click(child.x, child.y);
    await waitFor('web-app->web-cfg in main.json on both nodes', () => ['node1', 'node2'].every((n) => linksOf(n).includes('web-app->web-cfg')), 15_000);
    await page.waitForSelector('tr[data-link="web-app->web-cfg"]');
    await shot(page, 'dependency-editor');

    // Select the link: its properties; then right-click → Delete dependency.
    await page.click('input[name=mode][value=select]');
    await page.waitForFunction(() => (window as unknown as { __mccsGraph: { $id(i: string): { length: number } } }).__mccsGraph.$id('web-app->web-cfg').length === 1);
    // The graph may still be settling after the new link arrived: a few bounded tries.
    let mid = { x: 0, y: 0 };
    for (let i = 0; i < 5 && !(await page.$('form.link-panel select[name=OnlineDependency]')); i++) {
      mid = await graphPoint(page, 'web-app->web-cfg', true);
      await page.mouse.click(mid.x, mid.y);
      await page.waitForSelector('form.link-panel select[name=OnlineDependency]', { timeout: 2000 }).catch(() => undefined);
    }
    await page.waitForSelector('form.link-panel select[name=OnlineDependency]', { timeout: 1000 });
    await page.mouse.click(mid.x, mid.y, { button: 'right' });
    await page.waitForSelector('.context-menu button');
    await page.click('.context-menu button');
    await waitFor('web-app->web-cfg gone from main.json on both nodes', () => ['node1', 'node2'].every((n) => !linksOf(n).includes('web-app->web-cfg')), 15_000);
    expect(linksOf('node1')).toEqual(['web-app->web-data']);
  }, 60_000);

  it('adds a resource through the form built from its declarations, then deletes it from the graph; main.json on both nodes follows', async () => {
    const resourcesOf = (node: string) => (mainJson(node).Groups.find((g) => g.GroupName === 'web')?.Resources ?? []).map((r) => r.ResName);
    await page.goto(`${lab.node('node1').url}/main#/group/web`);
    await page.waitForFunction(() => Boolean((window as unknown as { __mccsGraph?: unknown }).__mccsGraph) && document.querySelector('.graph[data-shape]'));
    await page.click('details.res-form summary');
    await page.type('#new-ResName', 'web-extra');
    await page.select('#new-Type', 'Process');
    await page.type('#new-Path', '/bin/sleep');
    await page.click('details.res-form button[type=submit]');
    await waitFor('web-extra in main.json on both nodes', () => ['node1', 'node2'].every((n) => resourcesOf(n).includes('web-extra')), 15_000);
    expect(mainJson('node2').Groups.find((g) => g.GroupName === 'web')?.Resources.find((r) => r.ResName === 'web-extra')).toMatchObject({ Type: 'Process', Path: '/bin/sleep' });

    // Select it in the graph, then Delete resource… → Delete.
    await page.click('input[name=mode][value=select]');
    await page.waitForFunction(() => (window as unknown as { __mccsGraph: { $id(i: string): { length: number } } }).__mccsGraph.$id('web-extra').length === 1);
    const panelShows = () => page.$$eval('.res-panel h3', (l) => l.some((h) => (h.textContent ?? '').includes('web-extra'))).catch(() => false);
    for (let i = 0; i < 5 && !(await panelShows()); i++) {
      const at = await graphPoint(page, 'web-extra');
      await page.mouse.click(at.x, at.y);
      await page.waitForFunction(() => [...document.querySelectorAll('.res-panel h3')].some((h) => (h.textContent ?? '').includes('web-extra')), { timeout: 2000 }).catch(() => undefined);
    }
    expect(await panelShows()).toBe(true);
    const clickButton = (text: string) => page.$$eval('.res-panel button', (buttons, t) => {
      const b = buttons.find((x) => (x.textContent ?? '').trim() === t) as HTMLButtonElement | undefined;
      b?.click();
      return Boolean(b);
    }, text);
    expect(await clickButton('Delete resource…')).toBe(true);
    await page.waitForSelector('.res-panel button.danger');
    expect(await clickButton('Delete')).toBe(true);
    await waitFor('web-extra gone from main.json on both nodes', () => ['node1', 'node2'].every((n) => !resourcesOf(n).includes('web-extra')), 15_000);
  }, 60_000);

  it('a link the engine refuses (a cycle) shows the engine message; a stale edit is refused (ConfigVersion)', async () => {
    await page.goto(`${lab.node('node1').url}/main#/group/web`);
    await page.waitForFunction(() => document.querySelector('.graph[data-shape]'));
    await page.click('input[name=mode][value=link]');
    const a = await graphPoint(page, 'web-data');
    const b = await graphPoint(page, 'web-app');
    await page.mouse.click(a.x, a.y);
    await page.mouse.click(b.x, b.y);
    await page.waitForSelector('[data-engine-error]');
    expect(await page.$eval('[data-engine-error]', (e) => e.textContent)).toMatch(/cycle/i);
    expect(linksOf('node1')).toEqual(['web-app->web-data']);

    // Node attributes: the page shows version N; someone else changes the configuration; the save is refused.
    await page.goto(`${lab.node('node1').url}/main#/node/node1`);
    await page.waitForSelector('#node-License');
    expect(await page.$eval('#node-NodeName', (e) => (e as HTMLInputElement).readOnly)).toBe(true);
    // A value the declarations refuse is shown beside its field before anything is sent.
    await page.select('#node-BootMode', 'MANUAL');
    await page.click('#node-License');
    await page.type('#node-License', 'rack1');
    const v = mainJson('node1').ConfigVersion;
    const other = await lab.node('node2').engine.rpc('node.modify', { node: 'node2', attributes: { License: 'someone-else' } });
    expect(other.ok).toBe(true);
    await waitFor('node1 at the new version', () => mainJson('node1').ConfigVersion === v + 1, 10_000);
    await page.click('#panel-attrs button[type=submit]');
    await page.waitForSelector('[data-form-error]');
    expect(await page.$eval('[data-form-error]', (e) => e.textContent)).toMatch(/CONFLICT/);
    expect(mainJson('node1').Nodes[0]!.License).toBeUndefined();
    await shot(page, 'node-attributes');
    // Reload the values, and the same edit goes through.
    await page.waitForFunction(() => [...document.querySelectorAll('#panel-attrs button')].some((b) => b.textContent === 'Reload values'));
    await page.evaluate(() => ([...document.querySelectorAll('#panel-attrs button')].find((b) => b.textContent === 'Reload values') as HTMLButtonElement).click());
    await page.click('#node-License', { count: 3 });
    await page.type('#node-License', 'rack1');
    await page.click('#panel-attrs button[type=submit]');
    await waitFor('License saved on both nodes', () => ['node1', 'node2'].every((n) => mainJson(n).Nodes[0]!.License === 'rack1'), 10_000);
    // Node rename: the engine's dry run refuses it while a group runs there, and the page says why.
    await page.goto(`${lab.node('node1').url}/main#/node/node2`);
    await page.waitForSelector('form.rename input[name=newName]');
    await page.type('form.rename input[name=newName]', 'node9');
    await page.click('form.rename button[type=submit]');
    await page.waitForSelector('[data-rename-error]');
    expect(await page.$eval('[data-rename-error]', (e) => e.textContent)).toMatch(/runs group web/);
    expect(mainJson('node2').Nodes.map((n) => n.NodeName)).toEqual(['node1', 'node2']);
  }, 60_000);

  it('the events view filters by group and shows rule codes', async () => {
    await page.goto(`${lab.node('node1').url}/main#/events`);
    await page.waitForSelector('form.filters');
    await page.select('form.filters label:nth-of-type(2) select', 'web');
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('table.events tbody tr td:nth-child(3)')];
      return rows.length > 0 && rows.every((x) => /web/.test(x.textContent ?? ''));
    });
    const subjects = await page.$$eval('table.events tbody tr td:nth-child(3)', (l) => l.map((x) => x.textContent ?? ''));
    expect(subjects.every((s) => /web/.test(s))).toBe(true);
    expect(await page.$$eval('table.events tbody tr', (l) => l.map((x) => x.getAttribute('data-rule')))).toContain('GROUP_STATE');
    await shot(page, 'events');
  });

  it('a Monitor sees everything and can act neither in the page nor through the console API nor the engine', async () => {
    const ctx = await lab.browser!.createBrowserContext();
    const p = await ctx.newPage();
    await lab.login(p, lab.node('node1'), WATCHER);
    await p.goto(`${lab.node('node1').url}/main#/groups`);
    await p.waitForSelector('[data-readonly]');
    await p.waitForSelector('tbody[data-group=web]');
    expect(await p.$$('button[data-act]')).toHaveLength(0);
    const answer = await p.evaluate(async () => {
      const s = (await (await fetch('/api/session')).json()) as { result: { csrf: string } };
      const r = await fetch('/api/call', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.result.csrf }, body: JSON.stringify({ method: 'grp.offline', params: { group: 'web', node: 'node2' } }) });
      return { status: r.status, body: (await r.json()) as { ok: boolean; error?: { code: string; message: string } } };
    });
    expect(answer.status).toBe(403);
    expect(answer.body.error?.message).toMatch(/Monitor/);
    const direct = await lab.node('node1').engine.rpc('grp.offline', { group: 'web', node: 'node2' }, WATCHER);
    expect(direct.ok).toBe(false);
    await p.goto(`${lab.node('node1').url}/main#/group/web`);
    await p.waitForSelector('.graph[data-shape]');
    expect(await p.$$('input[name=mode]')).toHaveLength(0);
    await shot(p, 'monitor-groups');
    await ctx.close();
    const s = await lab.node('node2').engine.rpc<{ groups: { GroupName: string; states: Record<string, string> }[] }>('cluster.status');
    expect(s.ok && s.result.groups.find((g) => g.GroupName === 'web')?.states.node2).toBe('ONLINE');
  }, 60_000);

  it('a cross-site request is refused (Origin, CSRF token, SameSite cookie)', async () => {
    const url = lab.node('node1').url;
    const cookie = (await page.cookies(url)).find((c) => c.name === 'mccs_console');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    expect(cookie?.secure).toBe(true);
    const csrf = await page.evaluate(async () => ((await (await fetch('/api/session')).json()) as { result: { csrf: string } }).result.csrf);
    const body = JSON.stringify({ method: 'grp.freeze', params: { group: 'web' } });
    const headers = { cookie: `mccs_console=${cookie!.value}`, 'content-type': 'application/json' };
    const evil = await fetchText(`${url}/api/call`, { method: 'POST', body, headers: { ...headers, origin: 'https://evil.example', 'x-csrf-token': csrf } });
    expect(evil.status).toBe(403);
    expect(evil.text).toMatch(/cross-site/);
    const noToken = await fetchText(`${url}/api/call`, { method: 'POST', body, headers: { ...headers, origin: url } });
    expect(noToken.status).toBe(403);
    expect(noToken.text).toMatch(/CSRF/);
    // A page of another origin (node2's console) posting to node1's console: the browser sends no cookie.
    const other = await lab.browser!.newPage();
    await other.goto(`${lab.node('node2').url}/main`);
    const fromOther = await other.evaluate(async (target) => {
      try {
        const r = await fetch(`${target}/api/call`, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ method: 'grp.freeze', params: { group: 'web' } }) });
        return r.type;
      } catch (e) {
        return String(e);
      }
    }, url);
    expect(fromOther).toBeTruthy();
    await other.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(mainJson('node1').Groups.find((g) => g.GroupName === 'web')?.Frozen).toBeUndefined();
    // The control: the same request from the page itself works (a read).
    const ok = await fetchText(`${url}/api/call`, { method: 'POST', body: JSON.stringify({ method: 'grp.list', params: {} }), headers: { ...headers, origin: url, 'x-csrf-token': csrf } });
    expect(ok.status).toBe(200);
  });

  it("node2's console operates node1: clears the worker's fault there, brings jobs back online, and switches web back", async () => {
    const p = await lab.browser!.newPage();
    await lab.login(p, lab.node('node2'), ADMIN);
    await p.goto(`${lab.node('node2').url}/main#/groups`);
    await p.waitForSelector(cell('tr[data-resource=worker]', 'node1', 'FAULTED'));
    const act = async (row: string, action: string, node: string) => {
      await p.click(`${row} button[data-act]`);
      await p.waitForSelector('dialog[open] select[name=action]');
      await p.select('dialog[open] select[name=action]', action);
      await p.select('dialog[open] select[name=node]', node);
      await p.waitForFunction(() => {
        const b = document.querySelector('dialog[open] button[type=submit]') as HTMLButtonElement | null;
        return b && !b.disabled && !document.querySelector('dialog[open] .preview')?.textContent?.includes('Asking');
      });
      await p.click('dialog[open] button[type=submit]');
      await p.waitForSelector('dialog[open] [data-outcome]', { timeout: 60_000 });
      const outcome = await p.$eval('dialog[open] [data-outcome]', (e) => `${e.getAttribute('data-outcome')}: ${e.textContent}`);
      await p.click('dialog[open] .buttons button');
      return outcome;
    };
    expect(await act('tr[data-resource=worker]', 'clear', 'node1')).toMatch(/^ok/);
    expect(await act('tbody[data-group=jobs] tr.group-row', 'online', 'node1')).toMatch(/^ok/);
    await p.waitForSelector(cell('tr[data-resource=worker]', 'node1', 'ONLINE'), { timeout: 20_000 });
    expect(pidsWithArg(workerMarker)).toHaveLength(1);
    expect(await act('tbody[data-group=web] tr.group-row', 'switch', 'node1')).toMatch(/^ok/);
    await p.waitForSelector(cell('tbody[data-group=web] tr.group-row', 'node1', 'ONLINE'), { timeout: 20_000 });
    await p.close();
  }, 120_000);

  it('the console is a process of its own: killing it leaves the engine untouched, and it comes back', async () => {
    const n = lab.node('node1');
    n.console!.kill('SIGKILL');
    const s = await n.engine.rpc<{ nodes: { state: string }[] }>('cluster.status');
    expect(s.ok).toBe(true);
    await lab.startConsole(n);
    const r = await fetchText(`${n.url}/api/status`);
    expect(r.status).toBe(401);
  }, 30_000);
});
