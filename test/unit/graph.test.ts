// The dependency graph of a group: cycles, levels, walks.
import { describe, expect, it } from 'vitest';
import { ancestors, children, descendants, findCycle, maxDependencyLevel, parents, strongOffline, strongOnline } from '../../src/model/graph.js';
import type { Dependency, GroupConfig } from '../../src/model/types.js';

const group = (names: string[], deps: Dependency[]): GroupConfig => ({
  GroupName: 'g',
  GroupType: 'FAILOVER',
  NodeList: ['node1'],
  Resources: names.map((n) => ({ ResName: n, Type: 'Process' })),
  Dependencies: deps,
});
const dep = (Parent: string, Child: string, extra: Partial<Dependency> = {}): Dependency => ({ Parent, Child, ...extra });

describe('findCycle', () => {
  it('finds no cycle in a tree', () => {
    expect(findCycle(group(['a', 'b', 'c'], [dep('a', 'b'), dep('b', 'c'), dep('a', 'c')]))).toBeNull();
  });

  it('returns the cycle as a closed path an operator can read', () => {
    const cycle = findCycle(group(['web', 'ip', 'fs', 'nic'], [dep('web', 'ip'), dep('ip', 'nic'), dep('nic', 'fs'), dep('fs', 'ip')]));
    expect(cycle).toEqual(['ip', 'nic', 'fs', 'ip']);
  });

  it('finds a two-resource cycle whatever the link strength', () => {
    expect(findCycle(group(['a', 'b'], [dep('a', 'b', { OnlineDependency: 'WEAK' }), dep('b', 'a', { OfflineDependency: 'WEAK' })]))).toEqual(['a', 'b', 'a']);
  });

  it('finds a cycle in a part of the graph not reachable from the first resource', () => {
    expect(findCycle(group(['x', 'a', 'b'], [dep('a', 'b'), dep('b', 'a')]))).toEqual(['a', 'b', 'a']);
  });
});

describe('levels', () => {
  it('MaxDependencyLevel: 0 for an empty group, 1 without dependencies', () => {
    expect(maxDependencyLevel(group([], []))).toBe(0);
    expect(maxDependencyLevel(group(['a', 'b'], []))).toBe(1);
  });

  it('MaxDependencyLevel is the number of resources on the longest chain', () => {
    // r1 → r2 → r4, r1 → r3: the longest chain has 3 resources.
    expect(maxDependencyLevel(group(['r1', 'r2', 'r3', 'r4'], [dep('r1', 'r2'), dep('r1', 'r3'), dep('r2', 'r4')]))).toBe(3);
  });

  it('refuses to compute levels of a cyclic graph', () => {
    expect(() => maxDependencyLevel(group(['a', 'b'], [dep('a', 'b'), dep('b', 'a')]))).toThrow(/cycle.*a → b → a/);
  });
});

describe('walks', () => {
  const g = group(['r1', 'r2', 'r3', 'r4'], [dep('r1', 'r2'), dep('r1', 'r3', { OnlineDependency: 'WEAK', OfflineDependency: 'WEAK' }), dep('r2', 'r4')]);

  it('children and parents, optionally through STRONG links only', () => {
    expect(children(g, 'r1')).toEqual(['r2', 'r3']);
    expect(children(g, 'r1', strongOnline)).toEqual(['r2']);
    expect(parents(g, 'r3')).toEqual(['r1']);
    expect(parents(g, 'r3', strongOffline)).toEqual([]);
  });

  it('descendants and ancestors are transitive', () => {
    expect([...descendants(g, 'r1', strongOnline)].sort()).toEqual(['r2', 'r4']);
    expect([...descendants(g, 'r1')].sort()).toEqual(['r2', 'r3', 'r4']);
    expect([...ancestors(g, 'r4')].sort()).toEqual(['r1', 'r2']);
  });

  it('ignores links to resources outside the group (the validator reports them)', () => {
    const bad = group(['a'], [dep('a', 'ghost')]);
    expect(children(bad, 'a')).toEqual([]);
    expect(findCycle(bad)).toBeNull();
    expect(maxDependencyLevel(bad)).toBe(1);
  });
});
