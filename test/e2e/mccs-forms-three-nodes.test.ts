// MCCS-syntax commands and the Prometheus metrics on a three-node cluster
// (issue 16): three real engines on 127.0.0.141-143 with an etcd witness
// (etcd 3.4 on 127.0.0.1), Capacity 100/60/50, web (Load 40) and db (Load 30).
// An operator's old scripts run as the real bins, in the single-dash forms of
// the MCCS manual, and see node3 like the other two: `mcnode -list`,
// `mcnode -list -n node3` (Capacity, LoadInUse, AvailableCapacity),
// `mcgrp -switch -g web -n node3`, `mcgrp -list`, `mcgrp -state`,
// `mcres -state`, `mcgrp -switch` refused for want of room (exit 5,
// NO_CAPACITY), `mcnode -modify -n node3 -a Capacity 100`, `mcnode
// -evacuate -n node3`, `mccluster -status`. A real Prometheus scrapes the
// three engines: every engine reports every node's state, links to both of
// its peers, and the Load/Capacity gauges follow the switch.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MainConfig } from '../../src/model/types.js';
import { runCli, type CliRun } from '../helpers/cli-run.js';
import { ConsoleLab, flagResource, flagScript } from '../helpers/console-lab.js';
import { waitFor } from '../helpers/engine-harness.js';
import { startLocalEtcd, type LocalEtcd } from '../helpers/local-etcd.mjs';
import { HAS_PROMETHEUS, startPrometheus, type PrometheusRun } from '../helpers/prometheus.js';

const HAS_ETCD = existsSync('/usr/bin/etcd');
if (!HAS_ETCD) console.log('mccs-forms-three-nodes.test: skipped: no /usr/bin/etcd (apt-get install etcd-server etcd-client; scripts/debian-packages.txt)');
if (!HAS_PROMETHEUS) console.log('mccs-forms-three-nodes.test: the Prometheus part is skipped: /usr/bin/prometheus is missing (apt-get install prometheus)');

const HB_PORT = 29541;
const METRICS_PORT = 29545;
const PROM_PORT = 29546;
const NODES = ['node1', 'node2', 'node3'];
const ADDRESS: Record<string, string> = { node1: '127.0.0.141', node2: '127.0.0.142', node3: '127.0.0.143' };

describe.skipIf(!HAS_ETCD)('MCCS-syntax commands and metrics on a three-node cluster', () => {
  let lab: ConsoleLab;
  let etcd: LocalEtcd;
  let prom: PrometheusRun | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mccs-forms3-'));

  /** The bin as an operator's script runs it on `on` (local root: no password), in MCCS form. */
  const mc = async (on: string, bin: string, line: string, json = true): Promise<CliRun> => {
    const r = await runCli(bin, [...line.split(' '), ...(json ? ['--json'] : [])], { env: { MCCS_HOME: lab.node(on).engine.home, HOME: dir, MCCS_CREDENTIALS: join(dir, 'none.json') } });
    if (json && !r.json) throw new Error(`${bin} ${line} on ${on}: not one JSON envelope: ${r.stdout} ${r.stderr}`);
    return r;
  };
  const ok = async (on: string, bin: string, line: string) => {
    const r = await mc(on, bin, line);
    expect(r.code, `${bin} ${line}: ${r.stdout} ${r.stderr}`).toBe(0);
    return r.json!.result;
  };
  const groupStates = async (on: string, group: string) => {
    const rows = (await ok(on, 'mcgrp', `-state -g ${group}`)) as { node: string; state: string }[];
    return Object.fromEntries(rows.map((r) => [r.node, r.state]));
  };
  const nodeAttrs = async (on: string, node: string) => {
    const rows = (await ok(on, 'mcnode', `-list -n ${node}`)) as { NodeName: string; state: string; attributes: Record<string, unknown> }[];
    expect(rows.map((r) => r.NodeName)).toEqual([node]);
    return rows[0]!.attributes;
  };

  beforeAll(async () => {
    etcd = await startLocalEtcd();
    lab = await ConsoleLab.create({
      hbPort: HB_PORT,
      consolePort: 0,
      base: 140,
      nodes: 3,
      consoles: false,
      config: (l) => {
        const flag = flagScript(l.work);
        // AutoStartNode: each node decides AutoStart when its own probe ends, perhaps before it hears the others RUNNING.
        const grp = (name: string, nodeList: string[], load: number) => ({ GroupName: name, GroupType: 'FAILOVER', NodeList: nodeList, AutoStart: true, AutoStartNode: nodeList[0], Load: load, Resources: [flagResource(flag, `${name}-app`, { Critical: true })] });
        return {
          ConfigVersion: 1,
          Cluster: { ClusterName: 'forms3', HBPort: HB_PORT, MetricsPort: METRICS_PORT, WitnessType: 'etcd', WitnessEndpoints: etcd.endpoint, WitnessPrefix: `/mccs-forms3/${process.pid}` },
          Nodes: NODES.map((n, i) => ({ NodeName: n, PrimaryHB: ADDRESS[n], IsolationTestAddresses: ADDRESS[n], MetricsAddress: ADDRESS[n], Capacity: [100, 60, 50][i] })),
          Groups: [grp('web', ['node1', 'node2', 'node3'], 40), grp('db', ['node2', 'node3', 'node1'], 30)],
        } as MainConfig;
      },
    });
    await lab.waitRunning();
    let seen = {};
    await waitFor('web ONLINE on node1 and db on node2, as node3 sees them', async () => {
      seen = { web: await groupStates('node3', 'web'), db: await groupStates('node3', 'db') };
      return (seen as { web: Record<string, string> }).web.node1 === 'ONLINE' && (seen as { db: Record<string, string> }).db.node2 === 'ONLINE';
    }, 60_000, 500).catch((e: Error) => {
      throw new Error(`${e.message}: last seen ${JSON.stringify(seen)}`);
    });
    if (HAS_PROMETHEUS) {
      prom = await startPrometheus({ dir, port: PROM_PORT, targets: NODES.map((n) => `${ADDRESS[n]}:${METRICS_PORT}`) });
    }
  }, 180_000);

  afterAll(async () => {
    await prom?.stop();
    await lab?.destroy();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('mcnode -list shows the three nodes RUNNING, in JSON and in the table (with each node\'s load); mcnode -list -n node3 its Capacity, LoadInUse and AvailableCapacity', async () => {
    for (const viewer of NODES) {
      const rows = (await ok(viewer, 'mcnode', '-list')) as { NodeName: string; state: string }[];
      expect(rows.map((r) => `${r.NodeName}:${r.state}`), `as ${viewer} sees it`).toEqual(['node1:RUNNING', 'node2:RUNNING', 'node3:RUNNING']);
    }
    const table = await mc('node1', 'mcnode', '-list', false);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NODE\s+STATE\s+PRIMARYHB\s+SECONDARYHB\s+LOAD$/m);
    expect(table.stdout).toMatch(/^node1\s+RUNNING\s+127\.0\.0\.141 UP\s+\S*.*\s40\/100$/m);
    expect(table.stdout).toMatch(/^node3\s+RUNNING\s+127\.0\.0\.143 UP\s+.*\s0\/50$/m);
    expect(await nodeAttrs('node1', 'node3')).toMatchObject({ NodeName: 'node3', NodeState: 'RUNNING', Capacity: 50, LoadInUse: 0, AvailableCapacity: 50, PrimaryHBStatus: 'UP' });
    const text = await mc('node2', 'mcnode', '-list -n node3', false);
    expect(text.stdout).toMatch(/^LoadInUse\s+0$/m);
    expect(text.stdout).toMatch(/^AvailableCapacity\s+50$/m);
  }, 60_000);

  it('mcgrp -switch -g web -n node3 moves web to the third node; mcgrp -list, mcgrp -state and mcres -state show it there on every node', async () => {
    const r = await mc('node1', 'mcgrp', '-switch -g web -n node3 --wait --timeout 60');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json!.changed).toBe(true);
    for (const viewer of NODES) {
      await waitFor(`web ONLINE on node3 as ${viewer} sees it`, async () => (await groupStates(viewer, 'web')).node3 === 'ONLINE', 20_000, 300);
      expect(await groupStates(viewer, 'web')).toEqual({ node1: 'OFFLINE', node2: 'OFFLINE', node3: 'ONLINE' });
    }
    const list = (await ok('node2', 'mcgrp', '-list')) as { GroupName: string; states: Record<string, string> }[];
    expect(list.find((g) => g.GroupName === 'web')?.states).toEqual({ node1: 'OFFLINE', node2: 'OFFLINE', node3: 'ONLINE' });
    const listText = await mc('node2', 'mcgrp', '-list', false);
    expect(listText.stdout).toMatch(/^web\s+FAILOVER\s+node1,node2,node3\s+node1:OFFLINE node2:OFFLINE node3:ONLINE\s/m);
    const res = (await ok('node3', 'mcres', '-state -g web')) as { ResName: string; node: string; state: string }[];
    expect(res.filter((x) => x.ResName === 'web-app').map((x) => `${x.node}:${x.state}`)).toEqual(['node1:OFFLINE', 'node2:OFFLINE', 'node3:ONLINE']);
    expect(await nodeAttrs('node2', 'node3')).toMatchObject({ LoadInUse: 40, AvailableCapacity: 10 });
    expect(await nodeAttrs('node2', 'node1')).toMatchObject({ LoadInUse: 0, AvailableCapacity: 100 });
  }, 90_000);

  it('mcgrp -switch -g db -n node3 is refused for want of room (exit 5, NO_CAPACITY, the figures); after mcnode -modify -n node3 -a Capacity 100 it goes', async () => {
    const refused = await mc('node2', 'mcgrp', '-switch -g db -n node3');
    expect(refused.code, refused.stdout).toBe(5);
    expect(refused.json!.error?.message).toMatch(/node node3 has no room for group db: Load 30 \+ 40 in use \(web 40\) > Capacity 50/);
    expect((await groupStates('node1', 'db')).node2).toBe('ONLINE');
    const mod = await mc('node1', 'mcnode', '-modify -n node3 -a Capacity 100');
    expect(mod.code, mod.stdout).toBe(0);
    for (const viewer of NODES) expect(await nodeAttrs(viewer, 'node3'), `as ${viewer} sees it`).toMatchObject({ Capacity: 100, AvailableCapacity: 60 });
    const r = await mc('node2', 'mcgrp', '-switch -g db -n node3 --wait --timeout 60');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await groupStates('node1', 'db')).toEqual({ node1: 'OFFLINE', node2: 'OFFLINE', node3: 'ONLINE' });
    expect(await nodeAttrs('node1', 'node3')).toMatchObject({ LoadInUse: 70, AvailableCapacity: 30 });
  }, 90_000);

  it('mccluster -status shows a column per node; mccluster -events -all merges the three logs', async () => {
    const s = (await ok('node3', 'mccluster', '-status')) as { nodes: { NodeName: string }[]; groups: { GroupName: string; states: Record<string, string> }[] };
    expect(s.nodes.map((n) => n.NodeName)).toEqual(NODES);
    const text = await mc('node3', 'mccluster', '-status', false);
    expect(text.stdout).toMatch(/^GROUP\s+TYPE\s+NODE1\s+NODE2\s+NODE3\s+FLAGS$/m);
    expect(text.stdout).toMatch(/^web\s+FAILOVER\s+OFFLINE\s+OFFLINE\s+ONLINE$/m);
    // -all merges every node's log (each read through its engine): node1 shows node3's records, and all three logs.
    const ev = (await ok('node1', 'mccluster', '-events -n node3 -all -limit 200')) as { node: string; rule: string }[];
    expect(ev.length).toBeGreaterThan(0);
    expect(new Set(ev.map((e) => e.node))).toEqual(new Set(['node3']));
    const every = (await ok('node1', 'mccluster', '-events -all -limit 5000')) as { node: string }[];
    expect(new Set(every.map((e) => e.node))).toEqual(new Set(NODES));
  }, 60_000);

  it.skipIf(!HAS_PROMETHEUS)('Prometheus: each engine reports all three nodes, both of its peers\' links, and the Load/Capacity gauges of every node', async () => {
    await waitFor('three targets up', async () => (await prom!.query('up{job="mccs"} == 1')).length === 3, 30_000, 500);
    // 3 engines × 3 nodes RUNNING.
    const running = await waitFor('every engine sees every node RUNNING', async () => {
      const r = await prom!.query('mccs_node_state{state="RUNNING"} == 1');
      return r.length === 9 ? r : false;
    }, 20_000, 500);
    expect(new Set(running.map((s) => `${s.metric.instance_node}>${s.metric.node}`)).size).toBe(9);
    const links = await waitFor('primary links to both peers from every engine', async () => {
      const r = await prom!.query('mccs_heartbeat_link_up{link="PRIMARY"} == 1');
      return r.length === 6 ? r : false;
    }, 20_000, 500);
    expect(links.map((s) => `${s.metric.instance_node}->${s.metric.peer}`).sort()).toEqual(['node1->node2', 'node1->node3', 'node2->node1', 'node2->node3', 'node3->node1', 'node3->node2']);
    // After the switches above: web (40) and db (30) on node3, Capacity 100 there now.
    const inUse = await waitFor('node3 carries 70 in every engine', async () => {
      const r = await prom!.query('mccs_node_load_in_use{node="node3"} == 70');
      return r.length === 3 ? r : false;
    }, 20_000, 500);
    expect(inUse.map((s) => s.metric.instance_node).sort()).toEqual(NODES);
    const available = await prom!.query('mccs_node_available_capacity');
    expect(Object.fromEntries(available.filter((s) => s.metric.instance_node === 'node2').map((s) => [s.metric.node, Number(s.value[1])]))).toEqual({ node1: 100, node2: 60, node3: 30 });
    const capacity = await prom!.query('mccs_node_capacity{instance_node="node1"}');
    expect(Object.fromEntries(capacity.map((s) => [s.metric.node, Number(s.value[1])]))).toEqual({ node1: 100, node2: 60, node3: 100 });
    const load = await prom!.query('mccs_group_load{instance_node="node3"}');
    expect(Object.fromEntries(load.map((s) => [s.metric.group, Number(s.value[1])]))).toEqual({ web: 40, db: 30 });
    expect((await prom!.query('mccs_group_state{group="web",node="node3",state="ONLINE"} == 1')).length).toBe(3);
  }, 60_000);

  it('mcnode -evacuate -n node3 spreads its groups by their NodeList order and room: web to node1, db to node2', async () => {
    const r = await mc('node1', 'mcnode', '-evacuate -n node3 --wait --timeout 90');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await groupStates('node2', 'web')).toMatchObject({ node1: 'ONLINE', node3: 'OFFLINE' });
    expect(await groupStates('node2', 'db')).toMatchObject({ node2: 'ONLINE', node3: 'OFFLINE' });
    expect(await nodeAttrs('node3', 'node3')).toMatchObject({ LoadInUse: 0, AvailableCapacity: 100 });
  }, 120_000);
});
