/**
 * `npm run bench`: every benchmark of rocketchat-ddp, one table.
 *
 * Servers run in their own processes; every figure is a ratio to a baseline measured in the
 * same run (a hand-written `ws` loop, a bare `JSON.parse`, a bare `ws` connection),
 * interleaved, warmed up, the median of several repetitions. See `bench/lib/config.ts` for
 * the environment variables (`BENCH_SCALE=0.1` for a quick run).
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { REPS, SCALE, selectedSections } from './lib/config.js';
import { renderTable } from './lib/table.js';
import type { Row } from './lib/table.js';
import { runCodecBenchmark } from './sections/codec.js';
import { runCallBenchmarks } from './sections/calls.js';
import { runMemoryBenchmark } from './sections/memory.js';
import { runManyBenchmark } from './sections/many.js';
import { runSoakBenchmark } from './sections/soak.js';
import { ALL_KINDS, isOurs, isReference, MEMORY_KINDS } from './clients/registry.js';

const started = Date.now();
const verbose = process.env['BENCH_VERBOSE'] === '1';

function log(line: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  if (verbose || (!line.startsWith('rep ') && !line.startsWith('warm-up'))) process.stderr.write(`[${seconds}s] ${line}\n`);
}

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  const sections = selectedSections();
  const loadBefore = load();
  log(`sections: ${sections.join(', ')}; BENCH_SCALE=${SCALE}, ${REPS} repetitions; load average ${loadBefore}`);
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};

  if (sections.includes('codec')) {
    const result = await runCodecBenchmark(log);
    rows.push(...result.rows);
    raw['codec'] = result.raw;
  }
  if (sections.includes('throughput') || sections.includes('latency')) {
    const result = await runCallBenchmarks({
      kinds: ALL_KINDS,
      ours: isOurs,
      reference: isReference,
      throughput: sections.includes('throughput'),
      latency: sections.includes('latency'),
      log,
    });
    rows.push(...result.rows);
    raw['calls'] = result.raw;
  }

  if (sections.includes('memory')) {
    const result = await runMemoryBenchmark(MEMORY_KINDS, isOurs, log);
    rows.push(...result.rows);
    raw['memory'] = result.raw;
  }
  if (sections.includes('many')) {
    const result = await runManyBenchmark(log);
    rows.push(...result.rows);
    raw['many'] = result.raw;
  }
  if (sections.includes('soak')) {
    const result = await runSoakBenchmark(log);
    rows.push(...result.rows);
    raw['soak'] = result.raw;
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const header = [
    `rocketchat-ddp benchmarks — ${new Date().toISOString()}`,
    `node ${process.version}, ${cpus().length} × ${cpu}`,
    `BENCH_SCALE=${SCALE}, ${REPS} repetitions (median shown), load average before ${loadBefore}, after ${load()}`,
    `total ${((Date.now() - started) / 1000).toFixed(0)} s`,
  ];
  process.stdout.write(`\n${header.join('\n')}\n\n${renderTable(rows)}\n`);
  const jsonFile = process.env['BENCH_JSON'];
  if (jsonFile !== undefined && jsonFile !== '') writeFileSync(jsonFile, JSON.stringify({ header, rows, raw }, null, 2));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
