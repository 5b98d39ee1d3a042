// The executor: steps run as soon as what they come after has succeeded, so
// independent branches overlap; a failed step skips everything after it.
import { describe, expect, it } from 'vitest';
import { execute, recordingEffects, type Effects } from '../../src/engine/executor.js';
import type { Plan, PlanStep } from '../../src/engine/policy/types.js';

const decision = { code: 'TEST', message: 'test', facts: {} };
function step(id: number, resource: string, after: number[], op: PlanStep['op'] = 'online'): PlanStep {
  return { id, op, group: 'g', resource, node: 'n1', after, decision };
}
function plan(steps: PlanStep[]): Plan {
  return { event: { kind: 'GroupOnline', group: 'g', node: 'n1' }, steps, decision };
}

function timedEffects(durations: Record<string, number>, fail: string[] = []): Effects & { log: string[] } {
  const log: string[] = [];
  const effect = async (s: PlanStep) => {
    log.push(`start ${s.resource}`);
    await new Promise((r) => setTimeout(r, durations[s.resource] ?? 0));
    log.push(`end ${s.resource}`);
    if (fail.includes(s.resource)) throw new Error(`${s.resource} broke`);
  };
  return { online: effect, offline: effect, clean: effect, fault: effect, 'count-restart': effect, clear: effect, 'reset-restarts': effect, log };
}

describe('execute', () => {
  it('runs independent branches at the same time and joins them', async () => {
    // disk and ip are independent; db comes after both.
    const fx = timedEffects({ disk: 60, ip: 10, db: 0 });
    const result = await execute(plan([step(0, 'disk', []), step(1, 'ip', []), step(2, 'db', [0, 1])]), fx);
    expect(result.ok).toBe(true);
    expect(fx.log.slice(0, 2).sort()).toEqual(['start disk', 'start ip']);
    expect(fx.log.indexOf('start db')).toBeGreaterThan(fx.log.indexOf('end disk'));
    expect(fx.log.indexOf('end ip')).toBeLessThan(fx.log.indexOf('end disk'));
  });

  it('a failed step skips what comes after it, not the independent branch', async () => {
    const fx = timedEffects({}, ['disk']);
    const result = await execute(plan([step(0, 'disk', []), step(1, 'ip', []), step(2, 'db', [0, 1]), step(3, 'web', [2])]), fx);
    expect(result.ok).toBe(false);
    expect(result.steps.map((s) => s.status)).toEqual(['failed', 'done', 'skipped', 'skipped']);
    expect(result.steps[0]!.error).toBe('disk broke');
    expect(fx.log).not.toContain('start db');
  });

  it('the recording effects (--dry-run) see the steps in an order the plan allows, and do nothing else', async () => {
    const rec = recordingEffects();
    const p = plan([step(0, 'web', [], 'offline'), step(1, 'db', [0], 'offline'), step(2, 'disk', [1], 'offline')]);
    const result = await execute(p, rec);
    expect(result.ok).toBe(true);
    expect(rec.log.map((s) => s.resource)).toEqual(['web', 'db', 'disk']);
  });
});
