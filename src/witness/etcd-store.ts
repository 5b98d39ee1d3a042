// The witness's only contact with etcd (v3 API through the `etcd3` client):
// one transaction per round trip, every call bounded by a deadline. Writes
// are compare-and-swap on a key's mod revision, so of two nodes racing for a
// key exactly one wins, whatever their clocks say.
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
}

export interface WitnessStore {
  txn(req: TxnRequest, timeoutMs: number): Promise<TxnResult>;
  /** Round trip to one endpoint alone (mccs witness check): etcd's version and the member answering. */
  ping(endpoint: string, timeoutMs: number): Promise<{ version: string; leader: string; member: string }>;
  close(): void;
}

type Client = InstanceType<typeof Etcd3Module.Etcd3>;

export class EtcdStore implements WitnessStore {
  private readonly client: Client;

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

  async txn(req: TxnRequest, timeoutMs: number): Promise<TxnResult> {
    const c = this.client;
    const deadline = new Date(Date.now() + timeoutMs);
    let t = c.if(`${req.readPrefix}/.never-written`, 'Create', '==', 0); // always true: lets the real compares follow
    for (const [key, rev] of Object.entries(req.expect)) t = t.and(key, rev === '0' ? 'Create' : 'Mod', '==', rev === '0' ? 0 : (rev as unknown as number));
    const reads = (req.readPrefixes ?? [req.readPrefix]).map((p) => c.getAll().prefix(p));
    const writes = [...Object.entries(req.put).map(([k, v]) => c.put(k).value(v)), ...req.del.map((k) => c.delete().key(k))];
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
    this.client.close();
  }
}
