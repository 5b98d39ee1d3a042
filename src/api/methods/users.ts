// The users of the API (users.json, replicated like main.json): users.list,
// users.add, users.delete, users.password. The last Administrator stays.
import { readUsers, usersText, withUser, type Role, type UserEntry } from '../../auth/users.js';
import { hashPassword, verifyPassword } from '../../auth/password.js';
import { MccsError } from '../../model/errors.js';
import { change, type MethodContext } from '../methods.js';
import { cause, str, type Spec } from './config-change.js';

const userName = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.@-]{0,63}$' };
const role = { type: 'string', enum: ['Administrator', 'Monitor'] };
const password = { type: 'string', minLength: 1, maxLength: 1024 };

function userEvent(ctx: MethodContext, rule: string, message: string): void {
  ctx.engine.record({ subject: 'cluster', cause: `operator ${ctx.principal.name}`, rule, message });
}

function admins(users: UserEntry[]): number {
  return users.filter((u) => u.role === 'Administrator').length;
}

export const usersList: Spec = {
  readOnly: false, // Administrator only, although it changes nothing.
  params: {},
  handler: async ({ engine }) => ({ changed: false, result: (await readUsers(engine.paths.usersJson)).map((u) => ({ name: u.name, role: u.role })) }),
};

export const usersAdd: Spec = {
  readOnly: false,
  params: { name: userName, role, password, dryRun: change.dryRun, force: change.force },
  required: ['name', 'password'],
  handler: async (ctx, p) => {
    const path = ctx.engine.paths.usersJson;
    const users = await readUsers(path);
    const userRole = ((p.role as Role | undefined) ?? 'Administrator') as Role;
    const existing = users.find((u) => u.name === p.name);
    const result = { name: str(p, 'name'), role: userRole };
    if (existing) {
      const samePassword = await verifyPassword(str(p, 'password'), existing.hash);
      if (existing.role === userRole && samePassword) return { changed: false, result: { ...result, ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}) } };
      if (p.force !== true) {
        const what = [existing.role !== userRole ? `role ${existing.role}` : '', !samePassword ? 'another password' : ''].filter(Boolean).join(' and ');
        throw new MccsError('CONFLICT', `user '${existing.name}' already exists with ${what}`, [`change the password: mccs users password ${existing.name}`, 'or --force to replace the user']);
      }
      if (existing.role === 'Administrator' && userRole !== 'Administrator' && admins(users) === 1) {
        throw new MccsError('CONFLICT', `user '${existing.name}' is the last Administrator: it cannot become ${userRole}`, ['add another Administrator first']);
      }
    }
    if (p.dryRun === true) return { changed: false, result: { ...result, dryRun: true, wouldChange: true } };
    const hash = await hashPassword(str(p, 'password'));
    await ctx.engine.store.putDocument({ name: 'users.json', text: usersText(withUser(users, { name: str(p, 'name'), role: userRole, hash })) }, cause(ctx, 'users'));
    userEvent(ctx, existing ? 'USER_REPLACED' : 'USER_ADDED', `user ${result.name} ${existing ? 'replaced' : 'added'} with role ${userRole}`);
    return { changed: true, result };
  },
};

export const usersDelete: Spec = {
  readOnly: false,
  params: { name: userName, dryRun: change.dryRun },
  required: ['name'],
  handler: async (ctx, p) => {
    const path = ctx.engine.paths.usersJson;
    const users = await readUsers(path);
    const existing = users.find((u) => u.name === p.name);
    if (!existing) return { changed: false, result: { name: str(p, 'name'), absent: true, ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}) } };
    if (existing.role === 'Administrator' && admins(users) === 1) throw new MccsError('CONFLICT', `user '${existing.name}' is the last Administrator and cannot be deleted`, ['add another Administrator first']);
    if (p.dryRun === true) return { changed: false, result: { name: existing.name, dryRun: true, wouldChange: true } };
    await ctx.engine.store.putDocument({ name: 'users.json', text: usersText(users.filter((u) => u !== existing)) }, cause(ctx, 'users'));
    userEvent(ctx, 'USER_DELETED', `user ${existing.name} deleted`);
    return { changed: true, result: { name: existing.name } };
  },
};

export const usersPassword: Spec = {
  readOnly: false,
  params: { name: userName, password, dryRun: change.dryRun },
  required: ['name', 'password'],
  handler: async (ctx, p) => {
    const path = ctx.engine.paths.usersJson;
    const users = await readUsers(path);
    const existing = users.find((u) => u.name === p.name);
    if (!existing) throw new MccsError('NOT_FOUND', `no user '${str(p, 'name')}'`, ['list users: mccs users list', 'add one: mccs users add NAME']);
    if (await verifyPassword(str(p, 'password'), existing.hash)) return { changed: false, result: { name: existing.name, ...(p.dryRun === true ? { dryRun: true, wouldChange: false } : {}) } };
    if (p.dryRun === true) return { changed: false, result: { name: existing.name, dryRun: true, wouldChange: true } };
    const hash = await hashPassword(str(p, 'password'));
    await ctx.engine.store.putDocument({ name: 'users.json', text: usersText(withUser(users, { ...existing, hash })) }, cause(ctx, 'users'));
    userEvent(ctx, 'USER_PASSWORD', `password of user ${existing.name} changed`);
    return { changed: true, result: { name: existing.name } };
  },
};
