// Every system call of the engine goes through one Runner: argument arrays,
// a timeout, captured output, and a log line per command. Tests swap in a
// recorder (see test/helpers/recording-runner.ts).

export interface RunOptions {
  timeoutMs?: number;
  /** Run as this OS user (uid/gid looked up from the passwd database). */
  user?: string;
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  signal?: AbortSignal;
}

export interface RunResult {
  command: string;
  args: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface Runner {
  /** Runs to completion; never throws on a non-zero exit (the result says it); throws only if the program cannot be found/started. */
  run(command: string, args: string[], options?: RunOptions): Promise<RunResult>;
}
