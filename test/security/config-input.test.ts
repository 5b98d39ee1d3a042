// Issue 15 items 7 and 9: configuration input. main.json, users.json and
// cluster.key that are symlinks to files outside MCCS_HOME are refused (a
// link inside MCCS_HOME is followed); a file that is not valid JSON is
// reported by position only, never quoted; a key given twice is an error
// naming its JSON path; every string and array attribute has a length limit
// declared in the attribute table and enforced by the schema.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readUsers } from '../../src/auth/users.js';
import { writeUser } from '../../src/init/setup.js';
import { homePaths } from '../../src/model/home.js';
import { generateSecret, loadSecret } from '../../src/cluster/crypto.js';
import { agents } from '../../src/engine/agents/catalog.js';
import { limitValue } from '../../src/limits/constants.js';
import { clusterAttributes, groupAttributes, lengthLimits, nodeAttributes, resourceAttributes, typeAttributes } from '../../src/model/attributes.js';
import { loadConfigFile, parseConfig, validateConfig } from '../../src/model/config.js';
import { MccsError } from '../../src/model/errors.js';
import { scanJson } from '../../src/model/json-text.js';
import { mainSchema, resourceSchema } from '../../src/model/schema.js';
import { DAEMON, makeHome } from '../helpers/engine-harness.js';

const SECRET_TEXT = 'root:$6$TOPSECRETHASH$abcdefghijklmnop:19000:0:99999:7:::';

function example(): any {
  return {
    ConfigVersion: 1,
    Cluster: { ClusterName: 'shop' },
    Nodes: [{ NodeName: 'node1', PrimaryHB: '127.0.0.1', StandAlone: true }],
    Groups: [{ GroupName: 'web', NodeList: ['node1'], Resources: [{ ResName: 'app', Type: 'Process', Path: '/usr/bin/sleep', Arguments: ['1000'] }], Dependencies: [] }],
  };
}

function thrown(fn: () => unknown): MccsError {
  try {
    fn();
  } catch (e) {
    return e as MccsError;
  }
  throw new Error('did not throw');
}

const homes: string[] = [];
function home(): string {
  const h = makeHome('mccs-cfg-sec-');
  homes.push(h);
  return h;
}
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

describe('symlinked configuration files', () => {
  it('main.json linked to a file outside MCCS_HOME is refused and never quoted; a link inside MCCS_HOME is followed', async () => {
    const h = home();
    const outside = join(home(), 'shadow');
    writeFileSync(outside, `${SECRET_TEXT}\n`);
    symlinkSync(outside, join(h, 'config/main.json'));
    const e = await loadConfigFile(join(h, 'config/main.json')).catch((x: unknown) => x as MccsError);
    expect(e).toBeInstanceOf(MccsError);
    expect(e.code).toBe('INVALID');
    expect(e.message).toMatch(/is a symbolic link to .*, outside .*: refused/);
    expect(JSON.stringify(e.toJSON())).not.toContain('TOPSECRET');

    const h2 = home();
    mkdirSync(join(h2, 'config/versions'));
    writeFileSync(join(h2, 'config/versions/main-7.json'), JSON.stringify(example()));
    symlinkSync(join(h2, 'config/versions/main-7.json'), join(h2, 'config/main.json'));
    expect((await loadConfigFile(join(h2, 'config/main.json'))).Cluster.ClusterName).toBe('shop');
  });

  it('the daemon refuses to start on such a main.json (exit 3) and prints none of the target', () => {
    const h = home();
    const outside = join(home(), 'shadow');
    writeFileSync(outside, `${SECRET_TEXT}\n`);
    symlinkSync(outside, join(h, 'config/main.json'));
    const r = spawnSync(process.execPath, [DAEMON, '--node', 'node1'], { env: { ...process.env, MCCS_HOME: h }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/symbolic link/);
    expect(r.stderr + r.stdout).not.toContain('TOPSECRET');
  });

  it('the daemon started with --node refuses a main.json linked to /dev/zero at once (exit 3), reading nothing', () => {
    const h = home();
    symlinkSync('/dev/zero', join(h, 'config/main.json'));
    const r = spawnSync(process.execPath, [DAEMON, '--node', 'node1'], { env: { ...process.env, MCCS_HOME: h }, encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/symbolic link to \/dev\/zero, outside .*: refused/);
  });

  it('users.json and cluster.key linked outside MCCS_HOME are refused; FIFOs and devices are not read', async () => {
    const h = home();
    const outsideDir = home();
    await writeUser(homePaths(outsideDir), { name: 'admin', role: 'Administrator', password: 'pw-123456' });
    symlinkSync(join(outsideDir, 'config/users.json'), join(h, 'config/users.json'));
    await expect(readUsers(join(h, 'config/users.json'))).rejects.toThrow(/symbolic link .* outside .*: refused/);

    generateSecret(join(outsideDir, 'config/cluster.key'), { force: true });
    symlinkSync(join(outsideDir, 'config/cluster.key'), join(h, 'config/cluster.key'));
    expect(thrown(() => loadSecret(join(h, 'config/cluster.key'))).message).toMatch(/symbolic link .* outside .*: refused/);

    const h3 = home();
    symlinkSync('/dev/zero', join(h3, 'config/main.json'));
    await expect(loadConfigFile(join(h3, 'config/main.json'))).rejects.toThrow(/refused/);
    const h4 = home();
    spawnSync('mkfifo', [join(h4, 'config/main.json')]);
    await expect(loadConfigFile(join(h4, 'config/main.json'))).rejects.toThrow(/is not a regular file: refused/);
  });

  it('a cluster.key linked to a file inside MCCS_HOME is followed', () => {
    const h = home();
    generateSecret(join(h, 'config/cluster.key.real'), { force: true });
    symlinkSync(join(h, 'config/cluster.key.real'), join(h, 'config/cluster.key'));
    chmodSync(join(h, 'config/cluster.key.real'), 0o600);
    expect(loadSecret(join(h, 'config/cluster.key'))).toHaveLength(32);
  });
});

describe('JSON errors name a position, never the content', () => {
  it('a file that is not JSON at all', () => {
    const e = thrown(() => parseConfig(`${SECRET_TEXT}\nsecond line`, '/opt/mccs/config/main.json'));
    expect(e.message).toBe('/opt/mccs/config/main.json is not valid JSON: syntax error at line 1, column 1 (character 0)');
    expect(JSON.stringify(e.toJSON())).not.toContain('root');
  });

  it('a syntax error deep in a file: its line and column', () => {
    const text = '{\n  "ConfigVersion": 1,\n  "Cluster": { "ClusterName": "shop", }\n}';
    const e = thrown(() => parseConfig(text, 'main.json'));
    expect(e.message).toBe('main.json is not valid JSON: syntax error at line 3, column 39 (character 62)');
  });

  it('users.json that is not JSON', async () => {
    const h = home();
    writeFileSync(join(h, 'config/users.json'), SECRET_TEXT);
    const e = await readUsers(join(h, 'config/users.json')).catch((x: unknown) => x as Error);
    expect(e.message).toMatch(/users\.json is not valid JSON: syntax error at line 1, column 1/);
    expect(e.message).not.toContain('root');
  });
});

describe('duplicate keys', () => {
  it('are refused with the JSON path of each repetition', () => {
    const text = `{
      "ConfigVersion": 1,
      "Cluster": { "ClusterName": "shop", "ClusterName": "other" },
      "Nodes": [{ "NodeName": "node1", "PrimaryHB": "127.0.0.1", "StandAlone": true }],
      "Groups": [{ "GroupName": "web", "NodeList": ["node1"], "Resources": [
        { "ResName": "app", "Type": "Process", "Path": "/usr/bin/sleep", "Path": "/bin/sh", "Arguments": ["1"] }
      ], "Dependencies": [] }],
      "Groups": []
    }`;
    const e = thrown(() => parseConfig(text, 'main.json'));
    expect(e.code).toBe('INVALID');
    expect((e.details as { path: string }[]).map((d) => d.path)).toEqual(['/Cluster/ClusterName', '/Groups/0/Resources/0/Path', '/Groups']);
    expect(e.message).toContain('/Groups/0/Resources/0/Path: key given twice in one object');
  });

  it('the scanner tells keys with escapes apart and finds none in a clean file', () => {
    expect(scanJson('{"a": 1, "\\u0061": 2}').duplicates).toEqual([{ path: '/a' }]);
    expect(scanJson('{"a/b": {"~": 1, "~": 2}}').duplicates).toEqual([{ path: '/a~1b/~0' }]);
    expect(scanJson(JSON.stringify(example())).duplicates).toEqual([]);
    expect(scanJson('['.repeat(100_000)).errorAt).toBeGreaterThan(0);
  });
});

describe('length limits on every string and array attribute', () => {
  it('are declared for each one (own or the documented default) and present in the schema', () => {
    const decls = [...clusterAttributes, ...nodeAttributes, ...groupAttributes, ...resourceAttributes, ...typeAttributes, ...Object.values(agents).flatMap((a) => a.attributes)];
    for (const d of decls.filter((x) => x.kind === 'string' || x.kind === 'string[]')) {
      const l = lengthLimits(d);
      expect(l.maxLength, d.name).toBeGreaterThan(0);
      if (d.kind === 'string[]') expect(l.maxItems, d.name).toBeGreaterThan(0);
    }
    const walk = (s: any, path: string): void => {
      if (!s || typeof s !== 'object') return;
      if (s.type === 'string' && !s.enum) expect(s.maxLength, path).toBeGreaterThan(0);
      if (s.type === 'array') expect(s.maxItems, path).toBeGreaterThan(0);
      for (const [k, v] of Object.entries(s)) if (typeof v === 'object') walk(v, `${path}/${k}`);
    };
    walk(mainSchema(['Process']), '');
    for (const agent of Object.values(agents)) walk(resourceSchema(agent.attributes), agent.type ?? 'agent');
  });

  it('a 1 MB Path and a 50,000-element Arguments are refused with their paths', () => {
    const c = example();
    c.Groups[0].Resources[0].Path = `/${'a'.repeat(1024 * 1024)}`;
    c.Groups[0].Resources[0].Arguments = Array.from({ length: 50_000 }, (_, i) => String(i));
    c.Nodes[0].HostID = 'h'.repeat(limitValue('ATTRIBUTE_STRING_MAX') + 1);
    const r = validateConfig(c);
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
    expect(errors).toContain(`/Groups/0/Resources/0/Path: must NOT have more than ${limitValue('ATTRIBUTE_STRING_MAX')} characters`);
    expect(errors).toContain(`/Groups/0/Resources/0/Arguments: must NOT have more than ${limitValue('ATTRIBUTE_ARRAY_MAX')} items`);
    expect(errors).toContain(`/Nodes/0/HostID: must NOT have more than ${limitValue('ATTRIBUTE_STRING_MAX')} characters`);
    const ok = example();
    ok.Groups[0].Resources[0].Arguments = Array.from({ length: limitValue('ATTRIBUTE_ARRAY_MAX') }, (_, i) => String(i));
    expect(validateConfig(ok).ok).toBe(true);
  });
});
