// The production Runner: execa with argument arrays (never a shell), a
// timeout, captured output and one log line per command.
import { lookupUser } from '../system/os-user.js';
import type { RunOptions, RunResult, Runner } from './runner.js';

export class ExecRunner implements Runner {
  constructor(private readonly log: (message: string) => void = () => {}) {}

  async run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    const started = performance.now();
    const user = options.user ? lookupUser(options.user) : undefined;
    const env = { ...options.env };
    if (user && options.user) {
      env.HOME ??= user.home;
      env.USER ??= options.user;
      env.LOGNAME ??= options.user;
    }
    // Loaded on first use: execa weighs ~15 MB of heap the engine need not pay for at start.
    const { execa } = await import('execa');
    const result = await execa(command, args, {
      reject: false,
      timeout: options.timeoutMs,
      cwd: options.cwd,
      env,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : undefined,
      cancelSignal: options.signal,
      uid: user?.uid,
      gid: user?.gid,
      forceKillAfterDelay: 2000,
      stripFinalNewline: true,
    });
    const durationMs = Math.round(performance.now() - started);
    if (result.failed && result.exitCode === undefined && !result.timedOut && !result.isCanceled) {
      // Not started at all (ENOENT, EACCES): the caller turns this into a reason naming the tool.
      throw new Error(`cannot run ${command}: ${result.shortMessage ?? result.message}`);
    }
    const exitCode = result.exitCode ?? (result.timedOut || result.isCanceled ? 124 : 1);
    this.log(`run ${[command, ...args].map((a) => JSON.stringify(a)).join(' ')}${options.user ? ` as ${options.user}` : ''} → ${result.timedOut ? 'timeout' : `exit ${exitCode}`} in ${durationMs} ms`);
    return {
      command,
      args,
      exitCode,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      timedOut: Boolean(result.timedOut || result.isCanceled),
      durationMs,
    };
  }
}
