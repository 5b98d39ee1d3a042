// A node's member record at the witness is bound to an etcd lease of its own
// (issue 16: "a lease-bound member record"), against a real etcd 3.4 started
// here on 127.0.0.1: the record carries the lease, etcd deletes it when the
// lease ends (revoked, or expired after the node stopped keeping it alive),
// and the next renewal grants a new lease and writes the record again.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore, type TxnRequest } from '../../src/witness/etcd-store.js';
import type { WitnessSettings } from '../../src/witness/settings.js';
import { startLocalEtcd, type LocalEtcd } from '../helpers/local-etcd.mjs';

const run = promisify(execFile);
let etcd: LocalEtcd;
const stores: EtcdStore[] = [];
let prefixes = 0;

beforeAll(async () => {
  etcd = await startLocalEtcd();
});

afterAll(async () => {
  for (const s of stores) s.close();
  await etcd?.stop();
});

function store(ttlMs = 1000): { store: EtcdStore; prefix: string } {
  prefixes += 1;
  const settings: WitnessSettings = { type: 'etcd', endpoints: [etcd.endpoint], ttlMs, caCert: '', cert: '', key: '', prefix: `/mccs-lease/${process.pid}-${prefixes}` };
  const s = new EtcdStore(settings);
  stores.push(s);
  return { store: s, prefix: settings.prefix };
}

async function etcdctl(args: string[]): Promise<string> {
  const r = await run('etcdctl', ['--endpoints', etcd.endpoint, '--dial-timeout', '2s', '--command-timeout', '3s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
  return r.stdout;
}

/** The lease a key is bound to as etcd reports it ('0': none), or undefined when the key does not exist. Read as text: an int64 does not fit a JSON number. */
async function leaseOf(key: string): Promise<string | undefined> {
  const out = await etcdctl(['get', key, '-w', 'json']);
  if (!out.includes('"kvs"')) return undefined;
  return /"lease":(\d+)/.exec(out)?.[1] ?? '0';
}

function renewal(prefix: string, node: string): TxnRequest {
  const key = `${prefix}/nodes/${node}`;
  return { expect: {}, put: { [key]: JSON.stringify({ node }), [`${prefix}/groups/g`]: JSON.stringify({ owner: node }) }, del: [], readPrefix: prefix, leased: [key] };
}

async function until(what: string, ok: () => Promise<boolean>, limitMs: number): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the member record is bound to an etcd lease', () => {
  it('the record carries the node lease, the group key beside it does not; etcd lists the record under the lease', async () => {
    const { store: s, prefix } = store();
    const r = await s.txn(renewal(prefix, 'node1'), 2000);
    expect(r.succeeded).toBe(true);
    const lease = s.memberLease();
    expect(lease).toBeDefined();
    expect(lease!.ttlSeconds).toBeGreaterThanOrEqual(1);
    const bound = await leaseOf(`${prefix}/nodes/node1`);
    expect(bound).toBeDefined();
    expect(bound).toBe(lease!.id);
    expect(await leaseOf(`${prefix}/groups/g`)).toBe('0');
    const ttl = await etcdctl(['lease', 'timetolive', BigInt(lease!.id).toString(16), '--keys']);
    expect(ttl).toContain(`${prefix}/nodes/node1`);
    // A second renewal keeps the same lease (kept alive, not granted again).
    await s.txn(renewal(prefix, 'node1'), 2000);
    expect(s.memberLease()!.id).toBe(lease!.id);
  });

  it('a lease revoked at etcd deletes the record; the next renewal grants a new lease and writes the record again', async () => {
    const { store: s, prefix } = store();
    await s.txn(renewal(prefix, 'node2'), 2000);
    const first = s.memberLease()!.id;
    await etcdctl(['lease', 'revoke', BigInt(first).toString(16)]);
    expect(await leaseOf(`${prefix}/nodes/node2`)).toBeUndefined();
    // The client learns of the loss on its keepalive stream or on the refused write: either way the renewal succeeds.
    const r = await s.txn(renewal(prefix, 'node2'), 3000);
    expect(r.succeeded).toBe(true);
    const second = s.memberLease()!.id;
    expect(second).not.toBe(first);
    expect(await leaseOf(`${prefix}/nodes/node2`)).toBe(second);
  });

  it('a node that stops keeping its lease alive (engine gone) loses its record when etcd expires the lease', async () => {
    const { store: s, prefix } = store(1000);
    await s.txn(renewal(prefix, 'node3'), 2000);
    const granted = s.memberLease()!;
    expect(await leaseOf(`${prefix}/nodes/node3`)).toBeDefined();
    s.close();
    // Expiry is etcd's: the granted TTL (etcd raises a short one to its minimum) plus its expiry sweep.
    await until('the member record expired with its lease', async () => (await leaseOf(`${prefix}/nodes/node3`)) === undefined, granted.ttlSeconds * 1000 + 8000);
    expect(await leaseOf(`${prefix}/groups/g`)).toBe('0');
  });
});
