// Golden scenarios of the policy (Pacemaker style): each directory holds
// input.txt (configuration, observed state, event, now: see format.ts),
// expected.txt (the plan: its decision, one line per step, compared exactly)
// and summary.md (the story). MCCS_REGEN=1 (npm run scenarios:regen) rewrites
// expected.txt from the current policy: read every changed line of the diff
// before committing it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PLAN_CODES, SKIP_CODES, STEP_CODES } from '../../src/engine/policy/codes.js';
import { plan } from '../../src/engine/policy/plan.js';
import type { Plan } from '../../src/engine/policy/types.js';
import { parseInput, renderPlan, type ScenarioInput } from './format.js';

const here = dirname(fileURLToPath(import.meta.url));
const regen = process.env.MCCS_REGEN === '1';
const scenarios = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function load(name: string): ScenarioInput {
  return deepFreeze(parseInput(readFileSync(join(here, name, 'input.txt'), 'utf8'), `${name}/input.txt`));
}

function planOf(input: ScenarioInput): Plan {
  return JSON.parse(JSON.stringify(plan(input.config, input.observed, input.event, input.now))) as Plan;
}

/** Properties every plan has, whatever the scenario. */
function checkShape(p: Plan): void {
  p.steps.forEach((s, i) => {
    expect(s.id).toBe(i);
    for (const a of s.after) expect(a).toBeLessThan(s.id);
    expect(s.decision.code).toMatch(/^[A-Z_]+$/);
    expect(s.decision.message).not.toContain('\n');
  });
  expect(p.decision.message).not.toContain('\n');
  if (p.refused) expect(p.steps).toEqual([]);
}

/** Every reason code a plan carries: its decision, its steps', and each group's of a multi-group event. */
export function codesOf(p: Plan): string[] {
  type Stopped = { followUpRefused?: { code: string }; followUpHeld?: { code: string } };
  const stoppedCodes = (f: Stopped): string[] => [f.followUpRefused?.code, f.followUpHeld?.code].filter((c): c is string => c !== undefined);
  const groups = Object.values((p.decision.facts.groups ?? {}) as Record<string, Stopped & { code: string }>);
  return [p.decision.code, ...p.steps.map((s) => s.decision.code), ...groups.flatMap((g) => [g.code, ...stoppedCodes(g)]), ...stoppedCodes(p.decision.facts as Stopped)];
}

describe('policy golden scenarios', () => {
  it('has scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(60);
  });

  for (const name of scenarios) {
    it(name, () => {
      const dir = join(here, name);
      const input = load(name);
      expect(existsSync(join(dir, 'summary.md')), `${name}/summary.md`).toBe(true);
      const actual = planOf(input);
      checkShape(actual);
      // Pure: the same inputs give the same plan.
      expect(planOf(input)).toEqual(actual);

      const file = join(dir, 'expected.txt');
      const text = renderPlan(actual);
      if (regen) {
        writeFileSync(file, text);
        return;
      }
      expect(existsSync(file), `${name}/expected.txt is missing: run npm run scenarios:regen`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('every reason code of codes.ts is produced by at least one scenario', () => {
    const produced = new Set(scenarios.flatMap((name) => codesOf(planOf(load(name)))));
    const missing = [...new Set([...STEP_CODES, ...PLAN_CODES, ...SKIP_CODES])].filter((c) => !produced.has(c));
    expect(missing, 'codes no scenario produces: add a scenario for each').toEqual([]);
  });
});

describe('scenario input format', () => {
  it('reads one fact per line and names the line of a mistake', () => {
    const input = parseInput(['node n1 RUNNING', 'group g FAILOVER n1 AutoStart=false', '  res r Process Critical=true', 'status n1 r ONLINE restartCount=2 reason="exit 1"', 'event ResourceFailed resource=r node=n1 reason="a b"', 'now 5'].join('\n'), 'x');
    expect(input.config.Groups[0]).toMatchObject({ GroupName: 'g', GroupType: 'FAILOVER', NodeList: ['n1'], AutoStart: false, Resources: [{ ResName: 'r', Type: 'Process', Critical: true }] });
    expect(input.observed).toMatchObject({ localNode: 'n1', nodes: { n1: { state: 'RUNNING' } }, resources: { n1: { r: { state: 'ONLINE', restartCount: 2, reason: 'exit 1' } } } });
    expect(input.event).toEqual({ kind: 'ResourceFailed', resource: 'r', node: 'n1', reason: 'a b' });
    expect(input.now).toBe(5);
    expect(() => parseInput('node n1 RUNNING\nnodes n2 RUNNING\nevent ProbeComplete node=n1', 'x')).toThrow("x:2: unknown line 'nodes'");
    expect(() => parseInput('node n1 RUNNING\ngroup g FAILOVER n1 AutoStart\nevent ProbeComplete node=n1', 'x')).toThrow('x:2: expected Name=value');
    expect(() => parseInput('node n1 RUNNING', 'x')).toThrow("x: no 'event' line");
  });
});
