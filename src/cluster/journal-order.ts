// The order of configuration changes in a cluster of more than two nodes
// (issue 16): every commit is first appended to the configuration journal on
// etcd (src/witness/config-journal.ts), under a compare on the revision this
// node last saw, and only then sent to the peers. Two coordinators (a
// partition, a change of coordinator) can never both commit on the same base:
// the second is refused, catches up and the change is retried by its
// operator. A pair keeps the two-node rules (no journal).
import type { ConfigCommit, ConfigStore } from '../engine/config-store.js';
import { MccsError } from '../model/errors.js';
import type { MainConfig } from '../model/types.js';
import { catchUpFromJournal, ConfigJournal, JournalConflict, type CatchUp } from '../witness/config-journal.js';
import { witnessSettings } from '../witness/settings.js';

/** The journal orders changes once the cluster has more than two nodes and an etcd witness. */
export function journalOrdered(config: MainConfig): boolean {
  return config.Nodes.length > 2 && witnessSettings(config).type === 'etcd';
}

export class JournalOrder {
  /** The journal's revision this node last saw ('0': empty or not read yet). */
  revision = '0';
  private journal?: ConfigJournal;

  constructor(
    private readonly store: ConfigStore,
    private readonly node: string,
    private readonly config: () => MainConfig,
  ) {}

  private open(): ConfigJournal {
    this.journal ??= new ConfigJournal(witnessSettings(this.config()), { node: this.node });
    return this.journal;
  }

  get active(): boolean {
    return journalOrdered(this.config());
  }

  /** Before this node runs anything: the journal's copy when it is newer than ours. */
  async catchUp(): Promise<CatchUp> {
    const r = await catchUpFromJournal(this.open(), this.store);
    this.revision = r.revision;
    return r;
  }

  /** Appends a commit; a stale revision on the same base is refreshed once, a different base is refused. */
  async append(commit: ConfigCommit): Promise<void> {
    const journal = this.open();
    for (let attempt = 0; ; attempt += 1) {
      try {
        this.revision = await journal.append(commit, this.revision);
        return;
      } catch (e) {
        if (!(e instanceof JournalConflict)) throw new MccsError('UNREACHABLE', `configuration version ${commit.config.ConfigVersion} was not committed: the configuration journal did not take it (${(e as Error).message})`, ['nothing was changed; retry when the witness answers (mccs witness check)']);
        const stored = e.stored;
        const onBase = stored === undefined || commit.lineage.some((l) => l.version === stored.ConfigVersion && l.checksum === stored.checksum);
        if (onBase && attempt === 0) {
          // Our copy is the journal's: only the revision we knew was old (another node committed before we became coordinator).
          this.revision = stored?.revision ?? '0';
          continue;
        }
        await this.catchUp().catch(() => undefined);
        throw new MccsError('CONFLICT', `configuration version ${commit.config.ConfigVersion} was not committed: the journal holds version ${stored?.ConfigVersion ?? '?'}${stored?.committedBy ? ` committed by ${stored.committedBy}` : ''}, which this change was not made on; this node took it`, ['look at the configuration again (mcgrp -list, mccluster status) and retry the change'], { ConfigVersion: stored?.ConfigVersion });
      }
    }
  }

  close(): void {
    this.journal?.close();
  }
}
