// Resource methods: res.enable/disable, res.add, res.delete, res.modify.
// Every method is idempotent and takes dryRun.
import type { Engine } from '../../engine/engine.js';
import { agentFor, agents, typeAliases } from '../../engine/agents/catalog.js';
import { declarationsFor, resolveResourceAttributes } from '../../engine/resolve-attributes.js';
import { MccsError } from '../../model/errors.js';
import type { ResourceConfig } from '../../model/types.js';
import { attributesParam, change, name } from '../methods.js';
import { attrs, configChange, groupIn, resourceIn, same, setFlag, str, type Spec } from './config-change.js';
import { typedAttributes } from './typed-attributes.js';

function resourceActiveOn(engine: Engine, res: string): string[] {
  return Object.keys(engine.observed.resources).filter((n) => ['ONLINE', 'STARTING', 'STOPPING'].includes(engine.status(n, res).state));
}

export function resEnable(value: boolean): Spec {
  return {
    readOnly: false,
    params: { resource: name, ...change },
    required: ['resource'],
    handler: async (ctx, p) => {
      const { res } = ctx.engine.findResource(str(p, 'resource'));
      return configChange(ctx, p, `res ${value ? 'enable' : 'disable'} ${res.ResName}`, (c) => {
        const draft = resourceIn(c, res.ResName).res;
        if ((draft.Enabled !== false) !== value) setFlag(draft, 'Enabled', value, true);
      }, { Enabled: value });
    },
  };
}

function checkType(type: string): string {
  const agent = agentFor(type);
  if (!agent) throw new MccsError('NOT_FOUND', `no resource type '${type}'`, [`types: ${[...Object.keys(agents), ...Object.keys(typeAliases)].join(', ')}`]);
  return agent.type;
}

export const resAdd: Spec = {
  readOnly: false,
  params: { resource: name, type: name, group: name, attributes: attributesParam, ...change },
  required: ['resource', 'type', 'group'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const resName = str(p, 'resource');
    const type = checkType(str(p, 'type'));
    const g = engine.findGroup(str(p, 'group'));
    const values = typedAttributes(declarationsFor(type), attrs(p), `resource ${resName} (type ${type})`, { creating: true });
    if (values.ResName !== undefined && values.ResName !== resName) throw new MccsError('INVALID', `ResName '${String(values.ResName)}' differs from the resource name '${resName}'`);
    if (values.Type !== undefined && checkType(String(values.Type)) !== type) throw new MccsError('INVALID', `Type '${String(values.Type)}' differs from the type '${type}' given`);
    delete values.ResName;
    delete values.Type;
    const existing = [...engine.allResources()].find((x) => x.res.ResName === resName);
    if (existing) {
      const current = resolveResourceAttributes(engine.config, existing.res, existing.group);
      const differ = [
        ...(existing.group.GroupName !== g.GroupName ? [`group ${existing.group.GroupName}`] : []),
        ...(checkType(existing.res.Type) !== type ? [`Type=${existing.res.Type}`] : []),
        ...Object.entries(values)
          .filter(([k, v]) => !same(current[k], v))
          .map(([k]) => `${k}=${JSON.stringify(current[k])}`),
      ];
      if (differ.length > 0) throw new MccsError('CONFLICT', `resource '${resName}' already exists with another definition (${differ.join(', ')})`, [`change it: mcres modify ${resName} ATTR=VALUE`, `or delete it first: mcres delete ${resName}`]);
      return { changed: false, result: { ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}), ConfigVersion: engine.config.ConfigVersion } };
    }
    const res: ResourceConfig = { ResName: resName, Type: type, ...values };
    return configChange(ctx, p, `res add ${resName} (${type}) to ${g.GroupName}`, (c) => void groupIn(c, g.GroupName).Resources.push(structuredClone(res)));
  },
};

export const resDelete: Spec = {
  readOnly: false,
  params: { resource: name, ...change },
  required: ['resource'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const found = [...engine.allResources()].find((x) => x.res.ResName === str(p, 'resource'));
    if (!found) return { changed: false, result: { ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}), absent: true, ConfigVersion: engine.config.ConfigVersion } };
    const { group, res } = found;
    const active = resourceActiveOn(engine, res.ResName);
    const links = (group.Dependencies ?? []).filter((d) => d.Parent === res.ResName || d.Child === res.ResName);
    if (p.force !== true) {
      if (active.length > 0) throw new MccsError('CONFLICT', `resource '${res.ResName}' is online on ${active.join(', ')}: take it offline first`, [`mcres offline ${res.ResName}`, 'or --force: delete it anyway, it keeps running unmanaged']);
      if (links.length > 0) {
        throw new MccsError('CONFLICT', `resource '${res.ResName}' has dependencies: ${links.map((d) => `${d.Parent} → ${d.Child}`).join(', ')}`, [...links.map((d) => `mcgrp unlink ${group.GroupName} ${d.Parent} ${d.Child}`), 'or --force: remove its dependencies with it']);
      }
    }
    const out = await configChange(ctx, p, `res delete ${res.ResName}${active.length || links.length ? ' (forced)' : ''}`, (c) => {
      const draft = groupIn(c, group.GroupName);
      draft.Resources = draft.Resources.filter((r) => r.ResName !== res.ResName);
      if (draft.Dependencies) draft.Dependencies = draft.Dependencies.filter((d) => d.Parent !== res.ResName && d.Child !== res.ResName);
    }, { ...(links.length ? { removedDependencies: links.map((d) => ({ Parent: d.Parent, Child: d.Child })) } : {}), ...(active.length ? { unmanagedOn: active } : {}) });
    if (out.changed) engine.forgetResources([res.ResName]);
    return out;
  },
};

export const resModify: Spec = {
  readOnly: false,
  params: { resource: name, attributes: attributesParam, ...change },
  required: ['resource', 'attributes'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const { group, res } = engine.findResource(str(p, 'resource'));
    const values = typedAttributes(declarationsFor(res.Type), attrs(p), `resource ${res.ResName} (type ${res.Type})`);
    const current = resolveResourceAttributes(engine.config, res, group);
    return configChange(ctx, p, `res modify ${res.ResName}`, (c) => {
      const draft = resourceIn(c, res.ResName).res;
      for (const [k, v] of Object.entries(values)) {
        // Already so (own value, Types value or default): nothing to write.
        if (draft[k] === undefined && same(current[k], v)) continue;
        draft[k] = v;
      }
    }, { attributes: values });
  },
};
