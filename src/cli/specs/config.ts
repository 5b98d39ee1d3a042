// Configuration as code: `mccs config check FILE` (offline, the daemon's own
// loader: same errors, same exit codes), `mccs config diff FILE` (against the
// running cluster) and `mccs apply -f FILE [--dry-run]` (one guarded change).
import type { ApplyResult, Envelope } from '../../api/protocol.js';
import { MccsError } from '../../model/errors.js';
import { defineSpec, type AnySpec, type Input, type RunContext } from '../spec.js';

async function loadFile(path: string) {
  await import('../../engine/agents/catalog.js'); // the agents declare their Types to the validator
  const { loadConfigFile } = await import('../../model/config.js');
  return loadConfigFile(path);
}

function fileArg(input: Input, name: 'file'): string {
  const v = input.args[name] ?? (typeof input.flags.file === 'string' ? input.flags.file : undefined);
  if (!v) throw new MccsError('USAGE', 'missing FILE', ['mccs apply -f main.json', 'mccs config check main.json']);
  return v;
}

export const configSpecs: AnySpec[] = [
  defineSpec({
    id: 'config:check',
    summary: 'Validate a main.json offline, as the engine would load it (exit 3 with every error; for CI of configuration repositories).',
    examples: ['mccs config check main.json', 'mccs config check repo/shop/main.json --json'],
    args: [{ name: 'file', summary: 'The main.json to check.', required: true }],
    method: 'config.get',
    params: () => ({}),
    render: 'configCheck',
    run: async (input) => {
      const file = fileArg(input, 'file');
      const config = await loadFile(file);
      return { ok: true, changed: false, result: { file, ConfigVersion: config.ConfigVersion, ClusterName: config.Cluster.ClusterName, nodes: config.Nodes.length, groups: config.Groups.length, resources: config.Groups.reduce((n, g) => n + g.Resources.length, 0) } };
    },
  }),
  defineSpec({
    id: 'config:diff',
    summary: 'What would change in the running cluster if FILE were applied (groups, resources and attributes matched by name).',
    examples: ['mccs config diff main.json', 'mccs config diff main.json --json'],
    args: [{ name: 'file', summary: 'The main.json to compare.', required: true }],
    method: 'config.get',
    params: () => ({}),
    render: 'configDiff',
    run: async (input, ctx) => {
      const file = fileArg(input, 'file');
      const next = await loadFile(file);
      const env = await ctx.call('config.get', {});
      if (!env.ok) return env;
      const { diffConfigs } = await import('../../model/config-diff.js');
      const changes = diffConfigs(env.result.config as never, next);
      return { ok: true, changed: false, result: { file, ConfigVersion: env.result.ConfigVersion, changes } };
    },
  }),
  defineSpec({
    id: 'apply',
    summary: 'Apply a whole main.json as one change: prints what starts, stops or moves; refused (exit 5) when the cluster changed meanwhile.',
    description: `Validates FILE offline, asks the engine for the plan (a dry run), prints it, then applies
it with the ConfigVersion the plan was made on (or --if-version N): when someone changed the
cluster in between, nothing is applied and the exit code is 5. Groups not in FILE are taken
offline and removed; a node leaving a group's NodeList has the group switched away first;
new groups with AutoStart come online. Nodes are not added or removed by apply.`,
    examples: ['mccs apply -f main.json --dry-run', 'mccs apply -f main.json', 'mccs apply -f main.json --if-version 7 --json'],
    args: [],
    flags: {
      file: { kind: 'string', char: 'f', required: true, summary: 'The main.json to apply.' },
    },
    change: true,
    method: 'config.apply',
    params: () => ({ config: {} }),
    render: 'apply',
    run: (input, ctx) => apply(input, ctx),
  }),
];

async function apply(input: Input, ctx: RunContext): Promise<Envelope<ApplyResult>> {
  const file = fileArg(input, 'file');
  const config = await loadFile(file);
  const given = typeof input.flags['if-version'] === 'number' ? (input.flags['if-version'] as number) : undefined;
  const timeout = typeof input.flags.timeout === 'number' ? input.flags.timeout : undefined;
  const plan = await ctx.call('config.apply', { config, dryRun: true, ...(given !== undefined ? { ifVersion: given } : {}) });
  if (!plan.ok || input.flags['dry-run']) return plan;
  if (plan.result.changes.length === 0) {
    // Already so: the same answer as the engine gives without --dry-run.
    const { dryRun: _, ...result } = plan.result;
    return { ok: true, changed: false, result };
  }
  if (!input.flags.json) {
    const { renderResult } = await import('../render.js');
    ctx.io.stdout(renderResult('apply', plan.result, { input, changed: false, io: ctx.io }) + '\n');
  }
  const { withProgress } = await import('../progress.js');
  return withProgress(ctx, input, { title: `apply ${file}`, groups: [...new Set(plan.result.actions.map((a) => a.group))] }, () =>
    ctx.call('config.apply', { config, ifVersion: given ?? plan.result.ConfigVersion, ...(timeout !== undefined ? { timeout } : {}) }),
  );
}
