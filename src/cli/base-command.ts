// The oclif side of every command: flags and args built from its spec
// (src/cli/specs), parsing by oclif, then the same executeSpec as the fast
// path of run.ts. A command file is one line: `export default commandFrom(spec('grp:online'))`.
//
// `run()` returns the typed result of the API call (undefined on error);
// output and exit code follow SPEC §6: --json prints exactly one envelope,
// usage errors included (exit 2), with no oclif decoration.
import { Args, Command, Flags, type Interfaces } from '@oclif/core';
import { MccsError } from '../model/errors.js';
import { allFlags, CHANGE_GROUP, GLOBAL_GROUP, type AnySpec, type FlagSpec } from './spec.js';
import { executeSpec, failWith, processIo } from './run.js';

const HELP_GROUPS: Record<string, string> = { [GLOBAL_GROUP]: 'GLOBAL', [CHANGE_GROUP]: 'STATE CHANGE' };

function oclifFlag(f: FlagSpec): Interfaces.Flag<unknown> {
  const common = { summary: f.summary, ...(f.char ? { char: f.char as 'a' } : {}), ...(f.helpGroup ? { helpGroup: HELP_GROUPS[f.helpGroup] } : {}) };
  switch (f.kind) {
    case 'boolean':
      return Flags.boolean(common) as Interfaces.Flag<unknown>;
    case 'integer':
      return Flags.integer({ ...common, ...(f.min !== undefined ? { min: f.min } : {}), required: f.required ?? false }) as Interfaces.Flag<unknown>;
    default:
      return Flags.string({ ...common, ...(f.options ? { options: [...f.options] } : {}), required: f.required ?? false }) as Interfaces.Flag<unknown>;
  }
}

export abstract class BaseCommand<Result = unknown> extends Command {
  static spec: AnySpec;

  /** The spec this command class was built from. */
  protected get spec(): AnySpec {
    return (this.constructor as typeof BaseCommand).spec;
  }

  async run(): Promise<Result> {
    const io = processIo();
    const spec = this.spec;
    let parsed: Awaited<ReturnType<Command['parse']>>;
    try {
      parsed = await this.parse(this.constructor as typeof BaseCommand);
    } catch (e) {
      // oclif parse errors (unknown flag, missing argument, bad value) are usage errors.
      const err = e instanceof MccsError ? e : new MccsError('USAGE', (e as Error).message.split('\n')[0], [`mccs ${spec.id.replace(/:/g, ' ')} --help`]);
      process.exitCode = await failWith(err, this.argv.includes('--json'), io);
      return undefined as Result;
    }
    const args = parsed.args as Record<string, string | undefined>;
    const flags = parsed.flags as Record<string, string | number | boolean | undefined>;
    const rest = (parsed.argv as string[]).slice(spec.args.length);
    const { code, envelope } = await executeSpec(spec, { args, flags, rest }, io);
    process.exitCode = code;
    return (envelope?.ok ? envelope.result : undefined) as Result;
  }

  /** Errors never reach oclif's handler: they are printed as SPEC §6 says. */
  async catch(e: Error & { exitCode?: number }): Promise<void> {
    process.exitCode = await failWith(e, this.argv.includes('--json'), processIo());
  }
}

/** The oclif class of a spec: static args, flags and help text come from it. */
export function commandFrom(spec: AnySpec): typeof BaseCommand {
  const args: Record<string, Interfaces.Arg<string | undefined>> = {};
  for (const a of spec.args) args[a.name] = Args.string({ description: a.summary, required: a.required }) as Interfaces.Arg<string | undefined>;
  const flags: Record<string, Interfaces.Flag<unknown>> = {};
  for (const [name, f] of Object.entries(allFlags(spec))) flags[name] = oclifFlag(f);
  const description = [spec.description, spec.attributes ? `Arguments after ${spec.args.map((a) => a.name.toUpperCase()).join(' ') || 'the command'}: ${spec.attributes.summary}` : undefined]
    .filter(Boolean)
    .join('\n\n');
  class SpecCommand extends BaseCommand {
    static spec = spec;
    static summary = spec.summary;
    static description = description || undefined;
    static examples = spec.examples ?? [];
    static args = args;
    static flags = flags;
    static strict = spec.attributes === undefined;
  }
  return SpecCommand as unknown as typeof BaseCommand;
}
