// A node fault's takeover never hands a group to a node that cannot be
// reached (issue 16, five nodes in a 3|2 split): an in-process engine of
// node n1 in a three-node configuration, the group active on n3 (faulted),
// n2 RUNNING when last heard. Every survivor plans alike and runs only what
// lands on itself (onlyHere); a node whose links are all down is left out of
// the placement (unreachable), so the group comes to n1 instead of to n2.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { silentLogger } from '../../src/engine/logger.js';

let home: string;
let flag: string;
let engine: Engine;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mccs-takeover-'));
  mkdirSync(join(home, 'config'), { recursive: true });
  flag = join(home, 'app-running');
  const app = { ResName: 'app', Type: 'Application', StartProgram: ['/usr/bin/touch', flag], StopProgram: ['/bin/rm', '-f', flag], MonitorProgram: ['/usr/bin/test', '-e', flag], Critical: true };
  writeFileSync(
    join(home, 'config/main.json'),
    JSON.stringify({
      ConfigVersion: 1,
      Cluster: { ClusterName: 'trio', WitnessType: 'etcd', WitnessEndpoints: 'http://127.0.0.1:9' },
      Nodes: [{ NodeName: 'n1' }, { NodeName: 'n2' }, { NodeName: 'n3' }],
      Groups: [{ GroupName: 'g', GroupType: 'FAILOVER', NodeList: ['n3', 'n2', 'n1'], AutoStart: false, Resources: [app], Dependencies: [] }],
    }),
  );
  engine = new Engine({ home, nodeName: 'n1', logger: silentLogger });
  await engine.start();
  engine.setNodeState('n2', 'RUNNING');
  engine.setNodeState('n3', 'FAULTED');
  engine.replaceResources('n3', { app: { state: 'ONLINE' } });
});

afterAll(async () => {
  await engine?.stop('test end');
  rmSync(home, { recursive: true, force: true });
});

describe('takeover after a node fault with more than two nodes', () => {
  it('the target is n2 (next in NodeList): n1 runs nothing of it', async () => {
    const r = await engine.handleGlobal({ kind: 'NodeFaulted', node: 'n3' }, { cause: 'test', wait: true, timeout: 30, onlyHere: true });
    expect(r.plan.steps.map((s) => `${s.op} ${s.resource} on ${s.node}`)).toEqual(['online app on n2']);
    expect(r.changed).toBe(false);
    expect(existsSync(flag)).toBe(false);
  });

  it('n2 cannot be reached (every link down, no verdict yet): the group comes to n1', async () => {
    const r = await engine.handleGlobal({ kind: 'NodeFaulted', node: 'n3' }, { cause: 'test', wait: true, timeout: 30, onlyHere: true, unreachable: () => ['n2'] });
    expect(r.plan.steps.map((s) => `${s.op} ${s.resource} on ${s.node}`)).toEqual(['online app on n1']);
    expect(r.execution?.ok).toBe(true);
    expect(existsSync(flag)).toBe(true);
    expect(engine.groupState('g', 'n1')).toBe('ONLINE');
    // Laid over for the plan only: n2 is still RUNNING in the observed state.
    expect(engine.observed.nodes.n2?.state).toBe('RUNNING');
    await engine.handle({ kind: 'GroupOffline', group: 'g', node: 'n1' }, { cause: 'test', wait: true, timeout: 30 });
    expect(existsSync(flag)).toBe(false);
  });
});
