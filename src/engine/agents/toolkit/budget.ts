// An agent operation's time: what is left of its budget, and waiting.
import type { AgentContext } from '../agent.js';

/** Wall of the operation's budget, measured from now. */
export function budget(ctx: AgentContext): () => number {
  const end = performance.now() + ctx.deadline;
  return () => Math.max(0, end - performance.now());
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
