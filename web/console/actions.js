// Actions on groups, resources and nodes: confirmation, the dry-run plan of
// the policy (the same as --dry-run), then the run with its progress step by
// step (from the live states), then the outcome with the events' rule codes.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { call, getJson } from './api.js';
import { useStore } from './store.js';
import { State } from './states.js';

const GROUP_ACTIONS = [
  { id: 'online', label: 'Bring online', method: 'grp.online', node: true },
  { id: 'offline', label: 'Take offline', method: 'grp.offline', node: true },
  { id: 'switch', label: 'Switch to another node', method: 'grp.switch', node: true },
  { id: 'clear', label: 'Clear a fault', method: 'grp.clear', node: true },
  { id: 'freeze', label: 'Freeze (maintenance)', method: 'grp.freeze' },
  { id: 'unfreeze', label: 'Unfreeze', method: 'grp.unfreeze' },
  { id: 'lock', label: 'Lock', method: 'grp.lock' },
  { id: 'unlock', label: 'Unlock', method: 'grp.unlock' },
  { id: 'enable', label: 'Enable', method: 'grp.enable' },
  { id: 'disable', label: 'Disable', method: 'grp.disable' },
];
const RESOURCE_ACTIONS = [
  { id: 'online', label: 'Bring online', method: 'res.online', node: true },
  { id: 'offline', label: 'Take offline', method: 'res.offline', node: true },
  { id: 'clear', label: 'Clear a fault', method: 'res.clear', node: true },
  { id: 'probe', label: 'Probe now (one monitor)', method: 'res.probe', node: true, noPlan: true },
];
const NODE_ACTIONS = [{ id: 'evacuate', label: 'Evacuate (switch its groups away)', method: 'node.evacuate' }];

export function actionsFor(kind) {
  return kind === 'group' ? GROUP_ACTIONS : kind === 'resource' ? RESOURCE_ACTIONS : NODE_ACTIONS;
}

function paramsOf(kind, name, action, node) {
  if (kind === 'node') return { node: name };
  return { [kind === 'group' ? 'group' : 'resource']: name, ...(action.node && node ? { node } : {}) };
}

function stepText(s) {
  return `${s.op} ${s.resource} on ${s.node}`;
}

/** A step's progress from the live states: done, running or waiting. */
export function stepProgress(step, status) {
  const r = status?.resources.find((x) => x.ResName === step.resource);
  const st = r?.states[step.node]?.state;
  if (step.op === 'online') return st === 'ONLINE' ? 'done' : st === 'STARTING' ? 'running' : st === 'FAULTED' ? 'failed' : 'waiting';
  if (step.op === 'offline' || step.op === 'clean') return st === 'OFFLINE' || st === 'FAULTED' ? 'done' : st === 'STOPPING' ? 'running' : 'waiting';
  if (step.op === 'clear') return st && st !== 'FAULTED' ? 'done' : 'waiting';
  if (step.op === 'fault') return st === 'FAULTED' ? 'done' : 'waiting';
  return 'waiting';
}

function PlanView({ plan, status, live }) {
  if (!plan) return null;
  if (plan.refused) return html`<p class="error" role="alert"><strong>Refused (${plan.refused.code}):</strong> ${plan.refused.message}</p>`;
  return html`<div class="plan">
    <p><span class="code">${plan.decision.code}</span> ${plan.decision.message}</p>
    ${plan.steps.length === 0
      ? html`<p>Nothing to do: it already holds.</p>`
      : html`<ol class="steps">
          ${plan.steps.map((s) => {
            const p = live ? stepProgress(s, status) : 'planned';
            const mark = { done: '✔', running: '…', failed: '✖', waiting: '·', planned: '·' }[p];
            return html`<li class=${`step step-${p}`} data-step-state=${p}><span aria-hidden="true">${mark}</span> ${stepText(s)} <span class="code">${s.decision.code}</span> <span class="sr">${p}</span></li>`;
          })}
        </ol>`}
  </div>`;
}

/**
 * kind: 'group' | 'resource' | 'node'; name: its name; initial: action id.
 */
export function ActionDialog({ kind, name, initial, onClose }) {
  const store = useStore();
  const ref = useRef(null);
  const actions = actionsFor(kind);
  const [actionId, setActionId] = useState(initial ?? actions[0].id);
  const action = actions.find((a) => a.id === actionId) ?? actions[0];
  const nodes = nodesFor(store.status, kind, name);
  const [node, setNode] = useState(nodes[0] ?? '');
  const [preview, setPreview] = useState(null);
  const [stage, setStage] = useState('confirm'); // confirm → running → done
  const [outcome, setOutcome] = useState(null);
  const [events, setEvents] = useState([]);

  useEffect(() => {
    ref.current?.showModal?.();
  }, []);

  useEffect(() => {
    if (stage !== 'confirm') return;
    let gone = false;
    setPreview({ loading: true });
    if (action.noPlan) {
      setPreview({ text: `runs one monitor of ${name} on ${node} and reports what it sees; changes nothing` });
      return;
    }
    call(action.method, { ...paramsOf(kind, name, action, node), dryRun: true }).then((env) => {
      if (!gone) setPreview(env);
    });
    return () => (gone = true);
  }, [actionId, node, stage]);

  const run = async () => {
    const started = new Date(Date.now() - 1000).toISOString();
    setStage('running');
    const env = await call(action.method, { ...paramsOf(kind, name, action, node), ...(action.noPlan ? {} : { wait: true, timeout: 120 }) });
    setOutcome(env);
    setStage('done');
    const group = kind === 'group' ? name : kind === 'resource' ? store.status?.resources.find((r) => r.ResName === name)?.GroupName : undefined;
    const ev = await getJson(`/api/events?since=${encodeURIComponent(started)}${group ? `&group=${encodeURIComponent(group)}` : ''}&limit=50`);
    if (ev.ok) setEvents(ev.result);
  };

  const close = () => {
    ref.current?.close?.();
    onClose();
  };

  const plan = preview?.ok ? preview.result?.plan : undefined;
  const runPlan = stage !== 'confirm' && plan ? plan : undefined;
  const previewError = preview && preview.ok === false ? preview.error : null;
  return html`<dialog ref=${ref} class="action-dialog" aria-labelledby="action-title" onCancel=${close}>
    <h2 id="action-title">${kind} ${name}</h2>
    ${stage === 'confirm' &&
    html`<form method="dialog" onSubmit=${(e) => { e.preventDefault(); run(); }}>
      <label>Action
        <select name="action" value=${actionId} onChange=${(e) => setActionId(e.currentTarget.value)}>
          ${actions.map((a) => html`<option value=${a.id}>${a.label}</option>`)}
        </select>
      </label>
      ${action.node && html`<label>Node
        <select name="node" value=${node} onChange=${(e) => setNode(e.currentTarget.value)}>
          ${nodes.map((n) => html`<option value=${n}>${n}</option>`)}
        </select>
      </label>`}
      <section class="preview" aria-live="polite">
        <h3>Plan (dry run: nothing has run yet)</h3>
        ${preview?.loading && html`<p>Asking the engine for the plan…</p>`}
        ${preview?.text && html`<p>${preview.text}</p>`}
        ${previewError && html`<p class="error" role="alert"><strong>${previewError.code}:</strong> ${previewError.message}</p>`}
        ${plan && html`<${PlanView} plan=${plan} />`}
        ${preview?.ok && !plan && preview.result?.dryRun && html`<p>${preview.result.wouldChange === false ? 'Already so: nothing would change.' : 'Changes the configuration (ConfigVersion rises on every node).'}</p>`}
      </section>
      <p class="confirm-q">Run “${action.label}” on ${kind} ${name}${action.node ? ` (node ${node})` : ''}?</p>
      <div class="buttons">
        <button type="submit" class="primary" disabled=${!!previewError || !!plan?.refused || preview?.loading}>Run</button>
        <button type="button" onClick=${close}>Cancel</button>
      </div>
    </form>`}
    ${stage !== 'confirm' &&
    html`<section aria-live="polite">
      <h3>${stage === 'running' ? 'Running…' : 'Outcome'}</h3>
      ${runPlan && html`<${PlanView} plan=${runPlan} status=${store.status} live=${true} />`}
      ${stage === 'done' && outcome?.ok && html`<p class="ok-text" role="status" data-outcome="ok">✔ Done${outcome.changed === false ? ' (it already held: nothing changed)' : ''}.${outcome.result?.observation ? ` Observed: ${outcome.result.observation} — ${outcome.result.reason ?? ''}` : ''}</p>`}
      ${stage === 'done' && outcome && !outcome.ok && html`<p class="error" role="alert" data-outcome="error"><strong>${outcome.error.code}:</strong> ${outcome.error.message}</p>`}
      ${events.length > 0 && html`<h3>Events</h3><ul class="events-mini">${events.map((e) => html`<li><span class="code">${e.rule}</span> ${e.node}: ${e.message}</li>`)}</ul>`}
      <div class="buttons"><button type="button" onClick=${close} disabled=${stage === 'running'}>Close</button></div>
    </section>`}
  </dialog>`;
}

function nodesFor(status, kind, name) {
  if (!status) return [];
  if (kind === 'group') return status.groups.find((g) => g.GroupName === name)?.attributes.NodeList ?? [];
  if (kind === 'resource') {
    const r = status.resources.find((x) => x.ResName === name);
    return r ? Object.keys(r.states) : [];
  }
  return status.nodes.map((n) => n.NodeName);
}

export { State };
