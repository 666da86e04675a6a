/**
 * Rocket.Chat streams over DDP: one shared subscription per (stream, event name), counted by
 * reference, and the dispatch of `changed` frames to the listeners of that pair.
 *
 * The server delivers every stream event as
 * `{"msg":"changed","collection":"<stream>","id":"id","fields":{"eventName":"<event>","args":[…]}}`;
 * {@link StreamHub} routes it by `collection` and `fields.eventName`. The first listener of a
 * pair sends the `sub` (`[eventName, { useCollection: false, args: [] }]`), the last one to
 * leave sends the `unsub`. Because a pair has exactly one subscription, and the DDP client
 * renews it with the same id after a reconnect, events are never delivered twice.
 *
 * A pair whose subscription the server refuses after the login was lost can be parked
 * (see {@link StreamHubOptions.park}) and subscribed again after the next login.
 *
 * {@link MessageIterator} turns a listener into a bounded async iterator.
 *
 * @module
 */
import type { ChangedFrame } from '../ddp/protocol.js';
import { DdpClosedError } from '../ddp/errors.js';
import { StreamOverflowError } from './errors.js';

/** Publication names of the streams this layer uses. */
export const Stream = {
  /** New and changed messages of a room (event name = the room id, or `'__my_messages__'`). */
  RoomMessages: 'stream-room-messages',
  /** Room events: `<rid>/user-activity` (typing), `<rid>/deleteMessage`… */
  NotifyRoom: 'stream-notify-room',
  /** Events for the logged-in user: `<uid>/message` (private notices), `<uid>/rooms-changed`… */
  NotifyUser: 'stream-notify-user',
} as const;

/** The subscription handle the hub needs (what `DdpClient.subscribe` returns). */
export interface StreamSubscription {
  ready(): Promise<void>;
  stop(): void;
  onStop(listener: (error?: Error) => void): () => void;
}

/** The part of `DdpClient` the hub uses. */
export interface StreamTransport {
  subscribe(name: string, params?: readonly unknown[]): StreamSubscription;
  on(event: 'changed', listener: (frame: ChangedFrame) => void): unknown;
  off(event: 'changed', listener: (frame: ChangedFrame) => void): unknown;
}

/** One listener of a (stream, event name) pair. */
export interface StreamListener {
  /** An event arrived, with its `args`. */
  onEvent(args: readonly unknown[]): void;
  /**
   * The subscription ended without being asked to: `error` when the server refused or ended
   * it (`nosub` with an error), `undefined` when the client was closed. Called once.
   */
  onEnd?(error?: Error): void;
}

interface Entry {
  readonly stream: string;
  readonly eventName: string;
  readonly listeners: Set<StreamListener>;
  /** `undefined` while the entry is parked (waiting for a login to subscribe again). */
  subscription: StreamSubscription | undefined;
  detachStop: () => void;
}

/** Options of {@link StreamHub}. */
export interface StreamHubOptions {
  /**
   * Asked when the server ends a subscription with an error: `true` parks its listeners
   * instead of ending them, until {@link StreamHub.resumeParked} subscribes again. The
   * Rocket.Chat client parks refusals that come from having lost the login (a failed
   * automatic re-login), so that logging in again brings every stream back.
   * @default never park
   */
  readonly park?: (error: Error) => boolean;
}

/**
 * Calls every function, even when one throws; then rethrows the first exception. Inside the
 * DDP client's event dispatch that exception is reported to its logger as a listener that
 * threw, and never breaks the client.
 */
export function callEach(calls: readonly (() => void)[]): void {
  let failed = false;
  let first: unknown;
  for (const call of calls) {
    try {
      call();
    } catch (error) {
      if (!failed) first = error;
      failed = true;
    }
  }
  if (failed) throw first;
}

/** Shares one subscription per (stream, event name) among its listeners. */
export class StreamHub {
  readonly #transport: StreamTransport;
  readonly #park: ((error: Error) => boolean) | undefined;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(transport: StreamTransport, options: StreamHubOptions = {}) {
    this.#transport = transport;
    this.#park = options.park;
    transport.on('changed', this.#onChanged);
  }

  /** How many subscriptions are live (for tests and diagnostics); parked ones do not count. */
  get size(): number {
    let live = 0;
    for (const entry of this.#entries.values()) if (entry.subscription !== undefined) live++;
    return live;
  }

  /** How many (stream, event name) pairs wait for a login to subscribe again. */
  get parked(): number {
    return this.#entries.size - this.size;
  }

  /**
   * Adds a listener for `eventName` on `stream`; subscribes when it is the first. Returns the
   * function that removes it (and unsubscribes when it was the last); calling it twice is harmless.
   */
  listen(stream: string, eventName: string, listener: StreamListener): () => void {
    if (this.#closed) {
      const end = listener.onEnd;
      if (end !== undefined) queueMicrotask(() => end.call(listener, new DdpClosedError('the client is closed')));
      return () => {};
    }
    const key = `${stream}\u0000${eventName}`;
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { stream, eventName, listeners: new Set(), subscription: undefined, detachStop: () => {} };
      this.#entries.set(key, entry);
      this.#subscribe(key, entry);
    }
    const current = entry;
    current.listeners.add(listener);
    return () => {
      if (!current.listeners.delete(listener)) return;
      if (current.listeners.size > 0 || this.#entries.get(key) !== current) return;
      this.#entries.delete(key);
      current.detachStop();
      current.subscription?.stop();
    };
  }

  /** Subscribes again every parked pair, with the listeners it had (call after a login). */
  resumeParked(): void {
    if (this.#closed) return;
    for (const [key, entry] of this.#entries) {
      if (entry.subscription === undefined) this.#subscribe(key, entry);
    }
  }

  #subscribe(key: string, entry: Entry): void {
    const subscription = this.#transport.subscribe(entry.stream, [entry.eventName, { useCollection: false, args: [] }]);
    // The outcome is reported through onStop; this only keeps a refused `ready()` from going unhandled.
    subscription.ready().catch(() => {});
    entry.subscription = subscription;
    entry.detachStop = subscription.onStop((error) => {
      if (this.#entries.get(key)?.subscription !== subscription) return; // stopped by us
      entry.detachStop = () => {};
      if (error !== undefined && this.#park?.(error) === true) {
        entry.subscription = undefined; // parked: the listeners stay, without a subscription
        return;
      }
      this.#entries.delete(key);
      const ending = [...entry.listeners];
      entry.listeners.clear();
      callEach(ending.map((each) => () => each.onEnd?.(error)));
    });
  }

  /**
   * The transport is being closed (it ends the subscriptions itself): stops listening to it,
   * and ends every listener quietly. Later `listen` calls end at once with `DdpClosedError`.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.off('changed', this.#onChanged);
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) {
      entry.detachStop();
      const ending = [...entry.listeners];
      entry.listeners.clear();
      for (const listener of ending) {
        try {
          listener.onEnd?.();
        } catch {
          // Closing: nobody is left to tell.
        }
      }
    }
  }

  readonly #onChanged = (frame: ChangedFrame): void => {
    const eventName = frame.fields?.['eventName'];
    if (typeof eventName !== 'string') return;
    const entry = this.#entries.get(`${frame.collection}\u0000${eventName}`);
    if (entry === undefined) return;
    const rawArgs = frame.fields?.['args'];
    const args: readonly unknown[] = Array.isArray(rawArgs) ? rawArgs : [];
    callEach([...entry.listeners].map((listener) => () => {
      if (entry.listeners.has(listener)) listener.onEvent(args);
    }));
  };
}

/** Options of the iterator `RocketChatClient.messages()` returns. */
export interface MessageIteratorOptions {
  /** Aborting ends the iterator: the pending (or next) `next()` rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /**
   * At most this many items wait for the consumer; one more ends the iterator with
   * `StreamOverflowError` rather than dropping anything silently.
   * @default 1000
   */
  readonly bufferSize?: number | undefined;
}

/** The default bound of a `messages()` buffer. */
export const DEFAULT_STREAM_BUFFER_SIZE = 1000;

interface Waiter<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: unknown): void;
}

/**
 * A bounded async iterator fed by {@link push}. It ends when the consumer leaves the loop
 * (`return()`), when the signal aborts, or when {@link end} is called (with an error: the
 * next `next()` rejects with it once buffered items are consumed). On every end it calls
 * `onClose` once (which unsubscribes).
 */
export class MessageIterator<T> implements AsyncIterableIterator<T, undefined> {
  readonly #buffer: T[] = [];
  readonly #waiters: Waiter<T>[] = [];
  readonly #bufferSize: number;
  readonly #label: string;
  readonly #signal: AbortSignal | undefined;
  #onClose: (() => void) | undefined;
  #done = false;
  #error: unknown;
  #hasError = false;

  constructor(label: string, onClose: () => void, options: MessageIteratorOptions = {}) {
    this.#label = label;
    this.#onClose = onClose;
    this.#bufferSize = options.bufferSize ?? DEFAULT_STREAM_BUFFER_SIZE;
    this.#signal = options.signal;
    if (this.#signal !== undefined) {
      if (this.#signal.aborted) queueMicrotask(this.#onAbort);
      else this.#signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Delivers an item (ignored once the iterator has ended). */
  push(item: T): void {
    if (this.#done) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ value: item, done: false });
      return;
    }
    if (this.#buffer.length >= this.#bufferSize) {
      this.end(new StreamOverflowError(this.#label, this.#bufferSize));
      return;
    }
    this.#buffer.push(item);
  }

  /** Ends the iterator; with an error, the consumer sees it after the buffered items. */
  end(error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    if (error !== undefined) {
      this.#error = error;
      this.#hasError = true;
    }
    this.#release();
    for (const waiter of this.#waiters.splice(0)) this.#settleEnded(waiter);
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#buffer.length > 0) {
      return Promise.resolve({ value: this.#buffer.shift() as T, done: false });
    }
    if (this.#done) {
      return new Promise((resolve, reject) => this.#settleEnded({ resolve, reject }));
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Leaving a `for await` loop lands here: unsubscribes and drops what was buffered. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.#buffer.length = 0;
    this.#hasError = false;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    this.#buffer.length = 0;
    this.#hasError = false;
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #settleEnded(waiter: Waiter<T>): void {
    if (this.#hasError) {
      this.#hasError = false; // reported once; after that the iterator is simply done
      waiter.reject(this.#error);
    } else {
      waiter.resolve({ value: undefined, done: true });
    }
  }

  #release(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
  }

  readonly #onAbort = (): void => {
    if (this.#done) return;
    this.#buffer.length = 0;
    this.end(this.#signal?.reason);
  };
}
