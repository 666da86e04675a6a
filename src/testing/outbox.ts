/**
 * The write side of a connection: frames (and a final close) go out in order, either at once
 * or, with a delay fault, each held back by `delayMs`. One timer at most; `clear()` drops
 * whatever is still waiting.
 *
 * @module
 */

/** Something to write: a text frame, or the closing of the socket. */
export type OutboxItem = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'close'; readonly code: number; readonly reason?: string };

/** An ordered, optionally delayed, writer. */
export class Outbox {
  readonly #write: (item: OutboxItem) => void;
  readonly #queue: { at: number; item: OutboxItem }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(write: (item: OutboxItem) => void) {
    this.#write = write;
  }

  /** Writes `item` after `delayMs` (and after everything queued before it). */
  push(item: OutboxItem, delayMs: number): void {
    if (delayMs <= 0 && this.#queue.length === 0) {
      this.#write(item);
      return;
    }
    const previous = this.#queue[this.#queue.length - 1]?.at ?? 0;
    this.#queue.push({ at: Math.max(Date.now() + Math.max(0, delayMs), previous), item });
    if (this.#timer === undefined) this.#schedule();
  }

  /** Forgets everything not yet written. */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
  }

  #schedule(): void {
    const head = this.#queue[0];
    if (head === undefined) return;
    this.#timer = setTimeout(() => this.#flush(), Math.max(0, head.at - Date.now()));
  }

  #flush(): void {
    this.#timer = undefined;
    const now = Date.now();
    while (this.#queue.length > 0 && this.#queue[0]!.at <= now) {
      const { item } = this.#queue.shift()!;
      this.#write(item);
      if (this.#timer !== undefined || this.#queue.length === 0) break; // clear() was called, or done
    }
    if (this.#timer === undefined) this.#schedule();
  }
}
