// `mccs discover`: what on this node an HA group could be made of, with the
// evidence of each finding (src/discover). `--propose GROUP` turns it into a
// group for main.json; `--apply` adds that group through the engine's
// validated change path, after a dry run.
import { Command, Flags } from '@oclif/core';
import { callApi, resolveConnection, type Connection } from '../api/client.js';
import type { MethodName } from '../api/protocol.js';
import { discover } from '../discover/discover.js';
import { localHost } from '../discover/host.js';
import { propose, type Proposal } from '../discover/propose.js';
import { renderDiscovery } from '../discover/render.js';
import { ExecRunner } from '../engine/exec-runner.js';
import { runWithEnvelope } from '../init/command-output.js';
import { MccsError } from '../model/errors.js';

interface StatusView {
  localNode: string;
  nodes: { NodeName: string; attributes: Record<string, unknown> }[];
}

async function call<T>(conn: Connection, method: string, params: Record<string, unknown>): Promise<T> {
  const env = await callApi(method as MethodName, params as never, conn);
  if (!env.ok) throw new MccsError(env.error.code, env.error.message, env.error.actions, env.error.details);
  return env.result as T;
}

export default class Discover extends Command {
  static summary = 'List what runs on this node that an HA group could be made of, with evidence; --propose GROUP prints a ready group, --apply adds it.';

  static description = `Reads this node (as root: /proc, postmaster.pid, /etc/oratab, /proc/self/mountinfo, systemctl, ip) and lists, each with the evidence it was read from:
  - running PostgreSQL clusters (data directory, port, OS user, version),
  - Oracle instances (ora_pmon_* processes, /etc/oratab) and listeners (tnslsnr),
  - file systems mounted from block devices other than the root disk (device, file system, mount point, size): SharedDisk candidates,
  - processes listening on TCP ports (executable, arguments, user),
  - systemd services that are enabled and active,
  - interfaces and their addresses.
Nothing is changed.

--propose GROUP prints a group for main.json (Groups[] entry) built from the findings: NIC (the interface carrying this node's PrimaryHB) ← IP (--vip) ← SharedDisk (the disk holding the database) ← PostgreSQL or Oracle ← the application (the process that runs from that disk, or --port N, or --service UNIT), with why each was chosen on stderr. When the engine runs, the proposal is checked by a dry run (the same validation as every change).

--apply adds the proposed group through the engine: a dry run first, then the change only with --yes (or a yes at the prompt on a terminal). Then hand it over: stop the application and the database, unmount the disk (a disk mounted without the engine's lease is never adopted), and mcgrp online GROUP --node NODE --wait.`;

  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json',
    '<%= config.bin %> <%= command.id %> --propose pg --vip 10.0.0.100/24 > pg-group.json',
    '<%= config.bin %> <%= command.id %> --propose pg --vip 10.0.0.100/24 --apply            # dry run, then asks',
    '<%= config.bin %> <%= command.id %> --propose pg --vip 10.0.0.100/24 --apply --yes',
  ];

  static flags = {
    propose: Flags.string({ description: 'Print a group of this name for main.json, built from what was found.' }),
    vip: Flags.string({ description: 'Virtual IP of the proposed group, ADDRESS[/PREFIX] (default prefix: that of the interface).' }),
    port: Flags.integer({ description: 'The application is the process listening on this TCP port.', min: 1, max: 65535 }),
    service: Flags.string({ description: 'The application is this systemd service (a Service resource).' }),
    apply: Flags.boolean({ description: 'Add the proposed group through the engine (dry run first; the change needs --yes or a yes at the prompt).', dependsOn: ['propose'] }),
    yes: Flags.boolean({ description: 'With --apply: apply after the dry run without asking.' }),
    user: Flags.string({ char: 'u', description: 'User name (else MCCS_USER, else the credentials file; root on the local socket needs none).' }),
    password: Flags.string({ description: 'Password (prefer MCCS_PASSWORD: argv is visible in ps).' }),
    json: Flags.boolean({ description: 'Print one JSON envelope {"ok","changed","result"}.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Discover);
    await runWithEnvelope<unknown>(this, flags.json, async () => {
      const found = await discover(localHost(new ExecRunner()));
      if (!flags.propose) return { changed: false, result: found, text: renderDiscovery(found) };
      if (!/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/.test(flags.propose)) throw new MccsError('INVALID', `'${flags.propose}' is not a valid group name (letters, digits, _ . -; starting with a letter)`);
      if (flags.vip !== undefined && !/^[0-9A-Fa-f.:]+(\/\d{1,3})?$/.test(flags.vip)) throw new MccsError('INVALID', `--vip '${flags.vip}' is not ADDRESS[/PREFIX]`);

      // The cluster's nodes and this node's PrimaryHB, when the engine answers.
      const conn = resolveConnection({ user: flags.user, password: flags.password }, process.env);
      let status: StatusView | undefined;
      let engineError: string | undefined;
      try {
        status = await call<StatusView>(conn, 'cluster.status', {});
      } catch (e) {
        engineError = (e as Error).message;
        if (flags.apply) throw e;
      }
      const me = status?.nodes.find((n) => n.NodeName === status!.localNode);
      const proposal: Proposal = propose(found, {
        group: flags.propose,
        nodes: status ? status.nodes.map((n) => n.NodeName) : [found.host.split('.')[0]!],
        ...(typeof me?.attributes.PrimaryHB === 'string' ? { primaryHB: me.attributes.PrimaryHB } : {}),
        ...(flags.vip ? { vip: flags.vip } : {}),
        ...(flags.port !== undefined ? { port: flags.port } : {}),
        ...(flags.service ? { service: flags.service } : {}),
      });
      const reasons = [...proposal.reasons, ...(engineError ? [`not checked against the cluster (engine: ${engineError}); NodeList is this host only`] : [])];

      // The dry run: the same validation as the change itself.
      let check: { valid: boolean; errors?: string } | undefined;
      if (status) {
        try {
          await call(conn, 'grp.put', { group: proposal.group, dryRun: true });
          check = { valid: true };
        } catch (e) {
          check = { valid: false, errors: (e as Error).message };
          if (flags.apply) throw e;
        }
      }
      const fragment = JSON.stringify(proposal.group, null, 2);
      const why = reasons.map((r) => `# ${r}`).join('\n');
      const checked = check ? (check.valid ? `# dry run: the group validates against the running configuration` : `# dry run: INVALID: ${check.errors}`) : '';
      if (!flags.apply) {
        if (!flags.json) process.stderr.write(`${why}\n${checked ? `${checked}\n` : ''}`);
        return { changed: false, result: { group: proposal.group, reasons, ...(check ? { check } : {}) }, text: fragment };
      }

      let go = flags.yes === true;
      if (!go && process.stdin.isTTY && !flags.json) {
        process.stderr.write(`${fragment}\n${why}\n${checked}\n`);
        const { confirm } = await import('@inquirer/prompts');
        go = await confirm({ message: `Add group ${flags.propose} to the cluster configuration?`, default: false });
      }
      if (!go) {
        return {
          changed: false,
          result: { group: proposal.group, reasons, check, dryRun: true },
          text: `${fragment}\n${why}\n${checked}\nDry run only: nothing was changed. To add it: mccs discover --propose ${flags.propose}${flags.vip ? ` --vip ${flags.vip}` : ''} --apply --yes`,
        };
      }
      const r = await call<{ ConfigVersion: number }>(conn, 'grp.put', { group: proposal.group });
      const node = status!.localNode;
      return {
        changed: true,
        result: { group: proposal.group, reasons, ConfigVersion: r.ConfigVersion },
        text: `${why}\nGroup ${flags.propose} added (ConfigVersion ${r.ConfigVersion}). Hand it over: stop the application and the database, unmount the disk, then: mcgrp online ${flags.propose} --node ${node} --wait`,
      };
    });
  }
}
