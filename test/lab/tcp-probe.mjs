// One TCP probe of a service that replies with its node name and closes:
// the answer (trimmed), or null when nothing answers within timeoutMs.
// Shared by the client prober of the lab and the demo.
import { connect } from 'node:net';

export function probeTcp(addr, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    let data = '';
    let done = false;
    const finish = (answer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const socket = connect({ host: addr, port });
    socket.setEncoding('utf8');
    socket.on('data', (d) => (data += d));
    socket.on('end', () => finish(data.trim() || null));
    socket.on('error', () => finish(null));
    const timer = setTimeout(() => finish(null), timeoutMs);
  });
}
