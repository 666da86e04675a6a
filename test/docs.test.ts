/**
 * The documentation cannot rot: every code sample of `README.md` and `docs/*.md` is
 * type-checked against the package's sources, and the runnable ones are run against the
 * fake server. A sample is a fenced block; its info string says what is done with it:
 *
 * - ` ```ts ` — type-checked (strict, with DOM and Node types);
 * - ` ```ts run ` — type-checked, then run with Node; it must exit 0 within 15 s. `RC_URL`,
 *   `RC_USER` and `RC_PASSWORD` point at a fresh fake server where that user exists (and
 *   a user `alice`);
 * - ` ```ts run bot ` — a bot that answers `!ping` in the room GENERAL: run as above, sent
 *   `!ping` by alice until it answers, then stopped;
 * - ` ```ts vitest ` — a test file: type-checked, then run by vitest;
 * - ` ```json ` — must parse (one JSON value, or one per line);
 * - ` ```sh `, ` ```text ` — commands and diagrams, not checked here.
 *
 * Also: relative links point at files that exist, the README links every document, and
 * `docs/errors.md` covers every error class and server code the package exports.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { FakeRocketChatServer } from '../src/testing/index.js';
import { leftovers } from './helpers.js';
import { CHECK_DIR, PACKAGE_SOURCES, ROOT, bundle, exitOf, runNode, typeCheck, writeText, type Diagnostic } from './samples.js';

afterEach(() => leftovers.disposeAll());

/** Documents linked but maintained elsewhere; a link to one is fine before it exists. */
const WRITTEN_SEPARATELY = new Set(['docs/performance.md']);
const KNOWN_LANGUAGES = new Set(['ts', 'json', 'sh', 'text']);
const SAMPLES_DIR = path.join(CHECK_DIR, 'docs');
const VITEST_DIR = path.join(CHECK_DIR, 'docs-vitest');

interface Sample {
  /** The document, relative to the repository. */
  readonly doc: string;
  /** The line of the opening fence (1-based). */
  readonly line: number;
  readonly lang: string;
  readonly flags: ReadonlySet<string>;
  readonly code: string;
  /** Where the sample is written for checking. */
  file: string;
}

interface Doc {
  readonly name: string;
  readonly text: string;
}

async function readDocs(): Promise<Doc[]> {
  const names = (await readdir(path.join(ROOT, 'docs'))).filter((name) => name.endsWith('.md')).sort();
  const docs = [{ name: 'README.md', text: await readFile(path.join(ROOT, 'README.md'), 'utf8') }];
  for (const name of names) docs.push({ name: `docs/${name}`, text: await readFile(path.join(ROOT, 'docs', name), 'utf8') });
  return docs;
}

/** The fenced blocks of a Markdown text (fences may be indented, as in lists). */
function extractSamples(doc: Doc): Sample[] {
  const samples: Sample[] = [];
  const lines = doc.text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)```(\S*)\s*(.*)$/.exec(lines[index]!);
    if (open === null) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let close = index + 1;
    while (close < lines.length && !/^\s*```\s*$/.test(lines[close]!)) {
      body.push(lines[close]!.slice(Math.min(indent, /^\s*/.exec(lines[close]!)![0].length)));
      close++;
    }
    if (close === lines.length) throw new Error(`${doc.name}:${index + 1}: unclosed code fence`);
    samples.push({
      doc: doc.name,
      line: index + 1,
      lang: open[2]!,
      flags: new Set(open[3]!.split(/\s+/).filter(Boolean)),
      code: body.join('\n'),
      file: '',
    });
    index = close;
  }
  return samples;
}

function label(sample: Sample): string {
  return `${sample.doc}:${sample.line}`;
}

function slug(sample: Sample): string {
  return `${sample.doc.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-')}-L${sample.line}`;
}

let docs: Doc[] = [];
let samples: Sample[] = [];
let diagnostics: Diagnostic[] = [];

beforeAll(async () => {
  docs = await readDocs();
  samples = docs.flatMap(extractSamples);
  await rm(SAMPLES_DIR, { recursive: true, force: true });
  await rm(VITEST_DIR, { recursive: true, force: true });
  for (const sample of samples.filter((each) => each.lang === 'ts')) {
    sample.file = sample.flags.has('vitest') ? path.join(VITEST_DIR, `${slug(sample)}.test.ts`) : path.join(SAMPLES_DIR, `${slug(sample)}.ts`);
    // Every sample is a module (top-level await, no globals shared between samples); its
    // line numbers are the document's, shifted by the fence.
    await writeText(sample.file, `${sample.code}\nexport {};\n`);
  }
  diagnostics = typeCheck(samples.filter((sample) => sample.lang === 'ts').map((sample) => sample.file));
}, 60_000);

describe('the documentation', () => {
  it('has the documents the README links to, and every sample in a known language', () => {
    const names = docs.map((doc) => doc.name);
    for (const name of ['getting-started', 'bots', 'ui', 'testing', 'protocol', 'errors', 'architecture']) {
      expect(names).toContain(`docs/${name}.md`);
    }
    const unknown = samples.filter((sample) => !KNOWN_LANGUAGES.has(sample.lang)).map((sample) => `${label(sample)} ${sample.lang || '(none)'}`);
    expect(unknown).toEqual([]);
    expect(samples.filter((sample) => sample.lang === 'ts').length).toBeGreaterThanOrEqual(15);
  });

  it('type-checks every TypeScript sample against the package', () => {
    const problems = diagnostics.map((diagnostic) => {
      const sample = samples.find((each) => each.file === diagnostic.file)!;
      return `${sample.doc}:${sample.line + diagnostic.line}: ${diagnostic.message}`;
    });
    expect(problems).toEqual([]);
  });

  it('has only JSON samples that parse', () => {
    const broken: string[] = [];
    for (const sample of samples.filter((each) => each.lang === 'json')) {
      try {
        JSON.parse(sample.code);
      } catch {
        sample.code
          .split('\n')
          .filter((line) => line.trim() !== '')
          .forEach((line, index) => {
            try {
              JSON.parse(line);
            } catch (error) {
              broken.push(`${sample.doc}:${sample.line + index + 1}: ${(error as Error).message}`);
            }
          });
      }
    }
    expect(broken).toEqual([]);
  });

  it('links only to files that exist, and the README links every document', () => {
    const broken: string[] = [];
    for (const doc of docs) {
      for (const match of doc.text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!.split('#')[0]!;
        if (target === '' || /^[a-z]+:/i.test(target)) continue;
        const resolved = path.relative(ROOT, path.resolve(ROOT, path.dirname(doc.name), target));
        if (!existsSync(path.join(ROOT, resolved)) && !WRITTEN_SEPARATELY.has(resolved)) broken.push(`${doc.name}: ${match[1]}`);
      }
    }
    expect(broken).toEqual([]);
    const readme = docs.find((doc) => doc.name === 'README.md')!.text;
    const documentation = readme.slice(readme.indexOf('## Documentation'));
    expect(documentation).not.toBe(readme);
    for (const name of [...docs.map((doc) => doc.name).filter((name) => name !== 'README.md'), ...WRITTEN_SEPARATELY]) {
      expect(documentation, `the README's Documentation section links ${name}`).toContain(`(${name})`);
    }
  });

  it('explains every error class and every server code the package exports', () => {
    const errors = docs.find((doc) => doc.name === 'docs/errors.md')!.text;
    const classes = Object.entries(api)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
      .map(([name]) => name);
    expect(classes.length).toBeGreaterThan(10);
    for (const name of classes) expect(errors, name).toContain(`## ${name}`);
    for (const code of Object.values(api.RocketChatErrorCode)) {
      expect(errors, String(code)).toContain(typeof code === 'number' ? `| ${code} ` : `\`${code}\``);
    }
  });
});

describe('the runnable samples', () => {
  /** A fake server for one sample, with the user the sample logs in as. */
  async function serverForSample(): Promise<{ server: FakeRocketChatServer; env: Record<string, string> }> {
    const server = leftovers.track(await FakeRocketChatServer.start());
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    server.addUser({ username: 'bot', password, name: 'Sample Bot' });
    server.addUser({ username: 'alice', password: 'alice' });
    return { server, env: { RC_URL: server.url, RC_USER: 'bot', RC_PASSWORD: password } };
  }

  async function bundled(sample: Sample): Promise<string> {
    const outfile = sample.file.replace(/\.ts$/, '.mjs');
    await bundle({ entry: sample.file, outfile, platform: 'node' });
    return outfile;
  }

  it('are marked in the documents', () => {
    expect(samples.filter((sample) => sample.flags.has('run') && !sample.flags.has('bot')).length).toBeGreaterThanOrEqual(3);
    expect(samples.filter((sample) => sample.flags.has('bot')).length).toBeGreaterThan(0);
    expect(samples.filter((sample) => sample.flags.has('vitest')).length).toBeGreaterThanOrEqual(3);
  });

  it('run to completion against the fake server', async () => {
    for (const sample of samples.filter((each) => each.flags.has('run') && !each.flags.has('bot'))) {
      const { env } = await serverForSample();
      const script = runNode(await bundled(sample), { env });
      const { code } = await exitOf(script, 15_000, `the sample at ${label(sample)}`);
      expect(code, `${label(sample)} printed:\n${script.output()}`).toBe(0);
      await leftovers.disposeAll();
    }
  }, 120_000);

  it('as bots, answer !ping', async () => {
    for (const sample of samples.filter((each) => each.flags.has('bot'))) {
      const { server, env } = await serverForSample();
      const bot = runNode(await bundled(sample), { env });
      const deadline = Date.now() + 15_000;
      const answered = (): boolean => server.messages('GENERAL').some((message) => message.u.username === 'bot');
      while (!answered()) {
        if (Date.now() > deadline || bot.output().includes('Error')) {
          throw new Error(`the bot at ${label(sample)} never answered; it printed:\n${bot.output()}`);
        }
        server.postMessage({ rid: 'GENERAL', username: 'alice', msg: '!ping' });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      bot.kill('SIGTERM');
      await exitOf(bot, 10_000, `the bot at ${label(sample)}`);
      await leftovers.disposeAll();
    }
  }, 120_000);

  it('that are test files pass under vitest', async () => {
    const count = samples.filter((sample) => sample.flags.has('vitest')).length;
    const config = path.join(VITEST_DIR, 'vitest.config.ts');
    const aliases = Object.entries(PACKAGE_SOURCES)
      .sort(([a], [b]) => b.length - a.length)
      .map(([name, file]) => `{ find: /^${name.replace('/', '\\/')}$/, replacement: ${JSON.stringify(file)} }`);
    await writeText(
      config,
      [
        "import { defineConfig } from 'vitest/config';",
        `export default defineConfig({ root: ${JSON.stringify(VITEST_DIR)}, resolve: { alias: [${aliases.join(', ')}] }, test: { include: ['*.test.ts'], testTimeout: 10000 } });`,
        '',
      ].join('\n'),
    );
    const suite = runNode(path.join(ROOT, 'node_modules/vitest/vitest.mjs'), {
      args: ['run', '--config', config],
      env: { NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const { code } = await exitOf(suite, 30_000, 'the test-file samples');
    const output = suite.output();
    expect(code, output).toBe(0);
    expect(output).toMatch(new RegExp(`Test Files\\s+${count} passed \\(${count}\\)`));
  }, 60_000);
});
