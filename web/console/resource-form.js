// Adding a resource: a form generated from the declarations of its type
// (common, per-type and the agent's own), defaults shown, required marked.
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { call } from './api.js';
import { useStore } from './store.js';
import { Field, checkValue, fieldOfError } from './forms.js';

export function ResourceForm({ group, version, report }) {
  const { declarations } = useStore();
  const types = Object.keys(declarations?.types ?? {});
  const [name, setName] = useState('');
  const [type, setType] = useState(types.includes('Process') ? 'Process' : (types[0] ?? ''));
  const [values, setValues] = useState({});
  const [errors, setErrors] = useState({});
  if (!declarations) return null;
  const decls = [...declarations.resource, ...declarations.type, ...(declarations.types[type] ?? [])].filter((d) => d.editable && !d.stored);
  const ordered = [...decls.filter((d) => d.required), ...decls.filter((d) => !d.required)];
  const submit = async (e) => {
    e.preventDefault();
    const attrs = {};
    const errs = {};
    for (const d of ordered) {
      const v = values[d.name] ?? '';
      const err = checkValue(d, v);
      if (err) errs[d.name] = err;
      if (v !== '') attrs[d.name] = v;
    }
    if (!/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/.test(name)) errs.ResName = 'ResName: a letter, then letters, digits, _ . - (at most 63)';
    setErrors(errs);
    if (Object.keys(errs).length > 0) return;
    const params = { resource: name, type, group, attributes: attrs };
    const dry = await call('res.add', { ...params, dryRun: true });
    const env = dry.ok ? await call('res.add', params, { ifVersion: version }) : dry;
    if (!env.ok) {
      const f = fieldOfError(env.error, Object.keys(attrs));
      if (f) setErrors({ [f]: env.error.message });
    } else {
      setName('');
      setValues({});
    }
    report(env, `Resource ${name} added to ${group} (ConfigVersion ${env.result?.ConfigVersion}).`);
  };
  return html`<details class="res-form">
    <summary>Add a resource to ${group}</summary>
    <form onSubmit=${submit}>
      <div class=${`field${errors.ResName ? ' has-error' : ''}`}><label for="new-ResName">ResName <span aria-hidden="true">*</span></label>
        <input id="new-ResName" name="ResName" value=${name} onInput=${(e) => setName(e.currentTarget.value)} required aria-invalid=${errors.ResName ? 'true' : undefined} />
        ${errors.ResName && html`<span class="field-error" role="alert">${errors.ResName}</span>`}</div>
      <div class="field"><label for="new-Type">Type</label>
        <select id="new-Type" name="Type" value=${type} onChange=${(e) => { setType(e.currentTarget.value); setValues({}); setErrors({}); }}>${types.map((t) => html`<option>${t}</option>`)}</select></div>
      ${ordered.map((d) => html`<${Field} decl=${d} idPrefix="new" value=${values[d.name] ?? ''} error=${errors[d.name]} onInput=${(v) => setValues({ ...values, [d.name]: v })} />`)}
      <div class="buttons"><button type="submit" class="primary">Add resource</button></div>
    </form>
  </details>`;
}
