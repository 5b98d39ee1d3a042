// The MCCS_HOME layout of SPEC §4.
import { join } from 'node:path';

export interface HomePaths {
  home: string;
  config: string;
  mainJson: string;
  clusterKey: string;
  usersJson: string;
  tlsDir: string;
  logDir: string;
  engineLog: string;
  eventsLog: string;
  runDir: string;
  socket: string;
  agentStateDir: string;
}

export function mccsHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.MCCS_HOME && env.MCCS_HOME !== '' ? env.MCCS_HOME : '/opt/mccs';
}

export function homePaths(home = mccsHome()): HomePaths {
  const config = join(home, 'config');
  const logDir = join(home, 'log');
  const runDir = join(home, 'run');
  return {
    home,
    config,
    mainJson: join(config, 'main.json'),
    clusterKey: join(config, 'cluster.key'),
    usersJson: join(config, 'users.json'),
    tlsDir: join(config, 'tls'),
    logDir,
    engineLog: join(logDir, 'engine.log'),
    eventsLog: join(logDir, 'events.jsonl'),
    runDir,
    socket: join(runDir, 'mccs.sock'),
    agentStateDir: join(runDir, 'agents'),
  };
}
