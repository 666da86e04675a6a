/**
 * Profiles one client kind's pipelined (or sequential) `sendMessage` loop against the minimal
 * server: the V8 sampling profiler (the one `node --cpu-prof` uses) records only the measured
 * window, writes `.bench-out/<kind>.cpuprofile` (open it in Chrome DevTools), and prints the
 * functions with the most self time.
 *
 *     node --expose-gc .bench-out/profile.js "RocketChatClient" [calls=100000] [pipelined|sequential|alloc]
 *
 * `alloc` runs the pipelined loop under V8's sampling heap profiler instead (counting objects
 * the GC has collected since, too) and prints the bytes allocated per call by function: what
 * the garbage collector has to clean up after each call.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Driver, ServerInfo } from './clients/driver.js';
import { ALL_KINDS } from './clients/registry.js';
import { OUT_DIR, startServer } from './lib/child.js';
import { collectGarbage, runPipelined, runSequential } from './lib/runner.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface AllocationNode {
  callFrame: ProfileNode['callFrame'];
  selfSize: number;
  children: AllocationNode[];
}

/** Bytes allocated per function in a sampling heap profile, sorted. */
function allocations(root: AllocationNode): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  const visit = (node: AllocationNode): void => {
    const frame = node.callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${where(frame.url, frame.lineNumber)}`;
    if (node.selfSize > 0) totals.set(name, (totals.get(name) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child);
  };
  visit(root);
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

async function profileAllocations(driver: Driver, calls: number): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await runPipelined(driver, calls, 100, 20_000);
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: AllocationNode } };
  session.disconnect();
  const entries = allocations(profile.head);
  const total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
  process.stdout.write(`allocated ${(total / calls).toFixed(0)} B per call (sampled); by function:\n`);
  for (const entry of entries.slice(0, 30)) {
    process.stdout.write(`${(entry.bytes / calls).toFixed(0).padStart(6)} B/call  ${entry.name}\n`);
  }
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/**
 * For a file esbuild bundled: which source module each line came from (esbuild writes a
 * `// src/ddp/pending.ts` comment before each module it inlines).
 */
function moduleOfLine(url: string): (line: number) => string | undefined {
  let lines: string[];
  try {
    lines = readFileSync(fileURLToPath(url), 'utf8').split('\n');
  } catch {
    return () => undefined;
  }
  const modules: (string | undefined)[] = [];
  let current: string | undefined;
  for (const line of lines) {
    const match = /^\/\/ ((?:src|bench)\/\S+\.ts)$/.exec(line);
    if (match !== null) current = match[1];
    modules.push(current);
  }
  return (line) => modules[line];
}

const moduleMaps = new Map<string, (line: number) => string | undefined>();

/** `src/ddp/pending.ts` for a line of a bundle, the file otherwise. */
function where(url: string, line: number): string {
  if (url === '') return '';
  if (url.includes('/.bench-out/')) {
    let map = moduleMaps.get(url);
    if (map === undefined) {
      map = moduleOfLine(url);
      moduleMaps.set(url, map);
    }
    const module = map(line);
    if (module !== undefined) return module;
  }
  return url.replace(/^file:\/\/.*?\/(node_modules|src|dist|bench|\.bench-out)\//, '$1/');
}

/** Self time per function (µs), sorted, with the share of the total. */
export function selfTimes(profile: Profile): { name: string; micros: number; share: number }[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (node === undefined) return;
    const frame = node.callFrame;
    const file = where(frame.url, frame.lineNumber);
    const name = `${frame.functionName || '(anonymous)'} ${file}`;
    totals.set(name, (totals.get(name) ?? 0) + delta);
    total += delta;
  });
  return [...totals]
    .map(([name, micros]) => ({ name, micros, share: micros / total }))
    .sort((a, b) => b.micros - a.micros);
}

async function main(): Promise<void> {
  const [pattern = 'RocketChatClient', callsText = '100000', mode = 'pipelined'] = process.argv.slice(2);
  const kind = ALL_KINDS.find((candidate) => candidate.name.includes(pattern));
  if (kind === undefined) throw new Error(`no client kind matches "${pattern}" (known: ${ALL_KINDS.map((k) => k.name).join('; ')})`);
  const calls = Number(callsText);
  const server = await startServer<ServerInfo>('fast-server.js', []);
  let driver: Driver | undefined;
  try {
    driver = kind.create(server.info);
    await driver.open();
    await runPipelined(driver, 20_000, 100); // warm up
    collectGarbage();
    if (mode === 'alloc') {
      await profileAllocations(driver, calls);
      return;
    }
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 50 });
    await session.post('Profiler.start');
    const cpuBefore = process.cpuUsage();
    if (mode === 'sequential') await runSequential(driver, calls, 20_000);
    else await runPipelined(driver, calls, 100, 20_000);
    const cpu = process.cpuUsage(cpuBefore);
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    session.disconnect();
    const file = join(OUT_DIR, `${kind.name.replace(/[^A-Za-z0-9]+/g, '-')}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const stats = await server.stats();
    process.stdout.write(
      `${kind.name}: ${calls} ${mode} calls, ${((cpu.user + cpu.system) / calls).toFixed(1)} µs CPU/call ` +
        `(user ${(cpu.user / calls).toFixed(1)}, system ${(cpu.system / calls).toFixed(1)}); ` +
        `server received ${String(stats['frames'])} frames for ${String(stats['methods'])} methods; profile in ${file}\n`,
    );
    const entries = selfTimes(profile);
    const line = (share: number, micros: number, name: string): string =>
      `${(share * 100).toFixed(1).padStart(5)} %  ${(micros / calls).toFixed(2).padStart(6)} µs/call  ${name}\n`;
    process.stdout.write('\nself time by function:\n');
    for (const entry of entries.slice(0, 40)) process.stdout.write(line(entry.share, entry.micros, entry.name));
    const byModule = new Map<string, { micros: number; share: number }>();
    for (const entry of entries) {
      const module = entry.name.slice(entry.name.lastIndexOf(' ') + 1) || '(native)';
      const sum = byModule.get(module) ?? { micros: 0, share: 0 };
      sum.micros += entry.micros;
      sum.share += entry.share;
      byModule.set(module, sum);
    }
    process.stdout.write('\nself time by module:\n');
    for (const [module, sum] of [...byModule].sort((a, b) => b[1].micros - a[1].micros).slice(0, 25)) {
      process.stdout.write(line(sum.share, sum.micros, module));
    }
  } finally {
    await driver?.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
