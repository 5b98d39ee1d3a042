// The monitor loop of the local resources: the probe at engine start, one
// timer per resource (MonitorInterval online, OfflineMonitorInterval
// offline), what each result means (failure, recovery, unexpected online),
// and the time rules that follow results: FaultOnMonitorTimeouts,
// OnlineTrustTime, AutoRestart and AutoFaultClearTime.
import type { Engine } from './engine.js';
import type { Observation } from './agents/agent.js';
import { agentFor } from './agents/catalog.js';
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
      const limit = Number(resolveResourceAttributes(e.config, res).FaultOnMonitorTimeouts ?? 4);
      e.log.warn(`monitor of ${name} failed (${rt.monitorTimeouts}${limit ? `/${limit}` : ''}): ${(err as Error).message}`);
      if (limit === 0 || rt.monitorTimeouts < limit) return this.schedule(group, res);
      obs = { state: 'failed', reason: `${rt.monitorTimeouts} monitor timeouts in a row` };
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
        this.trustIfLongEnough(res);
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
    const st = e.observed.resources[e.localNode]?.[name];
    const same = (before === 'ONLINE' && obs.state === 'running') || ((before === 'OFFLINE' || before === 'FAULTED') && obs.state === 'stopped');
    if (!st || !same || (st.reason === obs.reason && JSON.stringify(st.details) === JSON.stringify(obs.details))) return;
    st.reason = obs.reason;
    st.details = obs.details;
    e.onLocalStateChange?.();
  }

  /** OnlineTrustTime: a resource that ran well for long enough earns its restarts back. */
  private trustIfLongEnough(res: ResourceConfig): void {
    const e = this.engine;
    const rt = e.runtimes.get(res.ResName);
    const st = e.status(e.localNode, res.ResName);
    if (!st.restartCount || rt.onlineSince === undefined) return;
    const trust = timing(resolveResourceAttributes(e.config, res), 'OnlineTrustTime', 600);
    if (performance.now() - rt.onlineSince >= trust) {
      st.restartCount = 0;
      e.log.info(`${res.ResName} ran ${trust / 1000} s without failing: restart count reset`);
    }
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
   * offline has recovered; if the group is online nowhere, it comes back here.
   */
  private autoRestart(group: GroupConfig, recovered: string): void {
    const e = this.engine;
    if (group.AutoRestart !== true || group.Frozen === true) return;
    const online = group.NodeList.some((n) => ['ONLINE', 'PARTIAL', 'STARTING'].includes(e.groupState(group.GroupName, n) ?? ''));
    if (online) return;
    e.handle({ kind: 'GroupOnline', group: group.GroupName, node: e.localNode }, { cause: `AutoRestart: ${recovered} recovered` }).catch((err: Error) => e.log.warn(`AutoRestart of ${group.GroupName}: ${err.message}`));
  }

  /** AutoFaultClearTime: a FAULTED resource is cleared after that long (0 = never). */
  scheduleAutoClear(resName: string): void {
    const e = this.engine;
    let group: GroupConfig;
    try {
      group = e.findResource(resName).group;
    } catch {
      return;
    }
    const seconds = typeof group.AutoFaultClearTime === 'number' ? group.AutoFaultClearTime : 0;
    if (seconds <= 0) return;
    const timer = setTimeout(() => {
      if (e.stopped || e.status(e.localNode, resName).state !== 'FAULTED') return;
      e.handle({ kind: 'ResourceClear', resource: resName, node: e.localNode }, { cause: `AutoFaultClearTime ${seconds} s of group ${group.GroupName}` }).catch((err: Error) => e.log.warn(`auto clear of ${resName}: ${err.message}`));
    }, seconds * 1000);
    timer.unref?.();
  }
}
