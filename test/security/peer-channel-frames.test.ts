// Issue 15 item 3: nobody without the cluster key can make the engine buffer
// or decrypt a large frame on the peer channel (TCP HBPort+2). The 4-byte
// length is checked against PEER_MAX_UNAUTH_FRAME_BYTES before a byte of the
// frame is kept; a larger message must be announced by a small sealed frame
// first; each frame gets one buffer (no re-copying per chunk).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newIncarnation, Sealer } from '../../src/cluster/crypto.js';
import { frame, readFrames } from '../../src/cluster/frame-reader.js';
import { PeerChannel } from '../../src/cluster/peer-channel.js';
import { limitValue } from '../../src/limits/constants.js';
import { cpuSeconds, mcclusterStatus, rssMb, startTarget, type TargetNode } from '../helpers/security-node.js';

/** Just what readFrames uses of a socket. */
function fakeSocket(): Socket & EventEmitter {
  const s = new EventEmitter() as Socket & EventEmitter & { destroyed: boolean };
  (s as { destroyed: boolean }).destroyed = false;
  s.destroy = (() => {
    (s as { destroyed: boolean }).destroyed = true;
    return s;
  }) as never;
  return s;
}

describe('readFrames (unit)', () => {
  it('reassembles frames from chunks of any size with one buffer per frame and no re-copying', () => {
    const frames = [randomBytes(100_000), randomBytes(3), randomBytes(65_536)];
    const wire = Buffer.concat(frames.map(frame));
    const s = fakeSocket();
    const got: Buffer[] = [];
    readFrames(s, { maxFrame: () => 1 << 20, onFrame: (f) => got.push(Buffer.from(f)), onTooLarge: () => undefined });
    const alloc = vi.spyOn(Buffer, 'allocUnsafe');
    const concat = vi.spyOn(Buffer, 'concat');
    for (let at = 0; at < wire.length; ) {
      const n = 1 + ((at * 7919) % 1500);
      s.emit('data', wire.subarray(at, at + n));
      at += n;
    }
    expect(alloc).toHaveBeenCalledTimes(3);
    expect(concat).not.toHaveBeenCalled();
    alloc.mockRestore();
    concat.mockRestore();
    expect(got.map((f) => f.toString('hex'))).toEqual(frames.map((f) => f.toString('hex')));
  });

  it('refuses a frame over the limit on its length alone: nothing allocated, the socket destroyed', () => {
    const s = fakeSocket();
    const refused: number[] = [];
    readFrames(s, { maxFrame: () => limitValue('PEER_MAX_UNAUTH_FRAME_BYTES'), onFrame: () => undefined, onTooLarge: (len) => refused.push(len) });
    const head = Buffer.alloc(4);
    head.writeUInt32BE(16 * 1024 * 1024, 0);
    const data = Buffer.concat([head, Buffer.alloc(1000)]);
    const alloc = vi.spyOn(Buffer, 'allocUnsafe');
    s.emit('data', data);
    expect(alloc).not.toHaveBeenCalled();
    alloc.mockRestore();
    expect(refused).toEqual([16 * 1024 * 1024]);
    expect(s.destroyed).toBe(true);
  });
});

describe('PeerChannel: large messages only after an authenticated announcement (127.0.0.201/.202)', () => {
  const secret = randomBytes(32);
  const rejected: { code: string; message: string }[] = [];
  let a: PeerChannel;
  let b: PeerChannel;
  const PORT = 28362;
  beforeAll(async () => {
    a = new PeerChannel({ secret, clusterName: 'c', localNode: 'n1', incarnation: newIncarnation(), listen: ['127.0.0.201'], port: PORT, handler: async (_from, req) => ({ ok: true, body: { got: (req.body as string).length, echo: req.body } }) });
    b = new PeerChannel({ secret, clusterName: 'c', localNode: 'n2', incarnation: newIncarnation(), listen: ['127.0.0.202'], port: PORT, handler: async () => ({ ok: true, body: null }) });
    a.on('rejected', (r) => rejected.push(r));
    await a.start();
    await b.start();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a 2 MB request and its 2 MB answer between members pass', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const r = await b.request(['127.0.0.201'], { kind: 'echo', body: big });
    expect(r).toMatchObject({ ok: true, body: { got: big.length } });
    expect(((r as { body: { echo: string } }).body.echo).length).toBe(big.length);
  });

  it('a crowd of silent connections from many addresses cannot keep the peer out', async () => {
    const crowd = await Promise.all(
      Array.from({ length: 2 * limitValue('PEER_MAX_CONNECTIONS') }, (_, i) =>
        new Promise<Socket>((resolve) => {
          const s = connect({ host: '127.0.0.201', port: PORT, localAddress: `127.0.5.${1 + (i % 20)}` }, () => resolve(s));
          s.on('error', () => resolve(s));
        }),
      ),
    );
    const r = await b.request(['127.0.0.201'], { kind: 'echo', body: 'hello' });
    expect(r).toMatchObject({ ok: true, body: { got: 5 } });
    expect(rejected.some((x) => x.code === 'LIMIT' && /closed to make room/.test(x.message))).toBe(true);
    for (const s of crowd) s.destroy();
  });

  it('without the key: a 16 MB length is refused unread, and a forged announcement lifts no limit', async () => {
    const send = (bytes: Buffer) =>
      new Promise<void>((resolve) => {
        const s = connect({ host: '127.0.0.201', port: PORT }, () => s.write(bytes));
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
    const head = Buffer.alloc(4);
    head.writeUInt32BE(16 * 1024 * 1024, 0);
    await send(Buffer.concat([head, Buffer.alloc(64 * 1024)]));
    expect(rejected.at(-1)).toMatchObject({ code: 'TOO_LARGE' });
    expect(rejected.at(-1)!.message).toMatch(/before authentication/);
    const forger = new Sealer({ secret: randomBytes(32), clusterName: 'c', sender: 'n2', channel: 'COMMAND', incarnation: newIncarnation() });
    const big = Buffer.alloc(4);
    big.writeUInt32BE(1024 * 1024, 0);
    await send(Buffer.concat([frame(forger.seal(JSON.stringify({ largeFrame: true }))), big, Buffer.alloc(1024)]));
    expect(rejected.at(-1)).toMatchObject({ code: 'FORGED' });
  });
});

describe('CPU and memory of a real engine under a frame flood (127.0.0.211)', () => {
  let node: TargetNode;
  beforeAll(async () => {
    node = await startTarget({ address: '127.0.0.211', peerAddress: '127.0.0.212', hbPort: 28371 });
  });
  afterAll(async () => {
    await node?.cleanup();
  });

  it('20 parallel 16 MB frames cost the engine almost no CPU; status keeps answering', async () => {
    const cpu0 = cpuSeconds(node.pid);
    const rss0 = rssMb(node.pid);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(16 * 1024 * 1024, 0);
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const attack = (i: number) =>
      new Promise<number>((resolve) => {
        let sent = 0;
        const s = connect({ host: node.address, port: node.commandPort, localAddress: `127.0.0.${30 + i}` }, () => {
          s.write(head);
          // Up to 16 MB (bounded), as fast as the engine takes it; it should cut us off at once.
          const pump = () => {
            while (sent < 16 * 1024 * 1024 && !s.destroyed) {
              sent += chunk.length;
              if (!s.write(chunk)) return s.once('drain', pump);
            }
            s.end();
          };
          pump();
        });
        s.on('error', () => resolve(sent));
        s.on('close', () => resolve(sent));
      });
    const statusDuring = mcclusterStatus(node.home);
    await Promise.all(Array.from({ length: 20 }, (_, i) => attack(i)));
    const st = await statusDuring;
    const cpu = cpuSeconds(node.pid) - cpu0;
    const rss = rssMb(node.pid);
    console.log(`peer-channel flood: engine CPU ${cpu.toFixed(2)} s for 20 × 16 MB frames; RSS ${rss0.toFixed(0)} → ${rss.toFixed(0)} MB; status answered in ${st.ms} ms`);
    expect(st.code).toBe(0);
    expect(cpu).toBeLessThan(3); // was 19 s before the limits
    expect(rss - rss0).toBeLessThan(100);
    const after = await mcclusterStatus(node.home);
    expect(after.code).toBe(0);
    expect((await node.status() as any).result.security.rejected['MESSAGE_REJECTED peer channel']).toBeGreaterThanOrEqual(20);
  }, 120_000);
});
