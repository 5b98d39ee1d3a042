// One declaration per command, as plain data: its arguments, flags, the API
// method it calls and how its result reads for a human. Two consumers share
// it: the oclif command classes (help, completion, manifest) and the fast path
// of src/cli/run.ts, which parses the common case without loading oclif at
// all (oclif alone costs ~100 ms of the 250 ms startup budget).
//
// This module must stay light: no oclif, no chalk, no engine imports.
import type { Envelope, MethodName, Methods } from '../api/protocol.js';
import type { Connection } from '../api/client.js';
import { MccsError } from '../model/errors.js';

export type FlagSpec =
  | { kind: 'boolean'; summary: string; char?: string; helpGroup?: string }
  | { kind: 'string'; summary: string; char?: string; options?: readonly string[]; required?: boolean; helpGroup?: string }
  | { kind: 'integer'; summary: string; char?: string; min?: number; required?: boolean; helpGroup?: string };

export interface ArgSpec {
  name: string;
  summary: string;
  required: boolean;
}

export type FlagValue = string | number | boolean | undefined;

/** What a command was given, whichever parser read it. */
export interface Input {
  args: Record<string, string | undefined>;
  flags: Record<string, FlagValue>;
  /** `Attr=value` pairs after the arguments (modify, add, link), in order. */
  attributes: Record<string, string>;
}

/** Where a command writes (the process streams, or captures in tests). */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stdout is a terminal (colour, live redraw). */
  isTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export interface RunContext {
  io: Io;
  conn: Connection;
  call<M extends MethodName>(method: M, params: Methods[M]['params']): Promise<Envelope<Methods[M]['result']>>;
}

export interface RenderContext {
  input: Input;
  changed: boolean;
  /** Colour helpers bound to the output stream (plain when piped or NO_COLOR). */
  io: Io;
}

export interface CommandSpec<M extends MethodName = MethodName> {
  /** oclif id: "grp:online". */
  id: string;
  summary: string;
  description?: string;
  examples?: string[];
  args: ArgSpec[];
  /** Takes `Attr=value` pairs after the arguments. */
  attributes?: { required: boolean; summary: string };
  flags?: Record<string, FlagSpec>;
  /** Changes state: gets --wait, --timeout and --dry-run. */
  change?: boolean;
  /** Has --node/-n (the node the request is about; the engine forwards to it). */
  node?: boolean;
  method: M;
  params(input: Input, ctx: RunContext): Methods[M]['params'] | Promise<Methods[M]['params']>;
  /** Human output of a successful result (default: a generic one). Loaded lazily with render.ts. */
  render?: string;
  /** Replaces the single API call (live watch, downloads, client-side lists); undefined: it printed its output itself. */
  run?(input: Input, ctx: RunContext): Promise<Envelope | undefined>;
}

// The `any` is the registry's: each spec is checked against its own method by defineSpec.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySpec = CommandSpec<any>;

export function defineSpec<M extends MethodName>(spec: CommandSpec<M>): CommandSpec<M> {
  return spec;
}

export const GLOBAL_GROUP = 'GLOBAL';
export const CHANGE_GROUP = 'CHANGE';

/** Flags of every command. */
export const globalFlags: Record<string, FlagSpec> = {
  json: { kind: 'boolean', summary: 'Print one JSON object: the SPEC §6 envelope {"ok",…}.', helpGroup: GLOBAL_GROUP },
  user: { kind: 'string', char: 'u', summary: 'User name (MCCS -u); else MCCS_USER, else the profile.', helpGroup: GLOBAL_GROUP },
  password: { kind: 'string', summary: 'Password (MCCS -pw); prefer MCCS_PASSWORD or a profile (mccs login): argv is visible in ps.', helpGroup: GLOBAL_GROUP },
  profile: { kind: 'string', summary: 'Client profile stored by mccs login (host, user, pinned certificate, password file); else MCCS_PROFILE. Flags and MCCS_* variables win over it.', helpGroup: GLOBAL_GROUP },
  host: { kind: 'string', summary: "Remote node's engine over TLS, ADDRESS[:PORT] (MCCS -ip; port HBPort+3, default 14324).", helpGroup: GLOBAL_GROUP },
};

/** Flags of every state-changing command. */
export const changeFlags: Record<string, FlagSpec> = {
  wait: { kind: 'boolean', summary: 'Return only when the wanted state holds (exit 124 after --timeout).', helpGroup: CHANGE_GROUP },
  timeout: { kind: 'integer', min: 1, summary: 'Seconds --wait waits (default 300).', helpGroup: CHANGE_GROUP },
  'dry-run': { kind: 'boolean', summary: 'Print the plan the policy would run; change nothing.', helpGroup: CHANGE_GROUP },
  'if-version': { kind: 'integer', min: 0, summary: 'Refuse (exit 5) unless ConfigVersion is N, so a change made meanwhile is never overwritten.', helpGroup: CHANGE_GROUP },
};

export const nodeFlag: Record<string, FlagSpec> = {
  node: { kind: 'string', char: 'n', summary: 'Node (MCCS -n); default: the local node.' },
};

/** Every flag of a spec, in help order. */
export function allFlags(spec: AnySpec): Record<string, FlagSpec> {
  return {
    ...(spec.node ? nodeFlag : {}),
    ...(spec.flags ?? {}),
    ...(spec.change ? changeFlags : {}),
    ...globalFlags,
  };
}

/** `Attr=value` words → attributes; anything else is a usage error naming the word. */
export function parseAssignments(words: string[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) {
      throw new MccsError('USAGE', `expected Attribute=value, got '${word}'`, ['example: mccs node modify node1 IsolationTestAddresses=10.0.0.254']);
    }
    attributes[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return attributes;
}

/** The ChangeOptions of protocol.ts from the parsed flags (only what was given). */
export function changeOptions(input: Input): { dryRun?: boolean; wait?: boolean; timeout?: number; node?: string; force?: boolean; ifVersion?: number } {
  const f = input.flags;
  const out: { dryRun?: boolean; wait?: boolean; timeout?: number; node?: string; force?: boolean; ifVersion?: number } = {};
  if (typeof f['if-version'] === 'number') out.ifVersion = f['if-version'];
  if (f['dry-run']) out.dryRun = true;
  if (f.wait) out.wait = true;
  if (typeof f.timeout === 'number') out.timeout = f.timeout;
  if (typeof f.node === 'string') out.node = f.node;
  if (f.force) out.force = true;
  return out;
}

export function arg(input: Input, name: string): string {
  const v = input.args[name];
  if (v === undefined || v === '') throw new MccsError('USAGE', `missing argument ${name.toUpperCase()}`);
  return v;
}

/**
 * The fast parser: reads argv (after the command id) against a spec, or returns
 * undefined for anything it is not sure of (help, unknown flag, missing
 * argument…), so that oclif handles it and says what is wrong.
 */
export function parseFast(spec: AnySpec, argv: string[]): { args: Record<string, string | undefined>; flags: Record<string, FlagValue>; rest: string[] } | undefined {
  const flagSpecs = allFlags(spec);
  const byChar = new Map<string, string>();
  for (const [name, f] of Object.entries(flagSpecs)) if (f.char) byChar.set(f.char, name);
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      name = eq === -1 ? tok.slice(2) : tok.slice(2, eq);
      inline = eq === -1 ? undefined : tok.slice(eq + 1);
      if (!(name in flagSpecs)) return undefined;
    } else if (tok.length === 2 && tok[0] === '-' && tok[1] !== '-') {
      name = byChar.get(tok[1]);
      if (name === undefined) return undefined;
    } else if (tok.startsWith('-') && tok.length > 1) {
      return undefined;
    } else {
      positionals.push(tok);
      continue;
    }
    if (name in flags) return undefined;
    const f = flagSpecs[name];
    if (f.kind === 'boolean') {
      if (inline !== undefined) return undefined;
      flags[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('-')) return undefined;
      value = argv[++i];
    }
    if (f.kind === 'integer') {
      if (!/^-?\d+$/.test(value)) return undefined;
      const n = Number(value);
      if (f.min !== undefined && n < f.min) return undefined;
      flags[name] = n;
    } else {
      if (f.options && !f.options.includes(value)) return undefined;
      flags[name] = value;
    }
  }
  for (const [name, f] of Object.entries(flagSpecs)) {
    if (f.kind !== 'boolean' && f.required && flags[name] === undefined) return undefined;
  }
  const args: Record<string, string | undefined> = {};
  spec.args.forEach((a, idx) => {
    args[a.name] = positionals[idx];
  });
  if (spec.args.some((a, idx) => a.required && positionals[idx] === undefined)) return undefined;
  const rest = positionals.slice(spec.args.length);
  if (rest.length > 0 && !spec.attributes) return undefined;
  if (spec.attributes?.required && rest.length === 0) return undefined;
  return { args, flags, rest };
}
