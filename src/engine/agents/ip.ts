// IP: a virtual IPv4 or IPv6 address on the device of a NIC resource.
//
// Device: the engine resolves it from the NIC resource named by NICResName
// and passes it as attrs.Device (resolve-attributes.ts); the IP resource
// itself has no Device attribute.
//
// online: refuse an address someone else already answers for (IPv4: an
// RFC 5227 probe, `arping -0`; IPv6: a neighbour solicitation, `ndisc6`),
// add it (`ip addr add`, IPv6 with nodad so it is usable at once), then
// announce it so neighbours drop the old holder's MAC at once (IPv4:
// gratuitous ARP, `arping -U`; IPv6: unsolicited neighbour advertisements
// to all nodes with the override flag, sent by a few lines of perl on a raw
// ICMPv6 socket, since Debian's ndisc6 has no sender of unsolicited NA).
// The announcement is best effort: a failure is logged, not fatal.
// observe: `ip -j addr show dev DEV` (JSON, no text parsing).
// offline: `ip addr del`; clean: the same, ignoring errors.
//
// arping is Thomas Habets' arping (Debian/Ubuntu package `arping`); the
// iputils arping (RHEL's default) is recognised and driven with its flags.
import { isIP } from 'node:net';
import type { AttributeDeclaration } from '../../model/attributes.js';
import type { RunResult } from '../runner.js';
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';
import { deviceOf } from './nic.js';

export const ipAttributes: AttributeDeclaration[] = [
  { name: 'NICResName', kind: 'string', editable: true, required: true, description: 'The NIC resource (same group) whose Device carries the address.' },
  { name: 'Address', kind: 'string', editable: true, required: true, description: 'The virtual IPv4 or IPv6 address.' },
  { name: 'Prefix', kind: 'integer', minimum: 0, maximum: 128, editable: true, description: 'Prefix length of Address (default: 24 for IPv4, 64 for IPv6).' },
  { name: 'ArpCount', kind: 'integer', default: 3, minimum: 0, maximum: 100, editable: true, description: 'Gratuitous ARPs (IPv4) or unsolicited neighbour advertisements (IPv6) sent in the background right after the address is added. 0 = none.' },
  { name: 'DuplicateCheckTimeout', kind: 'number', default: 0.1, minimum: 0, maximum: 10, unit: 's', editable: true, description: 'How long online waits for another host answering for Address before taking it. 0 = no check (faster takeover, no protection against a duplicate).', ours: 'Not in MCCS.' },
];

/** Gap between two announcements. */
const ANNOUNCE_GAP_S = 0.05;

interface IpConfig {
  address: string;
  family: 4 | 6;
  prefix: number;
  dev: string;
  arpCount: number;
  dupCheckS: number;
}

function config(ctx: AgentContext): IpConfig {
  const address = ctx.attrs.Address;
  if (typeof address !== 'string') throw new AgentError('attribute Address is not set');
  const family = isIP(address);
  if (family !== 4 && family !== 6) throw new AgentError(`Address '${address}' is not an IPv4 or IPv6 address`);
  const max = family === 4 ? 32 : 128;
  const rawPrefix = ctx.attrs.Prefix ?? (family === 4 ? 24 : 64);
  const prefix = typeof rawPrefix === 'string' && /^\d+$/.test(rawPrefix) ? Number(rawPrefix) : rawPrefix;
  if (typeof prefix !== 'number' || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new AgentError(`Prefix '${String(rawPrefix)}' is not a prefix length of an IPv${family} address (0-${max})`);
  }
  const nic = typeof ctx.attrs.NICResName === 'string' ? ` (the engine resolves it from NIC resource '${ctx.attrs.NICResName}')` : '';
  const dev = deviceOf(ctx, nic);
  const arpCount = Number(ctx.attrs.ArpCount ?? 3);
  const dupCheckS = Number(ctx.attrs.DuplicateCheckTimeout ?? 0.1);
  return {
    address: canonical(address, family),
    family,
    prefix,
    dev,
    arpCount: Number.isInteger(arpCount) && arpCount >= 0 ? Math.min(arpCount, 100) : 3,
    dupCheckS: Number.isFinite(dupCheckS) && dupCheckS >= 0 ? Math.min(dupCheckS, 10) : 0.1,
  };
}

/** The form `ip -j` prints: IPv6 lower-case and compressed ("FD00:213:0::0100" → "fd00:213::100"). */
export function canonical(address: string, family: 4 | 6): string {
  if (family === 4) return address;
  // The URL parser compresses IPv6 exactly as inet_ntop does (RFC 5952).
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

interface AddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
  tentative?: boolean;
  dadfailed?: boolean;
}

type Present = { exists: false; reason: string } | { exists: true; addr?: AddrInfo };

function run(ctx: AgentContext, command: string, args: string[], timeoutMs = 5000): Promise<RunResult> {
  return ctx.runner.run(command, args, { timeoutMs: Math.max(1, Math.min(timeoutMs, ctx.deadline)), signal: ctx.signal });
}

const firstLine = (s: string): string => s.trim().split('\n')[0] ?? '';

/** Whether the device exists and carries the address. */
async function lookup(ctx: AgentContext, c: IpConfig): Promise<Present> {
  const r = await run(ctx, 'ip', ['-j', 'addr', 'show', 'dev', c.dev]);
  if (r.exitCode !== 0) {
    if (/does not exist|cannot find device/i.test(r.stderr)) return { exists: false, reason: `device ${c.dev} does not exist` };
    throw new AgentError(`ip addr show dev ${c.dev}: ${firstLine(r.stderr) || `exit ${r.exitCode}`}`);
  }
  let shown: { addr_info?: AddrInfo[] }[];
  try {
    shown = JSON.parse(r.stdout || '[]') as { addr_info?: AddrInfo[] }[];
  } catch {
    throw new AgentError(`ip -j addr show dev ${c.dev}: output is not JSON`);
  }
  const addr = (shown[0]?.addr_info ?? []).find((a) => a.local === c.address);
  return { exists: true, addr };
}

function observation(c: IpConfig, p: Present): Observation {
  if (!p.exists) return { state: 'failed', reason: p.reason };
  if (!p.addr) return { state: 'stopped', reason: `${c.address} is not on ${c.dev}` };
  if (p.addr.dadfailed) return { state: 'failed', reason: `${c.address} on ${c.dev}: the kernel found a duplicate address (dadfailed)` };
  const other = p.addr.prefixlen !== undefined && p.addr.prefixlen !== c.prefix ? ` (prefix /${p.addr.prefixlen}, configured /${c.prefix})` : '';
  return { state: 'running', reason: `${c.address}/${p.addr.prefixlen ?? c.prefix} is on ${c.dev}${other}` };
}

let arpingFlavour: Promise<'habets' | 'iputils'> | undefined;

/** Which arping is installed (their flags differ); asked once per engine. */
function flavour(ctx: AgentContext): Promise<'habets' | 'iputils'> {
  arpingFlavour ??= run(ctx, 'arping', ['--help'], 2000).then(
    (r) => (/habets/i.test(r.stdout + r.stderr) ? 'habets' : 'iputils'),
    (err: unknown) => {
      arpingFlavour = undefined;
      throw err;
    },
  );
  return arpingFlavour;
}

/** The MAC address of another host answering for the address, or undefined. */
async function otherHolder(ctx: AgentContext, c: IpConfig): Promise<string | undefined> {
  const waitS = c.dupCheckS;
  if (c.family === 6) {
    // ndisc6: 0 = answered (prints the MAC with -q), 2 = no answer, else an error.
    const waitMs = Math.max(10, Math.round((waitS * 1000) / 2));
    const r = await run(ctx, 'ndisc6', ['-1', '-q', '-n', '-r', '2', '-w', String(waitMs), c.address, c.dev], waitS * 1000 + 2000);
    if (r.exitCode === 0) return firstLine(r.stdout) || 'an unknown MAC';
    if (r.exitCode === 2) return undefined;
    throw new AgentError(`duplicate-address check of ${c.address} failed: ndisc6: ${firstLine(r.stderr) || `exit ${r.exitCode}`}`);
  }
  const kind = await flavour(ctx);
  if (kind === 'habets') {
    // Probe from 0.0.0.0 (RFC 5227); 0 = someone answered (-r prints its MAC), 1 = nobody, or an error on stderr.
    const r = await run(ctx, 'arping', ['-0', '-r', '-C', '1', '-c', '2', '-W', String(waitS / 2), '-w', String(waitS), '-i', c.dev, c.address], waitS * 1000 + 2000);
    if (r.exitCode === 0) return firstLine(r.stdout) || 'an unknown MAC';
    if (r.exitCode === 1 && r.stderr.trim() === '') return undefined;
    throw new AgentError(`duplicate-address check of ${c.address} failed: arping: ${firstLine(r.stderr) || `exit ${r.exitCode}`}`);
  }
  // iputils: -D is duplicate address detection: 0 = nobody answered, 1 = answered ("... [MAC] ...").
  const r = await run(ctx, 'arping', ['-D', '-c', '2', '-w', String(Math.max(1, Math.ceil(waitS))), '-I', c.dev, c.address], waitS * 1000 + 3000);
  if (r.exitCode === 0) return undefined;
  const mac = /\[([0-9a-f:]{17})\]/i.exec(r.stdout)?.[1];
  if (r.exitCode === 1 && mac) return mac;
  throw new AgentError(`duplicate-address check of ${c.address} failed: arping: ${firstLine(r.stderr) || firstLine(r.stdout) || `exit ${r.exitCode}`}`);
}

// Unsolicited neighbour advertisement (RFC 4861 §7.2.6) to ff02::1, override
// flag set, with the target link-layer address option; the kernel fills in
// the ICMPv6 checksum on raw sockets. Arguments: address device count gap.
const SEND_NA = `use strict; use Socket qw(:all);
my ($addr, $dev, $count, $gap) = @ARGV;
my $ip = inet_pton(AF_INET6, $addr) or die "bad address $addr\\n";
sub rd { open(my $f, '<', $_[0]) or die "device $dev: $!\\n"; my $v = <$f>; chomp $v; $v }
my $mac = rd("/sys/class/net/$dev/address"); my $ifi = rd("/sys/class/net/$dev/ifindex");
socket(my $s, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6) or die "socket: $!\\n";
setsockopt($s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, pack('i', 255)) or die "hop limit: $!\\n";
setsockopt($s, IPPROTO_IPV6, IPV6_MULTICAST_IF, pack('i', $ifi)) or die "multicast interface: $!\\n";
bind($s, pack_sockaddr_in6(0, $ip)) or die "bind $addr: $!\\n";
my $na = pack('CCnN', 136, 0, 0, 0x20000000) . $ip . pack('CC', 2, 1) . pack('H12', join('', split(/:/, $mac)));
my $dst = pack_sockaddr_in6(0, inet_pton(AF_INET6, 'ff02::1'), $ifi);
for my $i (1 .. $count) { send($s, $na, 0, $dst) or die "send: $!\\n"; select(undef, undef, undef, $gap) if $i < $count; }`;

/** Tells the neighbours the address now lives here. Best effort: logs a failure, never throws. */
async function announce(ctx: AgentContext, c: IpConfig): Promise<void> {
  if (c.arpCount === 0) return;
  const budget = c.arpCount * ANNOUNCE_GAP_S * 1000 + 3000;
  try {
    let r: RunResult;
    if (c.family === 6) {
      r = await run(ctx, 'perl', ['-e', SEND_NA, c.address, c.dev, String(c.arpCount), String(ANNOUNCE_GAP_S)], budget);
    } else if ((await flavour(ctx)) === 'habets') {
      // Exit 1 is normal here: nobody replies to a gratuitous ARP.
      // A single announcement need not wait for the (never coming) reply: -w 0.
      const single = c.arpCount === 1 ? ['-w', '0'] : [];
      r = await run(ctx, 'arping', ['-U', '-c', String(c.arpCount), '-W', String(ANNOUNCE_GAP_S), ...single, '-i', c.dev, '-S', c.address, c.address], budget);
      if (r.exitCode === 1 && r.stderr.trim() === '') return;
    } else {
      r = await run(ctx, 'arping', ['-U', '-c', String(c.arpCount), '-I', c.dev, c.address], c.arpCount * 1000 + 3000);
    }
    if (r.exitCode !== 0) ctx.log(`${c.address}: announcement to neighbours failed: ${firstLine(r.stderr) || `exit ${r.exitCode}`}`);
  } catch (err) {
    ctx.log(`${c.address}: announcement to neighbours failed: ${(err as Error).message}`);
  }
}

/**
 * The announcements after the first go out in the background; they stop the
 * moment the address is taken down, or this node would keep claiming an
 * address another node now holds.
 */
const announcing = new Map<string, AbortController>();

function announceLater(ctx: AgentContext, c: IpConfig): void {
  const key = `${c.dev}/${c.address}`;
  announcing.get(key)?.abort();
  const controller = new AbortController();
  announcing.set(key, controller);
  const own: AgentContext = { ...ctx, signal: controller.signal, deadline: c.arpCount * ANNOUNCE_GAP_S * 1000 + 3000 };
  void announce(own, c).finally(() => {
    if (announcing.get(key) === controller) announcing.delete(key);
  });
}

function stopAnnouncing(c: IpConfig): void {
  const key = `${c.dev}/${c.address}`;
  announcing.get(key)?.abort();
  announcing.delete(key);
}

async function removeAddress(ctx: AgentContext, c: IpConfig, prefixlen: number): Promise<RunResult> {
  return run(ctx, 'ip', ['addr', 'del', `${c.address}/${prefixlen}`, 'dev', c.dev]);
}

export const ipAgent: Agent = {
  type: 'IP',
  attributes: ipAttributes,

  async observe(ctx: AgentContext): Promise<Observation> {
    let c: IpConfig;
    try {
      c = config(ctx);
    } catch (err) {
      return { state: 'failed', reason: (err as Error).message };
    }
    // Which arping is installed is learnt here, off the takeover's path (online needs it for the duplicate check).
    if (c.family === 4 && (c.dupCheckS > 0 || c.arpCount > 0)) void flavour(ctx).catch(() => undefined);
    return observation(c, await lookup(ctx, c));
  },

  async online(ctx: AgentContext): Promise<void> {
    const c = config(ctx);
    // The duplicate-address check (the longest part: DuplicateCheckTimeout plus the tool's start) runs while
    // the address table is read; it only reads the network, and its answer is used only if the address is to be added.
    const checking = new AbortController();
    const abort = (): void => checking.abort();
    ctx.signal.addEventListener('abort', abort, { once: true });
    const check = c.dupCheckS > 0 ? otherHolder({ ...ctx, signal: checking.signal }, c).then((holder) => ({ holder }), (error: unknown) => ({ error })) : undefined;
    try {
      const before = observation(c, await lookup(ctx, c));
      if (before.state === 'running') return;
      if (before.state === 'failed') throw new AgentError(before.reason);
      const found = await check;
      if (found && 'error' in found) throw found.error;
      if (found?.holder) throw new AgentError(`address ${c.address} is already answered by ${found.holder}`);
    } finally {
      checking.abort();
      ctx.signal.removeEventListener('abort', abort);
    }
    const args = ['addr', 'add', `${c.address}/${c.prefix}`, 'dev', c.dev];
    if (c.family === 6) args.push('nodad');
    const r = await run(ctx, 'ip', args);
    // "File exists": it appeared meanwhile; the observation below decides.
    if (r.exitCode !== 0 && !/exists|already assigned/i.test(r.stderr)) {
      throw new AgentError(`ip addr add ${c.address}/${c.prefix} dev ${c.dev}: ${firstLine(r.stderr) || `exit ${r.exitCode}`}`);
    }
    // The announcements go out in the background, while the engine goes on
    // with the resources above (a service starts as the neighbours learn the
    // new address); the engine's monitor after online confirms the address.
    if (c.arpCount > 0) announceLater(ctx, c);
  },

  async offline(ctx: AgentContext): Promise<void> {
    const c = config(ctx);
    stopAnnouncing(c);
    const p = await lookup(ctx, c);
    // No device, no address on it: nothing to take down.
    if (!p.exists || !p.addr) return;
    const r = await removeAddress(ctx, c, p.addr.prefixlen ?? c.prefix);
    if (r.exitCode !== 0 && !/cannot assign requested address/i.test(r.stderr)) {
      throw new AgentError(`ip addr del ${c.address} dev ${c.dev}: ${firstLine(r.stderr) || `exit ${r.exitCode}`}`);
    }
    const after = observation(c, await lookup(ctx, c));
    if (after.state === 'running') throw new AgentError(`${c.address} is still on ${c.dev} after ip addr del`);
  },

  async clean(ctx: AgentContext): Promise<void> {
    const c = config(ctx);
    stopAnnouncing(c);
    const p = await lookup(ctx, c).catch(() => undefined);
    if (p && (!p.exists || !p.addr)) return;
    await removeAddress(ctx, c, p?.exists ? p.addr?.prefixlen ?? c.prefix : c.prefix).catch(() => undefined);
  },
};
