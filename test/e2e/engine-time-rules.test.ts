// The time rules the policy decides and the engine carries out, on one real
// engine with real programs: OnlineRetryLimit (a start that fails twice, then
// works; a start that never works), FaultOnMonitorTimeouts (a monitor that
// hangs) and OnlineTrustTime (a restart forgiven after running long enough).
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { createHarness, pidsWithArg, ROOT, waitFor, type Harness } from '../helpers/engine-harness.js';

const SERVICE = join(ROOT, 'test/fixtures/service.mjs');

/** An Application whose start fails until it has been tried `worksAt` times; a monitor that hangs while `<dir>/hang` exists. */
function scripts(dir: string, name: string, worksAt: number): Record<string, unknown> {
  const start = join(dir, `${name}-start.sh`);
  const stop = join(dir, `${name}-stop.sh`);
  const monitor = join(dir, `${name}-monitor.sh`);
  const tries = join(dir, `${name}.tries`);
  const running = join(dir, `${name}.running`);
  writeFileSync(start, `#!/bin/sh\nn=$(cat ${tries} 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n > ${tries}\n[ $n -ge ${worksAt} ] || { echo "start attempt $n fails" >&2; exit 1; }\ntouch ${running}\n`);
  writeFileSync(stop, `#!/bin/sh\nrm -f ${running}\n`);
  writeFileSync(monitor, `#!/bin/sh\n[ -f ${dir}/${name}.hang ] && sleep 3\n[ -f ${running} ] && exit 0\nexit 1\n`);
  for (const f of [start, stop, monitor]) chmodSync(f, 0o755);
  return { Type: 'Application', StartProgram: [start], StopProgram: [stop], MonitorProgram: [monitor] };
}

function group(name: string, res: Record<string, unknown>): MainConfig['Groups'][number] {
  return { GroupName: name, GroupType: 'FAILOVER', NodeList: ['n1'], AutoStart: false, Resources: [res as never], Dependencies: [] } as MainConfig['Groups'][number];
}

describe('time rules on a real engine', () => {
  let h: Harness;
  const restartCount = async (res: string) => {
    const r = await h.rpc<{ states: Record<string, { restartCount: number }> }[]>('res.list', { resource: res });
    if (!r.ok) throw new Error(r.error.message);
    return r.result[0]!.states.n1!.restartCount;
  };
  const state = async (res: string) => {
    const r = await h.rpc<{ state: string }[]>('res.state', { resource: res });
    if (!r.ok) throw new Error(r.error.message);
    return r.result[0]!.state;
  };

  beforeAll(async () => {
    h = createHarness({ node: 'n1' });
    const config: MainConfig = {
      ConfigVersion: 1,
      Cluster: { ClusterName: 'solo' },
      Nodes: [{ NodeName: 'n1' }],
      Types: { Application: { MonitorInterval: 0.3, OfflineMonitorInterval: 0 }, Process: { MonitorInterval: 0.3, OfflineMonitorInterval: 0 } },
      Groups: [
        group('retry', { ResName: 'retry-app', ...scripts(h.home, 'retry-app', 3), OnlineRetryLimit: 2, Critical: true }),
        group('giveup', { ResName: 'giveup-app', ...scripts(h.home, 'giveup-app', 99), OnlineRetryLimit: 1, Critical: true }),
        group('hang', { ResName: 'hang-app', ...scripts(h.home, 'hang-app', 1), MonitorTimeout: 0.5, FaultOnMonitorTimeouts: 2 }),
        group('trust', { ResName: 'trust-app', Type: 'Process', Path: process.execPath, Arguments: [SERVICE, `${h.home}/trust-app`], Critical: true, RestartLimit: 1, OnlineTrustTime: 1.5 }),
      ],
    };
    h.writeConfig(config);
    await h.start();
  });
  afterAll(async () => {
    rmSync(join(h.home, 'hang-app.hang'), { force: true });
    await h.cleanup();
  });

  it('OnlineRetryLimit 2: two failed attempts are cleaned and retried; the third one brings the resource online', async () => {
    const r = await h.rpc('grp.online', { group: 'retry', wait: true, timeout: 30 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(readFileSync(join(h.home, 'retry-app.tries'), 'utf8').trim()).toBe('3');
    expect(await state('retry-app')).toBe('ONLINE');
    expect(h.events().filter((e) => e.resource === 'retry-app' && e.rule === 'ONLINE_FAILED')).toEqual([]);
  });

  it('OnlineRetryLimit 1: after two failed attempts the failure is final (critical: FAULTED, the group stays offline)', async () => {
    await h.rpc('grp.online', { group: 'giveup', wait: true, timeout: 30 });
    await waitFor('giveup-app FAULTED', async () => (await state('giveup-app')) === 'FAULTED');
    expect(readFileSync(join(h.home, 'giveup-app.tries'), 'utf8').trim()).toBe('2');
    const events = h.events().filter((e) => e.resource === 'giveup-app' || e.group === 'giveup');
    expect(events.filter((e) => e.rule === 'ONLINE_FAILED')).toHaveLength(1);
    expect(events.some((e) => e.rule === 'FAULT_RECORDED')).toBe(true);
  });

  it('FaultOnMonitorTimeouts 2: one hanging monitor is tolerated, two in a row are a failure', async () => {
    expect((await h.rpc('grp.online', { group: 'hang', wait: true, timeout: 30 })).ok).toBe(true);
    writeFileSync(join(h.home, 'hang-app.hang'), '');
    const failed = await waitFor('hang-app failed', () => h.events().find((e) => e.resource === 'hang-app' && e.rule === 'RESOURCE_FAILED'), 20_000);
    expect(failed.message).toContain('2 monitor timeouts in a row');
    rmSync(join(h.home, 'hang-app.hang'));
    await waitFor('hang-app FAULTED (non-critical, no restart)', async () => (await state('hang-app')) === 'FAULTED');
    expect(existsSync(join(h.home, 'hang-app.running'))).toBe(false);
  });

  it('OnlineTrustTime 1.5 s: a restart is forgiven once the process ran that long, so the next failure is restarted again', async () => {
    expect((await h.rpc('grp.online', { group: 'trust', wait: true, timeout: 30 })).ok).toBe(true);
    const first = pidsWithArg(`${h.home}/trust-app`)[0]!;
    process.kill(first, 'SIGKILL');
    const second = await waitFor('restarted in place', () => {
      const p = pidsWithArg(`${h.home}/trust-app`);
      return p.length === 1 && p[0] !== first ? p[0] : undefined;
    });
    await waitFor('restart counted', async () => (await restartCount('trust-app')) === 1);
    await waitFor('restart forgiven after OnlineTrustTime', async () => (await restartCount('trust-app')) === 0, 10_000);
    process.kill(second!, 'SIGKILL');
    await waitFor('restarted in place again (not FAULTED)', () => {
      const p = pidsWithArg(`${h.home}/trust-app`);
      return p.length === 1 && p[0] !== second;
    });
    expect(await state('trust-app')).not.toBe('FAULTED');
    // Each restart in place counted once: both were restarts 1 of 1.
    const counted = h.events().filter((e) => e.resource === 'trust-app' && e.rule === 'RESTART_COUNT');
    expect(counted.map((e) => e.message)).toEqual(['restart 1 of trust-app in place', 'restart 1 of trust-app in place']);
  });
});
