// The dependency graph of one group: parent depends on child (SPEC §1).
// Online goes bottom-up (children first), offline top-down (parents first).
//
// Levels: a resource that depends on nothing has level 1; a parent is one level
// above its highest child. `MaxDependencyLevel` is the highest level, i.e. the
// number of resources on the longest dependency chain: a group with resources
// and no dependencies has level 1, an empty group 0.
//
// Links whose ends are not resources of the group are ignored here (the
// configuration validator reports them).
import type { DependencyStrength, GroupConfig } from './types.js';

export interface Link {
  parent: string;
  child: string;
  online: DependencyStrength;
  offline: DependencyStrength;
}

/** Which links a walk follows. */
export type LinkFilter = (link: Link) => boolean;

export const allLinks: LinkFilter = () => true;
export const strongOnline: LinkFilter = (l) => l.online === 'STRONG';
export const strongOffline: LinkFilter = (l) => l.offline === 'STRONG';

export function resourceNames(group: GroupConfig): string[] {
  return group.Resources.map((r) => r.ResName);
}

/** Every dependency of the group with its strengths resolved (default STRONG). */
export function links(group: GroupConfig): Link[] {
  const names = new Set(resourceNames(group));
  return (group.Dependencies ?? [])
    .filter((d) => names.has(d.Parent) && names.has(d.Child))
    .map((d) => ({ parent: d.Parent, child: d.Child, online: d.OnlineDependency ?? 'STRONG', offline: d.OfflineDependency ?? 'STRONG' }));
}

/** The resources `res` depends on directly. */
export function children(group: GroupConfig, res: string, follow: LinkFilter = allLinks): string[] {
  return links(group).filter((l) => l.parent === res && follow(l)).map((l) => l.child);
}

/** The resources that depend directly on `res`. */
export function parents(group: GroupConfig, res: string, follow: LinkFilter = allLinks): string[] {
  return links(group).filter((l) => l.child === res && follow(l)).map((l) => l.parent);
}

function walk(start: string, next: (r: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...next(start)];
  while (todo.length > 0) {
    const r = todo.pop() as string;
    if (seen.has(r) || r === start) continue;
    seen.add(r);
    todo.push(...next(r));
  }
  return seen;
}

/** Everything `res` depends on, directly or not, through followed links. */
export function descendants(group: GroupConfig, res: string, follow: LinkFilter = allLinks): Set<string> {
  return walk(res, (r) => children(group, r, follow));
}

/** Everything that depends on `res`, directly or not, through followed links. */
export function ancestors(group: GroupConfig, res: string, follow: LinkFilter = allLinks): Set<string> {
  return walk(res, (r) => parents(group, r, follow));
}

/**
 * The first dependency cycle found, as a closed path (`['a', 'b', 'c', 'a']`:
 * a depends on b, b on c, c on a), or null when the graph is acyclic.
 */
export function findCycle(group: GroupConfig): string[] | null {
  const all = links(group);
  const childrenOf = new Map<string, string[]>();
  for (const l of all) childrenOf.set(l.parent, [...(childrenOf.get(l.parent) ?? []), l.child]);
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();

  const visit = (r: string): string[] | null => {
    if (onPath.has(r)) return [...path.slice(path.indexOf(r)), r];
    if (done.has(r)) return null;
    onPath.add(r);
    path.push(r);
    for (const c of childrenOf.get(r) ?? []) {
      const cycle = visit(c);
      if (cycle) return cycle;
    }
    path.pop();
    onPath.delete(r);
    done.add(r);
    return null;
  };

  for (const r of resourceNames(group)) {
    const cycle = visit(r);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * Level of every resource: 1 for a resource that depends on nothing, else one
 * more than its highest child. Throws on a cycle (configurations with cycles
 * are rejected before they reach here).
 */
export function dependencyLevels(group: GroupConfig): Map<string, number> {
  const cycle = findCycle(group);
  if (cycle) throw new Error(`dependency cycle in group '${group.GroupName}': ${cycle.join(' → ')}`);
  const all = links(group);
  const level = new Map<string, number>();
  const of = (r: string): number => {
    const known = level.get(r);
    if (known !== undefined) return known;
    const below = all.filter((l) => l.parent === r).map((l) => of(l.child));
    const v = 1 + Math.max(0, ...below);
    level.set(r, v);
    return v;
  };
  for (const r of resourceNames(group)) of(r);
  return level;
}

/** `MaxDependencyLevel`: resources on the longest chain; 1 without dependencies, 0 for an empty group. */
export function maxDependencyLevel(group: GroupConfig): number {
  return Math.max(0, ...dependencyLevels(group).values());
}
