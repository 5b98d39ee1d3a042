// The one bounded wait of the tests, the lab and the benches (plain ESM, so
// that bench/lib.mjs and the demo use it as it is; typed by wait.d.mts).
//
// A check that throws is asked again (what it polls may not be up yet) and
// its last error is named when time runs out; a check that knows waiting is
// pointless (the process it waits for has exited) throws WaitAborted, which
// ends the wait at once.

export class WaitAborted extends Error {}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it returns a value other than undefined/false; throws after `timeoutMs` (monotonic clock). */
export async function waitFor(what, check, timeoutMs = 5000, everyMs = 20) {
  const end = performance.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if (e instanceof WaitAborted) throw e;
      last = e;
    }
    if (performance.now() >= end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await sleep(everyMs);
  }
}
