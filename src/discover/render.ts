// `mccs discover` for a human: one section per kind of finding, each line
// followed by its evidence.
import type { Discovery } from './types.js';

const size = (b: number | null): string => (b === null ? '?' : b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : `${Math.round(b / 2 ** 20)} MiB`);

export function renderDiscovery(d: Discovery): string {
  const out: string[] = [`What could make an HA group on ${d.host} (${d.time}):`];
  const section = (title: string, items: { line: string; evidence: string[] }[], none: string) => {
    out.push('', `${title}:`);
    if (items.length === 0) out.push(`  ${none}`);
    for (const i of items) out.push(`  ${i.line}`, ...i.evidence.map((e) => `      ↳ ${e}`));
  };
  section('PostgreSQL clusters', d.postgresql.map((p) => ({ line: `${p.dataDir}  port ${p.port}  user ${p.osUser}  version ${p.version || '?'}  (PgBinDir ${p.binDir ?? '?'})`, evidence: p.evidence })), 'none running');
  section('Oracle instances', d.oracle.instances.map((i) => ({ line: `SID ${i.sid}  user ${i.osUser}  ORACLE_HOME ${i.oracleHome ?? '?'}`, evidence: i.evidence })), 'none running');
  section('Oracle listeners', d.oracle.listeners.map((l) => ({ line: `${l.name}  user ${l.osUser}  ORACLE_HOME ${l.oracleHome ?? '?'}`, evidence: l.evidence })), 'none running');
  section('File systems on block devices (not the root disk)', d.fileSystems.map((f) => ({ line: `${f.device}  ${f.fsType}  on ${f.mountPoint}  ${size(f.sizeBytes)} (${size(f.freeBytes)} free)`, evidence: f.evidence })), 'none');
  section('TCP listeners', d.listeners.map((l) => ({ line: `${l.address}:${l.port}  ${l.exe ?? '?'} ${l.args.slice(1).join(' ')}  (pid ${l.pid ?? '?'}, user ${l.user ?? '?'})`, evidence: l.evidence })), 'none');
  section('systemd services (enabled and active)', d.services.map((s) => ({ line: `${s.unit}  ${s.description}`, evidence: s.evidence })), 'none');
  section('Interfaces', d.interfaces.map((i) => ({ line: `${i.name}  ${i.state}  ${i.addresses.map((a) => `${a.address}/${a.prefix}`).join(' ')}`, evidence: i.evidence })), 'none');
  if (d.notes.length) out.push('', 'Not looked at:', ...d.notes.map((n) => `  ${n}`));
  out.push('', 'Next: mccs discover --propose GROUP [--vip ADDRESS/PREFIX] prints a group for main.json; --apply adds it (dry run first).');
  return out.join('\n');
}
