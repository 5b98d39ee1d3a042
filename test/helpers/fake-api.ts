// A test double of the engine API: an HTTP server on $MCCS_HOME/run/mccs.sock
// in a temp dir that records every request and answers scripted envelopes.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Envelope } from '../../src/api/protocol.js';

export interface RecordedRequest {
  method: string;
  params: Record<string, unknown>;
  user?: string;
  password?: string;
  path: string;
}

type Answer = Envelope | ((req: RecordedRequest) => Envelope | Promise<Envelope>);

export interface FakeApi {
  home: string;
  socketPath: string;
  requests: RecordedRequest[];
  /** The answer to `method` from now on (default: {ok:true, changed:true, result:{}}). */
  answer(method: string, envelope: Answer): void;
  /** Forget requests and scripted answers. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeApi(): Promise<FakeApi> {
  const home = mkdtempSync(join(tmpdir(), 'mccs-fake-'));
  mkdirSync(join(home, 'run'), { recursive: true });
  const socketPath = join(home, 'run', 'mccs.sock');
  const requests: RecordedRequest[] = [];
  const answers = new Map<string, Answer>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Omit<RecordedRequest, 'path'>;
      const recorded: RecordedRequest = { ...body, params: body.params ?? {}, path: req.url ?? '' };
      requests.push(recorded);
      const a = answers.get(body.method) ?? { ok: true, changed: true, result: {} };
      const envelope = typeof a === 'function' ? await a(recorded) : a;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(envelope));
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    home,
    socketPath,
    requests,
    answer: (method, envelope) => void answers.set(method, envelope),
    reset: () => {
      requests.length = 0;
      answers.clear();
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(home, { recursive: true, force: true });
    },
  };
}
