// A real Prometheus (Debian package `prometheus`) for the metrics tests: its
// own config and data directory under `dir`, listening on 127.0.0.1:port,
// scraping the engines' metrics endpoints every second; stopped by PID.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './engine-harness.js';

export const PROMETHEUS = '/usr/bin/prometheus';
export const HAS_PROMETHEUS = existsSync(PROMETHEUS);

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusRun {
  /** An instant query; throws on anything but success (a parse error included). */
  query(expr: string): Promise<PromSample[]>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

export async function startPrometheus(o: { dir: string; port: number; targets: string[]; ruleFiles?: string[] }): Promise<PrometheusRun> {
  const config = join(o.dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      ...(o.ruleFiles?.length ? ['  evaluation_interval: 1s', 'rule_files:', ...o.ruleFiles.map((f) => `  - ${f}`)] : []),
      'scrape_configs:',
      '  - job_name: mccs',
      '    static_configs:',
      `      - targets: [${o.targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const prom = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(o.dir, 'data')}`, `--web.listen-address=127.0.0.1:${o.port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  prom.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const stop = async (): Promise<void> => {
    if (prom.exitCode !== null || prom.signalCode !== null) return;
    const gone = new Promise((r) => prom.once('exit', r));
    prom.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    if (prom.exitCode === null && prom.signalCode === null) prom.kill('SIGKILL');
  };
  try {
    await waitFor(`prometheus ready (${log})`, async () => (await fetch(`http://127.0.0.1:${o.port}/-/ready`).catch(() => undefined))?.ok === true, 30_000, 200);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    async query(expr) {
      const r = await fetch(`http://127.0.0.1:${o.port}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await r.json()) as { status: string; data: { result: PromSample[] } };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${JSON.stringify(body)}`);
      return body.data.result;
    },
    stop,
  };
}
