// SharedDiskDR, MirrorDiskDR: replication of the cluster's disk to a third
// (DR) site with DRBD, watched from the main site and promoted on demand at
// the DR site.
//
// - MirrorDiskDR: the 1:2 stacked setup (a DRBD resource stacked on the
//   MirrorDisk resource, replicating to the DR node; drbdadm --stacked), or a
//   3-node resource whose DrPeer connection goes to the DR node.
// - SharedDiskDR: a DRBD resource whose backing device is the shared disk,
//   replicating to the DR node; it moves between the main-site nodes with the
//   group.
// Both are one agent with a different default for Stacked.
import { AgentError, type Agent, type AgentContext, type Observation } from './agent.js';
import type { AttributeDeclaration } from '../../model/attributes.js';
import { absolutePath, attrBool, attrInt, attrString } from './toolkit/attributes.js';
import { checkMountFree, fsTypeAttr, mountFs, mountOptionsAttr, unmountFs } from './toolkit/filesystem.js';
import { mountedHere } from '../../system/mounts.js';
import {
  demote,
  describeConnection,
  drbdDevice,
  drbdResource,
  drbdStatus,
  ensureUp,
  outOfSyncKiB,
  peerDisk,
  promote,
  summarize,
  type DrbdConnection,
  type DrbdStatus,
} from './mirror-disk.js';

function attributes(stackedDefault: boolean): AttributeDeclaration[] {
  return [
    { name: 'DrbdResource', kind: 'string', editable: true, required: true, description: 'DRBD resource that replicates to the DR site (the stacked resource in a 1:2 stacked setup).' },
    { name: 'DrPeer', kind: 'string', default: '', editable: true, description: 'Connection name (host name in the DRBD configuration) of the DR node; empty: the only connection of the resource.' },
    { name: 'Site', kind: 'enum', values: ['Main', 'DR'], default: 'Main', editable: true, description: 'Main: online makes the resource Primary and watches the DR link; DR: online promotes the DR copy (drbdadm primary --force), for a disaster.' },
    { name: 'Stacked', kind: 'boolean', default: stackedDefault, editable: true, description: 'Drive the resource with drbdadm --stacked (1:2 stacked setup).' },
    { name: 'OutOfSyncThreshold', kind: 'integer', default: 102400, minimum: 0, unit: 'KiB', editable: true, description: 'The DR copy counts as fallen behind (monitor failed, warning logged) when more than this is out of sync.' },
    { name: 'MountPoint', kind: 'string', default: '', editable: true, description: 'Directory the DRBD device is mounted on (stacked setups mount the stacked device); empty: do not mount.' },
    { name: 'FSType', kind: 'string', default: '', editable: true, description: 'File system type passed to mount -t.' },
    { name: 'MountOptions', kind: 'string', default: '', editable: true, description: 'Options passed to mount -o.' },
  ];
}

interface DrConfig {
  res: string;
  peer: string;
  site: 'Main' | 'DR';
  stacked: boolean;
  threshold: number;
  mountPoint: string;
  fsType: string;
  options: string;
}

function config(ctx: AgentContext, stackedDefault: boolean): DrConfig {
  const site = attrString(ctx, 'Site') || 'Main';
  if (site !== 'Main' && site !== 'DR') throw new AgentError(`Site must be Main or DR, not '${site}'`);
  const fsType = fsTypeAttr(ctx);
  const options = mountOptionsAttr(ctx);
  return {
    res: drbdResource(ctx),
    peer: attrString(ctx, 'DrPeer'),
    site,
    stacked: attrBool(ctx, 'Stacked', stackedDefault),
    threshold: attrInt(ctx, 'OutOfSyncThreshold', 102400, 0),
    mountPoint: attrString(ctx, 'MountPoint') ? absolutePath(ctx, 'MountPoint') : '',
    fsType,
    options,
  };
}

function drLink(c: DrConfig, st: DrbdStatus): DrbdConnection | string {
  if (c.peer) return st.connections.find((x) => x.name === c.peer) ?? `no connection to the DR peer ${c.peer} in ${c.res} (connections: ${st.connections.map((x) => x.name).join(', ') || 'none'})`;
  if (st.connections.length === 1) return st.connections[0]!;
  return `${c.res} has ${st.connections.length} connections: set DrPeer to the one that goes to the DR site`;
}

/** Problems of the DR link as seen from the main site, or undefined when healthy. */
function linkProblem(c: DrConfig, link: DrbdConnection): string | undefined {
  const cs = link['connection-state'];
  if (cs === 'StandAlone') return `DR link to ${link.name} is StandAlone: DRBD dropped it (split brain or refused handshake) and will not reconnect by itself; the DR copy is not updated`;
  if (cs !== 'Connected') return `DR link to ${link.name} is ${cs}: the DR copy is not updated`;
  const oos = outOfSyncKiB(link);
  if (oos > c.threshold) return `DR copy on ${link.name} has fallen behind: ${oos} KiB out of sync (threshold ${c.threshold} KiB, peer disk ${peerDisk(link)})`;
  return undefined;
}

function makeAgent(type: 'SharedDiskDR' | 'MirrorDiskDR', stackedDefault: boolean): Agent {
  async function observe(ctx: AgentContext): Promise<Observation> {
    const c = config(ctx, stackedDefault);
    const st = await drbdStatus(ctx, c.res);
    if (!st) return { state: 'stopped', reason: `DRBD resource ${c.res} is down` };
    const link = drLink(c, st);
    if (typeof link === 'string') return { state: 'failed', reason: link };
    if (st.role !== 'Primary') return { state: 'stopped', reason: `${c.res} ${summarize(st)}` };
    if (c.mountPoint) {
      const { path, dev } = await drbdDevice(ctx, c.res, c.stacked);
      if (!mountedHere(c.mountPoint, dev)) return { state: 'failed', reason: `${c.res} is Primary but ${path} is not mounted on ${c.mountPoint}` };
    }
    if (c.site === 'DR') return { state: 'running', reason: `promoted at the DR site: ${c.res} ${summarize(st)}` };
    const problem = linkProblem(c, link);
    if (problem) {
      ctx.log(`warning: ${ctx.resName}: ${problem}`);
      return { state: 'failed', reason: problem };
    }
    return { state: 'running', reason: `${c.res} Primary, DR link ${describeConnection(link)}` };
  }

  async function mount(ctx: AgentContext, c: DrConfig): Promise<void> {
    if (!c.mountPoint) return;
    const { path, dev } = await drbdDevice(ctx, c.res, c.stacked);
    if (mountedHere(c.mountPoint, dev)) return;
    const spec = { device: path, dev, mountPoint: c.mountPoint, fsType: c.fsType, options: c.options };
    checkMountFree(spec);
    await mountFs(ctx, spec);
  }

  async function online(ctx: AgentContext): Promise<void> {
    const c = config(ctx, stackedDefault);
    const st = await ensureUp(ctx, c.res, c.stacked);
    if (c.site === 'DR') {
      // Promote at DR: the operator's decision after losing the main site. The
      // DR copy is usually Outdated or Consistent then, hence --force.
      if (st.role !== 'Primary') {
        const link = drLink(c, st);
        if (typeof link !== 'string' && link['connection-state'] === 'Connected' && link['peer-role'] === 'Primary') {
          throw new AgentError(`refusing to promote ${c.res} at the DR site: the main site (${link.name}) is connected and Primary; take it offline there first`);
        }
        ctx.log(`promoting ${c.res} at the DR site with drbdadm primary --force (disk ${st.devices[0]?.['disk-state'] ?? '?'})`);
        await promote(ctx, c.res, st, true, c.stacked);
      }
    } else {
      await promote(ctx, c.res, st, false, c.stacked);
    }
    await mount(ctx, c);
    const after = await observe(ctx);
    // A lagging or disconnected DR link is reported by the monitor; it does not make online fail.
    if (after.state === 'stopped') throw new AgentError(`after online: ${after.reason}`);
  }

  async function stop(ctx: AgentContext, force: boolean): Promise<void> {
    const c = config(ctx, stackedDefault);
    const st = await drbdStatus(ctx, c.res);
    if (!st) return;
    if (c.mountPoint) {
      const { dev } = await drbdDevice(ctx, c.res, c.stacked);
      await unmountFs(ctx, c.mountPoint, dev, { force, lazy: force });
    }
    await demote(ctx, c.res, c.stacked);
  }

  return {
    type,
    attributes: attributes(stackedDefault),
    observe,
    online,
    async offline(ctx) {
      await stop(ctx, false);
      const after = await observe(ctx);
      if (after.state === 'running') throw new AgentError(`still running after offline: ${after.reason}`);
    },
    async clean(ctx) {
      await stop(ctx, true);
    },
  };
}

export const sharedDiskDrAgent = makeAgent('SharedDiskDR', false);
export const mirrorDiskDrAgent = makeAgent('MirrorDiskDR', true);
