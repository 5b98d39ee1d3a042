// Processes listening on TCP ports, from /proc/net/tcp{,6} (state 0A =
// LISTEN) and the socket inodes in /proc/PID/fd: address, port, and the
// executable, arguments, user and directory of the process that holds it.
import type { DiscoverHost } from './host.js';
import type { ProcessInfo, TcpListener } from './types.js';

const LISTEN = '0A';

/** "0100007F" → 127.0.0.1; IPv6: four little-endian 32-bit words. */
export function decodeAddress(hex: string): string {
  const word = (h: string) => h.match(/../g)!.reverse().join('');
  if (hex.length === 8) return word(hex).match(/../g)!.map((b) => parseInt(b, 16)).join('.');
  const full = [0, 8, 16, 24].map((i) => word(hex.slice(i, i + 8))).join('');
  const groups = full.match(/..../g)!.map((g) => parseInt(g, 16).toString(16));
  // RFC 5952: the longest run of two or more zero groups becomes "::".
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.len < 2) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

export function parseProcNetTcp(text: string): { address: string; port: number; inode: number }[] {
  const out: { address: string; port: number; inode: number }[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== LISTEN) continue;
    const [addr, port] = f[1]!.split(':');
    out.push({ address: decodeAddress(addr!), port: parseInt(port!, 16), inode: Number(f[9]) });
  }
  return out;
}

export function findListeners(host: DiscoverHost, procs: ProcessInfo[]): TcpListener[] {
  const sockets = [...parseProcNetTcp(host.read('/proc/net/tcp') ?? ''), ...parseProcNetTcp(host.read('/proc/net/tcp6') ?? '')];
  const owner = new Map<number, ProcessInfo>();
  const wanted = new Set(sockets.map((s) => s.inode));
  for (const p of procs) {
    for (const fd of host.list(`/proc/${p.pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(host.link(`/proc/${p.pid}/fd/${fd}`) ?? '');
      if (m && wanted.has(Number(m[1])) && !owner.has(Number(m[1]))) owner.set(Number(m[1]), p);
    }
  }
  const seen = new Set<string>();
  const out: TcpListener[] = [];
  for (const s of sockets.sort((a, b) => a.port - b.port)) {
    const p = owner.get(s.inode);
    const key = `${s.address}|${s.port}|${p?.pid ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      address: s.address,
      port: s.port,
      pid: p?.pid ?? null,
      exe: p?.exe ?? null,
      args: p?.args ?? [],
      user: p?.user ?? null,
      cwd: p?.cwd ?? null,
      evidence: [`/proc/net/tcp${s.address.includes(':') ? '6' : ''}: ${s.address}:${s.port} LISTEN (socket inode ${s.inode})`, ...(p ? [`/proc/${p.pid}/fd: socket:[${s.inode}] of ${p.exe ?? p.comm} (user ${p.user})`] : ['owner not visible (another user\'s process without root, or another PID namespace)'])],
    });
  }
  return out;
}
