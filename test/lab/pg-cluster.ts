// A PostgreSQL 15 cluster for the lab, the tests and the benches: initdb run
// as the postgres OS user (found through NSS, src/system/os-user.ts), the
// server listening where the lab reaches it, and a pg_hba.conf that trusts
// the given network only (test setting: no passwords) and rejects the rest.
import { appendFileSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookupUser } from '../../src/system/os-user.js';
import { must } from './exec.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
/** The environment PostgreSQL's tools run with (nothing of the caller's). */
export const PG_ENV = { PATH: '/usr/bin:/bin', LC_ALL: 'C', HOME: '/' };

/** The postgres OS user's ids (Debian package postgresql-15); throws when there is none. */
export function postgresIds(): { uid: number; gid: number } {
  return lookupUser('postgres');
}

/** setpriv's arguments that run the command after them as postgres. */
export function asPostgres(): string[] {
  const { uid, gid } = postgresIds();
  return [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];
}

export interface PgClusterOptions {
  /** The network whose clients are trusted (e.g. 10.213.0.200/32: the lab client); everything else is rejected. */
  trust: string;
  /** Replication connections from `trust` too (a standby's pg_basebackup and streaming, pg_rewind). */
  replication?: boolean;
  /** Data checksums (initdb -k): pg_rewind needs them. */
  checksums?: boolean;
  /** The listening line of postgresql.conf; default: every address. */
  listen?: string;
}

/** A data directory as PostgreSQL wants it: 0700, postgres's (left empty: initPgCluster, or a standby's pg_basebackup, fills it). */
export function makeDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { uid, gid } = postgresIds();
  chownSync(dataDir, uid, gid);
}

/** initdb of a cluster in `dataDir` (made if needed), as postgres. */
export async function initPgCluster(dataDir: string, o: PgClusterOptions): Promise<void> {
  const { uid, gid } = postgresIds();
  makeDataDir(dataDir);
  await must('setpriv', [...asPostgres(), `${PG_BIN}/initdb`, '-D', dataDir, '-U', 'postgres', ...(o.checksums ? ['-k'] : []),
    '--auth-local=trust', '--auth-host=reject', '-E', 'UTF8', '--locale=C'], { env: PG_ENV, timeoutMs: 120_000 });
  appendFileSync(join(dataDir, 'postgresql.conf'), `\n# mccs lab (test only)\n${o.listen ?? "listen_addresses = '*'"}\n`);
  writeFileSync(join(dataDir, 'pg_hba.conf'), [
    'local all all trust',
    `host all all ${o.trust} trust`,
    ...(o.replication ? [`host replication all ${o.trust} trust`] : []),
    'host all all 0.0.0.0/0 reject',
    '',
  ].join('\n'));
  chownSync(join(dataDir, 'pg_hba.conf'), uid, gid);
}

/** A booted node's /run/postgresql (the node's own /run, emptied at every boot): the server's socket directory, postgres's. */
export function makeSocketDir(nodeRun: string): void {
  const { uid, gid } = postgresIds();
  const dir = join(nodeRun, 'postgresql');
  mkdirSync(dir, { recursive: true });
  chownSync(dir, uid, gid);
}
