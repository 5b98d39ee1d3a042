// Oracle instances (an ora_pmon_SID process per instance, matched with
// /etc/oratab) and listeners (tnslsnr NAME processes; ORACLE_HOME is the
// directory above the listener's bin/).
import { dirname } from 'node:path';
import type { DiscoverHost } from './host.js';
import type { OracleInstance, OracleListener, ProcessInfo } from './types.js';

export function readOratab(host: DiscoverHost): Map<string, { home: string; autostart: boolean }> {
  const out = new Map<string, { home: string; autostart: boolean }>();
  for (const raw of (host.read('/etc/oratab') ?? '').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [sid, home, flag] = line.split(':');
    if (sid && home) out.set(sid, { home, autostart: (flag ?? '').trim().toUpperCase() === 'Y' });
  }
  return out;
}

function environ(host: DiscoverHost, pid: number, key: string): string | null {
  const text = host.read(`/proc/${pid}/environ`);
  const hit = text?.split('\0').find((e) => e.startsWith(`${key}=`));
  return hit ? hit.slice(key.length + 1) : null;
}

export function findOracle(host: DiscoverHost, procs: ProcessInfo[]): { instances: OracleInstance[]; listeners: OracleListener[] } {
  const oratab = readOratab(host);
  const instances: OracleInstance[] = [];
  const listeners: OracleListener[] = [];
  for (const p of procs) {
    const pmon = /^ora_pmon_(.+)$/.exec(p.args[0] ?? '') ?? /^ora_pmon_(.+)$/.exec(p.comm);
    if (pmon) {
      const sid = pmon[1]!;
      const tab = oratab.get(sid) ?? null;
      const home = environ(host, p.pid, 'ORACLE_HOME') ?? tab?.home ?? null;
      instances.push({ sid, oracleHome: home, osUser: p.user, pid: p.pid, oratab: tab, evidence: [`/proc/${p.pid}: ${p.args[0]} (user ${p.user})`, ...(tab ? [`/etc/oratab: ${sid}:${tab.home}:${tab.autostart ? 'Y' : 'N'}`] : [])] });
      continue;
    }
    const exeName = p.exe?.split('/').pop() ?? p.args[0]?.split('/').pop();
    if (exeName === 'tnslsnr') {
      const home = p.exe ? dirname(dirname(p.exe)) : environ(host, p.pid, 'ORACLE_HOME');
      listeners.push({ name: p.args[1] && !p.args[1].startsWith('-') ? p.args[1] : 'LISTENER', oracleHome: home, osUser: p.user, pid: p.pid, evidence: [`/proc/${p.pid}: ${p.args.join(' ')} (user ${p.user})`] });
    }
  }
  // Listed in oratab but not running: worth knowing, not a running instance.
  return { instances, listeners };
}
