// Network interfaces and their addresses (`ip -j addr`, the tool the NIC
// and IP agents use), loopback left out.
import type { DiscoverHost } from './host.js';
import type { InterfaceInfo } from './types.js';

interface IpAddr {
  ifname: string;
  operstate?: string;
  flags?: string[];
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

export async function findInterfaces(host: DiscoverHost, notes: string[]): Promise<InterfaceInfo[]> {
  const r = await host.runner.run('ip', ['-j', 'addr', 'show'], { timeoutMs: 10_000 }).catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message }));
  if (r.exitCode !== 0) {
    notes.push(`interfaces not listed: ip -j addr failed (${r.stderr.trim().split('\n')[0] ?? ''})`);
    return [];
  }
  let list: IpAddr[];
  try {
    list = JSON.parse(r.stdout) as IpAddr[];
  } catch {
    notes.push('interfaces not listed: ip -j addr printed no JSON');
    return [];
  }
  return list
    .filter((i) => !(i.flags ?? []).includes('LOOPBACK'))
    .map((i) => ({
      name: i.ifname,
      state: i.operstate ?? 'UNKNOWN',
      addresses: (i.addr_info ?? []).filter((a) => a.family === 'inet' || a.family === 'inet6').map((a) => ({ address: a.local, prefix: a.prefixlen, family: a.family as 'inet' | 'inet6' })),
      evidence: [`ip -j addr: ${i.ifname} ${i.operstate ?? ''} ${(i.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).join(' ')}`.trim()],
    }));
}
