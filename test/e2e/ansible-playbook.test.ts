// Ansible (issues 14, 16): the real `ansible-playbook` (Debian ansible-core)
// runs contrib/ansible/site.yml against three lab nodes, reached through
// Ansible's local connection with every mccs task entering its node's
// namespaces (nsenter into the node's init: network, PID, mount). It
// installs mccs (npm, into a temporary prefix), runs `mccs init` on node1
// (the pair node1/node2) with the etcd witness of mccs_cluster_attributes
// written into main.json before node1's engine first starts (etcd 3.4 on the
// lab gateway), starts it, joins node2 (listed) and node3 (a NEW node, with
// its heartbeat addresses) one at a time, each with its own one-time token
// and the pinned fingerprint, and manages a group with a resource and a
// dependency through --json, online on node3. A second run reports changed=0
// on every host. Without root, `ansible-playbook --syntax-check` still runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETCD_ENDPOINT, startEtcd } from '../lab/etcd.js';
import { bootNode, createLab, destroyLab, type Lab, type NodeName } from '../lab/lab.js';
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

const NODES: NodeName[] = ['node1', 'node2', 'node3'];

describe.skipIf(!HAVE)('contrib/ansible/site.yml passes ansible-playbook --syntax-check', () => {
  it('with the example inventory (three nodes, the etcd witness)', () => {
    const r = spawnSync(PLAYBOOK, ['--syntax-check', '-i', join(ROOT, 'contrib/ansible/inventory.example.yml'), join(ROOT, 'contrib/ansible/site.yml')], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(tmpdir(), 'mccs-ansible-syntax'), HOME: tmpdir() },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/playbook: .*site\.yml/);
  });
});

describe.skipIf(!IS_ROOT || !HAVE)('contrib/ansible/site.yml with the real ansible-playbook against three lab nodes', () => {
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
    lab = await createLab({ id: `an${process.pid % 100000}`, nodes: 3 });
    for (const n of NODES) await bootNode(lab, n);
    await startEtcd(lab);
    const enter = (n: NodeName) => ['nsenter', '-t', String(lab.nodes[n].init!.initPid), '-n', '-p', '-m', '-u', '-i', '--'];
    const host = (n: NodeName) => ({ ansible_connection: 'local', mccs_node: n, mccs_home: lab.nodes[n].home, mccs_enter: enter(n), mccs_engine_start: [process.execPath, join(ROOT, 'test/lab/engine-start.mjs'), n] });
    const inv = {
      mccs: {
        hosts: {
          node1: host('node1'),
          node2: host('node2'),
          // Not in the pair of mccs_init_args: joins as a NEW node with its heartbeat addresses.
          node3: { ...host('node3'), mccs_primary_hb: '10.213.0.3', mccs_secondary_hb: '10.213.1.3', mccs_isolation_addresses: '10.213.0.254' },
        },
        vars: {
          mccs_source: ROOT,
          mccs_prefix: prefix,
          mccs_first_node: 'node1',
          mccs_no_log: false,
          mccs_admin_password: 'ansible-Admin-1',
          mccs_cluster_attributes: { WitnessType: 'etcd', WitnessEndpoints: ETCD_ENDPOINT, WitnessPrefix: `/mccs-ansible/${process.pid}` },
          mccs_init_args: ['--template', 'ip-process', '--cluster-name', 'ansible', '--node1', 'node1', '--node2', 'node2', '--node1-primary-hb', '10.213.0.1', '--node2-primary-hb', '10.213.0.2', '--node1-secondary-hb', '10.213.1.1', '--node2-secondary-hb', '10.213.1.2', '--isolation-addresses', '10.213.0.254', '--vip', '10.213.0.100', '--set', 'PROCESS_PATH=/bin/sleep', '--set', 'PROCESS_ARGS=1000000'],
          mccs_groups: [
            {
              name: 'batch',
              attributes: ['NodeList=node1,node2,node3', 'AutoStart=false'],
              resources: [
                { name: 'batch-base', type: 'Process', attributes: ['Path=/bin/sleep', 'Arguments=2000001'] },
                { name: 'batch-worker', type: 'Process', attributes: ['Path=/bin/sleep', 'Arguments=2000002'] },
              ],
              dependencies: [{ parent: 'batch-worker', child: 'batch-base' }],
              online_on: 'node3',
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

  it('the first run installs, builds the cluster with its witness, joins node2 and node3 and creates the group: changes on every host', async () => {
    const r = play();
    const text = `${r.stdout}\n${r.stderr}`;
    expect(r.status, text.slice(-6000)).toBe(0);
    const first = recap(r.stdout);
    for (const n of NODES) {
      expect(first[n]?.failed, text.slice(-3000)).toBe(0);
      expect(first[n]?.changed, `${n}: ${text.slice(-3000)}`).toBeGreaterThan(0);
    }
    expect(existsSync(join(prefix, 'bin', 'mccs'))).toBe(true);
    untouched();

    // What the engines say: all three RUNNING on every node; the group from the play online on node3 with its dependency.
    const sock = (n: NodeName) => join(lab.nodes[n].home, 'run', 'mccs.sock');
    for (const viewer of NODES) {
      const status = await rpcAt<{ nodes: { NodeName: string; state: string }[] }>(sock(viewer), 'cluster.status');
      expect(status.ok && status.result.nodes.map((n) => `${n.NodeName}:${n.state}`), `as ${viewer} sees it`).toEqual(['node1:RUNNING', 'node2:RUNNING', 'node3:RUNNING']);
    }
    await waitFor('batch ONLINE on node3', async () => {
      const s = await rpcAt<{ GroupName: string; node: string; state: string }[]>(sock('node1'), 'grp.state', { group: 'batch' });
      return s.ok && s.result.find((x) => x.node === 'node3')?.state === 'ONLINE';
    }, 20_000);
    const mains = NODES.map((n) => JSON.parse(readFileSync(join(lab.nodes[n].home, 'config/main.json'), 'utf8')));
    expect(mains.map((m) => m.ConfigVersion)).toEqual(Array(3).fill(mains[0].ConfigVersion));
    // The witness came from mccs_cluster_attributes; node3 was added with the addresses of the inventory.
    expect(mains[0].Cluster).toMatchObject({ WitnessType: 'etcd', WitnessEndpoints: ETCD_ENDPOINT });
    expect(mains[2].Nodes.map((n: { NodeName: string }) => n.NodeName)).toEqual(NODES);
    expect(mains[0].Nodes[2]).toMatchObject({ NodeName: 'node3', PrimaryHB: '10.213.0.3', SecondaryHB: '10.213.1.3', IsolationTestAddresses: '10.213.0.254' });
    const batch = mains[0].Groups.find((g: { GroupName: string }) => g.GroupName === 'batch');
    expect(batch.Dependencies).toEqual([expect.objectContaining({ Parent: 'batch-worker', Child: 'batch-base' })]);
  }, 420_000);

  it('the second run changes nothing (changed=0 on every host)', () => {
    const r = play();
    expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-6000)).toBe(0);
    const again = recap(r.stdout);
    for (const n of NODES) expect(again[n], `${n}: ${r.stdout.slice(-4000)}`).toMatchObject({ changed: 0, failed: 0 });
    untouched();
  }, 320_000);
});
