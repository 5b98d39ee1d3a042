// mccs init uses discovery (issue 13): by flags, an answer naming a device,
// directory or interface this host does not have is reported at once as a
// warning (exit 0: a shared disk may not be attached yet); the next steps
// lead with mccs join-token.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/engine-harness.js';

const run = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), 'mccs-init-disc-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const answers = ['--cluster-name', 'shop', '--node1', 'db1', '--node2', 'db2', '--node1-primary-hb', '10.0.0.1', '--node2-primary-hb', '10.0.0.2', '--vip', '10.0.0.100'];

async function init(extra: string[]): Promise<{ ok: boolean; result: { warnings: string[]; nextSteps: string[] } }> {
  const pw = join(home, 'pw');
  writeFileSync(pw, 'Admin-Secret-1\n');
  const { stdout } = await run(process.execPath, [join(ROOT, 'bin/mccs.js'), 'init', '--non-interactive', '--json', '--home', join(home, 'h'), '--admin-password-file', pw, ...answers, ...extra], { env: { ...process.env, NODE_ENV: '' }, timeout: 120_000 });
  return JSON.parse(stdout.split('\n')[0]!);
}

describe('mccs init with discovery', () => {
  it('warns at once about /dev/nonexistent as the shared disk and an interface this host does not have', async () => {
    const r = await init(['--template', 'postgresql-shared-disk', '--device', '/dev/nonexistent', '--mount-point', '/srv/pg', '--set', 'DATA_DIR=/srv/pg/data', '--nic', 'nosuchnic0', '--dry-run']);
    expect(r.ok).toBe(true);
    expect(r.result.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^DEVICE: the device \/dev\/nonexistent does not exist on this host/), expect.stringMatching(/^NIC: there is no interface nosuchnic0 on this host/)]));
  }, 120_000);

  it('the next steps lead with mccs join-token, copying the secret by hand comes after', async () => {
    const r = await init(['--template', 'ip-process', '--nic', 'lo', '--node', 'db1']);
    expect(r.ok).toBe(true);
    const steps = r.result.nextSteps;
    const token = steps.findIndex((s) => s.includes('mccs join-token'));
    const copy = steps.findIndex((s) => s.includes('cluster.key'));
    expect(token).toBeGreaterThanOrEqual(0);
    expect(copy).toBeGreaterThan(token);
  }, 120_000);
});
