// Metrics (issue 14): a real Prometheus (Debian package `prometheus`, its
// own config and data dir, on 127.0.0.1) scrapes two engines (node1 on
// 127.0.0.1, node2 on 127.0.0.2). A critical application fails for good on
// node1, the group fails over to node2, and Prometheus's queries show it:
// the group ONLINE on node2 in both engines' series, one failover counted
// with its reason code, the fault counted, the links and config agreement.
// The shipped alerting rules pass promtool and are loaded by this Prometheus.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, waitFor } from '../helpers/engine-harness.js';
import { HAS_PROMETHEUS, startPrometheus, type PrometheusRun } from '../helpers/prometheus.js';
import { pairConfig, startPair, type Pair } from '../helpers/loopback-pair.js';

const HAVE = HAS_PROMETHEUS;
if (!HAVE) console.log('metrics-prometheus.test: skipped: /usr/bin/prometheus is missing (apt-get install prometheus; scripts/debian-packages.txt)');

const base = 26000 + (process.pid % 500) * 8;
const HB_PORT = base;
const METRICS_PORT = base + 5;
const PROM_PORT = base + 6;

describe.skipIf(!HAVE)('Prometheus scrapes two engines across a failover', () => {
  let pair: Pair;
  let prom: PrometheusRun | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mccs-prom-'));

  beforeAll(async () => {
    const config = pairConfig({
      hbPort: HB_PORT,
      groups: ['web', 'db'],
      cluster: { MetricsPort: METRICS_PORT },
      nodes: { node1: { MetricsAddress: '127.0.0.1' }, node2: { MetricsAddress: '127.0.0.2' } },
    });
    // db stays on node1 the whole time (a second group in the series).
    pair = await startPair(config);
    await pair.waitGroup('web', 'node1', 'ONLINE');
    prom = await startPrometheus({ dir, port: PROM_PORT, targets: [`127.0.0.1:${METRICS_PORT}`, `127.0.0.2:${METRICS_PORT}`], ruleFiles: [join(ROOT, 'contrib/prometheus/mccs-alerts.yml')] });
  }, 90_000);

  afterAll(async () => {
    await prom?.stop();
    await pair?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the shipped alerting rules are valid (promtool)', () => {
    const r = spawnSync('/usr/bin/promtool', ['check', 'rules', join(ROOT, 'contrib/prometheus/mccs-alerts.yml')], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('every query of the shipped Grafana dashboard is valid PromQL for this Prometheus', async () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'contrib/grafana/mccs-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr.replace(/\$cluster/g, '.*')));
    expect(exprs.length).toBeGreaterThan(10);
    for (const e of exprs) await prom!.query(e); // throws on a parse error
  });

  it('both engines are scraped and report the group, the links and the configuration', async () => {
    await waitFor('both targets up', async () => (await prom!.query('up{job="mccs"} == 1')).length === 2, 20_000, 500);
    const web = await waitFor('web ONLINE on node1 in both engines', async () => {
      const r = await prom!.query('mccs_group_state{group="web",node="node1",state="ONLINE"} == 1');
      return r.length === 2 ? r : false;
    }, 20_000, 500);
    expect(web.map((s) => s.metric.instance_node).sort()).toEqual(['node1', 'node2']);
    const links = await waitFor('primary links up', async () => {
      const r = await prom!.query('mccs_heartbeat_link_up{link="PRIMARY"} == 1');
      return r.length === 2 ? r : false;
    }, 20_000, 500);
    expect(links.map((s) => `${s.metric.instance_node}->${s.metric.peer}`).sort()).toEqual(['node1->node2', 'node2->node1']);
    const rtt = await waitFor('link RTT from ICMP', async () => {
      const r = await prom!.query('mccs_heartbeat_link_rtt_seconds');
      return r.length === 2 ? r : false;
    }, 20_000, 500);
    for (const s of rtt) expect(Number(s.value[1])).toBeGreaterThan(0);
    const loss = await prom!.query('mccs_heartbeat_link_loss_ratio');
    expect(loss.length).toBe(2);
    for (const s of loss) expect(Number(s.value[1])).toBeLessThan(0.5);
    expect((await prom!.query('mccs_config_agreement == 1')).length).toBe(2);
    expect((await prom!.query('mccs_node_state{state="RUNNING"} == 1')).length).toBe(4);
    const monitors = await prom!.query('sum by (type) (mccs_monitor_duration_seconds_count)');
    expect(monitors.find((s) => s.metric.type === 'Application')).toBeTruthy();
  }, 60_000);

  it('after a critical failure on node1 a query for the failed-over group shows it on node2, with the failover and the fault counted', async () => {
    pair.breakApp('node1', 'web');
    await pair.waitGroup('web', 'node2', 'ONLINE');
    const online = await waitFor('web ONLINE on node2 in Prometheus', async () => {
      const r = await prom!.query('mccs_group_state{group="web",node="node2",state="ONLINE"} == 1');
      return r.length === 2 ? r : false;
    }, 20_000, 500);
    expect(online.map((s) => s.metric.instance_node).sort()).toEqual(['node1', 'node2']);
    const failovers = await waitFor('the failover counted', async () => {
      const r = await prom!.query('sum by (group, from, reason) (mccs_failovers_total{group="web"}) > 0');
      return r.length > 0 ? r : false;
    }, 20_000, 500);
    expect(failovers).toHaveLength(1);
    expect(failovers[0]!.metric).toMatchObject({ group: 'web', from: 'node1', reason: 'FAILOVER' });
    expect(Number(failovers[0]!.value[1])).toBe(1);
    const faults = await waitFor('the fault counted', async () => {
      const r = await prom!.query('sum by (resource, node, reason) (mccs_resource_faults_total{group="web"}) > 0');
      return r.length > 0 ? r : false;
    }, 20_000, 500);
    expect(faults[0]!.metric).toMatchObject({ resource: 'web-app', node: 'node1' });
    // The rule expression of MccsGroupFaulted sees web FAULTED on node1; db never moved.
    expect((await prom!.query('max by (group, node) (mccs_group_state{state="FAULTED"}) == 1')).map((s) => `${s.metric.group}@${s.metric.node}`)).toEqual(['web@node1']);
    expect((await prom!.query('mccs_group_state{group="db",node="node1",state="ONLINE"} == 1')).length).toBe(2);
    const decisions = await prom!.query('sum by (code) (mccs_decision_duration_seconds_count)');
    expect(decisions.map((s) => s.metric.code)).toContain('FAILOVER');
  }, 60_000);
});
