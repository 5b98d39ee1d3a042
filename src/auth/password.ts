// Password hashes for config/users.json: scrypt from node:crypto, stored as
// one self-describing string so the cost can be raised later without breaking
// existing hashes:  scrypt$N$r$p$<salt base64>$<hash base64>
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { limitValue } from '../limits/constants.js';

const N = 16384;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse hashes whose parameters would make verification a denial of service. */
const MAX_N = 1 << 20;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  if (password.length === 0) throw new Error('the password is empty');
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

// Each verification costs ~16 MB and ~50 ms of a core: at most
// LOGIN_MAX_CONCURRENT_CHECKS run at once, the others wait their turn, so a
// burst of logins cannot take the engine's memory or both cores.
let checking = 0;
const waiting: Array<() => void> = [];

async function checkSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (checking >= limitValue('LOGIN_MAX_CONCURRENT_CHECKS')) await new Promise<void>((r) => waiting.push(r));
  else checking += 1;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else checking -= 1;
  }
}

/** true when `password` matches `stored`; false for a wrong password or a malformed hash (never throws on bad input). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0) || n > MAX_N || (n & (n - 1)) !== 0 || r > 64 || p > 16) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length === 0 || expected.length < 16) return false;
  const actual = await checkSlot(() => scrypt(password, salt, expected.length, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }));
  return timingSafeEqual(actual, expected);
}
