// The conformance sequence every agent passes (STYLE.md, resource-agents):
// online, online again (succeeds, no second instance), observe → running,
// offline, offline again (succeeds), observe → stopped. Each step gets a
// fresh AgentContext from the factory, as the engine gives each operation its
// own budget.
//
//   agentContract('Process /bin/sleep', () => makeTestContext({ home, attrs }), processAgent, {
//     afterOnlineAgain: () => expect(findProcesses(q)).toHaveLength(1),
//   });
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Agent, AgentContext } from '../../src/engine/agents/agent.js';
import { ExecRunner } from '../../src/engine/exec-runner.js';
import type { Runner } from '../../src/engine/runner.js';

export type ContextFactory = () => AgentContext | Promise<AgentContext>;

export interface ContractHooks {
  /** After the first online, e.g. "the address is on the interface". */
  afterOnline?: (ctx: AgentContext) => void | Promise<void>;
  /** After the second online, e.g. "still exactly one process". */
  afterOnlineAgain?: (ctx: AgentContext) => void | Promise<void>;
  /** After the first offline, e.g. "nothing left behind". */
  afterOffline?: (ctx: AgentContext) => void | Promise<void>;
  /** Runs last, even when a step failed (after a forced clean of the resource). */
  cleanup?: () => void | Promise<void>;
}

export function agentContract(name: string, makeCtx: ContextFactory, agent: Agent, hooks: ContractHooks = {}): void {
  describe(`${name}: agent contract`, () => {
    afterAll(async () => {
      try {
        await agent.clean(await makeCtx());
      } finally {
        await hooks.cleanup?.();
      }
    });

    it('online brings it up', async () => {
      const ctx = await makeCtx();
      await agent.online(ctx);
      expect((await agent.observe(await makeCtx())).state).toBe('running');
      await hooks.afterOnline?.(ctx);
    });

    it('online again succeeds without a second instance', async () => {
      const ctx = await makeCtx();
      await agent.online(ctx);
      await hooks.afterOnlineAgain?.(ctx);
    });

    it('observe says running, with a reason', async () => {
      const obs = await agent.observe(await makeCtx());
      expect(obs.state).toBe('running');
      expect(typeof obs.reason).toBe('string');
    });

    it('offline takes it down', async () => {
      const ctx = await makeCtx();
      await agent.offline(ctx);
      await hooks.afterOffline?.(ctx);
    });

    it('offline again succeeds', async () => {
      await agent.offline(await makeCtx());
    });

    it('observe says stopped (not failed)', async () => {
      const obs = await agent.observe(await makeCtx());
      expect(obs).toMatchObject({ state: 'stopped' });
    });
  });
}

export interface TestContextOptions {
  home: string;
  attrs: Record<string, unknown>;
  resName?: string;
  groupName?: string;
  nodeName?: string;
  runner?: Runner;
  /** Budget of the operation (default 10 s); the signal aborts when it runs out. */
  deadlineMs?: number;
  onUnexpectedExit?: (reason: string) => void;
  /** Collects the agent's log lines (default: dropped). */
  log?: string[];
}

/** An AgentContext as the engine would give one operation. */
export function makeTestContext(o: TestContextOptions): AgentContext {
  const deadline = o.deadlineMs ?? 10_000;
  const log = o.log;
  return {
    attrs: o.attrs,
    resName: o.resName ?? 'res1',
    groupName: o.groupName ?? 'grp1',
    nodeName: o.nodeName ?? 'node1',
    home: o.home,
    runner: o.runner ?? new ExecRunner((m) => log?.push(m)),
    signal: AbortSignal.timeout(deadline),
    deadline,
    onUnexpectedExit: o.onUnexpectedExit,
    log: (m) => log?.push(m),
  };
}

/** A fresh MCCS_HOME under the system temp dir; remove it with removeTempHome. */
export function makeTempHome(label = 'agent'): string {
  return mkdtempSync(join(tmpdir(), `mccs-${label}-`));
}

export function removeTempHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}
