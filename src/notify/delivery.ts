// One delivery of one notification: the program with the document on its
// stdin (argv array, no shell; killed at the timeout), or a POST of it to the
// webhook. Resolves on success, rejects with a one-line reason.
import { spawn } from 'node:child_process';

export async function deliverToProgram(program: string, body: string, env: Record<string, string>, timeoutMs: number): Promise<void> {
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

export async function deliverToWebhook(url: string, body: string, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'mccs-notify/1' }, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    throw new Error(`POST ${url} failed: ${err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (err.cause?.code ?? err.message)}`);
  }
  // Drain so that the connection is reused or closed cleanly.
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new Error(`POST ${url} answered HTTP ${res.status}`);
}
