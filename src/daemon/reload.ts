// After a node rename the running engine restarts in process under the new
// names: the heartbeat links, the peer channel and the cluster database are
// keyed by node name, and a fresh start is the one tested way to rebuild them
// (it probes and adopts every resource: services keep running, nothing is
// started twice, as with `systemctl restart mccs`).
//
// Order matters: the peer must hold the new configuration before this engine
// stops, or it would not know the new name it hears next. Its heartbeats carry
// its ConfigVersion, so wait for that (bounded), then stop and start again.
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { Engine } from '../engine/engine.js';
import { recordRenames, type NodeRename } from '../model/rename.js';

interface Running {
  engine: Engine;
  cluster?: ClusterNode;
  stop(): Promise<void>;
}

const PEER_WAIT_MS = 10_000;

export async function reloadAfterRename(old: Running, renames: NodeRename[], version: number, relaunch: (node: string) => Promise<void>): Promise<void> {
  const { engine } = old;
  const me = renames.find((r) => r.from === engine.localNode)?.to ?? engine.localNode;
  try {
    recordRenames(engine.paths.config, renames);
  } catch (e) {
    engine.log.warn(`could not record the rename in config/node-renames.json: ${(e as Error).message} (start the engine with --node ${me})`);
  }
  for (const { from, to } of renames) {
    engine.record({ subject: `node:${to}`, cause: 'configuration change', rule: 'NODE_RENAMED', message: `node ${from} is now ${to}; this engine restarts under the new names (services keep running)`, facts: { from, to, ConfigVersion: version } });
  }
  // Let the answer to the operator leave first.
  await new Promise((r) => setTimeout(r, 300));
  const end = Date.now() + PEER_WAIT_MS;
  while (old.cluster && Date.now() < end) {
    const peers = old.cluster.membership.status().peers;
    if (peers.every((p) => p.state !== 'RUNNING' || (p.configVersion ?? 0) >= version)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  engine.log.info(`node rename: restarting the engine as ${me} (ConfigVersion ${version})`);
  await old.stop();
  try {
    await relaunch(me);
  } catch (e) {
    // systemd (Restart=on-failure) starts it again; --node OLD finds the new name in node-renames.json.
    process.stderr.write(`mccs daemon: restart as ${me} after the rename failed: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
