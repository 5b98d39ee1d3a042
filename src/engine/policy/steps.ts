// The plan builder: numbered steps with `after` edges. Steps with no path
// between them may run in parallel (independent branches of the tree).
import { allLinks, links, type LinkFilter } from '../../model/graph.js';
import { inConfigOrder, type Ctx } from './context.js';
import type { Decision, PlanStep, StepOp } from './types.js';

export class PlanBuilder {
  readonly steps: PlanStep[] = [];

  add(op: StepOp, group: string, resource: string, node: string, after: number[], decision: Decision): number {
    const id = this.steps.length;
    this.steps.push({ id, op, group, resource, node, after: [...new Set(after)].sort((a, b) => a - b), decision });
    return id;
  }

  /** Ids of the steps added since `mark` (a previous `this.steps.length`). */
  since(mark: number): number[] {
    return this.steps.slice(mark).map((s) => s.id);
  }

  /** Of `ids`, those no other step of `ids` waits for: the last ones. Waiting for them is waiting for all. */
  sinks(ids: number[]): number[] {
    const set = new Set(ids);
    const waitedFor = new Set(ids.flatMap((id) => this.steps[id].after.filter((a) => set.has(a))));
    return ids.filter((id) => !waitedFor.has(id));
  }
}

/** One walk over part of a group's tree on one node. */
export interface TreeWalk {
  node: string;
  /** Resources in scope: each gets a step if `needsStep`, else it is passed through (it still orders its neighbours). */
  members: Iterable<string>;
  /** 'bottom-up': children first (online). 'top-down': parents first (offline). */
  direction: 'bottom-up' | 'top-down';
  op: StepOp;
  needsStep: (res: string) => boolean;
  decide: (res: string) => Decision;
  /** Links that order members (default: all). */
  follow?: LinkFilter;
  /** Steps that the first steps of this walk wait for. */
  after?: number[];
}

/**
 * Adds one step per member that needs one, in waves (members of one wave do
 * not depend on each other), each step `after` the nearest steps of the
 * members it must wait for. Returns resource → step id.
 */
export function addTree(b: PlanBuilder, ctx: Ctx, walk: TreeWalk): Map<string, number> {
  const members = new Set(walk.members);
  const follow = walk.follow ?? allLinks;
  const first = new Map<string, string[]>([...members].map((m) => [m, []]));
  for (const l of links(ctx.group)) {
    if (!follow(l) || !members.has(l.parent) || !members.has(l.child)) continue;
    if (walk.direction === 'bottom-up') first.get(l.parent)?.push(l.child);
    else first.get(l.child)?.push(l.parent);
  }

  const depth = new Map<string, number>();
  const depthOf = (r: string): number => {
    const known = depth.get(r);
    if (known !== undefined) return known;
    const d = 1 + Math.max(0, ...(first.get(r) ?? []).map(depthOf));
    depth.set(r, d);
    return d;
  };
  const order = inConfigOrder(ctx, members);
  const position = new Map(order.map((r, i) => [r, i]));
  order.sort((a, b) => depthOf(a) - depthOf(b) || (position.get(a) as number) - (position.get(b) as number));

  const ids = new Map<string, number>();
  const waitFor = new Map<string, number[]>();
  const prerequisites = (r: string): number[] => {
    const known = waitFor.get(r);
    if (known) return known;
    const out = (first.get(r) ?? []).flatMap((x) => (ids.has(x) ? [ids.get(x) as number] : prerequisites(x)));
    waitFor.set(r, out);
    return out;
  };
  for (const r of order) {
    if (!walk.needsStep(r)) continue;
    const own = prerequisites(r);
    ids.set(r, b.add(walk.op, ctx.group.GroupName, r, walk.node, own.length > 0 ? own : (walk.after ?? []), walk.decide(r)));
  }
  return ids;
}
