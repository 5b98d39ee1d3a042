// The lab benches' calls to an engine: the project's API client from the
// build (dist/api/client.js), the code the CLI runs. The compiled benches run
// from bench/dist/bench/, so the client is loaded by its path in the
// repository, not by a relative import.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
