// Human output of `mccs config check`, `mccs config diff` and `mccs apply`.
import type { ChalkInstance } from 'chalk';
import type { ApplyResult } from '../api/protocol.js';
import type { RenderContext } from './spec.js';

const short = (v: unknown): string => {
  if (v === undefined) return '(unset)';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function changeLines(c: ChalkInstance, changes: ApplyResult['changes']): string[] {
  return changes.map((x) => {
    if (x.op === 'add') return `  ${c.green('+ add   ')} ${x.what}`;
    if (x.op === 'remove') return `  ${c.red('- remove')} ${x.what}`;
    return `  ${c.yellow('~ change')} ${x.what} ${x.attribute}: ${short(x.before)} → ${short(x.after)}`;
  });
}

function actionLines(c: ChalkInstance, actions: ApplyResult['actions']): string[] {
  return actions.map((a) => `  ${(a.op === 'start' ? c.green : a.op === 'move' ? c.cyan : c.red)(a.op.padEnd(13))} ${a.message} ${c.dim(`(${a.code}, ${a.when} the change)`)}`);
}

export const configRenderers = {
  login: (r: { profile: string; settings: string; host?: string; user?: string; ClusterName: string; node: string }, ctx: RenderContext, c: ChalkInstance) =>
    `${ctx.changed ? c.green('Profile stored') : c.dim('Profile unchanged')}: ${r.profile} → ${r.user ?? 'root'}@${r.host ?? 'local socket'} (cluster ${r.ClusterName}, node ${r.node}) in ${r.settings}\nuse it: --profile ${r.profile} or MCCS_PROFILE=${r.profile}`,
  configCheck: (r: { file: string; ConfigVersion: number; ClusterName: string; nodes: number; groups: number; resources: number }, _ctx: RenderContext, c: ChalkInstance) =>
    `${c.green('valid')}: ${r.file} (cluster ${r.ClusterName}, ConfigVersion ${r.ConfigVersion}, ${r.nodes} nodes, ${r.groups} groups, ${r.resources} resources)`,
  configDiff: (r: { file: string; ConfigVersion: number; changes: ApplyResult['changes'] }, _ctx: RenderContext, c: ChalkInstance) =>
    r.changes.length === 0
      ? `${c.dim('no difference')}: ${r.file} holds what the cluster runs (ConfigVersion ${r.ConfigVersion})`
      : [`${r.changes.length} difference${r.changes.length === 1 ? '' : 's'} between the cluster (ConfigVersion ${r.ConfigVersion}) and ${r.file}:`, ...changeLines(c, r.changes)].join('\n'),
  apply: (r: ApplyResult, ctx: RenderContext, c: ChalkInstance) => {
    if (r.changes.length === 0) return `${c.dim('Already so')}: the cluster holds this configuration (ConfigVersion ${r.ConfigVersion}); nothing to apply.`;
    if (ctx.changed && !r.dryRun) {
      // The plan was printed before it ran; now what was done.
      return [c.green(`Applied: ConfigVersion ${r.ConfigVersion} (${r.changes.length} change${r.changes.length === 1 ? '' : 's'}).`), ...(r.done ?? []).map((d) => `  ${c.green('done')} ${d}`)].join('\n');
    }
    const head = r.dryRun ? c.cyan(`Plan (dry run, nothing was changed) against ConfigVersion ${r.ConfigVersion}:`) : ctx.changed ? c.green(`Applied: ConfigVersion ${r.ConfigVersion}.`) : `Plan against ConfigVersion ${r.ConfigVersion}:`;
    const out = [head, `changes (${r.changes.length}):`, ...changeLines(c, r.changes)];
    out.push(r.actions.length ? `starts, stops and moves (${r.actions.length}):` : 'nothing starts, stops or moves.');
    out.push(...actionLines(c, r.actions));
    if (r.done && r.done.length) out.push(`done: ${r.done.length} action${r.done.length === 1 ? '' : 's'}`);
    return out.join('\n');
  },
};
