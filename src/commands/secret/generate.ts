// `mccs secret generate`: the cluster secret (SPEC §4), the same on every node.
import { Command, Flags } from '@oclif/core';
import { mkdir } from 'node:fs/promises';
import { homePaths } from '../../model/home.js';
import { runWithEnvelope } from '../../init/command-output.js';
import { SECRET_BYTES } from '../../cluster/crypto.js';
import { writeClusterKey } from '../../init/setup.js';

export default class SecretGenerate extends Command {
  static summary = 'Create the cluster secret config/cluster.key.';

  static description = `Writes ${SECRET_BYTES} random bytes to $MCCS_HOME/config/cluster.key with mode 0600. Every node of the cluster needs the same file: copy it to the other nodes (scp -p) before starting them. It authenticates and encrypts all traffic between nodes; a node with another secret cannot join.

An existing secret is never replaced without --force (exit 5): a new secret must be copied to every node and the engines restarted, or the nodes stop hearing each other.`;

  static examples = ['<%= config.bin %> <%= command.id %>', 'MCCS_HOME=/srv/mccs-lab/node1 <%= config.bin %> <%= command.id %> --force'];

  static flags = {
    home: Flags.string({ description: 'MCCS_HOME.', env: 'MCCS_HOME', default: '/opt/mccs' }),
    force: Flags.boolean({ description: 'Replace an existing secret (then copy it to every node).' }),
    json: Flags.boolean({ description: 'Print one JSON envelope {"ok","changed","result"}.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SecretGenerate);
    await runWithEnvelope(this, flags.json, async () => {
      const paths = homePaths(flags.home);
      await mkdir(paths.config, { recursive: true, mode: 0o750 });
      const action = await writeClusterKey(paths.clusterKey, { force: flags.force });
      return {
        changed: true,
        result: { file: paths.clusterKey, action },
        text: `${action === 'replaced' ? 'Replaced' : 'Created'} ${paths.clusterKey} (mode 0600).\nCopy it to every other node, e.g.: scp -p ${paths.clusterKey} root@node2:${paths.clusterKey}${action === 'replaced' ? '\nThen restart the engine on every node.' : ''}`,
      };
    });
  }
}
