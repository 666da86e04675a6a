/**
 * Fixed-window call counting, as Meteor's `DDPRateLimiter` does it: every call counts (the
 * refused ones too), and once a window holds more than `limit` calls the rest of the window
 * is refused, with the time left until it resets.
 *
 * @module
 */

/** A limit of `limit` calls per `windowMs` milliseconds. */
export interface RateRule {
  /** Calls allowed per window. */
  readonly limit: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}

/** One counted call: the verdict and the window's state. */
export interface RateCount {
  readonly allowed: boolean;
  /** Calls allowed per window. */
  readonly limit: number;
  /** Calls left in this window. */
  readonly remaining: number;
  /** When the window ends (epoch ms). */
  readonly resetAt: number;
  /** Milliseconds until the window ends (at least 1). */
  readonly timeToReset: number;
}

interface Window {
  start: number;
  count: number;
}

/** Counts calls per key against one {@link RateRule}. */
export class RateLimiter {
  readonly #rule: RateRule;
  readonly #windows = new Map<string, Window>();

  constructor(rule: RateRule) {
    this.#rule = rule;
  }

  /**
   * Counts one call for `key`.
   * @returns `undefined` when the call is allowed, else the milliseconds until the window resets.
   */
  hit(key: string, now: number = Date.now()): number | undefined {
    const outcome = this.count(key, now);
    return outcome.allowed ? undefined : outcome.timeToReset;
  }

  /**
   * Counts one call for `key`, with what the REST API reports in its `x-ratelimit-*` headers.
   * @returns whether it is allowed, the calls left in the window, and the window's end
   */
  count(key: string, now: number = Date.now()): RateCount {
    const { limit, windowMs } = this.#rule;
    let window = this.#windows.get(key);
    if (window === undefined || now - window.start >= windowMs) {
      if (this.#windows.size >= 1000) this.#prune(now);
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count++;
    const resetAt = window.start + windowMs;
    return {
      allowed: window.count <= limit,
      limit,
      remaining: Math.max(0, limit - window.count),
      resetAt,
      timeToReset: Math.max(1, resetAt - now),
    };
  }

  #prune(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start >= this.#rule.windowMs) this.#windows.delete(key);
    }
  }
}
