// What a handler returns for one group: refused, or planned (its steps are in
// the builder) with the decision that sums it up, and the events the caller
// runs after it (heal, isolation, evacuation, AutoRestart, AutoFaultClearTime).
import type { Decision, FollowUp, RefusalCode } from './types.js';

export interface Failover {
  group: string;
  from: string;
  /** null: the group stays offline (no qualifying node, AutoFailover off, SINGLE or PARALLEL group). */
  to: string | null;
}

export type Outcome =
  | { kind: 'refused'; code: RefusalCode; decision: Decision }
  | { kind: 'planned'; decision: Decision; failover?: Failover; followUps?: FollowUp[] };

export function refused(code: RefusalCode, decision: Decision): Outcome {
  return { kind: 'refused', code, decision };
}

export function planned(decision: Decision, failover?: Failover, followUps?: FollowUp[]): Outcome {
  const out: Outcome = { kind: 'planned', decision };
  if (failover) out.failover = failover;
  if (followUps && followUps.length > 0) out.followUps = followUps;
  return out;
}
