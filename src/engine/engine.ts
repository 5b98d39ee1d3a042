// The engine of one node: it owns the configuration and the observed state,
// turns every event (monitor result, operator command, node fault) into a
// plan through the pure policy, runs plans through the executor, one plan per
// group at a time, and watches every resource. It makes no decision itself:
// the policy does. Its rooms: the observed state and event recording
// (observed-store.ts), the operations on one resource (resource-ops.ts), the
// monitor loop (monitor-loop.ts), the configuration (config-store.ts).
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { EventRecord } from './event-record.js';
import { singleNodePort, type ClusterPort } from './cluster-port.js';
import { ConfigStore, type ChangeResult } from './config-store.js';
import { GroupQueue } from './group-queue.js';
import { writeFailures } from './write-failures.js';
import { MccsError } from '../model/errors.js';
import { homePaths, type HomePaths } from '../model/home.js';
import type { GroupConfig, MainConfig, NodeState, ResourceConfig } from '../model/types.js';
import { AgentError, type Observation } from './agents/agent.js';
import { agentFor } from './agents/catalog.js';
import { EventLog } from './event-log.js';
import { ExecRunner } from './exec-runner.js';
import { execute, recordingEffects, type ExecutionResult } from './executor.js';
import type { Logger } from './logger.js';
import { MonitorLoop } from './monitor-loop.js';
import { ObservedStore, type ObservedView, type StateChangeWhy } from './observed-store.js';
import { isOwnershipRefusal } from './ownership-gate.js';
import { capacityOf, loadOf } from './policy/capacity.js';
import { plan as policyPlan } from './policy/plan.js';
import type { GroupRuntime, Plan, PlanStep, PolicyEvent, ResourceStatus } from './policy/types.js';
import { ResourceOps } from './resource-ops.js';
import { ResourceRuntimes } from './resource-runtime.js';
import { changedResources } from './resource-changes.js';
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
  /**
   * A cluster event every node plans alike (a node fault): run only the
   * groups whose steps all land on this node; the other nodes run theirs.
   */
  onlyHere?: boolean;
  /**
   * Nodes the plan must not place anything on although they were RUNNING
   * when last heard (every heartbeat link to them is down, a decision about
   * them is pending): a takeover never hands a group to a node that cannot
   * be reached.
   */
  unreachable?: () => string[];
}

export interface HandleResult {
  plan: Plan;
  changed: boolean;
  execution?: ExecutionResult;
  /** With wait: the group's state on each node when its plan ended (before any later plan ran). */
  groupStates?: Record<string, string>;
}

/** Runtime facts a caller of Engine.ask adds to the observed state. */
export interface AskFacts {
  /** Counters and times of the event's resource on the event's node (monitorTimeouts, onlineSince…). */
  resource?: Partial<ResourceStatus>;
  /** Runtime facts of groups (a heal under way). */
  groups?: Record<string, Partial<GroupRuntime>>;
}

export interface EngineChanges {
  /** The running configuration was replaced (a change here, or one taken from the coordinator). */
  config: [before: MainConfig, after: MainConfig];
}

export interface EngineTimings {
  /** One monitor run of a resource: its type, seconds, outcome (running, stopped, failed, error). */
  monitor: [type: string, seconds: number, outcome: string];
  /** One policy decision: its code, seconds spent planning. */
  decision: [code: string, seconds: number];
}

export class Engine {
  localNode!: string;
  /** The cluster layer as the engine sees it (a node alone until the cluster attaches itself). */
  cluster: ClusterPort = singleNodePort(() => this.localNode);
  /** `config`: after any configuration change, local or adopted from the peer (the daemon reloads on a node rename). */
  readonly changes = new EventEmitter<EngineChanges>();
  /** The configuration and the one path by which it changes (cluster-wide, in one order). */
  readonly store: ConfigStore;
  readonly paths: HomePaths;
  readonly events: EventLog;
  readonly log: Logger;
  readonly runner: Runner;
  /** The observed state and the event recording of its changes. */
  readonly observedStore: ObservedStore;
  /** Online, offline, clean of one local resource through its agent. */
  readonly ops: ResourceOps;
  /** Probe, monitor timers and what their results mean. */
  readonly monitor: MonitorLoop;
  /** Per local resource: monitor timer, busy flag, online since. */
  readonly runtimes = new ResourceRuntimes();
  /** One plan per group at a time, cluster-wide (the cluster layer sets its locks). */
  readonly groupQueue = new GroupQueue();
  /** Set by stop(): no monitor, timer or follow-up plan runs after it. */
  stopped = false;
  /** Set once every resource has been probed after start: nothing acts before. */
  probed = false;
  private markReady!: () => void;
  /** Resolves once every resource has been probed: no plan runs before. */
  readonly ready = new Promise<void>((r) => (this.markReady = r));
  /** Groups in the middle of a failover (the read-only group attribute Failover). */
  readonly failingOver = new Set<string>();
  /** The read-only resource attribute LastOnline: runtime, never written to main.json. */
  readonly lastOnline = new Map<string, string>();
  /** Timings for the metrics (src/metrics): monitor runs and policy decisions. */
  readonly timings = new EventEmitter<EngineTimings>();

  constructor(private readonly options: EngineOptions) {
    const engine = this;
    this.paths = homePaths(options.home);
    this.log = options.logger;
    this.runner = options.runner ?? new ExecRunner((m) => this.log.debug(m));
    this.events = new EventLog(this.paths.eventsLog, options.nodeName ?? '?');
    this.observedStore = new ObservedStore({
      get config() {
        return engine.config;
      },
      get localNode() {
        return engine.localNode;
      },
      get probed() {
        return engine.probed;
      },
      events: this.events,
      log: this.log,
      findGroup: (name) => this.findGroup(name),
      localStateChanged: () => this.cluster.localStateChanged(),
      localResourceFaulted: (res) => this.monitor.scheduleAutoClear(res),
      groupOnlineHere: (group) => void this.ops.runGroupBatch(group, 'BatchAfterOnline'),
    });
    this.ops = new ResourceOps(this);
    this.monitor = new MonitorLoop(this);
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

  /** Read-only outside the engine: every change goes through an engine method. */
  get observed(): ObservedView {
    return this.observedStore.observed;
  }

  /** The cluster layer attaches itself once; until then (and on a single node) the engine runs alone. */
  attach(port: ClusterPort): void {
    this.cluster = port;
    if (port.groupLocks) this.groupQueue.locks = port.groupLocks;
    if (port.replication) this.store.replication = port.replication;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Reads main.json and works out which node this is; nothing runs yet. */
  async load(): Promise<void> {
    for (const dir of [this.paths.config, this.paths.logDir, this.paths.runDir, this.paths.agentStateDir]) mkdirSync(dir, { recursive: true });
    await this.store.load();
    this.localNode = identifyLocalNode(this.config, this.options.nodeName);
    this.events.node = this.localNode;
    this.observedStore.reset(this.config, this.localNode);
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
    await this.monitor.probeAll();
    this.observedStore.setNodeState(this.localNode, 'RUNNING');
    this.record({ subject: `node:${this.localNode}`, oldState: 'INITING', newState: 'RUNNING', cause: 'probe complete', rule: 'PROBE_COMPLETE', message: `every resource probed; ${this.localNode} is RUNNING` });
    this.probed = true;
    this.markReady();
    for (const { res, group } of this.allResources()) this.monitor.schedule(group, res);
  }

  /** Runs one step of a plan made on another node (its effects are the same as ours). */
  async runStep(step: PlanStep, cause: string): Promise<void> {
    const single: Plan = { event: { kind: 'ProbeComplete', node: step.node }, steps: [{ ...step, id: 0, after: [] }], decision: step.decision };
    this.findResource(step.resource);
    // Not through the group queue: the planning node holds the plan and sends
    // steps it may run in parallel (disk and IP of one group) at once.
    const result = await execute(single, this.ops.effects(single, cause));
    if (!result.ok) throw new AgentError(result.steps[0]?.error ?? 'step failed');
  }

  /** The running configuration was replaced (a change here, or one taken from the coordinator). */
  private configReplaced(config: MainConfig, before: MainConfig): void {
    this.changes.emit('config', before, config);
    for (const res of changedResources(before, config)) agentFor(res.Type)?.forget?.({ nodeName: this.localNode, resName: res.ResName });
    for (const { group, res } of this.allResources()) {
      if (!this.observed.resources[this.localNode]?.[res.ResName]) this.setState(this.localNode, res.ResName, { state: this.probed ? 'OFFLINE' : 'UNKNOWN', reason: 'new resource' }, undefined);
      if (this.probed) this.monitor.schedule(group, res);
    }
    this.cluster.configChanged(config);
  }

  /** Stops the engine only: services keep running and are adopted at the next start. */
  async stop(cause = 'engine stop (SIGTERM)'): Promise<void> {
    this.stopped = true;
    this.runtimes.clearTimers();
    for (const { res } of this.allResources()) agentFor(res.Type)?.forget?.({ nodeName: this.localNode, resName: res.ResName });
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
    return this.observedStore.status(node, res);
  }

  /** A group's state on a node; undefined for a group that is not (or no longer) configured. */
  groupState(group: string, node: string): string | undefined {
    return this.observedStore.groupState(group, node);
  }

  /** What the cluster learns of the nodes and of the peer's resources. */
  setNodeState(node: string, state: NodeState): void {
    this.observedStore.setNodeState(node, state);
  }

  replaceResources(node: string, resources: Record<string, ResourceStatus>): void {
    this.observedStore.replaceResources(node, resources);
  }

  markResourcesOffline(node: string, reason: string): void {
    this.observedStore.markResourcesOffline(node, reason);
  }

  /** Deleted from the configuration: gone from the observed state too. */
  forgetResources(names: string[]): void {
    this.observedStore.forgetResources(names);
  }

  forgetGroup(group: string): void {
    this.observedStore.forgetGroup(group);
  }

  /** A temporary lock here; the peer learns it with the resource states. */
  setTempLock(group: string, locked: boolean): void {
    this.observedStore.setTempLock(group, locked);
    this.cluster.localStateChanged();
  }

  /** The temporary locks as the coordinator holds them: they hold on every node. */
  adoptTempLocks(locked: readonly string[]): void {
    for (const g of this.config.Groups) this.observedStore.setTempLock(g.GroupName, locked.includes(g.GroupName));
  }

  /** The takeover generations a peer told (heal compares them, per peer with more than two nodes). */
  setPeerGenerations(generations: Record<string, number>, peer?: string): void {
    this.observedStore.setPeerGenerations(generations, peer);
  }

  /** The one write of a resource state: event log, group state and generation follow. */
  setState(node: string, res: string, next: ResourceStatus, why: StateChangeWhy | undefined): void {
    this.observedStore.setState(node, res, next, why);
  }

  record(e: Omit<EventRecord, 'time' | 'node'> & { node?: string }): void {
    this.observedStore.record(e);
  }

  /** One observation of a local resource (a failed one on agent error or timeout). */
  observeOnce(group: GroupConfig, res: ResourceConfig): Promise<Observation> {
    return this.ops.observeOnce(group, res);
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
    const work = this.withCapacityLock(event, () => this.enqueue(group, async () => {
      const plan = this.plan(event);
      planReady(plan);
      if (plan.refused || plan.steps.length === 0) {
        this.observedStore.recordPlan(plan, opts.cause);
        return { execution: undefined, groupStates: this.groupStates(group) };
      }
      const execution = await this.run(plan, opts.cause);
      // Read before the group's lock is released: what this plan left, not what a later one made of it.
      return { execution, groupStates: this.groupStates(group) };
    }));
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
    return Object.fromEntries((g?.NodeList ?? []).map((n) => [n, this.groupState(group, n) ?? 'UNKNOWN']));
  }

  /** Events that concern several groups (AutoStart, node fault): one plan, run per group. */
  async handleGlobal(event: PolicyEvent, opts: HandleOptions): Promise<HandleResult> {
    if (opts.dryRun) return this.dryRun(event);
    const planNow = () => (opts.unreachable ? this.planWithout(event, opts.unreachable()) : this.plan(event));
    const plan = planNow();
    if (plan.refused) {
      this.observedStore.recordPlan(plan, opts.cause);
      throw refusalError(plan);
    }
    if (plan.steps.length === 0) {
      this.observedStore.recordPlan(plan, opts.cause);
      return { plan, changed: false };
    }
    const here = (p: Plan) => !opts.onlyHere || p.steps.every((s) => s.node === this.localNode);
    const parts = new Map([...splitByGroup(plan)].filter(([, p]) => here(p)));
    if (parts.size === 0) {
      this.observedStore.recordPlan(plan, opts.cause);
      return { plan, changed: false };
    }
    const runs = [...parts.keys()].map((group) =>
      this.enqueue(group, async (): Promise<ExecutionResult> => {
        // Planned again once the group's lock is held: another plan for it may have run meanwhile.
        const fresh = splitByGroup(planNow()).get(group);
        if (!fresh || fresh.steps.length === 0 || !here(fresh)) return { ok: true, steps: [] };
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

  /** The plan as if `nodes` were not RUNNING (laid over the observed state for the one synchronous call). */
  private planWithout(event: PolicyEvent, nodes: string[]): Plan {
    const observedNodes = this.observedStore.observed.nodes;
    const restore: (() => void)[] = [];
    for (const n of nodes) if (observedNodes[n]?.state === 'RUNNING') layOver(observedNodes, n, { ...observedNodes[n]!, state: 'EXITED' }, restore);
    try {
      return this.plan(event);
    } finally {
      for (const undo of restore.reverse()) undo();
    }
  }

  plan(event: PolicyEvent): Plan {
    const t0 = performance.now();
    const plan = policyPlan(this.config, this.observed, event, t0);
    this.timings.emit('decision', plan.refused ? `REFUSED_${plan.refused.code}` : plan.decision.code, (performance.now() - t0) / 1000);
    return plan;
  }

  /**
   * The policy's plan for one of the rules the engine and the cluster apply
   * by themselves (time rules, heal, isolation, evacuation), on the observed
   * state plus the runtime facts the caller gathered: counters and times of
   * the event's resource, runtime facts of groups. Nothing is recorded and
   * nothing runs: the caller carries out the plan's steps and follow-ups.
   */
  ask(event: PolicyEvent, extra: AskFacts = {}): Plan {
    const observed = this.observedStore.observed;
    // The extra facts are laid over the observed state in place for the one
    // synchronous call and taken off after it: a copy of the node's resource
    // map on every monitor tick cost more than the rest of the tick.
    const restore: (() => void)[] = [];
    try {
      if (extra.resource && 'resource' in event) {
        if (!Object.prototype.hasOwnProperty.call(observed.resources, event.node)) layOver(observed.resources, event.node, {}, restore);
        const byRes = observed.resources[event.node]!;
        layOver(byRes, event.resource, { ...(byRes[event.resource] ?? { state: 'UNKNOWN' }), ...extra.resource }, restore);
      }
      if (extra.groups) {
        const groups = (observed.groups ??= {});
        for (const [g, rt] of Object.entries(extra.groups)) layOver(groups, g, { ...groups[g], ...rt }, restore);
      }
      return policyPlan(this.config, observed, event, performance.now());
    } finally {
      for (const undo of restore.reverse()) undo();
    }
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

  /**
   * An operator placing a group with a Load on a node with a Capacity: such
   * placements on that node are made one after the other, cluster-wide (the
   * same locks as groups, under a name no group can have: "capacity of NODE"), so two moves
   * planned at once on two nodes cannot both count the same room. Taken
   * before the group's lock, and never while holding one: no deadlock.
   */
  private withCapacityLock<T>(event: PolicyEvent, work: () => Promise<T>): Promise<T> {
    if ((event.kind !== 'GroupOnline' && event.kind !== 'GroupSwitch') || event.force || ('by' in event && event.by === 'cluster')) return work();
    const group = this.config.Groups.find((g) => g.GroupName === event.group);
    if (!group || loadOf(group) === 0 || capacityOf(this.config, event.node) === undefined) return work();
    return this.groupQueue.run(`capacity of ${event.node}`, work);
  }

  private async run(plan: Plan, cause: string): Promise<ExecutionResult> {
    this.observedStore.recordPlan(plan, cause);
    for (const g of this.groupsLeavingHere(plan)) await this.ops.runGroupBatch(g, 'BatchBeforeOffline');
    const moving = (plan.failovers ?? (plan.failover ? [plan.failover] : [])).map((f) => f.group);
    for (const g of moving) this.failingOver.add(g);
    let result: ExecutionResult;
    try {
      result = await execute(plan, this.ops.effects(plan, cause));
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
    const online = (g: string) => ['ONLINE', 'PARTIAL'].includes(this.groupState(g, this.localNode) ?? '');
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

/** Sets map[key] for one synchronous call; the function pushed on `restore` puts back what was there (or removes the key). */
function layOver<V>(map: Record<string, V>, key: string, value: V, restore: (() => void)[]): void {
  const had = Object.prototype.hasOwnProperty.call(map, key);
  const before = map[key];
  map[key] = value;
  restore.push(() => {
    if (had) map[key] = before as V;
    else delete map[key];
  });
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
