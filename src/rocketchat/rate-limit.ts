/**
 * Keeping `sendMessage` under Rocket.Chat's rate limit (5 calls per second per user, bots
 * included), and retrying a call the server refused with `too-many-requests`.
 *
 * {@link SendPacer} lets at most `messagesPerSecond` sends start in any sliding window of one
 * second, first come first served. It owns one timer, armed only while someone waits, and
 * {@link SendPacer.close} releases it and every waiter.
 *
 * The realtime limit is the user's (all their calls count), so a refusal there holds every
 * send; the REST limit is the endpoint's, so a REST refusal (`error-too-many-requests`, HTTP
 * 429) holds only the refused send, and messages going over the WebSocket carry on.
 *
 * @module
 */
import { unwatchAbort, watchAbort } from '../ddp/abort-watch.js';
import type { AbortWatcher } from '../ddp/abort-watch.js';
import { DdpClosedError } from '../ddp/errors.js';
import { RateLimitedError, RocketChatErrorCode, hasErrorCode, isRateLimitedError } from './errors.js';

/** The `rateLimit` option of `RocketChatClient`. */
export interface RateLimitOptions {
  /**
   * At most this many `sendMessage` calls start in any one-second window (the client
   * measures over 1.1 s, a margin for network delays: the server counts arrivals).
   * @default 5
   */
  readonly messagesPerSecond: number;
  /**
   * How many times a call refused with `too-many-requests` is made again (after the server's
   * `timeToReset`; the refused call was not run) before it rejects with `RateLimitedError`:
   * `sendMessage` and every other method of `RocketChatClient`.
   * @default 3
   */
  readonly maxRetries: number;
}

/** The defaults of {@link RateLimitOptions}: the server's own limit. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { messagesPerSecond: 5, maxRetries: 3 };

/** Options of {@link SendPacer}. */
export interface SendPacerOptions {
  /** Sends allowed per window. */
  readonly limit: number;
  /**
   * The sliding window, in milliseconds.
   * @default 1000
   */
  readonly windowMs?: number;
  /**
   * The clock, in milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  detach(): void;
}

/** A waiter that may not go before a given time. */
interface Held {
  readonly waiter: Waiter;
  readonly at: number;
}

/**
 * A FIFO gate: `acquire()` resolves when a send may start without exceeding `limit` sends in
 * any `windowMs`. `pause(ms)` holds every send for a while (after the server said
 * `too-many-requests`). `close()` rejects every waiter with `DdpClosedError` and clears the timer.
 */
export class SendPacer {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Start times of the sends inside the current window, oldest first. */
  readonly #started: number[] = [];
  /** Waiters, first served first. */
  readonly #queue: Waiter[] = [];
  /** Waiters that may not go yet (`delayMs`), earliest first; they join the front of the queue when due. */
  readonly #held: Held[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = 0;
  #pausedUntil = 0;
  #closed = false;

  constructor(options: SendPacerOptions) {
    if (!(options.limit >= 1)) throw new RangeError('rateLimit.messagesPerSecond must be at least 1');
    this.#limit = Math.floor(options.limit);
    this.#windowMs = options.windowMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** How many sends are waiting for their turn. */
  get waiting(): number {
    return this.#queue.length + this.#held.length;
  }

  /**
   * Resolves when the caller may send. With `priority`, the caller goes before every waiter
   * (used for a retry, so it keeps its place). With `delayMs`, it waits at least that long
   * first, without holding up anyone else. Rejects with the signal's reason when aborted
   * while waiting, and with `DdpClosedError` after {@link close}.
   */
  acquire(options: { signal?: AbortSignal | undefined; priority?: boolean; delayMs?: number } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new DdpClosedError('the client is closed'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter & AbortWatcher = {
        resolve,
        reject,
        detach: () => {
          if (signal !== undefined) unwatchAbort(signal, waiter);
        },
        aborted: (reason) => {
          const index = this.#queue.indexOf(waiter);
          if (index >= 0) this.#queue.splice(index, 1);
          const heldIndex = this.#held.findIndex((held) => held.waiter === waiter);
          if (heldIndex >= 0) this.#held.splice(heldIndex, 1);
          reject(reason);
          this.#pump();
        },
      };
      if (signal !== undefined) watchAbort(signal, waiter);
      const delayMs = options.delayMs ?? 0;
      if (delayMs > 0) {
        const at = this.#now() + delayMs;
        let index = this.#held.length;
        while (index > 0 && (this.#held[index - 1]?.at ?? 0) > at) index--;
        this.#held.splice(index, 0, { waiter, at });
      } else if (options.priority === true) this.#queue.unshift(waiter);
      else this.#queue.push(waiter);
      this.#pump();
    });
  }

  /** Holds every send for `ms` milliseconds from now (longer holds win). */
  pause(ms: number): void {
    if (this.#closed) return;
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + Math.max(0, ms));
    this.#pump();
  }

  /** Rejects every waiter with `DdpClosedError` and clears the timer. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearTimer();
    const error = new DdpClosedError('the client is closed');
    for (const waiter of [...this.#queue.splice(0), ...this.#held.splice(0).map((held) => held.waiter)]) {
      waiter.detach();
      waiter.reject(error);
    }
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Moves the held waiters that are due to the front of the queue, lets waiters through while
   * the window has room, and arms the timer for the next opening or the next held waiter.
   */
  #pump(): void {
    if (this.#closed) return;
    const due = this.#held.filter((held) => held.at <= this.#now());
    if (due.length > 0) {
      this.#held.splice(0, due.length);
      this.#queue.unshift(...due.map((held) => held.waiter));
    }
    let wakeAt: number | undefined;
    while (this.#queue.length > 0) {
      const now = this.#now();
      while (this.#started.length > 0 && (this.#started[0] ?? 0) + this.#windowMs <= now) this.#started.shift();
      let openAt = now;
      if (this.#pausedUntil > now) openAt = this.#pausedUntil;
      else if (this.#started.length >= this.#limit) openAt = (this.#started[0] ?? now) + this.#windowMs;
      if (openAt > now) {
        wakeAt = openAt;
        break;
      }
      const waiter = this.#queue.shift();
      if (waiter === undefined) break;
      this.#started.push(now);
      waiter.detach();
      waiter.resolve();
    }
    const heldAt = this.#held[0]?.at;
    if (heldAt !== undefined && (wakeAt === undefined || heldAt < wakeAt)) wakeAt = heldAt;
    if (wakeAt === undefined) this.#clearTimer();
    else this.#arm(wakeAt);
  }

  #arm(at: number): void {
    if (this.#timer !== undefined && this.#timerAt === at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, Math.max(0, at - this.#now()));
  }
}

/**
 * Runs `attempt` with pacing and retries: waits for the pacer, and when the server answers
 * `too-many-requests`, holds the pacer for the server's `timeToReset` and tries again first
 * in line, at most `maxRetries` times; then rejects with {@link RateLimitedError}. When
 * `attempt` rejects with a REST refusal (`error-too-many-requests`), only this call waits
 * `retryAfterMs` before its retry. Without a
 * pacer (`rateLimit: false`) it calls once and turns `too-many-requests` into
 * `RateLimitedError` at once. Other errors pass through unchanged.
 */
export async function withRateLimit<T>(
  attempt: () => Promise<T>,
  options: { pacer: SendPacer | undefined; maxRetries: number; signal?: AbortSignal | undefined },
): Promise<T> {
  const { pacer, maxRetries, signal } = options;
  let delayMs = 0;
  for (let retries = 0; ; retries++) {
    if (pacer !== undefined) await pacer.acquire({ signal, priority: retries > 0, delayMs });
    try {
      return await attempt();
    } catch (error) {
      let limited: RateLimitedError;
      if (isRateLimitedError(error)) limited = error;
      else if (hasErrorCode(error, RocketChatErrorCode.TooManyRequests)) limited = new RateLimitedError(error);
      else throw error;
      if (pacer === undefined || retries >= maxRetries) throw limited;
      if (limited.error === RocketChatErrorCode.RestTooManyRequests) {
        delayMs = limited.retryAfterMs; // the REST endpoint's limit: only this send waits
      } else {
        delayMs = 0;
        pacer.pause(limited.retryAfterMs); // the user's limit: every send waits
      }
    }
  }
}

/** Waits `ms`, or rejects with the reason of the first of `signals` to abort. */
export function sleep(ms: number, ...signals: readonly AbortSignal[]): Promise<void> {
  for (const signal of signals) signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      clearTimeout(timer);
      for (const signal of signals) unwatchAbort(signal, watcher);
    };
    const watcher: AbortWatcher = {
      aborted(reason) {
        stop();
        reject(reason);
      },
    };
    const timer = setTimeout(() => {
      stop();
      resolve();
    }, ms);
    for (const signal of signals) watchAbort(signal, watcher);
  });
}
