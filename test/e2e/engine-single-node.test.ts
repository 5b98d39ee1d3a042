// One node, real processes: a group of three Process resources in a chain,
// brought online and offline in dependency order, restarted in place within
// RestartLimit, FAULTED after it, and adopted (not started twice) after the
// engine itself is SIGKILLed and restarted.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { createHarness, DAEMON, pidsWithArg, ROOT, waitFor, type Harness } from '../helpers/engine-harness.js';

const SERVICE = join(ROOT, 'test/fixtures/service.mjs');

function chainConfig(home: string): MainConfig {
  const proc = (name: string, extra: Record<string, unknown> = {}) => ({ ResName: name, Type: 'Process', Path: process.execPath, Arguments: [SERVICE, `${home}/${name}`], ...extra });
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'solo' },
    Nodes: [{ NodeName: 'n1' }],
    Types: { Process: { MonitorInterval: 0.5, OfflineMonitorInterval: 1 } },
    Groups: [
      {
        GroupName: 'web',
        GroupType: 'FAILOVER',
        NodeList: ['n1'],
        Resources: [proc('base'), proc('mid'), proc('app', { Critical: true, RestartLimit: 1 })],
        Dependencies: [
          { Parent: 'mid', Child: 'base' },
          { Parent: 'app', Child: 'mid' },
        ],
      },
    ],
  };
}

const doneOrder = (h: Harness, rule: string, after = 0) =>
  h
    .events()
    .slice(after)
    .filter((e) => e.rule === rule)
    .map((e) => e.resource);

const groupStateOn = async (h: Harness) => {
  const r = await h.rpc<{ state: string }[]>('grp.state', { group: 'web' });
  if (!r.ok) throw new Error(r.error.message);
  return r.result[0]!.state;
};

describe('single-node engine with real processes', () => {
  let h: Harness;
  const pid = (name: string) => pidsWithArg(`${h.home}/${name}`);

  beforeAll(async () => {
    h = createHarness({ node: 'n1' });
    h.writeConfig(chainConfig(h.home));
    await h.start();
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it('AutoStart brings the group online bottom-up: base, mid, app', async () => {
    await waitFor('group online', async () => (await groupStateOn(h)) === 'ONLINE');
    expect(doneOrder(h, 'ONLINE_DONE')).toEqual(['base', 'mid', 'app']);
    for (const r of ['base', 'mid', 'app']) expect(pid(r)).toHaveLength(1);
  });

  it('offline goes top-down and online again bottom-up; asking twice changes nothing', async () => {
    const mark = h.events().length;
    const off = await h.rpc('grp.offline', { group: 'web', wait: true, timeout: 30 });
    expect(off.ok).toBe(true);
    expect(doneOrder(h, 'OFFLINE_DONE', mark)).toEqual(['app', 'mid', 'base']);
    for (const r of ['base', 'mid', 'app']) expect(pid(r)).toHaveLength(0);
    const again = await h.rpc('grp.offline', { group: 'web', wait: true });
    expect(again).toMatchObject({ ok: true, changed: false });

    const mark2 = h.events().length;
    const on = await h.rpc('grp.online', { group: 'web', wait: true, timeout: 30 });
    expect(on).toMatchObject({ ok: true, changed: true });
    expect(doneOrder(h, 'ONLINE_DONE', mark2)).toEqual(['base', 'mid', 'app']);
    const twice = await h.rpc('grp.online', { group: 'web', wait: true });
    expect(twice).toMatchObject({ ok: true, changed: false });
  });

  it('--dry-run prints the plan and runs nothing', async () => {
    const mark = h.events().length;
    const r = await h.rpc<{ plan: { steps: { op: string; resource: string }[] } }>('grp.offline', { group: 'web', dryRun: true });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.result.plan.steps.filter((s) => s.op === 'offline').map((s) => s.resource)).toEqual(['app', 'mid', 'base']);
    expect(doneOrder(h, 'OFFLINE_DONE', mark)).toEqual([]);
    expect(await groupStateOn(h)).toBe('ONLINE');
  });

  it('unknown group, resource or node: NOT_FOUND, nothing changes', async () => {
    expect(await h.rpc('grp.online', { group: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await h.rpc('res.offline', { resource: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await h.rpc('node.list', { node: 'n9' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await h.rpc('node.modify', { node: 'n1', attributes: { NoSuchAttr: '1' } })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('a modify that would make the config invalid is refused and nothing is written', async () => {
    const before = readFileSync(join(h.home, 'config/main.json'), 'utf8');
    const r = await h.rpc('grp.modify', { group: 'web', attributes: { NodeList: 'n1,ghost' } });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    if (!r.ok) expect(r.error.message).toContain("unknown node 'ghost'");
    expect(readFileSync(join(h.home, 'config/main.json'), 'utf8')).toBe(before);
    expect(await groupStateOn(h)).toBe('ONLINE');
  });

  it('a modify that holds is written atomically with a higher ConfigVersion, and is idempotent', async () => {
    const r1 = await h.rpc<{ ConfigVersion: number }>('node.modify', { node: 'n1', attributes: { IsolationTestAddresses: '127.0.0.1' } });
    expect(r1, JSON.stringify(r1)).toMatchObject({ ok: true, changed: true });
    const onDisk = JSON.parse(readFileSync(join(h.home, 'config/main.json'), 'utf8')) as MainConfig;
    expect(onDisk.Nodes[0]!.IsolationTestAddresses).toBe('127.0.0.1');
    expect(onDisk.ConfigVersion).toBe(2);
    const r2 = await h.rpc('node.modify', { node: 'n1', attributes: { IsolationTestAddresses: '127.0.0.1' } });
    expect(r2).toMatchObject({ ok: true, changed: false });
  });

  it('SIGKILL of the engine while online: the restarted engine adopts every process, none started twice', async () => {
    const before = Object.fromEntries(['base', 'mid', 'app'].map((r) => [r, pid(r)]));
    await h.kill();
    for (const r of ['base', 'mid', 'app']) expect(pid(r)).toEqual(before[r]);
    const mark = h.events().length;
    await h.start();
    await waitFor('group online after restart', async () => (await groupStateOn(h)) === 'ONLINE');
    for (const r of ['base', 'mid', 'app']) expect(pid(r)).toEqual(before[r]);
    const after = h.events().slice(mark);
    expect(after.filter((e) => e.rule === 'PROBE_ADOPTED').map((e) => e.resource).sort()).toEqual(['app', 'base', 'mid']);
    expect(after.filter((e) => e.rule === 'ONLINE_DONE')).toEqual([]);
  });

  it('SIGTERM stops the engine only: the services keep running', async () => {
    const before = pid('app');
    await h.stop();
    expect(pid('app')).toEqual(before);
    await h.start();
    expect(pid('app')).toEqual(before);
  });

  it('a killed critical process is restarted in place (RestartLimit 1), then FAULTED at the second failure', async () => {
    const first = pid('app')[0]!;
    process.kill(first, 'SIGKILL');
    const second = await waitFor('app restarted', () => {
      const p = pid('app');
      return p.length === 1 && p[0] !== first ? p[0] : undefined;
    });
    await waitFor('group online again', async () => (await groupStateOn(h)) === 'ONLINE');
    expect(h.events().some((e) => e.rule === 'RESTART_IN_PLACE' || e.message.includes('restart 1 of app'))).toBe(true);

    process.kill(second!, 'SIGKILL');
    await waitFor('app FAULTED', async () => {
      const r = await h.rpc<{ state: string }[]>('res.state', { resource: 'app' });
      return r.ok && r.result[0]!.state === 'FAULTED';
    });
    // One node only: no failover target; the critical failure takes the whole group offline.
    await waitFor('group offline', async () => ['OFFLINE', 'FAULTED'].includes(await groupStateOn(h)));
    expect(pid('app')).toHaveLength(0);
    expect(pid('base')).toHaveLength(0);
    const online = await h.rpc('grp.online', { group: 'web', wait: true, timeout: 10 });
    expect(online.ok).toBe(false);

    const cleared = await h.rpc('res.clear', { resource: 'app', wait: true });
    expect(cleared).toMatchObject({ ok: true, changed: true });
    const back = await h.rpc('grp.online', { group: 'web', wait: true, timeout: 30 });
    expect(back).toMatchObject({ ok: true });
    expect(pid('app')).toHaveLength(1);
  });
});

describe('invalid main.json at engine start', () => {
  it('is refused with the JSON path and reason of every error; exit code 3', () => {
    const h = createHarness({ node: 'n1' });
    const bad = chainConfig(h.home) as unknown as { Groups: Record<string, unknown>[] };
    bad.Groups[0]!.Colour = 'blue';
    (bad.Groups[0]!.Resources as Record<string, unknown>[])[0]!.Arguments = 'not-an-array';
    (bad.Groups[0]!.Dependencies as unknown[]).push({ Parent: 'base', Child: 'app' });
    h.writeConfig(bad as unknown as MainConfig);
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [DAEMON, '--node', 'n1'], { env: { ...process.env, MCCS_HOME: h.home }, stdio: 'pipe' });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    void h.cleanup();
    expect(status).toBe(3);
    expect(stderr).toContain("/Groups/0/Colour: unknown attribute 'Colour'");
    expect(stderr).toContain('/Groups/0/Resources/0/Arguments');
  });
});

describe('offline monitor', () => {
  it('a start/stop resource found running while offline is reported (OfflineMonitorInterval)', async () => {
    const h = createHarness({ node: 'n1' });
    try {
      const config = chainConfig(h.home);
      config.Groups[0]!.AutoStart = false;
      config.Types = { Process: { MonitorInterval: 0.5, OfflineMonitorInterval: 0.3 } };
      h.writeConfig(config);
      await h.start();
      const state = async () => {
        const r = await h.rpc<{ state: string }[]>('res.state', { resource: 'base' });
        return r.ok ? r.result[0]!.state : undefined;
      };
      expect(await state()).toBe('OFFLINE');
      // Someone starts the exact program by hand, outside the cluster.
      const { spawn } = await import('node:child_process');
      const rogue = spawn(process.execPath, [SERVICE, `${h.home}/base`], { detached: true, stdio: 'ignore' });
      rogue.unref();
      await waitFor('UNEXPECTED_ONLINE event', () => h.events().some((e) => e.rule === 'UNEXPECTED_ONLINE' && e.resource === 'base'), 10_000);
      expect(await state()).toBe('ONLINE');
      const event = h.events().find((e) => e.rule === 'UNEXPECTED_ONLINE')!;
      expect(event.message).toContain('found running on n1 while it was offline');
      // Reported, not acted on: nothing else of the group was started.
      expect(pidsWithArg(`${h.home}/mid`)).toHaveLength(0);
    } finally {
      await h.cleanup();
    }
  });
});

describe('group batch programs and AutoFaultClearTime', () => {
  it('BatchAfterOnline runs when the group comes online, BatchBeforeOffline before it goes offline; a FAULTED resource clears itself after AutoFaultClearTime', async () => {
    const h = createHarness({ node: 'n1' });
    try {
      const { writeFileSync, chmodSync, existsSync } = await import('node:fs');
      const trace = join(h.home, 'batch.log');
      const after = join(h.home, 'after.sh');
      const before = join(h.home, 'before.sh');
      writeFileSync(after, `#!/bin/sh\necho "after $1 $2" >> ${trace}\n`);
      writeFileSync(before, `#!/bin/sh\necho "before $1 $2" >> ${trace}\n`);
      chmodSync(after, 0o755);
      chmodSync(before, 0o755);
      const config = chainConfig(h.home);
      Object.assign(config.Groups[0]!, { BatchAfterOnline: after, BatchBeforeOffline: before, AutoFaultClearTime: 1 });
      config.Groups[0]!.Resources[2]!.RestartLimit = 0;
      h.writeConfig(config);
      await h.start();
      await waitFor('after-online batch', () => existsSync(trace) && readFileSync(trace, 'utf8').includes('after web n1'));
      expect(await h.rpc('grp.offline', { group: 'web', wait: true, timeout: 30 })).toMatchObject({ ok: true });
      const lines = readFileSync(trace, 'utf8').trim().split('\n');
      expect(lines).toEqual(['after web n1', 'before web n1']);
      const beforeAt = h.events().findIndex((e) => e.rule === 'BATCH_DONE' && e.message.startsWith('BatchBeforeOffline'));
      const firstOffline = h.events().findIndex((e) => e.rule === 'OFFLINE_DONE');
      expect(beforeAt).toBeGreaterThanOrEqual(0);
      expect(beforeAt).toBeLessThan(firstOffline);

      // A critical failure with RestartLimit 0: FAULTED, then cleared by itself after 1 s.
      expect(await h.rpc('grp.online', { group: 'web', wait: true, timeout: 30 })).toMatchObject({ ok: true });
      process.kill(pidsWithArg(`${h.home}/app`)[0]!, 'SIGKILL');
      await waitFor('app FAULTED', () => h.events().some((e) => e.resource === 'app' && e.newState === 'FAULTED'));
      await waitFor('app cleared by AutoFaultClearTime', async () => {
        const r = await h.rpc<{ state: string }[]>('res.state', { resource: 'app' });
        return r.ok && r.result[0]!.state === 'OFFLINE';
      });
      expect(h.events().some((e) => e.cause.startsWith('AutoFaultClearTime 1 s'))).toBe(true);
    } finally {
      await h.cleanup();
    }
  });
});

describe('a critical resource that cannot be brought online', () => {
  it('is FAULTED (no restart in place), the rest of the group goes offline, and online exits with a failure', async () => {
    const h = createHarness({ node: 'n1' });
    try {
      const config = chainConfig(h.home);
      config.Groups[0]!.AutoStart = false;
      // app exits at once: its online fails (RestartLimit 1 must not retry it in place).
      Object.assign(config.Groups[0]!.Resources[2]!, { Path: '/bin/false', Arguments: [`${h.home}/app`] });
      h.writeConfig(config);
      await h.start();
      const r = await h.rpc('grp.online', { group: 'web', wait: true, timeout: 30 });
      expect(r).toMatchObject({ ok: false, error: { code: 'FAILED' } });
      await waitFor('app FAULTED', async () => {
        const s = await h.rpc<{ state: string }[]>('res.state', { resource: 'app' });
        return s.ok && s.result[0]!.state === 'FAULTED';
      });
      await waitFor('base and mid offline again', () => pidsWithArg(`${h.home}/base`).length === 0 && pidsWithArg(`${h.home}/mid`).length === 0);
      expect(h.events().some((e) => e.rule === 'RESTART_IN_PLACE')).toBe(false);
      expect(h.events().some((e) => e.rule === 'FINAL_FAILURE_CRITICAL')).toBe(true);
    } finally {
      await h.cleanup();
    }
  });
});
