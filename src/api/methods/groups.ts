// Group methods: grp.enable/disable, grp.add, grp.delete. Every method is
// idempotent (asking for what already holds answers changed:false and writes
// nothing) and takes dryRun.
import type { Engine } from '../../engine/engine.js';
import { ACTIVE_STATES, groupState } from '../../engine/policy/group-state.js';
import { groupAttributes } from '../../model/attributes.js';
import { MccsError } from '../../model/errors.js';
import { groupAttribute } from '../../model/resolve.js';
import type { GroupConfig } from '../../model/types.js';
import { attributesParam, change, name } from '../methods.js';
import { attrs, configChange, groupIn, same, setFlag, str, type Spec } from './config-change.js';
import { typedAttributes } from './typed-attributes.js';

function groupActiveOn(engine: Engine, g: GroupConfig): string[] {
  return g.NodeList.filter((n) => ACTIVE_STATES.includes(groupState(engine.config, g, engine.observed, n)));
}

export function groupEnable(value: boolean): Spec {
  return {
    readOnly: false,
    params: { group: name, ...change },
    required: ['group'],
    handler: async (ctx, p) => {
      const g = ctx.engine.findGroup(str(p, 'group'));
      return configChange(ctx, p, `grp ${value ? 'enable' : 'disable'} ${g.GroupName}`, (c) => {
        const draft = groupIn(c, g.GroupName);
        if ((groupAttribute(draft, 'Enabled') === true) !== value) setFlag(draft, 'Enabled', value, true);
      }, { Enabled: value });
    },
  };
}

export const grpAdd: Spec = {
  readOnly: false,
  params: { group: name, attributes: attributesParam, ...change },
  required: ['group'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const groupName = str(p, 'group');
    const values = typedAttributes(groupAttributes, attrs(p), `group ${groupName}`, { creating: true });
    if (values.GroupName !== undefined && values.GroupName !== groupName) throw new MccsError('INVALID', `GroupName '${String(values.GroupName)}' differs from the group name '${groupName}'`);
    delete values.GroupName;
    const existing = engine.config.Groups.find((g) => g.GroupName === groupName);
    if (existing) {
      const differ = Object.entries(values).filter(([k, v]) => !same(groupAttribute(existing, k), v)).map(([k]) => k);
      if (differ.length > 0) {
        throw new MccsError('CONFLICT', `group '${groupName}' already exists with another definition (${differ.map((k) => `${k}=${JSON.stringify(groupAttribute(existing, k))}`).join(', ')})`, [`change it: mcgrp modify ${groupName} ATTR=VALUE`, `or delete it first: mcgrp delete ${groupName}`]);
      }
      return { changed: false, result: { ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}), ConfigVersion: engine.config.ConfigVersion } };
    }
    const group: GroupConfig = {
      GroupName: groupName,
      GroupType: 'FAILOVER',
      // Default: every node, in priority order (change it with modify).
      NodeList: engine.config.Nodes.map((n) => n.NodeName),
      ...values,
      Resources: [],
      Dependencies: [],
    } as GroupConfig;
    return configChange(ctx, p, `grp add ${groupName}`, (c) => void c.Groups.push(structuredClone(group)));
  },
};

export const grpDelete: Spec = {
  readOnly: false,
  params: { group: name, ...change },
  required: ['group'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const g = engine.config.Groups.find((x) => x.GroupName === str(p, 'group'));
    if (!g) return { changed: false, result: { ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}), absent: true, ConfigVersion: engine.config.ConfigVersion } };
    const active = groupActiveOn(engine, g);
    if (active.length > 0 && p.force !== true) {
      throw new MccsError('CONFLICT', `group '${g.GroupName}' is online on ${active.join(', ')}: take it offline first`, [`mcgrp offline ${g.GroupName}`, 'or --force: delete it anyway, its resources keep running unmanaged']);
    }
    const resources = g.Resources.map((r) => r.ResName);
    const out = await configChange(ctx, p, `grp delete ${g.GroupName}${active.length ? ' (forced while online)' : ''}`, (c) => {
      c.Groups = c.Groups.filter((x) => x.GroupName !== g.GroupName);
    }, active.length ? { unmanagedOn: active } : {});
    if (out.changed) {
      engine.forgetResources(resources);
      engine.forgetGroup(g.GroupName);
    }
    return out;
  },
};
