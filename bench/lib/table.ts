/**
 * The results table: one row per (figure, subject), printed as aligned Markdown so the same
 * text reads in a terminal and pastes into `docs/performance.md`.
 */
import { formatNumber } from './stats.js';
import type { SubjectResult } from './stats.js';

/** One line of the results table. */
export interface Row {
  readonly figure: string;
  readonly subject: string;
  /** The measured value with its unit, e.g. `"21.3 µs"`. */
  readonly value: string;
  /** The ratio to the baseline, e.g. `"1.08× (1.02–1.11)"`, or `""`. */
  readonly ratio: string;
  /** The target, e.g. `"≤ 1.0×"`, or `""`. */
  readonly target: string;
  /** `"met"`, `"MISSED"`, or `""` when the row has no target. */
  readonly verdict: string;
  readonly note: string;
}

/** A target on a ratio: `at most` (lower is better) or `at least` (higher is better). */
export interface RatioTarget {
  readonly kind: 'max' | 'min';
  readonly limit: number;
}

/** `"≤ 1.1×"` / `"≥ 0.8×"`. */
export function describeTarget(target: RatioTarget): string {
  return `${target.kind === 'max' ? '≤' : '≥'} ${target.limit}×`;
}

/** `true` when `ratio` meets the target. */
export function meets(ratio: number, target: RatioTarget): boolean {
  return target.kind === 'max' ? ratio <= target.limit : ratio >= target.limit;
}

/** `"1.08× (1.02–1.11)"`: the median ratio and the range over repetitions. */
export function formatRatio(result: Pick<SubjectResult, 'ratio' | 'ratioMin' | 'ratioMax'>): string {
  if (!Number.isFinite(result.ratio)) return '';
  return `${result.ratio.toFixed(2)}× (${result.ratioMin.toFixed(2)}–${result.ratioMax.toFixed(2)})`;
}

/** Rows for one interleaved figure: the baseline first, then every subject with its ratio. */
export function rowsFor(
  figure: string,
  results: readonly SubjectResult[],
  options: {
    readonly unit: string;
    /** Which subjects the target applies to (others are shown for comparison). */
    readonly targetFor?: (name: string) => boolean;
    readonly target?: RatioTarget;
    readonly notes?: Readonly<Record<string, string>>;
  },
): Row[] {
  return results.map((result, index) => {
    const hasTarget = index > 0 && options.target !== undefined && (options.targetFor?.(result.name) ?? false);
    return {
      figure: index === 0 ? figure : '',
      subject: result.name,
      value: `${formatNumber(result.median)} ${options.unit}`,
      ratio: index === 0 ? '1.00× (baseline)' : formatRatio(result),
      target: hasTarget && options.target ? describeTarget(options.target) : '',
      verdict: hasTarget && options.target ? (meets(result.ratio, options.target) ? 'met' : 'MISSED') : '',
      note: options.notes?.[result.name] ?? '',
    };
  });
}

const HEADERS: readonly (keyof Row)[] = ['figure', 'subject', 'value', 'ratio', 'target', 'verdict', 'note'];
const TITLES: Readonly<Record<keyof Row, string>> = {
  figure: 'figure',
  subject: 'subject',
  value: 'median',
  ratio: 'ratio to baseline (min–max)',
  target: 'target',
  verdict: 'verdict',
  note: 'note',
};

/** The rows as an aligned Markdown table. */
export function renderTable(rows: readonly Row[]): string {
  const widths = HEADERS.map((key) => Math.max(TITLES[key].length, ...rows.map((row) => row[key].length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    line(HEADERS.map((key) => TITLES[key])),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map((row) => line(HEADERS.map((key) => row[key].replaceAll('|', '\\|')))),
  ].join('\n');
}
