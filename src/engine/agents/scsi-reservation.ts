// SCSI-3 persistent reservations of a SharedDisk, through sg_persist
// (sg3_utils), as VCS I/O fencing and fence_scsi use them:
// - each node registers its own key on the LU (REGISTER AND IGNORE);
// - the active node holds the reservation, type 5 "Write Exclusive –
//   Registrants Only": only registered nodes may write;
// - a takeover preempts (PREEMPT AND ABORT) every other node's key: the old
//   holder is no longer registered, and the storage itself refuses its
//   writes, whatever its kernel still has in flight;
// - a planned offline releases the reservation and unregisters.
// Output parsed is sg_persist's with --no-inquiry (sg_persist(8); the
// simulator in test/simulators/sg_persist prints the same).
import { createHash } from 'node:crypto';
import { AgentError, type AgentContext } from './agent.js';
import type { RunResult } from '../runner.js';

/** PERSISTENT RESERVE OUT type 5: Write Exclusive, Registrants Only. */
export const PR_TYPE_WERO = 5;
/** sg3_utils exit status for a RESERVATION CONFLICT (sg_persist(8), EXIT STATUS). */
const EXIT_RES_CONFLICT = 24;

/** This node's reservation key: 8 bytes derived from its name (stable, the same on every engine start). */
export function reservationKey(nodeName: string): string {
  const hex = createHash('sha256').update(`mccs-node:${nodeName}`).digest('hex').slice(0, 16);
  // Never 0 (0 means "no key" in PR OUT), and printed as sg_persist prints keys (no leading zeros).
  return `0x${(BigInt(`0x${hex}`) | 1n).toString(16)}`;
}

const normKey = (k: string): string => `0x${BigInt(k).toString(16)}`;

async function sg(ctx: AgentContext, args: string[]): Promise<RunResult> {
  try {
    return await ctx.runner.run('sg_persist', ['--no-inquiry', ...args], { signal: ctx.signal, timeoutMs: Math.max(1000, Math.min(ctx.deadline, 20_000)) });
  } catch (e) {
    throw new AgentError(`sg_persist not found or not executable (install the Debian package sg3-utils): ${(e as Error).message}`);
  }
}

const why = (r: RunResult): string => (r.stderr.trim() || r.stdout.trim()).split('\n').find((l) => l.trim() !== '')?.trim() ?? `exit ${r.exitCode}`;

async function must(ctx: AgentContext, what: string, args: string[]): Promise<string> {
  const r = await sg(ctx, args);
  if (r.timedOut) throw new AgentError(`sg_persist ${what} did not answer in time`);
  if (r.exitCode === EXIT_RES_CONFLICT) throw new AgentError(`sg_persist ${what}: reservation conflict (${why(r)})`);
  if (r.exitCode !== 0) throw new AgentError(`sg_persist ${what} failed (exit ${r.exitCode}): ${why(r)}`);
  return r.stdout;
}

/** Registered keys ("PR generation=0x2, 2 registered reservation keys follow:" + one key a line). */
export function parseKeys(text: string): string[] {
  if (/there are NO registered reservation keys/.test(text)) return [];
  return [...text.matchAll(/^\s+(0x[0-9a-fA-F]+)\s*$/gm)].map((m) => normKey(m[1]!));
}

/** The reservation ("Reservation follows:" / "Key=0x…" / "scope: LU_SCOPE,  type: …"), or undefined. */
export function parseReservation(text: string): { key: string; type: string } | undefined {
  if (/there is NO reservation held/.test(text)) return undefined;
  const key = /Key\s*=\s*(0x[0-9a-fA-F]+)/.exec(text)?.[1];
  if (!key) return undefined;
  const type = /type\s*[:=]\s*(.+)$/m.exec(text)?.[1]?.trim() ?? '';
  return { key: normKey(key), type };
}

const isWero = (type: string): boolean => /write exclusive,?\s*registrants only/i.test(type);

export async function readKeys(ctx: AgentContext, device: string): Promise<string[]> {
  return parseKeys(await must(ctx, `--read-keys on ${device}`, ['--in', '--read-keys', device]));
}

export async function readReservation(ctx: AgentContext, device: string): Promise<{ key: string; type: string } | undefined> {
  return parseReservation(await must(ctx, `--read-reservation on ${device}`, ['--in', '--read-reservation', device]));
}

/**
 * Registers this node's key, then holds the Write Exclusive – Registrants
 * Only reservation with every other key preempted. Throws (the disk must not
 * be mounted) when any step fails. Returns a one-line summary.
 */
export async function takeReservation(ctx: AgentContext, device: string): Promise<string> {
  const mine = reservationKey(ctx.nodeName);
  const type = `--prout-type=${PR_TYPE_WERO}`;
  await must(ctx, `--register-ignore on ${device}`, ['--out', '--register-ignore', `--param-sark=${mine}`, device]);
  const preempted: string[] = [];
  const held = await readReservation(ctx, device);
  if (!held) {
    await must(ctx, `--reserve on ${device}`, ['--out', '--reserve', `--param-rk=${mine}`, type, device]);
  } else if (held.key !== mine) {
    // The old holder's key: preempting it removes its registration and hands us the reservation.
    await must(ctx, `--preempt-abort of key ${held.key} on ${device}`, ['--out', '--preempt-abort', `--param-rk=${mine}`, `--param-sark=${held.key}`, type, device]);
    preempted.push(held.key);
  } else if (!isWero(held.type)) {
    throw new AgentError(`${device} is reserved with this node's key but as '${held.type}', not Write Exclusive, Registrants Only: release it by hand (sg_persist --out --release --param-rk=${mine} --prout-type=<type> ${device})`);
  }
  // Under Registrants Only every registered node may write: nobody else stays registered.
  for (const k of await readKeys(ctx, device)) {
    if (k === mine || preempted.includes(k)) continue;
    await must(ctx, `--preempt-abort of key ${k} on ${device}`, ['--out', '--preempt-abort', `--param-rk=${mine}`, `--param-sark=${k}`, type, device]);
    preempted.push(k);
  }
  const now = await readReservation(ctx, device);
  if (!now || now.key !== mine || !isWero(now.type)) {
    throw new AgentError(`the SCSI-3 reservation of ${device} could not be taken: ${now ? `held by key ${now.key} (${now.type})` : 'no reservation held after reserving'}`);
  }
  return `SCSI-3 reservation of ${device} held with key ${mine} (Write Exclusive, Registrants Only)${preempted.length > 0 ? `; preempted ${preempted.join(', ')}` : ''}`;
}

/** Releases the reservation (if ours) and unregisters this node's key. Best effort is the caller's choice. */
export async function dropReservation(ctx: AgentContext, device: string): Promise<void> {
  const mine = reservationKey(ctx.nodeName);
  const held = await readReservation(ctx, device);
  if (held?.key === mine) await must(ctx, `--release on ${device}`, ['--out', '--release', `--param-rk=${mine}`, `--prout-type=${PR_TYPE_WERO}`, device]);
  if ((await readKeys(ctx, device)).includes(mine)) {
    await must(ctx, `unregister on ${device}`, ['--out', '--register', `--param-rk=${mine}`, '--param-sark=0', device]);
  }
}

/** Why this node may no longer write through its reservation, or undefined when it still holds it. */
export async function reservationLost(ctx: AgentContext, device: string): Promise<string | undefined> {
  const mine = reservationKey(ctx.nodeName);
  const held = await readReservation(ctx, device);
  if (held?.key === mine) return undefined;
  const keys = await readKeys(ctx, device);
  if (!keys.includes(mine)) return `this node's SCSI-3 key ${mine} is no longer registered on ${device} (preempted by another node${held ? ` holding key ${held.key}` : ''})`;
  return `the SCSI-3 reservation of ${device} is ${held ? `held by key ${held.key}` : 'not held'}, not by this node's key ${mine}`;
}
