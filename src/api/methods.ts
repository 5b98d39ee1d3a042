// The API methods: each validates its params (ajv), calls the engine, and
// returns { changed, result }. Thin: the engine and the policy decide.
import { Ajv, type ValidateFunction } from 'ajv';
import { clusterAttributes, findDeclaration, groupAttributes, nodeAttributes } from '../model/attributes.js';
import { MccsError } from '../model/errors.js';
import { readRenames } from '../model/rename.js';
import type { GroupState } from '../model/types.js';
import type { Principal } from '../auth/users.js';
import type { ChangeResult } from '../engine/config-store.js';
import { conflictError } from '../engine/config-store.js';
import type { Engine, HandleResult } from '../engine/engine.js';
import { groupState } from '../engine/policy/group-state.js';
import type { PolicyEvent } from '../engine/policy/types.js';
import { clusterAttributeView, clusterStatus, groupView, nodeView, resourceView } from '../engine/views.js';
import { securityStatus } from './login-audit.js';
import { typedAttributes } from './methods/typed-attributes.js';
import type { Envelope, EventRecord } from './protocol.js';

export interface MethodContext {
  engine: Engine;
  principal: Principal;
}

export interface MethodOutcome {
  changed: boolean;
  result: unknown;
}

type Handler = (ctx: MethodContext, params: Record<string, unknown>) => Promise<MethodOutcome>;

interface MethodSpec {
  readOnly: boolean;
  /**
   * Changes the configuration (main.json, users): runs on the coordinating
   * node (forwarded there) inside one configuration transaction, so its
   * checks and its change see no other change in between.
   */
  config?: boolean;
  params: Record<string, unknown>;
  required?: string[];
  handler: Handler;
}

/** Param schemas shared by every method table. */
export const name = { type: 'string', minLength: 1, maxLength: 128 };
export const change = {
  dryRun: { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'number', minimum: 0, maximum: 86400 },
  node: name,
  force: { type: 'boolean' },
  /** Optimistic concurrency for scripts: refused (CONFLICT) unless ConfigVersion is this. */
  ifVersion: { type: 'integer', minimum: 0 },
};
/** Operator-typed attribute values; each is checked against its declaration (length limits included) after parsing. */
export const attributesParam = {
  type: 'object',
  maxProperties: 256,
  propertyNames: { maxLength: 128 },
  additionalProperties: { type: ['string', 'number', 'boolean', 'array'], maxLength: 65536, maxItems: 4096 },
};

const ajv = new Ajv({ allErrors: true, strict: false });

function str(p: Record<string, unknown>, key: string): string {
  return p[key] as string;
}

/** Operator event → plan → run; `--wait` also checks that the wanted state holds. */
async function changeState(ctx: MethodContext, event: PolicyEvent, p: Record<string, unknown>, wanted?: { group: string; node: string; state: GroupState }): Promise<MethodOutcome> {
  const { engine, principal } = ctx;
  const opts = { dryRun: p.dryRun === true, wait: p.wait === true, timeout: p.timeout as number | undefined, cause: `operator ${principal.name}` };
  const out: HandleResult = await engine.handle(event, opts);
  if (opts.dryRun) return { changed: false, result: { plan: out.plan, dryRun: true } };
  if (out.execution && !out.execution.ok) {
    const failed = out.execution.steps.filter((s) => s.status === 'failed').map((s) => `${out.plan.steps[s.id]?.op} ${out.plan.steps[s.id]?.resource}: ${s.error}`);
    throw new MccsError('FAILED', `the operation failed: ${failed.join('; ')}`, ['see why: mccluster events', 'after fixing: mcres -clear RES'], { plan: out.plan, execution: out.execution });
  }
  let state: GroupState | undefined;
  if (opts.wait && wanted) {
    state = (out.groupStates?.[wanted.node] as GroupState | undefined) ?? groupState(engine.config, engine.findGroup(wanted.group), engine.observed, wanted.node);
    if (state !== wanted.state && out.changed) throw new MccsError('FAILED', `group ${wanted.group} is ${state} on ${wanted.node}, not ${wanted.state}`, ['mccluster events --group ' + wanted.group]);
  }
  return { changed: out.changed, result: { plan: out.plan, ...(state ? { state } : {}) } };
}

function targetNode(ctx: MethodContext, p: Record<string, unknown>): string {
  return typeof p.node === 'string' ? ctx.engine.checkNode(p.node) : ctx.engine.localNode;
}

/** What a configuration change answers: the version it produced and where it is durable. */
export function committed(r: ChangeResult): Record<string, unknown> {
  return { ConfigVersion: r.ConfigVersion, ...(r.changed ? { committedOn: r.committedOn, ...(r.notOn.length ? { notOn: r.notOn } : {}) } : {}) };
}

/** Own entries only: a method name is never looked up on an object prototype ("constructor", "__proto__"). */
const methods = new Map<string, MethodSpec>(Object.entries({
  'cluster.status': { readOnly: true, params: {}, handler: async ({ engine }) => ({ changed: false, result: { ...clusterStatus(engine), attributes: clusterAttributeView(engine), security: securityStatus(engine) } }) },
  'witness.check': {
    readOnly: true,
    params: {},
    handler: async ({ engine }) => {
      if (!engine.cluster.witnessCheck) throw new MccsError('CONFLICT', 'this cluster has no witness (WitnessType none), or this node runs as a single-node cluster', ['mccluster modify WitnessType=etcd WitnessEndpoints=http://HOST:2379, then restart the engines one at a time']);
      return { changed: false, result: await engine.cluster.witnessCheck() };
    },
  },
  'cluster.events': {
    readOnly: true,
    params: { group: name, resource: name, node: name, since: name, until: name, limit: { type: 'integer', minimum: 1 }, all: { type: 'boolean' } },
    handler: async ({ engine, principal }, p) => {
      const { all, ...filter } = p;
      // A renamed node's events under its old names too.
      const renames = typeof filter.node === 'string' ? readRenames(engine.paths.config) : {};
      const aliases = Object.keys(renames).filter((k) => renames[k] === filter.node);
      const local = engine.events.read({ ...(filter as object), ...(aliases.length ? { aliases } : {}) });
      if (all !== true || !engine.cluster.forward) return { changed: false, result: local };
      // Every node's log, merged by time (each peer's read through its engine, with the same filter).
      const forward = engine.cluster.forward.bind(engine.cluster);
      const others = engine.cluster.peers?.() ?? [];
      const peer = (
        await Promise.all(
          others.map(async (to) => {
            try {
              const env = (await forward('cluster.events', filter, principal, { coordinated: true, to })) as Envelope<EventRecord[]>;
              return env.ok ? env.result : [];
            } catch {
              return []; // that peer cannot be reached: its events are missing, the others' are shown
            }
          }),
        )
      ).flat();
      const merged = [...local, ...peer].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      return { changed: false, result: typeof filter.limit === 'number' ? merged.slice(-filter.limit) : merged };
    },
  },
  'cluster.modify': {
    readOnly: false,
    config: true,
    params: { attributes: attributesParam, ...change },
    required: ['attributes'],
    handler: async ({ engine, principal }, p) => {
      const values = typedAttributes(clusterAttributes, p.attributes as Record<string, unknown>, 'the cluster');
      if (p.dryRun) return { changed: false, result: { dryRun: true, attributes: values } };
      const r = await engine.modifyConfig((c) => Object.assign(c.Cluster, values), `operator ${principal.name}: cluster modify`);
      return { changed: r.changed, result: committed(r) };
    },
  },
  'node.list': {
    readOnly: true,
    params: { node: name },
    handler: async ({ engine }, p) => {
      const names = typeof p.node === 'string' ? [engine.checkNode(p.node)] : engine.config.Nodes.map((n) => n.NodeName);
      return { changed: false, result: names.map((n) => nodeView(engine, n)) };
    },
  },
  'node.modify': {
    readOnly: false,
    config: true,
    params: { attributes: attributesParam, ...change },
    required: ['node', 'attributes'],
    handler: async (ctx, p) => {
      const { engine, principal } = ctx;
      const node = engine.checkNode(str(p, 'node'));
      const raw = p.attributes as Record<string, unknown>;
      // `-a NodeName NEW` is the MCCS form of a rename (methods-rename.ts).
      if (Object.keys(raw).some((k) => findDeclaration(nodeAttributes, k)?.name === 'NodeName')) {
        const [value, ...others] = Object.values(raw);
        if (others.length > 0) throw new MccsError('USAGE', 'NodeName is changed alone: mcnode -modify -n OLD -a NodeName NEW (other attributes in another command)');
        const { attributes: _given, ...rest } = p;
        return dispatch(ctx, 'node.rename', { ...rest, node, name: String(value) });
      }
      const values = typedAttributes(nodeAttributes, raw, `node ${node}`, { force: p.force === true });
      if (p.dryRun) return { changed: false, result: { dryRun: true, attributes: values } };
      const r = await engine.modifyConfig((c) => Object.assign(c.Nodes.find((n) => n.NodeName === node)!, values), `operator ${principal.name}: node modify ${node}`);
      return { changed: r.changed, result: committed(r) };
    },
  },
  'grp.list': {
    readOnly: true,
    params: { group: name },
    handler: async ({ engine }, p) => {
      const groups = typeof p.group === 'string' ? [engine.findGroup(p.group)] : engine.config.Groups;
      return { changed: false, result: groups.map((g) => groupView(engine, g)) };
    },
  },
  'grp.state': {
    readOnly: true,
    params: { group: name, node: name },
    handler: async ({ engine }, p) => {
      const groups = typeof p.group === 'string' ? [engine.findGroup(p.group)] : engine.config.Groups;
      const nodeFilter = typeof p.node === 'string' ? engine.checkNode(p.node) : undefined;
      const rows = groups.flatMap((g) =>
        g.NodeList.filter((n) => !nodeFilter || n === nodeFilter).map((n) => ({
          GroupName: g.GroupName,
          node: n,
          state: groupState(engine.config, g, engine.observed, n),
          Frozen: g.Frozen === true,
          Locked: g.Locked === true || engine.observed.groups?.[g.GroupName]?.tempLocked === true,
        })),
      );
      return { changed: false, result: rows };
    },
  },
  'grp.online': {
    readOnly: false,
    params: { group: name, ...change },
    required: ['group'],
    handler: async (ctx, p) => {
      const node = targetNode(ctx, p);
      ctx.engine.findGroup(str(p, 'group'));
      if (p.force && !p.dryRun && !ctx.engine.probed && ctx.engine.cluster.forceStartAlone) {
        // SPEC §3 Starting alone: an operator vouches that the peer is down.
        ctx.engine.record({ subject: `node:${ctx.engine.localNode}`, cause: `operator ${ctx.principal.name}`, rule: 'START_ALONE_FORCED', message: `operator ${ctx.principal.name} forced ${ctx.engine.localNode} to start without its peer` });
        ctx.engine.cluster.forceStartAlone();
      }
      return changeState(ctx, { kind: 'GroupOnline', group: str(p, 'group'), node, ...(p.force ? { force: true } : {}) }, p, { group: str(p, 'group'), node, state: 'ONLINE' });
    },
  },
  'grp.offline': {
    readOnly: false,
    params: { group: name, ...change },
    required: ['group'],
    handler: async (ctx, p) => {
      const node = targetNode(ctx, p);
      return changeState(ctx, { kind: 'GroupOffline', group: str(p, 'group'), node }, p, { group: str(p, 'group'), node, state: 'OFFLINE' });
    },
  },
  'grp.switch': {
    readOnly: false,
    params: { group: name, ...change },
    required: ['group', 'node'],
    handler: async (ctx, p) => {
      const node = targetNode(ctx, p);
      // --force: the operator places the group even beyond the node's Capacity (the only refusal it lifts).
      return changeState(ctx, { kind: 'GroupSwitch', group: str(p, 'group'), node, ...(p.force ? { force: true } : {}) }, p, { group: str(p, 'group'), node, state: 'ONLINE' });
    },
  },
  'grp.freeze': { readOnly: false, config: true, params: { group: name, ...change }, required: ['group'], handler: (ctx, p) => setGroupFlag(ctx, p, 'Frozen', true) },
  'grp.unfreeze': { readOnly: false, config: true, params: { group: name, ...change }, required: ['group'], handler: (ctx, p) => setGroupFlag(ctx, p, 'Frozen', false) },
  'grp.clear': {
    readOnly: false,
    params: { group: name, ...change },
    required: ['group'],
    handler: async (ctx, p) => changeState(ctx, { kind: 'GroupClear', group: str(p, 'group'), node: targetNode(ctx, p) }, p),
  },
  'grp.modify': {
    readOnly: false,
    config: true,
    params: { group: name, attributes: attributesParam, ...change },
    required: ['group', 'attributes'],
    handler: async ({ engine, principal }, p) => {
      const g = engine.findGroup(str(p, 'group'));
      const values = typedAttributes(groupAttributes, p.attributes as Record<string, unknown>, `group ${g.GroupName}`);
      if (p.dryRun) return { changed: false, result: { dryRun: true, attributes: values } };
      const r = await engine.modifyConfig((c) => Object.assign(c.Groups.find((x) => x.GroupName === g.GroupName)!, values), `operator ${principal.name}: grp modify ${g.GroupName}`);
      return { changed: r.changed, result: committed(r) };
    },
  },
  'res.list': {
    readOnly: true,
    params: { resource: name, group: name },
    handler: async ({ engine }, p) => {
      const rows = [...engine.allResources()].filter(({ group, res }) => (!p.resource || res.ResName === p.resource) && (!p.group || group.GroupName === p.group));
      if (p.resource && rows.length === 0) engine.findResource(str(p, 'resource'));
      if (p.group) engine.findGroup(str(p, 'group'));
      return { changed: false, result: rows.map(({ group, res }) => resourceView(engine, group, res)) };
    },
  },
  'res.state': {
    readOnly: true,
    params: { resource: name, group: name, node: name },
    handler: async ({ engine }, p) => {
      if (p.resource) engine.findResource(str(p, 'resource'));
      if (p.group) engine.findGroup(str(p, 'group'));
      const nodeFilter = typeof p.node === 'string' ? engine.checkNode(p.node) : undefined;
      const rows = [...engine.allResources()]
        .filter(({ group, res }) => (!p.resource || res.ResName === p.resource) && (!p.group || group.GroupName === p.group))
        .flatMap(({ group, res }) =>
          group.NodeList.filter((n) => !nodeFilter || n === nodeFilter).map((n) => {
            const st = engine.status(n, res.ResName);
            return { ResName: res.ResName, GroupName: group.GroupName, node: n, state: st.state, ...(st.reason ? { reason: st.reason } : {}), ...(st.details ? { details: st.details } : {}) };
          }),
        );
      return { changed: false, result: rows };
    },
  },
  'res.online': {
    readOnly: false,
    params: { resource: name, ...change },
    required: ['resource'],
    handler: async (ctx, p) => changeState(ctx, { kind: 'ResourceOnline', resource: str(p, 'resource'), node: targetNode(ctx, p) }, p),
  },
  'res.offline': {
    readOnly: false,
    params: { resource: name, ...change },
    required: ['resource'],
    handler: async (ctx, p) => changeState(ctx, { kind: 'ResourceOffline', resource: str(p, 'resource'), node: targetNode(ctx, p) }, p),
  },
  'res.clear': {
    readOnly: false,
    params: { resource: name, ...change },
    required: ['resource'],
    handler: async (ctx, p) => changeState(ctx, { kind: 'ResourceClear', resource: str(p, 'resource'), node: targetNode(ctx, p) }, p),
  },
  'res.probe': {
    readOnly: true,
    params: { resource: name, node: name },
    required: ['resource'],
    handler: async ({ engine }, p) => {
      const { group, res } = engine.findResource(str(p, 'resource'));
      const obs = await engine.observeOnce(group, res);
      return { changed: false, result: { ResName: res.ResName, node: engine.localNode, observation: obs.state, reason: obs.reason, state: engine.status(engine.localNode, res.ResName).state } };
    },
  },
} satisfies Record<string, MethodSpec>));

async function setGroupFlag(ctx: MethodContext, p: Record<string, unknown>, flag: 'Frozen', value: boolean): Promise<MethodOutcome> {
  const g = ctx.engine.findGroup(str(p, 'group'));
  if (p.dryRun) return { changed: false, result: { dryRun: true, [flag]: value, wouldChange: (g[flag] === true) !== value } };
  const r = await ctx.engine.modifyConfig((c) => {
    const draft = c.Groups.find((x) => x.GroupName === g.GroupName)!;
    if (value) draft[flag] = true;
    else delete draft[flag];
  }, `operator ${ctx.principal.name}: ${value ? 'freeze' : 'unfreeze'} ${g.GroupName}`);
  return { changed: r.changed, result: { [flag]: value, ...committed(r) } };
}

const compiled = new Map<string, ValidateFunction>();

export function registerMethod(method: string, spec: MethodSpec): void {
  methods.set(method, spec);
  compiled.delete(method);
}

export async function dispatch(ctx: MethodContext, method: string, params: unknown): Promise<MethodOutcome> {
  const spec = methods.get(method);
  if (!spec) throw new MccsError('USAGE', `unknown method '${method}'`, ['upgrade the CLI and the engine together']);
  if (!spec.readOnly && ctx.principal.role !== 'Administrator') throw new MccsError('AUTH', `user ${ctx.principal.name} (role ${ctx.principal.role}) may not run ${method}`, ['use an Administrator account']);
  let check = compiled.get(method);
  if (!check) {
    check = ajv.compile({ type: 'object', properties: spec.params, required: spec.required ?? [], additionalProperties: false });
    compiled.set(method, check);
  }
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) throw new MccsError('USAGE', `bad request for ${method}: params must be an object`);
  const p = (params ?? {}) as Record<string, unknown>;
  if (!check(p)) {
    const why = (check.errors ?? []).map((e) => `${e.instancePath || 'params'} ${e.keyword === 'additionalProperties' ? `has unknown field '${String(e.params.additionalProperty)}'` : e.message}`).join('; ');
    throw new MccsError('USAGE', `bad request for ${method}: ${why}`);
  }
  const ifVersion = typeof p.ifVersion === 'number' ? p.ifVersion : undefined;
  if (spec.config && p.dryRun !== true) return ctx.engine.store.transaction(() => spec.handler(ctx, p), ifVersion);
  if (ifVersion !== undefined && ifVersion !== ctx.engine.config.ConfigVersion) throw conflictError(ifVersion, ctx.engine.config.ConfigVersion);
  return spec.handler(ctx, p);
}

/** Changes the configuration: runs on the coordinating node. */
export function changesConfig(method: string): boolean {
  return methods.get(method)?.config === true;
}

/**
 * Params of a call forwarded to the coordinating node: a node-scoped method
 * given without a node meant the node it was given on, not the coordinator.
 */
export function coordinatedParams(method: string, params: Record<string, unknown>, origin: string): Record<string, unknown> {
  const spec = methods.get(method);
  return spec && 'node' in spec.params && params.node === undefined ? { ...params, node: origin } : params;
}
