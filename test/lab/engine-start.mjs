// `mccs_engine_start` of the Ansible lab test: run inside a lab node (nsenter
// into its namespaces), starts `mccs daemon --node NODE` for $MCCS_HOME in
// the background unless its pid file names a live engine, waits for its
// socket, and prints {"changed": true|false} for changed_when.
//   node test/lab/engine-start.mjs NODE
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const node = process.argv[2];
const home = process.env.MCCS_HOME;
if (!node || !home) {
  process.stderr.write('usage: MCCS_HOME=… engine-start.mjs NODE\n');
  process.exit(2);
}
const alive = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !'ZX'.includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
};
const pidFile = join(home, 'run', 'mccs.pid');
const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
if (pid > 0 && alive(pid)) {
  process.stdout.write(JSON.stringify({ changed: false, pid }) + '\n');
  process.exit(0);
}
const out = openSync(join(home, 'log', 'console.log'), 'a');
const daemon = resolve(import.meta.dirname, '../../dist/daemon/main.js');
const child = spawn(process.execPath, [daemon, '--node', node], { detached: true, stdio: ['ignore', out, out], env: process.env });
child.unref();
const socket = join(home, 'run', 'mccs.sock');
for (let i = 0; i < 200 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
if (!existsSync(socket)) {
  process.stderr.write(`engine of ${node} did not open ${socket} within 20 s (see ${join(home, 'log', 'console.log')})\n`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ changed: true, pid: child.pid }) + '\n');
process.exit(0);
