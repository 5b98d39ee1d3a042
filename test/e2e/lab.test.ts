// The test lab itself: two nodes, a client and a gateway, each node a host
// of its own (network, PID and mount namespaces), faults that really cut
// traffic, and nothing left behind.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labLeftovers } from '../lab/cleanup.js';
import { exec, isAlive, monotonicMs, signal, sleep, waitFor } from '../lab/exec.js';
import {
  CLIENT_ADDR, GATEWAY, answers, bootNode, clearNetem, createLab, destroyLab, execInClient, execInNode, execInNs,
  isolate, labNamespaces, linkDown, linkUp, netem, netemAvailable, powerOff, powerOn, probeVip, reconnect, spawnInNode, startNode, watchVip,
  type Lab, type NodeProcess,
} from '../lab/lab.js';

const root = process.getuid?.() === 0;
if (!root) console.log('lab.test: skipped: the lab needs root (network, PID and mount namespaces)');

const ECHO = fileURLToPath(new URL('../lab/echo-node.mjs', import.meta.url));
const LAB_ID = 'labt';

async function pingFrom(ns: string, addr: string): Promise<boolean> {
  return (await execInNs(ns, 'ping', ['-n', '-q', '-c', '1', '-W', '1', addr])).exitCode === 0;
}

describe.skipIf(!root)('the test lab', () => {
  let lab: Lab;
  let echo: NodeProcess;

  beforeAll(async () => {
    lab = await createLab({ id: LAB_ID });
  });

  afterAll(async () => {
    if (lab) await destroyLab(lab);
  });

  it('node1 reaches the gateway and node2 on both networks, IPv4 and IPv6', async () => {
    const n1 = lab.nodes.node1.ns;
    for (const addr of [GATEWAY.ipv4, GATEWAY.ipv4Secondary, GATEWAY.ipv6, '10.213.0.2', '10.213.1.2', 'fd00:213::2']) {
      expect(await pingFrom(n1, addr), `node1 → ${addr}`).toBe(true);
    }
  });

  it('the client reaches both nodes, IPv4 and IPv6', async () => {
    for (const addr of ['10.213.0.1', '10.213.0.2', 'fd00:213::1', 'fd00:213::2', GATEWAY.ipv4]) {
      expect(await answers(lab, addr), `client → ${addr}`).toBe(true);
    }
    // The client is on the service network only.
    expect(await answers(lab, '10.213.1.1')).toBe(false);
  });

  it('has no default route anywhere', async () => {
    for (const ns of labNamespaces(lab)) {
      for (const v of ['-4', '-6']) {
        expect((await exec('ip', ['-n', ns, v, 'route', 'show', 'default'])).stdout, `${ns} ${v}`).toBe('');
      }
    }
  });

  it('a process started in node1 is a process of node1 only', async () => {
    echo = await startNode(lab, 'node1', { command: process.execPath, args: [ECHO] });
    await bootNode(lab, 'node2');
    expect(echo.pid).toBeGreaterThan(0);
    expect(echo.nsPid).not.toBe(echo.pid);
    // node1 sees it under its own PID; node2 does not see it at all.
    const inNode1 = await execInNode(lab, 'node1', 'cat', [`/proc/${echo.nsPid}/cmdline`]);
    expect(inNode1.stdout).toContain('echo-node.mjs');
    const psNode2 = await execInNode(lab, 'node2', 'ps', ['-eo', 'pid,args']);
    expect(psNode2.stdout).not.toContain('echo-node.mjs');
    // The host's PID namespace: that small PID is not our process.
    const hostCmd = existsSync(`/proc/${echo.nsPid}/cmdline`) ? readFileSync(`/proc/${echo.nsPid}/cmdline`, 'utf8') : '';
    expect(hostCmd).not.toContain('echo-node.mjs');
    // Its own hostname, /run and /dev/shm.
    expect((await execInNode(lab, 'node1', 'hostname')).stdout).toBe('node1');
    await execInNode(lab, 'node1', 'sh', ['-c', 'echo one > /run/mark && echo one > /dev/shm/mark']);
    expect((await execInNode(lab, 'node2', 'ls', ['/run', '/dev/shm'])).stdout).not.toContain('mark');
    expect(readFileSync(join(lab.nodes.node1.run, 'mark'), 'utf8')).toBe('one\n');
    // /sys inside the node is the node's network namespace.
    expect((await execInNode(lab, 'node1', 'ls', ['/sys/class/net'])).stdout.split('\n').sort()).toEqual(['eth0', 'eth1', 'lo']);
    expect((await execInNode(lab, 'node1', 'cat', ['/sys/class/net/eth0/address'])).stdout).toBe(lab.nodes.node1.mac.primary);
  });

  it('the client probe tells which node answers', async () => {
    const name = await waitFor('echo-node to listen', async () => (await probeVip(lab, '10.213.0.1', undefined, 300)) ?? undefined, 5000, 50);
    expect(name).toBe('node1');
    expect(await probeVip(lab, 'fd00:213::1')).toBe('node1');
    expect(await probeVip(lab, '10.213.0.2', undefined, 300)).toBeNull();
    // Continuous probing (the failover benchmark): changes of answer on the monotonic clock.
    const before = monotonicMs();
    const watch = await watchVip(lab, '10.213.0.1', undefined, 10);
    await sleep(200);
    const events = await watch.stop();
    expect(events.map((e) => e.answer)).toEqual(['node1']);
    expect(events[0]!.at).toBeGreaterThanOrEqual(before);
    expect(events[0]!.at).toBeLessThan(monotonicMs());
  });

  it('orphans are reaped at once by the node init', async () => {
    // The subshell exits at once: its sleep is orphaned to the node's init.
    const p = await spawnInNode(lab, 'node1', { command: 'sh', args: ['-c', '(sleep 0.2 &); exec sleep 30'] });
    await sleep(600);
    const stats = (await execInNode(lab, 'node1', 'ps', ['-eo', 'stat=,args='])).stdout;
    expect(stats.split('\n').filter((l) => l.trim().startsWith('Z'))).toEqual([]);
    expect(p.pid).toBeGreaterThan(1);
    signal(p.pid, 'SIGKILL');
    await p.exited;
  });

  it('linkDown silences the link both ways; linkUp restores it', async () => {
    const n1 = lab.nodes.node1.ns;
    await linkDown(lab, 'node1', 'primary');
    expect(await pingFrom(n1, GATEWAY.ipv4)).toBe(false);
    expect(await answers(lab, '10.213.0.1')).toBe(false);
    expect(await pingFrom(n1, GATEWAY.ipv4Secondary)).toBe(true);
    // Like a pulled cable: the node sees no carrier and keeps its addresses.
    expect((await execInNode(lab, 'node1', 'cat', ['/sys/class/net/eth0/operstate'])).stdout).toBe('down');
    expect((await exec('ip', ['-n', n1, '-6', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain('fd00:213::1');
    await linkUp(lab, 'node1', 'primary');
    await waitFor('node1 primary back', () => pingFrom(n1, GATEWAY.ipv4), 5000, 50);
  });

  it('netem delays and drops on the link, each way, until cleared', async () => {
    if (!(await netemAvailable(lab))) console.log('lab.test: this kernel has no netem qdisc: the lab relays the link in userspace');
    const n1 = lab.nodes.node1.ns;
    await netem(lab, 'node1', 'secondary', { delayMs: 100 });
    const r = await execInNs(n1, 'ping', ['-n', '-c', '1', '-W', '2', GATEWAY.ipv4Secondary]);
    expect(Number(/time=([\d.]+) ms/.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(190);
    // The primary link is untouched.
    const p = await execInNs(n1, 'ping', ['-n', '-c', '1', '-W', '2', GATEWAY.ipv4]);
    expect(Number(/time=([\d.]+) ms/.exec(p.stdout)?.[1])).toBeLessThan(50);
    await netem(lab, 'node1', 'secondary', { lossPct: 30 });
    const lossy = await execInNs(n1, 'ping', ['-n', '-q', '-c', '100', '-i', '0.01', '-W', '1', '10.213.1.2']);
    const lost = Number(/(\d+(?:\.\d+)?)% packet loss/.exec(lossy.stdout)?.[1]);
    // 30 % each way: about 51 % of round trips lost.
    expect(lost).toBeGreaterThan(25);
    expect(lost).toBeLessThan(80);
    await clearNetem(lab, 'node1', 'secondary');
    await clearNetem(lab, 'node1', 'secondary'); // idempotent
    await waitFor('secondary link clean again', () => pingFrom(n1, '10.213.1.2'), 5000, 50);
    const c = await execInNs(n1, 'ping', ['-n', '-q', '-c', '20', '-i', '0.01', '10.213.1.2']);
    expect(c.stdout).toContain(' 0% packet loss');
  });

  it('isolate cuts every link of the node; reconnect restores them', async () => {
    const n1 = lab.nodes.node1.ns;
    await isolate(lab, 'node1');
    expect(await pingFrom(n1, GATEWAY.ipv4)).toBe(false);
    expect(await pingFrom(n1, GATEWAY.ipv4Secondary)).toBe(false);
    expect(await pingFrom(lab.nodes.node2.ns, '10.213.1.1')).toBe(false);
    await reconnect(lab, 'node1');
    await waitFor('node1 back', async () => (await pingFrom(n1, GATEWAY.ipv4)) && (await pingFrom(n1, GATEWAY.ipv4Secondary)), 5000, 50);
  });

  it('powerOff kills every process of the node and cuts its links; powerOn boots it fresh', async () => {
    const initPid = lab.nodes.node1.init!.initPid;
    await execInNode(lab, 'node1', 'ip', ['addr', 'add', '10.213.0.150/24', 'dev', 'eth0']);
    expect(isAlive(echo.pid)).toBe(true);
    await powerOff(lab, 'node1');
    expect(isAlive(initPid)).toBe(false);
    expect(isAlive(echo.pid)).toBe(false);
    await echo.exited;
    expect((await exec('ip', ['netns', 'pids', lab.nodes.node1.ns])).stdout).toBe('');
    expect(await answers(lab, '10.213.0.1')).toBe(false);
    // Runtime network state is gone with the power: the extra address too.
    expect((await exec('ip', ['-n', lab.nodes.node1.ns, 'addr', 'show', 'dev', 'eth0'])).stdout).not.toContain('10.213.0.150');
    // node2 is untouched.
    expect((await execInNode(lab, 'node2', 'hostname')).stdout).toBe('node2');

    const again = await powerOn(lab, 'node1');
    expect(again.initPid).not.toBe(initPid);
    expect(existsSync(join(lab.nodes.node1.run, 'mark'))).toBe(false);
    await waitFor('node1 answers again', () => answers(lab, '10.213.0.1'), 5000, 50);
  });

  it('execInClient runs in the client namespace', async () => {
    expect((await execInClient(lab, 'ip', ['-j', 'addr', 'show', 'dev', 'eth0'])).stdout).toContain(CLIENT_ADDR.ipv4);
  });

  it('createLab removes a leftover lab of the same id first', async () => {
    const old = lab.nodes.node2.init!.initPid;
    writeFileSync(join(lab.dir, 'stale'), 'x');
    const fresh = await createLab({ id: LAB_ID });
    expect(isAlive(old)).toBe(false);
    expect(existsSync(join(lab.dir, 'stale'))).toBe(false);
    lab = fresh;
  });

  it('destroyLab leaves nothing behind and can be called twice', async () => {
    const started = await startNode(lab, 'node2', { command: 'sleep', args: ['30'] });
    const initPid = lab.nodes.node2.init!.initPid;
    await probeVip(lab, '10.213.0.2', undefined, 100);
    await destroyLab(lab);
    await destroyLab(lab);
    expect(await labLeftovers(LAB_ID)).toEqual([]);
    expect(isAlive(initPid)).toBe(false);
    expect(isAlive(started.pid)).toBe(false);
    const netns = (await exec('ip', ['netns', 'list'])).stdout;
    expect(netns).not.toContain(`mcl${LAB_ID}-`);
  });
});
