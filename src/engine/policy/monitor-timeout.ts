// FaultOnMonitorTimeouts: a monitor that times out says nothing about the
// resource. Only that many timeouts in a row count as a failed observation
// (0 = never); a monitor that answers starts the count again.
//   monitorTimeouts < FaultOnMonitorTimeouts (or the limit is 0) -> MONITOR_TIMEOUT_TOLERATED
//   otherwise -> MONITOR_TIMEOUTS_FAULT: the engine treats the observation as
//                failed (facts.reason), as if the monitor had said so
import { resourceNumber } from '../../model/resolve.js';
import { decide } from './codes.js';
import { resourceOf, type Ctx } from './context.js';
import { planned, type Outcome } from './outcome.js';

export function monitorTimedOut(ctx: Ctx, res: string, node: string, reason: string): Outcome {
  const count = ctx.observed.resources[node]?.[res]?.monitorTimeouts ?? 1;
  const limit = resourceNumber(ctx.config, resourceOf(ctx, res), 'FaultOnMonitorTimeouts');
  const facts = { group: ctx.group.GroupName, resource: res, node, monitorTimeouts: count, faultOnMonitorTimeouts: limit, error: reason };
  if (limit === 0 || count < limit) {
    const of = limit === 0 ? 'FaultOnMonitorTimeouts 0: never counted as a failure' : `${count} of FaultOnMonitorTimeouts ${limit}`;
    return planned(decide('MONITOR_TIMEOUT_TOLERATED', `monitor of ${res} on ${node} failed (${of}): ${reason}; watched again`, facts));
  }
  const failure = `${count} monitor timeouts in a row`;
  return planned(decide('MONITOR_TIMEOUTS_FAULT', `monitor of ${res} on ${node} failed ${count} times in a row (FaultOnMonitorTimeouts ${limit}): counted as a failure`, { ...facts, reason: failure }));
}
