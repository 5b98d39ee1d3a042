// The witness's only contact with etcd (v3 API through the `etcd3` client):
// one transaction per round trip, every call bounded by a deadline. Writes
// are compare-and-swap on a key's mod revision, so of two nodes racing for a
// key exactly one wins, whatever their clocks say. A node's member record is
// bound to an etcd lease of its own (TTL = WitnessTTL, kept alive by the
// client): when the node is gone, etcd itself deletes the record.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Etcd3Module from 'etcd3';
import type * as CockatielModule from 'cockatiel';
import type { WitnessSettings } from './settings.js';

// Loaded when a witness is configured only: gRPC and the etcd protocol
// definitions cost every other engine start nothing.
const load = createRequire(import.meta.url);

export interface StoredKey {
  key: string;
  value: string;
  /** mod_revision as etcd reports it (a decimal string: int64). */
  modRevision: string;
}

export interface TxnResult {
  succeeded: boolean;
  /** The store revision of the answer. */
  revision: string;
  /** Keys under the prefix read in the same transaction. */
  keys: StoredKey[];
}

/** What a round trip asks: compare mod revisions ('0' = must not exist), then write. */
export interface TxnRequest {
  /** key → expected mod revision ('0': absent). */
  expect: Record<string, string>;
  put: Record<string, string>;
  del: string[];
  /** Read everything under this prefix in the same transaction (after the writes if they happen). */
  readPrefix: string;
  /** Read only under these prefixes instead (each within readPrefix): what is not needed is not sent on every round trip. */
  readPrefixes?: string[];
  /** Keys of `put` bound to this store's member lease (they vanish when it expires). */
  leased?: string[];
}

/** The member lease as etcd granted it. */
export interface MemberLease {
  /** Lease ID (decimal int64). */
  id: string;
  /** TTL etcd granted, in seconds (etcd raises a TTL below its minimum). */
  ttlSeconds: number;
}

export interface WitnessStore {
  txn(req: TxnRequest, timeoutMs: number): Promise<TxnResult>;
  /** Round trip to one endpoint alone (mccs witness check): etcd's version and the member answering. */
  ping(endpoint: string, timeoutMs: number): Promise<{ version: string; leader: string; member: string }>;
  /** The member lease in use (undefined: none granted yet, or lost and not granted again). */
  memberLease?(): MemberLease | undefined;
  close(): void;
}

type Client = InstanceType<typeof Etcd3Module.Etcd3>;
type Lease = ReturnType<Client['lease']>;

/** etcd refused a write because the lease it names is gone (expired while this node could not reach it, or revoked). */
function leaseGone(e: unknown): boolean {
  const err = e as Error;
  return err?.name === 'EtcdLeaseInvalidError' || /lease not found/i.test(err?.message ?? '');
}

export class EtcdStore implements WitnessStore {
  private readonly client: Client;
  private lease?: { lease: Lease; id: Promise<string>; granted?: MemberLease };

  constructor(private readonly settings: WitnessSettings) {
    this.client = this.newClient(settings.endpoints);
  }

  private newClient(hosts: string[]): Client {
    const { Etcd3 } = load('etcd3') as typeof Etcd3Module;
    const { handleAll, noop, retry } = load('cockatiel') as typeof CockatielModule;
    const s = this.settings;
    const credentials = s.caCert
      ? { rootCertificate: readFileSync(s.caCert), ...(s.cert ? { certChain: readFileSync(s.cert), privateKey: readFileSync(s.key) } : {}) }
      : undefined;
    return new Etcd3({
      hosts,
      credentials,
      dialTimeout: s.ttlMs,
      // No circuit breaker: a host that failed is tried again at the next
      // round trip (the breaker's default would shut it out for 5 s). One
      // retry per other endpoint, within the same deadline.
      faultHandling: { host: () => noop, global: hosts.length > 1 ? retry(handleAll, { maxAttempts: hosts.length - 1 }) : noop },
      grpcOptions: {
        'grpc.initial_reconnect_backoff_ms': 50,
        'grpc.min_reconnect_backoff_ms': 50,
        'grpc.max_reconnect_backoff_ms': Math.max(100, Math.round(s.ttlMs / 4)),
        'grpc.keepalive_time_ms': Math.max(1000, s.ttlMs),
        'grpc.keepalive_timeout_ms': Math.max(500, s.ttlMs),
        'grpc.keepalive_permit_without_calls': 1,
      },
    });
  }

  /**
   * The member lease, granted on first use and again after it was lost. The
   * client keeps it alive (every TTL/3) on its own stream; renewals put the
   * member record under it.
   */
  private memberLeaseId(): Promise<string> {
    if (this.lease) return this.lease.id;
    const ttlSeconds = Math.max(1, Math.ceil(this.settings.ttlMs / 1000));
    // The grant is bounded like a round trip: a hung one must not hold every later renewal.
    const lease = this.client.lease(ttlSeconds, { deadline: new Date(Date.now() + this.settings.ttlMs) });
    const entry: NonNullable<EtcdStore['lease']> = { lease, id: lease.grant() };
    lease.on('lost', () => {
      if (this.lease === entry) this.lease = undefined;
    });
    // etcd raises a TTL below its minimum: every keepalive answer says what it keeps.
    lease.on('keepaliveSucceeded', (res: { TTL: string }) => {
      if (entry.granted && Number(res.TTL) > 0) entry.granted.ttlSeconds = Number(res.TTL);
    });
    entry.id.then(
      (id) => (entry.granted = { id, ttlSeconds }),
      () => {
        if (this.lease === entry) this.lease = undefined;
      },
    );
    this.lease = entry;
    return entry.id;
  }

  memberLease(): MemberLease | undefined {
    return this.lease?.granted;
  }

  async txn(req: TxnRequest, timeoutMs: number): Promise<TxnResult> {
    const deadline = new Date(Date.now() + timeoutMs);
    try {
      return await this.txnOnce(req, deadline);
    } catch (e) {
      if (!req.leased?.length || !leaseGone(e)) throw e;
      // The lease expired at etcd while this node was away: a new one, and the same writes again.
      this.dropLease();
      return this.txnOnce(req, deadline);
    }
  }

  private dropLease(): void {
    this.lease?.lease.release();
    this.lease = undefined;
  }

  private async txnOnce(req: TxnRequest, deadline: Date): Promise<TxnResult> {
    const c = this.client;
    const leaseId = req.leased?.length ? await withDeadline(this.memberLeaseId(), deadline) : undefined;
    let t = c.if(`${req.readPrefix}/.never-written`, 'Create', '==', 0); // always true: lets the real compares follow
    for (const [key, rev] of Object.entries(req.expect)) t = t.and(key, rev === '0' ? 'Create' : 'Mod', '==', rev === '0' ? 0 : (rev as unknown as number));
    const reads = (req.readPrefixes ?? [req.readPrefix]).map((p) => c.getAll().prefix(p));
    const writes = [
      ...Object.entries(req.put).map(([k, v]) => (leaseId !== undefined && req.leased!.includes(k) ? c.put(k).value(v).lease(leaseId) : c.put(k).value(v))),
      ...req.del.map((k) => c.delete().key(k)),
    ];
    const r = await t.then(...writes, ...reads).else(...reads).options({ deadline }).commit();
    const kvs = r.responses.flatMap((x) => x.response_range?.kvs ?? []);
    return {
      succeeded: r.succeeded,
      revision: String(r.header.revision),
      keys: kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), modRevision: String(kv.mod_revision) })),
    };
  }

  async ping(endpoint: string, timeoutMs: number): Promise<{ version: string; leader: string; member: string }> {
    const one = this.newClient([endpoint]);
    try {
      const st = await one.maintenance.status({ deadline: new Date(Date.now() + timeoutMs) });
      return { version: st.version, leader: String(st.leader), member: String(st.header.member_id) };
    } finally {
      one.close();
    }
  }

  close(): void {
    // Not revoked: the record lapses by itself (a graceful stop is told to the peers on heartbeat).
    this.lease?.lease.release();
    this.client.close();
  }
}

/** A grant that does not answer by the round trip's deadline fails the round trip, as a write would. */
function withDeadline<T>(p: Promise<T>, deadline: Date): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('etcd did not grant the member lease before the deadline')), Math.max(1, deadline.getTime() - Date.now()));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
