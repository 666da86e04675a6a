/**
 * How long to wait before the next connection attempt: a pure function of the attempt number.
 *
 * The first two retries come almost at once (a blip should not cost a second); from the third
 * on the delay grows exponentially up to a cap, and a random factor spreads out the clients a
 * server restart disconnected all at once.
 *
 * @module
 */

/** How the client retries a lost connection. Every field has a default; see {@link DEFAULT_RECONNECT_OPTIONS}. */
export interface ReconnectOptions {
  /**
   * Delay before the third retry, in milliseconds; later ones grow from it.
   * @default 1000
   */
  readonly initialDelayMs: number;
  /**
   * Growth factor from one retry to the next.
   * @default 2.2
   */
  readonly factor: number;
  /**
   * Upper bound of the delay before jitter, in milliseconds.
   * @default 300000
   */
  readonly maxDelayMs: number;
  /**
   * The delay is multiplied by a random factor in `[1 − jitter, 1 + jitter)`; 0 disables jitter.
   * @default 0.25
   */
  readonly jitter: number;
  /**
   * Consecutive failed retries after which the client gives up (status `'failed'`).
   * @default Infinity
   */
  readonly maxAttempts: number;
}

/** The defaults of {@link ReconnectOptions}: Meteor's reference numbers. */
export const DEFAULT_RECONNECT_OPTIONS: Readonly<ReconnectOptions> = Object.freeze({
  initialDelayMs: 1000,
  factor: 2.2,
  maxDelayMs: 300_000,
  jitter: 0.25,
  maxAttempts: Number.POSITIVE_INFINITY,
});

/** The delay before retries 1 and 2, in milliseconds. */
export const FIRST_RETRIES_DELAY_MS = 10;

/**
 * Merges partial options with {@link DEFAULT_RECONNECT_OPTIONS} and checks them.
 *
 * @throws {RangeError} when a value is out of range (negative delays, `factor` < 1,
 *   `jitter` outside `[0, 1)`, `maxAttempts` < 0 or not an integer nor `Infinity`).
 */
export function resolveReconnectOptions(options: Partial<ReconnectOptions> = {}): ReconnectOptions {
  const merged: ReconnectOptions = { ...DEFAULT_RECONNECT_OPTIONS, ...definedOnly(options) };
  check(merged.initialDelayMs >= 0 && Number.isFinite(merged.initialDelayMs), 'reconnect.initialDelayMs must be a finite number ≥ 0');
  check(merged.factor >= 1 && Number.isFinite(merged.factor), 'reconnect.factor must be a finite number ≥ 1');
  check(merged.maxDelayMs >= 0 && !Number.isNaN(merged.maxDelayMs), 'reconnect.maxDelayMs must be a number ≥ 0');
  check(merged.jitter >= 0 && merged.jitter < 1, 'reconnect.jitter must be in [0, 1)');
  check(
    merged.maxAttempts >= 0 && (Number.isInteger(merged.maxAttempts) || merged.maxAttempts === Number.POSITIVE_INFINITY),
    'reconnect.maxAttempts must be an integer ≥ 0 or Infinity',
  );
  return merged;
}

/**
 * The delay before retry number `attempt` (1-based), in milliseconds.
 *
 * Attempts 1 and 2 wait `FIRST_RETRIES_DELAY_MS` (10 ms, or `maxDelayMs` if smaller); attempt
 * n ≥ 3 waits `min(maxDelayMs, initialDelayMs · factor^(n−3))`, multiplied by a random factor
 * in `[1 − jitter, 1 + jitter)`.
 *
 * @param random a source of numbers in `[0, 1)`, for tests.
 * @example backoffDelay(3, DEFAULT_RECONNECT_OPTIONS, () => 0.5) // 1000
 */
export function backoffDelay(
  attempt: number,
  options: Pick<ReconnectOptions, 'initialDelayMs' | 'factor' | 'maxDelayMs' | 'jitter'> = DEFAULT_RECONNECT_OPTIONS,
  random: () => number = Math.random,
): number {
  if (!(attempt >= 3)) return Math.min(FIRST_RETRIES_DELAY_MS, options.maxDelayMs);
  const nominal = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** (attempt - 3));
  const spread = 1 - options.jitter + 2 * options.jitter * random();
  return nominal * spread;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(options) as (keyof T)[]) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  return out;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(message);
}
