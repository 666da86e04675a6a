/**
 * Tooling of the documentation, example and browser tests: code that uses the package by its
 * published names (`rocketchat-ddp`, `rocketchat-ddp/testing`) is type-checked and bundled
 * against the sources, so what these tests check is the code in `src/` right now, not a
 * stale `dist/`.
 *
 * - {@link typeCheck}: the TypeScript compiler over a set of files, diagnostics as text.
 * - {@link bundle}: esbuild, for Node (dependencies stay external) or for the browser.
 * - {@link runNode}: runs a bundled script in a child process of the current Node, tracked
 *   so that a test can never leave one running.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import ts from 'typescript';
import { leftovers } from './helpers.js';

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The git-ignored scratch folder of these tests (written files, bundles, screenshots). */
export const CHECK_DIR = path.join(ROOT, '.docs-check');

/** What the package's import names point at, in the sources. */
export const PACKAGE_SOURCES: Readonly<Record<string, string>> = {
  'rocketchat-ddp': path.join(ROOT, 'src/index.ts'),
  'rocketchat-ddp/testing': path.join(ROOT, 'src/testing/index.ts'),
};

/** Writes `text` to `file`, creating its folder. */
export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

// ---------------------------------------------------------------------------------------
// Type-checking

/** One problem the compiler found, located in a checked file. */
export interface Diagnostic {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly message: string;
}

/**
 * Compiler options of a user's project as strict as this one's, with the package's names
 * mapped to the sources, DOM and Node types both available (samples run in either).
 */
function checkOptions(): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules/@types')],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    baseUrl: ROOT,
    paths: Object.fromEntries(Object.entries(PACKAGE_SOURCES).map(([name, file]) => [name, [file]])),
  };
}

/**
 * Type-checks `files` (absolute paths) as one program; returns the diagnostics located in
 * those files only (the sources they import are checked by the project's own `tsc`).
 */
export function typeCheck(files: readonly string[]): Diagnostic[] {
  const program = ts.createProgram({ rootNames: [...files], options: checkOptions() });
  const wanted = new Set(files.map((file) => path.resolve(file)));
  const found: Diagnostic[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file;
    if (file === undefined || !wanted.has(path.resolve(file.fileName))) continue;
    const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    found.push({
      file: path.resolve(file.fileName),
      line: line + 1,
      message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
    });
  }
  return found;
}

// ---------------------------------------------------------------------------------------
// Bundling

/**
 * Resolves the package's names to its sources. For Node bundles it also leaves every other
 * bare import (`ws`, `vitest`, `node:*`…) to Node, resolved from the output's folder.
 */
export function sourcesPlugin(options: { readonly externalPackages: boolean }): Plugin {
  return {
    name: 'rocketchat-ddp-sources',
    setup(builder) {
      builder.onResolve({ filter: /^rocketchat-ddp(\/testing)?$/ }, (args) => ({ path: PACKAGE_SOURCES[args.path]! }));
      if (options.externalPackages) {
        builder.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }));
      }
    },
  };
}

/** Options of {@link bundle}. */
export interface BundleOptions {
  readonly entry: string;
  readonly outfile: string;
  /** `'node'`: ESM for Node, packages external; `'browser'`: everything inlined. */
  readonly platform: 'node' | 'browser';
  /** @default false */
  readonly minify?: boolean;
  /** Inline a source map (browser bundles under test, for readable stacks). @default false */
  readonly sourcemap?: boolean;
}

/** Bundles `entry` with esbuild; resolves with the metafile. Throws with esbuild's messages on failure. */
export async function bundle(options: BundleOptions): Promise<Metafile> {
  const result = await build({
    entryPoints: [options.entry],
    outfile: options.outfile,
    bundle: true,
    format: 'esm',
    platform: options.platform,
    target: options.platform === 'node' ? 'node20' : 'es2022',
    minify: options.minify ?? false,
    sourcemap: options.sourcemap === true ? 'inline' : false,
    metafile: true,
    logLevel: 'silent',
    plugins: [sourcesPlugin({ externalPackages: options.platform === 'node' })],
  });
  return result.metafile;
}

// ---------------------------------------------------------------------------------------
// Child processes

/** A script running in a child Node process. */
export interface RunningScript {
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves when it exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends it a signal (SIGTERM by default); harmless once it has exited. */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs `file` with the current Node (so a Node 22 test run runs it on Node 22 too). The
 * process is killed (SIGKILL) when the test's leftovers are disposed, if still running.
 */
export function runNode(file: string, options: { readonly env?: Readonly<Record<string, string>>; readonly args?: readonly string[] } = {}): RunningScript {
  // The child is not part of this test run: none of the runner's own variables.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  const child = spawn(process.execPath, [file, ...(options.args ?? [])], {
    cwd: ROOT,
    env: { ...inherited, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const running = child.exitCode === null && child.signalCode === null;
  const kill = (signal: NodeJS.Signals = 'SIGTERM'): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  if (running) {
    leftovers.track(async () => {
      kill('SIGKILL');
      await exited;
    });
  }
  return { output: () => output, exited, kill };
}

/** Resolves with the exit of `script`, or rejects after `timeoutMs` quoting what it printed. */
export async function exitOf(
  script: RunningScript,
  timeoutMs: number,
  what: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not exit within ${timeoutMs} ms; it printed:\n${script.output()}`)), timeoutMs);
  });
  try {
    return await Promise.race([script.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
