// OnlineTrustTime: a resource that has run without failing for that long
// earns its restarts back (restartCount to 0), so RestartLimit counts
// failures close together, not failures over a lifetime.
//   no restart counted                         -> NOTHING_TO_DO
//   now - onlineSince < OnlineTrustTime        -> TRUST_PENDING
//   otherwise                                  -> ONLINE_TRUSTED: one reset-restarts step
import { resourceNumber } from '../../model/resolve.js';
import { decide } from './codes.js';
import { resourceOf, type Ctx } from './context.js';
import { planned, type Outcome } from './outcome.js';
import type { PlanBuilder } from './steps.js';

export function monitorConfirmed(ctx: Ctx, b: PlanBuilder, res: string, node: string, now: number): Outcome {
  const g = ctx.group.GroupName;
  const st = ctx.observed.resources[node]?.[res];
  const restarts = st?.restartCount ?? 0;
  const trustMs = Math.round(resourceNumber(ctx.config, resourceOf(ctx, res), 'OnlineTrustTime') * 1000);
  const counted = `${restarts} restart${restarts === 1 ? ' is' : 's are'}`;
  const facts = { group: g, resource: res, node, restartCount: restarts, onlineTrustTime: trustMs / 1000 };
  if (restarts === 0 || st?.onlineSince === undefined) return planned(decide('NOTHING_TO_DO', `${res} runs on ${node} with no restart to forgive`, facts));
  const ranMs = now - st.onlineSince;
  if (ranMs < trustMs) return planned(decide('TRUST_PENDING', `${res} has run ${Math.round(ranMs / 1000)} s on ${node} since its last start; its ${counted} forgiven after OnlineTrustTime ${trustMs / 1000} s`, { ...facts, ranMs: Math.round(ranMs) }));
  b.add('reset-restarts', g, res, node, [], decide('RESTART_COUNT_RESET', `${res} ran ${trustMs / 1000} s without failing: restart count reset`, facts));
  return planned(decide('ONLINE_TRUSTED', `${res} ran OnlineTrustTime ${trustMs / 1000} s on ${node} without failing: its ${counted} forgiven`, { ...facts, ranMs: Math.round(ranMs) }));
}
