// The monitor loop of the local resources: the probe at engine start, one
// timer per resource (MonitorInterval online, OfflineMonitorInterval
// offline), what each result means (failure, recovery, unexpected online),
// and the facts the time rules that follow results need: the policy decides
// FaultOnMonitorTimeouts, OnlineTrustTime, AutoRestart and AutoFaultClearTime
// (src/engine/policy), this loop counts, keeps the times and carries out.
import type { Engine } from './engine.js';
import type { Observation } from './agents/agent.js';
import { agentFor } from './agents/catalog.js';
import { execute } from './executor.js';
import { resolveResourceAttributes, timing } from './resolve-attributes.js';
import type { GroupConfig, ResourceConfig, ResourceState } from '../model/types.js';

export class MonitorLoop {
  constructor(private readonly engine: Engine) {}

  /** Probes every resource once (adopting what runs); nothing acts before. */
  async probeAll(): Promise<void> {
    const e = this.engine;
    await Promise.all(
      [...e.allResources()].map(async ({ group, res }) => {
        if (res.Enabled === false) {
          e.setState(e.localNode, res.ResName, { state: 'OFFLINE', reason: 'disabled' }, undefined);
          return;
        }
        const obs = await e.observeOnce(group, res);
        const state: ResourceState = obs.state === 'running' ? 'ONLINE' : agentFor(res.Type)?.monitorOnly && obs.state === 'failed' ? 'FAULTED' : 'OFFLINE';
        if (state === 'ONLINE') e.runtimes.get(res.ResName).onlineSince = performance.now();
        e.setState(e.localNode, res.ResName, { state, reason: obs.reason, restartCount: 0, ...(obs.details ? { details: obs.details } : {}) }, { cause: 'probe at engine start', rule: state === 'ONLINE' ? 'PROBE_ADOPTED' : 'PROBE_STATE', message: state === 'ONLINE' ? `${res.ResName} found running: adopted` : `${res.ResName} is ${state}: ${obs.reason}` });
      }),
    );
  }

  /** (Re)arms the resource's monitor timer; a result from an earlier timer is dropped. */
  schedule(group: GroupConfig, res: ResourceConfig): void {
    const e = this.engine;
    if (e.stopped || res.Enabled === false) return;
    const rt = e.runtimes.get(res.ResName);
    if (rt.timer) clearTimeout(rt.timer);
    const attrs = resolveResourceAttributes(e.config, res, group);
    const st = e.status(e.localNode, res.ResName).state;
    const monitorOnly = agentFor(res.Type)?.monitorOnly === true;
    const interval = st === 'ONLINE' || monitorOnly ? timing(attrs, 'MonitorInterval', 10) : timing(attrs, 'OfflineMonitorInterval', 60);
    if (interval <= 0) return;
    const epoch = ++rt.epoch;
    rt.timer = setTimeout(() => {
      void this.tick(res.ResName, epoch);
    }, interval);
    rt.timer.unref?.();
  }

  private async tick(name: string, epoch: number): Promise<void> {
    const e = this.engine;
    if (e.stopped) return;
    let found: { group: GroupConfig; res: ResourceConfig };
    try {
      found = e.findResource(name);
    } catch {
      return; // deleted meanwhile
    }
    const { group, res } = found;
    const rt = e.runtimes.get(name);
    if (rt.busy || rt.epoch !== epoch) return this.schedule(group, res);
    const before = e.status(e.localNode, name);
    let obs: Observation;
    const t0 = performance.now();
    try {
      obs = await e.ops.withAgent(group, res, 'MonitorTimeout', 10, (a, ctx) => a.observe(ctx));
      rt.monitorTimeouts = 0;
      e.timings.emit('monitor', res.Type, (performance.now() - t0) / 1000, obs.state);
    } catch (err) {
      e.timings.emit('monitor', res.Type, (performance.now() - t0) / 1000, 'error');
      rt.monitorTimeouts++;
      // FaultOnMonitorTimeouts: the policy says whether these timeouts now count as a failure.
      const verdict = e.ask({ kind: 'MonitorTimedOut', resource: name, node: e.localNode, reason: (err as Error).message }, { resource: { monitorTimeouts: rt.monitorTimeouts } });
      const limit = Number(verdict.decision.facts.faultOnMonitorTimeouts ?? 0);
      e.log.warn(`monitor of ${name} failed (${rt.monitorTimeouts}${limit ? `/${limit}` : ''}): ${(err as Error).message}`);
      if (verdict.decision.code !== 'MONITOR_TIMEOUTS_FAULT') return this.schedule(group, res);
      obs = { state: 'failed', reason: String(verdict.decision.facts.reason) };
    }
    if (rt.busy || rt.epoch !== epoch) return this.schedule(group, res);
    this.applyResult(group, res, before.state, obs);
    this.schedule(group, res);
  }

  private applyResult(group: GroupConfig, res: ResourceConfig, before: ResourceState, obs: Observation): void {
    const e = this.engine;
    const name = res.ResName;
    const rt = e.runtimes.get(name);
    this.refreshObservation(name, before, obs);
    const monitorOnly = agentFor(res.Type)?.monitorOnly === true;
    if (before === 'ONLINE') {
      if (obs.state === 'running') {
        void this.trust(res);
        return;
      }
      this.failure(name, obs.reason);
      return;
    }
    if (monitorOnly) {
      // Persistent resources (NIC) clear themselves when they recover.
      if (obs.state === 'running') {
        e.setState(e.localNode, name, { state: 'ONLINE', reason: obs.reason }, { cause: 'monitor', rule: 'MONITOR_RECOVERED', message: `${name} is up again: ${obs.reason}` });
        this.autoRestart(group, name);
      } else if (before !== 'FAULTED') {
        e.setState(e.localNode, name, { state: 'FAULTED', reason: obs.reason }, { cause: 'monitor', rule: 'MONITOR_FAILED', message: `${name} failed: ${obs.reason}` });
      }
      return;
    }
    if (before === 'OFFLINE' && obs.state === 'running') {
      rt.onlineSince = performance.now();
      e.setState(e.localNode, name, { state: 'ONLINE', reason: obs.reason }, { cause: 'offline monitor', rule: 'UNEXPECTED_ONLINE', message: `${name} found running on ${e.localNode} while it was offline: ${obs.reason}` });
    }
  }

  /** A monitor that confirms the state keeps the shown reason and details fresh (replication lag…), without an event. */
  private refreshObservation(name: string, before: ResourceState, obs: Observation): void {
    const e = this.engine;
    const st = e.observedStore.observed.resources[e.localNode]?.[name];
    const same = (before === 'ONLINE' && obs.state === 'running') || ((before === 'OFFLINE' || before === 'FAULTED') && obs.state === 'stopped');
    if (!st || !same || (st.reason === obs.reason && JSON.stringify(st.details) === JSON.stringify(obs.details))) return;
    st.reason = obs.reason;
    st.details = obs.details;
    e.cluster.localStateChanged();
  }

  /** OnlineTrustTime: the policy says when a resource that ran well for long enough earns its restarts back. */
  private async trust(res: ResourceConfig): Promise<void> {
    const e = this.engine;
    const rt = e.runtimes.get(res.ResName);
    const plan = e.ask({ kind: 'MonitorConfirmed', resource: res.ResName, node: e.localNode }, { resource: { onlineSince: rt.onlineSince } });
    if (plan.steps.length > 0) await execute(plan, e.ops.effects(plan, 'monitor'));
  }

  /** Called by agents that see their resource end between ticks (child exit, lost lease). */
  unexpectedExit(name: string, reason: string): void {
    const e = this.engine;
    const rt = e.runtimes.get(name);
    if (e.stopped || rt.busy || e.status(e.localNode, name).state !== 'ONLINE') return;
    this.failure(name, reason);
  }

  private failure(name: string, reason: string): void {
    const e = this.engine;
    const st = e.status(e.localNode, name);
    if (st.state !== 'ONLINE') return;
    e.runtimes.get(name).onlineSince = undefined;
    const { group } = e.findResource(name);
    e.setState(e.localNode, name, { ...st, state: 'OFFLINE', reason }, { cause: 'monitor', rule: 'RESOURCE_FAILED', message: `${name} failed on ${e.localNode}: ${reason}` });
    e.handle({ kind: 'ResourceFailed', resource: name, node: e.localNode, reason }, { cause: `monitor: ${name} failed (${reason})` }).catch((err) => e.log.error(`handling failure of ${name} in ${group.GroupName}: ${(err as Error).message}`));
  }

  /**
   * AutoRestart: a persistent resource (NIC) whose failure took its group
   * offline has recovered; the policy says whether its group comes back here.
   */
  private autoRestart(group: GroupConfig, recovered: string): void {
    const e = this.engine;
    const plan = e.ask({ kind: 'ResourceRecovered', resource: recovered, node: e.localNode });
    for (const f of plan.followUps ?? []) e.handle(f.event, { cause: `AutoRestart: ${recovered} recovered` }).catch((err: Error) => e.log.warn(`AutoRestart of ${group.GroupName}: ${err.message}`));
  }

  /**
   * AutoFaultClearTime: the policy says when a FAULTED resource is cleared
   * (asked when the fault appears, and again when the timer it gave is due).
   */
  scheduleAutoClear(resName: string): void {
    const rt = this.engine.runtimes.get(resName);
    rt.faultedSince = performance.now();
    this.autoClear(resName);
  }

  private autoClear(resName: string): void {
    const e = this.engine;
    const rt = e.runtimes.get(resName);
    if (rt.clearTimer) clearTimeout(rt.clearTimer);
    rt.clearTimer = undefined;
    if (e.stopped) return;
    let plan;
    try {
      e.findResource(resName);
      plan = e.ask({ kind: 'FaultTimer', resource: resName, node: e.localNode }, { resource: { faultedSince: rt.faultedSince } });
    } catch {
      return; // deleted meanwhile
    }
    const d = plan.decision;
    if (d.code === 'AUTO_CLEAR_PENDING') {
      rt.clearTimer = setTimeout(() => this.autoClear(resName), Math.max(0, Number(d.facts.dueAt) - performance.now()));
      rt.clearTimer.unref?.();
      return;
    }
    for (const f of plan.followUps ?? []) {
      e.handle(f.event, { cause: `AutoFaultClearTime ${String(d.facts.autoFaultClearTime)} s of group ${String(d.facts.group)}` }).catch((err: Error) => e.log.warn(`auto clear of ${resName}: ${err.message}`));
    }
  }
}
