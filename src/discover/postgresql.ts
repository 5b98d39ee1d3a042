// Running PostgreSQL clusters: each postmaster (the postgres process whose
// pid is line 1 of postmaster.pid in its data directory: the postmaster
// chdir()s to it), with port, socket directory and listen addresses from
// postmaster.pid, the version from PG_VERSION and the OS user owning it.
import { dirname, isAbsolute, join } from 'node:path';
import type { DiscoverHost } from './host.js';
import type { PostgresCluster, ProcessInfo } from './types.js';

const NAMES = new Set(['postgres', 'postmaster', 'edb-postgres']);

function dataDirOf(p: ProcessInfo): string | null {
  const i = p.args.indexOf('-D');
  const given = i >= 0 ? p.args[i + 1] : p.args.find((a) => a.startsWith('-D') && a.length > 2)?.slice(2);
  if (given) return isAbsolute(given) ? given : p.cwd ? join(p.cwd, given) : null;
  return p.cwd;
}

export function findPostgres(host: DiscoverHost, procs: ProcessInfo[]): PostgresCluster[] {
  const out: PostgresCluster[] = [];
  for (const p of procs) {
    const exeName = p.exe?.split('/').pop() ?? '';
    if (!NAMES.has(p.comm) && !NAMES.has(exeName)) continue;
    const dataDir = dataDirOf(p);
    if (!dataDir) continue;
    const pidFile = host.read(join(dataDir, 'postmaster.pid'));
    if (!pidFile) continue;
    const lines = pidFile.split('\n');
    if (Number(lines[0]) !== p.pid) continue; // a backend, or a stale file
    const version = (host.read(join(dataDir, 'PG_VERSION')) ?? '').trim();
    out.push({
      dataDir: lines[1]?.trim() || dataDir,
      port: Number(lines[3]) || 5432,
      osUser: p.user,
      version,
      pid: p.pid,
      binDir: p.exe ? dirname(p.exe) : null,
      socketDir: lines[4]?.trim() || null,
      listenAddresses: lines[5]?.trim() || null,
      evidence: [`/proc/${p.pid}: ${p.args.join(' ')} (user ${p.user})`, `${join(dataDir, 'postmaster.pid')}: pid ${p.pid}, port ${lines[3]?.trim()}`, ...(version ? [`${join(dataDir, 'PG_VERSION')}: ${version}`] : [])],
    });
  }
  return out;
}
