// Issue 15 item 8: API dispatch by own properties only, and every malformed
// request answered with a USAGE error naming what is wrong, never an internal
// exception text. Tried on the local socket (root) and on the TLS API
// (no credentials) of an engine on 127.0.0.171.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetNode } from '../helpers/security-node.js';

function rawLocal(socketPath: string, body: string, method = 'POST', path = '/v1/rpc'): Promise<{ status: number; envelope: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let out = '';
      res.on('data', (c: Buffer) => (out += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, envelope: JSON.parse(out) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const INTERNAL = /is not a function|TypeError|Cannot read|Cannot convert|undefined|null \(reading|prototype/;

describe('API dispatch and malformed requests', () => {
  let node: TargetNode;
  beforeAll(async () => {
    node = await startTarget({ address: '127.0.0.171', peerAddress: '127.0.0.172', hbPort: 28331 });
  });
  afterAll(async () => {
    await node?.cleanup();
  });

  it('finds no method on the object prototype', async () => {
    for (const method of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
      const r = await rawLocal(node.socket, JSON.stringify({ method, params: {} }));
      expect(r.envelope, method).toMatchObject({ ok: false, error: { code: 'USAGE', message: `unknown method '${method}'` } });
    }
  });

  const cases: Array<[string, string, RegExp]> = [
    ['null body', 'null', /bad request: the request must be object/],
    ['array body', '[1,2]', /bad request: the request must be object/],
    ['number body', '42', /bad request: the request must be object/],
    ['string body', '"cluster.status"', /bad request: the request must be object/],
    ['empty body', '', /request is not JSON/],
    ['not JSON', '{method: cluster.status}', /request is not JSON/],
    ['no method', '{"params": {}}', /bad request: no 'method'/],
    ['method not a string', '{"method": 7}', /bad request: method must be string/],
    ['params null', '{"method": "cluster.status", "params": null}', /bad request: params must be object/],
    ['params an array', '{"method": "grp.online", "params": ["web"]}', /bad request: params must be object/],
    ['unknown field', '{"method": "cluster.status", "sudo": true}', /bad request: unknown field 'sudo'/],
    ['user not a string', '{"method": "cluster.status", "user": {"$ne": ""}}', /bad request: user must be string/],
    ['a huge method name', JSON.stringify({ method: 'x'.repeat(5000) }), /bad request: method must NOT have more than 64 characters/],
    ['wrong param type', '{"method": "grp.online", "params": {"group": 7}}', /bad request for grp.online: \/group must be string/],
    ['unknown param', '{"method": "grp.online", "params": {"group": "web", "evil": 1}}', /bad request for grp.online: params has unknown field 'evil'/],
    ['missing param', '{"method": "grp.online", "params": {}}', /bad request for grp.online: params must have required property 'group'/],
  ];

  it.each(cases)('local socket, %s: USAGE naming what is wrong', async (_what, body, message) => {
    const r = await rawLocal(node.socket, body);
    expect(r.envelope.ok).toBe(false);
    expect(r.envelope.error.code).toBe('USAGE');
    expect(r.envelope.error.message).toMatch(message);
    expect(r.envelope.error.message).not.toMatch(INTERNAL);
  });

  it('the TLS API answers the same malformed requests the same way, before asking for credentials', async () => {
    for (const [what, body, message] of cases.slice(0, 13)) {
      const r = await node.remote(body);
      expect(r.envelope.error.code, what).toBe('USAGE');
      expect(r.envelope.error.message, what).toMatch(message);
    }
  });

  it('a wrong HTTP method or path is USAGE too', async () => {
    const r = await rawLocal(node.socket, '', 'GET', '/');
    expect(r.status).toBe(404);
    expect(r.envelope.error).toMatchObject({ code: 'USAGE', message: 'use POST /v1/rpc' });
  });

  it('the engine still answers after all of it', async () => {
    expect((await node.status()).ok).toBe(true);
  });
});
