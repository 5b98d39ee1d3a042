// `mccs service install`: the shipped systemd unit into /etc/systemd/system.
import { Command, Flags } from '@oclif/core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithEnvelope } from '../../init/command-output.js';
import { installFile } from '../../init/setup.js';

/** systemd/mccs.service of the package (three levels up from dist/commands/service). */
export const UNIT_FILE = fileURLToPath(new URL('../../../systemd/mccs.service', import.meta.url));
/** systemd/mccs-console.service: the web console, a process of its own. */
export const CONSOLE_UNIT_FILE = fileURLToPath(new URL('../../../systemd/mccs-console.service', import.meta.url));

export default class ServiceInstall extends Command {
  static summary = 'Install the systemd units mccs.service and mccs-console.service.';

  static description = `Copies the unit shipped in the package (systemd/mccs.service) to /etc/systemd/system (or --dest). It runs "mccs daemon" with Restart=on-failure, KillMode=process (restarting or stopping the engine never kills the services it manages), OOMScoreAdjust=-900 and its log on the journal (journalctl -u mccs). Idempotent: an identical unit is left alone; a different one is replaced only with --force (exit 5 otherwise).

The unit starts /usr/bin/env mccs daemon, so mccs must be on systemd's PATH (/usr/local/bin or /usr/bin, where npm install -g puts it); MCCS_HOME is /opt/mccs, change it with "systemctl edit mccs" (Environment=MCCS_HOME=...).

It also installs mccs-console.service, the web console (mccs console, https://NODE:10080/main), a process of its own that reaches the engine only through its API socket.

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
      const consoleDest = join(flags.dest, 'mccs-console.service');
      const action = await installFile(UNIT_FILE, dest, { force: flags.force, mode: 0o644 });
      const consoleAction = await installFile(CONSOLE_UNIT_FILE, consoleDest, { force: flags.force, mode: 0o644 });
      const next = 'systemctl daemon-reload && systemctl enable --now mccs mccs-console';
      const line = (d: string, a: string) => (a === 'unchanged' ? `${d} is already installed.` : `Installed ${d}.`);
      return {
        changed: action !== 'unchanged' || consoleAction !== 'unchanged',
        result: { unit: dest, action, consoleUnit: consoleDest, consoleAction, next },
        text: `${line(dest, action)}\n${line(consoleDest, consoleAction)}\nNow run: ${next}\nLogs: journalctl -u mccs -f; journalctl -u mccs-console -f`,
      };
    });
  }
}
