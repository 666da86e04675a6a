/**
 * The main entry in a browser bundle: nothing of Node reaches it (no built-in module, no
 * `ws`), and its size stays small. The sizes are printed; only a generous ceiling is
 * asserted, so that a regression dragging in a polyfill fails.
 */
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { CHECK_DIR, ROOT, bundle, writeText } from '../samples.js';

/** A gzipped bundle over this fails the test (today's size is a third of it). */
const GZIP_CEILING_BYTES = 60 * 1024;

const OUT = path.join(CHECK_DIR, 'bundle');

/** Every name of a Node built-in module, with and without `node:`. */
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** What a bundle pulled in: its input files, and the imports it left to the platform. */
function contents(metafile: Metafile): { inputs: string[]; externals: string[] } {
  const inputs = Object.keys(metafile.inputs);
  const externals = Object.values(metafile.inputs).flatMap((input) =>
    input.imports.filter((entry) => entry.external === true).map((entry) => entry.path),
  );
  return { inputs, externals };
}

async function measure(entry: string, name: string): Promise<{ metafile: Metafile; minified: number; gzipped: number }> {
  const outfile = path.join(OUT, `${name}.js`);
  const metafile = await bundle({ entry, outfile, platform: 'browser', minify: true });
  const code = await readFile(outfile);
  return { metafile, minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

describe('the browser bundle of the main entry', () => {
  it('contains no Node built-in module and no ws code, and stays under the size ceiling', async () => {
    const { metafile, minified, gzipped } = await measure(path.join(ROOT, 'src/index.ts'), 'index');
    const { inputs, externals } = contents(metafile);
    const forbidden = ['crypto', 'buffer', 'events', 'stream', 'http', 'https', 'net', 'tls', 'zlib', 'fs', 'os', 'path', 'util'];
    for (const name of forbidden) {
      expect(externals, `the bundle imports ${name}`).not.toContain(name);
      expect(externals).not.toContain(`node:${name}`);
    }
    expect(externals.filter((name) => NODE_BUILTINS.has(name) || name.startsWith('node:'))).toEqual([]);
    expect(externals).toEqual([]);
    expect(inputs.filter((input) => /node_modules\/ws\//.test(input))).toEqual([]);
    expect(inputs.filter((input) => input.startsWith('src/testing/') || input.startsWith('src/cli/'))).toEqual([]);
    // isomorphic-ws resolves to its browser file: the platform's own WebSocket.
    expect(inputs).toContain('node_modules/isomorphic-ws/browser.js');
    console.log(`browser bundle of src/index.ts (everything): ${kb(minified)} minified, ${kb(gzipped)} minified+gzipped`);
    expect(gzipped).toBeLessThan(GZIP_CEILING_BYTES);
  });

  it('of an app importing only RocketChatClient stays under the size ceiling too', async () => {
    const entry = path.join(OUT, 'client-only.ts');
    await writeText(entry, "export { RocketChatClient } from 'rocketchat-ddp';\n");
    const { metafile, minified, gzipped } = await measure(entry, 'client-only');
    expect(contents(metafile).externals).toEqual([]);
    console.log(`browser bundle of RocketChatClient alone: ${kb(minified)} minified, ${kb(gzipped)} minified+gzipped`);
    expect(gzipped).toBeLessThan(GZIP_CEILING_BYTES);
  });
});
