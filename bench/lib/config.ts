/**
 * Benchmark settings, all from the environment so a quick run needs no code change.
 *
 * - `BENCH_SCALE` (default 1): multiplies every count (calls, connections, repetitions stay ≥ 3).
 * - `BENCH_ONLY`: comma-separated section names to run (`throughput,latency,codec,memory,many,soak`).
 * - `BENCH_REPS`: repetitions per measured figure (default 5).
 * - `BENCH_JSON`: a file to write the raw results to, as JSON.
 */

/** Every section `npm run bench` knows, in the order it runs them. */
export const SECTIONS = ['codec', 'throughput', 'latency', 'memory', 'many', 'soak'] as const;
export type SectionName = (typeof SECTIONS)[number];

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** The multiplier applied to every count. */
export const SCALE = numberFromEnv('BENCH_SCALE', 1);

/** Repetitions of each interleaved measurement (the figure printed is their median). */
export const REPS = Math.max(3, Math.round(numberFromEnv('BENCH_REPS', 5)));

/** `count` scaled by {@link SCALE}, never below `min`. */
export function scaled(count: number, min = 1): number {
  return Math.max(min, Math.round(count * SCALE));
}

/** The sections selected by `BENCH_ONLY` (all when unset). */
export function selectedSections(): SectionName[] {
  const raw = process.env['BENCH_ONLY'];
  if (raw === undefined || raw.trim() === '') return [...SECTIONS];
  const wanted = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of wanted) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new Error(`BENCH_ONLY: unknown section "${name}" (known: ${SECTIONS.join(', ')})`);
    }
  }
  return SECTIONS.filter((name) => wanted.includes(name));
}
