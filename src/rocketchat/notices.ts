/**
 * The private notices Rocket.Chat sends a user on `stream-notify-user` `<uid>/message` when
 * it swallowed the failure of one of their calls (for `sendMessage`: "Invalid room", "You
 * have been muted"…), kept briefly so that `sendMessage` can quote the server's explanation.
 *
 * A notice does not name the message it is about (its `_id` is the time it was made), so it
 * is matched by room and time: the first unclaimed notice for the room that arrived after the
 * send started. {@link NoticeBoard} owns the timers of its waiters; `close()` releases them.
 *
 * @module
 */

/** One notice, as kept. */
export interface Notice {
  /** The room it is about. */
  readonly rid: string;
  /** Its text. */
  readonly msg: string;
  /** When it arrived (client clock, ms). */
  readonly at: number;
}

interface Waiter {
  readonly rid: string;
  readonly since: number;
  resolve(text: string | undefined): void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** How long a notice is kept, in ms. */
const KEEP_MS = 60_000;
/** How many notices are kept at most. */
const KEEP_COUNT = 100;

/** A short memory of recent notices, claimed at most once each. */
export class NoticeBoard {
  readonly #notices: Notice[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #now: () => number;
  #closed = false;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Records a notice (or hands it straight to a waiter for its room). */
  add(rid: string, msg: string): void {
    if (this.#closed) return;
    const at = this.#now();
    for (const waiter of this.#waiters) {
      if (waiter.rid === rid && at >= waiter.since) {
        this.#finish(waiter, msg);
        return;
      }
    }
    this.#notices.push({ rid, msg, at });
    this.#prune(at);
  }

  /** Claims the first unclaimed notice for `rid` that arrived at or after `since`. */
  take(rid: string, since: number): string | undefined {
    this.#prune(this.#now());
    const index = this.#notices.findIndex((notice) => notice.rid === rid && notice.at >= since);
    if (index < 0) return undefined;
    const [notice] = this.#notices.splice(index, 1);
    return notice?.msg;
  }

  /**
   * Claims a notice as {@link take} does, or waits up to `timeoutMs` for one to arrive;
   * resolves `undefined` when none came (or on close).
   */
  wait(rid: string, since: number, timeoutMs: number): Promise<string | undefined> {
    const now = this.take(rid, since);
    if (now !== undefined || this.#closed || timeoutMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        rid,
        since,
        resolve,
        timer: setTimeout(() => this.#finish(waiter, undefined), timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Forgets everything and resolves every waiter with `undefined`. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#notices.length = 0;
    for (const waiter of [...this.#waiters]) this.#finish(waiter, undefined);
  }

  #finish(waiter: Waiter, text: string | undefined): void {
    if (!this.#waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    waiter.resolve(text);
  }

  #prune(now: number): void {
    while (this.#notices.length > KEEP_COUNT) this.#notices.shift();
    while (this.#notices.length > 0 && (this.#notices[0]?.at ?? now) < now - KEEP_MS) this.#notices.shift();
  }
}
