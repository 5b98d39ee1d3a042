// A Runner for unit tests of agents built on the runner: it records every
// call and answers from a script instead of running anything.
//
//   const runner = new RecordingRunner();
//   runner.on('/usr/bin/systemctl', { exitCode: 3 });            // every call of that program
//   runner.once(['/usr/bin/ip', '-j', 'addr'], { stdout: '[]' }); // next call starting with these words
//   runner.on((c) => c.args.includes('status'), (c) => ({ exitCode: 0 }));
//   … agent.observe(ctx) …
//   expect(runner.commandLines()).toEqual(['/usr/bin/systemctl status web']);
//
// Unmatched calls exit 0 with empty output, or throw with `strict: true`.
// One-shot rules (`once`) are used first, in the order given; then
// persistent rules (`on`), the most recent first.
import type { RunOptions, RunResult, Runner } from '../../src/engine/runner.js';

export interface RecordedCall {
  command: string;
  args: string[];
  options: RunOptions;
}

/** What a scripted call returns. `delayMs` simulates a slow program (a timeout when longer than timeoutMs); `error` simulates a program that cannot be started (the runner throws). */
export interface ScriptedResult {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  delayMs?: number;
  error?: string;
}

export type Matcher = string | string[] | ((call: RecordedCall) => boolean);
export type Reply = ScriptedResult | ((call: RecordedCall) => ScriptedResult | Promise<ScriptedResult>);

interface Rule {
  match: (call: RecordedCall) => boolean;
  reply: Reply;
  once: boolean;
}

function toPredicate(m: Matcher): (call: RecordedCall) => boolean {
  if (typeof m === 'function') return m;
  const words = typeof m === 'string' ? [m] : m;
  return (c) => {
    const line = [c.command, ...c.args];
    return words.every((w, i) => line[i] === w);
  };
}

export class RecordingRunner implements Runner {
  readonly calls: RecordedCall[] = [];
  private readonly rules: Rule[] = [];

  constructor(private readonly options: { strict?: boolean } = {}) {}

  /** Answers every matching call (most recent `on` wins). */
  on(match: Matcher, reply: Reply): this {
    this.rules.push({ match: toPredicate(match), reply, once: false });
    return this;
  }

  /** Answers the next matching call only. */
  once(match: Matcher, reply: Reply): this {
    this.rules.push({ match: toPredicate(match), reply, once: true });
    return this;
  }

  /** Each call as one string, words joined by spaces. */
  commandLines(): string[] {
    return this.calls.map((c) => [c.command, ...c.args].join(' '));
  }

  /** Calls of one program. */
  callsOf(command: string): RecordedCall[] {
    return this.calls.filter((c) => c.command === command);
  }

  reset(): void {
    this.calls.length = 0;
    this.rules.length = 0;
  }

  private pick(call: RecordedCall): Rule | undefined {
    const oneShot = this.rules.find((r) => r.once && r.match(call));
    if (oneShot) {
      this.rules.splice(this.rules.indexOf(oneShot), 1);
      return oneShot;
    }
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const r = this.rules[i]!;
      if (!r.once && r.match(call)) return r;
    }
    return undefined;
  }

  async run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    const call: RecordedCall = { command, args: [...args], options: { ...options } };
    this.calls.push(call);
    const rule = this.pick(call);
    if (!rule && this.options.strict) throw new Error(`unexpected command: ${[command, ...args].join(' ')}`);
    const scripted: ScriptedResult = rule ? (typeof rule.reply === 'function' ? await rule.reply(call) : rule.reply) : {};
    if (scripted.error) throw new Error(`cannot run ${command}: ${scripted.error}`);
    const delay = scripted.delayMs ?? 0;
    const limit = options.timeoutMs ?? Infinity;
    const waited = await wait(Math.min(delay, limit), options.signal);
    const timedOut = delay > limit || waited === 'aborted';
    return {
      command,
      args: [...args],
      exitCode: timedOut ? 124 : (scripted.exitCode ?? 0),
      stdout: timedOut ? '' : (scripted.stdout ?? ''),
      stderr: timedOut ? '' : (scripted.stderr ?? ''),
      timedOut,
      durationMs: Math.min(delay, limit),
    };
  }
}

function wait(ms: number, signal?: AbortSignal): Promise<'done' | 'aborted'> {
  if (signal?.aborted) return Promise.resolve('aborted');
  if (ms <= 0) return Promise.resolve('done');
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve('done');
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve('aborted');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
