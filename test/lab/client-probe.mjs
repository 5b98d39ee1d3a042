// Runs in the lab's client namespace (started by lab.ts); one JSON request
// per stdin line, one JSON reply per stdout line, so probes cost no fork.
//   {id, op:'probe', addr, port, timeoutMs} → {id, answer: string|null, ms}
//   {id, op:'watch', addr, port, intervalMs, timeoutMs} → {id, watch}
//   {id, op:'unwatch', watch} → {id, events: [{at, answer}]}  (changes of answer, in send order)
// Times are CLOCK_MONOTONIC ms, the same clock as monotonicMs() in exec.ts.
import { probeTcp } from './tcp-probe.mjs';
import { createInterface } from 'node:readline';

const now = () => Number(process.hrtime.bigint() / 1000n) / 1000;

const probe = probeTcp;

const watches = new Map();
let nextWatch = 1;

function startWatch({ addr, port, intervalMs = 10, timeoutMs = 500 }) {
  const results = [];
  const timer = setInterval(() => {
    const at = now();
    const slot = { at, answer: undefined };
    results.push(slot);
    probe(addr, port, timeoutMs).then((answer) => (slot.answer = answer));
  }, intervalMs);
  const w = nextWatch++;
  watches.set(w, { timer, results, timeoutMs });
  return w;
}

async function stopWatch(w) {
  const watch = watches.get(w);
  if (!watch) return [];
  watches.delete(w);
  clearInterval(watch.timer);
  const end = Date.now() + watch.timeoutMs + 200;
  while (watch.results.some((r) => r.answer === undefined) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const events = [];
  for (const r of watch.results) {
    const answer = r.answer ?? null;
    if (events.length === 0 || events[events.length - 1].answer !== answer) events.push({ at: r.at, answer });
  }
  return events;
}

const reply = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

createInterface({ input: process.stdin }).on('line', async (line) => {
  const req = JSON.parse(line);
  try {
    if (req.op === 'probe') {
      const t = now();
      const answer = await probe(req.addr, req.port, req.timeoutMs ?? 1000);
      reply({ id: req.id, answer, ms: now() - t });
    } else if (req.op === 'watch') {
      reply({ id: req.id, watch: startWatch(req) });
    } else if (req.op === 'unwatch') {
      reply({ id: req.id, events: await stopWatch(req.watch) });
    } else {
      reply({ id: req.id, error: `unknown op ${req.op}` });
    }
  } catch (err) {
    reply({ id: req.id, error: String(err) });
  }
}).on('close', () => process.exit(0));
