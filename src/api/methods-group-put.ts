// `grp.put`: adds a whole group (resources and dependencies) in one
// configuration change, as `mccs discover --propose G --apply` makes it.
// The same path as every change: the whole configuration with the group is
// validated on a copy (dryRun reports the errors and changes nothing), then
// Engine.modifyConfig writes it. Idempotent: the same group again is
// changed:false; a group of that name with another definition is CONFLICT.
import { cloneConfig, validateConfig } from '../model/config.js';
import { MccsError } from '../model/errors.js';
import type { GroupConfig } from '../model/types.js';
import { change, registerMethod, type MethodContext, type MethodOutcome } from './methods.js';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

async function put(ctx: MethodContext, p: Record<string, unknown>): Promise<MethodOutcome> {
  const { engine, principal } = ctx;
  const group = structuredClone(p.group) as GroupConfig;
  const existing = engine.config.Groups.find((g) => g.GroupName === group.GroupName);
  if (existing) {
    if (same(existing, group)) return { changed: false, result: { GroupName: group.GroupName, ConfigVersion: engine.config.ConfigVersion, ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}) } };
    throw new MccsError('CONFLICT', `group '${group.GroupName}' already exists with another definition`, [`see it: mcgrp list ${group.GroupName}`, 'choose another group name, or delete it first: mcgrp delete ' + group.GroupName]);
  }
  const draft = cloneConfig(engine.config);
  draft.Groups.push(group);
  draft.ConfigVersion += 1;
  const v = validateConfig(draft);
  if (!v.ok) {
    throw new MccsError('INVALID', `group '${group.GroupName}' would make the configuration invalid:\n  ${v.errors.map((e) => `${e.path}: ${e.message}`).join('\n  ')}`, ['nothing was changed'], v.errors);
  }
  if (p.dryRun === true) return { changed: false, result: { dryRun: true, wouldChange: true, valid: true, GroupName: group.GroupName, ConfigVersion: engine.config.ConfigVersion } };
  const r = await engine.modifyConfig((c) => void c.Groups.push(structuredClone(group)), `operator ${principal.name}: grp put ${group.GroupName} (${group.Resources.length} resources)`);
  return { changed: r.changed, result: { GroupName: group.GroupName, ConfigVersion: r.ConfigVersion } };
}

registerMethod('grp.put', {
  readOnly: false,
  config: true,
  params: {
    group: {
      type: 'object',
      properties: { GroupName: { type: 'string', minLength: 1, maxLength: 63 }, Resources: { type: 'array' } },
      required: ['GroupName', 'Resources'],
    },
    ...change,
  },
  required: ['group'],
  handler: put,
});
