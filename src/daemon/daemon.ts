// `mccs daemon`: the engine of this node in the foreground. SIGTERM stops
// the engine only; the services it manages keep running and are adopted by
// the next start.
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { listenLocal, listenRemote } from '../api/server.js';
import { clusterPorts } from '../cluster/ports.js';
import { ClusterNode } from '../cluster/cluster-node.js';
import { Engine } from '../engine/engine.js';
import { FileLogger } from '../engine/logger.js';
import { readProcStat } from '../engine/proc.js';
import { MccsError } from '../model/errors.js';
import { homePaths } from '../model/home.js';

export interface DaemonOptions {
  home: string;
  node?: string;
  /** Log to stdout too (foreground, journald). */
  stdout?: boolean;
}

export interface RunningDaemon {
  engine: Engine;
  cluster?: ClusterNode;
  server: Server;
  /** `cause` names what stopped it ("engine stop (SIGINT)"), for the ENGINE_STOP event. */
  stop(cause?: string): Promise<void>;
}

/** One engine per MCCS_HOME: a pid file naming a live process refuses a second one. */
function takePidFile(path: string): void {
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      const stat = readProcStat(pid);
      if (stat && stat.state !== 'Z' && stat.state !== 'X') {
        throw new MccsError('CONFLICT', `an engine already runs for this MCCS_HOME (pid ${pid})`, ['stop it first: systemctl stop mccs']);
      }
    }
  }
  writeFileSync(path, `${process.pid}\n`);
}

/** Two nodes in main.json and this one not StandAlone: heartbeat, peer, failover. */
function isCluster(engine: Engine): boolean {
  const me = engine.config.Nodes.find((n) => n.NodeName === engine.localNode);
  return engine.config.Nodes.length > 1 && me?.StandAlone !== true;
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const paths = homePaths(options.home);
  for (const dir of [paths.logDir, paths.runDir]) mkdirSync(dir, { recursive: true });
  const pidFile = `${paths.runDir}/mccs.pid`;
  takePidFile(pidFile);
  const logger = new FileLogger(paths.engineLog, options.stdout ?? true);
  const engine = new Engine({ home: options.home, nodeName: options.node, logger });
  let server: Server | undefined;
  let cluster: ClusterNode | undefined;
  let remote: Server[] = [];
  try {
    // The socket is up before the probe so that `mccluster status` can show INITING.
    await engine.load();
    server = await listenLocal(engine, paths.socket);
    const me = engine.config.Nodes.find((n) => n.NodeName === engine.localNode)!;
    const addresses = [me.PrimaryHB, me.SecondaryHB].filter((a): a is string => typeof a === 'string' && a !== '');
    remote = await listenRemote(engine, addresses, clusterPorts(Number(engine.config.Cluster.HBPort ?? 14321)).api);
    if (isCluster(engine)) {
      // The node state machine decides when this node builds, probes and starts groups.
      cluster = new ClusterNode(engine);
      await cluster.start();
    } else {
      await engine.start();
    }
  } catch (e) {
    await cluster?.stop().catch(() => undefined);
    for (const r of remote) r.close();
    server?.close();
    if (existsSync(pidFile)) unlinkSync(pidFile);
    throw e;
  }
  const s = server;
  return {
    engine,
    cluster,
    server: s,
    stop: async (cause?: string) => {
      await cluster?.stop();
      await engine.stop(cause);
      for (const r of remote) r.close();
      await new Promise<void>((r) => s.close(() => r()));
      s.closeAllConnections?.();
      for (const f of [paths.socket, pidFile]) if (existsSync(f)) unlinkSync(f);
    },
  };
}
