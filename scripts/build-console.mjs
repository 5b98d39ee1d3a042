// Bundles the web console (web/console) into dist/console/public: one
// app.js, app.css and index.html, served by `mccs console`. Runs in
// `npm run build`, offline: esbuild and the front-end libraries come from
// node_modules; nothing is fetched at run time.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'web/console');
const out = join(root, 'dist/console/public');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(src, 'main.js')],
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: false,
  legalComments: 'linked',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
});
copyFileSync(join(src, 'index.html'), join(out, 'index.html'));
copyFileSync(join(src, 'app.css'), join(out, 'app.css'));
