// NIC: the link state of a network card. Monitor only: the engine never
// starts or stops it; a NIC that is down fails, and its failure is final.
//
// The link state comes from /sys/class/net/<dev>/operstate and carrier, read
// directly (no fork every interval). /sys shows the network namespace of
// the process that mounted it: `ip netns exec` remounts it, so an engine
// started that way (the test lab) sees its namespace's devices.
//
// Optional reachability: with PingAddresses, the NIC is up only if at least
// one of them answers one ping through this device within PingTimeout.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';

/** Linux interface names: at most 15 bytes, no '/', not '.' or '..' (they become /sys paths). */
export const DEVICE_PATTERN = '^(?!\\.\\.?$)[A-Za-z0-9_.:@-]{1,15}$';

export const nicAttributes: AttributeDeclaration[] = [
  { name: 'Device', kind: 'string', editable: true, required: true, pattern: DEVICE_PATTERN, description: 'Network interface watched (e.g. eth0).' },
  { name: 'PingAddresses', kind: 'string', default: '', editable: true, description: 'Comma list of addresses pinged through Device; when set, the NIC is up only if at least one answers (IPv6 link-local as addr%iface).' },
  { name: 'PingTimeout', kind: 'number', default: 1, minimum: 0.1, maximum: 60, unit: 's', editable: true, description: 'How long each ping of PingAddresses waits for its answer.' },
];

/** The Device attribute, checked as data (it becomes a path under /sys and an argument of ip/ping). */
export function deviceOf(ctx: AgentContext, hint = ''): string {
  const dev = ctx.attrs.Device;
  if (typeof dev !== 'string' || dev === '') throw new AgentError(`attribute Device is not set${hint}`);
  if (!new RegExp(DEVICE_PATTERN).test(dev)) throw new AgentError(`Device '${dev}' is not a network interface name`);
  return dev;
}

/** PingAddresses as a list of validated addresses (addr or addr%iface). */
export function pingAddresses(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (typeof raw !== 'string') throw new AgentError('PingAddresses must be a comma list of addresses');
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const a of list) {
    const [addr = '', zone] = a.split('%');
    if (isIP(addr) === 0 || (zone !== undefined && !new RegExp(DEVICE_PATTERN).test(zone))) {
      throw new AgentError(`PingAddresses: '${a}' is not an IP address`);
    }
  }
  return list;
}

async function readSys(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    // carrier cannot be read while the device is administratively down (EINVAL).
    return undefined;
  }
}

export interface LinkState {
  exists: boolean;
  up: boolean;
  /** What the operator reads: "eth0 link is down (operstate down, no carrier)". */
  detail: string;
}

/** Link state of `dev` from a /sys/class/net directory. */
export async function readLinkState(sysClassNet: string, dev: string): Promise<LinkState> {
  const operstate = await readSys(join(sysClassNet, dev, 'operstate'));
  if (operstate === undefined) return { exists: false, up: false, detail: `device ${dev} does not exist` };
  const carrier = await readSys(join(sysClassNet, dev, 'carrier'));
  // "unknown" is what drivers without operstate support (and some virtual devices) report: trust the carrier.
  const up = operstate === 'up' || (operstate === 'unknown' && carrier === '1');
  const carrierText = carrier === '1' ? 'carrier' : carrier === '0' ? 'no carrier' : 'administratively down';
  return { exists: true, up, detail: `${dev} link is ${up ? 'up' : 'down'} (operstate ${operstate}, ${carrierText})` };
}

export interface NicAgentOptions {
  /** Where to read link state (tests point this at a namespace's sysfs). Default /sys/class/net. */
  sysClassNet?: string;
}

export function createNicAgent(options: NicAgentOptions = {}): Agent {
  const sysClassNet = options.sysClassNet ?? '/sys/class/net';

  async function reachable(ctx: AgentContext, dev: string, addrs: string[]): Promise<boolean> {
    const timeout = typeof ctx.attrs.PingTimeout === 'number' ? ctx.attrs.PingTimeout : Number(ctx.attrs.PingTimeout ?? 1);
    const seconds = Number.isFinite(timeout) && timeout > 0 ? timeout : 1;
    const pings = addrs.map(async (addr) => {
      const r = await ctx.runner.run('ping', ['-n', '-q', '-c', '1', '-W', String(seconds), '-I', dev, addr], {
        timeoutMs: Math.min(seconds * 1000 + 1000, Math.max(ctx.deadline, 1)),
        signal: ctx.signal,
      });
      if (r.exitCode !== 0) throw new Error(`${addr} did not answer`);
    });
    try {
      await Promise.any(pings);
      return true;
    } catch {
      return false;
    }
  }

  return {
    type: 'NIC',
    monitorOnly: true,
    attributes: nicAttributes,

    async observe(ctx: AgentContext): Promise<Observation> {
      let dev: string;
      let addrs: string[];
      try {
        dev = deviceOf(ctx);
        addrs = pingAddresses(ctx.attrs.PingAddresses);
      } catch (err) {
        return { state: 'failed', reason: (err as Error).message };
      }
      const link = await readLinkState(sysClassNet, dev);
      if (!link.up) return { state: 'failed', reason: link.detail };
      if (addrs.length === 0) return { state: 'running', reason: link.detail };
      if (await reachable(ctx, dev, addrs)) return { state: 'running', reason: `${link.detail}; reaches ${addrs.join(', ')}` };
      return { state: 'failed', reason: `${dev} link is up but none of ${addrs.join(', ')} answers a ping within ${String(ctx.attrs.PingTimeout ?? 1)} s` };
    },

    // Monitor only: nothing to start or stop.
    async online(): Promise<void> {},
    async offline(): Promise<void> {},
    async clean(): Promise<void> {},
  };
}

export const nicAgent: Agent = createNicAgent();
