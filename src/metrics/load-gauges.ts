// Load and Capacity gauges, read at scrape time from the same figures as
// `mcnode list NODE` (Capacity, LoadInUse, AvailableCapacity) and `mcgrp list
// GROUP` (Load), for every node of the configuration: an alert can say "node3
// has no room left" before a failover finds out (NO_CAPACITY).
import { Gauge, type Registry } from 'prom-client';
import type { Engine } from '../engine/engine.js';
import { capacityOf, loadOf, loadOn } from '../engine/policy/capacity.js';

/** LoadInUse of `node` as this engine sees it; undefined when a group's state cannot be read now. */
function inUse(engine: Engine, node: string): number | undefined {
  try {
    return Object.values(loadOn(engine.config, engine.observed, node)).reduce((a, b) => a + b, 0);
  } catch {
    return undefined;
  }
}

export function registerLoadGauges(registry: Registry, engine: Engine): void {
  const registers = [registry];

  new Gauge({
    name: 'mccs_node_capacity',
    help: 'Capacity of each node (node attribute Capacity, in the unit of the groups\' Load); absent for a node without Capacity (unlimited).',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const n of engine.config.Nodes) {
        const c = capacityOf(engine.config, n.NodeName);
        if (c !== undefined) this.set({ node: n.NodeName }, c);
      }
    },
  });

  new Gauge({
    name: 'mccs_node_load_in_use',
    help: 'LoadInUse of each node: the Load of the FAILOVER and SINGLE groups active there (ONLINE, PARTIAL, STARTING), as this engine sees it.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const n of engine.config.Nodes) {
        const used = inUse(engine, n.NodeName);
        if (used !== undefined) this.set({ node: n.NodeName }, used);
      }
    },
  });

  new Gauge({
    name: 'mccs_node_available_capacity',
    help: 'AvailableCapacity of each node: Capacity less LoadInUse, the Load it can still take (negative after an online beyond Capacity with --force); absent without Capacity.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const n of engine.config.Nodes) {
        const c = capacityOf(engine.config, n.NodeName);
        const used = inUse(engine, n.NodeName);
        if (c !== undefined && used !== undefined) this.set({ node: n.NodeName }, c - used);
      }
    },
  });

  new Gauge({
    name: 'mccs_group_load',
    help: 'Load of each group (group attribute Load) as placement counts it: 0 for PARALLEL groups, which are never counted.',
    labelNames: ['group'],
    registers,
    collect() {
      this.reset();
      for (const g of engine.config.Groups) this.set({ group: g.GroupName }, loadOf(g));
    },
  });
}
