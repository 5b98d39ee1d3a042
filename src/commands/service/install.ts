// `mccs service install`: the shipped systemd unit into /etc/systemd/system.
import { Command, Flags } from '@oclif/core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithEnvelope } from '../../init/command-output.js';
import { installFile } from '../../init/setup.js';

/** systemd/mccs.service of the package (three levels up from dist/commands/service). */
export const UNIT_FILE = fileURLToPath(new URL('../../../systemd/mccs.service', import.meta.url));

export default class ServiceInstall extends Command {
  static summary = 'Install the systemd unit mccs.service.';

  static description = `Copies the unit shipped in the package (systemd/mccs.service) to /etc/systemd/system (or --dest). It runs "mccs daemon" with Restart=on-failure, KillMode=process (restarting or stopping the engine never kills the services it manages), OOMScoreAdjust=-900 and its log on the journal (journalctl -u mccs). Idempotent: an identical unit is left alone; a different one is replaced only with --force (exit 5 otherwise).

The unit starts /usr/bin/env mccs daemon, so mccs must be on systemd's PATH (/usr/local/bin or /usr/bin, where npm install -g puts it); MCCS_HOME is /opt/mccs, change it with "systemctl edit mccs" (Environment=MCCS_HOME=...).

It does not start anything: run the printed systemctl commands.`;

  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --dest /tmp/units --json'];

  static flags = {
    dest: Flags.string({ description: 'Directory to install the unit into.', default: '/etc/systemd/system' }),
    force: Flags.boolean({ description: 'Replace a unit that differs from the shipped one.' }),
    json: Flags.boolean({ description: 'Print one JSON envelope {"ok","changed","result"}.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServiceInstall);
    await runWithEnvelope(this, flags.json, async () => {
      await mkdir(flags.dest, { recursive: true });
      const dest = join(flags.dest, 'mccs.service');
      const action = await installFile(UNIT_FILE, dest, { force: flags.force, mode: 0o644 });
      const next = 'systemctl daemon-reload && systemctl enable --now mccs';
      return {
        changed: action !== 'unchanged',
        result: { unit: dest, action, next },
        text: `${action === 'unchanged' ? `${dest} is already installed.` : `Installed ${dest}.`}\nNow run: ${next}\nLogs: journalctl -u mccs -f`,
      };
    });
  }
}
