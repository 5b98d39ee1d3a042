// SharedDiskDR / MirrorDiskDR against the DRBD simulators: the DR link
// watched from the main site (falling behind, disconnected), and the
// promote at the DR site.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mirrorDiskDrAgent, sharedDiskDrAgent } from '../../src/engine/agents/dr.js';
import { agentContract, makeTestContext } from '../helpers/agent-contract.js';

const SIM = resolve(import.meta.dirname, '../simulators');
const work = mkdtempSync('/tmp/mccs-dr-');
const statePath = join(work, 'drbd.json');
const saved = { PATH: process.env.PATH, DRBD_SIM_STATE: process.env.DRBD_SIM_STATE };
process.env.PATH = `${SIM}:${saved.PATH ?? '/usr/bin:/bin'}`;
process.env.DRBD_SIM_STATE = statePath;

afterAll(() => {
  process.env.PATH = saved.PATH;
  if (saved.DRBD_SIM_STATE === undefined) delete process.env.DRBD_SIM_STATE;
  else process.env.DRBD_SIM_STATE = saved.DRBD_SIM_STATE;
  rmSync(work, { recursive: true, force: true });
});

type Conn = { name: string; state: string; peerRole?: string; peerDisk?: string; outOfSync?: number };
/** r0-U: the resource stacked on r0 (1:2 stacked), replicating to the DR node "dr1"; r1: a 3-node resource. */
function setState(u: { up?: boolean; role?: string; disk?: string; connections?: Conn[] } = {}): void {
  writeFileSync(
    statePath,
    JSON.stringify({
      resources: {
        'r0-U': { stacked: true, up: true, role: 'Secondary', disk: 'UpToDate', minor: 10, connections: [{ name: 'dr1', state: 'Connected', peerRole: 'Secondary', peerDisk: 'UpToDate' }], ...u },
        r1: {
          up: true,
          role: 'Secondary',
          disk: 'UpToDate',
          minor: 1,
          connections: [
            { name: 'nodeb', state: 'Connected', peerRole: 'Secondary', peerDisk: 'UpToDate' },
            { name: 'dr1', state: 'Connected', peerRole: 'Secondary', peerDisk: 'UpToDate' },
          ],
        },
      },
    }),
  );
}
const res = (name: string) => JSON.parse(readFileSync(statePath, 'utf8')).resources[name];
setState();

const main = (extra: Record<string, unknown> = {}, log?: string[]) => makeTestContext({ home: work, attrs: { DrbdResource: 'r0-U', ...extra }, log });

agentContract('MirrorDiskDR r0-U, main site (DRBD simulator, stacked)', () => main(), mirrorDiskDrAgent, {
  afterOnline: () => expect(res('r0-U').role).toBe('Primary'),
  afterOffline: () => expect(res('r0-U').role).toBe('Secondary'),
});

describe('DR: what the operator sees', () => {
  it('a DR copy that falls behind: monitor failed, warning logged', async () => {
    setState({ role: 'Primary', connections: [{ name: 'dr1', state: 'Connected', peerRole: 'Secondary', peerDisk: 'Inconsistent', outOfSync: 500_000 }] });
    const log: string[] = [];
    const obs = await mirrorDiskDrAgent.observe(main({ OutOfSyncThreshold: 102400 }, log));
    expect(obs).toEqual({ state: 'failed', reason: 'DR copy on dr1 has fallen behind: 500000 KiB out of sync (threshold 102400 KiB, peer disk Inconsistent)' });
    expect(log.join('\n')).toMatch(/warning: res1: DR copy on dr1 has fallen behind/);
    // Below the threshold it is running, with the lag in the reason.
    expect(await mirrorDiskDrAgent.observe(main({ OutOfSyncThreshold: 1_000_000 }))).toMatchObject({ state: 'running', reason: expect.stringContaining('500000 KiB out of sync') });
  });

  it('a disconnected DR link: monitor failed, warning logged', async () => {
    setState({ role: 'Primary', connections: [{ name: 'dr1', state: 'Connecting' }] });
    const log: string[] = [];
    expect(await mirrorDiskDrAgent.observe(main({}, log))).toMatchObject({ state: 'failed', reason: 'DR link to dr1 is Connecting: the DR copy is not updated' });
    expect(log.filter((l) => l.startsWith('warning:'))).toEqual(['warning: res1: DR link to dr1 is Connecting: the DR copy is not updated']);
    setState({ role: 'Primary', connections: [{ name: 'dr1', state: 'StandAlone' }] });
    expect((await mirrorDiskDrAgent.observe(main())).reason).toMatch(/StandAlone: DRBD dropped it \(split brain or refused handshake\)/);
  });

  it('promote at the DR site after the main site is lost: drbdadm primary --force on the Outdated copy', async () => {
    setState({ disk: 'Outdated', connections: [{ name: 'main', state: 'Connecting' }] });
    const log: string[] = [];
    const dr = (l?: string[]) => makeTestContext({ home: work, attrs: { DrbdResource: 'r0-U', Site: 'DR' }, log: l });
    expect((await mirrorDiskDrAgent.observe(dr())).state).toBe('stopped');
    await mirrorDiskDrAgent.online(dr(log));
    expect(res('r0-U')).toMatchObject({ role: 'Primary', disk: 'UpToDate' });
    expect(log.join('\n')).toMatch(/promoting r0-U at the DR site with drbdadm primary --force \(disk Outdated\)/);
    expect(await mirrorDiskDrAgent.observe(dr())).toMatchObject({ state: 'running', reason: expect.stringMatching(/^promoted at the DR site/) });
    await mirrorDiskDrAgent.offline(dr());
    expect(res('r0-U').role).toBe('Secondary');
  });

  it('no promote at DR while the main site is connected and Primary', async () => {
    setState({ connections: [{ name: 'main', state: 'Connected', peerRole: 'Primary', peerDisk: 'UpToDate' }] });
    await expect(mirrorDiskDrAgent.online(makeTestContext({ home: work, attrs: { DrbdResource: 'r0-U', Site: 'DR' } }))).rejects.toThrow(/main site \(main\) is connected and Primary/);
    expect(res('r0-U').role).toBe('Secondary');
  });

  it('SharedDiskDR on a 3-node resource: DrPeer picks the DR connection; a wrong name is a clear error', async () => {
    setState();
    const ctx = (peer: string) => makeTestContext({ home: work, attrs: { DrbdResource: 'r1', DrPeer: peer } });
    await sharedDiskDrAgent.online(ctx('dr1'));
    expect(await sharedDiskDrAgent.observe(ctx('dr1'))).toMatchObject({ state: 'running', reason: 'r1 Primary, DR link dr1 Connected/UpToDate Secondary' });
    expect(await sharedDiskDrAgent.observe(ctx('dr9'))).toMatchObject({ state: 'failed', reason: expect.stringMatching(/no connection to the DR peer dr9 in r1 \(connections: nodeb, dr1\)/) });
    expect(await sharedDiskDrAgent.observe(makeTestContext({ home: work, attrs: { DrbdResource: 'r1' } }))).toMatchObject({ state: 'failed', reason: expect.stringMatching(/set DrPeer/) });
    await sharedDiskDrAgent.offline(ctx('dr1'));
    expect(res('r1').role).toBe('Secondary');
  });

  it('a stacked resource driven without --stacked is refused by drbdadm', async () => {
    setState();
    await expect(sharedDiskDrAgent.online(main())).rejects.toThrow(/drbdadm primary r0-U failed: 'r0-U' is a stacked resource/);
  });
});
