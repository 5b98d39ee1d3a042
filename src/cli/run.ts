// The CLI entry: MCCS syntax → oclif argv → one command spec → one API call →
// the envelope (--json) or a table (humans) → the exit code of SPEC §6.
//
// The fast path parses a known command without loading oclif (the startup
// budget is 250 ms and importing @oclif/core alone costs ~100 ms here);
// anything it is not sure of (help, a bad flag, an unknown command, the
// lead's commands such as `daemon`) goes to oclif, which shares the same
// specs and the same executeSpec through base-command.ts.
import type { Envelope } from '../api/protocol.js';
import { callApi, resolveConnection } from '../api/client.js';
import { EXIT_CODES, MccsError, type ErrorCode } from '../model/errors.js';
import { toOclifArgv, type Topic } from './mccs-syntax.js';
import { parseAssignments, parseFast, type AnySpec, type FlagValue, type Input, type Io, type RunContext } from './spec.js';
import { findSpec } from './specs/index.js';

export function processIo(): Io {
  // `mcgrp list | head -1`: a reader that went away is not an error of ours.
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    isTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    env: process.env,
  };
}

export function exitCodeOf(code: string): number {
  return EXIT_CODES[code as ErrorCode] ?? 1;
}

/** Any throwable as an MccsError (unexpected ones are FAILED, with their message). */
export function toMccsError(e: unknown): MccsError {
  if (e instanceof MccsError) return e;
  if (e instanceof Error && e.name === 'ExitPromptError') return new MccsError('USAGE', 'cancelled');
  return new MccsError('FAILED', e instanceof Error ? e.message : String(e));
}

/** The selected profile with its password read (src/cli/profiles.ts; conf is loaded only here). */
async function profileConnection(name: string, env: NodeJS.ProcessEnv): Promise<import('../api/client.js').ProfileConnection> {
  const { loadProfile, profilePassword } = await import('./profiles.js');
  const p = await loadProfile(name, env);
  const password = profilePassword(p);
  return { ...p, ...(password !== undefined ? { password } : {}) };
}

/** Commands whose --wait shows each step as it happens. */
const LIVE_WAITS = new Set(['grp:online', 'grp:offline', 'grp:switch', 'node:evacuate']);

export interface Parsed {
  args: Record<string, string | undefined>;
  flags: Record<string, FlagValue>;
  /** Positional words after the declared args (`Attr=value`). */
  rest: string[];
}

/** Runs one command and writes its output; returns the exit code and the envelope (undefined: the command printed as it went). */
export async function executeSpec(spec: AnySpec, parsed: Parsed, io: Io): Promise<{ code: number; envelope?: Envelope }> {
  const json = parsed.flags.json === true;
  let input: Input = { args: parsed.args, flags: parsed.flags, attributes: {} };
  let envelope: Envelope | undefined;
  try {
    input = { ...input, attributes: spec.attributes ? parseAssignments(parsed.rest) : {} };
    const f = parsed.flags;
    const profileName = typeof f.profile === 'string' ? f.profile : io.env.MCCS_PROFILE || undefined;
    const conn = resolveConnection(
      { user: f.user as string | undefined, password: f.password as string | undefined, host: f.host as string | undefined },
      io.env,
      profileName && spec.id !== 'login' ? await profileConnection(profileName, io.env) : undefined,
    );
    if (conn.user !== undefined && conn.password === undefined && io.stdinIsTTY && !json) {
      // An operator at a terminal gave -u alone: ask (never when stdin is not a terminal).
      const { password } = await import('@inquirer/prompts');
      conn.password = await password({ message: `Password for ${conn.user}:`, mask: '*' });
    }
    // The engine answers a --wait when the state holds or at --timeout; leave it room to say so.
    if (f.wait) conn.timeoutMs = ((typeof f.timeout === 'number' ? f.timeout : 300) + 30) * 1000;
    const ctx: RunContext = { io, conn, call: (method, params) => callApi(method, params, conn) };
    const params = spec.run ? undefined : await spec.params(input, ctx);
    const call = () => callApi(spec.method, params, conn);
    // Long waits show their steps live (src/cli/progress.ts).
    envelope = spec.run ? await spec.run(input, ctx) : f.wait && LIVE_WAITS.has(spec.id) ? await (await import('./progress.js')).withProgress(ctx, input, { title: `${spec.id.replace(':', ' ')} ${Object.values(input.args).filter(Boolean).join(' ')}`.trim(), groups: spec.id.startsWith('grp:') && input.args.group ? [input.args.group] : [] }, call) : await call();
  } catch (e) {
    envelope = { ok: false, error: toMccsError(e).toJSON() };
  }
  if (envelope === undefined) return { code: 0 };
  await printEnvelope(envelope, json, io, spec.render, input);
  return { code: envelope.ok ? 0 : exitCodeOf(envelope.error.code), envelope };
}

export async function printEnvelope(envelope: Envelope, json: boolean, io: Io, render?: string, input?: Input): Promise<void> {
  if (json) {
    io.stdout(JSON.stringify(envelope) + '\n');
    return;
  }
  const r = await import('./render.js');
  if (envelope.ok) {
    const text = r.renderResult(render ?? 'change', envelope.result, { input: input ?? { args: {}, flags: {}, attributes: {} }, changed: envelope.changed, io });
    if (text !== '') io.stdout(text + '\n');
  } else {
    io.stderr(r.renderError(envelope.error, { isTTY: io.stderrIsTTY, env: io.env }) + '\n');
  }
}

/** Prints an error as the command would (envelope under --json) and returns its exit code. */
export async function failWith(e: unknown, json: boolean, io: Io): Promise<number> {
  const err = toMccsError(e);
  await printEnvelope({ ok: false, error: err.toJSON() }, json, io);
  return err.exitCode;
}

function wantsJson(argv: string[]): boolean {
  return argv.includes('--json') || argv.includes('-json');
}

/** Entry of the bins: `mcgrp ARGV` is main('grp', ARGV); `mccs ARGV` is main(undefined, ARGV). */
export async function main(topic: Topic | undefined, argv: string[], io: Io = processIo()): Promise<number> {
  let full: string[];
  try {
    full = toOclifArgv(topic, argv);
  } catch (e) {
    return failWith(e, wantsJson(argv), io);
  }
  // "grp online …" → grp:online; a top-level command ("apply -f …", "login NAME") → its own id.
  const topicSpec = full.length >= 2 ? findSpec(`${full[0]}:${full[1]}`) : undefined;
  const spec = topicSpec ?? (full.length >= 1 ? findSpec(full[0]!) : undefined);
  if (spec) {
    const parsed = parseFast(spec, full.slice(topicSpec ? 2 : 1));
    if (parsed) return (await executeSpec(spec, parsed, io)).code;
  }
  return runOclif(full, io);
}

/** Package root (holds package.json with the oclif section), from dist/cli or src/cli. */
const ROOT = new URL('../../', import.meta.url);

async function runOclif(argv: string[], io: Io): Promise<number> {
  const { Config, run, flush, Errors } = await import('@oclif/core');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(ROOT);
  const config = await Config.load({ root });
  const helpish = argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help' || argv[0] === '--version';
  if (!helpish) {
    const words: string[] = [];
    for (const w of argv) {
      if (w.startsWith('-')) break;
      words.push(w);
    }
    // The longest run of words that names a command, else a topic: the next word is the unknown one.
    let known = 0;
    let isCommand = false;
    for (let n = words.length; n > 0 && known === 0; n--) {
      const id = words.slice(0, n).join(':');
      if (config.findCommand(id) !== undefined) {
        known = n;
        isCommand = true;
      } else if (config.findTopic(id) !== undefined) known = n;
    }
    if (!isCommand && (known < words.length || words.length === 0)) {
      const what = words.length > 0 ? words.slice(0, known + 1).join(' ') : (argv[0] ?? '');
      const topicWord = known > 0 ? words.slice(0, known).join(' ') : undefined;
      // A stale manifest hides new commands (oclif reads it instead of dist/commands).
      await warnIfManifestStale(root, io);
      return failWith(
        new MccsError('USAGE', `unknown command '${what}'`, [topicWord ? `mccs ${topicWord} --help lists its commands` : 'mccs --help lists the commands']),
        wantsJson(argv),
        io,
      );
    }
  }
  process.exitCode = undefined;
  try {
    await run(argv, config);
    await flush();
  } catch (e) {
    const exit = (e as { oclif?: { exit?: number } }).oclif?.exit;
    if (e instanceof Errors.ExitError) return exit ?? 0;
    await Errors.handle(e as Error);
    return typeof exit === 'number' ? exit : 1;
  }
  return Number(process.exitCode ?? 0);
}

/** oclif trusts oclif.manifest.json over dist/commands: say so when a build forgot to refresh it. */
async function warnIfManifestStale(root: string, io: Io): Promise<void> {
  const { readdirSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  let manifest: number;
  try {
    manifest = statSync(join(root, 'oclif.manifest.json')).mtimeMs;
  } catch {
    return;
  }
  const dir = join(root, 'dist', 'commands');
  let newest = 0;
  try {
    for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (f.endsWith('.js')) newest = Math.max(newest, statSync(join(dir, f)).mtimeMs);
    }
  } catch {
    return;
  }
  if (newest > manifest + 1000) io.stderr('warning: oclif.manifest.json is older than dist/commands: run npm run build (or delete the manifest)\n');
}
