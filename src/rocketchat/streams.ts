/**
 * Rocket.Chat streams over DDP: one shared subscription per (stream, event name), counted by
 * reference, and the dispatch of `changed` frames to the listeners of that pair.
 *
 * The server delivers every stream event as
 * `{"msg":"changed","collection":"<stream>","id":"id","fields":{"eventName":"<event>","args":[…]}}`;
 * the client hands each such frame to {@link StreamHub.dispatch}, which routes it by
 * `collection` and `fields.eventName`, and each subscription that ends to
 * {@link StreamHub.subscriptionEnded} (the hub keeps no listener on the client). The first listener of a
 * pair sends the `sub` (`[eventName, { useCollection: false, args: [] }]`), the last one to
 * leave sends the `unsub`. Because a pair has exactly one subscription, and the DDP client
 * renews it with the same id after a reconnect, events are never delivered twice.
 *
 * A pair whose subscription the server refuses after the login was lost can be parked
 * (see {@link StreamHub.parking}) and subscribed again after the next login. A pair whose
 * subscription the server's rate limit refuses (`too-many-requests`) keeps its listeners and
 * subscribes again after the server's `timeToReset`; the hub owns those timers.
 *
 * {@link MessageIterator} turns a listener into a bounded async iterator.
 *
 * @module
 */
import { unwatchAbort, watchAbort } from '../ddp/abort-watch.js';
import type { AbortWatcher } from '../ddp/abort-watch.js';
import type { ChangedFrame } from '../ddp/protocol.js';
import { DdpClosedError, isDdpMethodError } from '../ddp/errors.js';
import { isRateLimitedError, StreamOverflowError, toRocketChatError } from './errors.js';

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
  stop(): void;
}

/**
 * The part of `DdpClient` the hub uses. The client also hands the hub its `changed` frames
 * ({@link StreamHub.dispatch}) and its ended subscriptions ({@link StreamHub.subscriptionEnded}).
 */
export interface StreamTransport {
  subscribe(name: string, params?: readonly unknown[]): StreamSubscription;
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

const NO_LISTENERS: readonly StreamListener[] = Object.freeze([]);

/** A pair's listeners: the only one (most pairs have one), or a list. */
type Listeners = StreamListener | readonly StreamListener[];

function listOf(listeners: Listeners): readonly StreamListener[] {
  return Array.isArray(listeners) ? listeners : [listeners as StreamListener];
}

/** One (stream, event name) pair. */
class Entry {
  /** Replaced (never changed) when a listener comes or goes, so that a dispatch can walk it as it was. */
  listeners: Listeners = NO_LISTENERS;
  /** `undefined` while the entry is parked (waiting for a login to subscribe again). */
  subscription: StreamSubscription | undefined = undefined;
  /** The next entry of the hub's list. */
  after: Entry | undefined = undefined;
  /** In the index: the entry of another stream with the same event name. */
  next: Entry | undefined = undefined;

  constructor(
    readonly stream: string,
    readonly eventName: string,
  ) {}
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

/** The shortest wait before subscribing again after a rate-limit refusal, whatever `timeToReset` says (a zero must not make a tight loop). */
const MIN_RETRY_MS = 50;


/** How many pairs a hub holds before it indexes them by event name (a few are found faster in a list). */
const INDEX_FROM = 8;

/**
 * Shares one subscription per (stream, event name) among its listeners.
 *
 * Per pair it keeps one small entry (its listeners in an exactly-sized array) and one stop
 * listener on the subscription. The entries form a list; past {@link INDEX_FROM} of them, an
 * index by event name is made too.
 */
export class StreamHub {
  /**
   * While `true`, a pair whose subscription the server ends with a method error (a refusal)
   * is parked instead of ended: its listeners stay, without a subscription, until
   * {@link resumeParked} subscribes again. The Rocket.Chat client sets it while the
   * automatic re-login has failed, so that logging in again brings every stream back.
   */
  parking = false;
  /** `undefined` once the hub is closed. */
  #transport: StreamTransport | undefined;
  /** Every entry, linked by `after`, newest first (visited oldest first). */
  #head: Entry | undefined;
  /** By event name, once there are many entries; entries of other streams with the same event name are chained (`next`). */
  #index: Map<string, Entry> | undefined;
  /** Pairs whose subscription the server's rate limit refused, with the timer that subscribes again (made on first use). */
  #retries: Map<Entry, ReturnType<typeof setTimeout>> | undefined;

  constructor(transport: StreamTransport) {
    this.#transport = transport;
  }

  get #closed(): boolean {
    return this.#transport === undefined;
  }

  /** How many subscriptions are live (for tests and diagnostics); parked ones do not count. */
  get size(): number {
    let live = 0;
    this.#forEach((entry) => {
      if (entry.subscription !== undefined) live++;
    });
    return live;
  }

  /** How many (stream, event name) pairs wait for a login to subscribe again. */
  get parked(): number {
    let parked = 0;
    this.#forEach((entry) => {
      if (entry.subscription === undefined) parked++;
    });
    return parked;
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
    let entry = this.#find(stream, eventName);
    if (entry === undefined) {
      entry = new Entry(stream, eventName);
      this.#add(entry);
      this.#subscribe(entry);
    }
    const listeners = listOf(entry.listeners);
    if (!listeners.includes(listener)) entry.listeners = listeners.length === 0 ? listener : listeners.concat(listener);
    const current = entry;
    return () => this.#unlisten(current, listener);
  }

  /**
   * Removes a listener added with {@link listen} (as the function `listen` returned does),
   * for a caller that keeps the listener rather than that function.
   */
  unlisten(stream: string, eventName: string, listener: StreamListener): void {
    const entry = this.#find(stream, eventName);
    if (entry !== undefined) this.#unlisten(entry, listener);
  }

  /** Subscribes again every parked pair, with the listeners it had (call after a login). */
  resumeParked(): void {
    if (this.#closed) return;
    this.#forEach((entry) => {
      if (entry.subscription === undefined) this.#subscribe(entry);
    });
  }

  /** Removes one listener of a pair (and unsubscribes when it was the last one). */
  #unlisten(entry: Entry, listener: StreamListener): void {
    const listeners = listOf(entry.listeners);
    const index = listeners.indexOf(listener);
    if (index === -1) return;
    const left = listeners.filter((_, at) => at !== index);
    entry.listeners = left.length === 1 ? (left[0] as StreamListener) : left.length === 0 ? NO_LISTENERS : left;
    if (left.length > 0 || !this.#remove(entry)) return;
    this.#cancelRetry(entry);
    entry.subscription?.stop();
  }

  #subscribe(entry: Entry): void {
    this.#cancelRetry(entry);
    // Nobody asks for `ready()`: the outcome comes through subscriptionEnded, and a refused
    // `ready()` that was never asked for is not reported as unhandled.
    const transport = this.#transport;
    if (transport === undefined) return;
    entry.subscription = transport.subscribe(entry.stream, [entry.eventName, { useCollection: false, args: [] }]);
  }

  /**
   * A subscription of the transport ended (any subscription: the hub picks out its own). One
   * the hub stopped itself has left the table already; one the server ended or refused ends
   * its pair's listeners, or waits for a login or the rate limit to subscribe again.
   */
  subscriptionEnded(subscription: StreamSubscription, error: Error | undefined): void {
    if (this.#closed) return;
    let entry = this.#head;
    while (entry !== undefined && entry.subscription !== subscription) entry = entry.after;
    if (entry === undefined) return; // not ours, or stopped by us
    const limited = toRocketChatError(error);
    if (isRateLimitedError(limited)) {
      // Refused by the server's rate limit (too many subscriptions at once, e.g. after a
      // reconnect): the listeners stay, and the pair subscribes again once the limit resets.
      entry.subscription = undefined;
      this.#retryLater(entry, Math.max(limited.retryAfterMs, MIN_RETRY_MS));
      return;
    }
    if (error !== undefined && this.parking && isDdpMethodError(error)) {
      entry.subscription = undefined; // parked: the listeners stay, without a subscription
      return;
    }
    this.#remove(entry);
    const ending = listOf(entry.listeners);
    entry.listeners = NO_LISTENERS;
    callEach(ending.map((each) => () => each.onEnd?.(error)));
  }

  #retryLater(entry: Entry, delayMs: number): void {
    const retries = (this.#retries ??= new Map());
    retries.set(
      entry,
      setTimeout(() => {
        retries.delete(entry);
        if (this.#closed || entry.subscription !== undefined || this.#find(entry.stream, entry.eventName) !== entry) return;
        this.#subscribe(entry);
      }, delayMs),
    );
  }

  #cancelRetry(entry: Entry): void {
    const timer = this.#retries?.get(entry);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#retries?.delete(entry);
  }

  /**
   * The transport is being closed (it ends the subscriptions itself): stops listening to it,
   * and ends every listener quietly. Later `listen` calls end at once with `DdpClosedError`.
   */
  close(): void {
    if (this.#closed) return;
    this.#transport = undefined;
    for (const timer of this.#retries?.values() ?? []) clearTimeout(timer);
    this.#retries = undefined;
    const entries: Entry[] = [];
    this.#forEach((entry) => entries.push(entry));
    this.#head = undefined;
    this.#index = undefined;
    for (const entry of entries) {
      const ending = listOf(entry.listeners);
      entry.listeners = NO_LISTENERS;
      for (const listener of ending) {
        try {
          listener.onEnd?.();
        } catch {
          // Closing: nobody is left to tell.
        }
      }
    }
  }

  /** A `changed` frame of the transport: to the listeners of its (stream, event name) pair. */
  dispatch(frame: ChangedFrame): void {
    if (this.#closed) return;
    const fields = frame.fields;
    const eventName = fields?.['eventName'];
    if (typeof eventName !== 'string') return;
    const entry = this.#find(frame.collection, eventName);
    if (entry === undefined) return;
    const rawArgs = fields?.['args'];
    const args: readonly unknown[] = Array.isArray(rawArgs) ? rawArgs : [];
    const listeners = entry.listeners;
    if (!Array.isArray(listeners)) {
      (listeners as StreamListener).onEvent(args);
      return;
    }
    callEach(listeners.map((listener) => () => {
      if (entry.listeners === listeners || listOf(entry.listeners).includes(listener)) listener.onEvent(args);
    }));
  }

  #find(stream: string, eventName: string): Entry | undefined {
    if (this.#index !== undefined) {
      let entry = this.#index.get(eventName);
      while (entry !== undefined && entry.stream !== stream) entry = entry.next;
      return entry;
    }
    let entry = this.#head;
    while (entry !== undefined && (entry.eventName !== eventName || entry.stream !== stream)) entry = entry.after;
    return entry;
  }

  #add(entry: Entry): void {
    entry.after = this.#head;
    this.#head = entry;
    if (this.#index !== undefined) this.#indexEntry(this.#index, entry);
    else if (this.#countBeyond(INDEX_FROM)) {
      const index = new Map<string, Entry>();
      for (let each: Entry | undefined = entry; each !== undefined; each = each.after) this.#indexEntry(index, each);
      this.#index = index;
    }
  }

  /** `true` when the list holds more than `count` entries (walks at most `count + 1` of them). */
  #countBeyond(count: number): boolean {
    let entry = this.#head;
    for (let seen = 0; entry !== undefined; entry = entry.after) if (++seen > count) return true;
    return false;
  }

  #indexEntry(index: Map<string, Entry>, entry: Entry): void {
    entry.next = index.get(entry.eventName);
    index.set(entry.eventName, entry);
  }

  /** Takes `entry` out of the table; `false` if it was not in it. */
  #remove(entry: Entry): boolean {
    if (this.#head === entry) this.#head = entry.after;
    else {
      let before = this.#head;
      while (before !== undefined && before.after !== entry) before = before.after;
      if (before === undefined) return false;
      before.after = entry.after;
    }
    const index = this.#index;
    const first = index?.get(entry.eventName);
    if (index === undefined || first === undefined) return true;
    if (first === entry) {
      if (entry.next === undefined) index.delete(entry.eventName);
      else index.set(entry.eventName, entry.next);
      return true;
    }
    let before: Entry = first;
    while (before.next !== undefined && before.next !== entry) before = before.next;
    if (before.next === entry) before.next = entry.next;
    return true;
  }

  #forEach(visit: (entry: Entry) => void): void {
    const entries: Entry[] = [];
    for (let entry = this.#head; entry !== undefined; entry = entry.after) entries.push(entry);
    for (let at = entries.length - 1; at >= 0; at--) visit(entries[at] as Entry); // oldest first
  }
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
      const signal = this.#signal;
      if (signal.aborted) queueMicrotask(() => this.#onAbort.aborted(signal.reason));
      else watchAbort(signal, this.#onAbort);
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
    if (this.#signal !== undefined) unwatchAbort(this.#signal, this.#onAbort);
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
  }

  readonly #onAbort: AbortWatcher = {
    aborted: (reason) => {
      if (this.#done) return;
      this.#buffer.length = 0;
      this.end(reason);
    },
  };
}
