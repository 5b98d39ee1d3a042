// Output of the setup commands (init, secret generate, service install): the
// `--json` envelope of SPEC §6 or human text, and the exit code of the error.
import type { Command } from '@oclif/core';
import { MccsError } from '../model/errors.js';

export interface Outcome<T> {
  changed: boolean;
  result: T;
  /** What a human reads on stdout (nothing in --json mode). */
  text?: string;
}

export function toMccsError(e: unknown): MccsError {
  if (e instanceof MccsError) return e;
  const err = e as Error;
  // @inquirer/prompts: Ctrl-C or Ctrl-D at a prompt.
  if (err?.name === 'ExitPromptError' || err?.name === 'AbortPromptError') return new MccsError('FAILED', 'cancelled by the operator; nothing was written');
  return new MccsError('FAILED', err?.message ?? String(e));
}

export async function runWithEnvelope<T>(cmd: Command, json: boolean, body: () => Promise<Outcome<T>>): Promise<void> {
  let failure: MccsError | undefined;
  try {
    const outcome = await body();
    if (json) process.stdout.write(`${JSON.stringify({ ok: true, changed: outcome.changed, result: outcome.result })}\n`);
    else if (outcome.text) process.stdout.write(outcome.text.endsWith('\n') ? outcome.text : `${outcome.text}\n`);
  } catch (e) {
    failure = toMccsError(e);
  }
  if (!failure) return;
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: failure.toJSON() })}\n`);
  } else {
    const actions = failure.actions.map((a) => `  → ${a}`).join('\n');
    process.stderr.write(`Error: ${failure.message}\n${actions ? `${actions}\n` : ''}`);
  }
  cmd.exit(failure.exitCode);
}
