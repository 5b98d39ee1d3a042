// systemd services that are both enabled (start at boot) and active now:
// the candidates for a Service resource.
import type { DiscoverHost } from './host.js';
import type { ServiceUnit } from './types.js';

export async function findServices(host: DiscoverHost, notes: string[]): Promise<ServiceUnit[]> {
  const run = (args: string[]) => host.runner.run('systemctl', args, { timeoutMs: 10_000 }).catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message }));
  const active = await run(['list-units', '--type=service', '--state=active', '--no-legend', '--plain', '--no-pager']);
  const enabled = await run(['list-unit-files', '--type=service', '--state=enabled', '--no-legend', '--no-pager']);
  if (active.exitCode !== 0 || enabled.exitCode !== 0) {
    notes.push(`systemd services not listed: systemctl ${active.exitCode !== 0 ? 'list-units' : 'list-unit-files'} failed (${(active.exitCode !== 0 ? active.stderr : enabled.stderr).trim().split('\n')[0] || 'no output'})`);
    return [];
  }
  const on = new Set(enabled.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((u): u is string => Boolean(u)));
  const out: ServiceUnit[] = [];
  for (const line of active.stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    const unit = f[0];
    if (!unit || !unit.endsWith('.service') || !on.has(unit)) continue;
    out.push({ unit, description: f.slice(4).join(' '), evidence: [`systemctl list-units: ${unit} ${f[1] ?? ''} ${f[2] ?? ''} ${f[3] ?? ''}`.trim(), `systemctl list-unit-files: ${unit} enabled`] });
  }
  return out;
}
