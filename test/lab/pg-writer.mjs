#!/usr/bin/env node
// The lab's PostgreSQL writer: runs in the client namespace and inserts
// numbered rows through the VIP over the PostgreSQL wire protocol (a few
// lines of Node, no driver); a row is acknowledged only once its INSERT
// (autocommit) answered CommandComplete + ReadyForQuery.
// argv: host port table intervalMs maxRows maxMs [connectTimeoutMs, default 1000]. host may be a list
// (a,b): each new connection goes to the next host after a failed connect or a failed INSERT (a standby
// answers "read-only transaction"), as a client with several hosts and target_session_attrs=read-write does.
// Stdout, one line per event:
// C <ms>           connected           F <message>   connect failed
// S <n>            INSERT of n sent    A <n> <ms>    n committed (acknowledged)
// L <n> <message>  n in doubt: connection lost / error before the answer
// END <last n>
// Stops at maxRows, after maxMs, or when "stop" arrives on stdin.
import net from 'node:net';
const [hostList, port, table, intervalMs, maxRows, maxMs, connectTimeoutMs] = process.argv.slice(2);
const hosts = hostList.split(',');
let hostIndex = 0;
const nextHost = () => { hostIndex = (hostIndex + 1) % hosts.length; };
const out = (s) => process.stdout.write(s + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let stopping = false;
process.stdin.on('data', (d) => { if (String(d).includes('stop')) stopping = true; });
process.stdin.on('end', () => { stopping = true; });

function open(timeoutMs) {
  const host = hosts[hostIndex];
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port: Number(port) });
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let dead = null;
    const queue = [];
    let wake = null;
    const poke = () => { if (wake) { const w = wake; wake = null; w(); } };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 5) {
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) break;
        queue.push({ type: String.fromCharCode(buf[0]), body: buf.subarray(5, 1 + len) });
        buf = buf.subarray(1 + len);
      }
      poke();
    });
    sock.on('error', (e) => { dead ??= e.message; poke(); });
    sock.on('close', () => { dead ??= 'connection closed'; poke(); });
    // Reads messages until ReadyForQuery: { tag } or { error }; throws when the connection dies or the time is up.
    const untilReady = async (ms) => {
      const end = Date.now() + ms;
      let tag = '', error = '';
      for (;;) {
        while (queue.length) {
          const m = queue.shift();
          if (m.type === 'E' || (m.type === 'R' && m.body.readInt32BE(0) !== 0)) {
            if (m.type === 'R') error = 'authentication required';
            else for (let i = 0; i < m.body.length && m.body[i] !== 0;) {
              const code = String.fromCharCode(m.body[i]);
              const z = m.body.indexOf(0, i + 1);
              if (code === 'M' || code === 'C') error += (error ? ' ' : '') + m.body.toString('utf8', i + 1, z);
              i = z + 1;
            }
          } else if (m.type === 'C') tag = m.body.toString('utf8', 0, m.body.length - 1);
          else if (m.type === 'Z') return error ? { error } : { tag };
        }
        if (dead) throw new Error(error || dead);
        const left = end - Date.now();
        if (left <= 0) throw new Error('no answer within ' + ms + ' ms');
        await new Promise((r) => { wake = r; setTimeout(r, left); });
      }
    };
    const timer = setTimeout(() => { dead ??= 'connect timeout'; sock.destroy(); }, timeoutMs);
    sock.once('connect', async () => {
      const params = Buffer.from('user\0postgres\0database\0postgres\0application_name\0mccs-writer\0\0');
      const head = Buffer.alloc(8);
      head.writeInt32BE(8 + params.length, 0);
      head.writeInt32BE(196608, 4);
      sock.write(Buffer.concat([head, params]));
      try {
        const r = await untilReady(timeoutMs);
        clearTimeout(timer);
        if (r.error) { sock.destroy(); reject(new Error(r.error)); return; }
        resolve({
          close: () => sock.destroy(),
          query: async (sql, ms) => {
            const body = Buffer.from(sql + '\0');
            const h = Buffer.alloc(5);
            h.write('Q', 0);
            h.writeInt32BE(4 + body.length, 1);
            sock.write(Buffer.concat([h, body]));
            return untilReady(ms);
          },
        });
      } catch (e) { clearTimeout(timer); sock.destroy(); reject(e); }
    });
    sock.once('close', () => { clearTimeout(timer); reject(new Error(dead ?? 'connection closed')); });
  });
}

const t0 = Date.now();
let next = t0;
let n = 0;
let conn = null;
while (!stopping && n < Number(maxRows) && Date.now() - t0 < Number(maxMs)) {
  const wait = next - Date.now();
  if (wait > 0) await sleep(wait);
  next = Math.max(next + Number(intervalMs), Date.now());
  if (!conn) {
    try {
      conn = await open(Number(connectTimeoutMs ?? 1000));
      out('C ' + Date.now());
    } catch (e) {
      out('F ' + String(e.message).replace(/\s+/g, ' '));
      nextHost();
      continue;
    }
  }
  n += 1;
  out('S ' + n);
  try {
    const r = await conn.query('INSERT INTO ' + table + ' (n) VALUES (' + n + ')', 1500);
    if (r.error || r.tag !== 'INSERT 0 1') throw new Error(r.error || 'unexpected answer ' + r.tag);
    out('A ' + n + ' ' + Date.now());
  } catch (e) {
    out('L ' + n + ' ' + String(e.message).replace(/\s+/g, ' '));
    conn.close();
    conn = null;
    nextHost();
  }
}
conn?.close();
out('END ' + n);
process.exit(0);
