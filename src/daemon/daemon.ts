// `mccs daemon`: the engine of this node in the foreground. SIGTERM stops
// the engine only; the services it manages keep running and are adopted by
// the next start.
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { handleForwarded, listenLocal, listenRemote } from '../api/server.js';
import { clusterPorts } from '../cluster/ports.js';
import { ClusterNode } from '../cluster/cluster-node.js';
import { Engine } from '../engine/engine.js';
import { FileLogger } from '../engine/logger.js';
import { underSystemd } from '../engine/log-format.js';
import { readProcStat } from '../system/proc.js';
import { writeFailures } from '../engine/write-failures.js';
import { readConfinedFile } from '../model/confined-file.js';
import { MccsError } from '../model/errors.js';
import { homePaths } from '../model/home.js';
import { currentNodeName, nodeRenames, readRenames } from '../model/rename.js';
import { reloadAfterRename } from './reload.js';
import { startMetrics, type MetricsEndpoint } from '../metrics/metrics-server.js';
import { startNotifier, type Notifier } from '../notify/notifier.js';

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
  try {
    writeFileSync(path, `${process.pid}\n`);
  } catch (e) {
    // A full disk must not keep the engine from starting (its services need it more than the pid file).
    writeFailures.report('pid file', e);
  }
}

/** Two nodes in main.json and this one not StandAlone: heartbeat, peer, failover. */
function isCluster(engine: Engine): boolean {
  const me = engine.config.Nodes.find((n) => n.NodeName === engine.localNode);
  return engine.config.Nodes.length > 1 && me?.StandAlone !== true;
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  let current = await launch(options, resolveNodeName(options));
  let reloading: Promise<void> | undefined;
  let stopped = false;
  const daemon: RunningDaemon = {
    get engine() {
      return current.engine;
    },
    get cluster() {
      return current.cluster;
    },
    get server() {
      return current.server;
    },
    stop: async (cause?: string) => {
      stopped = true;
      await reloading?.catch(() => undefined);
      await current.stop(cause);
    },
  };
  // A node rename (mcnode rename) reaches every engine as a configuration
  // change; each restarts in process under the new names (services keep running).
  const watch = (): void => {
    current.engine.changes.on('config', (before, after) => {
      const renames = nodeRenames(before, after);
      if (renames.length === 0 || reloading || stopped) return;
      const old = current;
      reloading = reloadAfterRename(old, renames, after.ConfigVersion, async (node) => {
        if (stopped) return;
        current = await launch(options, node);
        watch();
      }).finally(() => (reloading = undefined));
    });
  };
  watch();
  return daemon;
}

/** `--node OLD` (or MCCS_NODE=OLD) of a node renamed since: its new name, from config/node-renames.json. */
function resolveNodeName(options: DaemonOptions): string | undefined {
  const requested = options.node ?? (process.env.MCCS_NODE || undefined);
  if (requested === undefined) return undefined;
  const paths = homePaths(options.home);
  let names: string[] = [];
  try {
    // Confined like every read of main.json (no symlink out of MCCS_HOME, no FIFO or device).
    names = (JSON.parse(readConfinedFile(paths.mainJson).toString('utf8')) as { Nodes?: { NodeName?: string }[] }).Nodes?.map((n) => String(n.NodeName)) ?? [];
  } catch {
    return requested; // the engine's load reports a missing or invalid main.json
  }
  const { name, renamedFrom } = currentNodeName(requested, names, readRenames(paths.config));
  if (renamedFrom) process.stderr.write(`mccs daemon: node ${renamedFrom} was renamed to ${name}; starting as ${name}\n`);
  return name;
}

interface Launched {
  engine: Engine;
  cluster?: ClusterNode;
  server: Server;
  stop(cause?: string): Promise<void>;
}

async function launch(options: DaemonOptions, node: string | undefined): Promise<Launched> {
  const paths = homePaths(options.home);
  for (const dir of [paths.logDir, paths.runDir]) mkdirSync(dir, { recursive: true });
  const pidFile = `${paths.runDir}/mccs.pid`;
  takePidFile(pidFile);
  // Under systemd journald keeps the log (stdout only, never twice); elsewhere the file, and a terminal too.
  const journal = underSystemd();
  const logger = new FileLogger(journal ? undefined : paths.engineLog, options.stdout ?? (journal || process.stdout.isTTY === true));
  const engine = new Engine({ home: options.home, nodeName: node, logger });
  let server: Server | undefined;
  let cluster: ClusterNode | undefined;
  let remote: Server[] = [];
  let metrics: MetricsEndpoint | undefined;
  let notifier: Notifier | undefined;
  try {
    // The socket is up before the probe so that `mccluster status` can show INITING.
    await engine.load();
    logger.context.node = engine.localNode;
    server = await listenLocal(engine, paths.socket);
    const me = engine.config.Nodes.find((n) => n.NodeName === engine.localNode)!;
    const addresses = [me.PrimaryHB, me.SecondaryHB].filter((a): a is string => typeof a === 'string' && a !== '');
    remote = await listenRemote(engine, addresses, clusterPorts(Number(engine.config.Cluster.HBPort ?? 14321)).api);
    if (isCluster(engine)) cluster = new ClusterNode(engine, handleForwarded);
    // Both listen on the event log, so they see the engine's first records.
    notifier = startNotifier(engine);
    metrics = await startMetrics(engine, cluster?.membership, cluster?.witness);
    if (cluster) {
      // The node state machine decides when this node builds, probes and starts groups.
      await cluster.start();
    } else {
      await engine.start();
    }
  } catch (e) {
    await cluster?.stop().catch(() => undefined);
    await metrics?.close().catch(() => undefined);
    await notifier?.close(0).catch(() => undefined);
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
      await metrics?.close();
      // Events of the stop itself get a short grace to reach the receivers.
      await notifier?.close(2000);
      for (const r of remote) r.close();
      await new Promise<void>((r) => s.close(() => r()));
      s.closeAllConnections?.();
      for (const f of [paths.socket, pidFile]) if (existsSync(f)) unlinkSync(f);
    },
  };
}
