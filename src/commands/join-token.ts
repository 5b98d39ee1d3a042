// `mccs join-token`: on the first node, a one-time token for `mccs init --join`
// on the second, and the exact command to run there (src/init/join.ts,
// src/api/methods-join.ts).
import { Command, Flags } from '@oclif/core';
import { callApi, DEFAULT_API_PORT, resolveConnection } from '../api/client.js';
import type { MethodName } from '../api/protocol.js';
import { runWithEnvelope } from '../init/command-output.js';
import { MccsError } from '../model/errors.js';

interface TokenResult {
  token: string;
  expiresAt: string;
  ttl: number;
  fingerprint: string;
  node: string;
  addresses: string[];
  port: number;
  nodes: string[];
}

export default class JoinToken extends Command {
  static summary = 'Print a one-time token and the command that sets up the second node from this one (mccs init --join).';

  static description = `Asks this node's engine (it must be running) for a random one-time join token, valid --ttl seconds (default 900) and for a single use; the engine keeps only its hash, in memory. Prints the command to run on the second node:

  mccs init --join ADDRESS --token TOKEN --fingerprint SHA256 --node NODE2

There, mccs init connects to this engine's remote API (TLS on HBPort+3), refuses to send anything unless the certificate matches the fingerprint, and receives main.json and cluster.key in exchange for the token. The token is a secret until it is used: pass it over SSH, not by mail. Root on this node, or an Administrator (-u/--password, MCCS_USER/MCCS_PASSWORD).`;

  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --ttl 300 --json', '<%= config.bin %> <%= command.id %> --address 10.0.0.1'];

  static flags = {
    ttl: Flags.integer({ description: 'Seconds the token stays valid (default 900).', min: 1, max: 86400 }),
    address: Flags.string({ description: "Address the second node reaches this one at (default: this node's PrimaryHB)." }),
    user: Flags.string({ char: 'u', description: 'User name (else MCCS_USER; root on the local socket needs none).' }),
    password: Flags.string({ description: 'Password (prefer MCCS_PASSWORD: argv is visible in ps).' }),
    json: Flags.boolean({ description: 'Print one JSON envelope {"ok","changed","result"}; result.command is the command for the second node.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(JoinToken);
    await runWithEnvelope(this, flags.json, async () => {
      const conn = resolveConnection({ user: flags.user, password: flags.password }, process.env);
      const env = await callApi('cluster.jointoken' as MethodName, (flags.ttl ? { ttl: flags.ttl } : {}) as never, conn);
      if (!env.ok) throw new MccsError(env.error.code, env.error.message, env.error.actions, env.error.details);
      const r = env.result as unknown as TokenResult;
      const host = flags.address ?? r.addresses[0];
      if (!host) throw new MccsError('INVALID', `node ${r.node} has no PrimaryHB address: give --address`);
      const address = r.port === DEFAULT_API_PORT ? host : host.includes(':') ? `[${host}]:${r.port}` : `${host}:${r.port}`;
      const nodeHint = r.nodes.length === 1 ? ` --node ${r.nodes[0]}` : r.nodes.length > 1 ? ' --node NODE' : '';
      const command = `mccs init --join ${address} --token ${r.token} --fingerprint ${r.fingerprint}${nodeHint}`;
      const minutes = r.ttl >= 120 ? `${Math.round(r.ttl / 60)} min` : `${r.ttl} s`;
      const text = [
        `One-time join token for ${r.nodes.join(', ') || 'the second node'} (valid ${minutes}, until ${r.expiresAt}; single use).`,
        `On ${r.nodes[0] ?? 'the second node'}, as root (set the admin password with MCCS_ADMIN_PASSWORD or --admin-password-file):`,
        '',
        `  ${command}`,
        '',
        `Fingerprint (SHA-256) of ${r.node}'s certificate: ${r.fingerprint}`,
      ].join('\n');
      return { changed: true, result: { ...r, address, command }, text };
    });
  }
}
