// Service agent against the systemctl simulator (no systemd as PID 1 here):
// a unit started, found failed, refusing to start, hanging on stop.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceAgent } from '../../src/engine/agents/service.js';
import { agentContract, makeTempHome, makeTestContext, removeTempHome } from '../helpers/agent-contract.js';

const SIM = resolve(import.meta.dirname, '../simulators');
const home = makeTempHome('service');
const statePath = join(home, 'systemctl.json');
const savedPath = process.env.PATH;
const savedState = process.env.SYSTEMCTL_SIM_STATE;
process.env.PATH = `${SIM}:${savedPath ?? '/usr/bin:/bin'}`;
process.env.SYSTEMCTL_SIM_STATE = statePath;

type Unit = { state: string; startFails?: boolean; stopHangs?: boolean };
const setUnits = (units: Record<string, Unit>): void => writeFileSync(statePath, JSON.stringify({ units }));
const unitState = (name: string): string => JSON.parse(readFileSync(statePath, 'utf8')).units[name].state;
setUnits({ 'web.service': { state: 'inactive' } });

const ctx = (unit = 'web.service', deadlineMs = 10_000) => makeTestContext({ home, attrs: { ServiceName: unit }, deadlineMs });

afterAll(() => {
  process.env.PATH = savedPath;
  if (savedState === undefined) delete process.env.SYSTEMCTL_SIM_STATE;
  else process.env.SYSTEMCTL_SIM_STATE = savedState;
  removeTempHome(home);
});

agentContract('Service web.service (systemctl simulator)', () => ctx(), serviceAgent, {
  afterOnline: () => expect(unitState('web.service')).toBe('active'),
  afterOffline: () => expect(unitState('web.service')).toBe('inactive'),
});

describe('Service: what the operator sees', () => {
  it('a unit that failed is reported failed, and online clears it and starts it', async () => {
    setUnits({ 'db.service': { state: 'failed' } });
    expect(await serviceAgent.observe(ctx('db.service'))).toMatchObject({ state: 'failed', reason: expect.stringContaining('db.service failed') });
    await serviceAgent.online(ctx('db.service'));
    expect(unitState('db.service')).toBe('active');
  });

  it('a unit whose start fails gives systemctl\'s own message', async () => {
    setUnits({ 'bad.service': { state: 'inactive', startFails: true } });
    await expect(serviceAgent.online(ctx('bad.service'))).rejects.toThrow(/systemctl start bad.service failed: Job for bad.service failed/);
    expect((await serviceAgent.observe(ctx('bad.service'))).state).toBe('failed');
  });

  it('an unknown unit: clear error', async () => {
    setUnits({});
    await expect(serviceAgent.online(ctx('nosuch.service'))).rejects.toThrow(/Unit nosuch.service not found/);
  });

  it('a stop that hangs fails offline inside its budget; the forced clean kills it', async () => {
    setUnits({ 'stuck.service': { state: 'active', stopHangs: true } });
    await expect(serviceAgent.offline(ctx('stuck.service', 4000))).rejects.toThrow(/still deactivating/);
    await serviceAgent.clean(ctx('stuck.service'));
    expect(unitState('stuck.service')).toBe('inactive');
    expect((await serviceAgent.observe(ctx('stuck.service'))).state).toBe('stopped');
  });

  it('a unit name that looks like an option is refused', async () => {
    await expect(serviceAgent.observe(ctx('--all'))).rejects.toThrow(/not a unit name/);
  });

  it('without systemctl the error names the package to install', async () => {
    const p = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(serviceAgent.observe(ctx())).rejects.toThrow(/install the Debian package systemd/);
    } finally {
      process.env.PATH = p;
    }
  });
});
