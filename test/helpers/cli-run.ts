// The CLI as an operator runs it (node bin/<bin>.js ARGS), for the e2e
// tests: an environment without the caller's MCCS credentials, profile or
// colour settings (NODE_ENV too: vitest sets 'test', which makes oclif warn
// on stderr), stdin closed or fed, and the exit code, output and JSON
// envelope (--json prints one line) of the run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './engine-harness.js';

export interface CliEnvelope {
  ok: boolean;
  changed?: boolean;
  result?: any;
  error?: { code: string; message: string; actions: string[]; details?: unknown };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** The envelope on stdout, when it holds one. */
  json?: CliEnvelope;
}

const CLEARED = ['MCCS_USER', 'MCCS_PASSWORD', 'MCCS_NEW_PASSWORD', 'MCCS_ADMIN_PASSWORD', 'MCCS_JOIN_TOKEN', 'MCCS_SOCKET', 'MCCS_TLS_FINGERPRINT', 'MCCS_PROFILE', 'MCCS_NODE', 'NO_COLOR', 'FORCE_COLOR', 'NODE_ENV'];

/** This process's environment less the caller's MCCS settings, plus `extra`. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of CLEARED) delete env[k];
  return { ...env, ...extra };
}

export function runCli(bin: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(process.execPath, [join(ROOT, 'bin', `${bin}.js`), ...args], { env: cliEnv(opts.env), cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.stdin.end(opts.input ?? '');
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - start, json: envelopeOf(stdout) }));
  });
}

function envelopeOf(stdout: string): CliEnvelope | undefined {
  for (const line of [stdout.trim(), stdout.split('\n')[0] ?? '', stdout.trim().split('\n').pop() ?? '']) {
    try {
      const v = JSON.parse(line) as CliEnvelope;
      if (v && typeof v === 'object' && typeof v.ok === 'boolean') return v;
    } catch {
      // not this line
    }
  }
  return undefined;
}
