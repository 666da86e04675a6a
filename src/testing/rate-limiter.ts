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
    const { limit, windowMs } = this.#rule;
    let window = this.#windows.get(key);
    if (window === undefined || now - window.start >= windowMs) {
      if (this.#windows.size >= 1000) this.#prune(now);
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count++;
    if (window.count <= limit) return undefined;
    return Math.max(1, window.start + windowMs - now);
  }

  #prune(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start >= this.#rule.windowMs) this.#windows.delete(key);
    }
  }
}
