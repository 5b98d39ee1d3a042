// The witness of a cluster (WitnessType etcd): every failover group has one
// owner recorded in etcd under PREFIX/groups/<group>; every node renews
// PREFIX/nodes/<node> (its member record, bound to an etcd lease of its own)
// and the groups it owns in one compare-and-swap transaction every
// WitnessTTL/5. Other nodes date each renewal on their own clocks: a member
// has lapsed when no renewal of its record was seen for WitnessTTL (a record
// etcd deleted with its lease counts until then; one never seen, not at all).
// The engine awaits `acquire` (the ownership
// gate) before a failover group comes online here; membership asks
// `faultFact` before it calls a silent peer dead. Timing rules: ./lease.ts.
import type { Engine } from '../engine/engine.js';
import { OwnershipRefused, type OwnershipGate } from '../engine/ownership-gate.js';
import { groupState } from '../engine/policy/group-state.js';
import type { Clock, WitnessFact } from './fact.js';
import { EtcdStore, type StoredKey, type TxnResult, type WitnessStore } from './etcd-store.js';
import { holdVerdict, leaseTimings, ownerDeadline, stalled, takeableAt, type LeaseTimings } from './lease.js';
import type { WitnessSettings } from './settings.js';

interface KeyView {
  owner: string;
  incarnation: string;
  modRevision: string;
  /** When this node first saw this revision (its clock, at the answer): never earlier than the write. */
  seenAt: number;
  /** This node saw the revision change between two reads less than WitnessTTL apart: its owner renews now. */
  renewed: boolean;
  /** Last read in which this node saw the key (any revision). */
  readAt: number;
  /** Node keys: the failover groups that node runs (owned or adopted) when it renewed; undefined: not said. */
  holds?: string[];
}

interface Owned {
  modRevision: string;
  /** Send time of the last renewal that succeeded. */
  sentAt: number;
  acquiredAt: number;
  holdingOnPeer: boolean;
}

export interface WitnessHooks {
  /** The other nodes, for messages. */
  peers(): string[];
  /** This node hears every peer that could take a group over (with two nodes: the peer): none of them can judge it dead. */
  peerHeard(): boolean;
  /** Two nodes only: what the peer last told of its own reach of the witness (undefined: not told, or more nodes, where the witness is never bypassed). */
  peerReachable(): boolean | undefined;
  /** This node's reach of the witness changed (tell the peer). */
  reachabilityChanged(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(1, ms)));
const HELD: readonly string[] = ['ONLINE', 'PARTIAL', 'STARTING', 'STOPPING'];

export class Witness implements OwnershipGate {
  readonly timings: LeaseTimings;
  private readonly store: WitnessStore;
  private readonly views = new Map<string, KeyView>();
  private readonly owned = new Map<string, Owned>();
  private readonly acquiring = new Map<string, Promise<void>>();
  private readonly dropping = new Set<string>();
  /** Groups brought online under the two-node rules while the witness was unreachable from both nodes. */
  private readonly unrecorded = new Set<string>();
  private readonly incarnation = Math.random().toString(16).slice(2, 10);
  private timer?: NodeJS.Timeout;
  private lapseTimer?: NodeJS.Timeout;
  private beatTimer?: NodeJS.Timeout;
  /** A steady beat: a gap in it means the whole process stood still. */
  private lastBeatAt = 0;
  /** When the last stand-still was noticed: until the next renewal, heartbeats queued meanwhile are not trusted. */
  private stalledAt = -Infinity;
  private lastOkAt?: number;
  /** Send time of the last round that renewed this node's key: the lease of what runs here without a recorded ownership yet (adopted at engine start). */
  private nodeSentAt = -Infinity;
  private lastLatencyMs?: number;
  private lastError?: string;
  private reachableShown = false;
  /** Round trips in flight: a slow one does not hold back the next renewal (at most 3 at once). */
  private inflight: { startedAt: number; p: Promise<TxnResult | undefined> }[] = [];
  private closed = false;

  constructor(
    readonly settings: WitnessSettings,
    private readonly engine: Engine,
    private readonly hooks: WitnessHooks,
    private readonly clock: Clock = () => performance.now(),
    store?: WitnessStore,
  ) {
    this.timings = leaseTimings(settings.ttlMs, Number(engine.config.Cluster.HBInterval ?? 1000));
    this.store = store ?? new EtcdStore(settings);
  }

  private get me(): string {
    return this.engine.localNode;
  }

  /** The other nodes, as messages name them. */
  private get peer(): string {
    const peers = this.hooks.peers();
    return peers.length === 1 ? peers[0]! : peers.length === 0 ? 'no peer' : `every other node (${peers.join(', ')})`;
  }

  /** What a renewal reads back: owners and member records, not the configuration journal beside them. */
  private get readPrefixes(): string[] {
    return [`${this.settings.prefix}/groups/`, `${this.settings.prefix}/nodes/`];
  }

  private groupKey(g: string): string {
    return `${this.settings.prefix}/groups/${g}`;
  }

  private nodeKey(n: string): string {
    return `${this.settings.prefix}/nodes/${n}`;
  }

  private record(rule: string, message: string, facts: Record<string, unknown> = {}, group?: string): void {
    this.engine.record({ subject: group ? `group:${group}` : 'cluster', group, cause: 'witness', rule, message, facts: { witness: this.settings.endpoints.join(','), ...facts } });
  }

  start(): void {
    this.lastBeatAt = this.clock();
    this.beatTimer = setInterval(() => this.beat(), this.timings.renewEveryMs);
    this.tick();
  }

  private beat(): void {
    const now = this.clock();
    if (stalled(this.timings, this.lastBeatAt, now)) this.stalledAt = now;
    this.lastBeatAt = now;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.lapseTimer);
    clearInterval(this.beatTimer);
    await Promise.all(this.inflight.map((r) => r.p.catch(() => undefined)));
    this.store.close();
  }

  // ------------------------------------------------------------ reachability

  reachable(now = this.clock()): boolean {
    return this.lastOkAt !== undefined && now - this.lastOkAt <= this.timings.ttlMs;
  }

  /** Membership's input into a fault decision about the peer. */
  faultFact(peer: string): WitnessFact {
    const v = this.views.get(this.nodeKey(peer));
    return { reachable: this.reachable(), peerAliveUntil: v ? takeableAt(this.timings, v.seenAt) : undefined, ...(v ? { peerRenewedAt: v.seenAt } : {}), peerReachable: this.hooks.peerReachable(), marginMs: this.timings.marginMs };
  }

  private noteReachability(): void {
    const now = this.reachable();
    if (now === this.reachableShown) return;
    this.reachableShown = now;
    if (now) this.record('WITNESS_REACHABLE', `the witness answers (${this.settings.endpoints.join(', ')}), round trip ${this.lastLatencyMs} ms`);
    else this.record('WITNESS_UNREACHABLE', `the witness did not answer for WitnessTTL ${this.timings.ttlMs} ms (${this.lastError ?? 'no answer'}): groups stay where they are while the nodes hear each other; a takeover follows the two-node rules only if the peer cannot reach it either`);
    this.hooks.reachabilityChanged();
  }

  // ------------------------------------------------------------ the loop

  private tick(): void {
    if (this.closed) return;
    this.checkHold(); // before any network: a resumed node drops first
    void this.renew().then(() => {
      this.noteReachability();
      this.reconcile();
    });
    this.timer = setTimeout(() => this.tick(), this.timings.renewEveryMs);
  }

  /** One transaction: renew the node key and every owned group (compare on revision); read the whole prefix. */
  private async renew(): Promise<TxnResult | undefined> {
    const started = this.clock();
    const recent = this.inflight.find((r) => started - r.startedAt < this.timings.renewEveryMs);
    if (recent) return recent.p;
    if (this.inflight.length >= 3) return this.inflight[this.inflight.length - 1]!.p;
    const run = async (): Promise<TxnResult | undefined> => {
      const expect: Record<string, string> = {};
      const holds = this.engine.probed ? this.engine.config.Groups.filter((g) => (g.GroupType ?? 'FAILOVER') === 'FAILOVER' && this.heldHere(g.GroupName)).map((g) => g.GroupName) : undefined;
      const put: Record<string, string> = { [this.nodeKey(this.me)]: JSON.stringify({ node: this.me, incarnation: this.incarnation, ...(holds ? { holds } : {}) }) };
      for (const [g, o] of this.owned) {
        expect[this.groupKey(g)] = o.modRevision;
        put[this.groupKey(g)] = JSON.stringify({ owner: this.me, incarnation: this.incarnation });
      }
      const sentAt = this.clock();
      let r: TxnResult;
      try {
        r = await this.store.txn({ expect, put, del: [], readPrefix: this.settings.prefix, readPrefixes: this.readPrefixes, leased: [this.nodeKey(this.me)] }, this.timings.callTimeoutMs);
      } catch (e) {
        this.lastError = (e as Error).message.split('\n')[0];
        return undefined;
      }
      const at = this.clock();
      this.lastOkAt = at;
      this.lastLatencyMs = Math.round((at - sentAt) * 10) / 10;
      this.absorb(r.keys, at);
      if (r.succeeded) {
        this.nodeSentAt = Math.max(this.nodeSentAt, sentAt);
        for (const [g, o] of this.owned) if (expect[this.groupKey(g)] === o.modRevision) Object.assign(o, { modRevision: r.revision, sentAt, holdingOnPeer: false });
        this.scheduleLapse();
      } else {
        this.lostKeys();
      }
      return r;
    };
    const entry = { startedAt: started, p: Promise.resolve<TxnResult | undefined>(undefined) };
    entry.p = run().finally(() => (this.inflight = this.inflight.filter((r) => r !== entry)));
    this.inflight.push(entry);
    return entry.p;
  }

  /** Takes in what etcd holds under the prefix; a revision seen for the first time is dated now. */
  private absorb(keys: StoredKey[], at: number): void {
    const present = new Set<string>();
    for (const k of keys) {
      present.add(k.key);
      const old = this.views.get(k.key);
      if (old && old.modRevision === k.modRevision) {
        old.readAt = at;
        continue;
      }
      let parsed: { owner?: string; node?: string; incarnation?: string; holds?: unknown } = {};
      try {
        parsed = JSON.parse(k.value) as typeof parsed;
      } catch {
        // a foreign value: owned by nobody we know
      }
      this.views.set(k.key, { owner: parsed.owner ?? parsed.node ?? '?', incarnation: parsed.incarnation ?? '', modRevision: k.modRevision, seenAt: at, renewed: old !== undefined && at - old.readAt <= this.timings.ttlMs, readAt: at, ...(Array.isArray(parsed.holds) ? { holds: parsed.holds.filter((x): x is string => typeof x === 'string') } : {}) });
    }
    // A member record etcd deleted with its lease still counts until WitnessTTL after its last renewal seen here:
    // etcd's lease runs on the leader's clock from the last keepalive, which may come before that renewal.
    const members = `${this.settings.prefix}/nodes/`;
    for (const [k, v] of [...this.views]) if (!present.has(k) && !(k.startsWith(members) && at < takeableAt(this.timings, v.seenAt))) this.views.delete(k);
  }

  /** The renewal failed on a compare: every group whose key moved is lost (taken, or released by an operator). */
  private lostKeys(): void {
    for (const [g, o] of [...this.owned]) {
      const v = this.views.get(this.groupKey(g));
      if (v && v.modRevision === o.modRevision && v.owner === this.me) continue;
      if (v && v.owner === this.me && v.incarnation === this.incarnation) {
        // Our own renewal was applied but its answer was lost: the key moved under our hand. The lease
        // still counts from the last renewal we know succeeded (sentAt unchanged).
        o.modRevision = v.modRevision;
        continue;
      }
      this.owned.delete(g);
      const reason = v ? `ownership of ${g} was taken by ${v.owner} (revision ${v.modRevision})` : `the owner key of ${g} was removed`;
      this.record('OWNERSHIP_LOST', reason, { group: g, owner: v?.owner ?? null }, g);
      this.drop(g, reason);
    }
    // The others are renewed at once, without the lost ones.
    setImmediate(() => void this.renew().then(() => this.noteReachability()));
  }

  // ------------------------------------------------------------ holding

  private scheduleLapse(): void {
    clearTimeout(this.lapseTimer);
    if (this.closed) return;
    const next = Math.min(ownerDeadline(this.timings, this.nodeSentAt), ...[...this.owned.values()].map((o) => ownerDeadline(this.timings, o.sentAt)));
    if (!Number.isFinite(next)) return;
    this.lapseTimer = setTimeout(() => this.checkHold(), Math.max(1, Math.ceil(next - this.clock())));
  }

  /** Also called by the cluster layer when a heartbeat link drops. */
  checkHold(): void {
    if (this.closed) return;
    const now = this.clock();
    this.beat();
    const peerHeard = this.hooks.peerHeard();
    for (const [g, o] of [...this.owned]) {
      const wasStalled = this.stalledAt > o.sentAt;
      const verdict = holdVerdict(this.timings, { now, sentAt: o.sentAt, peerHeard, stalled: wasStalled });
      if (verdict === 'VALID') continue;
      const held = this.heldHere(g);
      if (!held) {
        void this.release(g, o); // nothing runs here: hand it back (or let the lease run out)
        continue;
      }
      if (verdict === 'HOLD_ON_PEER') {
        if (!o.holdingOnPeer) this.record('OWNERSHIP_HOLD_ON_PEER', `no renewal of ${g} at the witness for ${Math.round(now - o.sentAt)} ms, but ${this.peer} ${this.hooks.peers().length > 1 ? 'are' : 'is'} heard on heartbeat (none can take over): ${g} stays here`, { group: g }, g);
        o.holdingOnPeer = true;
        continue;
      }
      this.owned.delete(g);
      const reason = `ownership of ${g} lapsed: last renewal at the witness ${Math.round(now - o.sentAt)} ms ago (lease ${this.timings.ownerValidMs} ms of WitnessTTL ${this.timings.ttlMs} ms)${wasStalled ? ', and this node stood still (frozen)' : ''}, and ${this.peer} ${this.hooks.peers().length > 1 ? 'are not all' : 'is not'} heard`;
      this.record('OWNERSHIP_LAPSED', reason, { group: g, sinceRenewalMs: Math.round(now - o.sentAt), stalled: wasStalled }, g);
      this.drop(g, reason);
    }
    // A group that runs here without a recorded ownership (adopted at engine start, not yet taken at the
    // witness) lives on this node's own renewals: the same rule, counted from the last node renewal.
    if (!this.engine.probed) return;
    for (const g of this.engine.config.Groups) {
      const name = g.GroupName;
      if ((g.GroupType ?? 'FAILOVER') !== 'FAILOVER' || this.owned.has(name) || this.unrecorded.has(name) || this.dropping.has(name) || !this.heldHere(name)) continue;
      const wasStalled = this.stalledAt > this.nodeSentAt;
      if (holdVerdict(this.timings, { now, sentAt: this.nodeSentAt, peerHeard, stalled: wasStalled }) !== 'DROP') continue;
      const since = Number.isFinite(this.nodeSentAt) ? `${Math.round(now - this.nodeSentAt)} ms ago` : 'never since the engine started';
      const reason = `${name} runs here without a recorded ownership and this node's last renewal at the witness was ${since}${wasStalled ? ' (it stood still)' : ''}, and ${this.peer} ${this.hooks.peers().length > 1 ? 'are not all' : 'is not'} heard`;
      this.record('OWNERSHIP_LAPSED', reason, { group: name, adopted: true, stalled: wasStalled }, name);
      this.drop(name, reason);
    }
  }

  private heldHere(g: string): boolean {
    const group = this.engine.config.Groups.find((x) => x.GroupName === g);
    return Boolean(group && HELD.includes(groupState(this.engine.config, group, this.engine.observed, this.me)));
  }

  private drop(g: string, reason: string): void {
    if (!this.heldHere(g) || this.dropping.has(g)) return;
    this.dropping.add(g);
    this.engine
      .handle({ kind: 'OwnershipLost', group: g, node: this.me, reason }, { cause: `witness: ${reason}`, wait: true, timeout: 600 })
      .catch((e: Error) => this.engine.log.error(`witness: dropping ${g}: ${e.message}`))
      .finally(() => this.dropping.delete(g));
  }

  // ------------------------------------------------------------ the gate

  /** The ownership gate: resolves once this node owns the group. */
  acquire(group: string, cause: string): Promise<void> {
    const o = this.owned.get(group);
    if (o && this.clock() < ownerDeadline(this.timings, o.sentAt)) return Promise.resolve();
    let p = this.acquiring.get(group);
    if (!p) {
      p = this.take(group, cause).finally(() => this.acquiring.delete(group));
      this.acquiring.set(group, p);
    }
    return p;
  }

  private async take(group: string, cause: string): Promise<void> {
    const key = this.groupKey(group);
    const start = this.clock();
    let announced = false;
    // The first look may use the last read if it is fresh (younger than a renewal period): the takeover
    // then costs one round trip, not two. Safe as before: the take is a compare-and-swap on the revision
    // seen, which fails if the owner renewed since, and the wait counts from when this node first saw it.
    let firstLook = true;
    while (!this.closed) {
      const now = this.clock();
      if (now - start > this.timings.acquireLimitMs) {
        const v = this.views.get(key);
        const reason = !this.reachable()
          ? `this node cannot reach the witness (${this.lastError ?? 'no answer'}) and ${this.hooks.peers().length > 1 ? 'with more than two nodes the witness is never bypassed' : `${this.peer} could when last heard`}: ${group} is not started here`
          : `${group} is owned by ${v?.owner ?? '?'}, which keeps renewing at the witness: not started here (PARTITION)`;
        this.record('OWNERSHIP_REFUSED', reason, { group, owner: v?.owner ?? null, cause }, group);
        throw new OwnershipRefused(group, reason);
      }
      const fresh = firstLook && this.lastOkAt !== undefined && now - this.lastOkAt < this.timings.renewEveryMs;
      firstLook = false;
      const r = fresh ? true : await this.renew();
      if (!r) {
        if (this.hooks.peerReachable() === false) {
          this.unrecorded.add(group);
          this.record('OWNERSHIP_UNRECORDED', `the witness is unreachable from both nodes: ${group} comes online here under the two-node rules (${cause})`, { group, cause }, group);
          return;
        }
        await sleep(this.timings.renewEveryMs);
        continue;
      }
      const v = this.views.get(key);
      const at = this.clock();
      let expect: string | undefined;
      let from: string | null = null;
      if (!v) expect = '0';
      else if (v.owner === this.me) expect = v.modRevision;
      else if (this.ownerEngineGone(v, group) || at >= takeableAt(this.timings, Math.max(v.seenAt, this.ownerStillRuns(v.owner, group)))) {
        expect = v.modRevision;
        from = v.owner;
      } else {
        if (!announced) {
          announced = true;
          this.record('OWNERSHIP_WAIT', `${group} is owned by ${v.owner}: waiting until its lease runs out (no renewal seen for WitnessTTL ${this.timings.ttlMs} ms) before starting it here`, { group, owner: v.owner, waitMs: Math.round(takeableAt(this.timings, v.seenAt) - at) }, group);
        }
        await sleep(this.timings.renewEveryMs);
        continue;
      }
      const sentAt = this.clock();
      let t: TxnResult;
      try {
        t = await this.store.txn({ expect: { [key]: expect }, put: { [key]: JSON.stringify({ owner: this.me, incarnation: this.incarnation }) }, del: [], readPrefix: this.settings.prefix, readPrefixes: this.readPrefixes }, this.timings.callTimeoutMs);
      } catch {
        continue;
      }
      this.absorb(t.keys, this.clock());
      if (!t.succeeded) continue; // someone wrote it meanwhile: look again
      this.owned.set(group, { modRevision: t.revision, sentAt, acquiredAt: sentAt, holdingOnPeer: false });
      this.unrecorded.delete(group);
      this.scheduleLapse();
      this.record(
        'OWNERSHIP_TAKEN',
        from ? `${this.me} took ownership of ${group} from ${from}, whose lease ran out (no renewal seen for ${Math.round(sentAt - (v?.seenAt ?? sentAt))} ms)` : `${this.me} owns ${group} (revision ${t.revision})`,
        { group, from, revision: t.revision, cause },
        group,
      );
      return;
    }
    throw new OwnershipRefused(group, 'engine stopping');
  }

  /**
   * A restarted owner may run a group it has not taken again yet (adopted at
   * engine start): its node key lists what it runs, and while it renews that
   * key such a group is not takeable. Returns when that node key was last
   * seen renewed (-Infinity: it does not run the group, or says nothing).
   */
  private ownerStillRuns(owner: string, group: string): number {
    const n = this.views.get(this.nodeKey(owner));
    if (!n) return -Infinity;
    return n.holds === undefined || n.holds.includes(group) ? n.seenAt : -Infinity;
  }

  /** The owner node runs another engine now (a restart) and that engine says it does not run the group: the key is a leftover. */
  private ownerEngineGone(v: KeyView, group: string): boolean {
    const n = this.views.get(this.nodeKey(v.owner));
    return Boolean(n && n.incarnation !== v.incarnation && n.holds !== undefined && !n.holds.includes(group));
  }

  /** Groups running here that the witness does not record as ours (adopted at start, started unrecorded); owned groups no longer running here. */
  private reconcile(): void {
    if (!this.engine.probed || !this.reachable() || this.closed) return;
    for (const g of this.engine.config.Groups) {
      if ((g.GroupType ?? 'FAILOVER') !== 'FAILOVER') continue;
      const name = g.GroupName;
      if (this.acquiring.has(name) || this.dropping.has(name)) continue;
      const held = this.heldHere(name);
      const o = this.owned.get(name);
      if (held && !o) {
        const v = this.views.get(this.groupKey(name));
        if (v && v.owner !== this.me && v.renewed && this.clock() < takeableAt(this.timings, v.seenAt)) {
          const reason = `${name} runs here but ${v.owner} owns it at the witness and renews`;
          this.record('OWNERSHIP_CONFLICT', reason, { group: name, owner: v.owner }, name);
          this.drop(name, reason);
        } else {
          void this.acquire(name, this.unrecorded.has(name) ? 'recording a start made under the two-node rules' : 'running here at engine start (adopted)').catch(() => undefined);
        }
      } else if (!held && o && this.clock() - o.acquiredAt > 2 * this.timings.renewEveryMs) {
        void this.release(name, o);
      }
    }
  }

  /** Hands the group back: deleted only if still ours (compare on revision), so another node may take it at once. */
  private async release(group: string, o: Owned): Promise<void> {
    this.owned.delete(group);
    const key = this.groupKey(group);
    try {
      const t = await this.store.txn({ expect: { [key]: o.modRevision }, put: {}, del: [key], readPrefix: this.settings.prefix, readPrefixes: this.readPrefixes }, this.timings.callTimeoutMs);
      this.absorb(t.keys, this.clock());
      if (t.succeeded) this.record('OWNERSHIP_RELEASED', `${group} is offline here: ownership released at the witness`, { group }, group);
    } catch {
      // unreachable: the lease runs out by itself
    }
  }

  // ------------------------------------------------------------ status

  status(): unknown {
    const now = this.clock();
    const nodes = this.engine.config.Nodes.map((n) => {
      const v = this.views.get(this.nodeKey(n.NodeName));
      if (n.NodeName === this.me) {
        const lease = this.store.memberLease?.();
        return { node: n.NodeName, reachable: this.reachable(now), lastRoundTripMs: this.lastLatencyMs ?? null, lastAnswerAgeMs: this.lastOkAt === undefined ? null : Math.round(now - this.lastOkAt), error: this.reachable(now) ? null : (this.lastError ?? null), memberLease: lease ? { id: lease.id, ttlSeconds: lease.ttlSeconds } : null };
      }
      return { node: n.NodeName, reachable: v ? now < takeableAt(this.timings, v.seenAt) : false, lastRenewalSeenAgeMs: v ? Math.round(now - v.seenAt) : null, reported: this.hooks.peerReachable() ?? null };
    });
    const groups = this.engine.config.Groups.filter((g) => (g.GroupType ?? 'FAILOVER') === 'FAILOVER').map((g) => {
      const v = this.views.get(this.groupKey(g.GroupName));
      const o = this.owned.get(g.GroupName);
      const deadlineInMs = o ? Math.round(ownerDeadline(this.timings, o.sentAt) - now) : v ? Math.round(takeableAt(this.timings, v.seenAt) - now) : null;
      return { group: g.GroupName, owner: o ? this.me : (v?.owner ?? null), ownedByThisEngine: Boolean(o), revision: o?.modRevision ?? v?.modRevision ?? null, deadlineInMs, holdingOnPeer: o?.holdingOnPeer ?? false, unrecorded: this.unrecorded.has(g.GroupName) };
    });
    return { type: this.settings.type, endpoints: this.settings.endpoints, prefix: this.settings.prefix, ttlMs: this.timings.ttlMs, reachable: this.reachable(now), nodes, groups };
  }

  warnings(): string[] {
    const out: string[] = [];
    if (!this.reachable()) out.push(`WITNESS_UNREACHABLE: this node cannot reach the witness (${this.settings.endpoints.join(', ')}: ${this.lastError ?? 'no answer yet'}); groups stay where they are while the nodes hear each other; ${this.hooks.peers().length > 1 ? 'no group is taken over by this node until it answers' : `takeovers follow the two-node rules only if ${this.peer} cannot reach it either`}`);
    for (const [g, o] of this.owned) if (o.holdingOnPeer) out.push(`WITNESS_HOLD_ON_PEER: ${g} is kept here only because ${this.peer} is heard; it goes offline if the heartbeat links drop too`);
    return out;
  }

  /** `mccs witness check`: every endpoint alone, then what this node holds. */
  async check(): Promise<unknown> {
    const endpoints = await Promise.all(
      this.settings.endpoints.map(async (endpoint) => {
        const t0 = this.clock();
        try {
          const st = await this.store.ping(endpoint, Math.max(1000, this.timings.ttlMs));
          return { endpoint, reachable: true, latencyMs: Math.round((this.clock() - t0) * 10) / 10, version: st.version, member: st.member, leader: st.leader };
        } catch (e) {
          return { endpoint, reachable: false, latencyMs: null, error: (e as Error).message.split('\n')[0] };
        }
      }),
    );
    const s = this.status() as { groups: { group: string; owner: string | null }[] };
    return {
      node: this.me,
      reachable: endpoints.some((e) => e.reachable),
      endpoints,
      prefix: this.settings.prefix,
      ttlMs: this.timings.ttlMs,
      holds: [...this.owned.keys()],
      status: s,
    };
  }
}
