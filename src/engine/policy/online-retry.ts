// OnlineRetryLimit: an online attempt failed. The resource is cleaned (nothing
// half-started stays) and, while attempts are left, started again within the
// same online step; once they are used up the failure is final and the
// engine reports it as a ResourceFailed (final) event, which the failure rules
// handle (fault, parents, failover).
//   attempt = onlineRetryCount (the failed attempts so far, this one included)
//   attempt <= OnlineRetryLimit  -> ONLINE_RETRY: clean, then online again
//   otherwise                    -> ONLINE_RETRIES_EXHAUSTED: clean only
import { resourceNumber } from '../../model/resolve.js';
import { decide } from './codes.js';
import { resourceOf, type Ctx } from './context.js';
import { planned, type Outcome } from './outcome.js';
import type { PlanBuilder } from './steps.js';

export function onlineAttemptFailed(ctx: Ctx, b: PlanBuilder, res: string, node: string, reason: string): Outcome {
  const g = ctx.group.GroupName;
  const attempt = ctx.observed.resources[node]?.[res]?.onlineRetryCount ?? 1;
  const limit = resourceNumber(ctx.config, resourceOf(ctx, res), 'OnlineRetryLimit');
  const attempts = limit + 1;
  const facts = { group: g, resource: res, node, reason, attempt, attempts, onlineRetryLimit: limit };
  if (attempt <= limit) {
    const clean = b.add('clean', g, res, node, [], decide('ONLINE_RETRY_CLEAN', `clean ${res} on ${node} after failed online attempt ${attempt} of ${attempts}`, facts));
    b.add('online', g, res, node, [clean], decide('ONLINE_RETRY', `start ${res} on ${node} again: attempt ${attempt + 1} of ${attempts}`, facts));
    return planned(decide('ONLINE_RETRY', `online attempt ${attempt} of ${attempts} of ${res} failed on ${node} (${reason}): cleaned and tried again (OnlineRetryLimit ${limit})`, facts));
  }
  b.add('clean', g, res, node, [], decide('ONLINE_FAILED_CLEAN', `clean ${res} on ${node} after its last failed online attempt (${attempt} of ${attempts})`, facts));
  return planned(decide('ONLINE_RETRIES_EXHAUSTED', `online of ${res} failed on ${node} after ${attempt} attempt${attempt === 1 ? '' : 's'} (OnlineRetryLimit ${limit}): ${reason}; the failure is final`, facts));
}
