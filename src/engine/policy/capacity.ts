// Load and Capacity (as VCS's): a FAILOVER or SINGLE group weighs its `Load`
// on the node where it is active (ONLINE, PARTIAL, STARTING); a node with a
// `Capacity` takes a group only if the Load already active there plus the
// group's own stays within it. A node without Capacity takes any load, a
// group of Load 0 fits anywhere, and PARALLEL groups are not counted (they
// run on every node of their NodeList anyway). Several groups placed by one
// plan see each other: the plan applies each group's steps to the facts the
// next group is placed on (plan.ts).
import { groupAttribute } from '../../model/resolve.js';
import type { GroupConfig, MainConfig } from '../../model/types.js';
import type { Ctx } from './context.js';
import type { Observed } from './types.js';
import { groupState, ONLINE_STATES } from './group-state.js';

/** The group's Load; 0 for a PARALLEL group (never counted). */
export function loadOf(group: GroupConfig): number {
  if (groupAttribute(group, 'GroupType') === 'PARALLEL') return 0;
  const v = groupAttribute(group, 'Load');
  return typeof v === 'number' && v > 0 ? v : 0;
}

/** The node's Capacity; undefined = unlimited. */
export function capacityOf(config: MainConfig, node: string): number | undefined {
  const v = config.Nodes.find((n) => n.NodeName === node)?.Capacity;
  return typeof v === 'number' ? v : undefined;
}

/** Load of the FAILOVER and SINGLE groups active (ONLINE, PARTIAL, STARTING) on `node`, by group; `except` left out. */
export function loadOn(config: MainConfig, observed: Observed, node: string, except?: string): Record<string, number> {
  const holders: Record<string, number> = {};
  for (const g of config.Groups) {
    if (g.GroupName === except) continue;
    const l = loadOf(g);
    if (l > 0 && ONLINE_STATES.includes(groupState(config, g, observed, node))) holders[g.GroupName] = l;
  }
  return holders;
}

export interface Room {
  node: string;
  fits: boolean;
  /** The group's own Load. */
  load: number;
  /** Load of the other groups active on the node. */
  used: number;
  /** undefined: unlimited. */
  capacity?: number;
  /** The groups counted in `used`, with their Load. */
  holders: Record<string, number>;
}

/** Whether the group of `ctx` fits on `node`, with the figures behind it. */
export function roomOn(ctx: Ctx, node: string): Room {
  const load = loadOf(ctx.group);
  const capacity = capacityOf(ctx.config, node);
  const holders = capacity !== undefined && load > 0 ? loadOn(ctx.config, ctx.observed, node, ctx.group.GroupName) : {};
  const used = Object.values(holders).reduce((a, b) => a + b, 0);
  const fits = capacity === undefined || load === 0 || used + load <= capacity;
  return capacity === undefined ? { node, fits, load, used, holders } : { node, fits, load, used, capacity, holders };
}

/** "Load 60 + 60 in use (db 60) > Capacity 100": why the group does not fit. */
export function roomText(r: Room): string {
  const who = Object.entries(r.holders).map(([g, l]) => `${g} ${l}`);
  return `Load ${r.load} + ${r.used} in use${who.length > 0 ? ` (${who.join(', ')})` : ''} > Capacity ${r.capacity ?? 'unlimited'}`;
}
