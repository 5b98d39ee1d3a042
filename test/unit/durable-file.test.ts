// model/durable-file.ts: the one way a file that must survive a crash is
// written (temporary file, fsync, rename, fsync of the directory), with the
// owner a file must have before it appears (a PostgreSQL data directory's
// files belong to the server's OS user).
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDurable, writeDurableSync } from '../../src/model/durable-file.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('durable-file: the owner case skipped: needs root (chown)');
const dir = mkdtempSync(join(tmpdir(), 'mccs-durable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('durable files', () => {
  it('replaces the content whole, with the mode asked, and leaves no temporary file', async () => {
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old\n');
    await writeDurable(file, 'new\n', 0o600);
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeDurableSync(file, 'newer\n', 0o644);
    expect(readFileSync(file, 'utf8')).toBe('newer\n');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it.skipIf(!isRoot)('gives a file to the owner asked; rewritten without one, it keeps its owner (root only: chown)', async () => {
    const file = join(dir, 'postgresql.auto.conf');
    await writeDurable(file, "wal_keep_size = '512MB'\n", 0o600, { uid: 65534, gid: 65534 });
    expect([statSync(file).uid, statSync(file).gid]).toEqual([65534, 65534]);
    await writeDurable(file, "wal_keep_size = '1GB'\n", 0o600);
    expect([statSync(file).uid, statSync(file).gid]).toEqual([65534, 65534]);
    chownSync(file, 0, 0);
    await writeDurable(file, '', 0o600, { uid: 65534, gid: 65534 });
    expect(statSync(file).uid).toBe(65534);
  });
});
