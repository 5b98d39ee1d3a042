// The administration methods of issue 5 (SPEC §6): enable/disable, lock/unlock,
// add/delete/link/unlink of groups and resources, resource modify, node
// license/support/evacuate and the users of the API. Registered into the
// method table of methods.ts.
//
// Every method is idempotent (asking for what already holds answers
// changed:false and writes nothing), takes dryRun (reports what would change,
// changes nothing), and fails with one clear code: NOT_FOUND for unknown
// names and attributes, INVALID for a value that makes the configuration
// invalid (the validator's JSON paths are passed through), CONFLICT for what
// the current state refuses (exists with another definition, online, has
// dependencies, read-only attribute, last Administrator). Configuration changes
// go through Engine.modifyConfig: validated whole on a copy, written
// atomically, nothing half-applied.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUsers, usersText, type Role, type UserEntry } from '../auth/users.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { agentFor, agents, typeAliases } from '../engine/agents/catalog.js';
import type { Engine, HandleResult } from '../engine/engine.js';
import { ExecRunner } from '../engine/exec-runner.js';
import { ACTIVE_STATES, groupState } from '../engine/policy/group-state.js';
import type { Plan, PlanStep, PolicyEvent } from '../engine/policy/types.js';
import { declarationsFor, resolveResourceAttributes } from '../engine/resolve-attributes.js';
import { clusterStatus } from '../engine/views.js';
import { dependencyAttributes, findDeclaration, groupAttributes, parseAttributeValue, type AttributeDeclaration } from '../model/attributes.js';
import { cloneConfig, validateConfig } from '../model/config.js';
import { MccsError } from '../model/errors.js';
import { groupAttribute } from '../model/resolve.js';
import type { Dependency, GroupConfig, MainConfig, ResourceConfig } from '../model/types.js';
import { attributesParam, change, committed, name, registerMethod, type MethodContext, type MethodOutcome } from './methods.js';

type Params = Record<string, unknown>;
type Spec = Parameters<typeof registerMethod>[1];

// ------------------------------------------------------------------ param schemas

const userName = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.@-]{0,63}$' };
const role = { type: 'string', enum: ['Administrator', 'Monitor'] };
const password = { type: 'string', minLength: 1, maxLength: 1024 };

// ------------------------------------------------------------------ helpers

const str = (p: Params, key: string): string => p[key] as string;
const attrs = (p: Params): Record<string, unknown> => (p.attributes ?? {}) as Record<string, unknown>;
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const cause = (ctx: MethodContext, what: string): string => `operator ${ctx.principal.name}: ${what}`;

function invalidError(errors: { path: string; message: string }[]): MccsError {
  return new MccsError('INVALID', `the change would make the configuration invalid:\n  ${errors.map((e) => `${e.path}: ${e.message}`).join('\n  ')}`, ['nothing was changed'], errors);
}

/**
 * Applies `mutate` to the configuration (or, with dryRun, to a copy that is
 * validated and thrown away). `result` is merged into the answer.
 */
async function configChange(ctx: MethodContext, p: Params, what: string, mutate: (draft: MainConfig) => void, result: Record<string, unknown> = {}): Promise<MethodOutcome> {
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

/** Enum values are accepted in any case (`weak` → WEAK). */
function typedValue(decl: AttributeDeclaration, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const v = parseAttributeValue(decl, raw);
  if (decl.kind === 'enum' && typeof v === 'string') return decl.values?.find((x) => x.toLowerCase() === v.toLowerCase()) ?? v;
  return v;
}

/**
 * Operator-typed attributes → typed values. Unknown: NOT_FOUND. Read-only
 * (computed, or set once at creation unless `creating`): CONFLICT.
 */
function typedAttributes(decls: AttributeDeclaration[], raw: Record<string, unknown>, what: string, creating: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    // Any case, or an MCCS alias; stored under the declared name.
    const decl = findDeclaration(decls, key);
    if (!decl) throw new MccsError('NOT_FOUND', `${what} has no attribute '${key}'`, [`known attributes: ${decls.filter((d) => d.editable).map((d) => d.name).join(', ')}`]);
    if (!decl.editable && !(creating && decl.stored)) {
      throw new MccsError('CONFLICT', `attribute '${decl.name}' of ${what} is read-only${decl.stored ? ' (set when it is created)' : ' (reported by the engine)'}`, decl.stored ? ['delete and add it again to change it'] : []);
    }
    out[decl.name] = typedValue(decl, value);
  }
  return out;
}

function groupIn(draft: MainConfig, group: string): GroupConfig {
  const g = draft.Groups.find((x) => x.GroupName === group);
  if (!g) throw new MccsError('NOT_FOUND', `no group '${group}'`); // changed meanwhile: cannot happen under serial()
  return g;
}

function resourceIn(draft: MainConfig, res: string): { group: GroupConfig; res: ResourceConfig } {
  for (const group of draft.Groups) for (const r of group.Resources) if (r.ResName === res) return { group, res: r };
  throw new MccsError('NOT_FOUND', `no resource '${res}'`);
}

/** Sets a boolean flag, leaving it out of main.json when it is the declared default. */
function setFlag(target: Record<string, unknown>, flag: string, value: boolean, defaultValue: boolean): void {
  if (value === defaultValue) delete target[flag];
  else target[flag] = value;
}

function groupActiveOn(engine: Engine, g: GroupConfig): string[] {
  return g.NodeList.filter((n) => ACTIVE_STATES.includes(groupState(engine.config, g, engine.observed, n)));
}

function resourceActiveOn(engine: Engine, res: string): string[] {
  return Object.keys(engine.observed.resources).filter((n) => ['ONLINE', 'STARTING', 'STOPPING'].includes(engine.status(n, res).state));
}

function forgetResources(engine: Engine, names: string[]): void {
  for (const byNode of Object.values(engine.observed.resources)) for (const r of names) delete byNode[r];
}

// ------------------------------------------------------------------ groups

function groupEnable(value: boolean): Spec {
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

function groupLock(value: boolean): Spec {
  return {
    readOnly: false,
    params: { group: name, temporary: { type: 'boolean' }, ...change },
    required: ['group'],
    handler: async (ctx, p) => {
        const { engine } = ctx;
        const g = engine.findGroup(str(p, 'group'));
        const runtime = () => engine.observed.groups?.[g.GroupName];
        const temporary = p.temporary === true;
        const effective = () => engine.config.Groups.find((x) => x.GroupName === g.GroupName)?.Locked === true || runtime()?.tempLocked === true;
        // Temporary lock: runtime only, lost when the engines stop. A plain unlock also lifts it.
        const tempBefore = runtime()?.tempLocked === true;
        const tempWanted = temporary ? value : value ? tempBefore : false;
        const tempChanges = tempBefore !== tempWanted;
        if (temporary) {
          if (p.dryRun === true) return { changed: false, result: { dryRun: true, wouldChange: tempChanges, Locked: value || g.Locked === true, temporary } };
          if (tempChanges) setTempLock(ctx, g.GroupName, value);
          return { changed: tempChanges, result: { Locked: effective(), temporary } };
        }
        if (p.dryRun === true) {
          const out = await configChange(ctx, p, '', (c) => setFlag(groupIn(c, g.GroupName), 'Locked', value, false), { Locked: value, temporary });
          const r = out.result as Record<string, unknown>;
          return { changed: false, result: { ...r, wouldChange: r.wouldChange === true || tempChanges } };
        }
        const out = await configChange(ctx, p, `grp ${value ? 'lock' : 'unlock'} ${g.GroupName}`, (c) => setFlag(groupIn(c, g.GroupName), 'Locked', value, false));
        if (tempChanges) setTempLock(ctx, g.GroupName, false);
        return { changed: out.changed || tempChanges, result: { Locked: effective(), temporary, ...(out.result as Record<string, unknown>) } };
      },
  };
}

function setTempLock(ctx: MethodContext, group: string, value: boolean): void {
  const { engine } = ctx;
  engine.observed.groups ??= {};
  const rt = (engine.observed.groups[group] ??= {});
  if (value) rt.tempLocked = true;
  else delete rt.tempLocked;
  // The peer learns it with the resource states (it holds on every node).
  engine.onLocalStateChange?.();
  engine.record({
    subject: `group:${group}`,
    group,
    cause: `operator ${ctx.principal.name}`,
    rule: value ? 'GROUP_TEMP_LOCKED' : 'GROUP_TEMP_UNLOCKED',
    message: value ? `group ${group} is temporarily locked (until every engine stops)` : `temporary lock of group ${group} lifted`,
  });
}

const grpAdd: Spec = {
  readOnly: false,
  params: { group: name, attributes: attributesParam, ...change },
  required: ['group'],
  handler: async (ctx, p) => {
      const { engine } = ctx;
      const groupName = str(p, 'group');
      const values = typedAttributes(groupAttributes, attrs(p), `group ${groupName}`, true);
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

const grpDelete: Spec = {
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
        forgetResources(engine, resources);
        delete engine.observed.groups?.[g.GroupName];
      }
      return out;
    },
};

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
  const values = typedAttributes(dependencyAttributes, attrs(p), `dependency ${parent} → ${child}`, true);
  for (const [k, v] of [['Parent', parent], ['Child', child]] as const) {
    if (values[k] !== undefined && values[k] !== v) throw new MccsError('INVALID', `${k} '${String(values[k])}' differs from the ${k.toLowerCase()} '${v}' given`);
    delete values[k];
  }
  return values;
}

const grpLink: Spec = {
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
const grpModifyLink: Spec = {
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

const grpUnlink: Spec = {
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

// ------------------------------------------------------------------ resources

function resEnable(value: boolean): Spec {
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

const resAdd: Spec = {
  readOnly: false,
  params: { resource: name, type: name, group: name, attributes: attributesParam, ...change },
  required: ['resource', 'type', 'group'],
  handler: async (ctx, p) => {
      const { engine } = ctx;
      const resName = str(p, 'resource');
      const type = checkType(str(p, 'type'));
      const g = engine.findGroup(str(p, 'group'));
      const values = typedAttributes(declarationsFor(type), attrs(p), `resource ${resName} (type ${type})`, true);
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

const resDelete: Spec = {
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
      if (out.changed) forgetResources(engine, [res.ResName]);
      return out;
    },
};

const resModify: Spec = {
  readOnly: false,
  params: { resource: name, attributes: attributesParam, ...change },
  required: ['resource', 'attributes'],
  handler: async (ctx, p) => {
      const { engine } = ctx;
      const { group, res } = engine.findResource(str(p, 'resource'));
      const values = typedAttributes(declarationsFor(res.Type), attrs(p), `resource ${res.ResName} (type ${res.Type})`, false);
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

// ------------------------------------------------------------------ nodes

const nodeLicense: Spec = {
  readOnly: false,
  params: { node: name, all: { type: 'boolean' }, license: { type: 'string', minLength: 1, maxLength: 4096 }, dryRun: change.dryRun, wait: change.wait, timeout: change.timeout, force: change.force, ifVersion: change.ifVersion },
  required: ['license'],
  handler: async (ctx, p) => {
      const { engine } = ctx;
      if (typeof p.node === 'string') engine.checkNode(p.node);
      // MCCS `-license -n NODE -all KEY`: every node; without -n: the local node.
      const nodes = p.all === true ? engine.config.Nodes.map((n) => n.NodeName) : [typeof p.node === 'string' ? p.node : engine.localNode];
      const license = str(p, 'license');
      return configChange(ctx, p, `node license ${nodes.join(', ')}`, (c) => {
        for (const n of c.Nodes) if (nodes.includes(n.NodeName) && n.License !== license) n.License = license;
      }, { nodes, enforced: false });
    },
};

/** Steps of several plans as one plan (ids renumbered), for the CLI to print. */
function combinePlans(plans: Plan[], node: string, decision: Plan['decision']): Plan {
  const steps: PlanStep[] = [];
  for (const plan of plans) {
    const base = steps.length;
    for (const s of plan.steps) steps.push({ ...s, id: base + s.id, after: s.after.map((a) => base + a) });
  }
  return { event: (plans[0]?.event ?? { kind: 'NodeEvacuate', node }) as PolicyEvent, steps, decision };
}

const nodeEvacuate: Spec = {
  readOnly: false,
  params: { ...change },
  required: ['node'],
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const node = engine.checkNode(str(p, 'node'));
    const dryRun = p.dryRun === true;
    const wait = p.wait === true;
    // Every failover group online (or starting) there.
    const groups = engine.config.Groups.filter((g) => groupAttribute(g, 'GroupType') === 'FAILOVER' && ['ONLINE', 'PARTIAL', 'STARTING'].includes(groupState(engine.config, g, engine.observed, node)));
    // Decide every move before running any: nothing half-done because of a refusal.
    const moves: { group: string; from: string; to: string; plan: Plan }[] = [];
    for (const g of groups) {
      const candidates = g.NodeList.filter((n) => n !== node && engine.observed.nodes[n]?.state === 'RUNNING');
      if (candidates.length === 0) {
        throw new MccsError('CONFLICT', `no other node can take group ${g.GroupName}: no other node of its NodeList (${g.NodeList.join(', ')}) is RUNNING`, ['start the engine of the other node first', `or take it offline: mcgrp offline ${g.GroupName}`]);
      }
      let firstRefusal: Plan | undefined;
      let chosen: { to: string; plan: Plan } | undefined;
      for (const to of candidates) {
        const plan = engine.plan({ kind: 'GroupSwitch', group: g.GroupName, node: to });
        if (!plan.refused) {
          chosen = { to, plan };
          break;
        }
        firstRefusal ??= plan;
      }
      if (!chosen) {
        const r = firstRefusal!.refused!;
        throw new MccsError(r.code, `cannot evacuate group ${g.GroupName} from ${node}: ${r.message}`, [], { plan: firstRefusal });
      }
      moves.push({ group: g.GroupName, from: node, to: chosen.to, plan: chosen.plan });
    }
    const decision = moves.length
      ? { code: 'NODE_EVACUATE', message: `evacuate ${node}: ${moves.map((m) => `switch ${m.group} to ${m.to}`).join(', ')}`, facts: { node, moves: moves.map(({ group, to }) => ({ group, to })) } }
      : { code: 'NOTHING_TO_EVACUATE', message: `no failover group is online on ${node}: nothing to do`, facts: { node } };
    const summary = moves.map(({ group, from, to }) => ({ group, from, to }));
    if (dryRun) return { changed: false, result: { dryRun: true, plan: combinePlans(moves.map((m) => m.plan), node, decision), moves: summary } };
    if (moves.length === 0) return { changed: false, result: { plan: combinePlans([], node, decision), moves: summary } };
    const opts = { wait, timeout: p.timeout as number | undefined, cause: `operator ${ctx.principal.name}: evacuate ${node}` };
    const outs: HandleResult[] = await Promise.all(moves.map((m) => engine.handle({ kind: 'GroupSwitch', group: m.group, node: m.to }, opts)));
    const plan = combinePlans(outs.map((o) => o.plan), node, decision);
    const failed = outs.flatMap((o) => (o.execution && !o.execution.ok ? o.execution.steps.filter((s) => s.status === 'failed').map((s) => `${o.plan.steps[s.id]?.op} ${o.plan.steps[s.id]?.resource}: ${s.error}`) : []));
    if (failed.length > 0) throw new MccsError('FAILED', `evacuation of ${node} failed: ${failed.join('; ')}`, ['see why: mccluster events', 'after fixing: mcres -clear RES'], { plan });
    let state: Record<string, string> | undefined;
    if (wait) {
      state = Object.fromEntries(moves.map((m) => [m.group, groupState(engine.config, engine.findGroup(m.group), engine.observed, m.to)]));
      const notThere = moves.filter((m) => state![m.group] !== 'ONLINE');
      if (notThere.length > 0) throw new MccsError('FAILED', notThere.map((m) => `group ${m.group} is ${state![m.group]} on ${m.to}, not ONLINE`).join('; '), ['mccluster events']);
    }
    return { changed: outs.some((o) => o.changed), result: { plan, moves: summary, ...(state ? { state } : {}) } };
  },
};

/** Attribute names whose values never leave the node in a support bundle. */
const SECRET_NAME = /pass(word|wd|phrase)?$|secret|token|credential|private.?key/i;

function sanitize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) && typeof v === 'string' && v !== '' ? '<removed>' : sanitize(v)]));
  }
  return value;
}

function utcStamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

const FACTS: [string, string[]][] = [
  ['uname', ['-a']],
  ['ip', ['-j', 'addr']],
  ['uptime', []],
  ['df', ['-h']],
  ['free', ['-m']],
];

const nodeSupport: Spec = {
  // Not a change, but the logs say much about the node: Administrator only.
  readOnly: false,
  params: { node: name, all: { type: 'boolean' } },
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const node = typeof p.node === 'string' ? engine.checkNode(p.node) : engine.localNode;
    if (node !== engine.localNode) {
      throw new MccsError('CONFLICT', `the support archive of ${node} is built by the engine of ${node}; this is ${engine.localNode}`, [`run it on ${node}, or target its engine: mcnode -support -ip ADDRESS_OF_${node}`]);
    }
    const fileName = `mccs-support-${node}-${utcStamp()}.tar.gz`;
    const top = fileName.replace(/\.tar\.gz$/, '');
    const tmp = await mkdtemp(join(tmpdir(), 'mccs-support-'));
    try {
      const dir = join(tmp, top);
      await mkdir(join(dir, 'log'), { recursive: true });
      await mkdir(join(dir, 'config'), { recursive: true });
      // log/: the engine log and the event log, with their rotated copies. Nothing from config/ but main.json.
      const logs = await readdir(engine.paths.logDir, { withFileTypes: true }).catch(() => []);
      for (const f of logs) if (f.isFile()) await copyFile(join(engine.paths.logDir, f.name), join(dir, 'log', f.name)).catch(() => undefined);
      await writeFile(join(dir, 'config/main.json'), `${JSON.stringify(sanitize(engine.config), null, 2)}\n`);
      await writeFile(join(dir, 'states.json'), `${JSON.stringify(clusterStatus(engine), null, 2)}\n`);
      const facts: string[] = [`mccs support archive of node ${node}`, `time: ${new Date().toISOString()}`, `ConfigVersion: ${engine.config.ConfigVersion}`, `engine: node ${process.version}, pid ${process.pid}`, ''];
      for (const [cmd, args] of FACTS) {
        facts.push(`$ ${[cmd, ...args].join(' ')}`);
        try {
          const r = await engine.runner.run(cmd, args, { timeoutMs: 10_000 });
          facts.push(r.stdout, ...(r.stderr ? [r.stderr] : []), ...(r.exitCode !== 0 ? [`(exit ${r.exitCode})`] : []));
        } catch (e) {
          facts.push(`(not run: ${(e as Error).message})`);
        }
        facts.push('');
      }
      await writeFile(join(dir, 'facts.txt'), facts.join('\n'));
      const readme = [
        `Support archive of mccs node ${node}, made ${new Date().toISOString()}.`,
        'log/          engine log and event log (events.jsonl), with rotated copies',
        'config/main.json  the running configuration (values of attributes named like passwords, secrets or tokens removed)',
        'states.json   the cluster status as this node sees it',
        'facts.txt     uname, addresses, uptime, disks, memory',
        'Never included: cluster.key, users.json, TLS keys.',
      ];
      if (p.all === true) {
        // --all: each other node's own archive, built by its engine, inside this one.
        readme.push('', 'nodes/        the archives of the other nodes (--all), as their engines built them');
        for (const other of engine.config.Nodes.map((n) => n.NodeName).filter((n) => n !== node)) {
          try {
            if (!engine.forward) throw new Error('this node is not in a running cluster');
            const env = (await engine.forward('node.support', { node: other }, { name: ctx.principal.name, role: ctx.principal.role })) as { ok: boolean; result?: { fileName: string; contentBase64: string }; error?: { message: string } };
            if (!env.ok || !env.result) throw new Error(env.error?.message ?? 'no archive');
            await mkdir(join(dir, 'nodes'), { recursive: true });
            await writeFile(join(dir, 'nodes', env.result.fileName), Buffer.from(env.result.contentBase64, 'base64'));
          } catch (e) {
            readme.push(`${other}: not included (${(e as Error).message}); run the command on ${other}`);
          }
        }
      }
      await writeFile(join(dir, 'README.txt'), `${readme.join('\n')}\n`);
      const out = join(tmp, fileName);
      const tar = new ExecRunner((m) => engine.log.debug(m));
      const r = await tar.run('tar', ['-czf', out, '-C', tmp, top], { timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new MccsError('FAILED', `tar failed (exit ${r.exitCode}): ${r.stderr}`);
      const content = await readFile(out);
      engine.record({ subject: `node:${node}`, cause: `operator ${ctx.principal.name}`, rule: 'SUPPORT_ARCHIVE', message: `support archive ${fileName} built (${content.length} bytes)` });
      return { changed: false, result: { fileName, contentBase64: content.toString('base64') } };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
};

// ------------------------------------------------------------------ users

function userEvent(ctx: MethodContext, rule: string, message: string): void {
  ctx.engine.record({ subject: 'cluster', cause: `operator ${ctx.principal.name}`, rule, message });
}

function admins(users: UserEntry[]): number {
  return users.filter((u) => u.role === 'Administrator').length;
}

const usersList: Spec = {
  readOnly: false, // Administrator only, although it changes nothing.
  params: {},
  handler: async ({ engine }) => ({ changed: false, result: (await readUsers(engine.paths.usersJson)).map((u) => ({ name: u.name, role: u.role })) }),
};

const usersAdd: Spec = {
  readOnly: false,
  params: { name: userName, role, password, dryRun: change.dryRun, force: change.force },
  required: ['name', 'password'],
  handler: async (ctx, p) => {
      const path = ctx.engine.paths.usersJson;
      const users = await readUsers(path);
      const userRole = ((p.role as Role | undefined) ?? 'Administrator') as Role;
      const existing = users.find((u) => u.name === p.name);
      const result = { name: str(p, 'name'), role: userRole };
      if (existing) {
        const samePassword = await verifyPassword(str(p, 'password'), existing.hash);
        if (existing.role === userRole && samePassword) return { changed: false, result: { ...result, ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}) } };
        if (p.force !== true) {
          const what = [existing.role !== userRole ? `role ${existing.role}` : '', !samePassword ? 'another password' : ''].filter(Boolean).join(' and ');
          throw new MccsError('CONFLICT', `user '${existing.name}' already exists with ${what}`, [`change the password: mccs users password ${existing.name}`, 'or --force to replace the user']);
        }
        if (existing.role === 'Administrator' && userRole !== 'Administrator' && admins(users) === 1) {
          throw new MccsError('CONFLICT', `user '${existing.name}' is the last Administrator: it cannot become ${userRole}`, ['add another Administrator first']);
        }
      }
      if (p.dryRun === true) return { changed: false, result: { ...result, dryRun: true, wouldChange: true } };
      const hash = await hashPassword(str(p, 'password'));
      const next = existing ? users.map((u) => (u === existing ? { name: u.name, role: userRole, hash } : u)) : [...users, { name: str(p, 'name'), role: userRole, hash }];
      await ctx.engine.store.putDocument({ name: 'users.json', text: usersText(next) }, cause(ctx, 'users'));
      userEvent(ctx, existing ? 'USER_REPLACED' : 'USER_ADDED', `user ${result.name} ${existing ? 'replaced' : 'added'} with role ${userRole}`);
      return { changed: true, result };
    },
};

const usersDelete: Spec = {
  readOnly: false,
  params: { name: userName, dryRun: change.dryRun },
  required: ['name'],
  handler: async (ctx, p) => {
      const path = ctx.engine.paths.usersJson;
      const users = await readUsers(path);
      const existing = users.find((u) => u.name === p.name);
      if (!existing) return { changed: false, result: { name: str(p, 'name'), absent: true, ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}) } };
      if (existing.role === 'Administrator' && admins(users) === 1) throw new MccsError('CONFLICT', `user '${existing.name}' is the last Administrator and cannot be deleted`, ['add another Administrator first']);
      if (p.dryRun === true) return { changed: false, result: { name: existing.name, dryRun: true, wouldChange: true } };
      await ctx.engine.store.putDocument({ name: 'users.json', text: usersText(users.filter((u) => u !== existing)) }, cause(ctx, 'users'));
      userEvent(ctx, 'USER_DELETED', `user ${existing.name} deleted`);
      return { changed: true, result: { name: existing.name } };
    },
};

const usersPassword: Spec = {
  readOnly: false,
  params: { name: userName, password, dryRun: change.dryRun },
  required: ['name', 'password'],
  handler: async (ctx, p) => {
      const path = ctx.engine.paths.usersJson;
      const users = await readUsers(path);
      const existing = users.find((u) => u.name === p.name);
      if (!existing) throw new MccsError('NOT_FOUND', `no user '${str(p, 'name')}'`, ['list users: mccs users list', 'add one: mccs users add NAME']);
      if (await verifyPassword(str(p, 'password'), existing.hash)) return { changed: false, result: { name: existing.name, ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}) } };
      if (p.dryRun === true) return { changed: false, result: { name: existing.name, dryRun: true, wouldChange: true } };
      const hash = await hashPassword(str(p, 'password'));
      await ctx.engine.store.putDocument({ name: 'users.json', text: usersText(users.map((u) => (u === existing ? { ...u, hash } : u))) }, cause(ctx, 'users'));
      userEvent(ctx, 'USER_PASSWORD', `password of user ${existing.name} changed`);
      return { changed: true, result: { name: existing.name } };
    },
};

// ------------------------------------------------------------------ registration

const admin: Record<string, Spec> = {
  'grp.enable': groupEnable(true),
  'grp.disable': groupEnable(false),
  'grp.lock': groupLock(true),
  'grp.unlock': groupLock(false),
  'grp.add': grpAdd,
  'grp.delete': grpDelete,
  'grp.link': grpLink,
  'grp.unlink': grpUnlink,
  'grp.modify-link': grpModifyLink,
  'res.enable': resEnable(true),
  'res.disable': resEnable(false),
  'res.add': resAdd,
  'res.delete': resDelete,
  'res.modify': resModify,
  'node.license': nodeLicense,
  'node.evacuate': nodeEvacuate,
  'node.support': nodeSupport,
  'users.list': usersList,
  'users.add': usersAdd,
  'users.delete': usersDelete,
  'users.password': usersPassword,
};

/** What changes main.json or users.json: ordered by the coordinating node. */
const CONFIG_METHODS = new Set(['grp.enable', 'grp.disable', 'grp.lock', 'grp.unlock', 'grp.add', 'grp.delete', 'grp.link', 'grp.unlink', 'grp.modify-link', 'res.enable', 'res.disable', 'res.add', 'res.delete', 'res.modify', 'node.license', 'users.add', 'users.delete', 'users.password']);

for (const [method, spec] of Object.entries(admin)) registerMethod(method, { ...spec, config: CONFIG_METHODS.has(method) });
