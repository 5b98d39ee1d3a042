// Membership ties the heartbeat links, the pinger, the node state machine and
// the fault decisions together for the engine. It reports what it concludes
// (typed events) and makes no resource decision: the engine decides what to
// bring online or take offline from `decision`, `peerState` and `localState`.
// Fencing lives in fencing.ts, the start-alone rule in start-alone.ts.
import { EventEmitter } from 'node:events';
import { configChecksum } from '../model/config-checksum.js';
import { MccsError } from '../model/errors.js';
import type { MainConfig, NodeConfig, NodeState } from '../model/types.js';
import type { Runner } from '../engine/runner.js';
import { ExecRunner } from '../engine/exec-runner.js';
import { monotonic, type Clock } from './clock.js';
import { newIncarnation } from './crypto.js';
import { clusterTiming, splitAddresses, type ClusterTiming } from './cluster-timing.js';
import { decide, type AddressFact, type Decision, type Verdict, type WitnessFact } from './fault-decision.js';
import { fencePeer, type FenceReport, type FenceState } from './fencing.js';
import { HeartbeatLinks, LINKS, type GroupDigest, type HeartbeatMessage, type LinkName, type LinkStatus, type RejectInfo, type HeartbeatRejectCode } from './heartbeat.js';
import { peerTransition, transition, type NodeEvent, type PeerView, type SelfView, type Transition } from './node-state.js';
import { Pinger, type IcmpSource } from './pinger.js';
import { StartAloneRule, type StartAloneDecision } from './start-alone.js';

export type { FenceReport } from './fencing.js';

/** A pinger as membership needs it (the real Pinger, or a fake in tests). */
export interface IcmpProbe extends IcmpSource {
  start(): void;
  close(): Promise<void>;
  /** Round-trip time of the last answer (ms). */
  lastRttMs?(address: string): number | undefined;
  /** A node joined or left: ping one more address, or one fewer. */
  addAddress?(address: string): void;
  removeAddress?(address: string): void;
}

/** One heartbeat link to one peer, for the metrics. */
export interface LinkStat {
  peer: string;
  link: LinkName;
  status: LinkStatus;
  /** The peer's address on this link (pinged continuously). */
  address: string | null;
  /** ICMP round-trip time to that address (ms); null = no answer yet. */
  rttMs: number | null;
  /** Heartbeats lost on the link (0..1, last 100); null = never heard. */
  lossRatio: number | null;
}

export interface MembershipOptions {
  config: MainConfig;
  localNode: string;
  secret: Buffer;
  clock?: Clock;
  /** Runs FenceProgram (default: ExecRunner). */
  runner?: Runner;
  incarnation?: Buffer;
  /** Default: a Pinger on the peers' heartbeat addresses and the IsolationTestAddresses. */
  icmp?: IcmpProbe;
  pingIntervalMs?: number;
  /** Prefix of the ping command (see PingerOptions.command). */
  pingCommand?: string[];
  fenceTimeoutMs?: number;
  fenceRetryMs?: number;
}

export interface MembershipDecision extends Decision {
  node: string;
  /** NODE_FAULT only: true = FenceProgram succeeded; null = no FenceProgram configured. */
  fenced?: boolean | null;
}

export interface MembershipEvents {
  /** This node's state changed (reason code and facts in the transition). */
  localState: [transition: Transition];
  /** What this node believes of a peer changed. */
  peerState: [node: string, state: NodeState, reason: Transition];
  linkUp: [node: string, link: LinkName];
  linkDown: [node: string, link: LinkName, at: number];
  /** Exactly one heartbeat link to the peer is left (on) or not any more (off). */
  /** Jeopardy begins (one link left) or ends; `linksUp` tells whether it ended because the links came back (2) or all went down (0). */
  jeopardy: [node: string, on: boolean, linksUp: number];
  /** A fault verdict about a peer whose links are all down (NODE_FAULT after fencing). Emitted when it changes. */
  decision: [decision: MembershipDecision];
  fence: [report: FenceReport];
  /** What the start-alone rule waits for, each time that changes. */
  startAlone: [decision: StartAloneDecision];
  /** A refused datagram (forged, replayed, other cluster...), at most one per code and source per second. */
  /** Every rejected heartbeat; the engine limits the events they become (engine/rejections.ts). */
  rejected: [info: RejectInfo];
  /** The group digest a peer sends changed. */
  peerGroups: [node: string, groups: GroupDigest];
  /** Whether the peer says it hears this node changed (its heartbeats' `hears`). */
  peerHearing: [node: string, hears: boolean];
}

function newPeerTrack(config: NodeConfig, rank: number): PeerTrack {
  return { config, rank, state: 'EXITED', stateCode: 'NOT_HEARD', plannedStop: false, lost: false, jeopardy: false, waits: [], epoch: 0, groupsJson: '{}' };
}

const heartbeatAddresses = (n: NodeConfig): string[] => [n.PrimaryHB, n.SecondaryHB].filter((a): a is string => Boolean(a));

interface PeerTrack {
  config: NodeConfig;
  rank: number;
  state: NodeState;
  stateCode: string;
  last?: HeartbeatMessage;
  plannedStop: boolean;
  /** Lost by a decision, a planned stop or a split: its return is a rejoin. */
  lost: boolean;
  jeopardy: boolean;
  jeopardyTimer?: NodeJS.Timeout;
  decision?: MembershipDecision;
  /** Last non-WAIT verdict acted upon since the links went down. */
  acted?: Verdict;
  decideTimer?: NodeJS.Timeout;
  /** The WAIT codes of the decisions since the links went down, each with when it was first returned (monotonic ms). */
  waits: { code: string; at: number }[];
  /** Bumped whenever links return: stale decision loops and fence results are dropped. */
  epoch: number;
  fence?: FenceState;
  groupsJson: string;
}

export interface MembershipStatus {
  node: string;
  state: NodeState;
  incarnation: string;
  configVersion: number;
  configChecksum: string;
  hbPort: number;
  hbIntervalMs: number;
  hbTimeoutMs: number;
  jeopardy: boolean;
  warnings: string[];
  peers: Array<{
    node: string;
    state: NodeState;
    stateCode: string;
    PrimaryHBStatus: LinkStatus;
    SecondaryHBStatus: LinkStatus;
    lastHeardMs: Record<LinkName, number | null>;
    jeopardy: boolean;
    configVersion: number | null;
    configChecksum: string | null;
    incarnation: string | null;
    decision: { verdict: Verdict; code: string; message: string } | null;
    fence: FenceReport | null;
    icmp: Array<{ address: string; lastAnswerAgeMs: number | null }>;
  }>;
  isolationTests: Array<{ address: string; lastAnswerAgeMs: number | null }>;
  startAlone: { verdict: StartAloneDecision['verdict']; code: string; message: string } | null;
  rejected: Partial<Record<HeartbeatRejectCode, number>>;
}

export class Membership extends EventEmitter<MembershipEvents> {
  timing: ClusterTiming;
  private readonly clock: Clock;
  private readonly runner: Runner;
  private readonly incarnation: Buffer;
  private readonly self: SelfView;
  private readonly localConfig: NodeConfig;
  private readonly peers = new Map<string, PeerTrack>();
  private readonly links: HeartbeatLinks;
  private readonly icmp: IcmpProbe;
  private readonly testAddresses: string[];
  private readonly pingIntervalMs: number;
  private state: NodeState = 'EXITED';
  private groups: GroupDigest = {};
  private startedAt = 0;
  private readonly startAlone: StartAloneRule;
  private configChecksum: string;
  private closed = false;
  /** Set by the cluster layer when the cluster has a witness: its input into every fault decision. */
  witnessInput?: (peer: string) => WitnessFact;

  constructor(private readonly options: MembershipOptions) {
    super();
    const { config, localNode } = options;
    this.timing = clusterTiming(config);
    this.clock = options.clock ?? monotonic;
    this.runner = options.runner ?? new ExecRunner();
    this.incarnation = options.incarnation ?? newIncarnation();
    this.pingIntervalMs = options.pingIntervalMs ?? this.timing.pingIntervalMs;
    const rank = config.Nodes.findIndex((n) => n.NodeName === localNode);
    if (rank < 0) throw new MccsError('NOT_FOUND', `node '${localNode}' is not in Nodes of main.json`, ['pass --node with one of: ' + config.Nodes.map((n) => n.NodeName).join(', ')]);
    this.localConfig = config.Nodes[rank]!;
    this.self = { node: localNode, configVersion: config.ConfigVersion, rank };
    this.configChecksum = configChecksum(config);
    config.Nodes.forEach((n, i) => {
      if (n.NodeName !== localNode) this.peers.set(n.NodeName, newPeerTrack(n, i));
    });
    this.testAddresses = splitAddresses(this.localConfig.IsolationTestAddresses);
    const peerAddresses = [...this.peers.values()].flatMap((p) => [p.config.PrimaryHB, p.config.SecondaryHB]).filter((a): a is string => Boolean(a));
    this.icmp =
      options.icmp ??
      new Pinger({ addresses: [...peerAddresses, ...this.testAddresses], intervalMs: this.pingIntervalMs, command: options.pingCommand, clock: this.clock });
    this.links = new HeartbeatLinks({
      clusterName: config.Cluster.ClusterName,
      localNode,
      secret: options.secret,
      incarnation: this.incarnation,
      local: { PRIMARY: this.localConfig.PrimaryHB, SECONDARY: this.localConfig.SecondaryHB },
      peers: [...this.peers.values()].map((p) => ({ node: p.config.NodeName, PRIMARY: p.config.PrimaryHB, SECONDARY: p.config.SecondaryHB })),
      hbPort: this.timing.hbPort,
      hbIntervalMs: this.timing.hbIntervalMs,
      clock: this.clock,
      info: () => ({ state: this.state, configVersion: this.self.configVersion, configChecksum: this.configChecksum, rank: this.self.rank, groups: this.groups }),
    });
    this.startAlone = new StartAloneRule({
      clock: this.clock,
      self: this.self,
      closed: () => this.closed,
      state: () => this.state,
      peerCount: () => this.peers.size,
      startedAt: () => this.startedAt,
      startAloneTimeoutMs: () => this.timing.startAloneTimeoutMs,
      hbTimeoutMs: () => this.timing.hbTimeoutMs,
      isolationTestTimeoutMs: () => this.timing.isolationTestTimeoutMs,
      pingIntervalMs: () => this.pingIntervalMs,
      heardPeers: () => this.heardPeers(),
      silentPeerAddresses: () => {
        const heard = this.heardPeers();
        const silentPeers = [...this.peers.values()].filter((p) => !heard.some((h) => h.node === p.config.NodeName));
        return this.addressFacts(silentPeers.flatMap((p) => [p.config.PrimaryHB, p.config.SecondaryHB]).filter((a): a is string => Boolean(a)));
      },
      testAddresses: () => this.addressFacts(this.testAddresses),
      changed: (d) => this.emit('startAlone', d),
      dispatch: (event) => void this.dispatch(event),
    });
    // A decision waiting for ICMP (isolation test, peer silence) is taken the
    // moment the answer it waits for arrives, not at the next timer tick.
    if (this.icmp instanceof EventEmitter) {
      (this.icmp as EventEmitter<{ answer: [string, number] }>).on('answer', () => {
        for (const p of this.peers.values()) if (p.decideTimer && p.decision?.verdict === 'WAIT') this.runDecision(p, p.epoch);
      });
    }
    this.links.on('peerMessage', (m) => this.onMessage(m));
    this.links.on('linkUp', (node, link) => this.onLinkUp(node, link));
    this.links.on('linkDown', (node, link, at) => this.onLinkDown(node, link, at));
    this.links.on('rejected', (info) => this.onRejected(info));
  }

  get localState(): NodeState {
    return this.state;
  }

  get incarnationId(): string {
    return this.incarnation.toString('hex');
  }

  /** Binds the links, starts pinging, and enters INITING (or LOCAL_BUILD for a single-node cluster). */
  async start(): Promise<void> {
    this.startedAt = this.clock();
    await this.links.start();
    this.icmp.start();
    this.dispatch({ type: 'start', peerCount: this.peers.size });
    this.startAlone.evaluate();
  }

  /** Feeds an engine event (buildDone, remoteBuildDone, buildFailed) to the node state machine. */
  dispatch(event: NodeEvent): Transition {
    const t = transition(this.state, event);
    if (t.changed) {
      this.state = t.next;
      this.emit('localState', t);
      if (t.next === 'INITING') this.startAlone.evaluate();
    }
    return t;
  }

  /** Sets this node's state directly (the engine knows better, e.g. after a failed build). */
  setLocalState(state: NodeState, code = 'ENGINE', message = `engine set the state to ${state}`): void {
    if (state === this.state) return;
    const t: Transition = { from: this.state, next: state, changed: true, code, message, facts: {} };
    this.state = state;
    this.emit('localState', t);
    if (state === 'INITING') this.startAlone.evaluate();
  }

  /**
   * A configuration change: the decision timings, fencing and HBInterval apply
   * at once. Returns what only an engine restart applies (ports, ping period,
   * node addresses).
   */
  applyConfig(config: MainConfig): string[] {
    const next = clusterTiming(config);
    const pending: string[] = [];
    if (next.hbPort !== this.timing.hbPort) pending.push('HBPort');
    if (next.pingIntervalMs !== this.timing.pingIntervalMs && this.options.pingIntervalMs === undefined) pending.push('PingInterval');
    const before = this.options.config;
    const joinedOrLeft = this.applyNodeSet(config);
    // By position, not name: a rename alone changes no address. Nodes that joined or left apply at once.
    const addresses = (c: MainConfig, names: Set<string>) => JSON.stringify(c.Nodes.filter((n) => names.has(n.NodeName)).map((n) => [n.PrimaryHB, n.SecondaryHB, n.IsolationTestAddresses]));
    if (joinedOrLeft) {
      const common = new Set(config.Nodes.map((n) => n.NodeName).filter((n) => before.Nodes.some((b) => b.NodeName === n)));
      if (addresses(config, common) !== addresses(before, common)) pending.push('node addresses');
    } else {
      const all = (c: MainConfig) => JSON.stringify(c.Nodes.map((n) => [n.PrimaryHB, n.SecondaryHB, n.IsolationTestAddresses]));
      if (all(config) !== all(before)) pending.push('node addresses');
    }
    if (joinedOrLeft) this.options.config = { ...before, Nodes: config.Nodes };
    this.timing = { ...next, hbPort: this.timing.hbPort, pingIntervalMs: this.timing.pingIntervalMs };
    this.links.setHbInterval(next.hbIntervalMs);
    this.self.configVersion = config.ConfigVersion;
    this.configChecksum = configChecksum(config);
    return pending;
  }

  /**
   * Nodes added to or removed from Nodes at run time (mccs init --join,
   * mcnode remove): heartbeat links and pinging follow at once, without an
   * engine restart. Returns true when the set of nodes changed.
   */
  private applyNodeSet(config: MainConfig): boolean {
    const names = new Set(config.Nodes.map((n) => n.NodeName));
    if (!names.has(this.self.node)) return false; // this node was renamed or removed: a restart applies it
    let changed = false;
    for (const [node, p] of [...this.peers]) {
      if (names.has(node)) continue;
      changed = true;
      clearTimeout(p.decideTimer);
      clearTimeout(p.fence?.retryTimer);
      clearTimeout(p.jeopardyTimer);
      p.epoch += 1;
      this.peers.delete(node);
      this.links.removePeer(node);
      for (const a of heartbeatAddresses(p.config)) this.icmp.removeAddress?.(a);
    }
    config.Nodes.forEach((n, i) => {
      if (n.NodeName === this.self.node) {
        this.self.rank = i;
        return;
      }
      const known = this.peers.get(n.NodeName);
      if (known) {
        known.rank = i;
        return;
      }
      changed = true;
      this.peers.set(n.NodeName, newPeerTrack(n, i));
      this.links.addPeer({ node: n.NodeName, PRIMARY: n.PrimaryHB, SECONDARY: n.SecondaryHB });
      for (const a of heartbeatAddresses(n)) this.icmp.addAddress?.(a);
    });
    return changed;
  }

  /** The peers configured now (every node but this one), in priority order. */
  peerNames(): string[] {
    return [...this.peers.values()].sort((a, b) => a.rank - b.rank).map((p) => p.config.NodeName);
  }

  /** The group digest carried in every heartbeat from now on. */
  setGroupDigest(groups: GroupDigest): void {
    this.groups = groups;
  }

  /** An operator forces this node to start without its peer (logged by the caller). */
  forceStartAlone(): void {
    this.startAlone.forceStart();
  }

  peerState(node: string): NodeState | undefined {
    return this.peers.get(node)?.state;
  }

  /**
   * The peer and this node hear each other now: a heartbeat link is up and
   * the peer's last heartbeat says it hears this node (a one-way link, where
   * only this node hears, does not count).
   */
  peerHeard(node: string): boolean {
    if (!LINKS.some((l) => this.links.linkStatus(node, l) === 'UP')) return false;
    const hears = this.peers.get(node)?.last?.hears;
    return hears === undefined || hears.includes(this.self.node);
  }

  /**
   * This node hears at least one peer, and every peer that could take a
   * group over (not FAULTED, not EXITED) is heard: none of them can judge
   * this node dead. With two nodes: the peer is heard.
   */
  livePeersHeard(): boolean {
    const live = [...this.peers.values()].filter((p) => p.state !== 'FAULTED' && p.state !== 'EXITED').map((p) => p.config.NodeName);
    const heard = [...this.peers.keys()].filter((n) => this.peerHeard(n));
    return heard.length > 0 && live.every((n) => heard.includes(n));
  }

  /** The heartbeat link to the peer carries heartbeats now. */
  linkUp(node: string, link: LinkName): boolean {
    return this.links.linkStatus(node, link) === 'UP';
  }

  /** Peers this node believes RUNNING whose heartbeat links are all down (a decision about them is pending). */
  silentRunningPeers(): string[] {
    return [...this.peers.values()].filter((p) => p.state === 'RUNNING' && this.links.allDown(p.config.NodeName)).map((p) => p.config.NodeName);
  }

  /** Monotonic ms of the last authentic heartbeat from the peer on any link. */
  peerLastHeardAt(node: string): number | undefined {
    const at = this.links.configuredLinks(node).map((l) => this.links.lastHeardAt(node, l)).filter((x): x is number => x !== undefined);
    return at.length > 0 ? Math.max(...at) : undefined;
  }

  /** The configuration a peer last said it runs (version and checksum), if heard. */
  peerConfig(node: string): { version: number; checksum: string | undefined } | undefined {
    const last = this.peers.get(node)?.last;
    return last ? { version: last.configVersion, checksum: last.configChecksum } : undefined;
  }

  peerGroups(node: string): GroupDigest | undefined {
    return this.peers.get(node)?.last?.groups;
  }

  /** SIGTERM path: tell every peer on every link that this is a planned stop, then state EXITED. */
  async plannedStop(): Promise<void> {
    this.dispatch({ type: 'stop' });
    if (this.state !== 'EXITED') this.setLocalState('EXITED', 'PLANNED_STOP');
    await this.links.sendPlannedStop();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.startAlone.close();
    for (const p of this.peers.values()) {
      clearTimeout(p.decideTimer);
      clearTimeout(p.fence?.retryTimer);
      clearTimeout(p.jeopardyTimer);
      p.epoch += 1;
    }
    await Promise.all([this.links.close(), this.icmp.close()]);
  }

  linkStats(): LinkStat[] {
    return this.links.status().peers.flatMap((p) => {
      const config = this.peers.get(p.node)?.config;
      return (['PRIMARY', 'SECONDARY'] as const).map((link): LinkStat => {
        const address = (link === 'PRIMARY' ? config?.PrimaryHB : config?.SecondaryHB) || null;
        const rtt = address ? this.icmp.lastRttMs?.(address) : undefined;
        return { peer: p.node, link, status: link === 'PRIMARY' ? p.PrimaryHBStatus : p.SecondaryHBStatus, address, rttMs: rtt ?? null, lossRatio: p.lossRatio[link] };
      });
    });
  }

  status(): MembershipStatus {
    const hb = this.links.status();
    const now = this.clock();
    const age = (a: string): number | null => {
      const at = this.icmp.lastAnswerAt(a);
      return at === undefined ? null : Math.round(now - at);
    };
    const warnings: string[] = [];
    if (!this.localConfig.SecondaryHB) warnings.push('NO_SECONDARY_HB: this node has a single heartbeat link; losing it cannot be told from a peer fault');
    if (!this.timing.fenceProgram && !this.witnessInput) warnings.push('NO_FENCING: no FenceProgram; a partition between two healthy nodes can run a failover group on both');
    if (this.testAddresses.length === 0) warnings.push('NO_ISOLATION_TEST: no IsolationTestAddresses; an isolated node cannot tell it is the one cut off');
    const peers = [...this.peers.values()].map((p) => {
      const links = hb.peers.find((x) => x.node === p.config.NodeName)!;
      const addresses = [p.config.PrimaryHB, p.config.SecondaryHB].filter((a): a is string => Boolean(a));
      if (p.last && now - this.startedAt > 5000 && addresses.every((a) => age(a) === null)) {
        warnings.push(`PEER_NO_ICMP: ${p.config.NodeName} is heard but never answered ICMP; an engine crash there would look like a node fault`);
      }
      return {
        node: p.config.NodeName,
        state: p.state,
        stateCode: p.stateCode,
        PrimaryHBStatus: links.PrimaryHBStatus,
        SecondaryHBStatus: links.SecondaryHBStatus,
        lastHeardMs: links.lastHeardMs,
        jeopardy: p.jeopardy,
        configVersion: p.last?.configVersion ?? null,
        configChecksum: p.last?.configChecksum ?? null,
        incarnation: links.incarnation,
        decision: p.decision ? { verdict: p.decision.verdict, code: p.decision.code, message: p.decision.message } : null,
        fence: p.fence?.last ?? null,
        icmp: addresses.map((address) => ({ address, lastAnswerAgeMs: age(address) })),
      };
    });
    return {
      node: this.self.node,
      state: this.state,
      incarnation: this.incarnationId,
      configVersion: this.self.configVersion,
      configChecksum: this.configChecksum,
      hbPort: this.timing.hbPort,
      hbIntervalMs: this.timing.hbIntervalMs,
      hbTimeoutMs: this.timing.hbTimeoutMs,
      jeopardy: peers.some((p) => p.jeopardy),
      warnings,
      peers,
      isolationTests: this.testAddresses.map((address) => ({ address, lastAnswerAgeMs: age(address) })),
      startAlone: this.startAlone.decision ? { verdict: this.startAlone.decision.verdict, code: this.startAlone.decision.code, message: this.startAlone.decision.message } : null,
      rejected: hb.rejected,
    };
  }

  // ------------------------------------------------------------ heartbeat input

  private heardPeers(): PeerView[] {
    return [...this.peers.values()]
      .filter((p) => p.last && !p.plannedStop && LINKS.some((l) => this.links.linkStatus(p.config.NodeName, l) === 'UP'))
      .map((p) => ({ node: p.config.NodeName, state: p.last!.state, configVersion: p.last!.configVersion, rank: p.last!.rank }));
  }

  private setPeer(p: PeerTrack, t: Transition): void {
    p.stateCode = t.code;
    if (!t.changed) return;
    p.state = t.next;
    this.emit('peerState', p.config.NodeName, t.next, t);
  }

  private onMessage(m: HeartbeatMessage): void {
    const p = this.peers.get(m.node);
    if (!p || this.closed) return;
    if (m.plannedStop) {
      if (p.plannedStop && !m.newIncarnation) return;
      p.last = m;
      p.plannedStop = true;
      p.lost = true;
      this.setPeer(p, peerTransition(p.state, { type: 'plannedStop' }));
      this.dispatch({ type: 'peerLost', peer: m.node, verdict: 'PLANNED_STOP' });
      return;
    }
    if (p.plannedStop && !m.newIncarnation && p.last?.incarnation === m.incarnation) return; // late copy
    const returning = p.lost || (p.last === undefined && this.state === 'RUNNING');
    p.plannedStop = false;
    const hearsUs = (x?: HeartbeatMessage) => x?.hears === undefined || x.hears.includes(this.self.node);
    const hearingChanged = p.last !== undefined && hearsUs(p.last) !== hearsUs(m);
    const hearsChanged = p.last !== undefined && (p.last.hears ?? []).join(',') !== (m.hears ?? []).join(',');
    p.last = m;
    if (hearingChanged) this.emit('peerHearing', m.node, hearsUs(m));
    if (p.acted || p.decideTimer || p.fence?.running) this.linksBack(p);
    this.setPeer(p, peerTransition(p.state, { type: 'heard', state: m.state, newIncarnation: m.newIncarnation }));
    const groupsJson = JSON.stringify(m.groups);
    if (groupsJson !== p.groupsJson) {
      p.groupsJson = groupsJson;
      this.emit('peerGroups', m.node, m.groups);
    }
    if (returning) {
      p.lost = false;
      this.dispatch({ type: 'peerReturned', self: this.self, peer: { node: m.node, state: m.state, configVersion: m.configVersion, rank: m.rank } });
    }
    if (this.state === 'INITING') {
      const heard = this.heardPeers();
      this.dispatch({ type: 'peers', self: this.self, heard, peerCount: this.peers.size, absentAtWitness: this.absentAtWitness(heard) });
    }
    // A decision held because this peer still heard a silent node is taken again the moment its heartbeat says
    // it does not (as a decision waiting for ICMP is on the answer), not at the next timer tick or ping answer.
    if (hearsChanged) {
      for (const q of this.peers.values()) if (q !== p && q.decideTimer && q.decision?.code === 'HEARD_BY_PEERS') this.runDecision(q, q.epoch);
    }
  }

  /**
   * More than two nodes with a witness: the peers not heard whose member
   * record lapsed (not renewed for WitnessTTL as this node saw it, or gone
   * with its lease). Nothing while this node cannot reach the witness, nor
   * within HBTimeout of this engine's start.
   */
  private absentAtWitness(heard: PeerView[]): string[] {
    if (!this.witnessInput || this.peers.size < 2) return [];
    const now = this.clock();
    // A node that boots with this one has no record yet either: it gets HBTimeout to be heard first.
    if (now - this.startedAt < this.timing.hbTimeoutMs) return [];
    const heardNames = new Set(heard.map((p) => p.node));
    return [...this.peers.keys()].filter((n) => {
      if (heardNames.has(n)) return false;
      const f = this.witnessInput!(n);
      return f.reachable && (f.peerAliveUntil === undefined || now >= f.peerAliveUntil);
    });
  }

  private onLinkUp(node: string, link: LinkName): void {
    this.emit('linkUp', node, link);
    this.updateJeopardy(node);
  }

  private onLinkDown(node: string, link: LinkName, at: number): void {
    this.emit('linkDown', node, link, at);
    this.updateJeopardy(node);
    const p = this.peers.get(node);
    if (p && this.links.allDown(node)) this.runDecision(p, p.epoch);
    if (this.state === 'INITING') this.startAlone.evaluate();
  }

  private updateJeopardy(node: string): void {
    const p = this.peers.get(node);
    if (!p || this.closed) return;
    clearTimeout(p.jeopardyTimer);
    p.jeopardyTimer = undefined;
    const up = LINKS.filter((l) => this.links.linkStatus(node, l) === 'UP').length;
    // "Only one link left": a cluster configured with a single link is warned about (NO_SECONDARY_HB), not in jeopardy.
    const on = up === 1 && this.links.configuredLinks(node).length > 1;
    // At start the links come up one after the other: a link never heard yet
    // gets one HBInterval to come up before the single link counts as jeopardy.
    const neverHeard = this.links.configuredLinks(node).some((l) => this.links.lastHeardAt(node, l) === undefined);
    if (on && !p.jeopardy && neverHeard) {
      p.jeopardyTimer = setTimeout(() => {
        p.jeopardyTimer = undefined;
        if (this.closed || LINKS.filter((l) => this.links.linkStatus(node, l) === 'UP').length !== 1) return;
        p.jeopardy = true;
        this.emit('jeopardy', node, true, 1);
      }, this.timing.hbIntervalMs);
      return;
    }
    if (on !== p.jeopardy) {
      p.jeopardy = on;
      this.emit('jeopardy', node, on, up);
    }
  }

  private onRejected(info: RejectInfo): void {
    this.emit('rejected', info);
  }

  // ------------------------------------------------------------ fault decisions

  private addressFacts(addresses: string[]): AddressFact[] {
    return addresses.map((address) => ({ address, lastAnswerAt: this.icmp.lastAnswerAt(address) }));
  }

  private linksBack(p: PeerTrack): void {
    clearTimeout(p.decideTimer);
    clearTimeout(p.fence?.retryTimer);
    p.decideTimer = undefined;
    p.acted = undefined;
    p.decision = undefined;
    p.waits = [];
    if (p.fence) p.fence.running = false;
    p.epoch += 1;
  }

  private runDecision(p: PeerTrack, epoch: number): void {
    clearTimeout(p.decideTimer);
    p.decideTimer = undefined;
    if (this.closed || epoch !== p.epoch || !this.links.allDown(p.config.NodeName)) return;
    if (p.last === undefined) return; // never heard: the start-alone rule applies, not a fault decision
    if (p.state === 'FAULTED' || p.fence?.running) return;
    const node = p.config.NodeName;
    const now = this.clock();
    const d = decide({
      now,
      startedAt: this.icmp.startedAt ?? this.startedAt,
      links: this.links.configuredLinks(node).map((link) => ({ link, lastHeardAt: this.links.lastHeardAt(node, link) })),
      hbIntervalMs: this.timing.hbIntervalMs,
      splitThresholdMs: this.timing.splitThresholdMs,
      hbTimeoutMs: this.timing.hbTimeoutMs,
      isolationTestTimeoutMs: this.timing.isolationTestTimeoutMs,
      peerAddresses: this.addressFacts([p.config.PrimaryHB, p.config.SecondaryHB].filter((a): a is string => Boolean(a))),
      testAddresses: this.addressFacts(this.testAddresses),
      fenceConfigured: Boolean(this.timing.fenceProgram),
      witness: this.witnessInput?.(node),
      ...(this.peers.size > 1 ? this.othersView(node) : {}),
    });
    // What the decision waited for, and since when (facts.waited of the verdict): which rule held a takeover back.
    if (d.verdict === 'WAIT' && p.waits[p.waits.length - 1]?.code !== d.code && p.waits.length < 16) p.waits.push({ code: d.code, at: now });
    if (d.verdict !== 'WAIT' && p.waits.length > 0) d.facts.waited = p.waits.map((w) => ({ code: w.code, sinceMs: Math.round(now - w.at) }));
    const decision: MembershipDecision = { ...d, node };
    p.decision = decision;
    if (d.verdict === 'WAIT' || d.verdict === p.acted) {
      // nothing new to report
    } else if (d.verdict === 'NODE_FAULT') {
      if (this.timing.fenceProgram) {
        void this.fence(p, decision, epoch);
        return;
      }
      this.nodeFault(p, { ...decision, fenced: null });
      return;
    } else {
      p.acted = d.verdict;
      if (d.verdict === 'PEER_EXITED') {
        p.lost = true;
        this.setPeer(p, peerTransition(p.state, { type: 'decision', verdict: d.verdict, code: d.code }));
        this.dispatch({ type: 'peerLost', peer: node, verdict: d.verdict });
      } else {
        p.lost = true; // SPLIT or ISOLATED: the peer's return is a rejoin
      }
      this.emit('decision', decision);
    }
    // Keep watching while every link is down: an exited peer's host may die, a split node may become isolated.
    const next = Math.min(d.recheckAt ?? Infinity, now + this.pingIntervalMs);
    p.decideTimer = setTimeout(() => this.runDecision(p, epoch), Math.max(1, Math.ceil(next - now)));
  }

  /** Three or more nodes: which other peers this node hears, and which of them still hear `node`. */
  private othersView(node: string): { heardByPeers: string[]; otherPeersHeard: string[] } {
    const others = [...this.peers.values()].filter((o) => o.config.NodeName !== node && !o.plannedStop && this.peerHeard(o.config.NodeName));
    return {
      otherPeersHeard: others.map((o) => o.config.NodeName),
      heardByPeers: others.filter((o) => o.last?.hears?.includes(node) === true).map((o) => o.config.NodeName),
    };
  }

  private nodeFault(p: PeerTrack, decision: MembershipDecision): void {
    p.acted = 'NODE_FAULT';
    p.lost = true;
    p.decision = decision;
    this.setPeer(p, peerTransition(p.state, { type: 'decision', verdict: 'NODE_FAULT', code: decision.code }));
    this.dispatch({ type: 'peerLost', peer: p.config.NodeName, verdict: 'NODE_FAULT' });
    this.emit('decision', decision);
  }

  private async fence(p: PeerTrack, decision: MembershipDecision, epoch: number): Promise<void> {
    p.fence ??= { running: false, attempts: 0 };
    await fencePeer(p.fence, {
      node: p.config.NodeName,
      program: this.timing.fenceProgram,
      rank: this.self.rank,
      fenceDelayMs: this.timing.fenceDelayMs,
      runner: this.runner,
      timeoutMs: this.options.fenceTimeoutMs ?? 60_000,
      retryMs: this.options.fenceRetryMs ?? 5000,
      current: () => epoch === p.epoch,
      closed: () => this.closed,
      report: (r) => this.emit('fence', r),
      fenced: () => this.nodeFault(p, { ...decision, fenced: true }),
      retry: () => this.runDecision(p, epoch),
    });
  }
}
