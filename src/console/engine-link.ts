// The console's only way to the engine: the API client (the local socket as
// root, or the remote TLS API). One watch loop (`cluster.watch`, a long-poll)
// follows the engine; every change fetches `cluster.status` once and hands it,
// with the new event records, to the live streams of the open pages. A fault
// here ends in this process: the engine never waits for the console.
import { callApi, type Connection } from '../api/client.js';
import type { ClusterStatus, Envelope, EventRecord, MethodName, Methods } from '../api/protocol.js';
import { MccsError } from '../model/errors.js';

export interface LiveUpdate {
  status?: ClusterStatus & { attributes?: Record<string, unknown> };
  events?: EventRecord[];
  /** The engine cannot be reached (or answers with an error): shown as a banner. */
  engineError?: { code: string; message: string };
}

type Listener = (u: LiveUpdate) => void;

export class EngineLink {
  private readonly listeners = new Set<Listener>();
  private cursor: string | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  last: LiveUpdate = {};

  constructor(
    readonly connection: Connection,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** A call as the console itself (reads). */
  call<M extends MethodName>(method: M, params: Methods[M]['params'], as?: { user: string; password: string }): Promise<Envelope<Methods[M]['result']>> {
    const conn: Connection = as ? { ...this.connection, user: as.user, password: as.password } : this.connection;
    return callApi(method, params, conn);
  }

  /** Any method by name (the console's allow-list is checked by the caller). */
  callAny(method: string, params: Record<string, unknown>, as?: { user: string; password: string }): Promise<Envelope> {
    return this.call(method as MethodName, params as never, as) as Promise<Envelope>;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.catch(() => undefined);
  }

  private publish(u: LiveUpdate): void {
    if (u.status) this.last = { status: u.status };
    if (u.engineError) this.last = { ...this.last, engineError: u.engineError };
    for (const fn of this.listeners) {
      try {
        fn(u);
      } catch (e) {
        this.log(`live update listener failed: ${(e as Error).message}`);
      }
    }
  }

  async refresh(): Promise<void> {
    const st = await this.call('cluster.status', {});
    if (!st.ok) throw new MccsError(st.error.code, st.error.message);
    this.publish({ status: st.result as LiveUpdate['status'] });
  }

  private async run(): Promise<void> {
    let backoff = 200;
    while (!this.stopped) {
      try {
        const w = await this.call('cluster.watch', { ...(this.cursor ? { cursor: this.cursor } : {}), timeout: 8_000 }, undefined);
        if (!w.ok) throw new MccsError(w.error.code, w.error.message);
        const first = this.cursor === undefined;
        this.cursor = w.result.cursor;
        if (w.result.changed || first || this.last.engineError) {
          await this.refresh();
          if (w.result.events.length > 0) this.publish({ events: w.result.events });
        }
        backoff = 200;
      } catch (e) {
        const err = e instanceof MccsError ? { code: e.code, message: e.message } : { code: 'FAILED', message: (e as Error).message };
        if (this.last.engineError?.message !== err.message) this.log(`engine: ${err.message}`);
        this.publish({ engineError: err });
        this.cursor = undefined;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 3000);
      }
    }
  }
}
