// An online that failed for good (event ResourceFailed with final) is never
// restarted in place, whatever RestartLimit says: the policy goes straight to
// the final failure (fault, parents offline, failover when critical).
import { describe, expect, it } from 'vitest';
import { plan as planAt } from '../../src/engine/policy/plan.js';
import type { Observed } from '../../src/engine/policy/types.js';
import type { MainConfig } from '../../src/model/types.js';

/** These rules use no clock: the policy's `now` is 0. */
const plan = (config: Parameters<typeof planAt>[0], observed: Parameters<typeof planAt>[1], event: Parameters<typeof planAt>[2]) => planAt(config, observed, event, 0);

const config: MainConfig = {
  ConfigVersion: 1,
  Cluster: { ClusterName: 'c' },
  Nodes: [{ NodeName: 'n1' }, { NodeName: 'n2' }],
  Groups: [
    {
      GroupName: 'g',
      GroupType: 'FAILOVER',
      NodeList: ['n1', 'n2'],
      Resources: [
        { ResName: 'disk', Type: 'Process', Path: '/bin/true' },
        { ResName: 'db', Type: 'Process', Path: '/bin/true', Critical: true, RestartLimit: 3 },
      ],
      Dependencies: [{ Parent: 'db', Child: 'disk' }],
    },
  ],
};

const observed: Observed = {
  localNode: 'n1',
  nodes: { n1: { state: 'RUNNING' }, n2: { state: 'RUNNING' } },
  resources: { n1: { disk: { state: 'ONLINE' }, db: { state: 'OFFLINE', reason: 'online failed: exit 1' } }, n2: { disk: { state: 'OFFLINE' }, db: { state: 'OFFLINE' } } },
};

describe('final failure after a failed online', () => {
  it('a monitor failure with restarts left restarts in place', () => {
    const p = plan(config, observed, { kind: 'ResourceFailed', resource: 'db', node: 'n1', reason: 'gone' });
    expect(p.steps.some((s) => s.op === 'count-restart')).toBe(true);
    expect(p.failover).toBeUndefined();
  });

  it('an online that failed for good is not restarted: FAULTED, the group moves to n2', () => {
    const p = plan(config, observed, { kind: 'ResourceFailed', resource: 'db', node: 'n1', reason: 'online failed', final: true });
    expect(p.steps.some((s) => s.op === 'count-restart')).toBe(false);
    expect(p.steps.filter((s) => s.op === 'fault').map((s) => `${s.resource}@${s.node}`)).toEqual(['db@n1']);
    expect(p.steps.filter((s) => s.op === 'offline' && s.node === 'n1').map((s) => s.resource)).toEqual(['disk']);
    expect(p.steps.filter((s) => s.op === 'online' && s.node === 'n2').map((s) => s.resource)).toEqual(['disk', 'db']);
    expect(p.failover).toEqual({ group: 'g', from: 'n1', to: 'n2' });
  });
});
