// node.support (mcnode -support): a tar.gz of one node's logs, running
// configuration (secrets removed), status and host facts; --all adds the
// archives the other nodes' engines build.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecRunner } from '../../engine/exec-runner.js';
import { clusterStatus } from '../../engine/views.js';
import { MccsError } from '../../model/errors.js';
import { name } from '../methods.js';
import type { Spec } from './config-change.js';

/** Attribute names whose values never leave the node in a support bundle. */
const SECRET_NAME = /pass(word|wd|phrase)?$|secret|token|credential|private.?key/i;

function sanitize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) && typeof v === 'string' && v !== '' ? '<removed>' : sanitize(v)]));
  }
  return value;
}

function utcStamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

const FACTS: [string, string[]][] = [
  ['uname', ['-a']],
  ['ip', ['-j', 'addr']],
  ['uptime', []],
  ['df', ['-h']],
  ['free', ['-m']],
];

export const nodeSupport: Spec = {
  // Not a change, but the logs say much about the node: Administrator only.
  readOnly: false,
  params: { node: name, all: { type: 'boolean' } },
  handler: async (ctx, p) => {
    const { engine } = ctx;
    const node = typeof p.node === 'string' ? engine.checkNode(p.node) : engine.localNode;
    if (node !== engine.localNode) {
      throw new MccsError('CONFLICT', `the support archive of ${node} is built by the engine of ${node}; this is ${engine.localNode}`, [`run it on ${node}, or target its engine: mcnode -support -ip ADDRESS_OF_${node}`]);
    }
    const fileName = `mccs-support-${node}-${utcStamp()}.tar.gz`;
    const top = fileName.replace(/\.tar\.gz$/, '');
    const tmp = await mkdtemp(join(tmpdir(), 'mccs-support-'));
    try {
      const dir = join(tmp, top);
      await mkdir(join(dir, 'log'), { recursive: true });
      await mkdir(join(dir, 'config'), { recursive: true });
      // log/: the engine log and the event log, with their rotated copies. Nothing from config/ but main.json.
      const logs = await readdir(engine.paths.logDir, { withFileTypes: true }).catch(() => []);
      for (const f of logs) if (f.isFile()) await copyFile(join(engine.paths.logDir, f.name), join(dir, 'log', f.name)).catch(() => undefined);
      await writeFile(join(dir, 'config/main.json'), `${JSON.stringify(sanitize(engine.config), null, 2)}\n`);
      await writeFile(join(dir, 'states.json'), `${JSON.stringify(clusterStatus(engine), null, 2)}\n`);
      const facts: string[] = [`mccs support archive of node ${node}`, `time: ${new Date().toISOString()}`, `ConfigVersion: ${engine.config.ConfigVersion}`, `engine: node ${process.version}, pid ${process.pid}`, ''];
      for (const [cmd, args] of FACTS) {
        facts.push(`$ ${[cmd, ...args].join(' ')}`);
        try {
          const r = await engine.runner.run(cmd, args, { timeoutMs: 10_000 });
          facts.push(r.stdout, ...(r.stderr ? [r.stderr] : []), ...(r.exitCode !== 0 ? [`(exit ${r.exitCode})`] : []));
        } catch (e) {
          facts.push(`(not run: ${(e as Error).message})`);
        }
        facts.push('');
      }
      await writeFile(join(dir, 'facts.txt'), facts.join('\n'));
      const readme = [
        `Support archive of mccs node ${node}, made ${new Date().toISOString()}.`,
        'log/          engine log and event log (events.jsonl), with rotated copies',
        'config/main.json  the running configuration (values of attributes named like passwords, secrets or tokens removed)',
        'states.json   the cluster status as this node sees it',
        'facts.txt     uname, addresses, uptime, disks, memory',
        'Never included: cluster.key, users.json, TLS keys.',
      ];
      if (p.all === true) {
        // --all: each other node's own archive, built by its engine, inside this one.
        readme.push('', 'nodes/        the archives of the other nodes (--all), as their engines built them');
        for (const other of engine.config.Nodes.map((n) => n.NodeName).filter((n) => n !== node)) {
          try {
            if (!engine.cluster.forward) throw new Error('this node is not in a running cluster');
            const env = (await engine.cluster.forward('node.support', { node: other }, { name: ctx.principal.name, role: ctx.principal.role })) as { ok: boolean; result?: { fileName: string; contentBase64: string }; error?: { message: string } };
            if (!env.ok || !env.result) throw new Error(env.error?.message ?? 'no archive');
            await mkdir(join(dir, 'nodes'), { recursive: true });
            await writeFile(join(dir, 'nodes', env.result.fileName), Buffer.from(env.result.contentBase64, 'base64'));
          } catch (e) {
            readme.push(`${other}: not included (${(e as Error).message}); run the command on ${other}`);
          }
        }
      }
      await writeFile(join(dir, 'README.txt'), `${readme.join('\n')}\n`);
      const out = join(tmp, fileName);
      const tar = new ExecRunner((m) => engine.log.debug(m));
      const r = await tar.run('tar', ['-czf', out, '-C', tmp, top], { timeoutMs: 120_000 });
      if (r.exitCode !== 0) throw new MccsError('FAILED', `tar failed (exit ${r.exitCode}): ${r.stderr}`);
      const content = await readFile(out);
      engine.record({ subject: `node:${node}`, cause: `operator ${ctx.principal.name}`, rule: 'SUPPORT_ARCHIVE', message: `support archive ${fileName} built (${content.length} bytes)` });
      return { changed: false, result: { fileName, contentBase64: content.toString('base64') } };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
};
