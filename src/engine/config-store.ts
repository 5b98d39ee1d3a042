// The configuration of this node and the one path by which it changes.
//
// Every change of main.json, whichever API method or node it comes from, runs
// through ConfigStore.change() on the coordinating node (the RUNNING node of
// highest priority; the other node forwards to it): changes are serialized in
// one queue, validated whole on a copy, made durable on every other RUNNING
// node first and then here, and only then answered. A commit received from
// the coordinator is taken whole (acceptCommit), so both nodes apply the same
// changes in the same order and end with the same file.
//
// Each node keeps the lineage of its copy: the (ConfigVersion, checksum) of
// the copies it went through. When two copies differ, the lineage tells a
// copy that is only behind (fast-forward: nothing is lost) from two copies
// changed apart during a partition (diverged: the coordinator's copy wins and
// the other one is set aside beside main.json).
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { configChecksum } from '../model/config-checksum.js';
import { cloneConfig, loadConfigFile, validateConfig, writeConfigFile } from '../model/config.js';
import { writeDurable } from '../model/durable-file.js';
import { writeSharedDocument, type SharedDocument, type SharedDocumentName } from './shared-documents.js';
// The agents declare their Types and attributes to the model, which validates every configuration against them.
import './agents/catalog.js';
import { MccsError } from '../model/errors.js';
import type { MainConfig } from '../model/types.js';

/** One copy a configuration went through. */
export interface LineageEntry {
  version: number;
  checksum: string;
}

/** A configuration sent by the coordinator to be taken whole. */
export interface ConfigCommit {
  config: MainConfig;
  lineage: LineageEntry[];
  cause: string;
}

/** How changes reach the other nodes; set by the cluster layer (a single node replicates to nobody). */
export interface ConfigReplication {
  /** The node that orders changes now. */
  coordinator(): string;
  /** Highest ConfigVersion another RUNNING node is known to hold (a new version is above it). */
  peerVersion(): number;
  /**
   * Makes the commit durable on every other RUNNING node. Resolves with the
   * nodes that confirmed and those skipped because they are not RUNNING;
   * rejects when a RUNNING node did not confirm (then nothing is written here).
   */
  replicate(commit: ConfigCommit): Promise<{ confirmedBy: string[]; skipped: string[] }>;
  /** The same for a shared document of config/ other than main.json (users.json). */
  replicateDocument(document: SharedDocument): Promise<{ confirmedBy: string[]; skipped: string[] }>;
}

export interface ChangeOptions {
  cause: string;
  /** Refuse with CONFLICT unless the configuration is at this version. */
  ifVersion?: number;
}

export interface ChangeResult {
  changed: boolean;
  ConfigVersion: number;
  /** Nodes that hold the change durably (this one included). */
  committedOn: string[];
  /** RUNNING-less nodes that did not get it now (they take it when they rejoin). */
  notOn: string[];
}

export interface ConfigStoreEvents {
  /** The running configuration was replaced (a local change or one taken from the coordinator). */
  replaced: [config: MainConfig, before: MainConfig, cause: string, kind: 'CHANGED' | 'ADOPTED'];
  /** A fact worth an event: rule and message (the engine records it). */
  fact: [rule: string, message: string, facts: Record<string, unknown>];
}

const LINEAGE_MAX = 200;

export class ConfigStore extends EventEmitter<ConfigStoreEvents> {
  private config!: MainConfig;
  private sum = '';
  private history: LineageEntry[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly inTransaction = new AsyncLocalStorage<boolean>();
  replication: ConfigReplication;

  constructor(
    readonly path: string,
    private readonly localNode: () => string,
  ) {
    super();
    // A single node replicates to nobody; the cluster layer replaces this.
    const nobody = async () => ({ confirmedBy: [], skipped: [] });
    this.replication = { coordinator: () => this.localNode(), peerVersion: () => 0, replicate: nobody, replicateDocument: nobody };
  }

  get current(): MainConfig {
    return this.config;
  }

  get checksum(): string {
    return this.sum;
  }

  get version(): number {
    return this.config.ConfigVersion;
  }

  get lineage(): LineageEntry[] {
    return this.history;
  }

  private get lineagePath(): string {
    return join(dirname(this.path), `.${basename(this.path, '.json')}.lineage.json`);
  }

  /** Reads main.json (validated) and the lineage kept beside it. */
  async load(): Promise<MainConfig> {
    const config = await loadConfigFile(this.path);
    this.config = config;
    this.sum = configChecksum(config);
    let saved: LineageEntry[] = [];
    try {
      const parsed = JSON.parse(await readFile(this.lineagePath, 'utf8')) as unknown;
      if (Array.isArray(parsed)) saved = parsed.filter((e): e is LineageEntry => typeof e?.version === 'number' && typeof e?.checksum === 'string');
    } catch {
      // none yet, or unreadable: the lineage starts at this copy
    }
    const last = saved[saved.length - 1];
    this.history = last && last.version === config.ConfigVersion && last.checksum === this.sum ? saved : [...saved.filter((e) => e.version < config.ConfigVersion), { version: config.ConfigVersion, checksum: this.sum }];
    return config;
  }

  /**
   * Runs `work` alone: no other change (local, forwarded or taken from the
   * coordinator) runs meanwhile, so checks made inside hold for the change.
   * Nested calls (a change inside a transaction) run in the transaction.
   */
  transaction<T>(work: () => Promise<T>, ifVersion?: number): Promise<T> {
    const guarded = async () => {
      if (ifVersion !== undefined && ifVersion !== this.config.ConfigVersion) throw conflictError(ifVersion, this.config.ConfigVersion);
      return work();
    };
    if (this.inTransaction.getStore()) return guarded();
    const next = this.queue.catch(() => undefined).then(() => this.inTransaction.run(true, guarded));
    this.queue = next;
    return next;
  }

  /** True when this node orders the changes (the others forward theirs to it). */
  isCoordinator(): boolean {
    return this.replication.coordinator() === this.localNode();
  }

  /**
   * Applies a change to a copy of the configuration; the copy must validate
   * before it replaces the running one, on every RUNNING node (nothing half
   * applied). A change that changes nothing writes nothing.
   */
  change(mutate: (draft: MainConfig) => void, options: ChangeOptions): Promise<ChangeResult> {
    return this.transaction(async () => {
      const coordinator = this.replication.coordinator();
      if (coordinator !== this.localNode()) {
        throw new MccsError('CONFLICT', `configuration changes are ordered by ${coordinator}, not ${this.localNode()}`, ['retry: the command is forwarded to the coordinating node']);
      }
      const draft = cloneConfig(this.config);
      mutate(draft);
      draft.ConfigVersion = this.config.ConfigVersion;
      if (JSON.stringify(draft) === JSON.stringify(this.config)) return { changed: false, ConfigVersion: this.config.ConfigVersion, committedOn: [], notOn: [] };
      draft.ConfigVersion = Math.max(this.config.ConfigVersion, this.replication.peerVersion()) + 1;
      const result = validateConfig(draft);
      if (!result.ok) {
        throw new MccsError('INVALID', `the change would make the configuration invalid:\n  ${result.errors.map((e) => `${e.path}: ${e.message}`).join('\n  ')}`, ['nothing was changed'], result.errors);
      }
      return this.commit(draft, options.cause);
    }, options.ifVersion);
  }

  /** Commits a validated configuration: the other RUNNING nodes first, then here. */
  private async commit(config: MainConfig, cause: string, retried = false): Promise<ChangeResult> {
    const checksum = configChecksum(config);
    const lineage = [...this.history, { version: config.ConfigVersion, checksum }].slice(-LINEAGE_MAX);
    let reached: { confirmedBy: string[]; skipped: string[] };
    try {
      reached = await this.replication.replicate({ config, lineage, cause });
    } catch (e) {
      if (e instanceof VersionConflict && !retried && e.version >= config.ConfigVersion) return this.commit({ ...config, ConfigVersion: e.version + 1 }, cause, true);
      if (e instanceof MccsError) throw e; // the cluster layer said exactly what happened
      throw new MccsError('UNREACHABLE', `configuration version ${config.ConfigVersion} was not committed: ${(e as Error).message}`, ['nothing was changed here; retry when both nodes are RUNNING', 'mccluster status']);
    }
    const before = this.config;
    await this.install(config, checksum, lineage);
    this.emit('replaced', config, before, cause, 'CHANGED');
    const alone = reached.skipped.length > 0;
    this.emit(
      'fact',
      alone ? 'CONFIG_CHANGED_ALONE' : 'CONFIG_CHANGED',
      `configuration changed to version ${config.ConfigVersion} (${cause})${alone ? `; committed on ${[this.localNode(), ...reached.confirmedBy].join(', ')} only: ${reached.skipped.join(', ')} not RUNNING, takes it when it rejoins` : ''}`,
      { ConfigVersion: config.ConfigVersion, checksum, committedOn: [this.localNode(), ...reached.confirmedBy], notOn: reached.skipped },
    );
    return { changed: true, ConfigVersion: config.ConfigVersion, committedOn: [this.localNode(), ...reached.confirmedBy], notOn: reached.skipped };
  }

  /**
   * A commit from another node. Taken when it comes from the coordinator and
   * is newer than this copy (a copy that does not descend from this one is
   * set aside first); refused with this node's version otherwise, so the
   * coordinator can commit above it.
   */
  acceptCommit(commit: ConfigCommit, from: string, fromCoordinator: boolean): Promise<{ ConfigVersion: number; checksum: string }> {
    return this.transaction(async () => {
      const checksum = configChecksum(commit.config);
      if (checksum === this.sum && commit.config.ConfigVersion === this.config.ConfigVersion) return { ConfigVersion: this.config.ConfigVersion, checksum };
      if (!fromCoordinator) {
        throw new MccsError('CONFLICT', `${from} is not the coordinating node for ${this.localNode()} (${this.replication.coordinator()} is)`, [], { ConfigVersion: this.config.ConfigVersion, checksum: this.sum });
      }
      if (commit.config.ConfigVersion <= this.config.ConfigVersion) {
        throw new MccsError('CONFLICT', `version ${commit.config.ConfigVersion} from ${from} is not above ${this.localNode()}'s version ${this.config.ConfigVersion}`, [], { ConfigVersion: this.config.ConfigVersion, checksum: this.sum });
      }
      await this.take(commit.config, checksum, commit.lineage, `change made on ${from} (${commit.cause})`);
      return { ConfigVersion: this.config.ConfigVersion, checksum };
    });
  }

  /**
   * A copy fetched from a peer (joining, or catching up after a partition).
   * Taken when it descends from this copy, or when `wins` (the coordinator's
   * copy after a divergence, the RUNNING node's copy for a joining node).
   * Returns what happened.
   */
  adopt(config: MainConfig, lineage: LineageEntry[], from: string, wins: boolean): Promise<'SAME' | 'TAKEN' | 'KEPT'> {
    return this.transaction(async () => {
      const v = validateConfig(config);
      if (!v.ok) {
        this.emit('fact', 'CONFIG_REFUSED', `configuration version ${config.ConfigVersion} from ${from} is invalid here: ${v.errors.map((x) => `${x.path}: ${x.message}`).join('; ')}`, { from });
        return 'KEPT';
      }
      const checksum = configChecksum(config);
      if (checksum === this.sum && config.ConfigVersion === this.config.ConfigVersion) return 'SAME';
      const relation = relate(this.history, lineage);
      if (relation === 'AHEAD' || (relation !== 'BEHIND' && !wins)) return 'KEPT';
      await this.take(config, checksum, lineage, `copy of ${from}`);
      return 'TAKEN';
    });
  }

  /** Takes another node's copy; a copy this one does not lead to is set aside first (never lost). */
  private async take(config: MainConfig, checksum: string, lineage: LineageEntry[], cause: string): Promise<void> {
    const descends = lineage.some((e) => e.version === this.config.ConfigVersion && e.checksum === this.sum);
    let asidePath: string | undefined;
    if (!descends) {
      asidePath = join(dirname(this.path), `main.json.diverged-v${this.config.ConfigVersion}-${this.sum}`);
      try {
        await writeConfigFile(asidePath, this.config);
      } catch (e) {
        asidePath = undefined;
        this.emit('fact', 'CONFIG_SET_ASIDE_FAILED', `could not keep version ${this.config.ConfigVersion} (${this.sum}) beside main.json: ${(e as Error).message}`, {});
      }
    }
    const before = { version: this.config.ConfigVersion, checksum: this.sum };
    const previous = this.config;
    await this.install(config, checksum, lineage);
    this.emit('replaced', config, previous, cause, 'ADOPTED');
    this.emit(
      'fact',
      'CONFIG_ADOPTED',
      `configuration version ${config.ConfigVersion} adopted (${cause})${descends ? '' : `; the local version ${before.version} (${before.checksum}) did not lead to it and is kept as ${asidePath ?? '(could not be written)'}`}`,
      { ConfigVersion: config.ConfigVersion, checksum, previous: before, ...(asidePath ? { setAside: asidePath } : {}) },
    );
  }

  private async install(config: MainConfig, checksum: string, lineage: LineageEntry[]): Promise<void> {
    await writeConfigFile(this.path, config);
    this.config = config;
    this.sum = checksum;
    this.history = lineage.slice(-LINEAGE_MAX);
    // The lineage only sharpens divergence handling: a failed write of it costs nothing else.
    await writeDurable(this.lineagePath, `${JSON.stringify(this.history)}\n`, 0o644).catch(() => undefined);
  }

  /**
   * Replaces a shared document (users.json) on every RUNNING node, then here;
   * like a configuration change, only on the coordinator and in its order.
   */
  putDocument(document: SharedDocument, cause: string): Promise<void> {
    return this.transaction(async () => {
      if (!this.isCoordinator()) throw new MccsError('CONFLICT', `changes are ordered by ${this.replication.coordinator()}, not ${this.localNode()}`, ['retry: the command is forwarded to the coordinating node']);
      try {
        await this.replication.replicateDocument(document);
      } catch (e) {
        throw new MccsError('UNREACHABLE', `${document.name} was not changed: ${(e as Error).message}`, ['nothing was changed here; retry when both nodes are RUNNING']);
      }
      await this.writeDocument(document);
      this.emit('fact', 'DOCUMENT_CHANGED', `${document.name} changed (${cause})`, { document: document.name });
    });
  }

  /** A shared document sent by the coordinator (or fetched when joining). */
  acceptDocument(document: SharedDocument, from: string, fromCoordinator: boolean): Promise<void> {
    return this.transaction(async () => {
      if (!fromCoordinator) throw new MccsError('CONFLICT', `${from} is not the coordinating node for ${this.localNode()}`);
      await this.writeDocument(document);
    });
  }

  documentPath(name: SharedDocumentName): string {
    return join(dirname(this.path), name);
  }

  private writeDocument(document: SharedDocument): Promise<void> {
    return writeSharedDocument(dirname(this.path), document);
  }

  /** The coordinator re-commits its own copy above every version seen, to end a divergence. */
  recommit(cause: string): Promise<ChangeResult> {
    return this.transaction(async () => {
      const draft = cloneConfig(this.config);
      draft.ConfigVersion = Math.max(this.config.ConfigVersion, this.replication.peerVersion()) + 1;
      return this.commit(draft, cause);
    });
  }
}

/** How a copy with lineage `theirs` relates to ours. */
export function relate(ours: LineageEntry[], theirs: LineageEntry[]): 'SAME' | 'BEHIND' | 'AHEAD' | 'DIVERGED' {
  const mine = ours[ours.length - 1];
  const other = theirs[theirs.length - 1];
  if (!mine || !other) return 'DIVERGED';
  if (mine.version === other.version && mine.checksum === other.checksum) return 'SAME';
  if (theirs.some((e) => e.version === mine.version && e.checksum === mine.checksum)) return 'BEHIND';
  if (ours.some((e) => e.version === other.version && e.checksum === other.checksum)) return 'AHEAD';
  return 'DIVERGED';
}

/** A node refused a commit because it holds this version or a newer one: commit above it. */
export class VersionConflict extends Error {
  constructor(
    readonly node: string,
    readonly version: number,
    message: string,
  ) {
    super(`${node}: ${message}`);
  }
}

export function conflictError(wanted: number, actual: number): MccsError {
  return new MccsError('CONFLICT', `the configuration is at version ${actual}, not ${wanted}: it was changed meanwhile`, ['read it again (mccluster status), then retry with --if-version ' + actual], { ConfigVersion: actual });
}
