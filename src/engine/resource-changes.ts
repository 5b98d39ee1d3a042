// Which resources of the old configuration are gone or changed in the new
// one, so that their agents can drop background work kept for them (a
// standby's lease watch): deleted, moved to another group, or with another
// value of any of their attributes (their own or their type's shared ones).
import { resolveResourceAttributes } from './resolve-attributes.js';
import type { MainConfig, ResourceConfig } from '../model/types.js';

function placed(config: MainConfig): Map<string, { group: string; res: ResourceConfig; attrs: string }> {
  const out = new Map<string, { group: string; res: ResourceConfig; attrs: string }>();
  for (const g of config.Groups) {
    for (const res of g.Resources) out.set(res.ResName, { group: g.GroupName, res, attrs: JSON.stringify([res.Type, resolveResourceAttributes(config, res, g)]) });
  }
  return out;
}

/** Resources of `before` that `after` deletes, moves to another group or configures differently. */
export function changedResources(before: MainConfig, after: MainConfig): ResourceConfig[] {
  const now = placed(after);
  const out: ResourceConfig[] = [];
  for (const [name, was] of placed(before)) {
    const is = now.get(name);
    if (!is || is.group !== was.group || is.attrs !== was.attrs) out.push(was.res);
  }
  return out;
}
