// Service: one unit of the service manager, through systemctl.
// `systemctl is-active` prints the unit's active state and exits 0 when it
// is active, 3 otherwise (systemctl(1), LSB status codes): 0 running,
// 3 stopped, "failed" failed.
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { attrString } from './toolkit/attributes.js';
import { budget, sleep } from './toolkit/budget.js';
import { firstLine, runTool } from './toolkit/run-tool.js';

const PACKAGE = 'systemd';

const attributes: AttributeDeclaration[] = [
  { name: 'ServiceName', kind: 'string', editable: true, required: true, pattern: '^[A-Za-z0-9@_.:\\\\-]+$', description: 'Unit name (e.g. nginx.service; without a suffix systemctl assumes .service).' },
];

function unit(ctx: AgentContext): string {
  const u = attrString(ctx, 'ServiceName', true);
  // A leading '-' would be read as an option; units are plain names.
  if (!/^[A-Za-z0-9@_.:\\][A-Za-z0-9@_.:\\-]*$/.test(u)) throw new AgentError(`ServiceName '${u}' is not a unit name`);
  return u;
}

async function systemctl(ctx: AgentContext, args: string[], timeoutMs?: number) {
  return runTool(ctx, PACKAGE, 'systemctl', args, timeoutMs === undefined ? {} : { timeoutMs: Math.max(200, timeoutMs) });
}

async function isActive(ctx: AgentContext, u: string): Promise<{ state: string; exitCode: number; text: string }> {
  const r = await systemctl(ctx, ['is-active', u]);
  return { state: r.stdout.trim().split('\n')[0] ?? '', exitCode: r.exitCode, text: firstLine(r) };
}

async function observe(ctx: AgentContext): Promise<Observation> {
  const u = unit(ctx);
  const a = await isActive(ctx, u);
  if (a.exitCode === 0 && (a.state === 'active' || a.state === 'reloading' || a.state === 'refreshing')) return { state: 'running', reason: `${u} ${a.state}` };
  switch (a.state) {
    case 'failed':
      return { state: 'failed', reason: `${u} failed (see systemctl status ${u})` };
    case 'inactive':
      return { state: 'stopped', reason: `${u} inactive` };
    case 'activating':
    case 'deactivating':
      return { state: 'stopped', reason: `${u} ${a.state}` };
    default:
      // No state printed: systemctl itself failed (no systemd as PID 1, no bus).
      return { state: 'failed', reason: `systemctl is-active ${u} failed: ${a.text}` };
  }
}

/** Polls is-active until `want` or the budget is spent. */
async function waitFor(ctx: AgentContext, u: string, want: (s: string) => boolean, left: () => number): Promise<string> {
  let s = (await isActive(ctx, u)).state;
  // A poll cut by the deadline prints nothing: the last state systemctl did print is what the operator needs.
  let known = s;
  while (!want(s) && left() > 200) {
    await sleep(Math.min(500, left() / 4));
    s = (await isActive(ctx, u)).state;
    if (s !== '') known = s;
  }
  return s || known;
}

async function online(ctx: AgentContext): Promise<void> {
  const u = unit(ctx);
  const left = budget(ctx);
  const before = await observe(ctx);
  if (before.state === 'running') return;
  if (before.reason.includes('failed (see')) await systemctl(ctx, ['reset-failed', u]);
  const r = await systemctl(ctx, ['start', u], left() * 0.8);
  if (r.exitCode !== 0) throw new AgentError(`systemctl start ${u} failed: ${firstLine(r)}`);
  const s = await waitFor(ctx, u, (x) => x === 'active' || x === 'failed', left);
  if (s !== 'active') throw new AgentError(`${u} is ${s || 'unknown'} after systemctl start`);
}

async function offline(ctx: AgentContext): Promise<void> {
  const u = unit(ctx);
  const left = budget(ctx);
  const before = await observe(ctx);
  if (before.state === 'failed' && before.reason.includes('failed (see')) {
    await systemctl(ctx, ['reset-failed', u]);
    return;
  }
  if (before.state === 'stopped' && before.reason.endsWith('inactive')) return;
  // Keep a part of the budget to look at the result (and report it) when stop hangs.
  const r = await systemctl(ctx, ['stop', u], left() * 0.7);
  if (r.timedOut) ctx.log(`systemctl stop ${u} did not finish in time`);
  else if (r.exitCode !== 0) ctx.log(`systemctl stop ${u}: ${firstLine(r)}`);
  const s = await waitFor(ctx, u, (x) => x === 'inactive' || x === 'failed', left);
  if (s === 'failed') await systemctl(ctx, ['reset-failed', u]);
  else if (s !== 'inactive') throw new AgentError(`${u} is still ${s || 'unknown'} after systemctl stop`);
}

async function clean(ctx: AgentContext): Promise<void> {
  const u = unit(ctx);
  const left = budget(ctx);
  await systemctl(ctx, ['kill', '--signal=SIGKILL', u], left() / 3);
  await systemctl(ctx, ['stop', u], left() / 2);
  const s = await waitFor(ctx, u, (x) => x === 'inactive' || x === 'failed', left);
  await systemctl(ctx, ['reset-failed', u]);
  if (s !== 'inactive' && s !== 'failed') throw new AgentError(`${u} is still ${s || 'unknown'} after SIGKILL and stop`);
}

export const serviceAgent: Agent = {
  type: 'Service',
  attributes,
  observe,
  online,
  offline,
  clean,
};
