// Golden scenarios of the policy (Pacemaker style): each directory holds
// input.json ({config, observed, event}), expected.json (the plan) and
// summary.md (the story). MCCS_REGEN=1 rewrites expected.json from the current
// policy (review the diff before committing it).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/engine/policy/plan.js';
import type { Observed, Plan, PolicyEvent } from '../../src/engine/policy/types.js';
import type { MainConfig } from '../../src/model/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const regen = process.env.MCCS_REGEN === '1';
const scenarios = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

interface Input {
  config: MainConfig;
  observed: Observed;
  event: PolicyEvent;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
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

describe('policy golden scenarios', () => {
  it('has scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(20);
  });

  for (const name of scenarios) {
    it(name, () => {
      const dir = join(here, name);
      const input = deepFreeze(JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')) as Input);
      expect(existsSync(join(dir, 'summary.md')), `${name}/summary.md`).toBe(true);
      const actual = JSON.parse(JSON.stringify(plan(input.config, input.observed, input.event))) as Plan;
      checkShape(actual);
      // Pure: the same inputs give the same plan.
      expect(JSON.parse(JSON.stringify(plan(input.config, input.observed, input.event)))).toEqual(actual);

      const file = join(dir, 'expected.json');
      if (regen) {
        writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
        return;
      }
      expect(existsSync(file), `${name}/expected.json is missing: run MCCS_REGEN=1 npx vitest run test/scenarios`).toBe(true);
      expect(actual).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});
