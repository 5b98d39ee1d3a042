// The engine process: `node dist/daemon/main.js [--node NAME]` (what
// `mccs daemon` runs, without the CLI framework in the way).
import { parseArgs } from 'node:util';
import { MccsError } from '../model/errors.js';
import { mccsHome } from '../model/home.js';
import { installCrashHandlers } from './crash.js';
import { startDaemon } from './daemon.js';

export async function runForeground(options: { home: string; node?: string }): Promise<never> {
  let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined;
  // SIGHUP (a closed terminal, logrotate's postrotate) never ends the engine, even while it starts.
  // Log files are opened afresh for every line, so a rotated engine.log/events.jsonl is re-created at once.
  process.on('SIGHUP', () => {
    const line = 'SIGHUP received: log files re-opened; the engine keeps running';
    if (daemon) daemon.engine.log.info(line);
    else process.stderr.write(`mccs daemon: ${line}\n`);
  });
  try {
    daemon = await startDaemon(options);
  } catch (e) {
    const err = e instanceof MccsError ? e : new MccsError('FAILED', (e as Error).message);
    process.stderr.write(`mccs daemon: ${err.message}\n${err.actions.map((a) => `  → ${a}\n`).join('')}`);
    process.exit(err.exitCode);
  }
  const running = daemon;
  installCrashHandlers(running.engine.log);
  await new Promise<void>((resolve) => {
    // SIGTERM and SIGINT stop the engine (one log line, one ENGINE_STOP event naming the signal).
    const stop = (signal: string) => {
      running.engine.log.info(`${signal} received: stopping the engine only (services keep running)`);
      void running.stop(`engine stop (${signal})`).then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  process.exit(0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { node: { type: 'string' }, home: { type: 'string' } } });
  void runForeground({ home: values.home ?? mccsHome(), node: values.node });
}
