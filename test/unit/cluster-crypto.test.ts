import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Opener, PROTOCOL_VERSION, Sealer, generateSecret, loadSecret, newIncarnation } from '../../src/cluster/crypto.js';
import { MccsError } from '../../src/model/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'mccs-cluster-crypto-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const secret = Buffer.alloc(32, 7);
const sealer = (over: Partial<ConstructorParameters<typeof Sealer>[0]> = {}) =>
  new Sealer({ secret, clusterName: 'shop', sender: 'node1', channel: 'HB_PRIMARY', incarnation: newIncarnation(), ...over });

describe('cluster secret file', () => {
  it('generate writes 32 random bytes as hex with mode 0600, and load reads them back', () => {
    const path = join(dir, 'cluster.key');
    const written = generateSecret(path);
    expect(written).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(loadSecret(path).equals(written)).toBe(true);
  });

  it('refuses to overwrite an existing secret unless forced', () => {
    const path = join(dir, 'existing.key');
    const first = generateSecret(path);
    expect(() => generateSecret(path)).toThrow(/already exists/);
    const second = generateSecret(path, { force: true });
    expect(second.equals(first)).toBe(false);
  });

  it('accepts base64', () => {
    const path = join(dir, 'b64.key');
    const bytes = Buffer.alloc(32, 9);
    writeFileSync(path, bytes.toString('base64') + '\n', { mode: 0o600 });
    expect(loadSecret(path).equals(bytes)).toBe(true);
  });

  it('refuses a secret readable by group or others, naming the fix', () => {
    const path = join(dir, 'open.key');
    generateSecret(path);
    chmodSync(path, 0o644);
    let err: unknown;
    try {
      loadSecret(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MccsError);
    expect((err as MccsError).message).toMatch(/readable by group or others \(mode 0644\)/);
    expect((err as MccsError).actions).toContain(`chmod 600 ${path}`);
  });

  it('refuses a missing file and a file of the wrong length', () => {
    expect(() => loadSecret(join(dir, 'nope.key'))).toThrow(/does not exist/);
    const path = join(dir, 'short.key');
    writeFileSync(path, 'abcd\n', { mode: 0o600 });
    expect(() => loadSecret(path)).toThrow(/32 random bytes/);
  });
});

describe('sealed messages', () => {
  it('round trip: sender, channel, incarnation and payload come back', () => {
    const inc = newIncarnation();
    const s = sealer({ incarnation: inc });
    const o = new Opener(secret, 'shop');
    const r = o.open(s.seal('{"hello":1}'), 'HB_PRIMARY');
    expect(r).toMatchObject({ ok: true, sender: 'node1', channel: 'HB_PRIMARY', incarnation: inc.toString('hex'), seq: 1n, newIncarnation: true });
    expect(r.ok && r.payload.toString()).toBe('{"hello":1}');
    const r2 = o.open(s.seal('x'));
    expect(r2).toMatchObject({ ok: true, seq: 2n, newIncarnation: false });
  });

  it('the payload is encrypted on the wire', () => {
    const wire = sealer().seal('secret-group-name');
    expect(wire.includes(Buffer.from('secret-group-name'))).toBe(false);
  });

  it('a tampered byte anywhere (header or body) is FORGED', () => {
    const s = sealer();
    const wire = s.seal('payload');
    for (const offset of [22, 31, wire.length - 20, wire.length - 1]) {
      const bad = Buffer.from(wire);
      bad[offset] = bad[offset]! ^ 0x01;
      expect(new Opener(secret, 'shop').open(bad)).toMatchObject({ ok: false, code: 'FORGED' });
    }
  });

  it('a replayed message is REPLAY, and so is an older sequence number', () => {
    const s = sealer();
    const o = new Opener(secret, 'shop');
    const m1 = s.seal('1');
    const m2 = s.seal('2');
    expect(o.open(m2).ok).toBe(true);
    expect(o.open(m2)).toMatchObject({ ok: false, code: 'REPLAY' });
    expect(o.open(m1)).toMatchObject({ ok: false, code: 'REPLAY' });
  });

  it('another secret is FORGED; another cluster is WRONG_CLUSTER; another protocol version is PROTOCOL', () => {
    const o = new Opener(secret, 'shop');
    expect(o.open(sealer({ secret: Buffer.alloc(32, 8) }).seal('x'))).toMatchObject({ ok: false, code: 'FORGED', sender: 'node1' });
    expect(o.open(sealer({ clusterName: 'bank' }).seal('x'))).toMatchObject({ ok: false, code: 'WRONG_CLUSTER' });
    const old = sealer().seal('x');
    old[4] = PROTOCOL_VERSION + 1;
    expect(o.open(old)).toMatchObject({ ok: false, code: 'PROTOCOL' });
    expect(o.open(Buffer.from('hello world, not ours at all....................'))).toMatchObject({ ok: false, code: 'MALFORMED' });
  });

  it('a message for another channel is refused (PROTOCOL)', () => {
    const o = new Opener(secret, 'shop');
    expect(o.open(sealer({ channel: 'HB_SECONDARY' }).seal('x'), 'HB_PRIMARY')).toMatchObject({ ok: false, code: 'PROTOCOL' });
  });

  it('each channel has its own sequence: reordering between links is not a replay', () => {
    const inc = newIncarnation();
    const p = sealer({ incarnation: inc, channel: 'HB_PRIMARY' });
    const s = sealer({ incarnation: inc, channel: 'HB_SECONDARY' });
    const o = new Opener(secret, 'shop');
    const s1 = s.seal('s1');
    expect(o.open(p.seal('p1')).ok).toBe(true);
    expect(o.open(p.seal('p2')).ok).toBe(true);
    expect(o.open(s1).ok).toBe(true);
  });

  it('a new incarnation (peer restarted, sequence from 1 again) is accepted once authentic; replays of either boot stay REPLAY', () => {
    const o = new Opener(secret, 'shop');
    const boot1 = sealer();
    const old: Buffer[] = [];
    for (let i = 0; i < 5; i += 1) {
      old.push(boot1.seal('x'));
      expect(o.open(old[i]!).ok).toBe(true);
    }
    const boot2 = sealer();
    const hello = boot2.seal('hello again');
    expect(o.open(hello)).toMatchObject({ ok: true, seq: 1n, newIncarnation: true });
    expect(o.open(hello)).toMatchObject({ ok: false, code: 'REPLAY' });
    for (const m of old) expect(o.open(m)).toMatchObject({ ok: false, code: 'REPLAY' });
    // Which boot is the live one is the heartbeat layer's call (echo of this node's incarnation).
  });

  it('a forged message claiming a new incarnation does not disturb the real sender', () => {
    const o = new Opener(secret, 'shop');
    const real = sealer();
    expect(o.open(real.seal('1')).ok).toBe(true);
    const forged = sealer({ secret: Buffer.alloc(32, 1) }).seal('evil');
    expect(o.open(forged)).toMatchObject({ ok: false, code: 'FORGED' });
    expect(o.open(real.seal('2'))).toMatchObject({ ok: true, newIncarnation: false, seq: 2n });
  });
});
