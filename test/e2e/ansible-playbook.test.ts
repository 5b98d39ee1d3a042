// Ansible (issue 14): the real `ansible-playbook` (Debian ansible-core) runs
// contrib/ansible/site.yml against the two lab nodes, reached through
// Ansible's local connection with every mccs task entering its node's
// namespaces (nsenter into the node's init: network, PID, mount). It
// installs mccs (npm, into a temporary prefix), runs `mccs init` on node1,
// starts its engine, joins node2 with a one-time token and the pinned
// fingerprint, and manages a group with a resource and a dependency through
// --json. A second run reports changed=0 on both hosts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootNode, createLab, destroyLab, type Lab } from '../lab/lab.js';
import { IS_ROOT } from '../helpers/cluster-lab.js';
import { ROOT, rpcAt, waitFor } from '../helpers/engine-harness.js';

const PLAYBOOK = '/usr/bin/ansible-playbook';
const HAVE = existsSync(PLAYBOOK);
if (!IS_ROOT) console.log('ansible-playbook.test: skipped: the lab needs root (network, PID and mount namespaces)');
else if (!HAVE) console.log('ansible-playbook.test: skipped: /usr/bin/ansible-playbook is missing (apt-get install ansible-core; scripts/debian-packages.txt)');

interface Recap {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
}

function recap(stdout: string): Record<string, Recap> {
  const out: Record<string, Recap> = {};
  for (const m of stdout.matchAll(/^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    out[m[1]!] = { ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) };
  }
  return out;
}

describe.skipIf(!IS_ROOT || !HAVE)('contrib/ansible/site.yml with the real ansible-playbook against the two lab nodes', () => {
  let lab: Lab;
  const dir = mkdtempSync(join(tmpdir(), 'mccs-ansible-'));
  const prefix = join(dir, 'prefix');
  const inventory = join(dir, 'inventory.yml');

  // The play must touch nothing of this host outside the lab and the prefix.
  const hostPaths = ['/opt/mccs', '/usr/local/bin/mccs', '/usr/local/lib/node_modules/mccs'];
  const before = hostPaths.map((p) => existsSync(p));
  const untouched = () => expect(hostPaths.map((p) => existsSync(p))).toEqual(before);

  const play = () =>
    spawnSync(PLAYBOOK, ['-i', inventory, join(ROOT, 'contrib/ansible/site.yml')], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-tmp'), ANSIBLE_REMOTE_TEMP: join(dir, 'ansible-tmp'), HOME: dir, ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' },
    });

  beforeAll(async () => {
    lab = await createLab({ id: `an${process.pid % 100000}` });
    for (const n of ['node1', 'node2'] as const) await bootNode(lab, n);
    const enter = (n: 'node1' | 'node2') => ['nsenter', '-t', String(lab.nodes[n].init!.initPid), '-n', '-p', '-m', '-u', '-i', '--'];
    const host = (n: 'node1' | 'node2') => ({ ansible_connection: 'local', mccs_node: n, mccs_home: lab.nodes[n].home, mccs_enter: enter(n), mccs_engine_start: [process.execPath, join(ROOT, 'test/lab/engine-start.mjs'), n] });
    const inv = {
      mccs: {
        hosts: { node1: host('node1'), node2: host('node2') },
        vars: {
          mccs_source: ROOT,
          mccs_prefix: prefix,
          mccs_first_node: 'node1',
          mccs_no_log: false,
          mccs_admin_password: 'ansible-Admin-1',
          mccs_init_args: ['--template', 'ip-process', '--cluster-name', 'ansible', '--node1', 'node1', '--node2', 'node2', '--node1-primary-hb', '10.213.0.1', '--node2-primary-hb', '10.213.0.2', '--node1-secondary-hb', '10.213.1.1', '--node2-secondary-hb', '10.213.1.2', '--isolation-addresses', '10.213.0.254', '--vip', '10.213.0.100', '--set', 'PROCESS_PATH=/bin/sleep', '--set', 'PROCESS_ARGS=1000000'],
          mccs_groups: [
            {
              name: 'batch',
              attributes: ['NodeList=node1,node2', 'AutoStart=false'],
              resources: [
                { name: 'batch-base', type: 'Process', attributes: ['Path=/bin/sleep', 'Arguments=2000001'] },
                { name: 'batch-worker', type: 'Process', attributes: ['Path=/bin/sleep', 'Arguments=2000002'] },
              ],
              dependencies: [{ parent: 'batch-worker', child: 'batch-base' }],
              online_on: 'node2',
            },
          ],
        },
      },
    };
    // JSON is YAML.
    writeFileSync(inventory, JSON.stringify(inv, null, 2));
  }, 60_000);

  afterAll(async () => {
    if (lab) await destroyLab(lab);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first run installs, builds the cluster, joins node2 and creates the group: changes on both hosts', async () => {
    const r = play();
    const text = `${r.stdout}\n${r.stderr}`;
    expect(r.status, text.slice(-6000)).toBe(0);
    const first = recap(r.stdout);
    expect(first.node1?.failed, text.slice(-3000)).toBe(0);
    expect(first.node1?.changed).toBeGreaterThan(0);
    expect(first.node2?.changed).toBeGreaterThan(0);
    expect(existsSync(join(prefix, 'bin', 'mccs'))).toBe(true);
    untouched();

    // What the engines say: both RUNNING; the group from the play online on node2 with its dependency.
    const sock = (n: 'node1' | 'node2') => join(lab.nodes[n].home, 'run', 'mccs.sock');
    const status = await rpcAt<{ nodes: { NodeName: string; state: string }[] }>(sock('node2'), 'cluster.status');
    expect(status.ok && status.result.nodes.map((n) => `${n.NodeName}:${n.state}`)).toEqual(['node1:RUNNING', 'node2:RUNNING']);
    await waitFor('batch ONLINE on node2', async () => {
      const s = await rpcAt<{ GroupName: string; node: string; state: string }[]>(sock('node1'), 'grp.state', { group: 'batch' });
      return s.ok && s.result.find((x) => x.node === 'node2')?.state === 'ONLINE';
    }, 20_000);
    const main1 = JSON.parse(readFileSync(join(lab.nodes.node1.home, 'config/main.json'), 'utf8'));
    const main2 = JSON.parse(readFileSync(join(lab.nodes.node2.home, 'config/main.json'), 'utf8'));
    expect(main2.ConfigVersion).toBe(main1.ConfigVersion);
    const batch = main1.Groups.find((g: { GroupName: string }) => g.GroupName === 'batch');
    expect(batch.Dependencies).toEqual([expect.objectContaining({ Parent: 'batch-worker', Child: 'batch-base' })]);
  }, 320_000);

  it('the second run changes nothing (changed=0 on both hosts)', () => {
    const r = play();
    expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-6000)).toBe(0);
    const again = recap(r.stdout);
    expect(again.node1).toMatchObject({ changed: 0, failed: 0 });
    expect(again.node2).toMatchObject({ changed: 0, failed: 0 });
    untouched();
  }, 320_000);
});
