// Form fields generated from the attribute declarations (the same ones that
// build main.json's JSON Schema): read-only grey, editable white, defaults
// shown, and the error of a field beside it.
import { html } from './html.js';

export function asText(v) {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** The declaration's own checks, before the engine validates the whole configuration. */
export function checkValue(d, text) {
  if (text === '') return d.required ? `${d.name} is required` : null;
  if (d.kind === 'integer' || d.kind === 'number') {
    const n = Number(text);
    if (Number.isNaN(n) || (d.kind === 'integer' && !Number.isInteger(n))) return `${d.name} must be ${d.kind === 'integer' ? 'an integer' : 'a number'}`;
    if (d.minimum !== undefined && n < d.minimum) return `${d.name} must be ≥ ${d.minimum}`;
    if (d.maximum !== undefined && n > d.maximum) return `${d.name} must be ≤ ${d.maximum}`;
  }
  if (d.kind === 'boolean' && !['true', 'false'].includes(text)) return `${d.name} must be true or false`;
  if (d.kind === 'enum' && !d.values.includes(text)) return `${d.name} must be one of ${d.values.join(', ')}`;
  if (d.pattern && d.kind === 'string' && !new RegExp(d.pattern).test(text)) return `${d.name} does not match ${d.pattern}`;
  return null;
}

/** The engine's error, placed beside the field it names (validator paths or the attribute name). */
export function fieldOfError(error, names) {
  const paths = Array.isArray(error?.details) ? error.details.map((x) => x.path ?? '') : [];
  for (const n of names) {
    if (paths.some((p) => p.endsWith(`/${n}`) || p.includes(`/${n}/`))) return n;
  }
  for (const n of names) if (new RegExp(`\\b${n}\\b`).test(error?.message ?? '')) return n;
  return null;
}

export function Field({ decl, value, onInput, error, readOnly, idPrefix = 'f' }) {
  const id = `${idPrefix}-${decl.name}`;
  const ro = readOnly || !decl.editable;
  const hint = `${decl.description}${decl.default !== undefined && decl.default !== '' ? ` Default: ${asText(decl.default)}.` : ''}${decl.unit ? ` Unit: ${decl.unit}.` : ''}`;
  const common = { id, name: decl.name, 'aria-describedby': `${id}-hint${error ? ` ${id}-err` : ''}`, 'aria-invalid': error ? 'true' : undefined, class: ro ? 'readonly' : 'editable' };
  let input;
  if (!ro && (decl.kind === 'enum' || decl.kind === 'boolean')) {
    const values = decl.kind === 'boolean' ? ['true', 'false'] : decl.values;
    input = html`<select ...${common} value=${value} onChange=${(e) => onInput(e.currentTarget.value)}>
      <option value="">${decl.default !== undefined ? `(default: ${asText(decl.default)})` : '(not set)'}</option>
      ${values.map((v) => html`<option value=${v}>${v}</option>`)}
    </select>`;
  } else {
    input = html`<input ...${common} value=${value} readOnly=${ro} placeholder=${decl.default !== undefined ? asText(decl.default) : ''} onInput=${(e) => onInput(e.currentTarget.value)} />`;
  }
  return html`<div class=${`field${error ? ' has-error' : ''}`} data-field=${decl.name}>
    <label for=${id}>${decl.name}${decl.required ? html` <span aria-hidden="true">*</span><span class="sr">(required)</span>` : ''}${ro ? html` <small>(read-only)</small>` : ''}</label>
    ${input}
    ${error && html`<span class="field-error" id=${`${id}-err`} role="alert">${error}</span>`}
    <small class="hint" id=${`${id}-hint`}>${hint}</small>
  </div>`;
}
