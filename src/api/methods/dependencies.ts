// Dependencies inside a group: grp.link, grp.modify-link, grp.unlink, with
// their OnlineDependency/OfflineDependency properties.
import type { Engine } from '../../engine/engine.js';
import { dependencyAttributes } from '../../model/attributes.js';
import { MccsError } from '../../model/errors.js';
import type { Dependency, GroupConfig } from '../../model/types.js';
import { attributesParam, change, name, type MethodContext, type MethodOutcome } from '../methods.js';
import { attrs, configChange, groupIn, str, type Params, type Spec } from './config-change.js';
import { typedAttributes } from './typed-attributes.js';

function linkEnds(engine: Engine, p: Params): { g: GroupConfig; parent: string; child: string } {
  const g = engine.findGroup(str(p, 'group'));
  const parent = str(p, 'parent');
  const child = str(p, 'child');
  for (const r of [parent, child]) {
    if (!g.Resources.some((x) => x.ResName === r)) {
      const elsewhere = [...engine.allResources()].find((x) => x.res.ResName === r);
      throw new MccsError('NOT_FOUND', elsewhere ? `resource '${r}' is in group '${elsewhere.group.GroupName}', not in '${g.GroupName}' (dependencies stay inside a group)` : `no resource '${r}' in group '${g.GroupName}'`, [`list them: mcres list --group ${g.GroupName}`]);
    }
  }
  return { g, parent, child };
}

/** A dependency's OnlineDependency/OfflineDependency, as written (absent = STRONG, the declared default). */
const strength = (d: Dependency, k: 'OnlineDependency' | 'OfflineDependency'): string => d[k] ?? 'STRONG';

/**
 * Sets the properties of the existing dependency parent → child in place
 * (the MCCS manual: select the dependency and change its properties).
 * Idempotent: asking for what holds writes nothing.
 */
function relink(ctx: MethodContext, p: Params, g: GroupConfig, parent: string, child: string, values: Record<string, unknown>, verb: string): Promise<MethodOutcome> {
  const changes = (['OnlineDependency', 'OfflineDependency'] as const).filter((k) => values[k] !== undefined);
  return configChange(ctx, p, `${verb} ${g.GroupName} ${parent} ${child} ${changes.map((k) => `${k}=${String(values[k])}`).join(' ')}`.trim(), (c) => {
    const d = (groupIn(c, g.GroupName).Dependencies ?? []).find((x) => x.Parent === parent && x.Child === child)!;
    for (const k of changes) if (strength(d, k) !== values[k]) d[k] = values[k] as Dependency[typeof k];
  });
}

function dependencyValues(p: Params, parent: string, child: string): Record<string, unknown> {
  const values = typedAttributes(dependencyAttributes, attrs(p), `dependency ${parent} → ${child}`, { creating: true });
  for (const [k, v] of [['Parent', parent], ['Child', child]] as const) {
    if (values[k] !== undefined && values[k] !== v) throw new MccsError('INVALID', `${k} '${String(values[k])}' differs from the ${k.toLowerCase()} '${v}' given`);
    delete values[k];
  }
  return values;
}

export const grpLink: Spec = {
  readOnly: false,
  params: { group: name, parent: name, child: name, attributes: attributesParam, ...change },
  required: ['group', 'parent', 'child'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const { g, parent, child } = linkEnds(engine, p);
    const values = dependencyValues(p, parent, child);
    const existing = (g.Dependencies ?? []).find((d) => d.Parent === parent && d.Child === child);
    // -link on an existing pair with new properties changes them in place.
    if (existing) return relink(ctx, p, g, parent, child, values, 'grp link');
    const link: Dependency = { Parent: parent, Child: child, ...values } as Dependency;
    return configChange(ctx, p, `grp link ${g.GroupName} ${parent} ${child}`, (c) => {
      const draft = groupIn(c, g.GroupName);
      (draft.Dependencies ??= []).push({ ...link });
    });
  },
};

/** The explicit verb: change an existing dependency's properties (NOT_FOUND when there is none). */
export const grpModifyLink: Spec = {
  readOnly: false,
  params: { group: name, parent: name, child: name, attributes: attributesParam, ...change },
  required: ['group', 'parent', 'child', 'attributes'],
  handler: async (ctx, p) => {
    const { g, parent, child } = linkEnds(ctx.engine, p);
    const values = dependencyValues(p, parent, child);
    if (Object.keys(values).length === 0) throw new MccsError('USAGE', 'nothing to change: give OnlineDependency=STRONG|WEAK and/or OfflineDependency=STRONG|WEAK');
    if (!(g.Dependencies ?? []).some((d) => d.Parent === parent && d.Child === child)) {
      throw new MccsError('NOT_FOUND', `no dependency ${parent} → ${child} in group '${g.GroupName}'`, [`add it: mcgrp link ${g.GroupName} ${parent} ${child}`]);
    }
    return relink(ctx, p, g, parent, child, values, 'grp modify-link');
  },
};

export const grpUnlink: Spec = {
  readOnly: false,
  params: { group: name, parent: name, child: name, ...change },
  required: ['group', 'parent', 'child'],
  handler: async (ctx, p) => {
    const { g, parent, child } = linkEnds(ctx.engine, p);
    return configChange(ctx, p, `grp unlink ${g.GroupName} ${parent} ${child}`, (c) => {
      const draft = groupIn(c, g.GroupName);
      if (draft.Dependencies?.some((d) => d.Parent === parent && d.Child === child)) draft.Dependencies = draft.Dependencies.filter((d) => !(d.Parent === parent && d.Child === child));
    });
  },
};
