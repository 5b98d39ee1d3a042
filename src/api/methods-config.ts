// Configuration as code: `config.get` (the running main.json, for `mccs
// config diff`) and `config.apply` (a whole main.json as one change, for
// `mccs apply -f`). Apply is a configuration method: it runs on the
// coordinating node inside one configuration transaction guarded by
// ifVersion (refused with CONFLICT when the cluster changed since the client
// read it; methods.ts dispatch), is validated whole before anything runs, and
// changes main.json through Engine.modifyConfig like every change. The plan
// of what it starts, stops or moves comes from the pure policy
// (policy/apply.ts) and runs through the engine like any operator command.
import { planApply, sameConfiguration, type ApplyAction } from '../engine/policy/apply.js';
import type { PolicyEvent } from '../engine/policy/types.js';
import { cloneConfig, validateConfig } from '../model/config.js';
import { MccsError } from '../model/errors.js';
import type { MainConfig } from '../model/types.js';
import { change, registerMethod, type MethodContext } from './methods.js';

function eventOf(a: ApplyAction): PolicyEvent {
  switch (a.op) {
    case 'stop':
      return { kind: 'GroupOffline', group: a.group, node: a.node };
    case 'stop-resource':
      return { kind: 'ResourceOffline', resource: a.resource!, node: a.node };
    case 'move':
      return { kind: 'GroupSwitch', group: a.group, node: a.node };
    case 'start':
      return { kind: 'GroupOnline', group: a.group, node: a.node };
  }
}

async function runAction(ctx: MethodContext, a: ApplyAction, timeout: number | undefined, done: string[]): Promise<void> {
  const r = await ctx.engine.handle(eventOf(a), { wait: true, timeout, cause: `operator ${ctx.principal.name}: apply (${a.code})` });
  if (r.execution && !r.execution.ok) {
    const failed = r.execution.steps.filter((s) => s.status === 'failed').map((s) => `${r.plan.steps[s.id]?.op} ${r.plan.steps[s.id]?.resource}: ${s.error}`);
    throw new MccsError('FAILED', `apply stopped at "${a.message}": ${failed.join('; ')}`, [done.length ? `already done: ${done.join('; ')}` : 'nothing was done before', 'see why: mccluster events'], { done, failedAt: a });
  }
  done.push(a.message);
}

registerMethod('config.get', {
  readOnly: true,
  params: {},
  handler: async ({ engine }) => ({ changed: false, result: { ConfigVersion: engine.config.ConfigVersion, config: engine.config } }),
});

registerMethod('config.apply', {
  readOnly: false,
  config: true,
  params: { config: { type: 'object' }, ...change },
  required: ['config'],
  handler: async (ctx, p) => {
    {
      const { engine } = ctx;
      const v = validateConfig(p.config);
      if (!v.ok) throw new MccsError('INVALID', `the file is invalid:\n  ${v.errors.map((e) => `${e.path || '/'}: ${e.message}`).join('\n  ')}`, ['fix the file; nothing was changed'], v.errors);
      const next = v.config as MainConfig;
      const names = (c: MainConfig) => c.Nodes.map((n) => n.NodeName).sort().join(',');
      if (names(next) !== names(engine.config)) {
        throw new MccsError('CONFLICT', `the file has nodes ${names(next)}, the cluster ${names(engine.config)}: nodes are not added or removed by apply`, ['add a node with mccs init --join; remove one with mcnode remove']);
      }
      if (sameConfiguration(engine.config, next)) {
        return { changed: false, result: { ConfigVersion: engine.config.ConfigVersion, changes: [], actions: [], ...(p.dryRun ? { dryRun: true } : {}) } };
      }
      const plan = planApply(engine.config, next, engine.observed);
      if (p.dryRun) return { changed: false, result: { dryRun: true, ConfigVersion: engine.config.ConfigVersion, ...plan } };
      const done: string[] = [];
      const timeout = typeof p.timeout === 'number' ? p.timeout : undefined;
      // Inside the configuration transaction: no other change comes in between the plan and the change.
      for (const a of plan.actions.filter((x) => x.when === 'before')) await runAction(ctx, a, timeout, done);
      const r = await engine.modifyConfig((draft) => {
        const version = draft.ConfigVersion;
        for (const k of Object.keys(draft)) delete (draft as unknown as Record<string, unknown>)[k];
        Object.assign(draft, cloneConfig(next), { ConfigVersion: version });
      }, `operator ${ctx.principal.name}: apply (${plan.changes.length} changes)`);
      for (const a of plan.actions.filter((x) => x.when === 'after')) await runAction(ctx, a, timeout, done);
      return { changed: true, result: { ConfigVersion: r.ConfigVersion, ...plan, done } };
    }
  },
});
