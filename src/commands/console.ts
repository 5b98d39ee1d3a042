// mccs console: the web console of this node (https://NODE:ConsolePort/main).
import { Command, Flags } from '@oclif/core';
import { startConsole } from '../console/main.js';
import { MccsError } from '../model/errors.js';
import { mccsHome } from '../model/home.js';

export default class Console extends Command {
  static override summary = 'Run the web console of this node in the foreground.';

  static override description = `Serves the management web console at https://NODE:ConsolePort/main (cluster attribute ConsolePort, default 10080), on every address of the node unless --bind says otherwise. It is a process of its own (systemd unit mccs-console.service, installed by "mccs service install") and talks to the local engine only through its API socket, so a fault in the console never touches the engine.

HTTPS uses this node's certificate, config/tls/node.crt (created by mccs init); check its fingerprint in the browser against: openssl x509 -noout -fingerprint -sha256 -in $MCCS_HOME/config/tls/node.crt. --no-tls serves plain HTTP: passwords and session cookies then cross the network in clear; use it only on a trusted management network or behind a TLS proxy.

Users and roles are those of config/users.json (mccs users add): Administrator acts, Monitor only looks.`;

  static override examples = ['<%= config.bin %> console', '<%= config.bin %> console --bind 10.0.0.1 --port 10443', '<%= config.bin %> console --no-tls --bind 127.0.0.1'];

  static override flags = {
    home: Flags.string({ description: 'MCCS_HOME (default: $MCCS_HOME or /opt/mccs)' }),
    bind: Flags.string({ description: 'Address to listen on (repeat or comma list; default: every address of the node).', multiple: true }),
    port: Flags.integer({ description: 'Port (default: the cluster attribute ConsolePort, 10080).', min: 1, max: 65535 }),
    tls: Flags.boolean({ description: 'HTTPS with config/tls/node.crt; --no-tls serves plain HTTP (see the description).', default: true, allowNo: true }),
    'engine-host': Flags.string({ description: "Reach the engine through its remote TLS API at ADDRESS[:PORT] instead of the local socket (credentials and the pinned fingerprint as for the CLI's --host)." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Console);
    try {
      const running = await startConsole({
        home: flags.home ?? mccsHome(),
        bind: flags.bind?.flatMap((b) => b.split(',')).map((b) => b.trim()).filter(Boolean),
        port: flags.port,
        tls: flags.tls,
        engineHost: flags['engine-host'],
      });
      const stop = () => {
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    } catch (e) {
      if (e instanceof MccsError) {
        this.logToStderr(`mccs console: ${e.message}${e.actions.length ? `\n  ${e.actions.join('\n  ')}` : ''}`);
        this.exit(e.exitCode);
      }
      throw e;
    }
  }
}
