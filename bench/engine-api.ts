// The lab benches' engines: their homes, and the calls to them through the
// project's API client from the build (dist/api/client.js), the code the CLI
// runs. The compiled benches run from bench/dist/bench/, so the build is
// loaded by its path in the repository, not by a relative import.
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitFor } from '../test/lab/exec.js';
import type { Lab, NodeName } from '../test/lab/lab.js';

type CallApi = (method: string, params: Record<string, unknown>, conn: { socketPath: string; timeoutMs?: number }) => Promise<any>;

/** bench/dist/bench/engine-api.js → the repository. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let client: Promise<{ callApi: CallApi }> | undefined;

/** An rpc(home, method, params, timeoutMs) to the engine of `home` over its socket: the envelope {ok, changed, result | error}. */
export function engineRpc(defaultTimeoutMs: number) {
  return async (home: string, method: string, params: Record<string, unknown> = {}, timeoutMs = defaultTimeoutMs): Promise<any> => {
    const file = join(ROOT, 'dist/api/client.js');
    if (!client) {
      if (!existsSync(file)) throw new Error(`${file} missing: build first (npm run build)`);
      client = import(pathToFileURL(file).href) as Promise<{ callApi: CallApi }>;
    }
    return (await client).callApi(method, params, { socketPath: join(home, 'run/mccs.sock'), timeoutMs });
  };
}

/** Each node's engine home (config/, log/, run/): the same main.json, and one cluster key for all (made by the build's dist/cluster/crypto.js). */
export async function writeEngineHomes(lab: Lab, nodes: NodeName[], mainJson: unknown): Promise<void> {
  const keyPath = join(lab.dir, 'cluster.key');
  const { generateSecret } = (await import(pathToFileURL(join(ROOT, 'dist/cluster/crypto.js')).href)) as { generateSecret(p: string): Buffer };
  generateSecret(keyPath);
  for (const n of nodes) {
    const home = lab.nodes[n].home;
    for (const dir of ['config', 'log', 'run']) mkdirSync(join(home, dir), { recursive: true });
    writeFileSync(join(home, 'config/main.json'), `${JSON.stringify(mainJson, null, 2)}\n`);
    copyFileSync(keyPath, join(home, 'config/cluster.key'));
    chmodSync(join(home, 'config/cluster.key'), 0o600);
  }
}

/** Until every node's engine sees every node RUNNING (bounded). */
export async function waitAllRunning(lab: Lab, nodes: NodeName[], limitMs: number, everyMs: number): Promise<void> {
  const rpc = engineRpc(5000);
  await waitFor(`${nodes.join(' and ')} RUNNING`, async () => {
    for (const n of nodes) if (!((await rpc(lab.nodes[n].home, 'cluster.status'))?.result?.nodes as { state: string }[] | undefined)?.every((x) => x.state === 'RUNNING')) return false;
    return true;
  }, limitMs, everyMs);
}
