// What a handler returns for one group: refused, or planned (its steps are in
// the builder) with the decision that sums it up.
import type { Decision, RefusalCode } from './types.js';

export interface Failover {
  group: string;
  from: string;
  /** null: the group stays offline (no qualifying node, AutoFailover off, SINGLE or PARALLEL group). */
  to: string | null;
}

export type Outcome =
  | { kind: 'refused'; code: RefusalCode; decision: Decision }
  | { kind: 'planned'; decision: Decision; failover?: Failover };

export function refused(code: RefusalCode, decision: Decision): Outcome {
  return { kind: 'refused', code, decision };
}

export function planned(decision: Decision, failover?: Failover): Outcome {
  return failover ? { kind: 'planned', decision, failover } : { kind: 'planned', decision };
}
