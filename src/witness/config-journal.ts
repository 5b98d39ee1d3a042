// The configuration journal on etcd (issue 16): the order of configuration
// changes for a cluster of more than two nodes.
//
// Every committed change of main.json is written whole to PREFIX/config by
// one etcd transaction that succeeds only if the key's mod revision is still
// the one its writer last saw ('0': the key must not exist yet). So every
// change gets its own etcd revision, the revisions give one total order
// whichever node wrote, and a writer that missed a change is refused with the
// ConfigVersion it missed (JournalConflict) instead of writing over it. A
// node that was away reads latest() before it runs anything and adopts the
// copy when it is newer than its own (catchUpFromJournal).
//
// main.json stays the file operators edit and, once a change is committed,
// the authoritative copy on every node; the journal only orders the changes
// and holds the last committed copy (etcd's own history keeps the earlier
// revisions until it is compacted).
import { Ajv, type ErrorObject } from 'ajv';
import { configChecksum } from '../model/config-checksum.js';
import type { MainConfig } from '../model/types.js';
import type { ConfigCommit, ConfigStore, LineageEntry } from '../engine/config-store.js';
import { VersionConflict } from '../engine/config-store.js';
import { EtcdStore, type StoredKey, type WitnessStore } from './etcd-store.js';
import type { WitnessSettings } from './settings.js';

/** What PREFIX/config holds: one committed copy of main.json. */
export interface JournalEntry {
  /** Format of this record (1). */
  format: 1;
  ConfigVersion: number;
  /** configChecksum(config). */
  checksum: string;
  config: MainConfig;
  /** The copies this one descends from, ending with (ConfigVersion, checksum). */
  lineage: LineageEntry[];
  cause: string;
  /** The node that committed it ('' when not told). */
  committedBy: string;
  /** Wall-clock time of the commit on that node (ISO 8601; information only, never compared). */
  committedAt: string;
}

/** The stored copy with the etcd revision of the change that wrote it. */
export interface JournalCopy extends JournalEntry {
  /** Mod revision of PREFIX/config (a decimal string: etcd's int64): pass it to the next append. */
  revision: string;
}

/** etcd refuses requests over --max-request-bytes (1.5 MiB by default); the key and the envelope need some room. */
export const JOURNAL_MAX_BYTES = 1_400_000;

/** The compare failed: PREFIX/config changed since the writer read it (or the writer expected it absent). */
export class JournalConflict extends Error {
  constructor(
    /** The revision the writer expected ('0': absent). */
    readonly expectedRevision: string,
    /** What the journal holds now (undefined: the key is absent). */
    readonly stored: Pick<JournalCopy, 'revision' | 'ConfigVersion' | 'checksum' | 'committedBy'> | undefined,
  ) {
    super(
      stored
        ? `the configuration journal holds version ${stored.ConfigVersion} (checksum ${stored.checksum}, etcd revision ${stored.revision}${stored.committedBy ? `, committed by ${stored.committedBy}` : ''}), not the copy at etcd revision ${expectedRevision} this change was made on`
        : `the configuration journal is empty, but this change was made on the copy at etcd revision ${expectedRevision} (the key was removed)`,
    );
    this.name = 'JournalConflict';
  }

  /** ConfigVersion the journal holds (0 when empty). */
  get version(): number {
    return this.stored?.ConfigVersion ?? 0;
  }

  /** The same refusal in config-store's terms (ConfigStore.commit maps it to CONFLICT). */
  toVersionConflict(): VersionConflict {
    return new VersionConflict(this.stored?.committedBy || 'etcd', this.version, this.message);
  }
}

/** etcd did not answer within the deadline (or refused the connection). */
export class JournalUnreachable extends Error {
  constructor(
    readonly endpoints: string[],
    readonly timeoutMs: number,
    readonly reason: string,
  ) {
    super(`the configuration journal on etcd (${endpoints.join(', ')}) did not answer within ${timeoutMs} ms: ${reason}`);
    this.name = 'JournalUnreachable';
  }
}

/** What PREFIX/config holds is not a journal record (written by something else, or damaged), or a record cannot be written. */
export class JournalInvalid extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalInvalid';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const entryShape = ajv.compile({
  type: 'object',
  required: ['format', 'ConfigVersion', 'checksum', 'config', 'lineage', 'cause', 'committedBy', 'committedAt'],
  properties: {
    format: { const: 1 },
    ConfigVersion: { type: 'integer', minimum: 0 },
    checksum: { type: 'string', pattern: '^[0-9a-f]{16}$' },
    config: { type: 'object', required: ['ConfigVersion'], properties: { ConfigVersion: { type: 'integer', minimum: 0 } } },
    lineage: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', required: ['version', 'checksum'], properties: { version: { type: 'integer', minimum: 0 }, checksum: { type: 'string' } } },
    },
    cause: { type: 'string' },
    committedBy: { type: 'string' },
    committedAt: { type: 'string' },
  },
});

const ajvText = (errors: ErrorObject[] | null | undefined): string => (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');

export interface ConfigJournalOptions {
  /** This node's name, recorded with each commit it writes. */
  node?: string;
  /** The etcd client (default: a new EtcdStore on the witness settings; closed with the journal). Share the witness's to keep one connection. */
  store?: WitnessStore;
  /** Deadline of one round trip (default: WitnessTTL, at least 500 ms). */
  timeoutMs?: number;
}

/** One round trip's deadline: a whole WitnessTTL (a commit is rare, and may carry the first connection to etcd). */
export function journalTimeoutMs(ttlMs: number): number {
  return Math.max(500, ttlMs);
}

export class ConfigJournal {
  readonly key: string;
  readonly timeoutMs: number;
  private readonly store: WitnessStore;
  private readonly ownsStore: boolean;
  private readonly node: string;

  constructor(
    readonly settings: WitnessSettings,
    options: ConfigJournalOptions = {},
  ) {
    if (settings.type !== 'etcd' || settings.endpoints.length === 0) throw new JournalInvalid('the configuration journal needs WitnessType etcd and at least one WitnessEndpoints URL');
    this.key = `${settings.prefix}/config`;
    this.timeoutMs = options.timeoutMs ?? journalTimeoutMs(settings.ttlMs);
    this.ownsStore = options.store === undefined;
    this.store = options.store ?? new EtcdStore(settings);
    this.node = options.node ?? '';
  }

  /**
   * Writes the committed copy, in one transaction, only if PREFIX/config's
   * mod revision is still `expectedRevision` ('0': absent). Resolves with the
   * etcd revision of this change. Rejects with JournalConflict (carrying the
   * stored ConfigVersion) when another change came first, JournalUnreachable
   * when etcd does not answer in time, JournalInvalid when the commit is not
   * a consistent copy or is too large for etcd. Appending the same copy again
   * (after an answer lost on the way back) resolves with its revision.
   */
  async append(commit: ConfigCommit, expectedRevision: string): Promise<string> {
    if (!/^(0|[1-9][0-9]*)$/.test(expectedRevision)) throw new JournalInvalid(`expected revision '${expectedRevision}' is not an etcd revision (a decimal integer, '0' for an empty journal)`);
    const version = commit.config.ConfigVersion;
    const checksum = configChecksum(commit.config);
    const last = commit.lineage[commit.lineage.length - 1];
    if (!last || last.version !== version || last.checksum !== checksum) {
      throw new JournalInvalid(`the lineage of version ${version} does not end with its own copy (version ${version}, checksum ${checksum}); last entry: ${last ? `version ${last.version}, checksum ${last.checksum}` : 'none'}`);
    }
    const entry: JournalEntry = { format: 1, ConfigVersion: version, checksum, config: commit.config, lineage: commit.lineage, cause: commit.cause, committedBy: this.node, committedAt: new Date().toISOString() };
    const value = JSON.stringify(entry);
    const bytes = Buffer.byteLength(value);
    if (bytes > JOURNAL_MAX_BYTES) throw new JournalInvalid(`configuration version ${version} takes ${bytes} bytes in the journal, more than etcd accepts in one request (${JOURNAL_MAX_BYTES} bytes here, etcd's --max-request-bytes 1.5 MiB by default)`);
    const r = await this.call(() => this.store.txn({ expect: { [this.key]: expectedRevision }, put: { [this.key]: value }, del: [], readPrefix: this.key }, this.timeoutMs));
    const stored = r.keys.find((k) => k.key === this.key);
    if (r.succeeded) return stored?.modRevision ?? r.revision;
    if (!stored) throw new JournalConflict(expectedRevision, undefined);
    const copy = this.parse(stored);
    // Our own write, applied while its answer was lost: the same copy is there.
    if (copy.ConfigVersion === version && copy.checksum === checksum) return copy.revision;
    throw new JournalConflict(expectedRevision, { revision: copy.revision, ConfigVersion: copy.ConfigVersion, checksum: copy.checksum, committedBy: copy.committedBy });
  }

  /** The last committed copy and its revision; undefined when nothing was ever committed. Rejects as append does. */
  async latest(): Promise<JournalCopy | undefined> {
    const r = await this.call(() => this.store.txn({ expect: {}, put: {}, del: [], readPrefix: this.key }, this.timeoutMs));
    const stored = r.keys.find((k) => k.key === this.key);
    return stored ? this.parse(stored) : undefined;
  }

  close(): void {
    if (this.ownsStore) this.store.close();
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      const message = ((e as Error).message ?? String(e)).split('\n')[0]!;
      if (/too large|larger than max/i.test(message)) throw new JournalInvalid(`etcd refused the configuration journal's request: ${message}`);
      throw new JournalUnreachable(this.settings.endpoints, this.timeoutMs, message);
    }
  }

  private parse(k: StoredKey): JournalCopy {
    const where = `${this.key} (etcd revision ${k.modRevision})`;
    let value: unknown;
    try {
      value = JSON.parse(k.value);
    } catch (e) {
      throw new JournalInvalid(`${where} is not JSON: ${(e as Error).message}`);
    }
    if (!entryShape(value)) throw new JournalInvalid(`${where} is not a configuration journal record: ${ajvText(entryShape.errors)}`);
    const entry = value as JournalEntry;
    if (entry.config.ConfigVersion !== entry.ConfigVersion) throw new JournalInvalid(`${where}: the record says version ${entry.ConfigVersion} but its configuration is version ${entry.config.ConfigVersion}`);
    const sum = configChecksum(entry.config);
    if (sum !== entry.checksum) throw new JournalInvalid(`${where}: the configuration's checksum is ${sum}, not ${entry.checksum} as recorded (damaged or edited in etcd)`);
    return { ...entry, revision: k.modRevision };
  }
}

/** What catchUpFromJournal did. */
export interface CatchUp {
  /** ABSENT: nothing in the journal; SAME: this node holds it; TAKEN: adopted now; KEPT: this node's copy is ahead of it (or the journal's is invalid here). */
  outcome: 'ABSENT' | 'SAME' | 'TAKEN' | 'KEPT';
  /** The journal's revision ('0' when absent): the expected revision of this node's next append. */
  revision: string;
  ConfigVersion?: number;
}

/**
 * Before a node runs anything (engine start with a witness, REMOTE_BUILD,
 * join): takes the journal's copy when it is newer than this node's (a copy
 * that does not descend from this node's wins, and this node's is kept beside
 * main.json). A copy of this node that is ahead of the journal is kept.
 */
export async function catchUpFromJournal(journal: ConfigJournal, store: ConfigStore): Promise<CatchUp> {
  const copy = await journal.latest();
  if (!copy) return { outcome: 'ABSENT', revision: '0' };
  const from = `the configuration journal (etcd revision ${copy.revision}${copy.committedBy ? `, committed by ${copy.committedBy}` : ''})`;
  const outcome = await store.adopt(copy.config, copy.lineage, from, true);
  return { outcome, revision: copy.revision, ConfigVersion: copy.ConfigVersion };
}
