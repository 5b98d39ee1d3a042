// Human output: tables in colour on a terminal, plain when piped or when
// NO_COLOR is set. Loaded only when a human reads the answer (--json never
// loads it). Every renderer takes a result of protocol.ts and returns text.
import { Chalk, type ChalkInstance } from 'chalk';
import type { ClusterStatus, EventRecord, GroupView, NodeView, ResourceView, ChangeResult } from '../api/protocol.js';
import { escapeLogText } from '../engine/log-text.js';
import type { Plan } from '../engine/policy/types.js';
import type { Io, RenderContext } from './spec.js';
import { witnessBlock, witnessCheck } from './render-witness.js';
import { configRenderers } from './render-config.js';

export function useColour(io: Pick<Io, 'isTTY' | 'env'>): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return io.isTTY && io.env.TERM !== 'dumb';
}

export function colours(io: Pick<Io, 'isTTY' | 'env'>): ChalkInstance {
  return new Chalk({ level: useColour(io) ? 1 : 0 });
}

const STATE_STYLE: Record<string, (c: ChalkInstance) => ChalkInstance> = {
  ONLINE: (c) => c.green,
  RUNNING: (c) => c.green,
  UP: (c) => c.green,
  FAULTED: (c) => c.red.bold,
  DOWN: (c) => c.red,
  EXITED: (c) => c.red,
  PARTIAL: (c) => c.yellow,
  STARTING: (c) => c.yellow,
  STOPPING: (c) => c.yellow,
  INITING: (c) => c.yellow,
  LOCAL_BUILD: (c) => c.yellow,
  REMOTE_BUILD: (c) => c.yellow,
  UNKNOWN: (c) => c.gray,
  OFFLINE: (c) => c.reset,
};

export function paintState(c: ChalkInstance, text: string): string {
  const word = text.trim().split(/[\s:]/).pop() ?? '';
  const style = STATE_STYLE[word];
  return style ? style(c)(text) : text;
}

/** Columns padded on the plain text, then painted, so colour never breaks alignment. */
export function table(c: ChalkInstance, headers: string[], rows: string[][], paint: (col: number, text: string) => string = (_, t) => t): string {
  if (rows.length === 0) return c.dim('(none)');
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], head: boolean): string =>
    cells
      .map((cell, i) => {
        const text = i === cells.length - 1 ? cell : cell.padEnd(widths[i]);
        return head ? c.bold(text) : paint(i, text);
      })
      .join('  ')
      .trimEnd();
  return [line(headers, true), ...rows.map((r) => line(r, false))].join('\n');
}

export function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(show).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function attributeTable(c: ChalkInstance, attributes: Record<string, unknown>): string {
  return table(c, ['ATTRIBUTE', 'VALUE'], Object.entries(attributes).map(([k, v]) => [k, show(v)]));
}

function statesOf(states: Record<string, string | { state: string }>): string {
  return Object.entries(states)
    .map(([node, s]) => `${node}:${typeof s === 'string' ? s : s.state}`)
    .join(' ');
}

function paintStates(c: ChalkInstance, text: string): string {
  return text.replace(/([^\s:]+):([A-Z_]+)/g, (_, n: string, s: string) => `${n}:${paintState(c, s)}`);
}

/** "40/100" (LoadInUse/Capacity), "40" without Capacity (unlimited), "" from an engine that does not report it. */
function loadCell(a: Record<string, unknown>): string {
  if (typeof a.LoadInUse !== 'number') return '';
  return typeof a.Capacity === 'number' ? `${a.LoadInUse}/${a.Capacity}` : String(a.LoadInUse);
}

type Renderer = (result: never, ctx: RenderContext, c: ChalkInstance) => string;

export const renderers: Record<string, Renderer> = {
  groups: (groups: GroupView[], ctx, c) => {
    if (ctx.input.args.group && groups.length === 1) {
      const g = groups[0];
      const deps = g.dependencies.map((d) => [d.Parent, d.Child, d.OnlineDependency, d.OfflineDependency]);
      return [
        attributeTable(c, { GroupName: g.GroupName, ...g.attributes }),
        '',
        `${c.bold('States')}  ${paintStates(c, statesOf(g.states))}`,
        `${c.bold('Resources')}  ${g.resources.join(', ') || '(none)'}`,
        '',
        table(c, ['PARENT', 'CHILD', 'ONLINE', 'OFFLINE'], deps),
      ].join('\n');
    }
    return table(
      c,
      ['GROUP', 'TYPE', 'NODELIST', 'STATE', 'FROZEN', 'LOCKED', 'ENABLED'],
      groups.map((g) => [g.GroupName, show(g.attributes.GroupType), show(g.attributes.NodeList), statesOf(g.states), show(g.attributes.Frozen), show(g.attributes.Locked), show(g.attributes.Enabled)]),
      (col, t) => (col === 3 ? paintStates(c, t) : t),
    );
  },
  groupStates: (rows: { GroupName: string; node: string; state: string; Frozen: boolean; Locked: boolean }[], _ctx, c) =>
    table(c, ['GROUP', 'NODE', 'STATE', 'FROZEN', 'LOCKED'], rows.map((r) => [r.GroupName, r.node, r.state, show(r.Frozen), show(r.Locked)]), (col, t) =>
      col === 2 ? paintState(c, t) : t,
    ),
  resources: (resources: ResourceView[], ctx, c) => {
    if (ctx.input.args.resource && resources.length === 1) {
      const r = resources[0];
      const states = Object.entries(r.states).map(([node, s]) => [node, s.state, s.reason ?? '', show(s.restartCount)]);
      return [
        attributeTable(c, { ResName: r.ResName, Type: r.Type, GroupName: r.GroupName, ...r.attributes }),
        '',
        table(c, ['NODE', 'STATE', 'REASON', 'RESTARTS'], states, (col, t) => (col === 1 ? paintState(c, t) : t)),
      ].join('\n');
    }
    return table(
      c,
      ['RESOURCE', 'TYPE', 'GROUP', 'CRITICAL', 'ENABLED', 'STATE'],
      resources.map((r) => [r.ResName, r.Type, r.GroupName, show(r.attributes.Critical), show(r.attributes.Enabled), statesOf(r.states)]),
      (col, t) => (col === 5 ? paintStates(c, t) : t),
    );
  },
  resourceStates: (rows: { ResName: string; GroupName: string; node: string; state: string; reason?: string }[], _ctx, c) =>
    table(c, ['RESOURCE', 'GROUP', 'NODE', 'STATE', 'REASON'], rows.map((r) => [r.ResName, r.GroupName, r.node, r.state, r.reason ?? '']), (col, t) =>
      col === 3 ? paintState(c, t) : t,
    ),
  probe: (r: { ResName: string; node: string; state: string; reason: string }, _ctx, c) => `${r.ResName} on ${r.node}: ${paintState(c, r.state)}${r.reason ? ` (${r.reason})` : ''}`,
  nodes: (nodes: NodeView[], ctx, c) => {
    if (ctx.input.args.node && nodes.length === 1) {
      return attributeTable(c, { NodeName: nodes[0].NodeName, NodeState: nodes[0].state, ...nodes[0].attributes });
    }
    return table(
      c,
      ['NODE', 'STATE', 'PRIMARYHB', 'SECONDARYHB', 'LOAD'],
      nodes.map((n) => [
        n.NodeName,
        n.state,
        `${show(n.attributes.PrimaryHB)} ${show(n.attributes.PrimaryHBStatus)}`.trim(),
        `${show(n.attributes.SecondaryHB)} ${show(n.attributes.SecondaryHBStatus)}`.trim(),
        loadCell(n.attributes),
      ]),
      (col, t) => (col === 1 ? paintState(c, t) : col >= 2 ? t.replace(/\b(UP|DOWN)\b/, (s) => paintState(c, s)) : t),
    );
  },
  status: (s: ClusterStatus, _ctx, c) => {
    const nodeNames = s.nodes.map((n) => n.NodeName);
    const out = [
      `${c.bold('Cluster')} ${s.ClusterName}  ConfigVersion ${s.ConfigVersion}  local node ${s.localNode}`,
      ...configLine(s.membership as ConfigView | undefined, c),
      '',
      renderers.nodes(s.nodes as never, { input: { args: {}, flags: {}, attributes: {} }, changed: false, io: _ctx.io }, c),
      '',
      table(
        c,
        ['GROUP', 'TYPE', ...nodeNames.map((n) => n.toUpperCase()), 'FLAGS'],
        s.groups.map((g) => [
          g.GroupName,
          show(g.attributes.GroupType),
          ...nodeNames.map((n) => show(g.states[n] ?? '-')),
          [g.attributes.Frozen ? 'frozen' : '', g.attributes.Locked ? 'locked' : '', g.attributes.Enabled === false ? 'disabled' : ''].filter(Boolean).join(','),
        ]),
        (col, t) => (col >= 2 && col < 2 + nodeNames.length ? paintState(c, t) : t),
      ),
      '',
      table(
        c,
        ['RESOURCE', 'GROUP', 'TYPE', ...nodeNames.map((n) => n.toUpperCase())],
        s.resources.map((r) => [r.ResName, r.GroupName, r.Type, ...nodeNames.map((n) => r.states[n]?.state ?? '-')]),
        (col, t) => (col >= 3 ? paintState(c, t) : t),
      ),
    ];
    const witness = (s.membership as { witness?: Parameters<typeof witnessBlock>[0] } | undefined)?.witness;
    if (witness) out.push('', witnessBlock(witness, c));
    const l = s.security?.logins;
    if (l) {
      const locked = l.lockedNow.length ? c.yellow(`, locked now: ${l.lockedNow.map(escapeLogText).join(' ')}`) : '';
      out.push('', `Logins since engine start: ${l.ok} ok, ${l.failed} failed, ${l.throttled} throttled, ${l.locked} lockouts${locked}`);
    }
    if (s.warnings.length > 0) out.push('', ...s.warnings.map((w) => c.yellow(`warning: ${w}`)));
    return out.join('\n');
  },
  events: (events: EventRecord[], _ctx, c) =>
    table(
      c,
      ['TIME', 'NODE', 'SUBJECT', 'CHANGE', 'RULE', 'MESSAGE'],
      // Messages may quote values from outside (a node name, an attribute value): one row per event, whatever they hold.
      events.map((e) => [e.time, e.node, e.subject, e.oldState || e.newState ? `${e.oldState ?? '-'} -> ${e.newState ?? '-'}` : '', e.rule, e.message].map((v) => escapeLogText(String(v)))),
      (col, t) => (col === 3 ? t.replace(/[A-Z_]{4,}/g, (s) => paintState(c, s)) : t),
    ),
  attributes: (rows: { scope: string; name: string; kind: string; default?: unknown; editable: boolean; unit?: string; description: string }[], _ctx, c) =>
    table(
      c,
      ['SCOPE', 'ATTRIBUTE', 'TYPE', 'DEFAULT', 'EDITABLE', 'DESCRIPTION'],
      rows.map((r) => [r.scope, r.name, r.kind, `${show(r.default)}${r.default !== undefined && r.unit ? ' ' + r.unit : ''}`, r.editable ? 'yes' : 'no', r.description]),
    ),
  users: (rows: { name: string; role: string }[], _ctx, c) => table(c, ['USER', 'ROLE'], rows.map((r) => [r.name, r.role])),
  support: (r: { path: string; bytes: number }) => `wrote ${r.path} (${r.bytes} bytes)`,
  witness: (r: Parameters<typeof witnessCheck>[0], _ctx, c) => witnessCheck(r, c),
  change: (result: unknown, ctx, c) => renderChange(result, ctx, c),
};

function renderPlan(plan: Plan, ctx: RenderContext, c: ChalkInstance): string {
  const head = ctx.input.flags['dry-run']
    ? `${c.cyan('Plan (dry run, nothing was run)')}: ${plan.decision.message}`
    : ctx.changed
      ? `${c.green('Done')}: ${plan.decision.message}`
      : `${c.dim('Nothing to do')}: ${plan.decision.message}`;
  const steps = plan.steps.map((s) => {
    const after = s.after.length > 0 ? c.dim(` (after ${s.after.map((a) => a + 1).join(',')})`) : '';
    return `  ${String(s.id + 1).padStart(2)}. ${s.op.padEnd(13)} ${s.resource} on ${s.node}${after}  ${c.dim('— ' + s.decision.message)}`;
  });
  const tail = plan.failover ? [`  then fail ${plan.failover.group} over from ${plan.failover.from} to ${plan.failover.to ?? '(no node left)'}`] : [];
  return [head, ...steps, ...tail].join('\n');
}

interface ConfigView {
  configVersion?: number;
  configChecksum?: string;
  coordinator?: string;
  configAgreement?: string;
  peers?: { node: string; configVersion: number | null; configChecksum: string | null }[];
}

/** Who orders changes, and whether the nodes hold the same configuration. */
function configLine(m: ConfigView | undefined, c: ChalkInstance): string[] {
  if (!m?.coordinator) return [];
  const peers = (m.peers ?? []).map((p) => `${p.node} ${p.configVersion ?? '?'}/${p.configChecksum ?? '?'}`).join(', ');
  const agreement = m.configAgreement === 'AGREE' ? c.green('AGREE') : m.configAgreement === 'DIVERGED' ? c.red('DIVERGED') : c.yellow(m.configAgreement ?? '?');
  return [`Configuration ${m.configVersion}/${m.configChecksum} ${agreement}${peers ? ` (peer ${peers})` : ''}  changes ordered by ${m.coordinator}`];
}

function renderChange(result: unknown, ctx: RenderContext, c: ChalkInstance): string {
  const r = (result ?? {}) as Partial<ChangeResult> & Record<string, unknown>;
  if (r.plan && typeof r.plan === 'object') {
    const text = renderPlan(r.plan, ctx, c);
    return r.state !== undefined ? `${text}\nstate: ${paintStates(c, show(r.state))}` : text;
  }
  if (ctx.input.flags['dry-run']) return `${c.cyan('Dry run, nothing was changed')}: ${show(result)}`;
  if (typeof r.ConfigVersion === 'number') {
    const notOn = Array.isArray(r.notOn) && r.notOn.length > 0 ? c.yellow(` Not on ${r.notOn.join(', ')} (not RUNNING): it takes the change when it rejoins.`) : '';
    return ctx.changed ? `${c.green('Configuration changed')} (ConfigVersion ${r.ConfigVersion}).${notOn}` : `${c.dim('Already so')}: configuration not changed (ConfigVersion ${r.ConfigVersion}).`;
  }
  const facts = Object.entries(r)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(' ');
  return ctx.changed ? `${c.green('Done')}${facts ? ': ' + facts : ''}` : `${c.dim('Already so')}${facts ? ': ' + facts : ''}`;
}

Object.assign(renderers, configRenderers);

export function renderResult(name: string, result: unknown, ctx: RenderContext): string {
  const c = colours(ctx.io);
  const r = renderers[name] ?? renderers.change;
  try {
    return r(result as never, ctx, c);
  } catch {
    // A result of another shape (an engine of another version): show it rather than crash.
    return JSON.stringify(result, null, 2);
  }
}

export function renderError(error: { code: string; message: string; actions?: string[] }, io: Pick<Io, 'isTTY' | 'env'>): string {
  const c = colours(io);
  const lines = [`${c.red('Error')} ${c.dim(`[${error.code}]`)}: ${error.message}`];
  for (const a of error.actions ?? []) lines.push(`  ${c.dim('→')} ${a}`);
  return lines.join('\n');
}
