// The cluster secret and the sealing of every inter-node message (SPEC §3:
// "authenticated and encrypted with the cluster secret; replayed or forged
// messages are rejected and logged").
//
// Wire format of a sealed message (all integers big-endian):
//
//   offset  size  field
//   0       4     magic "MCCS"
//   4       1     protocol version (PROTOCOL_VERSION)
//   5       1     channel (1 HB_PRIMARY, 2 HB_SECONDARY, 3 COMMAND, 4 CONFIG)
//   6       8     cluster hash: SHA-256("mccs-cluster\0" + ClusterName)[0..8]
//   14      8     sender incarnation (random per engine boot)
//   22      8     sequence number (u64, starts at 1, +1 per message on this channel)
//   30      1     sender node name length N (1..63)
//   31      N     sender node name (UTF-8)
//   31+N    ...   AES-256-GCM ciphertext of the payload
//   end-16  16    GCM authentication tag
//
// The whole header is the GCM additional data, so every header field is
// authenticated. The key is derived with HKDF-SHA256 from the secret, separate
// per (channel, sender, incarnation): each key then only ever sees the
// sequence numbers of one sender boot on one channel, so the 96-bit nonce is
// simply the sequence number and can never repeat.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { readConfinedFile } from '../model/confined-file.js';
import { writeDurableSync } from '../model/durable-file.js';
import { MccsError } from '../model/errors.js';

export const PROTOCOL_VERSION = 1;
export const SECRET_BYTES = 32;
const MAGIC = Buffer.from('MCCS', 'ascii');
const TAG_BYTES = 16;
const FIXED_HEADER = 31;
const INCARNATIONS_KEPT = 8;

export type Channel = 'HB_PRIMARY' | 'HB_SECONDARY' | 'COMMAND' | 'CONFIG';
const CHANNEL_CODES: Record<Channel, number> = { HB_PRIMARY: 1, HB_SECONDARY: 2, COMMAND: 3, CONFIG: 4 };
const CHANNEL_BY_CODE = new Map<number, Channel>(Object.entries(CHANNEL_CODES).map(([k, v]) => [v, k as Channel]));

/** Why a message was refused; logged with the sender address. */
export type RejectCode = 'MALFORMED' | 'PROTOCOL' | 'WRONG_CLUSTER' | 'FORGED' | 'REPLAY';

// ---------------------------------------------------------------- secret file

/**
 * Writes a new cluster secret (32 random bytes, hex) to `path` with mode 0600,
 * atomically. Refuses to replace an existing file unless `force`: every node
 * must hold the same secret, so overwriting one by mistake cuts the node off.
 */
export function generateSecret(path: string, options: { force?: boolean } = {}): Buffer {
  const secret = randomBytes(SECRET_BYTES);
  writeSecretFile(path, secretText(secret), options);
  return secret;
}

/** The text of a key file as this project writes it: 64 hex digits and a newline. */
export function secretText(secret: Buffer): string {
  return `${secret.toString('hex')}\n`;
}

/**
 * The one writer of cluster.key: `content` (secretText, or a key file copied
 * from another node byte for byte), mode 0600 from the first byte, durably
 * (model/durable-file.ts). An existing file is replaced only with `force`.
 */
export function writeSecretFile(path: string, content: string | Buffer, options: { force?: boolean } = {}): void {
  if (existsSync(path) && !options.force) {
    throw new MccsError('CONFLICT', `cluster secret ${path} already exists; every node must keep the same secret`, [
      'copy the existing file to the other nodes',
      'or pass --force to replace it (then copy the new file to every node)',
    ]);
  }
  writeDurableSync(path, content, 0o600);
}

/** The secret in a key file: 64 hex digits (what we write), base64, or the 32 raw bytes. */
export function parseSecret(content: Buffer): Buffer | undefined {
  const text = content.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text)) return Buffer.from(text, 'base64');
  if (content.length === SECRET_BYTES) return Buffer.from(content);
  return undefined;
}

/** Reads the cluster secret: 32 bytes as 64 hex digits or base64, in a file only its owner can read. */
export function loadSecret(path: string): Buffer {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    throw new MccsError('INVALID', `cluster secret ${path} does not exist`, ['run `mccs secret generate` on one node and copy the file to every node (mode 0600)']);
  }
  // A symlink is followed only to a file inside MCCS_HOME (readConfinedFile); the mode that counts is the target's.
  const content = readConfinedFile(path);
  if (st.isSymbolicLink()) st = statSync(path);
  if (!st.isFile()) throw new MccsError('INVALID', `cluster secret ${path} is not a regular file`);
  const mode = st.mode & 0o777;
  if (mode & 0o077) {
    throw new MccsError(
      'INVALID',
      `cluster secret ${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); it must be 0600`,
      [`chmod 600 ${path}`],
    );
  }
  const secret = parseSecret(content);
  if (!secret) {
    throw new MccsError('INVALID', `cluster secret ${path} must hold ${SECRET_BYTES} random bytes as 64 hex digits or base64`, [
      'run `mccs secret generate --force` and copy the file to every node',
    ]);
  }
  return secret;
}

// ---------------------------------------------------------------- sealing

/** A fresh per-boot incarnation id (8 random bytes). */
export function newIncarnation(): Buffer {
  return randomBytes(8);
}

export function clusterHash(clusterName: string): Buffer {
  return createHash('sha256').update(`mccs-cluster\0${clusterName}`).digest().subarray(0, 8);
}

function deriveKey(secret: Buffer, channel: Channel, sender: string, incarnation: Buffer): Buffer {
  const info = `mccs/v${PROTOCOL_VERSION}/${channel}/${sender}/${incarnation.toString('hex')}`;
  return Buffer.from(hkdfSync('sha256', secret, 'mccs cluster secret', info, 32));
}

function nonceOf(seq: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(seq, 4);
  return nonce;
}

export interface SealerOptions {
  secret: Buffer;
  clusterName: string;
  /** This node's NodeName. */
  sender: string;
  channel: Channel;
  /** Per-boot id shared by every channel of this engine (newIncarnation()). */
  incarnation: Buffer;
}

/** Seals the messages of one sender on one channel, with its own sequence. */
export class Sealer {
  private seq = 0n;
  private readonly key: Buffer;
  private readonly header: Buffer;

  constructor(options: SealerOptions) {
    const name = Buffer.from(options.sender, 'utf8');
    if (name.length < 1 || name.length > 63) throw new Error(`node name '${options.sender}' must be 1..63 bytes`);
    if (options.incarnation.length !== 8) throw new Error('incarnation must be 8 bytes');
    this.key = deriveKey(options.secret, options.channel, options.sender, options.incarnation);
    this.header = Buffer.alloc(FIXED_HEADER + name.length);
    MAGIC.copy(this.header, 0);
    this.header.writeUInt8(PROTOCOL_VERSION, 4);
    this.header.writeUInt8(CHANNEL_CODES[options.channel], 5);
    clusterHash(options.clusterName).copy(this.header, 6);
    options.incarnation.copy(this.header, 14);
    this.header.writeUInt8(name.length, 30);
    name.copy(this.header, FIXED_HEADER);
  }

  get lastSeq(): bigint {
    return this.seq;
  }

  seal(payload: Buffer | string): Buffer {
    this.seq += 1n;
    const header = Buffer.from(this.header);
    header.writeBigUInt64BE(this.seq, 22);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonceOf(this.seq));
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }
}

export interface Opened {
  ok: true;
  sender: string;
  channel: Channel;
  /** Hex of the sender's incarnation. */
  incarnation: string;
  seq: bigint;
  /** First authentic message of this sender incarnation on this channel. */
  newIncarnation: boolean;
  payload: Buffer;
}

export interface Rejected {
  ok: false;
  code: RejectCode;
  message: string;
  /** Claimed (unauthenticated) sender, when the header could be read. */
  sender?: string;
  channel?: Channel;
}

/** How far behind the newest command a late one may arrive (commands only). */
const REORDER_WINDOW = 256n;

interface Window {
  /** Sequence numbers accepted lately (commands only use it to refuse a second copy). */
  recent: Set<bigint>;
  key: Buffer;
  seq: bigint;
  usedAt: number;
}

/**
 * Opens messages from every sender of the cluster. Replay windows are kept per
 * (sender, channel, incarnation), for the few most recently used incarnations
 * of each sender: a replayed or older sequence number of a known incarnation is
 * REPLAY. Which incarnation of a peer is the live one is not decided here (an
 * authentic message of an old boot is still authentic): the heartbeat layer
 * decides it from the echo of this node's own incarnation.
 */
export class Opener {
  private readonly hash: Buffer;
  private readonly windows = new Map<string, Map<string, Window>>();
  private uses = 0;

  constructor(
    private readonly secret: Buffer,
    clusterName: string,
  ) {
    this.hash = clusterHash(clusterName);
  }

  open(message: Buffer, expectChannel?: Channel): Opened | Rejected {
    if (message.length < FIXED_HEADER + 1 + TAG_BYTES || !message.subarray(0, 4).equals(MAGIC)) {
      return { ok: false, code: 'MALFORMED', message: `not an mccs message (${message.length} bytes)` };
    }
    const version = message.readUInt8(4);
    if (version !== PROTOCOL_VERSION) {
      return { ok: false, code: 'PROTOCOL', message: `protocol version ${version}, this node speaks ${PROTOCOL_VERSION}` };
    }
    const channel = CHANNEL_BY_CODE.get(message.readUInt8(5));
    const nameLength = message.readUInt8(30);
    if (!channel || nameLength < 1 || nameLength > 63 || message.length < FIXED_HEADER + nameLength + TAG_BYTES) {
      return { ok: false, code: 'MALFORMED', message: 'bad channel or header length' };
    }
    const headerEnd = FIXED_HEADER + nameLength;
    const sender = message.subarray(FIXED_HEADER, headerEnd).toString('utf8');
    if (!timingSafeEqual(message.subarray(6, 14), this.hash)) {
      return { ok: false, code: 'WRONG_CLUSTER', message: `message from '${sender}' belongs to another cluster`, sender, channel };
    }
    if (expectChannel && channel !== expectChannel) {
      return { ok: false, code: 'PROTOCOL', message: `${channel} message received on the ${expectChannel} channel`, sender, channel };
    }
    const incarnationBuf = message.subarray(14, 22);
    const incarnation = incarnationBuf.toString('hex');
    const seq = message.readBigUInt64BE(22);
    const windowKey = `${sender}\0${channel}`;
    const known = this.windows.get(windowKey);
    const window = known?.get(incarnation);
    // Commands travel on concurrent TCP connections and may arrive out of order:
    // on that channel a small window of recent, not-yet-seen numbers is accepted.
    const reorderable = channel === 'COMMAND' && window !== undefined && seq < window.seq && window.seq - seq < REORDER_WINDOW && !window.recent.has(seq);
    if (window && seq <= window.seq && !reorderable) {
      return { ok: false, code: 'REPLAY', message: `sequence ${seq} from '${sender}' already seen (last ${window.seq})`, sender, channel };
    }
    const key = window ? window.key : deriveKey(this.secret, channel, sender, incarnationBuf);
    const header = message.subarray(0, headerEnd);
    const body = message.subarray(headerEnd, message.length - TAG_BYTES);
    let payload: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(seq));
      decipher.setAAD(header);
      decipher.setAuthTag(message.subarray(message.length - TAG_BYTES));
      payload = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      return { ok: false, code: 'FORGED', message: `authentication failed for a message claiming to be from '${sender}' (forged, corrupted, or another cluster secret)`, sender, channel };
    }
    // Only an authentic message moves a window, so a forgery can never block the real sender.
    this.uses += 1;
    if (window) {
      if (seq > window.seq) window.seq = seq;
      window.recent.add(seq);
      for (const old of window.recent) if (window.seq - old >= REORDER_WINDOW) window.recent.delete(old);
      window.usedAt = this.uses;
    } else {
      const map = known ?? new Map<string, Window>();
      if (map.size >= INCARNATIONS_KEPT) {
        const oldest = [...map.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)[0]!;
        map.delete(oldest[0]);
      }
      map.set(incarnation, { key, seq, usedAt: this.uses, recent: new Set([seq]) });
      this.windows.set(windowKey, map);
    }
    return { ok: true, sender, channel, incarnation, seq, newIncarnation: !window, payload };
  }

  /** Forgets a sender (e.g. removed from the cluster). */
  forget(sender: string): void {
    for (const k of [...this.windows.keys()]) if (k.startsWith(`${sender}\0`)) this.windows.delete(k);
  }
}
