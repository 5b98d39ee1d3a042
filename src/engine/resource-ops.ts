// What the engine does to one local resource when a plan says so: online
// (with the attempts the policy allows under OnlineRetryLimit, and the
// resource's batch programs), offline
// (with a forced clean when the agent's offline fails), clean, and one-time
// observation; each call through the resource's agent within its timeout.
// Also the group batch programs (BatchAfterOnline, BatchBeforeOffline) and
// the effects the executor runs a plan with.
import type { Engine } from './engine.js';
import { AgentError, type Agent, type AgentContext, type Observation } from './agents/agent.js';
import { agentFor } from './agents/catalog.js';
import type { Effects } from './executor.js';
import type { Plan, PlanStep } from './policy/types.js';
import { resolveResourceAttributes, timing } from './resolve-attributes.js';
import type { ResourceRuntime } from './resource-runtime.js';
import type { GroupConfig, ResourceConfig, ResourceState } from '../model/types.js';

export class ResourceOps {
  constructor(private readonly engine: Engine) {}

  /** The executor's effects for a plan: steps for this node run here, others go to their node. */
  effects(plan: Plan, cause: string): Effects {
    const e = this.engine;
    const local = (fn: (step: PlanStep) => Promise<void>) => async (step: PlanStep) => {
      if (step.node !== e.localNode) return e.cluster.remoteStep(step);
      return fn(step);
    };
    return {
      online: local(async (s) => {
        const gate = e.cluster.ownershipGate;
        if (gate && (e.findGroup(s.group).GroupType ?? 'FAILOVER') === 'FAILOVER') await gate.acquire(s.group, cause);
        return this.online(s, cause);
      }),
      offline: local((s) => this.offline(s, cause)),
      clean: local((s) => this.clean(s, cause)),
      fault: async (s) => {
        const reason = e.status(s.node, s.resource).reason ?? s.decision.message;
        e.setState(s.node, s.resource, { state: 'FAULTED', reason }, { cause, rule: s.decision.code, message: s.decision.message, facts: s.decision.facts });
      },
      'count-restart': async (s) => {
        const st = e.status(s.node, s.resource);
        st.restartCount = (st.restartCount ?? 0) + 1;
        e.record({ subject: `resource:${s.resource}`, group: s.group, resource: s.resource, cause, rule: s.decision.code, message: `restart ${st.restartCount} of ${s.resource} in place`, facts: s.decision.facts });
      },
      'reset-restarts': async (s) => {
        e.status(s.node, s.resource).restartCount = 0;
        e.log.info(s.decision.message);
      },
      clear: local(async (s) => {
        const { group, res } = e.findResource(s.resource);
        const obs = await this.observeOnce(group, res);
        e.setState(s.node, s.resource, { state: obs.state === 'running' ? 'ONLINE' : 'OFFLINE', reason: `cleared by operator; ${obs.reason}`, restartCount: 0 }, { cause, rule: s.decision.code, message: s.decision.message });
        e.monitor.schedule(group, res);
      }),
    };
  }

  private context(group: GroupConfig, res: ResourceConfig, timeoutMs: number): AgentContext & { done: () => void } {
    const e = this.engine;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs);
    const deadline = Date.now() + timeoutMs;
    return {
      attrs: resolveResourceAttributes(e.config, res, group),
      resName: res.ResName,
      groupName: group.GroupName,
      nodeName: e.localNode,
      home: e.paths.home,
      runner: e.runner,
      signal: controller.signal,
      get deadline() {
        return Math.max(0, deadline - Date.now());
      },
      onUnexpectedExit: (reason: string) => e.monitor.unexpectedExit(res.ResName, reason),
      log: (m: string) => e.log.info(`${res.ResName}: ${m}`),
      done: () => clearTimeout(timer),
    };
  }

  /** Runs one agent operation within the resource's timeout attribute (`timeoutName`, seconds, else `fallback`). */
  async withAgent<T>(group: GroupConfig, res: ResourceConfig, timeoutName: string, fallback: number, fn: (agent: Agent, ctx: AgentContext) => Promise<T>): Promise<T> {
    const agent = agentFor(res.Type);
    if (!agent) throw new AgentError(`no agent for type ${res.Type}`);
    const attrs = resolveResourceAttributes(this.engine.config, res, group);
    const ms = timing(attrs, timeoutName, fallback);
    const ctx = this.context(group, res, ms);
    try {
      return await Promise.race([
        fn(agent, ctx),
        new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(new AgentError(`${timeoutName.replace('Timeout', '').toLowerCase()} timed out after ${ms / 1000} s`)), { once: true })),
      ]);
    } finally {
      ctx.done();
    }
  }

  /** One observation; an agent error or timeout is a failed observation. */
  async observeOnce(group: GroupConfig, res: ResourceConfig): Promise<Observation> {
    try {
      return await this.withAgent(group, res, 'MonitorTimeout', 10, (a, ctx) => a.observe(ctx));
    } catch (e) {
      return { state: 'failed', reason: (e as Error).message };
    }
  }

  /** The resource a step acts on, marked busy: monitor results are not failures while its agent works. */
  private claim(step: PlanStep): { group: GroupConfig; res: ResourceConfig; rt: ResourceRuntime } {
    const { group, res } = this.engine.findResource(step.resource);
    const rt = this.engine.runtimes.get(res.ResName);
    rt.busy = true;
    return { group, res, rt };
  }

  private async online(step: PlanStep, cause: string): Promise<void> {
    const e = this.engine;
    const local = e.localNode;
    const { group, res, rt } = this.claim(step);
    const old = e.status(local, res.ResName);
    e.setState(local, res.ResName, { ...old, state: 'STARTING', reason: step.decision.message }, { cause, rule: step.decision.code, message: step.decision.message, facts: step.decision.facts });
    try {
      let lastError = '';
      for (let attempt = 1; ; attempt++) {
        try {
          await this.runBatch(res, 'BatchBeforeOnline');
          await this.withAgent(group, res, 'OnlineTimeout', 300, (a, ctx) => a.online(ctx));
          const obs = await this.observeOnce(group, res);
          if (obs.state !== 'running') throw new AgentError(`online ended but monitor says ${obs.state}: ${obs.reason}`);
          rt.onlineSince = performance.now();
          rt.monitorTimeouts = 0;
          e.setState(local, res.ResName, { ...e.status(local, res.ResName), state: 'ONLINE', reason: obs.reason }, { cause, rule: 'ONLINE_DONE', message: `${res.ResName} is online on ${local}` });
          e.lastOnline.set(res.ResName, local);
          await this.runBatch(res, 'BatchAfterOnline');
          return;
        } catch (err) {
          lastError = (err as Error).message;
          // OnlineRetryLimit: the policy says whether this attempt was the last; its plan is a clean, then (or not) the online again.
          const retry = e.ask({ kind: 'OnlineAttemptFailed', resource: res.ResName, node: local, reason: lastError }, { resource: { onlineRetryCount: attempt } });
          e.log.warn(`online of ${res.ResName} failed (attempt ${attempt}/${String(retry.decision.facts.attempts ?? attempt)}): ${lastError}`);
          let again = false;
          for (const s of retry.steps) {
            if (s.op === 'clean') await this.withAgent(group, res, 'CleanTimeout', 60, (a, ctx) => a.clean(ctx)).catch(() => undefined);
            if (s.op === 'online') again = true;
          }
          if (!again) break;
        }
      }
      // Not FAULTED here: the policy decides what the final failure means (fault, parents, failover).
      e.setState(local, res.ResName, { ...e.status(local, res.ResName), state: 'OFFLINE', reason: `online failed: ${lastError}` }, { cause, rule: 'ONLINE_FAILED', message: `online of ${res.ResName} failed: ${lastError}` });
      throw new AgentError(lastError);
    } finally {
      rt.busy = false;
      e.monitor.schedule(group, res);
    }
  }

  private async offline(step: PlanStep, cause: string): Promise<void> {
    const e = this.engine;
    const local = e.localNode;
    const { group, res, rt } = this.claim(step);
    const old = e.status(local, res.ResName);
    const endState: ResourceState = old.state === 'FAULTED' ? 'FAULTED' : 'OFFLINE';
    e.setState(local, res.ResName, { ...old, state: 'STOPPING', reason: step.decision.message }, { cause, rule: step.decision.code, message: step.decision.message, facts: step.decision.facts });
    try {
      await this.runBatch(res, 'BatchBeforeOffline');
      try {
        const successor = step.decision.facts.to;
        await this.withAgent(group, res, 'OfflineTimeout', 300, (a, ctx) => a.offline(Object.assign(ctx, typeof successor === 'string' ? { successor } : {})));
      } catch (err) {
        const why = (err as Error).message;
        e.record({ subject: `resource:${res.ResName}`, group: group.GroupName, resource: res.ResName, cause, rule: 'FORCED_CLEAN', message: `offline of ${res.ResName} failed (${why}); forced clean`, facts: { error: why } });
        await this.forcedClean(group, res);
      }
      const obs = await this.observeOnce(group, res);
      if (obs.state === 'running') throw new AgentError(`still running after offline: ${obs.reason}`);
      rt.onlineSince = undefined;
      e.setState(local, res.ResName, { ...e.status(local, res.ResName), state: endState, reason: endState === 'FAULTED' ? old.reason : obs.reason }, { cause, rule: 'OFFLINE_DONE', message: `${res.ResName} is offline on ${local}` });
      await this.runBatch(res, 'BatchAfterOffline');
    } catch (err) {
      const why = (err as Error).message;
      e.setState(local, res.ResName, { ...e.status(local, res.ResName), state: 'FAULTED', reason: `cannot take offline: ${why}` }, { cause, rule: 'OFFLINE_FAILED', message: `${res.ResName} could not be taken offline: ${why}` });
      throw err;
    } finally {
      rt.busy = false;
      e.monitor.schedule(group, res);
    }
  }

  private async clean(step: PlanStep, cause: string): Promise<void> {
    const e = this.engine;
    const { group, res, rt } = this.claim(step);
    try {
      e.record({ subject: `resource:${res.ResName}`, group: group.GroupName, resource: res.ResName, cause, rule: step.decision.code, message: step.decision.message, facts: step.decision.facts });
      await this.forcedClean(group, res);
      rt.onlineSince = undefined;
    } finally {
      rt.busy = false;
    }
  }

  /** The agent's clean, then the resource's CleanProgram if it has one. */
  private async forcedClean(group: GroupConfig, res: ResourceConfig): Promise<void> {
    const e = this.engine;
    await this.withAgent(group, res, 'CleanTimeout', 60, (a, ctx) => a.clean(ctx));
    const program = resolveResourceAttributes(e.config, res).CleanProgram;
    if (typeof program === 'string' && program !== '') {
      const r = await e.runner.run(program, [res.ResName], { timeoutMs: 60_000 }).catch((err: Error) => ({ exitCode: -1, stderr: err.message }));
      if (r.exitCode !== 0) e.log.warn(`CleanProgram ${program} for ${res.ResName} exited ${r.exitCode}: ${r.stderr}`);
    }
  }

  /** A resource batch program (args: resource, node); its result never changes resource handling. */
  private async runBatch(res: ResourceConfig, name: string): Promise<void> {
    const e = this.engine;
    const program = res[name];
    if (typeof program !== 'string' || program === '') return;
    const r = await e.runner.run(program, [res.ResName, e.localNode], { timeoutMs: 300_000 }).catch((err: Error) => ({ exitCode: -1, stderr: err.message }));
    if (r.exitCode !== 0) e.log.warn(`${name} ${program} for ${res.ResName} exited ${r.exitCode}`);
  }

  /** Group batch programs (args: group, node); their result never changes group handling. */
  async runGroupBatch(groupName: string, name: 'BatchAfterOnline' | 'BatchBeforeOffline'): Promise<void> {
    const e = this.engine;
    const group = e.config.Groups.find((g) => g.GroupName === groupName);
    const program = group?.[name];
    if (!group || typeof program !== 'string' || program === '') return;
    const seconds = typeof group.BatchTimeout === 'number' ? group.BatchTimeout : 300;
    const r = await e.runner.run(program, [groupName, e.localNode], { timeoutMs: seconds * 1000 }).catch((err: Error) => ({ exitCode: -1, stderr: err.message, timedOut: false }));
    e.record({ subject: `group:${groupName}`, group: groupName, cause: name, rule: r.exitCode === 0 ? 'BATCH_DONE' : 'BATCH_FAILED', message: `${name} ${program} ${r.timedOut ? `timed out after ${seconds} s` : `exited ${r.exitCode}`}`, facts: { program, exitCode: r.exitCode } });
  }
}
