// Crash discipline: an exception or a promise rejection nobody handled means
// the engine's state can no longer be trusted. It is logged with its stack
// and the engine exits non-zero at once; systemd starts it again, and the new
// engine probes and adopts the services, which kept running (SPEC §2).
import type { Logger } from '../engine/logger.js';

/** Exit status of a crashed engine (EX_SOFTWARE). */
export const CRASH_EXIT_CODE = 70;

export function installCrashHandlers(log: Logger, exit: (code: number) => never = process.exit): void {
  const crash = (kind: string, err: unknown): never => {
    const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    try {
      log.error(`engine crash (${kind}): ${text.replace(/\n/g, '\n    ')}`);
      log.error(`engine exits with status ${CRASH_EXIT_CODE}; services keep running and are adopted at the next start`);
    } catch {
      // the log is gone too: stderr below still reaches the journal
    }
    process.stderr.write(`mccs daemon: ${kind}: ${text}\n`);
    return exit(CRASH_EXIT_CODE);
  };
  process.on('uncaughtException', (e) => crash('uncaught exception', e));
  process.on('unhandledRejection', (e) => crash('unhandled promise rejection', e));
}
