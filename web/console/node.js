// Node management: the "Node Attributes" tab. Edits are checked against the
// declarations, then sent with the ConfigVersion the page showed (ifVersion):
// a change made by someone else meanwhile is refused, not overwritten.
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { call } from './api.js';
import { isAdmin, useStore } from './store.js';
import { State } from './states.js';
import { Field, asText, checkValue, fieldOfError } from './forms.js';
import { loadSentence, nodeLoad } from './load.js';

export function NodePage({ name }) {
  const store = useStore();
  const { status, declarations } = store;
  const node = status?.nodes.find((n) => n.NodeName === name);
  const [baseVersion, setBaseVersion] = useState(null);
  const [values, setValues] = useState({});
  const [errors, setErrors] = useState({});
  const [message, setMessage] = useState(null);
  const reset = () => {
    setBaseVersion(status.ConfigVersion);
    setValues(Object.fromEntries((declarations?.node ?? []).map((d) => [d.name, asText(node.attributes[d.name])])));
    setErrors({});
  };
  useEffect(() => {
    if (node && declarations && baseVersion === null) reset();
  }, [node, declarations]);
  if (!status || !declarations) return html`<p>Loading…</p>`;
  if (!node) return html`<p class="error">No node ${name}.</p>`;
  const admin = isAdmin();
  const decls = declarations.node;
  const save = async (e) => {
    e.preventDefault();
    const changed = {};
    const errs = {};
    for (const d of decls) {
      if (!d.editable) continue;
      const before = asText(node.attributes[d.name]);
      if (values[d.name] === before) continue;
      const err = checkValue(d, values[d.name]);
      if (err) errs[d.name] = err;
      changed[d.name] = values[d.name];
    }
    setErrors(errs);
    if (Object.keys(errs).length > 0) return setMessage({ error: 'Fix the fields marked in red.' });
    if (Object.keys(changed).length === 0) return setMessage({ ok: 'Nothing changed.' });
    const env = await call('node.modify', { node: name, attributes: changed }, { ifVersion: baseVersion });
    if (!env.ok) {
      const f = fieldOfError(env.error, Object.keys(changed));
      if (f) setErrors({ [f]: env.error.message });
      return setMessage({ error: `${env.error.code}: ${env.error.message}` });
    }
    setMessage({ ok: `Saved: ConfigVersion ${env.result.ConfigVersion}.` });
    setBaseVersion(env.result.ConfigVersion);
  };
  return html`<section aria-labelledby="node-title">
    <h2 id="node-title">Node ${name} <${State} state=${node.state} /></h2>
    <p data-node-load>Load: ${loadSentence(nodeLoad(status, name))}.</p>
    <div role="tablist" aria-label="Node views"><button role="tab" aria-selected="true" id="tab-attrs" aria-controls="panel-attrs">Node Attributes</button></div>
    <form id="panel-attrs" role="tabpanel" aria-labelledby="tab-attrs" class="attr-form" onSubmit=${save}>
      <p class="note">Grey: read-only. White: editable${admin ? '' : ' by an Administrator'}. Shown at ConfigVersion <strong data-form-version>${baseVersion}</strong>${baseVersion !== status.ConfigVersion ? html` — <span class="state st-warn">the configuration is now at ${status.ConfigVersion}</span> <button type="button" onClick=${reset}>Reload values</button>` : ''}.</p>
      ${decls.map((d) => html`<${Field} decl=${d} idPrefix="node" value=${values[d.name] ?? ''} readOnly=${!admin} error=${errors[d.name]} onInput=${(v) => setValues({ ...values, [d.name]: v })} />`)}
      ${message?.error && html`<p class="error" role="alert" data-form-error>${message.error}</p>`}
      ${message?.ok && html`<p class="ok-text" role="status">${message.ok}</p>`}
      ${admin && html`<div class="buttons"><button type="submit" class="primary">Save</button> <button type="button" onClick=${reset}>Discard changes</button></div>`}
    </form>
    ${admin && html`<${RenameForm} name=${name} version=${status.ConfigVersion} />`}
  </section>`;
}

/** Node rename (mcnode rename): the engine's dry run first, then a confirmation. */
function RenameForm({ name, version }) {
  const [to, setTo] = useState('');
  const [preview, setPreview] = useState(null);
  const [outcome, setOutcome] = useState(null);
  const check = async (e) => {
    e.preventDefault();
    setOutcome(null);
    setPreview(await call('node.rename', { node: name, name: to, dryRun: true }));
  };
  const run = async () => {
    const env = await call('node.rename', { node: name, name: to }, { ifVersion: version });
    setPreview(null);
    setOutcome(env);
    if (env.ok) location.hash = `#/node/${encodeURIComponent(to)}`;
  };
  return html`<form class="rename" onSubmit=${check} aria-labelledby="rename-title">
    <h3 id="rename-title">Rename node ${name}</h3>
    <p class="note">Renames it in Nodes, every NodeList and AutoStartNode, on every node; the engines then restart under the new names (services keep running). Refused while a group runs there or a node is not RUNNING.</p>
    <label>New name <input name="newName" value=${to} onInput=${(e) => setTo(e.currentTarget.value)} required /></label>
    <button type="submit">Check (dry run)</button>
    ${preview && !preview.ok && html`<p class="error" role="alert" data-rename-error><strong>${preview.error.code}:</strong> ${preview.error.message}</p>`}
    ${preview?.ok && html`<p role="status">${preview.result.wouldChange === false ? 'That is already its name.' : `The engine accepts it: ${name} → ${to} (groups: ${(preview.result.groups ?? []).join(', ') || 'none'}).`}
      ${preview.result.wouldChange !== false && html` <button type="button" class="danger" onClick=${run}>Rename ${name} to ${to}</button>`}</p>`}
    ${outcome && !outcome.ok && html`<p class="error" role="alert"><strong>${outcome.error.code}:</strong> ${outcome.error.message}</p>`}
    ${outcome?.ok && html`<p class="ok-text" role="status">Renamed: ConfigVersion ${outcome.result.ConfigVersion}. ${outcome.result.restart ?? ''}</p>`}
  </form>`;
}
