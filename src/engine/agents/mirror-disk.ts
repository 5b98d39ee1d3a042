// MirrorDisk: a DRBD resource, Primary (and its file system mounted) on the
// active node, Secondary elsewhere; replication state watched from
// `drbdsetup status RES --json`. The DRBD helpers here are shared with the
// DR agents (dr.ts).
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';
import type { RunResult } from '../runner.js';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { absolutePath, attrBool, attrString } from './toolkit/attributes.js';
import { sleep } from './toolkit/budget.js';
import { checkMountFree, fsTypeAttr, mountFs, mountOptionsAttr, unmountFs } from './toolkit/filesystem.js';
import { firstLine, runTool } from './toolkit/run-tool.js';
import { blockDevice, type DevNum } from '../../system/block-devices.js';
import { mountedHere } from '../../system/mounts.js';

export const DRBD_PACKAGE = 'drbd-utils';

// ---------------------------------------------------------------- drbdsetup status --json

export interface DrbdPeerDevice {
  volume: number;
  'replication-state'?: string;
  'peer-disk-state'?: string;
  /** KiB not yet replicated to this peer. */
  'out-of-sync'?: number;
}

export interface DrbdConnection {
  'peer-node-id'?: number;
  name: string;
  'connection-state': string;
  'peer-role'?: string;
  // Sic: drbdsetup spells this key with an underscore.
  peer_devices?: DrbdPeerDevice[];
}

export interface DrbdStatus {
  name: string;
  role: string;
  devices: { volume: number; minor: number; 'disk-state': string }[];
  connections: DrbdConnection[];
}

export async function drbdadm(ctx: AgentContext, args: string[], stacked = false): Promise<RunResult> {
  return runTool(ctx, DRBD_PACKAGE, 'drbdadm', stacked ? ['--stacked', ...args] : args);
}

/** The resource's status, or undefined when it is not up on this node. */
export async function drbdStatus(ctx: AgentContext, res: string): Promise<DrbdStatus | undefined> {
  const r = await runTool(ctx, DRBD_PACKAGE, 'drbdsetup', ['status', res, '--json']);
  // drbdsetup(8): exit 10 with "<res>: No such resource" when the resource is not configured in the kernel.
  if (r.exitCode !== 0) {
    if (/No such resource/i.test(r.stderr + r.stdout) || r.exitCode === 10) return undefined;
    throw new AgentError(`drbdsetup status ${res} failed: ${firstLine(r)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    throw new AgentError(`drbdsetup status ${res} --json printed something that is not JSON: ${r.stdout.slice(0, 80)}`);
  }
  const st = Array.isArray(parsed) ? (parsed as DrbdStatus[]).find((s) => s.name === res) : undefined;
  return st ? { ...st, devices: st.devices ?? [], connections: st.connections ?? [] } : undefined;
}

export function diskState(st: DrbdStatus): string {
  const states = st.devices.map((d) => d['disk-state']);
  return states.find((s) => s !== 'UpToDate') ?? states[0] ?? 'Diskless';
}

export const outOfSyncKiB = (c: DrbdConnection): number => (c.peer_devices ?? []).reduce((n, d) => n + (d['out-of-sync'] ?? 0), 0);

export function peerDisk(c: DrbdConnection): string {
  const states = (c.peer_devices ?? []).map((d) => d['peer-disk-state'] ?? 'DUnknown');
  return states.find((s) => s !== 'UpToDate') ?? states[0] ?? 'DUnknown';
}

export function describeConnection(c: DrbdConnection): string {
  const oos = outOfSyncKiB(c);
  return `${c.name} ${c['connection-state']}/${peerDisk(c)}${c['peer-role'] && c['peer-role'] !== 'Unknown' ? ` ${c['peer-role']}` : ''}${oos > 0 ? `, ${oos} KiB out of sync` : ''}`;
}

/**
 * StandAlone on a resource that is up means DRBD dropped the connection and
 * will not retry: after a split brain (kernel log: "Split-Brain detected but
 * unresolved, dropping connection!") or a refused handshake.
 */
export function splitBrainSuspects(st: DrbdStatus): DrbdConnection[] {
  return st.connections.filter((c) => c['connection-state'] === 'StandAlone');
}

export function splitBrainMessage(res: string, cs: DrbdConnection[]): string {
  return (
    `DRBD split brain suspected on ${res}: connection to ${cs.map((c) => c.name).join(', ')} is StandAlone ` +
    `(DRBD drops the connection after "Split-Brain detected but unresolved"); check dmesg, pick the victim and ` +
    `run "drbdadm connect --discard-my-data ${res}" there, then "drbdadm connect ${res}" on the survivor`
  );
}

export function summarize(st: DrbdStatus): string {
  const conns = st.connections.map(describeConnection).join('; ');
  return `${st.role}, disk ${diskState(st)}${conns ? `, ${conns}` : ', no peers'}`;
}

/** The device node of the resource (`drbdadm sh-dev`: /dev/drbdN). */
export async function drbdDevice(ctx: AgentContext, res: string, stacked = false): Promise<{ path: string; dev: DevNum }> {
  const r = await drbdadm(ctx, ['sh-dev', res], stacked);
  if (r.exitCode !== 0) throw new AgentError(`drbdadm sh-dev ${res} failed: ${firstLine(r)}`);
  const path = r.stdout.trim().split('\n')[0] ?? '';
  const b = blockDevice(path);
  if ('error' in b) throw new AgentError(`DRBD device of ${res}: ${b.error}`);
  return { path, dev: b.dev };
}

/** `drbdadm up` when the resource is not up yet; returns its status. */
export async function ensureUp(ctx: AgentContext, res: string, stacked = false): Promise<DrbdStatus> {
  let st = await drbdStatus(ctx, res);
  if (st) return st;
  const r = await drbdadm(ctx, ['up', res], stacked);
  if (r.exitCode !== 0) throw new AgentError(`drbdadm up ${res} failed: ${firstLine(r)}`);
  for (let i = 0; i < 50 && !st; i++) {
    st = await drbdStatus(ctx, res);
    if (!st) await sleep(100);
  }
  if (!st) throw new AgentError(`drbdadm up ${res} succeeded but drbdsetup does not show the resource`);
  return st;
}

/**
 * Becomes Primary, refusing an Outdated/Inconsistent disk or a suspected split
 * brain unless `force` (then `drbdadm primary --force`).
 */
export async function promote(ctx: AgentContext, res: string, st: DrbdStatus, force: boolean, stacked = false): Promise<void> {
  if (st.role === 'Primary') return;
  const disk = diskState(st);
  const sb = splitBrainSuspects(st);
  const problems: string[] = [];
  if (disk !== 'UpToDate') problems.push(`local disk is ${disk}${disk === 'Outdated' || disk === 'Inconsistent' ? ' (a peer may hold newer data)' : ''}`);
  if (sb.length > 0) problems.push(splitBrainMessage(res, sb));
  if (problems.length > 0 && !force) {
    throw new AgentError(`refusing to make ${res} Primary: ${problems.join('; ')}; set Force=true to promote anyway (data written on the peer since would be lost)`);
  }
  if (problems.length > 0) ctx.log(`forcing ${res} Primary despite: ${problems.join('; ')}`);
  const r = await drbdadm(ctx, problems.length > 0 ? ['primary', '--force', res] : ['primary', res], stacked);
  if (r.exitCode !== 0) throw new AgentError(`drbdadm primary ${res} failed: ${firstLine(r)}`);
}

export async function demote(ctx: AgentContext, res: string, stacked = false): Promise<void> {
  const st = await drbdStatus(ctx, res);
  if (!st || st.role !== 'Primary') return;
  const r = await drbdadm(ctx, ['secondary', res], stacked);
  if (r.exitCode !== 0) throw new AgentError(`drbdadm secondary ${res} failed: ${firstLine(r)}`);
}

const RES_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function drbdResource(ctx: AgentContext): string {
  const res = attrString(ctx, 'DrbdResource', true);
  if (!RES_PATTERN.test(res)) throw new AgentError(`DrbdResource '${res}' is not a DRBD resource name`);
  return res;
}

// ---------------------------------------------------------------- the agent

const attributes: AttributeDeclaration[] = [
  { name: 'DrbdResource', kind: 'string', editable: true, required: true, description: 'Name of the DRBD resource (as in /etc/drbd.d/*.res).' },
  { name: 'MountPoint', kind: 'string', default: '', editable: true, description: 'Directory the DRBD device (/dev/drbdN) is mounted on; empty: only make the resource Primary.' },
  { name: 'FSType', kind: 'string', default: '', editable: true, description: 'File system type passed to mount -t (empty: let mount detect it).' },
  { name: 'MountOptions', kind: 'string', default: '', editable: true, description: 'Options passed to mount -o.' },
  { name: 'Force', kind: 'boolean', default: false, editable: true, description: 'Become Primary even on an Outdated/Inconsistent disk or a suspected split brain (drbdadm primary --force): data the peer wrote since is lost.' },
  { name: 'ForceUnmount', kind: 'boolean', default: false, editable: true, description: 'Offline ends the processes that keep the file system busy; false: offline fails and names them (the forced clean always ends them).' },
];

interface MirrorConfig {
  res: string;
  mountPoint: string;
  fsType: string;
  options: string;
  force: boolean;
  forceUnmount: boolean;
}

function config(ctx: AgentContext): MirrorConfig {
  const fsType = fsTypeAttr(ctx);
  const options = mountOptionsAttr(ctx);
  return {
    res: drbdResource(ctx),
    mountPoint: attrString(ctx, 'MountPoint') ? absolutePath(ctx, 'MountPoint') : '',
    fsType,
    options,
    force: attrBool(ctx, 'Force', false),
    forceUnmount: attrBool(ctx, 'ForceUnmount', false),
  };
}

async function observe(ctx: AgentContext): Promise<Observation> {
  const c = config(ctx);
  const st = await drbdStatus(ctx, c.res);
  if (!st) return { state: 'stopped', reason: `DRBD resource ${c.res} is down` };
  const sb = splitBrainSuspects(st);
  if (sb.length > 0) ctx.log(`warning: ${splitBrainMessage(c.res, sb)}`);
  const warn = sb.length > 0 ? `; ${splitBrainMessage(c.res, sb)}` : '';
  if (st.role !== 'Primary') return { state: 'stopped', reason: `${c.res} ${summarize(st)}${warn}` };
  const disk = diskState(st);
  if (disk === 'Failed' || disk === 'Diskless') {
    return { state: 'failed', reason: `${c.res} is Primary but its local disk is ${disk} (I/O error on the backing device?)` };
  }
  if (c.mountPoint) {
    const { path, dev } = await drbdDevice(ctx, c.res);
    if (!mountedHere(c.mountPoint, dev)) return { state: 'failed', reason: `${c.res} is Primary but ${path} is not mounted on ${c.mountPoint}` };
  }
  return { state: 'running', reason: `${c.res} ${summarize(st)}${c.mountPoint ? `, mounted on ${c.mountPoint}` : ''}${warn}` };
}

async function online(ctx: AgentContext): Promise<void> {
  const c = config(ctx);
  if ((await observe(ctx)).state === 'running') return;
  const st = await ensureUp(ctx, c.res);
  const wasPrimary = st.role === 'Primary';
  await promote(ctx, c.res, st, c.force);
  if (c.mountPoint) {
    const { path, dev } = await drbdDevice(ctx, c.res);
    if (!mountedHere(c.mountPoint, dev)) {
      try {
        checkMountFree({ device: path, dev, mountPoint: c.mountPoint, fsType: c.fsType, options: c.options });
        await mountFs(ctx, { device: path, dev, mountPoint: c.mountPoint, fsType: c.fsType, options: c.options });
      } catch (e) {
        if (!wasPrimary) await demote(ctx, c.res).catch(() => undefined);
        throw e;
      }
    }
  }
  const after = await observe(ctx);
  if (after.state !== 'running') throw new AgentError(`after online: ${after.reason}`);
}

async function stop(ctx: AgentContext, force: boolean, lazy: boolean): Promise<void> {
  const c = config(ctx);
  const st = await drbdStatus(ctx, c.res);
  if (!st) return;
  if (c.mountPoint) {
    const { dev } = await drbdDevice(ctx, c.res);
    await unmountFs(ctx, c.mountPoint, dev, { force, lazy });
  }
  // Stays up as Secondary so that it keeps replicating from the new Primary.
  await demote(ctx, c.res);
}

async function offline(ctx: AgentContext): Promise<void> {
  const c = config(ctx);
  await stop(ctx, c.forceUnmount, false);
  const after = await observe(ctx);
  if (after.state !== 'stopped') throw new AgentError(`still ${after.state} after offline: ${after.reason}`);
}

async function clean(ctx: AgentContext): Promise<void> {
  await stop(ctx, true, true);
}

export const mirrorDiskAgent: Agent = {
  type: 'MirrorDisk',
  attributes,
  observe,
  online,
  offline,
  clean,
};
