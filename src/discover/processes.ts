// Every process of the node from /proc: pid, parent, name, executable,
// arguments, owner and working directory.
import type { DiscoverHost } from './host.js';
import { userNames } from './host.js';
import type { ProcessInfo } from './types.js';

export async function listProcesses(host: DiscoverHost): Promise<ProcessInfo[]> {
  const out: ProcessInfo[] = [];
  for (const name of host.list('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const stat = host.read(`/proc/${pid}/stat`);
    if (!stat) continue;
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') continue;
    const cmdline = host.read(`/proc/${pid}/cmdline`) ?? '';
    const args = cmdline.split('\0');
    if (args[args.length - 1] === '') args.pop();
    if (args.length === 0) continue; // kernel thread
    const uid = Number(/^Uid:\s+(\d+)/m.exec(host.read(`/proc/${pid}/status`) ?? '')?.[1] ?? -1);
    out.push({
      pid,
      ppid: Number(f[1]),
      comm,
      exe: host.link(`/proc/${pid}/exe`)?.replace(/ \(deleted\)$/, '') ?? null,
      args,
      uid,
      user: String(uid),
      cwd: host.link(`/proc/${pid}/cwd`),
    });
  }
  const users = await userNames(host, out.map((p) => p.uid));
  for (const p of out) p.user = users.get(p.uid) ?? p.user;
  return out;
}
