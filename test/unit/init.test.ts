// `mccs init`, `mccs secret generate` and `mccs service install` as an
// operator (or Ansible) runs them: the built CLI in a child process, the
// wizard through a real pseudo-terminal.
import { loadSecret } from '../../src/cluster/crypto.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password.js';
import { validateConfig } from '../../src/model/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASSWORD = 's3cret-admin-pw';
const work = mkdtempSync(join(tmpdir(), 'mccs-init-test-'));

/** Runs the CLI exactly as bin/mccs.js does (oclif run + handle), without depending on the entry point. */
const RUNNER = "import { run, handle, flush } from '@oclif/core'; run(process.argv.slice(1), import.meta.url).then(() => flush()).catch(handle);";

function mccs(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', RUNNER, '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', MCCS_ADMIN_PASSWORD: '', MCCS_HOME: '', MCCS_NODE: '', ...env },
    input: '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const NODES = ['--cluster-name', 'demo', '--node1', 'node1', '--node2', 'node2', '--node1-primary-hb', '10.213.0.1', '--node2-primary-hb', '10.213.0.2'];
const IP_PROCESS_BASE = ['--template', 'ip-process', ...NODES, '--node1-secondary-hb', '10.213.1.1', '--node2-secondary-hb', '10.213.1.2', '--isolation-addresses', '10.213.0.254'];
const IP_PROCESS = [...IP_PROCESS_BASE, '--vip', '10.213.0.100'];

function fresh(name: string): string {
  return join(work, name);
}

/** Newest modification time under a directory (or of a file). */
function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

beforeAll(() => {
  // The CLI runs from dist/: build it when the sources these commands use are newer than the build.
  const built = join(ROOT, 'dist/commands/init.js');
  const sources = ['src/commands/init.ts', 'src/commands/secret', 'src/commands/service', 'src/init', 'src/auth', 'src/model', 'src/engine/agents'].map((p) => join(ROOT, p));
  if (!existsSync(built) || Math.max(...sources.filter(existsSync).map(newest)) > statSync(built).mtimeMs) {
    // Others' files in progress may fail to type-check; tsc still emits.
    spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  }
  if (!existsSync(built)) throw new Error('build failed: dist/commands/init.js missing');
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('mccs init, fully by flags (Ansible)', () => {
  it('writes main.json, the cluster secret, a certificate, the admin user and the home tree', async () => {
    const home = fresh('flags');
    const r = mccs(['init', '--home', home, ...IP_PROCESS, '--node', 'node1', '--set', 'PROCESS_ARGS=-m http.server 8081', '--json'], { MCCS_ADMIN_PASSWORD: PASSWORD });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const envelope = JSON.parse(r.stdout);
    expect(envelope).toMatchObject({ ok: true, changed: true, result: { home, template: 'ip-process', node: 'node1' } });
    expect(envelope.result.files).toEqual(expect.arrayContaining([join(home, 'config/main.json'), join(home, 'config/cluster.key'), join(home, 'config/users.json'), join(home, 'config/tls/node.crt'), join(home, 'config/tls/node.key')]));

    const config = JSON.parse(readFileSync(join(home, 'config/main.json'), 'utf8'));
    expect(validateConfig(config)).toMatchObject({ ok: true });
    expect(config.Nodes[0]).toEqual({ NodeName: 'node1', PrimaryHB: '10.213.0.1', SecondaryHB: '10.213.1.1', IsolationTestAddresses: '10.213.0.254' });
    expect(config.Groups[0].Resources[2]).toMatchObject({ Type: 'Process', Path: '/usr/bin/python3', Arguments: ['-m', 'http.server', '8081'] });

    const key = statSync(join(home, 'config/cluster.key'));
    expect(loadSecret(join(home, 'config/cluster.key'))).toHaveLength(32);
    expect(key.mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'config/tls/node.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'config/users.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'run')).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'log')).isDirectory()).toBe(true);

    const fingerprint = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', join(home, 'config/tls/node.crt')], { encoding: 'utf8' });
    expect(fingerprint.trim()).toBe(`sha256 Fingerprint=${envelope.result.fingerprint}`);
    const subject = execFileSync('openssl', ['x509', '-noout', '-subject', '-ext', 'subjectAltName', '-in', join(home, 'config/tls/node.crt')], { encoding: 'utf8' });
    expect(subject).toMatch(/CN ?= ?node1/);
    expect(subject).toContain('IP Address:10.213.0.1');

    const users = JSON.parse(readFileSync(join(home, 'config/users.json'), 'utf8'));
    expect(users.users).toHaveLength(1);
    expect(users.users[0]).toMatchObject({ name: 'admin', role: 'Administrator' });
    expect(await verifyPassword(PASSWORD, users.users[0].hash)).toBe(true);
    expect(await verifyPassword('wrong', users.users[0].hash)).toBe(false);
  });

  it('fails with exit 2 listing every missing flag at once, and writes nothing', () => {
    const home = fresh('missing');
    const r = mccs(['init', '--home', home, '--template', 'postgresql-drbd', '--node1', 'db1']);
    expect(r.code).toBe(2);
    for (const flag of ['--admin-password-file', '--cluster-name', '--node2', '--node1-primary-hb', '--node2-primary-hb', '--vip', '--mount-point', '--set DATA_DIR=']) expect(r.stderr).toContain(flag);
    expect(r.stderr).not.toContain('--node1 ');
    expect(existsSync(home)).toBe(false);

    const noTemplate = mccs(['init', '--home', home, '--json']);
    expect(noTemplate.code).toBe(2);
    expect(JSON.parse(noTemplate.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE', details: { missing: ['--template NAME', expect.stringContaining('--admin-password-file')] } } });
  });

  it('refuses a bad value with exit 3 naming it', () => {
    const home = fresh('bad');
    const r = mccs(['init', '--home', home, ...IP_PROCESS, '--prefix', '33', '--set', 'process-path=bin/python3'], { MCCS_ADMIN_PASSWORD: PASSWORD });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('PREFIX');
    expect(r.stderr).toContain('PROCESS_PATH');
    expect(existsSync(home)).toBe(false);
    const short = mccs(['init', '--home', home, ...IP_PROCESS], { MCCS_ADMIN_PASSWORD: 'short' });
    expect(short.code).toBe(3);
    expect(short.stderr).toContain('at least 8 characters');
    const template = mccs(['init', '--home', home, ...IP_PROCESS.slice(2), '--template', 'no-such'], { MCCS_ADMIN_PASSWORD: PASSWORD });
    expect(template.code).toBe(3);
    expect(template.stderr).toContain("no template 'no-such'");
  });

  it('refuses to overwrite an existing main.json without --force (exit 5), and keeps the cluster secret with it', () => {
    const home = fresh('twice');
    expect(mccs(['init', '--home', home, ...IP_PROCESS], { MCCS_ADMIN_PASSWORD: PASSWORD }).code).toBe(0);
    const key = readFileSync(join(home, 'config/cluster.key'));
    const before = readFileSync(join(home, 'config/main.json'), 'utf8');
    const again = mccs(['init', '--home', home, ...IP_PROCESS_BASE, '--vip', '10.213.0.101', '--json'], { MCCS_ADMIN_PASSWORD: PASSWORD });
    expect(again.code).toBe(5);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(readFileSync(join(home, 'config/main.json'), 'utf8')).toBe(before);
    const forced = mccs(['init', '--home', home, ...IP_PROCESS_BASE, '--vip', '10.213.0.101', '--force'], { MCCS_ADMIN_PASSWORD: PASSWORD });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(home, 'config/main.json'), 'utf8')).toContain('10.213.0.101');
    expect(readFileSync(join(home, 'config/cluster.key')).equals(key)).toBe(true);
  });

  it('sets up the second node with the first node\'s secret, from a password file', () => {
    const first = fresh('pair-1');
    const second = fresh('pair-2');
    expect(mccs(['init', '--home', first, ...IP_PROCESS, '--node', 'node1'], { MCCS_ADMIN_PASSWORD: PASSWORD }).code).toBe(0);
    const pwFile = join(work, 'admin.pw');
    writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
    const r = mccs(['init', '--home', second, ...IP_PROCESS, '--node', 'node2', '--cluster-key-file', join(first, 'config/cluster.key'), '--admin-password-file', pwFile, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).result.node).toBe('node2');
    expect(readFileSync(join(second, 'config/cluster.key')).equals(readFileSync(join(first, 'config/cluster.key')))).toBe(true);
    expect(readFileSync(join(second, 'config/main.json'), 'utf8')).toBe(readFileSync(join(first, 'config/main.json'), 'utf8'));
    expect(execFileSync('openssl', ['x509', '-noout', '-subject', '-in', join(second, 'config/tls/node.crt')], { encoding: 'utf8' })).toMatch(/CN ?= ?node2/);
  });

  it('--dry-run prints the configuration and writes nothing', () => {
    const home = fresh('dry');
    const r = mccs(['init', '--home', home, ...IP_PROCESS, '--dry-run', '--json'], { MCCS_ADMIN_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    const envelope = JSON.parse(r.stdout);
    expect(envelope).toMatchObject({ ok: true, changed: false, result: { files: [] } });
    expect(envelope.result.config.Groups[0].GroupName).toBe('web');
    expect(existsSync(home)).toBe(false);
  });

  it('renders every shipped template to a configuration the engine accepts', () => {
    const answers: Record<string, string[]> = {
      'postgresql-shared-disk': ['--device', '/dev/sdb1', '--mount-point', '/pgdata', '--set', 'DATA_DIR=/pgdata/15/main'],
      'postgresql-drbd': ['--mount-point', '/pgdata', '--set', 'DATA_DIR=/pgdata/15/main'],
      'postgresql-replication': ['--set', 'DATA_DIR=/var/lib/postgresql/15/main', '--set', 'SYNC_MODE=strict'],
      'oracle-shared-disk': ['--device', '/dev/sdb1', '--mount-point', '/u02', '--set', 'ORACLE_SID=ORCL'],
      tomcat: [],
      nginx: [],
      'ip-process': [],
    };
    for (const [template, extra] of Object.entries(answers)) {
      const r = mccs(['init', '--home', fresh(`t-${template}`), '--template', template, ...NODES, '--vip', '10.213.0.100', ...extra, '--dry-run', '--json'], { MCCS_ADMIN_PASSWORD: PASSWORD });
      expect(r.stderr, template).toBe('');
      expect(validateConfig(JSON.parse(r.stdout).result.config), template).toMatchObject({ ok: true });
    }
  });

  it('lists the templates and their questions', () => {
    const r = mccs(['init', '--list-templates', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout).result as { name: string; questions: { name: string; flag: string }[] }[];
    expect(list.map((t) => t.name)).toContain('postgresql-drbd');
    expect(list.find((t) => t.name === 'postgresql-drbd')!.questions).toContainEqual(expect.objectContaining({ name: 'DATA_DIR', flag: '--set DATA_DIR=…' }));
  });
});

/**
 * A small expect(1) in Python: runs the command on a real pseudo-terminal,
 * waits for each prompt (ANSI stripped), types the answer, then collects the
 * rest of the output and exits with the command's status.
 */
const PTY_DRIVER = String.raw`
import json, os, pty, re, select, struct, sys, time, fcntl, termios
steps = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(sys.argv[2], sys.argv[2:], os.environ)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 160, 0, 0))
raw = b''
ansi = re.compile(rb'\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]')
def pump(timeout):
    global raw
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return True
    try:
        data = os.read(fd, 65536)
    except OSError:
        return False
    if not data:
        return False
    raw += data
    return True
pos = 0
for expect, send in steps:
    deadline = time.time() + 30
    while True:
        text = ansi.sub(b'', raw).decode('utf8', 'replace')
        m = re.compile(expect).search(text, pos)
        if m:
            pos = m.end()
            break
        if time.time() > deadline or not pump(0.2):
            sys.stdout.write(text)
            sys.stdout.write('\n[pty driver] timed out waiting for: ' + expect + '\n')
            os.kill(pid, 9)
            sys.exit(99)
    time.sleep(0.15)
    os.write(fd, send.encode())
while pump(30):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(ansi.sub(b'', raw).decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;

function wizard(args: string[], steps: [string, string][]): { code: number; output: string } {
  const driver = join(work, 'pty-driver.py');
  writeFileSync(driver, PTY_DRIVER);
  const r = spawnSync('python3', [driver, JSON.stringify(steps), process.execPath, '--no-warnings', '--input-type=module', '-e', RUNNER, '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', TERM: 'xterm', MCCS_ADMIN_PASSWORD: '', MCCS_HOME: '', MCCS_NODE: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, output: r.stdout + r.stderr };
}

const ENTER = '\r';
const ERASE = '\x7f'.repeat(40);

describe('mccs init, the wizard on a terminal', () => {
  it('asks what the chosen template needs, re-asks a bad answer, and writes main.json', () => {
    const home = fresh('wizard');
    const { code, output } = wizard(
      ['init', '--home', home, '--node', 'beta'],
      [
        ['Template', ENTER], // the first template: ip-process
        ['Cluster name', `lab${ENTER}`],
        ['Name of the first node', `${ERASE}alpha${ENTER}`],
        ['Name of the second node', `alpha${ENTER}`],
        ['already the answer to NODE1', `${ERASE}beta${ENTER}`],
        ['Primary heartbeat address of the first node', `${ERASE}10.213.0.300${ENTER}`],
        ['is not an IPv4 or IPv6 address', `${ERASE}10.213.0.1${ENTER}`],
        ['Primary heartbeat address of the second node', `10.213.0.2${ENTER}`],
        ['Secondary heartbeat address of the first node', `10.213.1.1${ENTER}`],
        ['Secondary heartbeat address of the second node', `10.213.1.2${ENTER}`],
        ['Addresses each node pings', `10.213.0.254${ENTER}`],
        ['Group name', ENTER],
        ['Network interface', `${ERASE}veth0${ENTER}`],
        ['Virtual IP address', `10.213.0.100${ENTER}`],
        ['Prefix length', ENTER],
        ['Executable to run', ENTER],
        ['Its arguments', `${ERASE}-m http.server 9090${ENTER}`],
        ['Password of the admin user', `${PASSWORD}${ENTER}`],
        ['Password again', `${PASSWORD}${ENTER}`],
        ['Write the configuration', ENTER],
      ],
    );
    expect(code, output).toBe(0);
    expect(output).toContain('Next steps');
    expect(output).not.toContain(PASSWORD);
    const config = JSON.parse(readFileSync(join(home, 'config/main.json'), 'utf8'));
    expect(validateConfig(config)).toMatchObject({ ok: true });
    expect(config.Cluster.ClusterName).toBe('lab');
    expect(config.Nodes.map((n: { NodeName: string }) => n.NodeName)).toEqual(['alpha', 'beta']);
    expect(config.Nodes[0].PrimaryHB).toBe('10.213.0.1');
    const [nic, ip, app] = config.Groups[0].Resources;
    expect(nic).toMatchObject({ ResName: 'web-nic', Device: 'veth0' });
    expect(ip).toMatchObject({ Address: '10.213.0.100', Prefix: 24 });
    expect(app.Arguments).toEqual(['-m', 'http.server', '9090']);
    expect(execFileSync('openssl', ['x509', '-noout', '-subject', '-in', join(home, 'config/tls/node.crt')], { encoding: 'utf8' })).toMatch(/CN ?= ?beta/);
    const users = JSON.parse(readFileSync(join(home, 'config/users.json'), 'utf8'));
    return verifyPassword(PASSWORD, users.users[0].hash).then((ok) => expect(ok).toBe(true));
  });

  it('asks only the questions the flags left open', () => {
    const home = fresh('wizard-partial');
    const { code, output } = wizard(
      ['init', '--home', home, '--template', 'nginx', ...NODES, '--vip', '10.213.0.100', '--node', 'node1'],
      [
        ['Secondary heartbeat address of the first node', ENTER],
        ['Secondary heartbeat address of the second node', ENTER],
        ['Addresses each node pings', ENTER],
        ['Group name', ENTER],
        ['Network interface', ENTER],
        ['Prefix length', ENTER],
        ['Path of the nginx executable', ENTER],
        ['nginx configuration file', ENTER],
        ['Password of the admin user', `${PASSWORD}${ENTER}`],
        ['Password again', `${PASSWORD}${ENTER}`],
        ['Write the configuration', ENTER],
      ],
    );
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/Cluster name|Virtual IP address/);
    const config = JSON.parse(readFileSync(join(home, 'config/main.json'), 'utf8'));
    expect(config.Nodes[0]).not.toHaveProperty('SecondaryHB');
    expect(config.Groups[0].Resources[2]).toMatchObject({ Type: 'Process', Path: '/usr/sbin/nginx', Arguments: ['-c', '/etc/nginx/nginx.conf', '-g', 'daemon off;'] });
  });
});

describe('mccs secret generate', () => {
  it('creates a 32-byte secret with mode 0600 and refuses to replace it without --force', () => {
    const home = fresh('secret');
    const first = mccs(['secret', 'generate', '--home', home, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, changed: true, result: { action: 'created' } });
    const path = join(home, 'config/cluster.key');
    const key = readFileSync(path);
    expect(loadSecret(path)).toHaveLength(32);
    expect(key.toString('utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = mccs(['secret', 'generate'], { MCCS_HOME: home });
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('already exists');
    expect(readFileSync(path).equals(key)).toBe(true);
    expect(mccs(['secret', 'generate', '--home', home, '--force']).code).toBe(0);
    expect(readFileSync(path).equals(key)).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe('mccs service install', () => {
  it('installs the unit, is idempotent, and refuses to replace a changed one without --force', () => {
    const dest = fresh('units');
    const first = mccs(['service', 'install', '--dest', dest, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, changed: true, result: { next: 'systemctl daemon-reload && systemctl enable --now mccs mccs-console' } });
    // The web console: a unit of its own, running `mccs console`.
    const consoleUnit = readFileSync(join(dest, 'mccs-console.service'), 'utf8');
    for (const line of ['ExecStart=/usr/bin/env mccs console', 'Restart=on-failure', 'Environment=MCCS_HOME=/opt/mccs']) expect(consoleUnit).toContain(line);
    const unit = readFileSync(join(dest, 'mccs.service'), 'utf8');
    for (const line of ['ExecStart=/usr/bin/env mccs daemon', 'Restart=on-failure', 'KillMode=process', 'OOMScoreAdjust=-900', 'Environment=MCCS_HOME=/opt/mccs', 'TimeoutStopSec=']) expect(unit).toContain(line);
    expect(JSON.parse(mccs(['service', 'install', '--dest', dest, '--json']).stdout)).toMatchObject({ ok: true, changed: false });
    writeFileSync(join(dest, 'mccs.service'), `${unit}# local edit\n`);
    expect(mccs(['service', 'install', '--dest', dest]).code).toBe(5);
    expect(mccs(['service', 'install', '--dest', dest, '--force']).code).toBe(0);
    expect(readFileSync(join(dest, 'mccs.service'), 'utf8')).toBe(unit);
  });

  it('ships a unit systemd accepts', (ctx) => {
    for (const unit of ['mccs.service', 'mccs-console.service']) {
      const verify = spawnSync('systemd-analyze', ['verify', join(ROOT, 'systemd', unit)], { encoding: 'utf8' });
      if (verify.error) ctx.skip('systemd-analyze is not installed');
      // Only the unit's own syntax matters here; the mccs binary need not be installed.
      expect(verify.stderr.split('\n').filter((l) => /mccs(-console)?\.service:\d+/.test(l))).toEqual([]);
    }
  });
});
