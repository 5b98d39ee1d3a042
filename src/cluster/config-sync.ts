// Configuration across the nodes (issue 8): which node coordinates changes,
// how a change reaches the other RUNNING node before it is answered, and how
// two copies that differ are brought back to one.
//
// - Coordinator: the RUNNING node of highest priority (first of Nodes), this
//   node included. The others forward their configuration changes to it.
// - Replication: the coordinator sends each commit to every other RUNNING
//   node and waits for it to be durable there, then writes its own copy.
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
  private differentSince?: number;
  private reconciling = false;
  /** The divergence last recorded (so it is recorded once, not every check). */
  private divergence?: string;
  agreement: Agreement = 'ALONE';

  constructor(
    private readonly engine: Engine,
    private readonly membership: Membership,
    private readonly channel: PeerChannel,
    private readonly peer: string,
    private readonly peerAddresses: () => string[],
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private peerRunning(): boolean {
    return this.membership.peerState(this.peer) === 'RUNNING';
  }

  coordinator(): string {
    const local = this.engine.localNode;
    const candidates = new Set([local, ...(this.peerRunning() ? [this.peer] : [])]);
    return this.engine.config.Nodes.find((n) => candidates.has(n.NodeName))?.NodeName ?? local;
  }

  peerVersion(): number {
    return this.peerRunning() ? (this.membership.peerConfig(this.peer)?.version ?? 0) : 0;
  }

  /** A sender of commits is obeyed when it is the coordinator here, or ranks above this node (it is the coordinator wherever it runs). */
  isCoordinator(node: string): boolean {
    const rank = (n: string) => this.engine.config.Nodes.findIndex((x) => x.NodeName === n);
    return this.coordinator() === node || (rank(node) >= 0 && rank(node) < rank(this.engine.localNode));
  }

  async replicate(commit: ConfigCommit): Promise<{ confirmedBy: string[]; skipped: string[] }> {
    if (!this.peerRunning()) return { confirmedBy: [], skipped: [this.peer] };
    const res = await this.channel.request(this.peerAddresses(), { kind: 'config.commit', body: commit }, COMMIT_TIMEOUT_MS);
    if (!res.ok && res.error.code === 'CONFLICT') {
      const theirs = (res.error as { details?: { ConfigVersion?: unknown } }).details?.ConfigVersion;
      if (typeof theirs === 'number') throw new VersionConflict(this.peer, theirs, res.error.message);
    }
    if (!res.ok) throw new Error(`${this.peer} did not take it: ${res.error.message}`);
    return { confirmedBy: [this.peer], skipped: [] };
  }

  async replicateDocument(document: SharedDocument): Promise<{ confirmedBy: string[]; skipped: string[] }> {
    if (!this.peerRunning()) return { confirmedBy: [], skipped: [this.peer] };
    const res = await this.channel.request(this.peerAddresses(), { kind: 'config.document', body: document }, COMMIT_TIMEOUT_MS);
    if (!res.ok) throw new Error(`${this.peer} did not take it: ${res.error.message}`);
    return { confirmedBy: [this.peer], skipped: [] };
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

  /** Joining (REMOTE_BUILD): the RUNNING peer's copy, unless ours is a newer copy of it (the peer then catches up). */
  async join(): Promise<void> {
    const copy = await this.fetch();
    if (relate(this.engine.store.lineage, copy.lineage) === 'DIVERGED') this.recordDivergence(copy, this.peer);
    const outcome = await this.engine.store.adopt(copy.config, copy.lineage, this.peer, true);
    if (outcome !== 'KEPT') for (const d of copy.documents) await this.engine.store.acceptDocument(d, this.peer, true);
  }

  private async fetch(): Promise<ConfigCopy> {
    const res = await this.channel.request(this.peerAddresses(), { kind: 'config.get', body: {} }, COMMIT_TIMEOUT_MS);
    if (!res.ok) throw new Error(res.error.message);
    return res.body as ConfigCopy;
  }

  /** Heartbeat view: both RUNNING with copies that differ for longer than a commit → reconcile. */
  private check(): void {
    const seen = this.membership.peerConfig(this.peer);
    const local = this.membership.localState === 'RUNNING';
    if (!local || !this.peerRunning() || !seen) {
      this.agreement = 'ALONE';
      this.differentSince = undefined;
      return;
    }
    const same = seen.version === this.engine.store.version && (seen.checksum === undefined || seen.checksum === this.engine.store.checksum);
    if (same) {
      this.agreement = 'AGREE';
      this.differentSince = undefined;
      this.divergence = undefined;
      return;
    }
    const now = performance.now();
    this.differentSince ??= now;
    if (this.agreement !== 'DIVERGED') this.agreement = 'SYNCING';
    if (now - this.differentSince >= SETTLE_MS && !this.reconciling) void this.reconcile();
  }

  /** CONFIG_DIVERGED, once per pair of copies, with both versions and checksums. */
  private recordDivergence(copy: ConfigCopy, winner: string): void {
    const store = this.engine.store;
    const mine = { version: store.version, checksum: store.checksum };
    const theirs = copy.lineage[copy.lineage.length - 1] ?? { version: copy.config.ConfigVersion, checksum: '?' };
    const key = `${mine.version}/${mine.checksum}/${theirs.version}/${theirs.checksum}`;
    if (this.divergence === key) return;
    this.divergence = key;
    const local = this.engine.localNode;
    this.engine.record({
      subject: 'cluster',
      cause: 'configuration',
      rule: 'CONFIG_DIVERGED',
      message: `${local} and ${this.peer} hold different configurations (${local}: version ${mine.version} checksum ${mine.checksum}; ${this.peer}: version ${theirs.version} checksum ${theirs.checksum}); the copy of ${winner} wins and the other is kept beside main.json`,
      facts: { local: { node: local, ...mine }, peer: { node: this.peer, ...theirs }, winner },
    });
  }

  private async reconcile(): Promise<void> {
    this.reconciling = true;
    const store = this.engine.store;
    try {
      const copy = await this.fetch();
      const relation = relate(store.lineage, copy.lineage);
      if (relation === 'SAME') return;
      if (relation === 'BEHIND') {
        // The peer's copy descends from ours (it changed while we were apart): nothing is lost by taking it.
        await store.adopt(copy.config, copy.lineage, this.peer, false);
        return;
      }
      if (relation === 'AHEAD') return; // the peer takes ours the same way
      this.agreement = 'DIVERGED';
      this.recordDivergence(copy, this.coordinator());
      if (store.isCoordinator()) await store.recommit(`divergence with ${this.peer} resolved: the copy of ${this.engine.localNode} wins`);
    } catch (e) {
      this.engine.log.warn(`configuration check with ${this.peer}: ${(e as Error).message}`);
    } finally {
      this.reconciling = false;
      this.differentSince = undefined;
    }
  }
}
