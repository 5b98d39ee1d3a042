// Ties the engine of this node to its peers (one in a pair, up to fifteen
// with an etcd witness): membership (heartbeat links, node states, fault
// decisions) on one side, the engine (resources, policy) on the other, and
// the peer channel (TCP) between the engines. It turns cluster facts into
// engine events; it makes no resource decision itself.
import { MccsError } from '../model/errors.js';
import type { MainConfig, NodeState } from '../model/types.js';
import type { ConfigCommit } from '../engine/config-store.js';
import type { SharedDocument } from '../engine/shared-documents.js';
import type { Engine } from '../engine/engine.js';
import type { PlanStep, ResourceStatus } from '../engine/policy/types.js';
import { JOINING_STATES } from '../engine/policy/context.js';
import { heldByGate } from '../engine/policy/follow-ups.js';
import { recordRejection } from '../engine/rejections.js';
import { loadSecret, newIncarnation } from './crypto.js';
import { Membership, type MembershipDecision } from './membership.js';
import { PeerChannel, type PeerRequest, type PeerResponse } from './peer-channel.js';
import { clusterPorts } from './ports.js';
import { attachWitness } from '../witness/attach.js';
import { witnessFingerprint } from '../witness/settings.js';
import type { Witness } from '../witness/witness.js';
import { ConfigSync } from './config-sync.js';
import { ClusterGroupLocks } from './group-locks.js';
import { StateOrder } from './state-order.js';

async function waitUntil(ok: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
}

/** An API call forwarded by the peer's engine (its operator already authenticated there). */
export interface ForwardedCall {
  method: string;
  params: Record<string, unknown>;
  principal: { name: string; role: string };
  /** A configuration change sent to the coordinator: its params are kept as given. */
  coordinated?: boolean;
}

interface StateBody {
  node: string;
  configVersion: number;
  resources: Record<string, ResourceStatus>;
  generations: Record<string, number>;
  /** This node reaches the witness (absent: no witness). */
  witness?: boolean;
  /** Groups temporarily locked here (runtime only; the coordinator's list is every node's). */
  tempLocks?: string[];
  /**
   * The sender's engine and the order in which it made this body: bodies
   * travel on several connections (pushes, plan steps, lock grants and
   * releases) and may arrive out of order; an older one is not applied over
   * a newer one.
   */
  incarnation?: string;
  seq?: number;
}

export class ClusterNode {
  readonly membership: Membership;
  readonly channel: PeerChannel;
  readonly witness?: Witness;
  /** What each peer last told of its own reach of the witness. */
  private readonly peerWitness = new Map<string, boolean>();
  private readonly witnessAtStart: string;
  readonly sync: ConfigSync;
  readonly locks: ClusterGroupLocks;
  private pushTimer?: NodeJS.Timeout;
  private readonly incarnation: string;
  /** Order of the state bodies this node makes (StateBody.seq). */
  private stateSeq = 0;
  /** The newest state body applied from each peer. */
  private readonly stateOrder = new StateOrder();
  /** Groups whose AutoStart here waits for a node joining the cluster (policy AUTOSTART_WAIT_JOINING). */
  private readonly waitingForJoin = new Set<string>();
  /** AutoStart again for the groups that waited for a joining node, when that wait runs out. */
  private autoStartTimer?: NodeJS.Timeout;
  private closed = false;
  private running!: () => void;
  /** Resolves when this node may act: RUNNING, states exchanged with the peer (or it is gone). */
  readonly joined = new Promise<void>((r) => (this.running = r));

  /**
   * `forwarded` runs an API call the peer's engine forwarded here (the API
   * room's handleForwarded, passed in by the daemon: the cluster layer does
   * not import the API above it).
   */
  constructor(
    private readonly engine: Engine,
    private readonly forwarded: (engine: Engine, call: ForwardedCall) => Promise<unknown>,
  ) {
    const config = engine.config;
    const local = engine.localNode;
    if (!config.Nodes.some((n) => n.NodeName !== local)) throw new MccsError('INVALID', 'a cluster node needs a peer in Nodes');
    const secret = loadSecret(engine.paths.clusterKey);
    const incarnation = newIncarnation();
    this.incarnation = incarnation.toString('hex');
    this.membership = new Membership({ config, localNode: local, secret, incarnation, runner: engine.runner });
    const me = config.Nodes.find((n) => n.NodeName === local)!;
    this.channel = new PeerChannel({
      secret,
      clusterName: config.Cluster.ClusterName,
      localNode: local,
      incarnation,
      listen: [me.PrimaryHB, me.SecondaryHB].filter((a): a is string => typeof a === 'string' && a !== ''),
      port: clusterPorts(Number(config.Cluster.HBPort ?? 14321)).command,
      handler: (from, req) => this.onRequest(from, req).catch((e: unknown): PeerResponse => ({ ok: false, error: e instanceof MccsError ? e.toJSON() : { code: 'FAILED', message: (e as Error).message } })),
    });
    this.witnessAtStart = witnessFingerprint(config);
    // The two-node fallback (the witness unreachable from both nodes) exists only in a pair: with more nodes the witness is never bypassed.
    this.witness = attachWitness(engine, this.membership, { peerReachable: () => (this.pair() ? this.peerWitness.get(this.peers()[0]!) : undefined), reachabilityChanged: () => this.schedulePush() });
    this.sync = new ConfigSync(engine, this.membership, this.channel, (node) => this.addressesOf(node));
    this.locks = new ClusterGroupLocks({
      localNode: local,
      coordinator: () => this.lockCoordinator(),
      request: (kind, body, timeoutMs) => this.channel.request(this.addressesOf(this.lockCoordinator()), { kind, body }, timeoutMs),
      stateBody: () => this.stateBody(),
      applyState: (body) => {
        if (body) this.applyPeerState(body as StateBody);
      },
      onAlone: (group, why) => this.record('GROUP_LOCK_ALONE', `group ${group}: ${this.sync.coordinator()} holds the group locks but cannot be reached (${why}); this plan is made here alone`, { group }, { subject: `group:${group}` }),
    });
    this.wire();
  }

  /** The coordinator holds the group locks, unless every link to it is down (then it is no use waiting for it). */
  private lockCoordinator(): string {
    const c = this.sync.coordinator();
    return c !== this.engine.localNode && !this.membership.peerHeard(c) ? this.engine.localNode : c;
  }

  /** The other nodes, in priority order (membership follows Nodes as nodes join and leave). */
  peers(): string[] {
    return this.membership.peerNames();
  }

  /** A cluster of exactly two nodes (the two-node rules apply). */
  private pair(): boolean {
    return this.peers().length === 1;
  }

  private addressesOf(node: string): string[] {
    const config = this.engine.config;
    // After a rename (until the engine restarts under the new names) a pair's peer is the node that is not this one.
    const p = config.Nodes.find((n) => n.NodeName === node) ?? (this.pair() ? config.Nodes.find((n) => n.NodeName !== this.engine.localNode) : undefined);
    if (!p) return [];
    // A link that carries heartbeats now first: a request does not wait out a dead link's connect timeout (a rejoin over the one link back).
    const links = [
      { address: p.PrimaryHB, up: this.membership.linkUp(p.NodeName, 'PRIMARY') },
      { address: p.SecondaryHB, up: this.membership.linkUp(p.NodeName, 'SECONDARY') },
    ].filter((l): l is { address: string; up: boolean } => typeof l.address === 'string' && l.address !== '');
    return [...links.filter((l) => l.up), ...links.filter((l) => !l.up)].map((l) => l.address);
  }

  private record(rule: string, message: string, facts: Record<string, unknown> = {}, states?: { oldState?: string; newState?: string; subject?: string }): void {
    this.engine.record({ subject: states?.subject ?? 'cluster', oldState: states?.oldState, newState: states?.newState, cause: 'cluster', rule, message, facts });
  }

  private wire(): void {
    const m = this.membership;
    const e = this.engine;
    const witness = this.witness;
    e.attach({
      remoteStep: (step) => this.remoteStep(step),
      localStateChanged: () => this.schedulePush(),
      configChanged: (config) => this.configChanged(config),
      nodeExtras: (node) => {
        const st = m.status();
        if (node === e.localNode) {
          // This node's own links: UP while they carry heartbeats from at least one peer.
          const linkOf = (l: 'PrimaryHBStatus' | 'SecondaryHBStatus') => (st.peers.some((p) => p[l] === 'UP') ? 'UP' : st.peers.some((p) => p[l] === 'DOWN') ? 'DOWN' : (st.peers[0]?.[l] ?? 'NONE'));
          return st.peers.length > 0 ? { PrimaryHBStatus: linkOf('PrimaryHBStatus'), SecondaryHBStatus: linkOf('SecondaryHBStatus') } : {};
        }
        const p = st.peers.find((x) => x.node === node);
        return p ? { PrimaryHBStatus: p.PrimaryHBStatus, SecondaryHBStatus: p.SecondaryHBStatus, decision: p.decision } : {};
      },
      warnings: () => {
        const st = m.status();
        const out = [...st.warnings];
        for (const p of st.peers) if (p.jeopardy) out.push(`JEOPARDY: only one heartbeat link to ${p.node} is left`);
        if (st.startAlone && st.state === 'INITING') out.push(`WAITING: ${st.startAlone.message}`);
        for (const p of st.peers) if (p.decision?.verdict === 'PARTITION') out.push(`PARTITION: ${p.node}: ${p.decision.message}`);
        for (const p of st.peers) if (p.decision?.code === 'HEARD_BY_PEERS') out.push(`LINKS_BROKEN: ${p.node}: ${p.decision.message}`);
        out.push(...(this.witness?.warnings() ?? []));
        if (this.sync.agreement === 'DIVERGED') out.push(`CONFIG_DIVERGED: ${e.localNode} and ${this.sync.lastDifferent ?? 'a peer'} hold different configurations; the copy of ${this.sync.coordinator()} wins (mccluster events)`);
        if (this.restartNeeded.size > 0) out.push(`RESTART_NEEDED: ${[...this.restartNeeded].join(', ')} changed; restart the engines one at a time (systemctl restart mccs; services keep running)`);
        return out;
      },
      status: () => ({ ...m.status(), coordinator: this.sync.coordinator(), configAgreement: this.sync.agreement, ...(this.sync.order.active ? { configJournal: { revision: this.sync.order.revision } } : {}), ...(this.witness ? { witness: this.witness.status() } : {}) }),
      forward: (method, params, principal, options) => this.forward(method, params, principal, options),
      peers: () => this.peers(),
      forceStartAlone: () => m.forceStartAlone(),
      ...(witness ? { ownershipGate: witness, witnessCheck: () => witness.check() } : {}),
      groupLocks: this.locks,
      replication: this.sync,
    });

    m.on('localState', (t) => {
      this.record('NODE_STATE', t.message, { ...t.facts, code: t.code }, { subject: `node:${e.localNode}`, oldState: t.from, newState: t.next });
      void this.onLocalState(t.next);
    });
    m.on('peerState', (node, state, t) => {
      const old = e.observed.nodes[node]?.state;
      if (state !== 'FAULTED') e.setNodeState(node, state);
      this.record(t.code.startsWith('PEER_') ? t.code : `PEER_${t.code}`, `${node} is ${state}: ${t.message}`, t.facts, { oldState: old, newState: state });
      if (state === 'RUNNING' && old !== 'RUNNING') void this.exchangeWith(node);
      if (state !== 'RUNNING') this.locks.releaseAllOf(node);
      // A node that stops joining without becoming RUNNING will not start the groups AutoStart left to it.
      if (old !== undefined && JOINING_STATES.includes(old) && !JOINING_STATES.includes(state) && state !== 'RUNNING' && this.waitingForJoin.size > 0) void this.autoStart(`${node} stopped joining (${state}): AutoStart of what waited for it`, [...this.waitingForJoin]);
    });
    m.on('jeopardy', (node, on, linksUp) => {
      const subject = { subject: `node:${node}` };
      if (on) this.record('JEOPARDY', `only one heartbeat link to ${node} is left`, { linksUp }, subject);
      else if (linksUp === 0) this.record('LINKS_DOWN', `every heartbeat link to ${node} is down (it was in jeopardy)`, { linksUp }, subject);
      else this.record('JEOPARDY_OVER', `both heartbeat links to ${node} are up again`, { linksUp }, subject);
    });
    m.on('decision', (d) => void this.onDecision(d));
    m.on('fence', (r) => this.record(`FENCE_${r.phase}`, r.message, { ...r }, { subject: `node:${r.node}` }));
    // Rejections are limited globally per kind (engine/rejections.ts): no flood rotates real history away.
    m.on('rejected', (info) =>
      recordRejection(e, 'MESSAGE_REJECTED heartbeat', { subject: 'cluster', cause: 'cluster', rule: 'MESSAGE_REJECTED', message: `refused a ${info.code} heartbeat on ${info.link} from ${info.from}: ${info.message}`, facts: { ...info, channel: 'heartbeat' } }),
    );
    this.channel.on('rejected', (info) =>
      recordRejection(e, 'MESSAGE_REJECTED peer channel', { subject: 'cluster', cause: 'cluster', rule: 'MESSAGE_REJECTED', message: `peer channel: refused a ${info.code} message from ${info.remote}: ${info.message}`, facts: { ...info, channel: 'peer channel' } }),
    );
  }

  async start(): Promise<void> {
    await this.channel.start();
    await this.membership.start();
    this.witness?.start();
    this.sync.start();
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.pushTimer);
    clearTimeout(this.autoStartTimer);
    this.sync.stop();
    await this.membership.plannedStop().catch(() => undefined);
    await Promise.all([this.membership.close(), this.channel.close(), this.witness?.close()]);
  }

  /** The node state machine says what to do next. */
  private async onLocalState(state: NodeState): Promise<void> {
    const e = this.engine;
    try {
      if (state === 'LOCAL_BUILD') {
        await this.sync.catchUp(() => this.closed);
        this.membership.dispatch({ type: 'buildDone' });
      } else if (state === 'REMOTE_BUILD') {
        await this.fetchConfig();
        await this.sync.catchUp(() => this.closed);
        this.membership.dispatch({ type: 'remoteBuildDone' });
      } else if (state === 'RUNNING') {
        await e.startLocal();
        await this.exchangeState();
        this.running();
        await this.autoStart('cluster joined (AutoStart)');
      }
    } catch (err) {
      e.log.error(`cluster state ${state}: ${(err as Error).message}`);
      if (state === 'REMOTE_BUILD') this.membership.dispatch({ type: 'buildFailed', reason: (err as Error).message });
    }
  }

  /**
   * AutoStart on this node (all its groups, or `groups` again). Groups left
   * waiting for a joining node are asked again when that node stops joining
   * or when the wait the policy allows runs out.
   */
  private async autoStart(cause: string, groups?: string[]): Promise<void> {
    const e = this.engine;
    if (this.closed || e.localBootMode() !== 'AUTO' || this.membership.localState !== 'RUNNING') return;
    const r = await e.handleGlobal({ kind: 'ProbeComplete', node: e.localNode, ...(groups ? { groups } : {}) }, { cause });
    const decided = (r.plan.decision.facts.groups ?? {}) as Record<string, { code: string; facts?: Record<string, unknown> }>;
    for (const g of groups ?? Object.keys(decided)) this.waitingForJoin.delete(g);
    const waits = Object.entries(decided).filter(([, d]) => d.code === 'AUTOSTART_WAIT_JOINING');
    for (const [g] of waits) this.waitingForJoin.add(g);
    if (waits.length === 0) return;
    const inMs = Math.max(...waits.map(([, d]) => Number(d.facts?.recheckInMs ?? 0)));
    clearTimeout(this.autoStartTimer);
    this.autoStartTimer = setTimeout(() => void this.autoStart('a joining node did not become RUNNING in time: AutoStart of what waited for it', [...this.waitingForJoin]).catch((err: unknown) => e.log.error(`AutoStart: ${(err as Error).message}`)), Math.max(50, inMs + 50));
  }

  /** REMOTE_BUILD: the configuration of the RUNNING peer replaces ours (unless ours is a newer copy of it). */
  private async fetchConfig(): Promise<void> {
    await this.sync.join();
  }

  /** Attributes changed at run time that only an engine restart applies. */
  private readonly restartNeeded = new Set<string>();

  /** Timings and fencing apply at once; ports and addresses at the next engine start. */
  private configChanged(config: MainConfig): void {
    const pending = this.membership.applyConfig(config);
    if (witnessFingerprint(config) !== this.witnessAtStart) pending.push('Witness attributes');
    const fresh = pending.filter((p) => !this.restartNeeded.has(p));
    for (const p of pending) this.restartNeeded.add(p);
    if (fresh.length > 0) this.record('RESTART_NEEDED', `${fresh.join(', ')} changed: applied at the next engine start`, { pending }, { subject: 'cluster' });
  }

  private stateBody(): StateBody {
    const e = this.engine;
    const groups = Object.entries(e.observed.groups ?? {});
    return {
      node: e.localNode,
      incarnation: this.incarnation,
      seq: ++this.stateSeq,
      configVersion: e.config.ConfigVersion,
      resources: e.observed.resources[e.localNode] ?? {},
      generations: Object.fromEntries(groups.map(([g, r]) => [g, r.generation ?? 0])),
      tempLocks: groups.filter(([, r]) => r.tempLocked === true).map(([g]) => g),
      ...(this.witness ? { witness: this.witness.reachable() } : {}),
    };
  }

  private applyPeerState(body: StateBody): void {
    const e = this.engine;
    const peer = body.node;
    if (typeof peer !== 'string' || !this.peers().includes(peer)) return;
    if (!this.stateOrder.accept(peer, body.incarnation, body.seq)) return; // overtaken by a newer one
    if (typeof body.witness === 'boolean') this.peerWitness.set(peer, body.witness);
    e.replaceResources(peer, body.resources);
    // Temporary locks are given on the coordinator (grp.lock is forwarded there): its list holds on every node.
    if (Array.isArray(body.tempLocks) && this.sync.coordinator() === peer) e.adoptTempLocks(body.tempLocks);
    e.setPeerGenerations(body.generations, peer);
    this.heal(peer);
  }

  private readonly healing = new Set<string>();

  /**
   * SPEC §3 Heal, decided by the policy (PeerStateReceived): a failover group
   * online on both nodes after a partition stays on exactly one. Carried out
   * here: each group's follow-ups in order (the offline here; for a group
   * with storage kept here, the online again once the peer let go of it).
   */
  private heal(peer: string): void {
    const e = this.engine;
    if (!e.probed) return;
    const plan = e.ask({ kind: 'PeerStateReceived', node: e.localNode, peer }, { groups: Object.fromEntries([...this.healing].map((g) => [g, { healing: true }])) });
    const groups = (plan.decision.facts.groups ?? {}) as Record<string, { message: string; facts: Record<string, unknown> }>;
    for (const [group, d] of Object.entries(groups)) {
      this.record('HEAL', d.message, d.facts, { subject: `group:${group}` });
      const followUps = (plan.followUps ?? []).filter((f) => f.group === group);
      if (followUps.length === 0) continue;
      const cause = `heal after partition: ${String(d.facts.message)}`;
      this.healing.add(group);
      void (async () => {
        for (const f of followUps) {
          // Storage is started here only once no other node runs the group any more (with more than two nodes, not only the peer just heard).
          if (f.untilPeerStops) await waitUntil(() => this.peers().every((n) => !['ONLINE', 'PARTIAL'].includes(e.groupState(group, n) ?? '')) || this.closed, 600_000);
          const done = await e.handle(f.event, { cause, wait: true, timeout: 600 });
          if (heldByGate(done.plan)) break;
        }
      })()
        .catch((err: Error) => e.log.error(`heal of ${group}: ${err.message}`))
        .finally(() => this.healing.delete(group));
    }
  }

  private schedulePush(): void {
    if (this.closed || this.pushTimer) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = undefined;
      void this.exchangeState();
    }, 5);
  }

  /** Sends our resource states to every peer heard (or every peer), receives theirs. */
  async exchangeState(): Promise<void> {
    if (this.closed) return;
    const heard = this.peers().filter((n) => this.membership.peerHeard(n));
    await Promise.all((heard.length > 0 ? heard : this.peers()).map((n) => this.exchangeWith(n)));
  }

  private async exchangeWith(peer: string): Promise<void> {
    if (this.closed) return;
    try {
      const res = await this.channel.request(this.addressesOf(peer), { kind: 'state', body: this.stateBody() }, 3000);
      if (res.ok) this.applyPeerState(res.body as StateBody);
    } catch {
      // The peer is unreachable: membership decides what that means.
    }
  }

  private async remoteStep(step: PlanStep): Promise<void> {
    if (!this.peers().includes(step.node)) throw new Error(`node ${step.node} is not a peer of ${this.engine.localNode}`);
    const res = await this.channel.request(this.addressesOf(step.node), { kind: 'step', body: step }, 15 * 60_000);
    if (!res.ok) throw new Error(res.error.message);
    this.applyPeerState(res.body as StateBody);
  }

  private async onRequest(from: string, req: PeerRequest): Promise<PeerResponse> {
    const e = this.engine;
    if (!this.peers().includes(from)) return { ok: false, error: { code: 'AUTH', message: `node ${from} is not a peer of ${e.localNode}` } };
    switch (req.kind) {
      case 'state':
        this.applyPeerState(req.body as StateBody);
        return { ok: true, body: this.stateBody() };
      case 'config.get':
        return { ok: true, body: await this.sync.copy() };
      case 'config.commit':
        return { ok: true, body: await e.store.acceptCommit(req.body as ConfigCommit, from, this.sync.isCoordinator(from)) };
      case 'config.document':
        await e.store.acceptDocument(req.body as SharedDocument, from, this.sync.isCoordinator(from));
        return { ok: true, body: {} };
      case 'step':
        await e.ready;
        await e.runStep(req.body as PlanStep, `plan from ${from}`);
        return { ok: true, body: this.stateBody() };
      case 'lock.acquire': {
        const { group, token } = req.body as { group: string; token: string };
        if (this.lockCoordinator() !== e.localNode) return { ok: false, error: { code: 'CONFLICT', message: `${e.localNode} does not hold the group locks` } };
        if (typeof group !== 'string' || typeof token !== 'string' || !token.startsWith(`${from}#`)) return { ok: false, error: { code: 'USAGE', message: 'lock.acquire needs a group and a token of the sender' } };
        const held = await this.locks.lockHere(group, token);
        return held ? { ok: true, body: { state: this.stateBody() } } : { ok: false, error: { code: 'CONFLICT', message: 'gave up waiting' } };
      }
      case 'lock.release': {
        const { group, token, state } = req.body as { group: string; token: string; state?: StateBody };
        if (state) this.applyPeerState(state);
        if (typeof group === 'string' && typeof token === 'string' && token.startsWith(`${from}#`)) this.locks.releaseHere(group, token);
        return { ok: true, body: {} };
      }
      case 'rpc': {
        return { ok: true, body: await this.forwarded(e, req.body as ForwardedCall) };
      }
      default:
        return { ok: false, error: { code: 'USAGE', message: `unknown request '${req.kind}'` } };
    }
  }

  /**
   * Forwards an API call to another node's engine: `to`, else the coordinator
   * for a coordinated call, else the node the call names (`params.node`).
   */
  async forward(method: string, params: Record<string, unknown>, principal: { name: string; role: string }, options: { coordinated?: boolean; to?: string } = {}): Promise<unknown> {
    const named = typeof params.node === 'string' && this.peers().includes(params.node) ? params.node : undefined;
    const to = options.to ?? (options.coordinated ? this.sync.coordinator() : named) ?? (this.pair() ? this.peers()[0] : undefined);
    if (!to || to === this.engine.localNode) throw new MccsError('USAGE', `${method}: no other node to forward it to (name one with --node)`);
    // A configuration change takes a round trip and two fsyncs: a coordinator that does not answer in 30 s is not coming back for it.
    const timeoutMs = options.coordinated ? 30_000 : 15 * 60_000;
    let res: PeerResponse;
    try {
      res = await this.channel.request(this.addressesOf(to), { kind: 'rpc', body: { method, params, principal, ...(options.coordinated ? { coordinated: true } : {}) } }, timeoutMs);
    } catch (err) {
      const role = options.coordinated ? `${to}, the node that orders configuration changes,` : to;
      throw new MccsError('UNREACHABLE', `${role} did not answer: ${(err as Error).message}`, ['mccluster status (is the peer RUNNING?)', options.coordinated ? 'retry; if the peer is down for good, this node orders changes once it sees the peer gone' : 'retry']);
    }
    if (!res.ok) throw new MccsError('UNREACHABLE', res.error.message);
    return res.body;
  }

  /** A fault verdict about a peer whose links are all down. */
  private async onDecision(d: MembershipDecision): Promise<void> {
    const e = this.engine;
    const peer = d.node;
    this.record(`DECISION_${d.verdict}`, d.message, { ...d.facts, code: d.code, fenced: d.fenced }, { subject: `node:${peer}` });
    if (d.verdict === 'NODE_FAULT') {
      await e.ready;
      e.setNodeState(peer, 'FAULTED');
      this.locks.releaseAllOf(peer);
      try {
        // Every survivor makes the same plan; each carries out the part on itself (the takeovers that land here).
        await e.handleGlobal({ kind: 'NodeFaulted', node: peer }, { cause: `node fault of ${peer}: ${d.message}`, wait: true, timeout: 900, onlyHere: true, unreachable: () => this.membership.silentRunningPeers().filter((n) => n !== peer) });
      } finally {
        // Whatever ran there died with it.
        e.markResourcesOffline(peer, `node ${peer} FAULTED`);
      }
    } else if (d.verdict === 'ISOLATED') {
      await e.ready;
      await this.offlineFailoverGroups(d.message, `this node is isolated: ${d.message}`);
    } else if (d.verdict === 'PEER_EXITED') {
      e.setNodeState(peer, 'EXITED');
    }
  }

  /** Isolation, decided by the policy (NodeIsolated): this node is the one cut off; its failover groups go offline at once. */
  private async offlineFailoverGroups(reason: string, cause: string): Promise<void> {
    const e = this.engine;
    const plan = e.ask({ kind: 'NodeIsolated', node: e.localNode, reason });
    await Promise.all((plan.followUps ?? []).map((f) => e.handle(f.event, { cause, wait: true, timeout: 300 }).catch((err: Error) => e.log.error(`isolation offline of ${f.group}: ${err.message}`))));
  }
}
