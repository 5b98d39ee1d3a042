// How an administration method changes the configuration: the one path
// through Engine.modifyConfig (validated whole on a copy, written atomically,
// nothing half-applied), its dry run (validated and thrown away), and the
// small readers of a method's params and of a configuration draft shared by
// the methods of every topic.
import { cloneConfig, validateConfig } from '../../model/config.js';
import { MccsError } from '../../model/errors.js';
import type { GroupConfig, MainConfig, ResourceConfig } from '../../model/types.js';
import { committed, registerMethod, type MethodContext, type MethodOutcome } from '../methods.js';

export type Params = Record<string, unknown>;
export type Spec = Parameters<typeof registerMethod>[1];

export const str = (p: Params, key: string): string => p[key] as string;
export const attrs = (p: Params): Record<string, unknown> => (p.attributes ?? {}) as Record<string, unknown>;
export const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
export const cause = (ctx: MethodContext, what: string): string => `operator ${ctx.principal.name}: ${what}`;

function invalidError(errors: { path: string; message: string }[]): MccsError {
  return new MccsError('INVALID', `the change would make the configuration invalid:\n  ${errors.map((e) => `${e.path}: ${e.message}`).join('\n  ')}`, ['nothing was changed'], errors);
}

/**
 * Applies `mutate` to the configuration (or, with dryRun, to a copy that is
 * validated and thrown away). `result` is merged into the answer.
 */
export async function configChange(ctx: MethodContext, p: Params, what: string, mutate: (draft: MainConfig) => void, result: Record<string, unknown> = {}): Promise<MethodOutcome> {
  const { engine } = ctx;
  if (p.dryRun === true) {
    const draft = cloneConfig(engine.config);
    mutate(draft);
    const wouldChange = !same(draft, engine.config);
    if (wouldChange) {
      draft.ConfigVersion = engine.config.ConfigVersion + 1;
      const v = validateConfig(draft);
      if (!v.ok) throw invalidError(v.errors);
    }
    return { changed: false, result: { dryRun: true, wouldChange, ...result, ConfigVersion: engine.config.ConfigVersion } };
  }
  const r = await engine.modifyConfig(mutate, cause(ctx, what));
  return { changed: r.changed, result: { ...result, ...committed(r) } };
}

export function groupIn(draft: MainConfig, group: string): GroupConfig {
  const g = draft.Groups.find((x) => x.GroupName === group);
  if (!g) throw new MccsError('NOT_FOUND', `no group '${group}'`); // changed meanwhile: cannot happen under serial()
  return g;
}

export function resourceIn(draft: MainConfig, res: string): { group: GroupConfig; res: ResourceConfig } {
  for (const group of draft.Groups) for (const r of group.Resources) if (r.ResName === res) return { group, res: r };
  throw new MccsError('NOT_FOUND', `no resource '${res}'`);
}

/** Sets a boolean flag, leaving it out of main.json when it is the declared default. */
export function setFlag(target: Record<string, unknown>, flag: string, value: boolean, defaultValue: boolean): void {
  if (value === defaultValue) delete target[flag];
  else target[flag] = value;
}

