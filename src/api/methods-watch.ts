// Read-only methods for the web console (issue 10): `cluster.watch`, a
// long-poll that answers as soon as anything an operator sees changes (a
// resource or node state, a link, the configuration, a new event record), and
// `auth.whoami`, the user and role the request was authenticated as.
// Registered into the method table of methods.ts.
import { createHash, randomBytes } from 'node:crypto';
import type { EventRecord } from './protocol.js';
import type { Engine } from '../engine/engine.js';
import { MccsError } from '../model/errors.js';
import { registerMethod } from './methods.js';

/** Changes are looked for this often while a watch waits. */
const TICK_MS = 50;
const MAX_WAIT_MS = 30_000;

/** Differs for every engine start: a cursor from a previous engine is never taken as current. */
const EPOCH = randomBytes(4).toString('hex');

/** Records kept in memory per engine for the watchers (the console's live view). */
const RECENT_MAX = 2000;

interface Recent {
  /** Records written since the first watch on this engine; the cursor's sequence. */
  seq: number;
  records: { seq: number; record: EventRecord }[];
}

const recentByEngine = new WeakMap<Engine, Recent>();

/** Follows the engine's event log from the first watch on (the log's 'event', emitted after each write). */
function recentOf(engine: Engine): Recent {
  let r = recentByEngine.get(engine);
  if (!r) {
    const recent: Recent = { seq: 0, records: [] };
    engine.events.on('event', (record) => {
      recent.seq += 1;
      recent.records.push({ seq: recent.seq, record });
      if (recent.records.length > RECENT_MAX) recent.records.splice(0, recent.records.length - RECENT_MAX);
    });
    recentByEngine.set(engine, recent);
    r = recent;
  }
  return r;
}

/** Records after `seq`; complete false when some were already dropped from memory. */
function recentSince(r: Recent, seq: number): { records: EventRecord[]; complete: boolean } {
  const first = r.records[0]?.seq ?? r.seq + 1;
  return { records: r.records.filter((x) => x.seq > seq).map((x) => x.record), complete: seq >= first - 1 };
}

/** A digest of everything the console shows that can change without an event record. */
export function stateDigest(engine: Engine): string {
  const nodes = engine.config.Nodes.map((n) => [n.NodeName, engine.observed.nodes[n.NodeName]?.state ?? 'EXITED', engine.cluster.nodeExtras(n.NodeName)]);
  const resources = Object.entries(engine.observed.resources).map(([node, byRes]) => [
    node,
    Object.entries(byRes).map(([r, st]) => [r, st.state, st.reason ?? '', st.restartCount ?? 0]),
  ]);
  const groups = Object.entries(engine.observed.groups ?? {}).map(([g, rt]) => [g, rt.tempLocked === true]);
  const membership = engine.cluster.status?.() as { jeopardy?: boolean; peers?: { configVersion: number | null }[] } | undefined;
  const peers = [membership?.jeopardy === true, (membership?.peers ?? []).map((x) => x.configVersion)];
  const data = JSON.stringify([engine.config.ConfigVersion, peers, nodes, resources, groups, [...engine.failingOver], engine.cluster.warnings()]);
  return createHash('sha1').update(data).digest('base64url').slice(0, 16);
}

export interface WatchCursor {
  epoch: string;
  seq: number;
  digest: string;
}

export function formatCursor(c: WatchCursor): string {
  return `${c.epoch}.${c.seq}.${c.digest}`;
}

export function parseCursor(text: string | undefined): WatchCursor | undefined {
  if (!text) return undefined;
  const m = /^([0-9a-f]{8})\.(\d{1,15})\.([A-Za-z0-9_-]{1,32})$/.exec(text);
  if (!m) throw new MccsError('USAGE', `bad cursor '${text}': pass the cursor of the previous answer, or none`);
  return { epoch: m[1]!, seq: Number(m[2]), digest: m[3]! };
}

registerMethod('cluster.watch', {
  readOnly: true,
  params: { cursor: { type: 'string', maxLength: 64 }, timeout: { type: 'integer', minimum: 0, maximum: MAX_WAIT_MS } },
  handler: async ({ engine }, p) => {
    const since = parseCursor(p.cursor as string | undefined);
    const waitMs = typeof p.timeout === 'number' ? p.timeout : 20_000;
    const recent = recentOf(engine);
    const current = (): WatchCursor => ({ epoch: EPOCH, seq: recent.seq, digest: stateDigest(engine) });
    const differs = (c: WatchCursor) => !since || since.epoch !== c.epoch || since.seq !== c.seq || since.digest !== c.digest;
    let now = current();
    const end = Date.now() + waitMs;
    while (!differs(now) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, TICK_MS));
      now = current();
    }
    const fresh = since && since.epoch === now.epoch ? recentSince(recent, since.seq) : { records: [], complete: false };
    return {
      changed: false,
      result: { cursor: formatCursor(now), changed: differs(now), events: fresh.records, complete: fresh.complete },
    };
  },
});

registerMethod('auth.whoami', {
  readOnly: true,
  params: {},
  handler: async ({ principal }) => ({ changed: false, result: { name: principal.name, role: principal.role, local: principal.local } }),
});
