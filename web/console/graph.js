// The group relationship editor: the group's resources as a dependency graph
// (parents above children, laid out by dagre), a palette ("Select" /
// "Create dependency": click the parent, then the child), a selected link's
// OnlineDependency / OfflineDependency, right-click → "Delete dependency".
// Every change is checked by the engine first (dry run) and its message is
// shown as is. The same is reachable by keyboard with the forms beside it.
import { useEffect, useRef, useState } from 'preact/hooks';
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';
import { html } from './html.js';
import { call } from './api.js';
import { isAdmin, useStore } from './store.js';
import { State } from './states.js';
import { ResourceForm } from './resource-form.js';

cytoscape.use(dagre);

const COLORS = { ONLINE: '#2e7d32', OFFLINE: '#757575', FAULTED: '#c62828', PARTIAL: '#ef6c00', STARTING: '#1565c0', STOPPING: '#1565c0', UNKNOWN: '#9e9e9e' };

function elementsOf(group, resources, nodes) {
  const label = (r) => `${r.ResName}\n${r.Type}\n${nodes.map((n) => `${n}: ${r.states[n]?.state ?? '—'}`).join('\n')}`;
  const worst = (r) => {
    const s = nodes.map((n) => r.states[n]?.state);
    return s.includes('FAULTED') ? 'FAULTED' : s.includes('ONLINE') ? 'ONLINE' : s.includes('STARTING') ? 'STARTING' : s.includes('STOPPING') ? 'STOPPING' : s[0] ?? 'UNKNOWN';
  };
  return [
    ...resources.map((r) => ({ group: 'nodes', data: { id: r.ResName, label: label(r), state: worst(r) } })),
    ...group.dependencies.map((d) => ({ group: 'edges', data: { id: `${d.Parent}->${d.Child}`, source: d.Parent, target: d.Child, ...d, label: `${d.OnlineDependency[0]}/${d.OfflineDependency[0]}` } })),
  ];
}

export async function changeLink(group, link, next, ifVersion) {
  const params = { group, parent: link.Parent, child: link.Child, attributes: next };
  // In place when the engine can (issue 13); else unlink + link, put back if the new link is refused.
  let env = await call('grp.link', params, { ifVersion });
  if (env.ok || env.error.code !== 'CONFLICT' || !/already exists/.test(env.error.message)) return env;
  const check = await call('grp.unlink', { group, parent: link.Parent, child: link.Child, dryRun: true });
  if (!check.ok) return check;
  const un = await call('grp.unlink', { group, parent: link.Parent, child: link.Child }, { ifVersion });
  if (!un.ok) return un;
  env = await call('grp.link', params, { ifVersion: un.result.ConfigVersion });
  if (!env.ok) await call('grp.link', { group, parent: link.Parent, child: link.Child, attributes: { OnlineDependency: link.OnlineDependency, OfflineDependency: link.OfflineDependency } });
  return env;
}

export function GraphEditor({ name }) {
  const store = useStore();
  const { status } = store;
  const container = useRef(null);
  const cyRef = useRef(null);
  const [mode, setMode] = useState('select');
  const modeRef = useRef('select');
  const [parent, setParent] = useState(null);
  const parentRef = useRef(null);
  const [selected, setSelected] = useState(null); // { kind: 'edge', id } | { kind: 'node', id }
  const [menu, setMenu] = useState(null);
  const [message, setMessage] = useState(null);
  const group = status?.groups.find((g) => g.GroupName === name);
  const resources = group ? group.resources.map((r) => status.resources.find((x) => x.ResName === r)).filter(Boolean) : [];
  const nodes = status?.nodes.map((n) => n.NodeName) ?? [];
  const admin = isAdmin();
  const shape = group ? JSON.stringify([group.resources, group.dependencies]) : '';
  const version = status?.ConfigVersion;
  const versionRef = useRef(version);
  versionRef.current = version;

  const report = (env, okText) => {
    if (env.ok) setMessage({ ok: okText });
    else setMessage({ error: `${env.error.code}: ${env.error.message}` });
    return env.ok;
  };

  const link = async (p, c) => {
    const params = { group: name, parent: p, child: c, attributes: {} };
    const dry = await call('grp.link', { ...params, dryRun: true });
    if (!report(dry, '')) return;
    const env = await call('grp.link', params, { ifVersion: versionRef.current });
    report(env, `Dependency ${p} → ${c} created (ConfigVersion ${env.result?.ConfigVersion}).`);
  };
  const unlink = async (p, c) => {
    setMenu(null);
    const env = await call('grp.unlink', { group: name, parent: p, child: c }, { ifVersion: versionRef.current });
    if (report(env, `Dependency ${p} → ${c} deleted (ConfigVersion ${env.result?.ConfigVersion}).`)) setSelected(null);
  };

  const chooseMode = (m) => {
    modeRef.current = m;
    setMode(m);
    parentRef.current = null;
    setParent(null);
  };

  useEffect(() => {
    if (!container.current) return;
    const cy = cytoscape({
      container: container.current,
      boxSelectionEnabled: false,
      autoungrabify: true,
      wheelSensitivity: 0.3,
      style: [
        { selector: 'node', style: { shape: 'round-rectangle', width: 150, height: 70, 'background-color': '#fff', 'border-width': 3, 'border-color': (n) => COLORS[n.data('state')] ?? '#9e9e9e', label: 'data(label)', 'text-wrap': 'wrap', 'text-valign': 'center', 'font-size': 11, color: '#111' } },
        { selector: 'node[state = "FAULTED"]', style: { 'border-style': 'double', 'border-width': 6 } },
        { selector: 'node:selected, node.parent-pick', style: { 'background-color': '#e3f2fd', 'border-color': '#0d47a1' } },
        { selector: 'edge', style: { width: 3, 'line-color': '#555', 'target-arrow-shape': 'triangle', 'target-arrow-color': '#555', 'curve-style': 'bezier', label: 'data(label)', 'font-size': 10, 'text-background-color': '#fff', 'text-background-opacity': 1 } },
        { selector: 'edge[OnlineDependency = "WEAK"], edge[OfflineDependency = "WEAK"]', style: { 'line-style': 'dashed' } },
        { selector: 'edge:selected', style: { 'line-color': '#0d47a1', 'target-arrow-color': '#0d47a1', width: 6 } },
      ],
    });
    cy.on('tap', 'node', (e) => {
      const id = e.target.id();
      setMenu(null);
      if (modeRef.current === 'link') {
        if (!parentRef.current) {
          parentRef.current = id;
          setParent(id);
          e.target.addClass('parent-pick');
          return;
        }
        const p = parentRef.current;
        parentRef.current = null;
        setParent(null);
        cy.nodes().removeClass('parent-pick');
        if (p !== id) void link(p, id);
        return;
      }
      setSelected({ kind: 'node', id });
    });
    cy.on('tap', 'edge', (e) => {
      setMenu(null);
      setSelected({ kind: 'edge', id: e.target.id() });
    });
    cy.on('tap', (e) => {
      if (e.target === cy) {
        setMenu(null);
        setSelected(null);
      }
    });
    cy.on('cxttap', 'edge', (e) => {
      e.target.select();
      setSelected({ kind: 'edge', id: e.target.id() });
      const pos = e.renderedPosition;
      setMenu({ id: e.target.id(), x: pos.x, y: pos.y });
    });
    cyRef.current = cy;
    window.__mccsGraph = cy; // for the end-to-end tests: where to click
    return () => {
      cy.destroy();
      cyRef.current = null;
      window.__mccsGraph = undefined;
    };
  }, [name]);

  // Shape changes relayout; state changes only restyle.
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy || !group) return;
    cy.elements().remove();
    cy.add(elementsOf(group, resources, nodes));
    cy.layout({ name: 'dagre', rankDir: 'TB', nodeSep: 40, rankSep: 70, animate: false }).run();
    cy.fit(undefined, 30);
    container.current?.setAttribute('data-shape', shape);
  }, [shape, cyRef.current]);
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy || !group) return;
    for (const el of elementsOf(group, resources, nodes)) if (el.group === 'nodes') cy.$id(el.data.id).data(el.data);
  }, [status]);

  if (!status) return html`<p>Waiting for the engine…</p>`;
  if (!group) return html`<p class="error">No group ${name}.</p>`;
  const edge = selected?.kind === 'edge' ? group.dependencies.find((d) => `${d.Parent}->${d.Child}` === selected.id) : null;
  const res = selected?.kind === 'node' ? resources.find((r) => r.ResName === selected.id) : null;

  return html`<section aria-labelledby="ge-title" class="graph-page">
    <h2 id="ge-title">Group ${name}: dependencies</h2>
    <p class="note">Parents are drawn above their children; an arrow goes from the parent to the child it depends on. Online goes bottom-up, offline top-down. Labels: OnlineDependency/OfflineDependency (S strong, W weak; weak links dashed).</p>
    ${admin &&
    html`<fieldset class="palette" role="radiogroup" aria-label="Palette">
      <legend>Palette</legend>
      <label><input type="radio" name="mode" value="select" checked=${mode === 'select'} onChange=${() => chooseMode('select')} /> Select</label>
      <label><input type="radio" name="mode" value="link" checked=${mode === 'link'} onChange=${() => chooseMode('link')} /> Create dependency</label>
      <span aria-live="polite" class="hint">${mode === 'link' ? (parent ? `Parent: ${parent}. Now click the child.` : 'Click the parent, then the child.') : 'Click a link or a resource to see it; right-click a link to delete it.'}</span>
    </fieldset>`}
    ${message?.error && html`<p class="error" role="alert" data-engine-error>${message.error}</p>`}
    ${message?.ok && html`<p class="ok-text" role="status">${message.ok}</p>`}
    <div class="graph-wrap">
      <div ref=${container} class="graph" role="img" aria-label=${`Dependency graph of group ${name}: ${group.dependencies.map((d) => `${d.Parent} depends on ${d.Child}`).join('; ') || 'no dependencies'}`}></div>
      ${menu && admin && html`<div class="context-menu" role="menu" style=${{ left: `${menu.x}px`, top: `${menu.y}px` }}>
        <button type="button" role="menuitem" autofocus onClick=${() => { const d = group.dependencies.find((x) => `${x.Parent}->${x.Child}` === menu.id); if (d) void unlink(d.Parent, d.Child); }}>Delete dependency</button>
        <button type="button" role="menuitem" onClick=${() => setMenu(null)}>Cancel</button>
      </div>`}
      <aside class="side" aria-live="polite">
        ${edge && html`<${LinkPanel} key=${edge.Parent + edge.Child} group=${name} link=${edge} admin=${admin} version=${version} report=${report} onDelete=${() => unlink(edge.Parent, edge.Child)} />`}
        ${res && html`<${ResourcePanel} res=${res} nodes=${nodes} admin=${admin} version=${version} report=${report} onDeleted=${() => setSelected(null)} />`}
        ${!edge && !res && html`<p>Nothing selected.</p>`}
      </aside>
    </div>
    <h3>Links</h3>
    <table class="links">
      <thead><tr><th scope="col">Parent</th><th scope="col">Child</th><th scope="col">OnlineDependency</th><th scope="col">OfflineDependency</th><th scope="col"><span class="sr">Select</span></th></tr></thead>
      <tbody>${group.dependencies.map((d) => html`<tr data-link=${`${d.Parent}->${d.Child}`}><td>${d.Parent}</td><td>${d.Child}</td><td>${d.OnlineDependency}</td><td>${d.OfflineDependency}</td>
        <td><button type="button" onClick=${() => { cyRef.current?.$id(`${d.Parent}->${d.Child}`).select(); setSelected({ kind: 'edge', id: `${d.Parent}->${d.Child}` }); }}>Select</button></td></tr>`)}</tbody>
    </table>
    ${admin && html`<${KeyboardLink} resources=${resources} onLink=${link} />`}
    ${admin && html`<${ResourceForm} group=${name} version=${version} report=${report} />`}
  </section>`;
}

function LinkPanel({ group, link, admin, version, report, onDelete }) {
  const [on, setOn] = useState(link.OnlineDependency);
  const [off, setOff] = useState(link.OfflineDependency);
  const apply = async (e) => {
    e.preventDefault();
    const env = await changeLink(group, link, { OnlineDependency: on, OfflineDependency: off }, version);
    report(env, `Dependency ${link.Parent} → ${link.Child} is now ${on}/${off}.`);
  };
  return html`<form class="link-panel" onSubmit=${apply} aria-label="Selected link">
    <h3>Link ${link.Parent} → ${link.Child}</h3>
    <p>${link.Parent} (parent) depends on ${link.Child} (child).</p>
    <label>OnlineDependency <select name="OnlineDependency" value=${on} disabled=${!admin} onChange=${(e) => setOn(e.currentTarget.value)}><option>STRONG</option><option>WEAK</option></select></label>
    <label>OfflineDependency <select name="OfflineDependency" value=${off} disabled=${!admin} onChange=${(e) => setOff(e.currentTarget.value)}><option>STRONG</option><option>WEAK</option></select></label>
    ${admin && html`<div class="buttons"><button type="submit" class="primary">Apply</button> <button type="button" onClick=${onDelete}>Delete dependency</button></div>`}
  </form>`;
}

function ResourcePanel({ res, nodes, admin, version, report, onDeleted }) {
  const [confirming, setConfirming] = useState(false);
  const del = async () => {
    const dry = await call('res.delete', { resource: res.ResName, dryRun: true });
    if (!report(dry, '')) return setConfirming(false);
    const env = await call('res.delete', { resource: res.ResName }, { ifVersion: version });
    if (report(env, `Resource ${res.ResName} deleted (ConfigVersion ${env.result?.ConfigVersion}).`)) onDeleted();
    setConfirming(false);
  };
  return html`<div class="res-panel">
    <h3>Resource ${res.ResName} <small>${res.Type}</small></h3>
    <ul>${nodes.map((n) => html`<li>${n}: ${res.states[n] ? html`<${State} state=${res.states[n].state} reason=${res.states[n].reason} />` : '—'}${res.states[n]?.reason ? ` — ${res.states[n].reason}` : ''}</li>`)}</ul>
    <details><summary>Attributes</summary><dl class="attrs">${Object.entries(res.attributes).map(([k, v]) => html`<dt>${k}</dt><dd>${Array.isArray(v) ? v.join(' ') : String(v)}</dd>`)}</dl></details>
    ${admin && !confirming && html`<button type="button" onClick=${() => setConfirming(true)}>Delete resource…</button>`}
    ${admin && confirming && html`<p role="alert">Delete ${res.ResName} from main.json on every node? <button type="button" class="danger" onClick=${del}>Delete</button> <button type="button" onClick=${() => setConfirming(false)}>Cancel</button></p>`}
  </div>`;
}

function KeyboardLink({ resources, onLink }) {
  const [p, setP] = useState('');
  const [c, setC] = useState('');
  return html`<form class="kbd-link" onSubmit=${(e) => { e.preventDefault(); if (p && c) void onLink(p, c); }}>
    <h3>Create a dependency</h3>
    <label>Parent <select value=${p} onChange=${(e) => setP(e.currentTarget.value)}><option value="">choose</option>${resources.map((r) => html`<option>${r.ResName}</option>`)}</select></label>
    <label>depends on child <select value=${c} onChange=${(e) => setC(e.currentTarget.value)}><option value="">choose</option>${resources.map((r) => html`<option>${r.ResName}</option>`)}</select></label>
    <button type="submit">Create dependency</button>
  </form>`;
}
