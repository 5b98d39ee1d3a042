// mccs users: the users of the API (roles Administrator and Monitor, SPEC §6).
import { MccsError } from '../../model/errors.js';
import { arg, defineSpec, type AnySpec, type Input, type RunContext } from '../spec.js';

const name = { name: 'name', summary: 'User name.', required: true };
const passwordHelp = 'The password is read from MCCS_NEW_PASSWORD, else from stdin when it is not a terminal, else asked (never from argv).';

export const usersSpecs: AnySpec[] = [
  defineSpec({
    id: 'users:list',
    summary: 'List users and their roles.',
    examples: ['mccs users list'],
    args: [],
    method: 'users.list',
    params: () => ({}),
    render: 'users',
  }),
  defineSpec({
    id: 'users:add',
    summary: 'Add a user (Administrator: every command; Monitor: read-only).',
    description: passwordHelp,
    examples: ['echo "$PW" | mccs users add alice --role Monitor', 'MCCS_NEW_PASSWORD=… mccs users add bob'],
    args: [name],
    flags: { role: { kind: 'string', options: ['Administrator', 'Monitor'], summary: 'Role (default Administrator).' } },
    method: 'users.add',
    params: async (i, ctx) => ({
      name: arg(i, 'name'),
      role: (i.flags.role as 'Administrator' | 'Monitor' | undefined) ?? 'Administrator',
      password: await newPassword(i, ctx),
    }),
  }),
  defineSpec({
    id: 'users:delete',
    summary: 'Delete a user.',
    examples: ['mccs users delete alice'],
    args: [name],
    method: 'users.delete',
    params: (i) => ({ name: arg(i, 'name') }),
  }),
  defineSpec({
    id: 'users:password',
    summary: "Change a user's password.",
    description: passwordHelp,
    examples: ['echo "$PW" | mccs users password alice'],
    args: [name],
    method: 'users.password',
    params: async (i, ctx) => ({ name: arg(i, 'name'), password: await newPassword(i, ctx) }),
  }),
];

async function newPassword(input: Input, ctx: RunContext): Promise<string> {
  const fromEnv = ctx.io.env.MCCS_NEW_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!ctx.io.stdinIsTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const pw = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (pw === '') throw new MccsError('USAGE', 'no password on stdin', ['echo "$PW" | mccs users …', 'or set MCCS_NEW_PASSWORD']);
    return pw;
  }
  const { password } = await import('@inquirer/prompts');
  const first = await password({ message: `New password for ${input.args.name}:`, mask: '*' });
  const again = await password({ message: 'Again:', mask: '*' });
  if (first !== again) throw new MccsError('USAGE', 'the two passwords differ');
  if (first === '') throw new MccsError('USAGE', 'empty password');
  return first;
}
