// mcnode remove: what keeps a node in the cluster (removalBlockers, pure),
// the MCCS form, and the CLI's params. The method itself against a real
// engine is in test/e2e/node-join-remove.test.ts.
import { describe, expect, it } from 'vitest';
import { removalBlockers } from '../../src/api/methods/node-remove.js';
import type { Observed } from '../../src/engine/policy/types.js';
import { translateMccs } from '../../src/cli/mccs-syntax.js';
import { spec } from '../../src/cli/specs/index.js';
import type { GroupConfig, MainConfig, NodeState, ResourceState } from '../../src/model/types.js';

const group = (GroupName: string, NodeList: string[], extra: Partial<GroupConfig> = {}): GroupConfig => ({
  GroupName,
  GroupType: 'FAILOVER',
  NodeList,
  Resources: [{ ResName: `${GroupName}-app`, Type: 'Process', Path: '/bin/sleep', Arguments: ['1000'] }],
  Dependencies: [],
  ...extra,
});

const config = (groups: GroupConfig[]): MainConfig => ({
  ConfigVersion: 7,
  Cluster: { ClusterName: 'three', WitnessType: 'etcd', WitnessEndpoints: 'http://127.0.0.1:2379' },
  Nodes: ['node1', 'node2', 'node3'].map((NodeName) => ({ NodeName })),
  Groups: groups,
});

const observed = (nodes: Record<string, NodeState>, resources: Record<string, Record<string, ResourceState>> = {}): Observed => ({
  localNode: 'node1',
  nodes: Object.fromEntries(Object.entries(nodes).map(([n, state]) => [n, { state }])),
  resources: Object.fromEntries(Object.entries(resources).map(([n, rs]) => [n, Object.fromEntries(Object.entries(rs).map(([r, state]) => [r, { state }]))])),
});

const kinds = (b: { kind: string }[]) => b.map((x) => x.kind);

describe('removalBlockers: what keeps a node in the cluster', () => {
  it('a stopped node no group names and nothing runs on: nothing blocks', () => {
    const c = config([group('web', ['node1', 'node2'])]);
    expect(removalBlockers(c, observed({ node1: 'RUNNING', node2: 'RUNNING', node3: 'EXITED' }), 'node3', 'node1')).toEqual([]);
    // Never seen (a node that joined but never started) or FAULTED (powered off) alike.
    expect(removalBlockers(c, observed({ node1: 'RUNNING', node2: 'RUNNING' }), 'node3', 'node1')).toEqual([]);
    expect(removalBlockers(c, observed({ node1: 'RUNNING', node2: 'RUNNING', node3: 'FAULTED' }), 'node3', 'node1')).toEqual([]);
  });

  it('a group that lists it (NodeList) or starts on it (AutoStartNode) is named, with the command that clears it', () => {
    const c = config([group('web', ['node1', 'node3']), group('db', ['node3', 'node2'], { AutoStartNode: 'node3' }), group('other', ['node1', 'node2'])]);
    const b = removalBlockers(c, observed({ node1: 'RUNNING', node3: 'EXITED' }), 'node3', 'node1');
    expect(kinds(b)).toEqual(['NODELIST', 'NODELIST']);
    expect(b[0]).toMatchObject({ message: 'group web lists node3 in its NodeList (node1,node3)', action: 'mcgrp modify web NodeList=node1' });
    expect(b[1]).toMatchObject({ message: 'group db lists node3 in its NodeList (node3,node2)', action: 'mcgrp modify db NodeList=node2 AutoStartNode=' });
    // A group whose only node it is can only go.
    expect(removalBlockers(config([group('solo', ['node3'])]), observed({ node3: 'EXITED' }), 'node3', 'node1')[0]?.action).toBe('mcgrp delete solo (its only node is node3)');
    // AutoStartNode alone (a configuration from before the NodeList rule, or edited by hand).
    expect(kinds(removalBlockers(config([group('x', ['node1'], { AutoStartNode: 'node3' })]), observed({}), 'node3', 'node1'))).toEqual(['AUTOSTARTNODE']);
  });

  it('a group online, partial, starting or stopping there blocks, even once NodeList no longer names it, and even with its engine stopped (EXITED: its services may still run)', () => {
    const c = config([group('web', ['node1', 'node2'])]);
    for (const state of ['ONLINE', 'STARTING', 'STOPPING'] as ResourceState[]) {
      const b = removalBlockers(c, observed({ node1: 'RUNNING', node3: 'EXITED' }, { node3: { 'web-app': state } }), 'node3', 'node1');
      expect(kinds(b)).toEqual(['ACTIVE']);
      expect(b[0]!.message).toBe(`group web is ${state} on node3`);
    }
    // OFFLINE or FAULTED there: nothing runs.
    for (const state of ['OFFLINE', 'FAULTED', 'UNKNOWN'] as ResourceState[]) {
      expect(removalBlockers(c, observed({ node3: 'EXITED' }, { node3: { 'web-app': state } }), 'node3', 'node1')).toEqual([]);
    }
    // A FAULTED node is dead: what was last seen there is stale and does not hold it.
    expect(removalBlockers(c, observed({ node3: 'FAULTED' }, { node3: { 'web-app': 'ONLINE' } }), 'node3', 'node1')).toEqual([]);
  });

  it('PARTIAL: some resources of the group online there', () => {
    const g = group('web', ['node1', 'node2'], { Resources: [{ ResName: 'a', Type: 'Process', Path: '/bin/sleep' }, { ResName: 'b', Type: 'Process', Path: '/bin/sleep' }] });
    const b = removalBlockers(config([g]), observed({ node3: 'EXITED' }, { node3: { a: 'ONLINE', b: 'OFFLINE' } }), 'node3', 'node1');
    expect(b.map((x) => x.message)).toEqual(['group web is PARTIAL on node3']);
  });

  it('an engine that runs there blocks unless --force; the node carrying out the change never removes itself, not even with --force', () => {
    const c = config([]);
    for (const state of ['RUNNING', 'INITING', 'LOCAL_BUILD', 'REMOTE_BUILD'] as NodeState[]) {
      const b = removalBlockers(c, observed({ node1: 'RUNNING', node3: state }), 'node3', 'node1');
      expect(kinds(b)).toEqual(['ENGINE_UP']);
      expect(b[0]!.message).toContain(`the engine of node3 is ${state}`);
      expect(b[0]!.action).toMatch(/systemctl stop mccs on node3.*--force/);
      expect(removalBlockers(c, observed({ node1: 'RUNNING', node3: state }), 'node3', 'node1', true)).toEqual([]);
    }
    const self = removalBlockers(c, observed({ node1: 'RUNNING' }), 'node1', 'node1', true);
    expect(kinds(self)).toEqual(['SELF']);
    expect(self[0]!.action).toContain('then run mcnode remove node1 on another node');
  });

  it('every reason at once, in the order an operator clears them', () => {
    const c = config([group('web', ['node3', 'node1'])]);
    const b = removalBlockers(c, observed({ node1: 'RUNNING', node3: 'RUNNING' }, { node3: { 'web-app': 'ONLINE' } }), 'node3', 'node1');
    expect(kinds(b)).toEqual(['NODELIST', 'ACTIVE', 'ENGINE_UP']);
  });
});

describe('mcnode remove on the command line', () => {
  it('MCCS form: mcnode -remove -n NODE [-force] is mccs node remove NODE [--force]', () => {
    expect(translateMccs('node', ['-remove', '-n', 'node3'])).toEqual(['node', 'remove', 'node3']);
    expect(translateMccs('node', ['-u', 'admin', '-pw', 'pw', '-remove', '-n', 'node3', '-force'])).toEqual(['node', 'remove', 'node3', '--force', '--user', 'admin', '--password', 'pw']);
  });

  it('params: the node, and the change options (--dry-run, --if-version, --force)', async () => {
    const s = spec('node:remove');
    expect(s.method).toBe('node.remove');
    const params = await s.params({ args: { node: 'node3' }, flags: { 'dry-run': true, 'if-version': 12, force: true }, attributes: {} }, undefined as never);
    expect(params).toEqual({ node: 'node3', dryRun: true, ifVersion: 12, force: true });
  });
});
