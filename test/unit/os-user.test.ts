// OS users come from the passwd database through NSS (getent passwd), never
// from parsing /etc/passwd by hand: the owner of a database may live in LDAP.
import { describe, expect, it } from 'vitest';
import { lookupUser, parsePasswdLine } from '../../src/system/os-user.js';

describe('OS users (getent passwd)', () => {
  it('finds root and the owner of a home directory', () => {
    expect(lookupUser('root')).toMatchObject({ name: 'root', uid: 0, gid: 0 });
    expect(lookupUser('root').home).toMatch(/^\//);
  });

  it('names a user that does not exist, and takes no uid or option for a name', () => {
    expect(() => lookupUser('no-such-user-mccs')).toThrow("OS user 'no-such-user-mccs' does not exist on this node");
    expect(() => lookupUser('0')).toThrow(/does not exist/);
    expect(() => lookupUser('--help')).toThrow(/does not exist/);
    expect(() => lookupUser('a:b')).toThrow(/does not exist/);
  });

  it('parses the lines getent prints, and nothing else', () => {
    expect(parsePasswdLine('postgres:x:105:110:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash')).toEqual({ name: 'postgres', uid: 105, gid: 110, home: '/var/lib/postgresql' });
    expect(parsePasswdLine('')).toBeUndefined();
    expect(parsePasswdLine('x:x:notanumber:1::/:/bin/sh')).toBeUndefined();
  });
});
