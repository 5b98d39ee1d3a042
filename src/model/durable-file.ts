// Files that must survive a crash whole (main.json, users.json, the cluster
// secret, agents' state records): the new content goes to a temporary file in
// the same directory, is fsynced, renamed over the old file, and the
// directory is fsynced so that the rename itself is on disk. A crash leaves
// the old file or the new one, never half of one, and a change answered as
// done is still there after a power cut. write-file-atomic does all but the
// last step. A file another OS user must own (a PostgreSQL data directory's
// files belong to the server's user) is given to that owner before the
// rename, so it never appears with the wrong one.
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** The OS user and group a file is given to. */
export interface FileOwner {
  uid: number;
  gid: number;
}

/** Without `owner`, a file that exists keeps its owner (write-file-atomic's rule), a new one is the process's. */
export async function writeDurable(path: string, data: string | Buffer, mode: number, owner?: FileOwner): Promise<void> {
  await writeFileAtomic(path, data, { fsync: true, mode, ...(owner ? { chown: owner } : {}) });
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync().catch(unsupported);
  } finally {
    await dir.close();
  }
}

/** The same, for the few callers that cannot wait (a secret written before anything else runs). */
export function writeDurableSync(path: string, data: string | Buffer, mode: number): void {
  writeFileAtomic.sync(path, data, { fsync: true, mode });
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } catch (e) {
    unsupported(e);
  } finally {
    closeSync(dir);
  }
}

/** A file system that cannot fsync a directory still renamed atomically: only real I/O errors count. */
function unsupported(e: unknown): void {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EBADF') throw e;
}
