import { Command, Flags } from '@oclif/core';
import { runForeground } from '../daemon/main.js';
import { mccsHome } from '../model/home.js';

export default class Daemon extends Command {
  static override description = `Run the engine of this node in the foreground.

SIGTERM or SIGINT stops the engine only: the services it manages keep running
and the next start adopts them (it probes every resource before it acts).
Run it under systemd (systemd/mccs.service, KillMode=process).`;

  static override examples = ['MCCS_HOME=/opt/mccs mccs daemon', 'mccs daemon --node node1'];

  static override flags = {
    node: Flags.string({ description: 'name of this node in main.json (default: MCCS_NODE, else found from the host addresses)' }),
    home: Flags.string({ description: 'MCCS_HOME (default: $MCCS_HOME or /opt/mccs)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Daemon);
    await runForeground({ home: flags.home ?? mccsHome(), node: flags.node });
  }
}
