// Files that must survive a crash whole (main.json, users.json, the cluster
// secret, agents' state records): the new content goes to a temporary file in
// the same directory, is fsynced, renamed over the old file, and the
// directory is fsynced so that the rename itself is on disk. A crash leaves
// the old file or the new one, never half of one, and a change answered as
// done is still there after a power cut. write-file-atomic does all but the
// last step.
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

export async function writeDurable(path: string, data: string | Buffer, mode: number): Promise<void> {
  await writeFileAtomic(path, data, { fsync: true, mode });
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
