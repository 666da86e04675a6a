/**
 * Statistics for noisy machines: warm up, interleave the subjects within each repetition
 * (rotating who goes first), report medians, and compare each subject with the baseline
 * measured in the same repetition.
 */

/** The median of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The `p`-th percentile (0–100) of `values`, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** What one subject measured over all repetitions, and how it compares with the baseline. */
export interface SubjectResult {
  readonly name: string;
  /** One value per repetition, in repetition order. */
  readonly values: readonly number[];
  readonly median: number;
  /** Median over repetitions of (this subject's value ÷ the baseline's value in the same repetition). */
  readonly ratio: number;
  readonly ratioMin: number;
  readonly ratioMax: number;
}

/** A subject of an interleaved measurement. */
export interface Subject<S> {
  readonly name: string;
  readonly subject: S;
}

/**
 * Runs `measure` for every subject in every repetition, interleaved: repetition `r` starts with
 * subject `r mod n`, so no subject always runs first (or right after the same neighbour).
 * `warmUps` full rounds run first and are discarded. The first subject is the baseline.
 */
export async function interleaved<S>(
  subjects: readonly Subject<S>[],
  options: { readonly reps: number; readonly warmUps?: number; readonly onProgress?: (line: string) => void },
  measure: (subject: S, name: string) => Promise<number>,
): Promise<SubjectResult[]> {
  const values = subjects.map(() => [] as number[]);
  const warmUps = options.warmUps ?? 1;
  for (let round = -warmUps; round < options.reps; round++) {
    const start = ((round % subjects.length) + subjects.length) % subjects.length;
    for (let k = 0; k < subjects.length; k++) {
      const index = (start + k) % subjects.length;
      const entry = subjects[index] as Subject<S>;
      const value = await measure(entry.subject, entry.name);
      if (round >= 0) (values[index] as number[]).push(value);
      options.onProgress?.(`${round < 0 ? 'warm-up' : `rep ${round + 1}/${options.reps}`} ${entry.name}: ${formatNumber(value)}`);
    }
  }
  return compare(subjects.map((entry, index) => ({ name: entry.name, values: values[index] as number[] })));
}

/** Medians and per-repetition ratios to the first entry (the baseline). */
export function compare(entries: readonly { readonly name: string; readonly values: readonly number[] }[]): SubjectResult[] {
  const baseline = entries[0];
  if (baseline === undefined) return [];
  return entries.map((entry) => {
    const ratios: number[] = [];
    entry.values.forEach((value, rep) => {
      const base = baseline.values[rep];
      if (base !== undefined && base > 0 && Number.isFinite(value)) ratios.push(value / base);
    });
    return {
      name: entry.name,
      values: entry.values,
      median: median(entry.values),
      ratio: median(ratios),
      ratioMin: ratios.length > 0 ? Math.min(...ratios) : Number.NaN,
      ratioMax: ratios.length > 0 ? Math.max(...ratios) : Number.NaN,
    };
  });
}

/** A number with 3 significant digits (no exponent for ordinary magnitudes). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}
