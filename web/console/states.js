// States are never told by colour alone: each has a symbol and its name.
import { html } from './html.js';

export const STATE_LOOK = {
  ONLINE: { symbol: '●', cls: 'ok', text: 'online' },
  RUNNING: { symbol: '●', cls: 'ok', text: 'running' },
  UP: { symbol: '▲', cls: 'ok', text: 'link up' },
  OFFLINE: { symbol: '○', cls: 'idle', text: 'offline' },
  EXITED: { symbol: '○', cls: 'idle', text: 'engine exited' },
  NONE: { symbol: '–', cls: 'idle', text: 'no link configured' },
  STARTING: { symbol: '↑', cls: 'busy', text: 'starting' },
  STOPPING: { symbol: '↓', cls: 'busy', text: 'stopping' },
  INITING: { symbol: '…', cls: 'busy', text: 'engine starting' },
  LOCAL_BUILD: { symbol: '…', cls: 'busy', text: 'building from its own main.json' },
  REMOTE_BUILD: { symbol: '…', cls: 'busy', text: 'taking the configuration from the peer' },
  PARTIAL: { symbol: '◐', cls: 'warn', text: 'partly online' },
  FAULTED: { symbol: '✖', cls: 'bad', text: 'faulted' },
  DOWN: { symbol: '▼', cls: 'bad', text: 'link down' },
  UNKNOWN: { symbol: '?', cls: 'idle', text: 'not probed yet' },
};

export function State({ state, reason }) {
  const look = STATE_LOOK[state] ?? { symbol: '?', cls: 'idle', text: state };
  return html`<span class=${`state st-${look.cls}`} data-state=${state} title=${reason ? `${state}: ${reason}` : look.text}><span aria-hidden="true">${look.symbol}</span> ${state}</span>`;
}

export function Flag({ name, on }) {
  if (!on) return null;
  const symbol = { Frozen: '❄', Locked: '🔒', Disabled: '⊘', Critical: '!' }[name] ?? '•';
  return html`<span class="flag" data-flag=${name}><span aria-hidden="true">${symbol}</span> ${name}</span>`;
}

export function Legend() {
  const resourceStates = ['ONLINE', 'OFFLINE', 'STARTING', 'STOPPING', 'PARTIAL', 'FAULTED', 'UNKNOWN'];
  return html`<details class="legend">
    <summary>Legend</summary>
    <ul>
      ${resourceStates.map((s) => html`<li><${State} state=${s} /> — ${STATE_LOOK[s].text}</li>`)}
      <li><${Flag} name="Frozen" on=${true} /> — maintenance: the engine watches and reports, never acts</li>
      <li><${Flag} name="Locked" on=${true} /> — online, offline and switch are refused</li>
      <li><${Flag} name="Disabled" on=${true} /> — never brought online</li>
      <li><${Flag} name="Critical" on=${true} /> — its final failure fails the whole group over</li>
      <li>— : the group may not run on that node (not in its NodeList)</li>
    </ul>
  </details>`;
}
