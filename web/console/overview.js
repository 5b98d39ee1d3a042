// Cluster overview: every node (2 to 16) and its state, heartbeat links,
// jeopardy, Load and Capacity, warnings, ConfigVersion and whether every node
// agrees on it.
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { isAdmin, useStore } from './store.js';
import { State } from './states.js';
import { ActionDialog } from './actions.js';
import { nodeLoad } from './load.js';

export function agreement(status) {
  const m = status.membership;
  const versions = [{ node: status.localNode, v: status.ConfigVersion }, ...(m?.peers ?? []).map((p) => ({ node: p.node, v: p.configVersion }))];
  const known = versions.filter((x) => x.v !== null && x.v !== undefined);
  const agree = known.every((x) => x.v === status.ConfigVersion);
  return { versions, agree, complete: known.length === versions.length };
}

/** Peers this node holds by one heartbeat link only. */
export function jeopardyPeers(status) {
  return (status.membership?.peers ?? []).filter((p) => p.jeopardy).map((p) => p.node);
}

export function Overview() {
  const { status } = useStore();
  const [dialog, setDialog] = useState(null);
  if (!status) return html`<p>Waiting for the engine…</p>`;
  const m = status.membership;
  const ag = agreement(status);
  const jp = jeopardyPeers(status);
  return html`<section aria-labelledby="ov-title">
    <h2 id="ov-title">Cluster ${status.ClusterName}</h2>
    <p>This console runs on <strong>${status.localNode}</strong>.
      ${m?.jeopardy || jp.length > 0 ? html` <span class="state st-warn" data-jeopardy="true"><span aria-hidden="true">⚠</span> JEOPARDY: one heartbeat link left${jp.length > 0 ? ` to ${jp.join(', ')}` : ''}</span>` : html` <span class="state st-ok" data-jeopardy="false"><span aria-hidden="true">✔</span> no jeopardy</span>`}</p>
    <p data-config-agreement=${ag.agree ? 'agree' : 'differ'}>
      ConfigVersion <strong data-config-version>${status.ConfigVersion}</strong>:
      ${ag.agree ? html`<span class="state st-ok"><span aria-hidden="true">✔</span> ${ag.complete ? 'every node agrees' : 'agrees with every node heard'}</span>` : html`<span class="state st-bad"><span aria-hidden="true">✖</span> nodes differ</span>`}
      (${ag.versions.map((x) => `${x.node} ${x.v ?? '?'}`).join(', ')})
    </p>
    <table class="nodes">
      <caption>Nodes</caption>
      <thead><tr><th scope="col">Node</th><th scope="col">State</th><th scope="col">PrimaryHB</th><th scope="col">SecondaryHB</th><th scope="col">Load in use</th><th scope="col">Capacity</th><th scope="col">Available</th><th scope="col">Last decision</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
      <tbody>
        ${status.nodes.map((n) => {
          const l = nodeLoad(status, n.NodeName);
          return html`<tr data-node=${n.NodeName}>
          <th scope="row"><a href=${`#/node/${encodeURIComponent(n.NodeName)}`}>${n.NodeName}</a>${n.NodeName === status.localNode ? ' (this node)' : ''}</th>
          <td><${State} state=${n.state} /></td>
          <td>${n.attributes.PrimaryHB ?? '—'} ${n.attributes.PrimaryHBStatus && html`<${State} state=${n.attributes.PrimaryHBStatus} />`}</td>
          <td>${n.attributes.SecondaryHB ?? '—'} ${n.attributes.SecondaryHBStatus && html`<${State} state=${n.attributes.SecondaryHBStatus} />`}${jp.includes(n.NodeName) ? html` <span class="state st-warn" data-node-jeopardy><span aria-hidden="true">⚠</span> one link left</span>` : ''}</td>
          <td data-load-in-use=${l.inUse} title=${l.groups.map((g) => `${g.group} ${g.load}`).join(', ') || 'no group with a Load active here'}>${l.inUse}</td>
          <td data-capacity=${l.capacity ?? ''}>${l.capacity ?? html`<span class="note">unlimited</span>`}</td>
          <td data-available=${l.available ?? ''}>${l.available === undefined ? '—' : l.full ? html`<span class="state st-warn"><span aria-hidden="true">⚠</span> ${l.available} (full)</span>` : l.available}</td>
          <td>${n.attributes.decision ? html`<span class="code">${n.attributes.decision.code}</span> ${n.attributes.decision.message}` : '—'}</td>
          <td>${isAdmin() && html`<button type="button" onClick=${() => setDialog({ kind: 'node', name: n.NodeName })}>Evacuate…</button>`}</td>
        </tr>`;
        })}
      </tbody>
    </table>
    <h3>Warnings</h3>
    ${status.warnings.length === 0 ? html`<p>None.</p>` : html`<ul class="warnings">${status.warnings.map((w) => html`<li><span aria-hidden="true">⚠</span> ${w}</li>`)}</ul>`}
    <h3>Groups</h3>
    <p>${status.groups.length} groups, ${status.resources.length} resources: <a href="#/groups">groups and resources</a>.</p>
    ${dialog && html`<${ActionDialog} ...${dialog} onClose=${() => setDialog(null)} />`}
  </section>`;
}
