/**
 * Shared test utilities: polling for a condition instead of sleeping, a list of things to
 * dispose after each test so that no server, client or socket outlives its test, and a check
 * that an object was garbage-collected.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default 5000 */
  readonly timeoutMs?: number;
  /** Poll this often. @default 5 */
  readonly intervalMs?: number;
  /** Named in the error when the condition never became true. */
  readonly what?: string;
}

/**
 * Resolves with the condition's first truthy value, polling it until then. Rejects after
 * `timeoutMs` with an error naming the condition (and the last error it threw, if any).
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const what = options.what ?? condition.toString();
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`waitFor timed out after ${timeoutMs} ms: ${what}${detail}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Something {@link Leftovers} knows how to dispose of. */
export type Disposable =
  | { close(): unknown }
  | { dispose(): unknown }
  | { [Symbol.asyncDispose](): PromiseLike<void> }
  | (() => unknown);

/**
 * Things to dispose of after a test: `track()` them as they are made, `disposeAll()` in
 * `afterEach`. Disposal runs in reverse order (clients before the servers they talk to) and
 * every item is disposed even when another one fails.
 */
export class Leftovers {
  readonly #items: Disposable[] = [];

  /** Remembers `item` for disposal and returns it. */
  track<T extends Disposable>(item: T): T {
    this.#items.push(item);
    return item;
  }

  /** How many items are waiting for disposal. */
  get size(): number {
    return this.#items.length;
  }

  /** Disposes every tracked item, newest first; rethrows the first failure at the end. */
  async disposeAll(): Promise<void> {
    const items = this.#items.splice(0).reverse();
    let firstError: unknown;
    for (const item of items) {
      try {
        await disposeOne(item);
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError !== undefined) throw firstError;
  }
}

async function disposeOne(item: Disposable): Promise<void> {
  if (typeof item === 'function') await item();
  else if ('close' in item) await item.close();
  else if ('dispose' in item) await item.dispose();
  else await item[Symbol.asyncDispose]();
}

/** The leftovers of the current test file (each test file runs in its own module scope). */
export const leftovers = new Leftovers();

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves with how the promise settled, without ever rejecting. */
export async function settled<T>(
  promise: Promise<T>,
): Promise<{ status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown }> {
  try {
    return { status: 'fulfilled', value: await promise };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}

/**
 * Runs a full garbage collection (V8's `gc`, made callable in this process), then reports
 * whether the object behind `ref` is gone. The caller must not hold the object itself, and a
 * `WeakRef` keeps its target alive until the end of the job that made or read it, so this
 * waits a turn first.
 */
export async function collectedAfterFullGc(ref: WeakRef<object>): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  return ref.deref() === undefined;
}
