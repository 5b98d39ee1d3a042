// What every part of the policy looks at: the configuration, the observed
// state, and the group the event concerns, with small read-only helpers.
import { isMonitorOnly, resourceFlag } from '../../model/resolve.js';
import type { GroupConfig, MainConfig, NodeState, ResourceConfig, ResourceState } from '../../model/types.js';
import type { Observed } from './types.js';

export interface Ctx {
  config: MainConfig;
  observed: Observed;
  group: GroupConfig;
}

export function resourceOf(ctx: Ctx, name: string): ResourceConfig {
  const res = ctx.group.Resources.find((r) => r.ResName === name);
  if (!res) throw new Error(`resource '${name}' is not in group '${ctx.group.GroupName}'`);
  return res;
}

/** Observed state of a resource on a node; UNKNOWN when never observed (not probed yet). */
export function stateOf(observed: Observed, node: string, res: string): ResourceState {
  return observed.resources[node]?.[res]?.state ?? 'UNKNOWN';
}

/** Node states of a node on its way into the cluster (its engine runs, it is not RUNNING yet). */
export const JOINING_STATES: readonly NodeState[] = ['INITING', 'LOCAL_BUILD', 'REMOTE_BUILD'];

export function isNodeRunning(observed: Observed, node: string): boolean {
  return observed.nodes[node]?.state === 'RUNNING';
}

/** Running or being started: an online step would do nothing new. */
export function isUp(state: ResourceState): boolean {
  return state === 'ONLINE' || state === 'STARTING';
}

/** May be running (UNKNOWN included: offline is idempotent, so stopping an unprobed resource is safe). */
export function mayRun(state: ResourceState): boolean {
  return state === 'ONLINE' || state === 'STARTING' || state === 'UNKNOWN';
}

export function isEnabled(ctx: Ctx, res: string): boolean {
  return resourceFlag(ctx.config, resourceOf(ctx, res), 'Enabled');
}

/** The engine starts and stops it: enabled and not monitor-only. Others get no steps but still order their neighbours. */
export function isManaged(ctx: Ctx, res: string): boolean {
  const r = resourceOf(ctx, res);
  return resourceFlag(ctx.config, r, 'Enabled') && !isMonitorOnly(ctx.config, r);
}

/** Enabled resources of the group FAULTED on node. */
export function faultedOn(ctx: Ctx, node: string): string[] {
  return ctx.group.Resources.filter((r) => resourceFlag(ctx.config, r, 'Enabled') && stateOf(ctx.observed, node, r.ResName) === 'FAULTED').map((r) => r.ResName);
}

/** Resources in configuration order. */
export function inConfigOrder(ctx: Ctx, names: Iterable<string>): string[] {
  const set = new Set(names);
  return ctx.group.Resources.map((r) => r.ResName).filter((n) => set.has(n));
}

export function list(names: string[]): string {
  return names.length === 0 ? 'nothing' : names.join(', ');
}
