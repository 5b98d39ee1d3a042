// The engine of one node: it owns the configuration and the observed state,
// turns every event (monitor result, operator command, node fault) into a
// plan through the pure policy, runs plans through the executor, and watches
// every resource. It makes no decision itself: the policy does.
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { EventRecord } from './event-record.js';
import { ConfigStore, type ChangeResult } from './config-store.js';
import { GroupQueue } from './group-queue.js';
import { writeFailures } from './write-failures.js';
import { MccsError } from '../model/errors.js';
import { homePaths, type HomePaths } from '../model/home.js';
import type { GroupConfig, MainConfig, ResourceConfig, ResourceState } from '../model/types.js';
import { AgentError, type Agent, type AgentContext, type Observation } from './agents/agent.js';
import { agentFor } from './agents/catalog.js';
import { EventLog } from './event-log.js';
import { ExecRunner } from './exec-runner.js';
import { execute, recordingEffects, type Effects, type ExecutionResult } from './executor.js';
import type { Logger } from './logger.js';
import { isOwnershipRefusal, type OwnershipGate } from './ownership-gate.js';
import { groupState } from './policy/group-state.js';
import { plan as policyPlan } from './policy/plan.js';
import type { Observed, Plan, PlanStep, PolicyEvent, ResourceStatus } from './policy/types.js';
import { resolveResourceAttributes, timing } from './resolve-attributes.js';
import type { Runner } from './runner.js';

export interface EngineOptions {
  home: string;
  nodeName?: string;
  logger: Logger;
  runner?: Runner;
}

export interface HandleOptions {
  dryRun?: boolean;
  wait?: boolean;
  /** Seconds. */
  timeout?: number;
  /** Who asked: "operator root", "operator admin", "monitor", ... (event log cause). */
  cause: string;
}

export interface HandleResult {
  plan: Plan;
  changed: boolean;
  execution?: ExecutionResult;
  /** With wait: the group's state on each node when its plan ended (before any later plan ran). */
  groupStates?: Record<string, string>;
}

export interface EngineTimings {
  /** One monitor run of a resource: its type, seconds, outcome (running, stopped, failed, error). */
  monitor: [type: string, seconds: number, outcome: string];
  /** One policy decision: its code, seconds spent planning. */
  decision: [code: string, seconds: number];
}

interface ResourceRuntime {
  timer?: NodeJS.Timeout;
  /** An agent action is in flight: monitor results are not failures meanwhile. */
  busy: boolean;
  onlineSince?: number;
  monitorTimeouts: number;
  /** Monotonic id so a stale monitor result after a state change is dropped. */
  epoch: number;
}

export class Engine {
  localNode!: string;
  /** After any configuration change, local or adopted from the peer (the daemon reloads on a node rename). */
  afterConfig?: (before: MainConfig, after: MainConfig) => void;
  /** The configuration and the one path by which it changes (cluster-wide, in one order). */
  readonly store: ConfigStore;
  readonly paths: HomePaths;
  readonly events: EventLog;
  readonly log: Logger;
  readonly runner: Runner;
  observed!: Observed;
  private readonly runtime = new Map<string, ResourceRuntime>();
  /** One plan per group at a time, cluster-wide (the cluster layer sets its locks). */
  readonly groupQueue = new GroupQueue();
  private stopped = false;
  /** Set once every resource has been probed after start: nothing acts before. */
  probed = false;
  private markReady!: () => void;
  /** Resolves once every resource has been probed: no plan runs before. */
  readonly ready = new Promise<void>((r) => (this.markReady = r));
  /** Groups in the middle of a failover (the read-only group attribute Failover). */
  readonly failingOver = new Set<string>();
  /** The read-only resource attribute LastOnline: runtime, never written to main.json. */
  readonly lastOnline = new Map<string, string>();
  /** Set by the cluster layer: read-only node attributes (link states) and status warnings. */
  nodeExtras?: (node: string) => Record<string, unknown>;
  clusterWarnings?: () => string[];
  clusterStatus?: () => unknown;
  /** Set by the cluster layer: an operator forces this node to start without its peer. */
  forceStartAlone?: () => void;
  /** Set by the cluster layer: runs an API call on the peer's engine. */
  forward?: (method: string, params: Record<string, unknown>, principal: { name: string; role: string }, options?: { coordinated?: boolean; to?: string }) => Promise<unknown>;
  /** Set by the cluster layer: the local resource states changed (push them to the peer). */
  onLocalStateChange?: () => void;
  /** Set by the cluster layer when the cluster has a witness: awaited before a failover group comes online here. */
  ownershipGate?: OwnershipGate;
  /** Set by the cluster layer when the cluster has a witness: `mccs witness check`. */
  witnessCheck?: () => Promise<unknown>;
  /** Set by the cluster layer: the running configuration was replaced (timings, addresses). */
  onConfigChange?: (config: MainConfig) => void;
  /** Timings for the metrics (src/metrics): monitor runs and policy decisions. */
  readonly timings = new EventEmitter<EngineTimings>();

  constructor(private readonly options: EngineOptions) {
    this.paths = homePaths(options.home);
    this.log = options.logger;
    this.runner = options.runner ?? new ExecRunner((m) => this.log.debug(m));
    this.events = new EventLog(this.paths.eventsLog, options.nodeName ?? '?');
    this.store = new ConfigStore(this.paths.mainJson, () => this.localNode);
    this.store.on('replaced', (config, before) => this.configReplaced(config, before));
    this.store.on('fact', (rule, message, facts) => this.record({ subject: 'cluster', cause: 'configuration', rule, message, facts }));
    writeFailures.listen((what, error, suppressed) =>
      this.record({ subject: `node:${this.localNode ?? '?'}`, cause: 'disk', rule: 'LOG_WRITE_FAILED', message: `cannot write the ${what} under ${this.paths.home}: ${error}; kept in memory, services are not affected`, facts: { what, error, suppressedLastMinute: suppressed } }),
    );
  }

  get config(): MainConfig {
    return this.store.current;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Reads main.json and works out which node this is; nothing runs yet. */
  async load(): Promise<void> {
    for (const dir of [this.paths.config, this.paths.logDir, this.paths.runDir, this.paths.agentStateDir]) mkdirSync(dir, { recursive: true });
    await this.store.load();
    this.localNode = identifyLocalNode(this.config, this.options.nodeName);
    this.events.node = this.localNode;
    this.observed = {
      localNode: this.localNode,
      nodes: Object.fromEntries(this.config.Nodes.map((n) => [n.NodeName, { state: n.NodeName === this.localNode ? ('INITING' as const) : ('EXITED' as const) }])),
      resources: Object.fromEntries(this.config.Nodes.map((n) => [n.NodeName, {}])),
      groups: {},
    };
    for (const { res } of this.allResources()) this.setState(this.localNode, res.ResName, { state: 'UNKNOWN', reason: 'not yet probed' }, undefined);
  }

  /** Single node: probe, then AutoStart. A cluster node runs startLocal() when it reaches RUNNING. */
  async start(): Promise<void> {
    if (!this.config) await this.load();
    await this.startLocal();
    if (this.localBootMode() === 'AUTO') await this.handleGlobal({ kind: 'ProbeComplete', node: this.localNode }, { cause: 'engine start (AutoStart)' });
  }

  /** Probes every resource (adopting what runs) and starts the monitors; nothing acts before. */
  async startLocal(): Promise<void> {
    if (this.probed) return;
    this.log.info(`engine starting on node ${this.localNode} (ConfigVersion ${this.config.ConfigVersion})`);
    this.record({ subject: `node:${this.localNode}`, oldState: 'EXITED', newState: 'INITING', cause: 'engine start', rule: 'ENGINE_START', message: `engine started on ${this.localNode}` });
    await this.probeAll();
    this.observed.nodes[this.localNode] = { state: 'RUNNING' };
    this.record({ subject: `node:${this.localNode}`, oldState: 'INITING', newState: 'RUNNING', cause: 'probe complete', rule: 'PROBE_COMPLETE', message: `every resource probed; ${this.localNode} is RUNNING` });
    this.probed = true;
    this.markReady();
    for (const { res, group } of this.allResources()) this.scheduleMonitor(group, res);
  }

  /** Runs one step of a plan made on another node (its effects are the same as ours). */
  async runStep(step: PlanStep, cause: string): Promise<void> {
    const single: Plan = { event: { kind: 'ProbeComplete', node: step.node }, steps: [{ ...step, id: 0, after: [] }], decision: step.decision };
    this.findResource(step.resource);
    // Not through the group queue: the planning node holds the plan and sends
    // steps it may run in parallel (disk and IP of one group) at once.
    const result = await execute(single, this.effects(single, cause));
    if (!result.ok) throw new AgentError(result.steps[0]?.error ?? 'step failed');
  }

  /** The running configuration was replaced (a change here, or one taken from the coordinator). */
  private configReplaced(config: MainConfig, before: MainConfig): void {
    this.afterConfig?.(before, config);
    for (const { group, res } of this.allResources()) {
      if (!this.observed.resources[this.localNode]?.[res.ResName]) this.setState(this.localNode, res.ResName, { state: this.probed ? 'OFFLINE' : 'UNKNOWN', reason: 'new resource' }, undefined);
      if (this.probed) this.scheduleMonitor(group, res);
    }
    this.onConfigChange?.(config);
  }

  /** Stops the engine only: services keep running and are adopted at the next start. */
  async stop(cause = 'engine stop (SIGTERM)'): Promise<void> {
    this.stopped = true;
    for (const rt of this.runtime.values()) if (rt.timer) clearTimeout(rt.timer);
    this.record({ subject: `node:${this.localNode}`, oldState: this.observed?.nodes[this.localNode]?.state, newState: 'EXITED', cause, rule: 'ENGINE_STOP', message: 'engine stopped; services keep running' });
  }

  localBootMode(): string {
    const node = this.config.Nodes.find((n) => n.NodeName === this.localNode);
    return typeof node?.BootMode === 'string' ? node.BootMode : 'AUTO';
  }

  // ---------------------------------------------------------------- lookup

  *allResources(): Generator<{ group: GroupConfig; res: ResourceConfig }> {
    for (const group of this.config.Groups) for (const res of group.Resources) yield { group, res };
  }

  findResource(name: string): { group: GroupConfig; res: ResourceConfig } {
    for (const x of this.allResources()) if (x.res.ResName === name) return x;
    throw new MccsError('NOT_FOUND', `no resource '${name}'`, ['list resources: mcres -list']);
  }

  findGroup(name: string): GroupConfig {
    const g = this.config.Groups.find((x) => x.GroupName === name);
    if (!g) throw new MccsError('NOT_FOUND', `no group '${name}'`, ['list groups: mcgrp -list']);
    return g;
  }

  checkNode(name: string): string {
    if (!this.config.Nodes.some((n) => n.NodeName === name)) throw new MccsError('NOT_FOUND', `no node '${name}'`, ['list nodes: mcnode -list']);
    return name;
  }

  status(node: string, res: string): ResourceStatus {
    return this.observed.resources[node]?.[res] ?? { state: 'UNKNOWN' };
  }

  // ---------------------------------------------------------------- events

  /**
   * One event → one plan → executed. Group events are serialized per group
   * (the plan is made when the group's previous work is done, on fresh state).
   */
  async handle(event: PolicyEvent, opts: HandleOptions): Promise<HandleResult> {
    if (opts.dryRun) return this.dryRun(event);
    await this.ready;
    const group = this.groupOf(event);
    if (!group) return this.handleGlobal(event, opts);
    let planReady!: (p: Plan) => void;
    const planned = new Promise<Plan>((r) => (planReady = r));
    const work = this.enqueue(group, async () => {
      const plan = this.plan(event);
      planReady(plan);
      if (plan.refused || plan.steps.length === 0) {
        this.recordPlan(plan, opts.cause);
        return { execution: undefined, groupStates: this.groupStates(group) };
      }
      const execution = await this.run(plan, opts.cause);
      // Read before the group's lock is released: what this plan left, not what a later one made of it.
      return { execution, groupStates: this.groupStates(group) };
    });
    const plan = await planned;
    if (plan.refused) throw refusalError(plan);
    if (!opts.wait) {
      work.catch((e) => this.log.error(`plan for ${describeEvent(event)} failed: ${(e as Error).message}`));
      return { plan, changed: plan.steps.length > 0 };
    }
    const done = await withTimeout(work, opts.timeout, plan);
    return { plan, changed: plan.steps.length > 0, execution: done.execution, groupStates: done.groupStates };
  }

  /** The state of a group on each node of its NodeList. */
  private groupStates(group: string): Record<string, string> {
    const g = this.config.Groups.find((x) => x.GroupName === group);
    return Object.fromEntries((g?.NodeList ?? []).map((n) => [n, this.groupStateSafe(group, n) ?? 'UNKNOWN']));
  }

  /** Events that concern several groups (AutoStart, node fault): one plan, run per group. */
  async handleGlobal(event: PolicyEvent, opts: HandleOptions): Promise<HandleResult> {
    if (opts.dryRun) return this.dryRun(event);
    const plan = this.plan(event);
    if (plan.refused) {
      this.recordPlan(plan, opts.cause);
      throw refusalError(plan);
    }
    if (plan.steps.length === 0) {
      this.recordPlan(plan, opts.cause);
      return { plan, changed: false };
    }
    const parts = splitByGroup(plan);
    const runs = [...parts.keys()].map((group) =>
      this.enqueue(group, async (): Promise<ExecutionResult> => {
        // Planned again once the group's lock is held: another plan for it may have run meanwhile.
        const fresh = splitByGroup(this.plan(event)).get(group);
        if (!fresh || fresh.steps.length === 0) return { ok: true, steps: [] };
        return this.run(fresh, opts.cause);
      }),
    );
    const all = Promise.all(runs).then((rs) => ({ ok: rs.every((r) => r.ok), steps: rs.flatMap((r) => r.steps) }));
    if (!opts.wait) {
      all.catch((e) => this.log.error(`plan for ${describeEvent(event)} failed: ${(e as Error).message}`));
      return { plan, changed: true };
    }
    return { plan, changed: true, execution: await withTimeout(all, opts.timeout, plan) };
  }

  /** --dry-run: the same plan through the same executor, with effects that only record. */
  private async dryRun(event: PolicyEvent): Promise<HandleResult> {
    const plan = this.plan(event);
    if (plan.refused) throw refusalError(plan);
    const execution = await execute(plan, recordingEffects());
    return { plan, changed: plan.steps.length > 0, execution };
  }

  plan(event: PolicyEvent): Plan {
    const t0 = performance.now();
    const plan = policyPlan(this.config, this.observed, event);
    this.timings.emit('decision', plan.refused ? `REFUSED_${plan.refused.code}` : plan.decision.code, (performance.now() - t0) / 1000);
    return plan;
  }

  private groupOf(event: PolicyEvent): string | undefined {
    if ('group' in event) return event.group;
    if ('resource' in event) {
      for (const x of this.allResources()) if (x.res.ResName === event.resource) return x.group.GroupName;
      return '\u0000unknown'; // the policy refuses it with NOT_FOUND
    }
    return undefined;
  }

  private enqueue<T>(group: string, work: () => Promise<T>): Promise<T> {
    return this.groupQueue.run(group, work);
  }

  private async run(plan: Plan, cause: string): Promise<ExecutionResult> {
    this.recordPlan(plan, cause);
    for (const g of this.groupsLeavingHere(plan)) await this.runGroupBatch(g, 'BatchBeforeOffline');
    const moving = (plan.failovers ?? (plan.failover ? [plan.failover] : [])).map((f) => f.group);
    for (const g of moving) this.failingOver.add(g);
    let result: ExecutionResult;
    try {
      result = await execute(plan, this.effects(plan, cause));
    } finally {
      for (const g of moving) this.failingOver.delete(g);
    }
    const failedOnlines = plan.steps.filter((s, i) => s.op === 'online' && result.steps[i]?.status === 'failed' && !isOwnershipRefusal(result.steps[i]?.error) && s.node === this.localNode);
    for (const step of failedOnlines) this.afterFailedOnline(step, result.steps[step.id]?.error ?? 'online failed');
    if (plan.failover && plan.failover.to === null) {
      this.record({ subject: `group:${plan.failover.group}`, group: plan.failover.group, newState: 'FAULTED', cause, rule: 'NO_FAILOVER_TARGET', message: `group ${plan.failover.group} stays offline: no other node can take it` });
    }
    return result;
  }

  /** Groups this plan takes offline on this node as a whole (offline, switch or failover away). */
  private groupsLeavingHere(plan: Plan): string[] {
    const e = plan.event;
    const online = (g: string) => ['ONLINE', 'PARTIAL'].includes(this.groupStateSafe(g, this.localNode) ?? '');
    const out = new Set<string>();
    if (e.kind === 'GroupOffline' && e.node === this.localNode && online(e.group)) out.add(e.group);
    if (e.kind === 'GroupSwitch' && e.node !== this.localNode && online(e.group)) out.add(e.group);
    for (const f of plan.failovers ?? (plan.failover ? [plan.failover] : [])) if (f.from === this.localNode && online(f.group)) out.add(f.group);
    return [...out].filter((g) => plan.steps.some((s) => s.group === g && s.op === 'offline' && s.node === this.localNode));
  }

  /** An online that failed for good is a final failure of the resource: the policy decides what follows (failover if critical). */
  private afterFailedOnline(step: PlanStep, reason: string): void {
    setImmediate(() => {
      if (this.stopped) return;
      this.handle({ kind: 'ResourceFailed', resource: step.resource, node: this.localNode, reason, final: true }, { cause: `online of ${step.resource} failed: ${reason}` }).catch((e) => this.log.error(`after failed online of ${step.resource}: ${(e as Error).message}`));
    });
  }

  // ---------------------------------------------------------------- effects

  private effects(plan: Plan, cause: string): Effects {
    const local = (fn: (step: PlanStep) => Promise<void>) => async (step: PlanStep) => {
      if (step.node !== this.localNode) return this.remoteStep(step);
      return fn(step);
    };
    return {
      online: local(async (s) => {
        if (this.ownershipGate && (this.findGroup(s.group).GroupType ?? 'FAILOVER') === 'FAILOVER') await this.ownershipGate.acquire(s.group, cause);
        return this.onlineResource(s, cause);
      }),
      offline: local((s) => this.offlineResource(s, cause)),
      clean: local((s) => this.cleanResource(s, cause)),
      fault: async (s) => {
        const reason = this.status(s.node, s.resource).reason ?? s.decision.message;
        this.setState(s.node, s.resource, { state: 'FAULTED', reason }, { cause, rule: s.decision.code, message: s.decision.message, facts: s.decision.facts });
      },
      'count-restart': async (s) => {
        const st = this.status(s.node, s.resource);
        st.restartCount = (st.restartCount ?? 0) + 1;
        this.record({ subject: `resource:${s.resource}`, group: s.group, resource: s.resource, cause, rule: s.decision.code, message: `restart ${st.restartCount} of ${s.resource} in place`, facts: s.decision.facts });
      },
      clear: local(async (s) => {
        const { group, res } = this.findResource(s.resource);
        const obs = await this.observeOnce(group, res);
        this.setState(s.node, s.resource, { state: obs.state === 'running' ? 'ONLINE' : 'OFFLINE', reason: `cleared by operator; ${obs.reason}`, restartCount: 0 }, { cause, rule: s.decision.code, message: s.decision.message });
        this.scheduleMonitor(group, res);
      }),
    };
  }

  /** Steps for another node go to its engine; set by the cluster layer. */
  remoteStep: (step: PlanStep) => Promise<void> = async (step) => {
    throw new AgentError(`node ${step.node} is not reachable from ${this.localNode}`);
  };

  private context(group: GroupConfig, res: ResourceConfig, timeoutMs: number): AgentContext & { done: () => void } {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs);
    const deadline = Date.now() + timeoutMs;
    return {
      attrs: resolveResourceAttributes(this.config, res, group),
      resName: res.ResName,
      groupName: group.GroupName,
      nodeName: this.localNode,
      home: this.paths.home,
      runner: this.runner,
      signal: controller.signal,
      get deadline() {
        return Math.max(0, deadline - Date.now());
      },
      onUnexpectedExit: (reason: string) => this.unexpectedExit(res.ResName, reason),
      log: (m: string) => this.log.info(`${res.ResName}: ${m}`),
      done: () => clearTimeout(timer),
    };
  }

  private async withAgent<T>(group: GroupConfig, res: ResourceConfig, timeoutName: string, fallback: number, fn: (agent: Agent, ctx: AgentContext) => Promise<T>): Promise<T> {
    const agent = agentFor(res.Type);
    if (!agent) throw new AgentError(`no agent for type ${res.Type}`);
    const attrs = resolveResourceAttributes(this.config, res, group);
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

  private async onlineResource(step: PlanStep, cause: string): Promise<void> {
    const { group, res } = this.findResource(step.resource);
    const rt = this.rt(res.ResName);
    rt.busy = true;
    const old = this.status(this.localNode, res.ResName);
    const retries = Number(resolveResourceAttributes(this.config, res).OnlineRetryLimit ?? 0);
    this.setState(this.localNode, res.ResName, { ...old, state: 'STARTING', reason: step.decision.message }, { cause, rule: step.decision.code, message: step.decision.message, facts: step.decision.facts });
    try {
      let lastError = '';
      for (let attempt = 0; attempt <= retries; attempt++) {
        try {
          await this.runBatch(res, 'BatchBeforeOnline');
          await this.withAgent(group, res, 'OnlineTimeout', 300, (a, ctx) => a.online(ctx));
          const obs = await this.observeOnce(group, res);
          if (obs.state !== 'running') throw new AgentError(`online ended but monitor says ${obs.state}: ${obs.reason}`);
          rt.onlineSince = performance.now();
          rt.monitorTimeouts = 0;
          this.setState(this.localNode, res.ResName, { ...this.status(this.localNode, res.ResName), state: 'ONLINE', reason: obs.reason }, { cause, rule: 'ONLINE_DONE', message: `${res.ResName} is online on ${this.localNode}` });
          this.lastOnline.set(res.ResName, this.localNode);
          await this.runBatch(res, 'BatchAfterOnline');
          return;
        } catch (e) {
          lastError = (e as Error).message;
          this.log.warn(`online of ${res.ResName} failed (attempt ${attempt + 1}/${retries + 1}): ${lastError}`);
          await this.withAgent(group, res, 'CleanTimeout', 60, (a, ctx) => a.clean(ctx)).catch(() => undefined);
        }
      }
      // Not FAULTED here: the policy decides what the final failure means (fault, parents, failover).
      this.setState(this.localNode, res.ResName, { ...this.status(this.localNode, res.ResName), state: 'OFFLINE', reason: `online failed: ${lastError}` }, { cause, rule: 'ONLINE_FAILED', message: `online of ${res.ResName} failed: ${lastError}` });
      throw new AgentError(lastError);
    } finally {
      rt.busy = false;
      this.scheduleMonitor(group, res);
    }
  }

  private async offlineResource(step: PlanStep, cause: string): Promise<void> {
    const { group, res } = this.findResource(step.resource);
    const rt = this.rt(res.ResName);
    rt.busy = true;
    const old = this.status(this.localNode, res.ResName);
    const endState: ResourceState = old.state === 'FAULTED' ? 'FAULTED' : 'OFFLINE';
    this.setState(this.localNode, res.ResName, { ...old, state: 'STOPPING', reason: step.decision.message }, { cause, rule: step.decision.code, message: step.decision.message, facts: step.decision.facts });
    try {
      await this.runBatch(res, 'BatchBeforeOffline');
      try {
        const successor = step.decision.facts.to;
        await this.withAgent(group, res, 'OfflineTimeout', 300, (a, ctx) => a.offline(Object.assign(ctx, typeof successor === 'string' ? { successor } : {})));
      } catch (e) {
        const why = (e as Error).message;
        this.record({ subject: `resource:${res.ResName}`, group: group.GroupName, resource: res.ResName, cause, rule: 'FORCED_CLEAN', message: `offline of ${res.ResName} failed (${why}); forced clean`, facts: { error: why } });
        await this.forcedClean(group, res);
      }
      const obs = await this.observeOnce(group, res);
      if (obs.state === 'running') throw new AgentError(`still running after offline: ${obs.reason}`);
      rt.onlineSince = undefined;
      this.setState(this.localNode, res.ResName, { ...this.status(this.localNode, res.ResName), state: endState, reason: endState === 'FAULTED' ? old.reason : obs.reason }, { cause, rule: 'OFFLINE_DONE', message: `${res.ResName} is offline on ${this.localNode}` });
      await this.runBatch(res, 'BatchAfterOffline');
    } catch (e) {
      const why = (e as Error).message;
      this.setState(this.localNode, res.ResName, { ...this.status(this.localNode, res.ResName), state: 'FAULTED', reason: `cannot take offline: ${why}` }, { cause, rule: 'OFFLINE_FAILED', message: `${res.ResName} could not be taken offline: ${why}` });
      throw e;
    } finally {
      rt.busy = false;
      this.scheduleMonitor(group, res);
    }
  }

  private async cleanResource(step: PlanStep, cause: string): Promise<void> {
    const { group, res } = this.findResource(step.resource);
    const rt = this.rt(res.ResName);
    rt.busy = true;
    try {
      this.record({ subject: `resource:${res.ResName}`, group: group.GroupName, resource: res.ResName, cause, rule: step.decision.code, message: step.decision.message, facts: step.decision.facts });
      await this.forcedClean(group, res);
      rt.onlineSince = undefined;
    } finally {
      rt.busy = false;
    }
  }

  private async forcedClean(group: GroupConfig, res: ResourceConfig): Promise<void> {
    await this.withAgent(group, res, 'CleanTimeout', 60, (a, ctx) => a.clean(ctx));
    const program = resolveResourceAttributes(this.config, res).CleanProgram;
    if (typeof program === 'string' && program !== '') {
      const r = await this.runner.run(program, [res.ResName], { timeoutMs: 60_000 }).catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
      if (r.exitCode !== 0) this.log.warn(`CleanProgram ${program} for ${res.ResName} exited ${r.exitCode}: ${r.stderr}`);
    }
  }

  private async runBatch(res: ResourceConfig, name: string): Promise<void> {
    const program = res[name];
    if (typeof program !== 'string' || program === '') return;
    const r = await this.runner.run(program, [res.ResName, this.localNode], { timeoutMs: 300_000 }).catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
    if (r.exitCode !== 0) this.log.warn(`${name} ${program} for ${res.ResName} exited ${r.exitCode}`);
  }

  // ---------------------------------------------------------------- monitor

  private rt(name: string): ResourceRuntime {
    let rt = this.runtime.get(name);
    if (!rt) {
      rt = { busy: false, monitorTimeouts: 0, epoch: 0 };
      this.runtime.set(name, rt);
    }
    return rt;
  }

  async observeOnce(group: GroupConfig, res: ResourceConfig): Promise<Observation> {
    try {
      return await this.withAgent(group, res, 'MonitorTimeout', 10, (a, ctx) => a.observe(ctx));
    } catch (e) {
      return { state: 'failed', reason: (e as Error).message };
    }
  }

  private async probeAll(): Promise<void> {
    await Promise.all(
      [...this.allResources()].map(async ({ group, res }) => {
        if (res.Enabled === false) {
          this.setState(this.localNode, res.ResName, { state: 'OFFLINE', reason: 'disabled' }, undefined);
          return;
        }
        const obs = await this.observeOnce(group, res);
        const state: ResourceState = obs.state === 'running' ? 'ONLINE' : agentFor(res.Type)?.monitorOnly && obs.state === 'failed' ? 'FAULTED' : 'OFFLINE';
        if (state === 'ONLINE') this.rt(res.ResName).onlineSince = performance.now();
        this.setState(this.localNode, res.ResName, { state, reason: obs.reason, restartCount: 0, ...(obs.details ? { details: obs.details } : {}) }, { cause: 'probe at engine start', rule: state === 'ONLINE' ? 'PROBE_ADOPTED' : 'PROBE_STATE', message: state === 'ONLINE' ? `${res.ResName} found running: adopted` : `${res.ResName} is ${state}: ${obs.reason}` });
      }),
    );
  }

  private scheduleMonitor(group: GroupConfig, res: ResourceConfig): void {
    if (this.stopped || res.Enabled === false) return;
    const rt = this.rt(res.ResName);
    if (rt.timer) clearTimeout(rt.timer);
    const attrs = resolveResourceAttributes(this.config, res, group);
    const st = this.status(this.localNode, res.ResName).state;
    const monitorOnly = agentFor(res.Type)?.monitorOnly === true;
    const interval = st === 'ONLINE' || monitorOnly ? timing(attrs, 'MonitorInterval', 10) : timing(attrs, 'OfflineMonitorInterval', 60);
    if (interval <= 0) return;
    const epoch = ++rt.epoch;
    rt.timer = setTimeout(() => {
      void this.monitorTick(res.ResName, epoch);
    }, interval);
    rt.timer.unref?.();
  }

  private async monitorTick(name: string, epoch: number): Promise<void> {
    if (this.stopped) return;
    let found: { group: GroupConfig; res: ResourceConfig };
    try {
      found = this.findResource(name);
    } catch {
      return; // deleted meanwhile
    }
    const { group, res } = found;
    const rt = this.rt(name);
    if (rt.busy || rt.epoch !== epoch) return this.scheduleMonitor(group, res);
    const before = this.status(this.localNode, name);
    let obs: Observation;
    const t0 = performance.now();
    try {
      obs = await this.withAgent(group, res, 'MonitorTimeout', 10, (a, ctx) => a.observe(ctx));
      rt.monitorTimeouts = 0;
      this.timings.emit('monitor', res.Type, (performance.now() - t0) / 1000, obs.state);
    } catch (e) {
      this.timings.emit('monitor', res.Type, (performance.now() - t0) / 1000, 'error');
      rt.monitorTimeouts++;
      const limit = Number(resolveResourceAttributes(this.config, res).FaultOnMonitorTimeouts ?? 4);
      this.log.warn(`monitor of ${name} failed (${rt.monitorTimeouts}${limit ? `/${limit}` : ''}): ${(e as Error).message}`);
      if (limit === 0 || rt.monitorTimeouts < limit) return this.scheduleMonitor(group, res);
      obs = { state: 'failed', reason: `${rt.monitorTimeouts} monitor timeouts in a row` };
    }
    if (rt.busy || rt.epoch !== epoch) return this.scheduleMonitor(group, res);
    this.applyMonitorResult(group, res, before.state, obs);
    this.scheduleMonitor(group, res);
  }

  private applyMonitorResult(group: GroupConfig, res: ResourceConfig, before: ResourceState, obs: Observation): void {
    const name = res.ResName;
    const rt = this.rt(name);
    this.refreshObservation(name, before, obs);
    const monitorOnly = agentFor(res.Type)?.monitorOnly === true;
    if (before === 'ONLINE') {
      if (obs.state === 'running') {
        this.trustIfLongEnough(res);
        return;
      }
      this.failure(name, obs.reason);
      return;
    }
    if (monitorOnly) {
      // Persistent resources (NIC) clear themselves when they recover.
      if (obs.state === 'running') {
        this.setState(this.localNode, name, { state: 'ONLINE', reason: obs.reason }, { cause: 'monitor', rule: 'MONITOR_RECOVERED', message: `${name} is up again: ${obs.reason}` });
        this.autoRestart(group, name);
      } else if (before !== 'FAULTED') {
        this.setState(this.localNode, name, { state: 'FAULTED', reason: obs.reason }, { cause: 'monitor', rule: 'MONITOR_FAILED', message: `${name} failed: ${obs.reason}` });
      }
      return;
    }
    if (before === 'OFFLINE' && obs.state === 'running') {
      rt.onlineSince = performance.now();
      this.setState(this.localNode, name, { state: 'ONLINE', reason: obs.reason }, { cause: 'offline monitor', rule: 'UNEXPECTED_ONLINE', message: `${name} found running on ${this.localNode} while it was offline: ${obs.reason}` });
    }
  }

  /** A monitor that confirms the state keeps the shown reason and details fresh (replication lag…), without an event. */
  private refreshObservation(name: string, before: ResourceState, obs: Observation): void {
    const st = this.observed.resources[this.localNode]?.[name];
    const same = (before === 'ONLINE' && obs.state === 'running') || ((before === 'OFFLINE' || before === 'FAULTED') && obs.state === 'stopped');
    if (!st || !same || (st.reason === obs.reason && JSON.stringify(st.details) === JSON.stringify(obs.details))) return;
    st.reason = obs.reason;
    st.details = obs.details;
    this.onLocalStateChange?.();
  }

  /** OnlineTrustTime: a resource that ran well for long enough earns its restarts back. */
  private trustIfLongEnough(res: ResourceConfig): void {
    const rt = this.rt(res.ResName);
    const st = this.status(this.localNode, res.ResName);
    if (!st.restartCount || rt.onlineSince === undefined) return;
    const trust = timing(resolveResourceAttributes(this.config, res), 'OnlineTrustTime', 600);
    if (performance.now() - rt.onlineSince >= trust) {
      st.restartCount = 0;
      this.log.info(`${res.ResName} ran ${trust / 1000} s without failing: restart count reset`);
    }
  }

  /** Called by agents that see their resource end between ticks (child exit, lost lease). */
  private unexpectedExit(name: string, reason: string): void {
    const rt = this.rt(name);
    if (this.stopped || rt.busy || this.status(this.localNode, name).state !== 'ONLINE') return;
    this.failure(name, reason);
  }

  private failure(name: string, reason: string): void {
    const st = this.status(this.localNode, name);
    if (st.state !== 'ONLINE') return;
    this.rt(name).onlineSince = undefined;
    const { group } = this.findResource(name);
    this.setState(this.localNode, name, { ...st, state: 'OFFLINE', reason }, { cause: 'monitor', rule: 'RESOURCE_FAILED', message: `${name} failed on ${this.localNode}: ${reason}` });
    this.handle({ kind: 'ResourceFailed', resource: name, node: this.localNode, reason }, { cause: `monitor: ${name} failed (${reason})` }).catch((e) => this.log.error(`handling failure of ${name} in ${group.GroupName}: ${(e as Error).message}`));
  }

  // ---------------------------------------------------------------- state

  setState(node: string, res: string, next: ResourceStatus, why: { cause: string; rule: string; message: string; facts?: Record<string, unknown> } | undefined): void {
    const byNode = (this.observed.resources[node] ??= {});
    const old = byNode[res];
    byNode[res] = { restartCount: old?.restartCount ?? 0, ...next };
    if (node === this.localNode) {
      this.onLocalStateChange?.();
      if (next.state === 'FAULTED' && old?.state !== 'FAULTED') this.scheduleAutoClear(res);
    }
    if (!why) return;
    let group: string | undefined;
    for (const x of this.allResources()) if (x.res.ResName === res) group = x.group.GroupName;
    const groupBefore = group ? this.groupStateSafe(group, node, old ? { ...byNode, [res]: old } : undefined) : undefined;
    if (old?.state !== next.state || why.rule !== 'ONLINE_DONE') {
      this.record({ subject: `resource:${res}`, group, resource: res, oldState: old?.state, newState: next.state, cause: why.cause, rule: why.rule, message: why.message, facts: { ...why.facts, node, ...(next.reason ? { reason: next.reason } : {}) } });
    }
    if (group) {
      const groupAfter = this.groupStateSafe(group, node);
      if (groupAfter !== groupBefore) this.record({ subject: `group:${group}`, group, oldState: groupBefore, newState: groupAfter, cause: why.cause, rule: 'GROUP_STATE', message: `group ${group} is ${groupAfter} on ${node}` });
      if (node === this.localNode && groupAfter) this.trackGeneration(group, groupAfter);
    }
  }

  /**
   * The takeover generation (SPEC §3 Heal) rises each time the group comes
   * online here from offline, above what the peer last reported, so after a
   * partition the node that took the group over last keeps it.
   */
  private trackGeneration(group: string, state: string): void {
    // PARTIAL is passed through on every bottom-up online (children up, parents not yet): not a stable state either.
    if (state === 'STARTING' || state === 'STOPPING' || state === 'PARTIAL') return;
    const rt = ((this.observed.groups ??= {})[group] ??= {});
    if (state === 'ONLINE' && (rt.lastStable === undefined || rt.lastStable === 'OFFLINE' || rt.lastStable === 'FAULTED')) {
      rt.generation = Math.max(rt.generation ?? 0, rt.peerGeneration ?? 0) + 1;
      // Not when a restarted engine adopts a group that stayed online.
      if (this.probed) void this.runGroupBatch(group, 'BatchAfterOnline');
    }
    rt.lastStable = state;
  }

  /** Group batch programs (args: group, node); their result never changes group handling. */
  private async runGroupBatch(groupName: string, name: 'BatchAfterOnline' | 'BatchBeforeOffline'): Promise<void> {
    const group = this.config.Groups.find((g) => g.GroupName === groupName);
    const program = group?.[name];
    if (!group || typeof program !== 'string' || program === '') return;
    const seconds = typeof group.BatchTimeout === 'number' ? group.BatchTimeout : 300;
    const r = await this.runner.run(program, [groupName, this.localNode], { timeoutMs: seconds * 1000 }).catch((e: Error) => ({ exitCode: -1, stderr: e.message, timedOut: false }));
    this.record({ subject: `group:${groupName}`, group: groupName, cause: name, rule: r.exitCode === 0 ? 'BATCH_DONE' : 'BATCH_FAILED', message: `${name} ${program} ${r.timedOut ? `timed out after ${seconds} s` : `exited ${r.exitCode}`}`, facts: { program, exitCode: r.exitCode } });
  }

  /**
   * AutoRestart: a persistent resource (NIC) whose failure took its group
   * offline has recovered; if the group is online nowhere, it comes back here.
   */
  private autoRestart(group: GroupConfig, recovered: string): void {
    if (group.AutoRestart !== true || group.Frozen === true) return;
    const online = group.NodeList.some((n) => ['ONLINE', 'PARTIAL', 'STARTING'].includes(this.groupStateSafe(group.GroupName, n) ?? ''));
    if (online) return;
    this.handle({ kind: 'GroupOnline', group: group.GroupName, node: this.localNode }, { cause: `AutoRestart: ${recovered} recovered` }).catch((e: Error) => this.log.warn(`AutoRestart of ${group.GroupName}: ${e.message}`));
  }

  /** AutoFaultClearTime: a FAULTED resource is cleared after that long (0 = never). */
  private scheduleAutoClear(resName: string): void {
    let group: GroupConfig;
    try {
      group = this.findResource(resName).group;
    } catch {
      return;
    }
    const seconds = typeof group.AutoFaultClearTime === 'number' ? group.AutoFaultClearTime : 0;
    if (seconds <= 0) return;
    const timer = setTimeout(() => {
      if (this.stopped || this.status(this.localNode, resName).state !== 'FAULTED') return;
      this.handle({ kind: 'ResourceClear', resource: resName, node: this.localNode }, { cause: `AutoFaultClearTime ${seconds} s of group ${group.GroupName}` }).catch((e: Error) => this.log.warn(`auto clear of ${resName}: ${e.message}`));
    }, seconds * 1000);
    timer.unref?.();
  }

  private groupStateSafe(group: string, node: string, override?: Record<string, ResourceStatus>): string | undefined {
    try {
      const observed = override ? { ...this.observed, resources: { ...this.observed.resources, [node]: override } } : this.observed;
      return groupState(this.config, this.findGroup(group), observed, node);
    } catch {
      return undefined;
    }
  }

  record(e: Omit<EventRecord, 'time' | 'node'> & { node?: string }): void {
    const full = this.events.write(e);
    this.log.info(full.message, { event: full.rule, subject: full.subject, group: full.group, resource: full.resource, oldState: full.oldState, newState: full.newState, cause: full.cause });
  }

  private recordPlan(plan: Plan, cause: string): void {
    const subject = 'group' in plan.event ? `group:${plan.event.group}` : 'resource' in plan.event ? `resource:${plan.event.resource}` : `node:${'node' in plan.event ? plan.event.node : this.localNode}`;
    this.record({
      subject,
      group: 'group' in plan.event ? plan.event.group : undefined,
      resource: 'resource' in plan.event ? plan.event.resource : undefined,
      cause,
      rule: plan.refused ? `REFUSED_${plan.refused.code}` : plan.decision.code,
      message: plan.refused ? plan.refused.message : plan.decision.message,
      facts: { event: plan.event, steps: plan.steps.map((s) => `${s.op} ${s.resource}@${s.node}`), ...(plan.failover ? { failover: plan.failover } : {}), ...(plan.failovers && plan.failovers.length > 1 ? { failovers: plan.failovers } : {}) },
    });
  }

  // ---------------------------------------------------------------- config

  /**
   * The one path of every configuration change: ordered by the coordinating
   * node, validated whole, durable on every RUNNING node before it answers.
   */
  modifyConfig(change: (draft: MainConfig) => void, cause: string, options: { ifVersion?: number } = {}): Promise<ChangeResult> {
    return this.store.change(change, { cause, ifVersion: options.ifVersion });
  }
}

// ---------------------------------------------------------------- helpers

export function identifyLocalNode(config: MainConfig, requested?: string): string {
  const wanted = requested ?? process.env.MCCS_NODE;
  if (wanted) {
    if (!config.Nodes.some((n) => n.NodeName === wanted)) throw new MccsError('NOT_FOUND', `node '${wanted}' is not in main.json (Nodes: ${config.Nodes.map((n) => n.NodeName).join(', ')})`);
    return wanted;
  }
  const addresses = new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)));
  const match = config.Nodes.filter((n) => [n.PrimaryHB, n.SecondaryHB].some((a) => typeof a === 'string' && addresses.has(a)));
  if (match.length === 1) return match[0]!.NodeName;
  if (config.Nodes.length === 1) return config.Nodes[0]!.NodeName;
  throw new MccsError('INVALID', 'cannot tell which node this is: no single node has a heartbeat address of this host', ['start with `mccs daemon --node NAME` or set MCCS_NODE']);
}

function refusalError(plan: Plan): MccsError {
  const r = plan.refused!;
  return new MccsError(r.code, r.message, [], { plan });
}

function describeEvent(e: PolicyEvent): string {
  return `${e.kind} ${'group' in e ? e.group : 'resource' in e ? e.resource : ''}`.trim();
}

export function splitByGroup(plan: Plan): Map<string, Plan> {
  const parts = new Map<string, Plan>();
  const renumber = new Map<number, number>();
  for (const step of plan.steps) {
    let part = parts.get(step.group);
    if (!part) {
      part = { ...plan, steps: [], failover: plan.failover?.group === step.group ? plan.failover : undefined };
      parts.set(step.group, part);
    }
    renumber.set(step.id, part.steps.length);
    part.steps.push({ ...step, id: part.steps.length, after: step.after.filter((a) => plan.steps[a]?.group === step.group).map((a) => renumber.get(a)!) });
  }
  return parts;
}

async function withTimeout<T>(work: Promise<T>, seconds: number | undefined, plan: Plan): Promise<T> {
  const ms = (seconds ?? 300) * 1000;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new MccsError('TIMEOUT', `the request was accepted but did not finish within ${ms / 1000} s`, ['check progress: mcgrp -state', 'mccluster events'], { plan })), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
