/**
 * The pending-call table: every method call from the moment it is made until it is settled.
 *
 * A call is a small object holding its promise's resolve/reject, its deadline, the
 * `AbortSignal` it watches (see `abort-watch.ts`), its flags and, when the table captures
 * call sites, the error created where it was made (so that a rejection points at the
 * caller's code). The table decides what may be written now:
 *
 * - calls go out in the order they were made;
 * - a `wait` call goes out alone, once no other call is in flight, and holds every later call
 *   until it has both its `result` and its `updated`;
 * - a session call (made by a session setup) is written at once by the client, outside this
 *   ordering, and holds ordinary calls the same way a `wait` call does.
 *
 * When the link drops, {@link PendingCalls.linkLost} fails what cannot be resent and puts the
 * rest back in the queue, in their original order, with their original ids.
 *
 * Nothing here touches a socket: the client writes a call that {@link PendingCalls.add} marked
 * as written (one the session could take at once), and asks {@link PendingCalls.nextSendable}
 * for the rest.
 *
 * Timeouts: a call is a {@link TimedWait}: the calls with the same timeout, of every table of
 * the process, wait in one queue in the order they were made (the order of their deadlines),
 * served by one timer, which a call that settles never touches. A call times out once its
 * deadline has passed on the monotonic clock (`performance.now()`), never earlier.
 *
 * @module
 */
import { unwatchAbort, watchAbort } from './abort-watch.js';
import type { AbortWatcher } from './abort-watch.js';
import { DdpConnectionError, DdpMethodError, DdpTimeoutError } from './errors.js';
import type { ResultFrame } from './protocol.js';
import { TimedWait } from './wait-queues.js';

/** What the client knows when it makes a call. */
export interface PendingCallInit {
  /** The method id ("1", "2", …). */
  readonly id: string;
  /** The method name (used in error messages). */
  readonly method: string;
  /** The encoded `method` frame, fixed when the call was made. */
  readonly text: string;
  /** Runs alone and holds later calls until its `result` and `updated` are in. */
  readonly wait?: boolean;
  /** Rejected (never resent) if the link drops while it is in flight. */
  readonly noRetry?: boolean;
  /** A session setup's call: written at once by the client, never resent. */
  readonly session?: boolean;
  /** Rejects with a {@link DdpTimeoutError} after this long; 0 or undefined: no timeout. */
  readonly timeoutMs?: number;
  /** Rejects with `signal.reason` when aborted. */
  readonly signal?: AbortSignal | undefined;
  /** Maps the outcome before the promise settles (none: the promise settles with it as it is). */
  readonly mapper?: CallOutcomeMapper<unknown> | undefined;
  /** Handed to {@link mapper} with the outcome. */
  readonly context?: unknown;
}

/**
 * Maps a call's outcome to what its promise settles with, so that a layer above the DDP
 * client (the Rocket.Chat client turning a result into a message) needs no promise of its
 * own on top of the call's. One object serves every call; `context` is the call's own data.
 */
export interface CallOutcomeMapper<T> {
  /** The call's result; what it returns (or throws) settles the promise (a promise is followed). */
  result(value: unknown, context: unknown): T | PromiseLike<T>;
  /** Why the call failed (server error, timeout, abort, lost link…): the promise rejects with what it returns. */
  error(reason: unknown, context: unknown): unknown;
}

/** Where a call is in its life. */
export type PendingCallState =
  /** Waiting to be written. */
  | 'queued'
  /** Written; no `result` yet. */
  | 'sent'
  /** Settled by its `result`; still holding later calls until its `updated` arrives. */
  | 'awaiting-updated'
  /** Out of the table. */
  | 'done';

const noop = (): void => undefined;

/**
 * What a call with `mapper` rejects with for `reason`: the mapper's error (or what the mapper
 * threw); `reason` itself without a mapper.
 */
export function mappedReason(mapper: CallOutcomeMapper<unknown> | undefined, context: unknown, reason: unknown): unknown {
  if (mapper === undefined) return reason;
  try {
    return mapper.error(reason, context);
  } catch (error) {
    return error;
  }
}

/** Where {@link capture} leaves a new promise's resolving functions (one executor for every call, not a closure each). */
const captured: { resolve: (value: never) => void; reject: (reason: unknown) => void } = { resolve: noop, reject: noop };

function capture(resolve: (value: never) => void, reject: (reason: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

/**
 * The call added last, in any table of the process, kept after it is done: until the next call
 * replaces it, or a table rejects all its calls (its client closed or failed for good).
 *
 * It keeps the layout of a call alive for V8. V8 keeps an object layout (a hidden class) only
 * while some object has it, and a full garbage collection that finds none drops it, and with it
 * the optimized code of every function built for it: the table's, and the client's call and
 * receive paths. Calls come and go, and between two of them none may be left; each such
 * collection would then send those paths back to the interpreter until they were hot again
 * (thousands of calls at a few percent of a round trip each). One call kept alive is enough.
 */
let lastAdded: PendingCall | undefined;

/** One entry of the table: while it has a timeout, it waits for it. */
export class PendingCall<T = unknown> extends TimedWait implements AbortWatcher {
  /** The method id, kept when the call is resent. */
  readonly id: string;
  /** The method name. */
  readonly method: string;
  /** The encoded `method` frame. */
  readonly text: string;
  /** Runs alone and holds later calls until its `result` and `updated`. */
  readonly wait: boolean;
  /** Rejected rather than resent when the link drops while it is in flight. */
  readonly noRetry: boolean;
  /** A session setup's call. */
  readonly session: boolean;
  /** The promise handed to the caller. */
  readonly promise: Promise<T>;
  /** Where the call is in its life. */
  state: PendingCallState = 'queued';
  /** `updated` arrived for this call (on the current link). */
  hasUpdated = false;
  /** Created where the call was made, when call sites are captured: its stack is grafted onto rejections. */
  readonly origin: Error | undefined;
  readonly #resolve: (value: T | PromiseLike<T>) => void;
  readonly #reject: (reason: unknown) => void;
  readonly #mapper: CallOutcomeMapper<T> | undefined;
  readonly #context: unknown;
  /** The timeout, in ms (0: none). */
  readonly timeoutMs: number;
  /** The `AbortSignal` the call watches, while it does. */
  signal: AbortSignal | undefined;
  readonly #table: PendingCalls;

  constructor(table: PendingCalls, init: PendingCallInit, origin?: Error) {
    super();
    this.#table = table;
    this.id = init.id;
    this.method = init.method;
    this.text = init.text;
    this.wait = init.wait === true;
    this.noRetry = init.noRetry === true;
    this.session = init.session === true;
    this.origin = origin;
    const timeoutMs = init.timeoutMs ?? 0;
    this.timeoutMs = timeoutMs > 0 && Number.isFinite(timeoutMs) ? timeoutMs : 0;
    this.promise = new Promise<T>(capture);
    this.#resolve = captured.resolve as (value: T | PromiseLike<T>) => void;
    this.#reject = captured.reject;
    captured.resolve = captured.reject = noop;
    this.#mapper = init.mapper as CallOutcomeMapper<T> | undefined;
    this.#context = init.context;
  }

  /** Settles {@link promise} with the result (mapped, when the call has a mapper). */
  resolveCall(value: unknown): void {
    const mapper = this.#mapper;
    if (mapper === undefined) {
      this.#resolve(value as T);
      return;
    }
    let mapped: T | PromiseLike<T>;
    try {
      mapped = mapper.result(value, this.#context);
    } catch (error) {
      this.#reject(error);
      return;
    }
    this.#resolve(mapped);
  }

  /** Settles {@link promise} with an error (mapped, when the call has a mapper). */
  rejectCall(reason: unknown): void {
    this.#reject(mappedReason(this.#mapper, this.#context, reason));
  }

  /** `true` when this call holds every later one while it is out (a `wait` or session call). */
  get isBarrier(): boolean {
    return this.wait || this.session;
  }

  /** Its timeout is over. */
  protected waitOver(): void {
    timedOut(this.#table, this as PendingCall);
  }

  /** Its signal was aborted: it rejects with `reason`. */
  aborted(reason: unknown): void {
    cancelled(this.#table, this as PendingCall, reason);
  }
}

/** Set by {@link PendingCalls}' static block: rejects a call whose timeout is over. */
let timedOut: (table: PendingCalls, call: PendingCall) => void;
/** Set by {@link PendingCalls}' static block: rejects a call still waiting for its result with `reason`. */
let cancelled: (table: PendingCalls, call: PendingCall, reason: unknown) => void;

/** Options of {@link PendingCalls}; the object is kept, and `onRelease` is called as its method. */
export interface PendingCallsOptions {
  /** Called after a call left the table on its own (timeout, abort): a barrier may have lifted. */
  readonly onRelease?: () => void;
  /**
   * Capture a stack trace where each call is made, and give it to the call's rejection. Costs
   * a few microseconds and some memory per call.
   * @default false
   */
  readonly callSiteStacks?: boolean;
}

/** The table. One per client. */
export class PendingCalls {
  /** Every call by id; made by the first call, dropped when the table empties. */
  #calls: Map<string, PendingCall> | undefined;
  /** Calls waiting to be written, in order; may hold calls that are done since (skipped). */
  #queue: PendingCall[] | undefined;
  #queueHead = 0;
  /** Calls written and not yet done (including those awaiting `updated`). */
  #inFlight = 0;
  /** Barrier calls written and not yet done. */
  #barriers = 0;
  readonly #options: PendingCallsOptions;

  constructor(options: PendingCallsOptions = {}) {
    this.#options = options;
  }

  static {
    timedOut = (table, call) => {
      const timeoutMs = call.timeoutMs;
      table.#cancel(call, withCallSite(new DdpTimeoutError(`method ${call.method} timed out after ${timeoutMs} ms`, timeoutMs), call.origin));
    };
    cancelled = (table, call, reason) => table.#cancel(call, reason);
  }

  /** Number of calls in the table (queued, in flight, or holding a barrier). */
  get size(): number {
    return this.#calls?.size ?? 0;
  }

  /** Number of calls written and not yet done. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The call with this id, if it is still in the table. */
  get(id: string): PendingCall | undefined {
    return this.#calls?.get(id);
  }

  /**
   * `true` when an ordinary call made now, a `wait` one or not, may be written at once (on a
   * session open to calls): nothing queued before it, nothing holding it. {@link add} then
   * marks it as written, so a client may write it first and add it after, in the same turn.
   */
  mayGoNow(wait: boolean): boolean {
    const queue = this.#queue;
    if (this.#barriers > 0 || (queue !== undefined && this.#queueHead < queue.length)) return false;
    return !(wait && this.#inFlight > 0);
  }

  /**
   * Adds a call. A session call is marked as written at once (the client writes it). So is
   * any other call when `linkTakesCalls` (the client's session is open to ordinary calls) and
   * it may go now: nothing queued before it, nothing holding it. Any other call is queued for
   * {@link nextSendable}. The timeout starts now.
   */
  add<T = unknown>(init: PendingCallInit, linkTakesCalls = false): PendingCall<T> {
    const call = new PendingCall<T>(this, init, this.#options.callSiteStacks === true ? new Error('call site') : undefined) as PendingCall;
    (this.#calls ??= new Map()).set(call.id, call);
    lastAdded = call;
    if (call.session || (linkTakesCalls && this.mayGoNow(call.wait))) this.#markSent(call);
    else (this.#queue ??= []).push(call);
    if (call.timeoutMs > 0) call.startWait(call.timeoutMs);
    const signal = init.signal;
    if (signal !== undefined) {
      call.signal = signal;
      watchAbort(signal, call);
    }
    return call as PendingCall<T>;
  }

  /**
   * The next call that may be written now, marked as sent; `undefined` when there is none.
   * Nothing while a barrier call is out; a `wait` call only when nothing else is in flight
   * (and then nothing after it until it is done).
   */
  nextSendable(): PendingCall | undefined {
    const queue = this.#queue;
    if (this.#barriers > 0 || queue === undefined) return undefined;
    while (this.#queueHead < queue.length) {
      const call = queue[this.#queueHead]!;
      if (call.state !== 'queued') {
        this.#queueHead++;
        continue;
      }
      if (call.wait && this.#inFlight > 0) break;
      this.#queueHead++;
      this.#markSent(call);
      return call;
    }
    this.#compactQueue();
    return undefined;
  }

  /** Every call {@link nextSendable} would hand out now, in order. */
  takeSendable(): PendingCall[] {
    const out: PendingCall[] = [];
    for (let call = this.nextSendable(); call !== undefined; call = this.nextSendable()) out.push(call);
    return out;
  }

  /** The calls still waiting to be written, in the order they will go. */
  unsent(): PendingCall[] {
    return (this.#queue ?? []).slice(this.#queueHead).filter((call) => call.state === 'queued');
  }

  /**
   * Settles the call a `result` frame answers. Returns `false` (and does nothing) for an id
   * that is unknown, not in flight, or already answered: a late or stray result.
   */
  settle(frame: ResultFrame): boolean {
    const call = this.#calls?.get(frame.id);
    if (call === undefined || call.state !== 'sent') return false;
    if (frame.error !== undefined) {
      const error = DdpMethodError.fromObject(frame.error, call.method);
      call.rejectCall(withCallSite(error, call.origin));
    } else {
      call.resolveCall(frame.result);
    }
    if (call.isBarrier && !call.hasUpdated) {
      call.state = 'awaiting-updated';
      this.#releaseResources(call);
    } else {
      this.#remove(call);
    }
    return true;
  }

  /**
   * Records an `updated` frame; lifts the barrier of calls that already have their result.
   * Unknown ids are ignored.
   * @returns `true` when a barrier was lifted (calls held behind it may go now).
   */
  updated(ids: readonly string[]): boolean {
    const calls = this.#calls;
    if (calls === undefined) return false;
    let lifted = false;
    for (let i = 0; i < ids.length; i++) {
      const call = calls.get(ids[i] as string);
      if (call === undefined) continue;
      call.hasUpdated = true;
      if (call.state === 'awaiting-updated') {
        // Only a barrier waits for its updated after its result.
        this.#remove(call);
        lifted = true;
      }
    }
    return lifted;
  }

  /**
   * The link dropped. Calls that already have their result leave (their barrier lifts);
   * session calls reject with `DdpConnectionError('closed')`; `noRetry` calls in flight
   * reject with `DdpConnectionError('invocation-failed')`; every other call goes back to the
   * queue, in its original order, to be resent with its id.
   */
  linkLost(): void {
    const calls = this.#calls;
    if (calls === undefined) return;
    for (const call of calls.values()) {
      if (call.state === 'awaiting-updated') {
        this.#remove(call);
      } else if (call.session) {
        call.rejectCall(withCallSite(new DdpConnectionError('closed', `method ${call.method}: the connection closed before its result arrived`), call.origin));
        this.#remove(call);
      } else if (call.state === 'sent' && call.noRetry) {
        call.rejectCall(
          withCallSite(
            new DdpConnectionError(
              'invocation-failed',
              `method ${call.method} might have failed: the connection dropped while it was in flight, and it may not be retried (noRetry)`,
            ),
            call.origin,
          ),
        );
        this.#remove(call);
      } else if (call.state === 'sent') {
        call.state = 'queued';
        call.hasUpdated = false;
      }
    }
    this.#inFlight = 0;
    this.#barriers = 0;
    this.#queue = this.#calls === undefined ? undefined : [...this.#calls.values()];
    this.#queueHead = 0;
  }

  /** Rejects every queued call (nothing in flight is touched) with `error`. */
  rejectQueued(error: unknown): void {
    const calls = this.#calls;
    if (calls === undefined) return;
    for (const call of calls.values()) {
      if (call.state === 'queued') {
        call.rejectCall(error);
        this.#remove(call);
      }
    }
    this.#compactQueue();
  }

  /**
   * Rejects every call still pending with `error` and empties the table; the call kept for its
   * layout ({@link lastAdded}) is let go.
   */
  rejectAll(error: unknown): void {
    const calls = this.#calls;
    if (calls !== undefined) {
      for (const call of calls.values()) {
        if (call.state !== 'awaiting-updated') call.rejectCall(error);
        this.#remove(call);
      }
    }
    this.#queue = undefined;
    this.#queueHead = 0;
    lastAdded = undefined; // it may be one of these, and their client is done with them
  }

  /** Counts `call` as written and in flight (a barrier holds what follows it). */
  #markSent(call: PendingCall): void {
    call.state = 'sent';
    this.#inFlight++;
    if (call.isBarrier) this.#barriers++;
  }

  /** A timeout or an abort: reject and leave, whatever the state. */
  #cancel(call: PendingCall, reason: unknown): void {
    if (call.state === 'done' || call.state === 'awaiting-updated') return;
    call.rejectCall(reason);
    this.#remove(call);
    this.#options.onRelease?.();
  }

  #remove(call: PendingCall): void {
    if (call.state === 'done') return;
    if (call.state === 'sent' || call.state === 'awaiting-updated') {
      this.#inFlight--;
      if (call.isBarrier) this.#barriers--;
    }
    call.state = 'done';
    const calls = this.#calls;
    if (calls !== undefined) {
      calls.delete(call.id);
      if (calls.size === 0) this.#calls = undefined;
    }
    this.#releaseResources(call);
  }

  #releaseResources(call: PendingCall): void {
    call.stopWait();
    const signal = call.signal;
    if (signal !== undefined) {
      call.signal = undefined;
      unwatchAbort(signal, call);
    }
  }

  #compactQueue(): void {
    const queue = this.#queue;
    if (queue === undefined) return;
    if (this.#queueHead === queue.length) {
      this.#queue = undefined;
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > queue.length) {
      this.#queue = queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }
}

/**
 * Gives `error` the stack of the place the call was made, so that a rejection points at the
 * caller's code rather than at the socket handler that settled it. The stack text is only
 * built if someone reads it. Without an `origin` (call sites not captured), `error` is returned as is.
 */
export function withCallSite<E extends Error>(error: E, origin: Error | undefined): E {
  if (origin === undefined) return error;
  let stack: string | undefined;
  try {
    Object.defineProperty(error, 'stack', {
      configurable: true,
      enumerable: false,
      get(): string {
        if (stack === undefined) {
          const frames = origin.stack ?? '';
          const newline = frames.indexOf('\n');
          stack = `${error.name}: ${error.message}${newline === -1 ? '' : frames.slice(newline)}`;
        }
        return stack;
      },
      set(value: string) {
        stack = value;
      },
    });
  } catch {
    // A frozen error keeps its own stack.
  }
  return error;
}
