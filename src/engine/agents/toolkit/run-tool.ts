// Running a tool from an agent: through the engine's runner, within the
// operation's budget, and a tool that is missing names its Debian package.
import { AgentError, type AgentContext } from '../agent.js';
import type { RunOptions, RunResult } from '../../runner.js';

/** Runs a tool; a tool that cannot be started becomes an error naming its Debian package. */
export async function runTool(ctx: AgentContext, pkg: string, command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  try {
    return await ctx.runner.run(command, args, { signal: ctx.signal, timeoutMs: Math.max(1000, ctx.deadline), ...options });
  } catch (e) {
    throw new AgentError(`${command} not found or not executable (install the Debian package ${pkg}): ${(e as Error).message}`);
  }
}

export function firstLine(r: RunResult): string {
  const text = (r.stderr.trim() || r.stdout.trim()).split('\n').find((l) => l.trim() !== '');
  return text?.trim() ?? `exit code ${r.exitCode}`;
}
