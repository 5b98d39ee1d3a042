// Runners that run every command inside a lab namespace, so an agent driven
// from the test process acts on a lab node: NetnsRunner prefixes
// `ip netns exec NS` (network namespace only; /sys remounted for it),
// NodeRunner uses `nsenter` on a booted lab node's init (its network, PID,
// mount and UTS namespaces). Both log through the wrapped ExecRunner.
import { ExecRunner } from '../../src/engine/exec-runner.js';
import type { RunOptions, RunResult, Runner } from '../../src/engine/runner.js';

abstract class PrefixRunner implements Runner {
  constructor(protected readonly inner: Runner = new ExecRunner()) {}

  protected abstract prefix(): string[];

  async run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    const { user, ...rest } = options;
    // `ip netns exec` and nsenter need root: switch user inside the namespace instead.
    const argv = user ? ['runuser', '-u', user, '--', command, ...args] : [command, ...args];
    const [first, ...others] = [...this.prefix(), ...argv];
    const r = await this.inner.run(first as string, others, rest);
    // Report the command as the agent asked for it.
    return { ...r, command, args };
  }
}

export class NetnsRunner extends PrefixRunner {
  constructor(readonly ns: string, inner?: Runner) {
    super(inner);
  }

  protected prefix(): string[] {
    return ['ip', 'netns', 'exec', this.ns];
  }
}

export class NodeRunner extends PrefixRunner {
  /** initPid: host PID of the node's init (lab.nodes[name].init.initPid). */
  constructor(readonly initPid: number, inner?: Runner) {
    super(inner);
  }

  protected prefix(): string[] {
    return ['nsenter', '-t', String(this.initPid), '-n', '-p', '-m', '-u', '-i', '--'];
  }
}
