// The mccs web console: one page, routed by the URL fragment.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { getJson, postJson, setCsrf, startLive, stopLive } from './api.js';
import { set, store, useStore } from './store.js';
import { Login } from './login.js';
import { Overview } from './overview.js';
import { Groups } from './groups.js';
import { Events, Why } from './events.js';
import { NodePage } from './node.js';
import { GraphEditor } from './graph.js';

function useRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const fn = () => setHash(location.hash);
    addEventListener('hashchange', fn);
    return () => removeEventListener('hashchange', fn);
  }, []);
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return parts[0] ? parts : ['overview'];
}

function Page({ route }) {
  switch (route[0]) {
    case 'groups':
      return html`<${Groups} />`;
    case 'group':
      return html`<${GraphEditor} name=${route[1]} />`;
    case 'node':
      return html`<${NodePage} name=${route[1]} />`;
    case 'events':
      return html`<${Events} />`;
    case 'why':
      return html`<${Why} kind=${route[1]} name=${route[2]} />`;
    default:
      return html`<${Overview} />`;
  }
}

function App() {
  const s = useStore();
  const route = useRoute();
  useEffect(() => {
    getJson('/api/session').then((env) => {
      if (env.ok) {
        setCsrf(env.result.csrf);
        set({ session: env.result });
      } else set({ session: null });
    });
  }, []);
  useEffect(() => {
    if (!s.session) return;
    startLive();
    getJson('/api/declarations').then((env) => env.ok && set({ declarations: env.result }));
    return stopLive;
  }, [s.session?.csrf]);
  useEffect(() => {
    // For bench/console: when the page first showed the cluster.
    if (s.status && !window.__mccsReady) window.__mccsReady = performance.now();
  });
  if (s.session === undefined) return html`<p class="loading">Loading…</p>`;
  if (s.session === null) return html`<${Login} />`;
  const logout = async () => {
    await postJson('/api/logout', {});
    stopLive();
    set({ session: null, status: null });
  };
  const nav = [['overview', 'Overview'], ['groups', 'Groups'], ['events', 'Events']];
  return html`<div class="layout">
    <header>
      <h1><span aria-hidden="true">⛁</span> mccs <small>${s.status ? `${s.status.ClusterName} · on ${s.status.localNode}` : ''}</small></h1>
      <nav aria-label="Views"><ul>${nav.map(([id, label]) => html`<li><a href=${`#/${id}`} aria-current=${route[0] === id ? 'page' : undefined}>${label}</a></li>`)}
        ${s.status?.nodes.map((n) => html`<li><a href=${`#/node/${encodeURIComponent(n.NodeName)}`} aria-current=${route[0] === 'node' && route[1] === n.NodeName ? 'page' : undefined}>Node ${n.NodeName}</a></li>`)}</ul></nav>
      <p class="who">${s.session.user} <span class="role" data-role=${s.session.role}>(${s.session.role})</span> <button type="button" onClick=${logout}>Log out</button></p>
    </header>
    ${s.engineError && html`<p class="banner error" role="alert" data-engine-down>Engine: ${s.engineError.code}: ${s.engineError.message}</p>`}
    <main><${Page} route=${route} /></main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
