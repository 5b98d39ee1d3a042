// What `-list`, `-state` and `mccluster status` show: configuration and
// observed state, attributes resolved from their declarations.
import type { ClusterStatus, GroupView, NodeView, ResourceView } from './view-types.js';
import { clusterAttributes, groupAttributes, nodeAttributes } from '../model/attributes.js';
import type { GroupConfig, GroupState, ResourceConfig } from '../model/types.js';
import { maxDependencyLevel } from '../model/graph.js';
import type { Engine } from './engine.js';
import { capacityOf, loadOn } from './policy/capacity.js';
import { groupState } from './policy/group-state.js';
import { resolveResourceAttributes } from './resolve-attributes.js';

function withDefaults(decls: { name: string; default?: unknown }[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of decls) {
    const v = values[d.name] ?? d.default;
    if (v !== undefined) out[d.name] = v;
  }
  return out;
}

export function nodeView(engine: Engine, name: string): NodeView {
  const node = engine.config.Nodes.find((n) => n.NodeName === name)!;
  const state = engine.observed.nodes[name]?.state ?? 'EXITED';
  const extra = engine.cluster.nodeExtras(name);
  const inUse = Object.values(loadOn(engine.config, engine.observed, name)).reduce((a, b) => a + b, 0);
  const capacity = capacityOf(engine.config, name);
  const load = { LoadInUse: inUse, ...(capacity !== undefined ? { AvailableCapacity: capacity - inUse } : {}) };
  return { NodeName: name, state, attributes: { ...withDefaults(nodeAttributes, node), NodeState: state, ...load, ...extra } };
}

export function groupView(engine: Engine, g: GroupConfig): GroupView {
  const states: Record<string, GroupState> = {};
  for (const node of g.NodeList) states[node] = groupState(engine.config, g, engine.observed, node);
  const busy = Object.values(states).some((s) => s === 'STARTING' || s === 'STOPPING');
  const attributes = {
    ...withDefaults(groupAttributes, g),
    Locked: g.Locked === true || engine.observed.groups?.[g.GroupName]?.tempLocked === true,
    MaxDependencyLevel: maxDependencyLevel(g),
    ActionState: busy ? (Object.values(states).includes('STARTING') ? 'STARTING' : 'STOPPING') : 'WATCHING',
    Failover: engine.failingOver.has(g.GroupName),
  };
  return {
    GroupName: g.GroupName,
    attributes,
    states,
    resources: g.Resources.map((r) => r.ResName),
    dependencies: (g.Dependencies ?? []).map((d) => ({ Parent: d.Parent, Child: d.Child, OnlineDependency: d.OnlineDependency ?? 'STRONG', OfflineDependency: d.OfflineDependency ?? 'STRONG' })),
  };
}

export function resourceView(engine: Engine, g: GroupConfig, r: ResourceConfig): ResourceView {
  const states: ResourceView['states'] = {};
  for (const node of g.NodeList) {
    const st = engine.observed.resources[node]?.[r.ResName];
    states[node] = { state: st?.state ?? 'UNKNOWN', ...(st?.reason ? { reason: st.reason } : {}), restartCount: st?.restartCount ?? 0, ...(st?.details ? { details: st.details } : {}) };
  }
  return { ResName: r.ResName, Type: r.Type, GroupName: g.GroupName, attributes: { ...resolveResourceAttributes(engine.config, r, g), ...(engine.lastOnline.has(r.ResName) ? { LastOnline: engine.lastOnline.get(r.ResName) } : {}) }, states };
}

export function clusterStatus(engine: Engine): ClusterStatus {
  const warnings: string[] = [...engine.cluster.warnings()];
  const cfg = engine.config;
  return {
    ClusterName: cfg.Cluster.ClusterName,
    localNode: engine.localNode,
    ConfigVersion: cfg.ConfigVersion,
    nodes: cfg.Nodes.map((n) => nodeView(engine, n.NodeName)),
    groups: cfg.Groups.map((g) => groupView(engine, g)),
    resources: cfg.Groups.flatMap((g) => g.Resources.map((r) => resourceView(engine, g, r))),
    warnings,
    ...(engine.cluster.status ? { membership: engine.cluster.status() } : {}),
  };
}

export function clusterAttributeView(engine: Engine): Record<string, unknown> {
  return withDefaults(clusterAttributes, engine.config.Cluster);
}
