/**
 * Compiles the benchmarks into `.bench-out/` with esbuild (one ESM file per entry). Imports of
 * the package's public entry points (`src/index.ts`, `src/testing/index.ts`) become imports of
 * `rocketchat-ddp` and `rocketchat-ddp/testing`, so the benchmarks load the built `dist/` as
 * users do; everything else (bench code, internal modules) is bundled. Other packages stay
 * external and load from `node_modules`.
 */
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = process.cwd();
const outdir = join(root, '.bench-out');

const publicEntries: Plugin = {
  name: 'public-entries',
  setup(context) {
    context.onResolve({ filter: /\/src\/(index|testing\/index)\.js$/ }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      const testing = target.endsWith(join('src', 'testing', 'index.js'));
      const built = join(root, 'dist', testing ? 'testing' : '', 'index.js');
      if (!existsSync(built)) return undefined; // not built: bundle the source instead
      return { path: testing ? 'rocketchat-ddp/testing' : 'rocketchat-ddp', external: true };
    });
  },
};

await build({
  entryPoints: {
    run: 'bench/run.ts',
    profile: 'bench/profile.ts',
    heap: 'bench/heap.ts',
    'fast-server': 'bench/servers/fast-server.ts',
    'fake-server': 'bench/servers/fake-server.ts',
    'memory-worker': 'bench/workers/memory.ts',
    'many-worker': 'bench/workers/many.ts',
    'soak-worker': 'bench/workers/soak.ts',
  },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [publicEntries],
});
