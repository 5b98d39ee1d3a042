// Live steps of a long command (--wait of online/offline/switch/evacuate,
// support --all, apply -f): while the one API call runs, the engine's event
// log is read every 250 ms and each new record about the command's groups is
// one step (elapsed, node, subject, state, reason code). On a terminal the
// steps are a listr2 task's live output; piped, one plain line per step;
// under --json nothing but the envelope.
import type { Envelope, EventRecord } from '../api/protocol.js';
import type { Input, RunContext } from './spec.js';

export interface ProgressOptions {
  title: string;
  /** Only records of these groups (and their resources); empty: every record. */
  groups?: string[];
  /** Poll period (ms). */
  everyMs?: number;
}

export function stepLine(e: EventRecord, startedAt: number): string {
  const elapsed = ((Date.parse(e.time) - startedAt) / 1000).toFixed(1).padStart(5);
  const node = typeof e.facts?.node === 'string' ? e.facts.node : e.node;
  const state = e.newState ? ` ${e.oldState ? `${e.oldState} → ` : ''}${e.newState}` : '';
  return `+${elapsed}s ${node} ${e.subject}${state} ${e.rule}: ${e.message}`;
}

export async function withProgress<T>(ctx: RunContext, input: Input, options: ProgressOptions, work: () => Promise<Envelope<T>>): Promise<Envelope<T>> {
  if (input.flags.json === true) return work();
  const startedAt = Date.now();
  const since = new Date(startedAt - 50).toISOString();
  const groups = new Set(options.groups ?? []);
  const seen = new Set<string>();
  const relevant = (e: EventRecord) => groups.size === 0 || (e.group !== undefined && groups.has(e.group)) || e.subject === 'cluster';
  let finished = false;
  const call = work().finally(() => (finished = true));

  /** New relevant records since the last poll. */
  const poll = async (): Promise<EventRecord[]> => {
    const env = await ctx.call('cluster.events', { since }).catch(() => undefined);
    if (!env?.ok || !Array.isArray(env.result)) return [];
    const fresh = env.result.filter((e) => {
      const key = `${e.time}\u0000${e.node}\u0000${e.subject}\u0000${e.rule}\u0000${e.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return relevant(e);
    });
    return fresh;
  };
  const every = options.everyMs ?? 250;
  const loop = async (emit: (line: string) => void): Promise<void> => {
    while (!finished) {
      await Promise.race([call.then(() => undefined, () => undefined), new Promise((r) => setTimeout(r, every))]);
      for (const e of await poll()) emit(stepLine(e, startedAt));
    }
  };

  // A terminal that reports no width (some `script` or CI pseudo-terminals) gets the plain lines too.
  if (!ctx.io.isTTY || !(process.stdout.columns > 0)) {
    ctx.io.stdout(`${options.title}\n`);
    await loop((line) => ctx.io.stdout(`${line}\n`));
    return call;
  }
  const { Listr } = await import('listr2');
  const list = new Listr(
    [
      {
        title: options.title,
        task: async (_ctx, task) => {
          const lines: string[] = [];
          await loop((line) => {
            lines.push(line);
            task.output = line;
          });
          const env = await call;
          task.title = `${options.title}: ${env.ok ? 'done' : `failed (${env.error.code})`} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s, ${lines.length} steps`;
        },
        rendererOptions: { persistentOutput: true, outputBar: Infinity },
      },
    ],
    { exitOnError: false, rendererOptions: { collapseSubtasks: false } },
  );
  await list.run().catch(() => undefined);
  return call;
}
