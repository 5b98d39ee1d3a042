// The one gate. Every event reaches a group's handler only through here;
// maintenance (Frozen), locks and Enabled are checked nowhere else.
//
//              | Frozen  | Locked / tempLocked | Enabled=false
//   start      | refuse  | refuse              | refuse
//   stop       | refuse  | refuse              | pass
//   protect    | hold    | pass                | pass     (the cluster's own offline: heal give-up, isolation)
//   switch     | refuse  | refuse              | refuse
//   clear      | pass    | pass                | pass     (bookkeeping only: no agent runs)
//   failure    | hold    | pass                | hold
//   takeover   | hold    | pass                | hold
//   autostart  | hold    | pass                | hold
//   recovery   | hold    | pass                | pass     (AutoRestart: its follow-up online is gated as autostart)
//   resource   | pass    | pass                | pass     (time rules of a resource: retry, monitor timeouts, clear timer)
//   cluster    | pass    | pass                | pass     (heal, isolation, evacuation: their follow-ups are gated themselves:
//                                                          heal's and isolation's offline as protect, heal's and AutoRestart's
//                                                          online as autostart, evacuation's switches as the operator's switch)
//
// refuse: the operator's request is refused (CONFLICT, exit 5), no steps.
// hold:   the event is recorded as a decision without steps (the engine still
//         records the observed state: a frozen group is watched, never acted on).
// Locks stop operator requests only (SPEC: "refuses online, offline and
// switch requests"); they never stop the cluster from saving a service.
import { groupFlag } from '../../model/resolve.js';
import type { GroupConfig } from '../../model/types.js';
import { decide } from './codes.js';
import type { Decision, GroupRuntime, PolicyEvent } from './types.js';

export type Intent = 'start' | 'stop' | 'protect' | 'switch' | 'clear' | 'failure' | 'takeover' | 'autostart' | 'recovery' | 'resource' | 'cluster';

export function intentOf(event: PolicyEvent): Intent {
  switch (event.kind) {
    case 'GroupOnline':
      return event.by === 'cluster' ? 'autostart' : 'start';
    case 'GroupOffline':
      return event.by === 'cluster' ? 'protect' : 'stop';
    case 'ResourceOnline':
      return 'start';
    case 'ResourceOffline':
      return 'stop';
    case 'GroupSwitch':
      return 'switch';
    case 'ResourceClear':
    case 'GroupClear':
      return 'clear';
    case 'ResourceFailed':
      return 'failure';
    case 'NodeFaulted':
      return 'takeover';
    case 'OwnershipLost':
      return 'failure';
    case 'ProbeComplete':
      return 'autostart';
    case 'ResourceRecovered':
      return 'recovery';
    case 'OnlineAttemptFailed':
    case 'MonitorTimedOut':
    case 'MonitorConfirmed':
    case 'FaultTimer':
      return 'resource';
    case 'PeerStateReceived':
    case 'NodeIsolated':
    case 'NodeEvacuate':
      return 'cluster';
  }
}

export type GateVerdict = { verdict: 'refuse' | 'hold'; decision: Decision } | null;

const OPERATOR: readonly Intent[] = ['start', 'stop', 'switch'];

/** null: the handler may act. Otherwise what the plan says instead. */
export function gate(group: GroupConfig, runtime: GroupRuntime | undefined, intent: Intent): GateVerdict {
  const g = group.GroupName;
  const operator = OPERATOR.includes(intent);
  if (intent === 'clear' || intent === 'resource' || intent === 'cluster') return null;
  if (groupFlag(group, 'Frozen')) {
    return operator
      ? { verdict: 'refuse', decision: decide('FROZEN', `group ${g} is frozen (maintenance): the engine watches it but does not act; unfreeze it first`, { group: g, intent }) }
      : { verdict: 'hold', decision: decide('FROZEN', `group ${g} is frozen (maintenance): observed, no action taken`, { group: g, intent }) };
  }
  if (operator && (groupFlag(group, 'Locked') || runtime?.tempLocked === true)) {
    const how = groupFlag(group, 'Locked') ? 'locked' : 'temporarily locked';
    return { verdict: 'refuse', decision: decide('LOCKED', `group ${g} is ${how}: online, offline and switch requests are refused; unlock it first`, { group: g, intent, locked: groupFlag(group, 'Locked'), tempLocked: runtime?.tempLocked === true }) };
  }
  if (!groupFlag(group, 'Enabled') && intent !== 'stop' && intent !== 'protect' && intent !== 'recovery') {
    return operator
      ? { verdict: 'refuse', decision: decide('GROUP_DISABLED', `group ${g} is disabled: it is never brought online; enable it first`, { group: g, intent }) }
      : { verdict: 'hold', decision: decide('GROUP_DISABLED', `group ${g} is disabled: observed, no action taken`, { group: g, intent }) };
  }
  return null;
}
