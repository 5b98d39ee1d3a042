// Runs a plan through a table of effects: real agents in production, a
// recorder for --dry-run and tests. Steps run as soon as the steps they come
// `after` have succeeded, so independent branches of the dependency tree run
// in parallel; a failed step skips everything that comes after it.
import type { Plan, PlanStep, StepOp } from './policy/types.js';

export type Effect = (step: PlanStep) => Promise<void>;
export type Effects = Record<StepOp, Effect>;

export interface StepResult {
  id: number;
  status: 'done' | 'failed' | 'skipped';
  error?: string;
}

export interface ExecutionResult {
  ok: boolean;
  steps: StepResult[];
}

export async function execute(plan: Plan, effects: Effects): Promise<ExecutionResult> {
  const results = new Map<number, StepResult>();
  const running = new Map<number, Promise<void>>();

  const runStep = (step: PlanStep): Promise<void> => {
    const existing = running.get(step.id);
    if (existing) return existing;
    const p = (async () => {
      await Promise.all(step.after.map((id) => runStep(plan.steps[id]!)));
      const blocked = step.after.find((id) => results.get(id)?.status !== 'done');
      if (blocked !== undefined) {
        results.set(step.id, { id: step.id, status: 'skipped', error: `step ${blocked} did not succeed` });
        return;
      }
      try {
        await effects[step.op](step);
        results.set(step.id, { id: step.id, status: 'done' });
      } catch (e) {
        results.set(step.id, { id: step.id, status: 'failed', error: (e as Error).message });
      }
    })();
    running.set(step.id, p);
    return p;
  };

  await Promise.all(plan.steps.map(runStep));
  const steps = plan.steps.map((s) => results.get(s.id)!);
  return { ok: steps.every((s) => s.status === 'done'), steps };
}

/** Effects that only record: what --dry-run and policy tests use. */
export function recordingEffects(log: PlanStep[] = []): Effects & { log: PlanStep[] } {
  const record: Effect = async (step) => {
    log.push(step);
  };
  return { online: record, offline: record, clean: record, fault: record, 'count-restart': record, clear: record, 'reset-restarts': record, log };
}
