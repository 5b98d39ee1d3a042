// Configuration files (main.json, users.json, cluster.key) are read only when
// they are what they claim to be: a regular file of bounded size inside
// MCCS_HOME. A symbolic link is followed only when its target is inside
// MCCS_HOME too, so a link planted or left behind cannot make the engine read
// (and quote in an error) some other file of the host, and a FIFO or a device
// cannot hang it.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { limitValue } from '../limits/constants.js';
import { MccsError } from './errors.js';

/** MCCS_HOME of a file in $MCCS_HOME/config/. */
export const homeOfConfigFile = (path: string): string => dirname(dirname(path));

/**
 * Reads `path` (a file under `root`), refusing a symlink that leads outside
 * `root`, anything but a regular file, and files over CONFIG_FILE_MAX_BYTES.
 * ENOENT is thrown as the plain Node error, so callers keep their "missing" handling.
 */
export function readConfinedFile(path: string, root = homeOfConfigFile(path)): Buffer {
  const link = lstatSync(path); // ENOENT goes to the caller as is
  let real = path;
  if (link.isSymbolicLink()) {
    real = realpathSync(path);
    let realRoot = root;
    try {
      realRoot = realpathSync(root);
    } catch {
      // root missing: nothing can be inside it
    }
    if (!real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) {
      throw new MccsError('INVALID', `${path} is a symbolic link to ${real}, outside ${root}: refused`, [`put the file itself at ${path} (or link only to a file inside ${root})`]);
    }
  }
  const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new MccsError('INVALID', `${path} is not a regular file: refused`, [`put a regular file at ${path}`]);
    const max = limitValue('CONFIG_FILE_MAX_BYTES');
    if (st.size > max) throw new MccsError('INVALID', `${path} is ${st.size} bytes, over the limit of ${max}: refused unread`, [`check that ${path} is the right file`]);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
