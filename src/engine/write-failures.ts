// A full or failing disk under MCCS_HOME (ENOSPC, EIO, a read-only file
// system) must not stop the engine from starting, watching and failing over
// services, none of which need that disk. Writers of the engine log, the
// event log and the agents' state keep going in memory and report here; one
// LOG_WRITE_FAILED per kind of write and minute says what could not be
// written (to stderr, so the journal has it, and as an event).

const REPORT_EVERY_MS = 60_000;

export type WriteFailureListener = (what: string, error: string, suppressed: number) => void;

export class WriteFailures {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  private listener?: WriteFailureListener;

  /** The engine records the event; set once it runs. */
  listen(listener: WriteFailureListener): void {
    this.listener = listener;
  }

  report(what: string, err: unknown): void {
    const error = describe(err);
    const now = Date.now();
    const seen = this.last.get(what);
    if (seen && now - seen.at < REPORT_EVERY_MS) {
      seen.suppressed += 1;
      return;
    }
    // Marked before anything is written: a report whose own write fails is then only counted.
    this.last.set(what, { at: now, suppressed: 0 });
    const more = seen?.suppressed ? ` (+${seen.suppressed} more in the last minute)` : '';
    try {
      process.stderr.write(`mccs: LOG_WRITE_FAILED ${what}: ${error}${more}; kept in memory, services are not affected\n`);
    } catch {
      // nowhere left to say it
    }
    this.listener?.(what, error, seen?.suppressed ?? 0);
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code} (${e.message})` : String((err as Error)?.message ?? err);
}

/** One per engine process: the writers are spread over the engine, the agents and the logger. */
export const writeFailures = new WriteFailures();
