#!/usr/bin/env node
// Test service of the lab: replies to every TCP connection with its node
// name and a newline, then closes. Used as the managed Process behind the
// VIP; the client probe tells which node answers.
//
//   node echo-node.mjs [--port 7700] [--host ::] [--name NAME]
// NAME defaults to $MCCS_NODE, else the hostname (a lab node's UTS name).
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '7700' },
    host: { type: 'string', default: '::' },
    name: { type: 'string' },
  },
});
const name = values.name ?? process.env.MCCS_NODE ?? hostname();
const server = createServer((socket) => {
  socket.on('error', () => {});
  socket.end(`${name}\n`);
});
server.on('error', (err) => {
  console.error(`echo-node: ${err.message}`);
  process.exit(1);
});
// '::' without ipv6Only also accepts IPv4.
server.listen({ port: Number(values.port), host: values.host, ipv6Only: false }, () => {
  console.log(`echo-node ${name} listening on [${values.host}]:${values.port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
