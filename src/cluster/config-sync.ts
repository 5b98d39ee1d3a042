// Configuration across the nodes (issue 8): which node coordinates changes,
// how a change reaches the other RUNNING node before it is answered, and how
// two copies that differ are brought back to one.
//
// - Coordinator: the RUNNING node of highest priority (first of Nodes), this
//   node included. The others forward their configuration changes to it.
// - Replication: the coordinator sends each commit to every other RUNNING
//   node at once and waits for it to be durable on all of them, then writes
//   its own copy.
// - Divergence: every heartbeat carries ConfigVersion and a checksum. When a
//   RUNNING peer's copy differs from ours for longer than a commit takes, the
//   lineages are compared: a copy that is only behind takes the newer one
//   (nothing lost); two copies changed apart (a partition) are CONFIG_DIVERGED
//   and the coordinator's copy wins, committed above both versions; the other
//   node keeps its own copy beside main.json.
import { readFile } from 'node:fs/promises';
import type { ConfigCommit, ConfigReplication, LineageEntry } from '../engine/config-store.js';
import { relate, VersionConflict } from '../engine/config-store.js';
import { SHARED_DOCUMENTS, type SharedDocument } from '../engine/shared-documents.js';
import type { Engine } from '../engine/engine.js';
import type { MainConfig } from '../model/types.js';
import type { Membership } from './membership.js';
import type { PeerChannel } from './peer-channel.js';
import { JournalOrder } from './journal-order.js';
import { MccsError } from '../model/errors.js';

/** A commit takes a round trip and two fsyncs; a difference that lasts longer than this is looked at. */
const SETTLE_MS = 500;
const CHECK_EVERY_MS = 250;
const COMMIT_TIMEOUT_MS = 5000;

export interface ConfigCopy {
  config: MainConfig;
  lineage: LineageEntry[];
  documents: SharedDocument[];
}

export type Agreement = 'AGREE' | 'SYNCING' | 'DIVERGED' | 'ALONE';

export class ConfigSync implements ConfigReplication {
  private timer?: NodeJS.Timeout;
  /** Per peer: since when its copy differs from ours. */
  private readonly differentSince = new Map<string, number>();
  private reconciling = false;
  /** The divergence last recorded (so it is recorded once, not every check). */
  private divergence?: string;
  agreement: Agreement = 'ALONE';
  /** The peer whose copy was last found different (for messages). */
  lastDifferent?: string;
  /** More than two nodes with an etcd witness: the order of changes is the journal's. */
  readonly order: JournalOrder;

  constructor(
    private readonly engine: Engine,
    private readonly membership: Membership,
    private readonly channel: PeerChannel,
    private readonly addressesOf: (node: string) => string[],
  ) {
    this.order = new JournalOrder(engine.store, engine.localNode, () => engine.config);
  }

  start(): void {
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.order.close();
  }

  /**
   * Before this node runs anything (LOCAL_BUILD, after REMOTE_BUILD): with the
   * journal, its copy when newer. Waits while etcd does not answer (a node of
   * more than two never runs on a copy it could not check); without the
   * journal, nothing to do.
   */
  async catchUp(closed: () => boolean): Promise<void> {
    let told = false;
    while (this.order.active && !closed()) {
      try {
        const r = await this.order.catchUp();
        if (r.outcome === 'TAKEN') this.engine.record({ subject: 'cluster', cause: 'configuration', rule: 'CONFIG_CAUGHT_UP', message: `took configuration version ${r.ConfigVersion} from the configuration journal (etcd revision ${r.revision}) before running anything`, facts: { ...r } });
        return;
      } catch (e) {
        if (!told) this.engine.record({ subject: 'cluster', cause: 'configuration', rule: 'CONFIG_JOURNAL_WAIT', message: `cannot read the configuration journal (${(e as Error).message}): this node waits for it before running anything`, facts: {} });
        told = true;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** The other nodes that are RUNNING, in priority order. */
  runningPeers(): string[] {
    return this.membership.peerNames().filter((n) => this.membership.peerState(n) === 'RUNNING');
  }

  coordinator(): string {
    const local = this.engine.localNode;
    const candidates = new Set([local, ...this.runningPeers()]);
    return this.engine.config.Nodes.find((n) => candidates.has(n.NodeName))?.NodeName ?? local;
  }

  peerVersion(): number {
    return Math.max(0, ...this.runningPeers().map((n) => this.membership.peerConfig(n)?.version ?? 0));
  }

  /** A sender of commits is obeyed when it is the coordinator here, or ranks above this node (it is the coordinator wherever it runs). */
  isCoordinator(node: string): boolean {
    const rank = (n: string) => this.engine.config.Nodes.findIndex((x) => x.NodeName === n);
    return this.coordinator() === node || (rank(node) >= 0 && rank(node) < rank(this.engine.localNode));
  }

  /** Sends to every RUNNING peer at once; fails unless every one of them made it durable. */
  private async toEveryRunningPeer(kind: 'config.commit' | 'config.document', body: unknown): Promise<{ confirmedBy: string[]; skipped: string[] }> {
    const running = this.runningPeers();
    const skipped = this.membership.peerNames().filter((n) => !running.includes(n));
    const results = await Promise.allSettled(
      running.map(async (peer) => {
        const res = await this.channel.request(this.addressesOf(peer), { kind, body }, COMMIT_TIMEOUT_MS);
        if (!res.ok && res.error.code === 'CONFLICT') {
          const theirs = (res.error as { details?: { ConfigVersion?: unknown } }).details?.ConfigVersion;
          if (typeof theirs === 'number') throw new VersionConflict(peer, theirs, res.error.message);
        }
        if (!res.ok) throw new Error(`${peer} did not take it: ${res.error.message}`);
        return peer;
      }),
    );
    const conflict = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason instanceof VersionConflict);
    if (conflict) throw conflict.reason;
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) throw new Error(failed.map((f) => (f.reason as Error).message).join('; '));
    return { confirmedBy: running, skipped };
  }

  async replicate(commit: ConfigCommit): Promise<{ confirmedBy: string[]; skipped: string[] }> {
    if (!this.order.active) return this.toEveryRunningPeer('config.commit', commit);
    await this.order.append(commit);
    try {
      return await this.toEveryRunningPeer('config.commit', commit);
    } catch (e) {
      // The journal holds the change now: every node takes it (the peers that missed it, and this one) when it looks again.
      throw new MccsError('UNREACHABLE', `configuration version ${commit.config.ConfigVersion} is in the configuration journal (etcd revision ${this.order.revision}) but not yet on every RUNNING node: ${(e as Error).message}`, ['every node takes it from the journal or its peers within seconds; check with mccluster status (ConfigVersion of every node)'], { ConfigVersion: commit.config.ConfigVersion });
    }
  }

  replicateDocument(document: SharedDocument): Promise<{ confirmedBy: string[]; skipped: string[] }> {
    return this.toEveryRunningPeer('config.document', document);
  }

  /** What this node answers to `config.get`: its copy, its lineage and the shared documents. */
  async copy(): Promise<ConfigCopy> {
    const documents: SharedDocument[] = [];
    for (const name of Object.keys(SHARED_DOCUMENTS) as (keyof typeof SHARED_DOCUMENTS)[]) {
      const text = await readFile(this.engine.store.documentPath(name), 'utf8').catch(() => undefined);
      if (text !== undefined) documents.push({ name, text });
    }
    return { config: this.engine.config, lineage: this.engine.store.lineage, documents };
  }

  /** Joining (REMOTE_BUILD): the copy of the highest-priority RUNNING peer, unless ours is a newer copy of it (the peer then catches up). */
  async join(): Promise<void> {
    const source = this.runningPeers()[0] ?? this.membership.peerNames()[0];
    if (!source) return;
    const copy = await this.fetch(source);
    if (relate(this.engine.store.lineage, copy.lineage) === 'DIVERGED') this.recordDivergence(copy, source, source);
    const outcome = await this.engine.store.adopt(copy.config, copy.lineage, source, true);
    if (outcome !== 'KEPT') for (const d of copy.documents) await this.engine.store.acceptDocument(d, source, true);
  }

  private async fetch(peer: string): Promise<ConfigCopy> {
    const res = await this.channel.request(this.addressesOf(peer), { kind: 'config.get', body: {} }, COMMIT_TIMEOUT_MS);
    if (!res.ok) throw new Error(res.error.message);
    return res.body as ConfigCopy;
  }

  /** Heartbeat view: a RUNNING peer whose copy differs from ours for longer than a commit → reconcile with it. */
  private check(): void {
    const local = this.membership.localState === 'RUNNING';
    const running = local ? this.runningPeers().filter((n) => this.membership.peerConfig(n)) : [];
    for (const n of [...this.differentSince.keys()]) if (!running.includes(n)) this.differentSince.delete(n);
    if (running.length === 0) {
      this.agreement = 'ALONE';
      return;
    }
    const now = performance.now();
    const differing = running.filter((n) => {
      const seen = this.membership.peerConfig(n)!;
      return !(seen.version === this.engine.store.version && (seen.checksum === undefined || seen.checksum === this.engine.store.checksum));
    });
    for (const n of running) if (!differing.includes(n)) this.differentSince.delete(n);
    if (differing.length === 0) {
      this.agreement = 'AGREE';
      this.divergence = undefined;
      return;
    }
    for (const n of differing) if (!this.differentSince.has(n)) this.differentSince.set(n, now);
    if (this.agreement !== 'DIVERGED') this.agreement = 'SYNCING';
    const due = differing.find((n) => now - this.differentSince.get(n)! >= SETTLE_MS);
    if (due && !this.reconciling) void this.reconcile(due);
  }

  /** CONFIG_DIVERGED, once per pair of copies, with both versions and checksums. */
  private recordDivergence(copy: ConfigCopy, peer: string, winner: string): void {
    const store = this.engine.store;
    const mine = { version: store.version, checksum: store.checksum };
    const theirs = copy.lineage[copy.lineage.length - 1] ?? { version: copy.config.ConfigVersion, checksum: '?' };
    const key = `${mine.version}/${mine.checksum}/${theirs.version}/${theirs.checksum}`;
    if (this.divergence === key) return;
    this.divergence = key;
    this.lastDifferent = peer;
    const local = this.engine.localNode;
    this.engine.record({
      subject: 'cluster',
      cause: 'configuration',
      rule: 'CONFIG_DIVERGED',
      message: `${local} and ${peer} hold different configurations (${local}: version ${mine.version} checksum ${mine.checksum}; ${peer}: version ${theirs.version} checksum ${theirs.checksum}); the copy of ${winner} wins and the other is kept beside main.json`,
      facts: { local: { node: local, ...mine }, peer: { node: peer, ...theirs }, winner },
    });
  }

  private async reconcile(peer: string): Promise<void> {
    this.reconciling = true;
    const store = this.engine.store;
    try {
      const copy = await this.fetch(peer);
      const relation = relate(store.lineage, copy.lineage);
      if (relation === 'SAME') return;
      if (relation === 'BEHIND') {
        // The peer's copy descends from ours (it changed while we were apart): nothing is lost by taking it.
        await store.adopt(copy.config, copy.lineage, peer, false);
        return;
      }
      if (relation === 'AHEAD') return; // the peer takes ours the same way
      this.agreement = 'DIVERGED';
      this.recordDivergence(copy, peer, this.coordinator());
      if (store.isCoordinator()) await store.recommit(`divergence with ${peer} resolved: the copy of ${this.engine.localNode} wins`);
    } catch (e) {
      this.engine.log.warn(`configuration check with ${peer}: ${(e as Error).message}`);
    } finally {
      this.reconciling = false;
      this.differentSince.delete(peer);
    }
  }
}
