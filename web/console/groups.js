// Groups → resources, with the state on every node, the flags, a legend,
// and the actions (Administrators only).
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { isAdmin, useStore } from './store.js';
import { Flag, Legend, State } from './states.js';
import { ActionDialog } from './actions.js';
import { groupLoad } from './load.js';

export function Groups() {
  const { status } = useStore();
  const [closed, setClosed] = useState({});
  const [dialog, setDialog] = useState(null);
  if (!status) return html`<p>Waiting for the engine…</p>`;
  const nodes = status.nodes.map((n) => n.NodeName);
  const byName = new Map(status.resources.map((r) => [r.ResName, r]));
  const admin = isAdmin();
  return html`<section aria-labelledby="gr-title" data-ready="groups">
    <h2 id="gr-title">Groups and resources</h2>
    ${!admin && html`<p class="note" data-readonly="true">Read-only: role ${status && 'Monitor'} sees everything and changes nothing.</p>`}
    <${Legend} />
    <table class="tree">
      <thead><tr><th scope="col">Group / resource</th>${nodes.map((n) => html`<th scope="col">${n}</th>`)}<th scope="col"><abbr title="Load: what the group weighs on the node it runs on (node Capacity)">Load</abbr></th><th scope="col">Flags</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
      ${status.groups.map((g) => {
        const open = !closed[g.GroupName];
        const a = g.attributes;
        return html`<tbody data-group=${g.GroupName}>
          <tr class="group-row">
            <th scope="row">
              <button type="button" class="twisty" aria-expanded=${open} aria-controls=${`res-of-${g.GroupName}`} onClick=${() => setClosed({ ...closed, [g.GroupName]: open })}><span aria-hidden="true">${open ? '▾' : '▸'}</span><span class="sr">${open ? 'collapse' : 'expand'}</span></button>
              <strong>${g.GroupName}</strong> <small>${a.GroupType}</small>
            </th>
            ${nodes.map((n) => html`<td data-node=${n}>${g.states[n] ? html`<${State} state=${g.states[n]} />` : '—'}</td>`)}
            <td data-load=${groupLoad(g)}>${a.GroupType === 'PARALLEL' ? html`<span class="note" title="PARALLEL groups are not counted">—</span>` : groupLoad(g)}</td>
            <td><${Flag} name="Frozen" on=${a.Frozen} /> <${Flag} name="Locked" on=${a.Locked} /> <${Flag} name="Disabled" on=${a.Enabled === false} /></td>
            <td class="row-actions">
              ${admin && html`<button type="button" data-act="group" onClick=${() => setDialog({ kind: 'group', name: g.GroupName })}>Actions…</button>`}
              <a href=${`#/group/${encodeURIComponent(g.GroupName)}`}>Dependencies</a>
              <a href=${`#/why/group/${encodeURIComponent(g.GroupName)}`}>Why?</a>
            </td>
          </tr>
          ${open &&
          g.resources.map((name) => {
            const r = byName.get(name);
            if (!r) return null;
            return html`<tr class="res-row" id=${`res-of-${g.GroupName}`} data-resource=${name}>
              <th scope="row" class="res-name">${name} <small>${r.Type}</small></th>
              ${nodes.map((n) => html`<td data-node=${n}>${r.states[n] ? html`<${State} state=${r.states[n].state} reason=${r.states[n].reason} />` : '—'}${r.states[n]?.restartCount ? html` <small>restarts ${r.states[n].restartCount}</small>` : ''}</td>`)}
              <td></td>
              <td><${Flag} name="Critical" on=${r.attributes.Critical} /> <${Flag} name="Disabled" on=${r.attributes.Enabled === false} /></td>
              <td class="row-actions">
                ${admin && html`<button type="button" data-act="resource" onClick=${() => setDialog({ kind: 'resource', name })}>Actions…</button>`}
                <a href=${`#/why/resource/${encodeURIComponent(name)}`}>Why?</a>
              </td>
            </tr>`;
          })}
        </tbody>`;
      })}
    </table>
    ${dialog && html`<${ActionDialog} ...${dialog} onClose=${() => setDialog(null)} />`}
  </section>`;
}
