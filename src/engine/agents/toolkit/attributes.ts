// Reading an agent's resolved attributes with a clear error naming the
// attribute when a value has the wrong form.
import { AgentError, type AgentContext } from '../agent.js';

export function attrString(ctx: AgentContext, name: string, required = false): string {
  const v = ctx.attrs[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new AgentError(`attribute ${name} is not set`);
    return '';
  }
  if (typeof v !== 'string') throw new AgentError(`attribute ${name} must be a string, not ${JSON.stringify(v)}`);
  return v;
}

export function attrBool(ctx: AgentContext, name: string, dflt: boolean): boolean {
  const v = ctx.attrs[name];
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|yes|1|on)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(false|no|0|off)$/i.test(v)) return false;
  throw new AgentError(`attribute ${name} must be true or false, not ${JSON.stringify(v)}`);
}

export function attrInt(ctx: AgentContext, name: string, dflt: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const v = ctx.attrs[name];
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new AgentError(`attribute ${name} must be an integer between ${min} and ${max}, not ${JSON.stringify(v)}`);
  return n;
}

export function absolutePath(ctx: AgentContext, name: string): string {
  const p = attrString(ctx, name, true);
  if (!p.startsWith('/') || p.includes('\0')) throw new AgentError(`attribute ${name} must be an absolute path, not '${p}'`);
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
