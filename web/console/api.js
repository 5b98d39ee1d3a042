// Talking to the console server: JSON calls with the session's CSRF token,
// and the live stream (server-sent events) of the engine's states and events.
import { set, store } from './store.js';

let csrf = null;

export function setCsrf(token) {
  csrf = token;
}

async function parse(r) {
  try {
    return await r.json();
  } catch {
    return { ok: false, error: { code: 'FAILED', message: `the console answered HTTP ${r.status}`, actions: [] } };
  }
}

export async function getJson(path) {
  const r = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  const body = await parse(r);
  if (r.status === 401 && store.session) set({ session: null });
  return body;
}

export async function postJson(path, body) {
  const r = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) },
    body: JSON.stringify(body),
  });
  const out = await parse(r);
  if (r.status === 401 && store.session) set({ session: null });
  return out;
}

/** One engine method through the console (reads as the console, changes with the operator's credentials). */
export function call(method, params, extra = {}) {
  return postJson('/api/call', { method, params, ...extra });
}

let source = null;

export function startLive() {
  stopLive();
  source = new EventSource('/api/stream');
  source.addEventListener('status', (e) => {
    const status = JSON.parse(e.data);
    set({ status, engineError: null, liveAt: performance.now() });
  });
  source.addEventListener('events', (e) => {
    const fresh = JSON.parse(e.data);
    set({ liveEvents: [...store.liveEvents, ...fresh].slice(-1000) });
  });
  source.addEventListener('engine-error', (e) => set({ engineError: JSON.parse(e.data) }));
  source.onerror = () => {
    if (source && source.readyState === EventSource.CLOSED) set({ engineError: { code: 'UNREACHABLE', message: 'the live stream from the console closed; reload the page' } });
  };
}

export function stopLive() {
  if (source) source.close();
  source = null;
}
