// The metrics endpoint and the web console keep the API's connection limits
// (issue 15): per source address, a ninth connection is closed before a byte
// of it is read, and a GET from a well-behaved client is still answered.
import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { limitValue } from '../../src/limits/constants.js';
import { httpServerOptions, limitHttpListener } from '../../src/limits/http-limits.js';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

function open(port: number, host: string): Promise<{ socket: Socket; closedEarly: Promise<boolean> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host }, () => resolve({ socket, closedEarly: new Promise((r) => socket.once('close', () => r(true))) }));
    socket.once('error', reject);
    sockets.push(socket);
  });
}

function get(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/metrics' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

describe('the shared HTTP listener limits (metrics endpoint, console listeners, API)', () => {
  it('the connections of one source beyond its limit are closed at once; a request from elsewhere is served', async () => {
    const refused: string[] = [];
    server = createServer(httpServerOptions(), (_req, res) => res.end('ok'));
    limitHttpListener(server, { trustOnRequest: true, onRefused: (source, why) => refused.push(`${source}: ${why}`) });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const perSource = limitValue('API_MAX_CONNECTIONS_PER_SOURCE');
    for (let i = 0; i < perSource; i++) await open(port, '127.0.0.1');
    const extra = await open(port, '127.0.0.1');
    const closed = await Promise.race([extra.closedEarly, new Promise<boolean>((r) => setTimeout(() => r(false), 2000))]);
    expect(closed).toBe(true);
    expect(refused.some((r) => r.includes(`limit ${perSource}`))).toBe(true);
    // Another source address on the same machine is still served.
    expect(await get(port, '127.0.0.1').catch(() => 0)).toBe(0); // this source is full
    server.close();
    server = createServer(httpServerOptions(), (_req, res) => res.end('ok'));
    limitHttpListener(server, { trustOnRequest: true, onRefused: () => undefined });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.3', () => r()));
    expect(await get((server.address() as { port: number }).port, '127.0.0.3')).toBe(200);
  });
});
