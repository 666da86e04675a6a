/**
 * The subscription table: id → { name, params, ready state, stop listeners }.
 *
 * A subscription lives until `stop()`, a `nosub` from the server, or the end of the client.
 * While it lives it is renewed on every new session (same id, same params); `ready()` settles
 * once, the first time the server says `ready` (a renewal does not fire it again).
 *
 * Nothing here touches a socket: the table writes through the {@link SubscriptionsHost}.
 *
 * @module
 */
import { encodeSubFrame } from './codec.js';
import { DdpClosedError, DdpMethodError } from './errors.js';
import { fromJsonValue } from './ejson.js';
import type { DdpErrorObject } from './protocol.js';

const ignore = (): void => undefined;

/** What `onStop()` takes. */
type StopListener = (error?: Error) => void;

/** The promise `ready()` hands out while the subscription is not ready, and how to settle it. */
interface ReadyPromise {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A live subscription, as handed to the caller of `subscribe()`. */
export interface Subscription {
  /** The subscription id (a random Meteor id), kept across reconnects. */
  readonly id: string;
  /** The publication's name. */
  readonly name: string;
  /**
   * The publication's arguments, as `subscribe()` encoded them (later changes to the array
   * given are not seen; `Date`s and other EJSON values come back as such).
   */
  readonly params: readonly unknown[];
  /**
   * Resolves when the server says the subscription is `ready`. Rejects with a
   * {@link DdpMethodError} when the server refuses it (`nosub` with an error), and with a
   * {@link DdpClosedError} when it ends first (stopped, closed).
   */
  ready(): Promise<void>;
  /** Ends the subscription: sends one `unsub` (if the `sub` was sent), never waits for `nosub`. Idempotent. */
  stop(): void;
  /**
   * Calls `listener` once when the subscription ends: `stop()`, `nosub` (with the server's
   * error if it sent one), the client's `close()` (no error), or the client failing for good
   * (with that error). A listener added after the end is called on the next microtask.
   * @returns a function that removes the listener.
   */
  onStop(listener: (error?: Error) => void): () => void;
}

/** What the table needs from the client. */
export interface SubscriptionsHost {
  /** Writes `{"msg":"unsub","id":…}` on the current link. */
  sendUnsub(id: string): void;
  /** Reports a stop listener that threw. */
  listenerFailed(error: unknown): void;
  /** A subscription ended (after its stop listeners), with the error they were given. */
  ended(subscription: Subscription, error: Error | undefined): void;
}

/** One entry of the table. */
export class SubscriptionEntry implements Subscription {
  readonly id: string;
  readonly name: string;
  /** The encoded params, fixed when `subscribe()` was called: all the subscription keeps of its `sub` frame. */
  readonly paramsText: string;
  /** {@link params}, decoded from {@link paramsText} when first asked for (a subscription keeps the text, not both). */
  #params: readonly unknown[] | undefined;
  /** Sent on the current link. */
  sent = false;
  #state: 'pending' | 'ready' | 'ended' = 'pending';
  /** What `ready()` handed out while the subscription was not ready (made by the first `ready()`). */
  #ready: ReadyPromise | undefined;
  /** How it ended, once it has (`readyError` only if it ended before it was ready). */
  #ending: { readonly readyError: Error | undefined; readonly stopError: Error | undefined } | undefined;
  /** The `onStop()` listeners: none, the only one (most subscriptions have one), or a list. */
  #stopListeners: StopListener | StopListener[] | undefined;
  readonly #table: Subscriptions;

  constructor(table: Subscriptions, id: string, name: string, paramsText: string) {
    this.#table = table;
    this.id = id;
    this.name = name;
    this.paramsText = paramsText;
  }

  get params(): readonly unknown[] {
    this.#params ??= Object.freeze(fromJsonValue(JSON.parse(this.paramsText)) as unknown[]);
    return this.#params;
  }

  /** The `sub` frame, made again from its parts each time it is sent (once per session). */
  get text(): string {
    return encodeSubFrame(this.id, this.name, this.paramsText);
  }

  /** `'pending'` until `ready`, `'ready'` after, `'ended'` once stopped, refused or closed. */
  get state(): 'pending' | 'ready' | 'ended' {
    return this.#state;
  }

  ready(): Promise<void> {
    if (this.#ready !== undefined) return this.#ready.promise;
    const ending = this.#ending;
    // Ready, or ended after it was ready.
    if (this.#state === 'ready' || (ending !== undefined && ending.readyError === undefined)) return Promise.resolve();
    const ready: ReadyPromise = { promise: undefined as unknown as Promise<void>, resolve: ignore, reject: ignore };
    ready.promise =
      ending === undefined
        ? new Promise<void>((resolve, reject) => {
            ready.resolve = resolve;
            ready.reject = reject;
          })
        : Promise.reject(ending.readyError);
    // The caller may drop the promise: its rejection must not be reported as unhandled.
    ready.promise.catch(ignore);
    this.#ready = ready;
    return ready.promise;
  }

  stop(): void {
    if (this.#state === 'ended') return;
    this.#table.stop(this);
  }

  onStop(listener: (error?: Error) => void): () => void {
    if (this.#state === 'ended') {
      const error = this.#ending?.stopError;
      queueMicrotask(() => this.#callListener(listener, error));
      return () => undefined;
    }
    const current = this.#stopListeners;
    if (current === undefined) this.#stopListeners = listener;
    else if (typeof current === 'function') {
      if (current !== listener) this.#stopListeners = [current, listener];
    } else if (!current.includes(listener)) current.push(listener);
    return () => this.#removeStopListener(listener);
  }

  #removeStopListener(listener: StopListener): void {
    const current = this.#stopListeners;
    if (current === listener) this.#stopListeners = undefined;
    else if (Array.isArray(current)) {
      const index = current.indexOf(listener);
      if (index !== -1) current.splice(index, 1);
    }
  }

  /** @internal the server said `ready`. */
  markReady(): void {
    if (this.#state !== 'pending') return;
    this.#state = 'ready';
    const ready = this.#ready;
    // Settled for good: later `ready()` calls get a resolved promise of their own.
    this.#ready = undefined;
    ready?.resolve();
  }

  /**
   * @internal ends the subscription: `ready()` rejects with `readyError` if it had not
   * settled, stop listeners get `stopError`.
   */
  end(readyError: Error, stopError: Error | undefined): void {
    if (this.#state === 'ended') return;
    const wasPending = this.#state === 'pending';
    if (wasPending) this.#ready?.reject(readyError);
    this.#state = 'ended';
    this.#ending = { readyError: wasPending ? readyError : undefined, stopError };
    const listeners = this.#stopListeners;
    this.#stopListeners = undefined;
    if (typeof listeners === 'function') this.#callListener(listeners, stopError);
    else if (listeners !== undefined) for (const listener of listeners) this.#callListener(listener, stopError);
    this.#table.host.ended(this, stopError);
  }

  #callListener(listener: StopListener, error: Error | undefined): void {
    try {
      if (error === undefined) listener();
      else listener(error);
    } catch (thrown) {
      this.#table.host.listenerFailed(thrown);
    }
  }
}

/** The table. One per client. */
export class Subscriptions {
  /**
   * The live subscriptions, in the order they were made. An array replaced on every change
   * (subscribing and stopping are rare; lookups by id happen once per `ready` or `nosub`):
   * the smallest table for the few subscriptions a client holds.
   */
  #entries: readonly SubscriptionEntry[] = NO_ENTRIES;
  /** @internal */
  readonly host: SubscriptionsHost;

  constructor(host: SubscriptionsHost) {
    this.host = host;
  }

  /** Number of live subscriptions. */
  get size(): number {
    return this.#entries.length;
  }

  /** The live subscription with this id. */
  get(id: string): SubscriptionEntry | undefined {
    for (const entry of this.#entries) if (entry.id === id) return entry;
    return undefined;
  }

  /** Adds a live subscription (not yet sent), with its params encoded. */
  add(id: string, name: string, paramsText: string): SubscriptionEntry {
    const entry = new SubscriptionEntry(this, id, name, paramsText);
    this.#entries = this.#entries.concat(entry); // an array of exactly the right size
    return entry;
  }

  /** Live subscriptions not yet sent on the current link, in the order they were made. */
  unsent(): SubscriptionEntry[] {
    return this.#entries.filter((entry) => !entry.sent);
  }

  /** The server said these subscriptions are ready; unknown ids are ignored. */
  ready(ids: readonly string[]): void {
    for (const id of ids) this.get(id)?.markReady();
  }

  /**
   * The server ended a subscription (`nosub`): it leaves the table and is not renewed.
   * With an error, `ready()` rejects with a {@link DdpMethodError} and stop listeners get it.
   * Returns `false` for an unknown id (e.g. the answer to our own `unsub`).
   */
  nosub(id: string, error: DdpErrorObject | undefined): boolean {
    const entry = this.get(id);
    if (entry === undefined) return false;
    this.#remove(entry);
    if (error !== undefined) {
      const failure = DdpMethodError.fromObject(error, entry.name);
      entry.end(failure, failure);
    } else {
      entry.end(new DdpClosedError(`subscription ${entry.name} was ended by the server before it was ready`), undefined);
    }
    return true;
  }

  /** `stop()` of one subscription: leaves the table, one `unsub` if its `sub` went out. */
  stop(entry: SubscriptionEntry): void {
    if (!this.#remove(entry)) return;
    if (entry.sent) {
      entry.sent = false;
      this.host.sendUnsub(entry.id);
    }
    entry.end(new DdpClosedError(`subscription ${entry.name} was stopped before it was ready`), undefined);
  }

  /** Ends a subscription that never went live (made after the client ended). */
  discard(entry: SubscriptionEntry, readyError: Error, stopError: Error | undefined): void {
    this.#remove(entry);
    entry.end(readyError, stopError);
  }

  /** The link dropped: every live subscription must be sent again on the next one. */
  linkLost(): void {
    for (const entry of this.#entries) entry.sent = false;
  }

  /** The client ended: every subscription ends (`ready()` rejects with `readyError`, stop listeners get `stopError`). */
  endAll(readyError: Error, stopError: Error | undefined): void {
    const entries = this.#entries;
    this.#entries = NO_ENTRIES;
    for (const entry of entries) entry.end(readyError, stopError);
  }

  /** Takes `entry` out of the table; `false` if it was not in it. */
  #remove(entry: SubscriptionEntry): boolean {
    const entries = this.#entries;
    const index = entries.indexOf(entry);
    if (index === -1) return false;
    this.#entries = entries.length === 1 ? NO_ENTRIES : entries.slice(0, index).concat(entries.slice(index + 1));
    return true;
  }
}

const NO_ENTRIES: readonly SubscriptionEntry[] = Object.freeze([]);
