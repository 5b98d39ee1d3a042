// SCSI-3 persistent reservations of a SharedDisk, against the stateful
// sg_persist simulator (test/simulators/sg_persist; this kernel has no SCSI
// target): two nodes are two initiators of one logical unit.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropReservation, parseKeys, parseReservation, readKeys, readReservation, reservationKey, reservationLost, takeReservation } from '../../src/engine/agents/scsi-reservation.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import type { Runner } from '../../src/engine/runner.js';
import { makeTestContext } from '../helpers/agent-contract.js';

const SIM = resolve(import.meta.dirname, '../simulators');
const work = mkdtempSync(join(tmpdir(), 'mccs-pr-'));
const statePath = join(work, 'pr.json');
const device = join(work, 'lun0');
writeFileSync(device, '');
const saved = { PATH: process.env.PATH };
process.env.PATH = `${SIM}:${saved.PATH ?? '/usr/bin:/bin'}`;
afterAll(() => {
  process.env.PATH = saved.PATH;
  rmSync(work, { recursive: true, force: true });
});

/** Each node is its own initiator (I_T nexus) of the simulated LU. */
function nodeRunner(node: string): Runner & { calls: string[][] } {
  const real = new ExecRunner();
  const calls: string[][] = [];
  return {
    calls,
    run: (command, args, options = {}) => {
      calls.push([command, ...args]);
      return real.run(command, args, { ...options, env: { ...options.env, SG_PERSIST_STATE: statePath, SG_PERSIST_INITIATOR: `iqn.2026-12.lab:${node}` } });
    },
  };
}
const ctx = (node: string, runner = nodeRunner(node)) => makeTestContext({ home: work, attrs: {}, nodeName: node, runner, deadlineMs: 10_000 });
const sim = () => JSON.parse(readFileSync(statePath, 'utf8')) as { devices: Record<string, { registrations: Record<string, string>; reservation: { key: string; type: number } | null; supported?: boolean }> };

describe('sg_persist output parsing', () => {
  it('reads keys and the reservation as sg_persist prints them', () => {
    expect(parseKeys('  PR generation=0x2, 2 registered reservation keys follow:\n    0x1a\n    0x00ff\n')).toEqual(['0x1a', '0xff']);
    expect(parseKeys('  PR generation=0x0, there are NO registered reservation keys\n')).toEqual([]);
    expect(parseReservation('  PR generation=0x3, Reservation follows:\n    Key=0x1a\n    scope: LU_SCOPE,  type: Write Exclusive, registrants only\n')).toEqual({ key: '0x1a', type: 'Write Exclusive, registrants only' });
    expect(parseReservation('  PR generation=0x3, there is NO reservation held\n')).toBeUndefined();
  });

  it('a node key is 8 bytes, never 0, the same on every start, different per node', () => {
    expect(reservationKey('node1')).toMatch(/^0x[0-9a-f]{1,16}$/);
    expect(reservationKey('node1')).toBe(reservationKey('node1'));
    expect(reservationKey('node1')).not.toBe(reservationKey('node2'));
  });
});

describe('SCSI-3 reservation between two nodes (sg_persist simulator)', () => {
  const k1 = reservationKey('node1');
  const k2 = reservationKey('node2');

  it('online: register, reserve Write Exclusive Registrants Only; every command is an argv, never a shell string', async () => {
    const r1 = nodeRunner('node1');
    const said = await takeReservation(ctx('node1', r1), device);
    expect(said).toMatch(new RegExp(`held with key ${k1}`));
    expect(await readReservation(ctx('node1'), device)).toEqual({ key: k1, type: 'Write Exclusive, registrants only' });
    expect(await readKeys(ctx('node1'), device)).toEqual([k1]);
    expect(r1.calls).toContainEqual(['sg_persist', '--no-inquiry', '--out', '--register-ignore', `--param-sark=${k1}`, device]);
    expect(r1.calls).toContainEqual(['sg_persist', '--no-inquiry', '--out', '--reserve', `--param-rk=${k1}`, '--prout-type=5', device]);
    expect(await reservationLost(ctx('node1'), device)).toBeUndefined();
    // Online again: idempotent.
    await takeReservation(ctx('node1'), device);
    expect(await readKeys(ctx('node1'), device)).toEqual([k1]);
  });

  it('takeover: node2 preempts node1\'s key; node1 is no longer registered and its monitor says so', async () => {
    const said = await takeReservation(ctx('node2'), device);
    expect(said).toMatch(new RegExp(`preempted ${k1}`));
    expect(await readReservation(ctx('node2'), device)).toMatchObject({ key: k2 });
    expect(await readKeys(ctx('node2'), device)).toEqual([k2]);
    expect(await reservationLost(ctx('node1'), device)).toMatch(new RegExp(`key ${k1} is no longer registered .*preempted by another node holding key ${k2}`));
    // The fenced node cannot reserve it back by itself: a reservation conflict.
    const r = await new ExecRunner().run('sg_persist', ['--no-inquiry', '--out', '--reserve', `--param-rk=${k1}`, '--prout-type=5', device], { env: { SG_PERSIST_STATE: statePath, SG_PERSIST_INITIATOR: 'iqn.2026-12.lab:node1' } });
    expect(r.exitCode).toBe(24);
    expect(r.stderr).toMatch(/Reservation Conflict/);
  });

  it('planned offline: release and unregister; the next node simply reserves', async () => {
    await dropReservation(ctx('node2'), device);
    expect(await readReservation(ctx('node2'), device)).toBeUndefined();
    expect(await readKeys(ctx('node2'), device)).toEqual([]);
    const said = await takeReservation(ctx('node1'), device);
    expect(said).not.toMatch(/preempted/);
    await dropReservation(ctx('node1'), device);
  });

  it('a device that does not support persistent reservations: the reservation cannot be taken, with the reason', async () => {
    const s = sim();
    s.devices[device]!.supported = false;
    writeFileSync(statePath, JSON.stringify(s));
    await expect(takeReservation(ctx('node1'), device)).rejects.toThrow(/sg_persist --register-ignore on .* failed \(exit 9\): PR out: command not supported/);
    s.devices[device]!.supported = true;
    writeFileSync(statePath, JSON.stringify(s));
  });

  it('no sg_persist on the node: the error names the Debian package', async () => {
    const bare = makeTestContext({ home: work, attrs: {}, nodeName: 'node1', runner: { run: () => Promise.reject(new Error('spawn sg_persist ENOENT')) }, deadlineMs: 5000 });
    await expect(takeReservation(bare, device)).rejects.toThrow(/install the Debian package sg3-utils/);
  });
});
