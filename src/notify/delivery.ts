// One delivery of one notification: the program with the document on its
// stdin (argv array, no shell; killed at the timeout), or a POST of it to the
// webhook. Resolves on success, rejects with a one-line reason.
import { spawn } from 'node:child_process';

export async function deliverToProgram(program: string, body: string, env: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let child;
    try {
      child = spawn(program, [], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    } catch (e) {
      reject(new Error(`cannot run ${program}: ${(e as Error).message}`));
      return;
    }
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // The engine stops: a program still running is not left behind.
    const abort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', abort, { once: true });
    child.on('close', () => signal?.removeEventListener('abort', abort));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      if (stderr.length < 2000) stderr += c;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${program}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${program} did not finish within ${timeoutMs / 1000} s (killed)`));
      else if (code === 0) resolve();
      else reject(new Error(`${program} exited ${code ?? signal}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()!.slice(0, 200)}` : ''}`));
    });
    // A program that does not read its stdin is its own business: EPIPE is not a failure.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(body);
  });
}

export async function deliverToWebhook(url: string, body: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  let res: Response;
  try {
    const limit = AbortSignal.timeout(timeoutMs);
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'mccs-notify/1' }, body, signal: signal ? AbortSignal.any([limit, signal]) : limit });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
    const why = err.cause?.code ?? err.cause?.errors?.[0]?.code ?? err.cause?.message ?? err.message;
    throw new Error(`POST ${url} failed: ${err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : why}`);
  }
  // Drain so that the connection is reused or closed cleanly.
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new Error(`POST ${url} answered HTTP ${res.status}`);
}
