// The event log, filterable by node, group, resource and time; and the "why"
// of a group or resource: the chain of records that led to its state.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { getJson } from './api.js';
import { useStore } from './store.js';

function EventTable({ rows }) {
  return html`<table class="events">
    <thead><tr><th scope="col">Time</th><th scope="col">Node</th><th scope="col">Subject</th><th scope="col">State</th><th scope="col">Rule</th><th scope="col">Message</th></tr></thead>
    <tbody>
      ${rows.map((e) => html`<tr data-rule=${e.rule}>
        <td><time datetime=${e.time}>${e.time.replace('T', ' ').replace('Z', '')}</time></td>
        <td>${e.node}</td><td>${e.subject}</td>
        <td>${e.oldState || e.newState ? `${e.oldState ?? ''} → ${e.newState ?? ''}` : ''}</td>
        <td><span class="code">${e.rule}</span></td>
        <td>${e.message}${e.cause ? html`<br /><small>cause: ${e.cause}</small>` : ''}</td>
      </tr>`)}
    </tbody>
  </table>`;
}

function matches(e, f) {
  if (f.node && e.node !== f.node) return false;
  if (f.group && e.group !== f.group) return false;
  if (f.resource && e.resource !== f.resource) return false;
  return true;
}

export function Events() {
  const store = useStore();
  const { status } = store;
  const [filter, setFilter] = useState({ node: '', group: '', resource: '', since: '1h', until: '' });
  const [rows, setRows] = useState([]);
  const [error, setError] = useState(null);
  const [loadedAt, setLoadedAt] = useState(0);
  const load = async (f) => {
    const q = new URLSearchParams(Object.entries(f).filter(([, v]) => v !== ''));
    q.set('limit', '1000');
    const env = await getJson(`/api/events?${q}`);
    if (!env.ok) return setError(env.error.message);
    setError(null);
    setRows(env.result);
    setLoadedAt(store.liveEvents.length);
  };
  useEffect(() => void load(filter), []);
  // Records that arrived live since the table was loaded, when they pass the filter (and no end time is set).
  const live = filter.until ? [] : store.liveEvents.slice(loadedAt).filter((e) => matches(e, filter));
  const all = [...rows, ...live];
  const opts = (list) => ['', ...list].map((v) => html`<option value=${v}>${v === '' ? 'any' : v}</option>`);
  const field = (k) => (e) => setFilter({ ...filter, [k]: e.currentTarget.value });
  return html`<section aria-labelledby="ev-title">
    <h2 id="ev-title">Events</h2>
    <form class="filters" onSubmit=${(e) => { e.preventDefault(); load(filter); }}>
      <label>Node <select value=${filter.node} onChange=${field('node')}>${opts(status?.nodes.map((n) => n.NodeName) ?? [])}</select></label>
      <label>Group <select value=${filter.group} onChange=${field('group')}>${opts(status?.groups.map((g) => g.GroupName) ?? [])}</select></label>
      <label>Resource <select value=${filter.resource} onChange=${field('resource')}>${opts(status?.resources.map((r) => r.ResName) ?? [])}</select></label>
      <label>Since <input value=${filter.since} onInput=${field('since')} placeholder="1h, 30m, 2026-01-31T03:00:00Z" /></label>
      <label>Until <input value=${filter.until} onInput=${field('until')} placeholder="ISO time (empty: now, live)" /></label>
      <button type="submit">Show</button>
    </form>
    <p class="note">Events recorded by ${status?.localNode ?? 'this node'}'s engine (each node keeps its own log; the node column says who decided).</p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <${EventTable} rows=${[...all].reverse()} />
  </section>`;
}

const noRoom = (e) => e.rule === 'NO_CAPACITY' || e.rule === 'REFUSED_NO_CAPACITY' || e.facts?.why === 'NO_CAPACITY';

/** Every node a placement looked at, and why it did or did not take the group (NO_CAPACITY: the figures). */
function Considered({ facts }) {
  const c = facts?.considered;
  if (!c || typeof c !== 'object' || Object.keys(c).length === 0) return null;
  return html`<ul class="considered">${Object.entries(c).map(([n, why]) => html`<li data-node=${n}><strong>${n}</strong>: ${String(why)}</li>`)}</ul>`;
}

export function Why({ kind, name }) {
  const store = useStore();
  const [chain, setChain] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    getJson(`/api/why?subject=${encodeURIComponent(`${kind}:${name}`)}`).then((env) => (env.ok ? setChain(env.result) : setError(env.error.message)));
  }, [kind, name, store.liveEvents.length]);
  return html`<section aria-labelledby="why-title">
    <h2 id="why-title">Why is ${kind} ${name} in its state?</h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${chain && chain.length === 0 && html`<p>No state change of ${kind} ${name} in the event log.</p>`}
    ${chain && html`<ol class="why">${chain.map((e) => html`<li data-rule=${e.rule}><time datetime=${e.time}>${e.time.slice(11, 23)}</time> ${e.node}: <span class="code">${e.rule}</span> ${e.message} <small>(${e.subject}${e.newState ? ` → ${e.newState}` : ''}; cause: ${e.cause})</small><${Considered} facts=${e.facts} /></li>`)}</ol>`}
    ${chain?.some(noRoom) && html`<p class="note" data-no-room>No node of its NodeList has room for its Load (NO_CAPACITY). Make room: switch a group away from a node, or raise a node's Capacity (Overview: Load in use, Capacity, Available); then bring it online.</p>`}
    <p><a href="#/groups">Back to the groups</a> · <a href="#/events">all events</a></p>
  </section>`;
}
