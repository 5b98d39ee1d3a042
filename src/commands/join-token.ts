// `mccs join-token`: on a running node, a one-time token for `mccs init
// --join` on another one, and the exact command to run there: for a node
// main.json lists but whose engine does not run yet (the second node of a
// pair), and for a NEW node that the join adds to the cluster
// (src/init/join.ts, src/api/methods-join.ts).
import { Command, Flags } from '@oclif/core';
import { callApi, DEFAULT_API_PORT, resolveConnection } from '../api/client.js';
import type { Methods } from '../api/protocol.js';
import { runWithEnvelope } from '../init/command-output.js';
import { MccsError } from '../model/errors.js';

type TokenResult = Methods['cluster.jointoken']['result'];

/** The flags a new node adds to the join command: its name and addresses, to be filled in. */
export const NEW_NODE_FLAGS = '--node NAME --primary-hb ADDRESS [--secondary-hb ADDRESS]';

export default class JoinToken extends Command {
  static summary = 'Print a one-time token and the command that sets up another node from this one (mccs init --join): a node main.json lists, or a new node.';

  static description = `Asks this node's engine (it must be running) for a random one-time join token, valid --ttl seconds (default 900) and for a single use; the engine keeps only its hash, in memory. Prints the command to run on the other node:

  mccs init --join ADDRESS --token TOKEN --fingerprint SHA256 --node NODE2                   (a node main.json lists: the second of a pair)
  mccs init --join ADDRESS --token TOKEN --fingerprint SHA256 --node NAME --primary-hb ADDRESS   (a NEW node: added to Nodes)

There, mccs init connects to this engine's remote API (TLS on HBPort+3), refuses to send anything unless the certificate matches the fingerprint, and receives main.json and cluster.key in exchange for the token. A new node is first added to Nodes by one configuration change on every running node (more than two nodes need WitnessType etcd). The token is a secret until it is used: pass it over SSH, not by mail. Root on this node, or an Administrator (-u/--password, MCCS_USER/MCCS_PASSWORD).

With --json, result.command is the command for the node most likely meant (a listed node whose engine does not run, else a new node) and result.newNodeCommand the one for a new node, NAME and ADDRESS to be filled in.`;

  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --ttl 300 --json', '<%= config.bin %> <%= command.id %> --address 10.0.0.1'];

  static flags = {
    ttl: Flags.integer({ description: 'Seconds the token stays valid (default 900).', min: 1, max: 86400 }),
    address: Flags.string({ description: "Address the other node reaches this one at (default: this node's PrimaryHB)." }),
    user: Flags.string({ char: 'u', description: 'User name (else MCCS_USER; root on the local socket needs none).' }),
    password: Flags.string({ description: 'Password (prefer MCCS_PASSWORD: argv is visible in ps).' }),
    json: Flags.boolean({ description: 'Print one JSON envelope {"ok","changed","result"}; result.command is the command for the other node, result.newNodeCommand the one for a new node.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(JoinToken);
    await runWithEnvelope(this, flags.json, async () => {
      const conn = resolveConnection({ user: flags.user, password: flags.password }, process.env);
      const env = await callApi('cluster.jointoken', (flags.ttl ? { ttl: flags.ttl } : {}) as never, conn);
      if (!env.ok) throw new MccsError(env.error.code, env.error.message, env.error.actions, env.error.details);
      const r = env.result as TokenResult;
      const host = flags.address ?? r.addresses[0];
      if (!host) throw new MccsError('INVALID', `node ${r.node} has no PrimaryHB address: give --address`);
      const address = r.port === DEFAULT_API_PORT ? host : host.includes(':') ? `[${host}]:${r.port}` : `${host}:${r.port}`;
      const base = `mccs init --join ${address} --token ${r.token} --fingerprint ${r.fingerprint}`;
      const pending = r.pending ?? r.nodes;
      const listedCommand = pending.length > 0 ? `${base} --node ${pending.length === 1 ? pending[0] : 'NODE'}` : undefined;
      const newNodeCommand = `${base} ${NEW_NODE_FLAGS}`;
      const command = listedCommand ?? newNodeCommand;
      const minutes = r.ttl >= 120 ? `${Math.round(r.ttl / 60)} min` : `${r.ttl} s`;
      const password = '(set its admin password with MCCS_ADMIN_PASSWORD or --admin-password-file)';
      const witness =
        r.witnessType === 'etcd' ? '' : ` This cluster has WitnessType ${r.witnessType}: a third node is refused until it is etcd (mccluster modify WitnessType=etcd WitnessEndpoints=…).`;
      const text = [
        `One-time join token (valid ${minutes}, until ${r.expiresAt}; single use).`,
        ...(listedCommand
          ? [`On ${pending.length === 1 ? pending[0] : pending.join(' or ')} (in main.json, engine not running yet), as root ${password}:`, '', `  ${listedCommand}`, '', `Or, to add a NEW node (NAME and ADDRESS its own), on it, as root:${witness}`]
          : [`To add a NEW node (NAME and ADDRESS its own), on it, as root ${password}:${witness}`]),
        '',
        `  ${newNodeCommand}`,
        '',
        `Fingerprint (SHA-256) of ${r.node}'s certificate: ${r.fingerprint}`,
      ].join('\n');
      return { changed: true, result: { ...r, address, command, newNodeCommand }, text };
    });
  }
}
