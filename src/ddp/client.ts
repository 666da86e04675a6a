/**
 * `DdpClient`: one DDP session over one WebSocket, kept alive for as long as the user wants it.
 *
 * ```text
 *            connect()                 connected
 *   idle ───────────────▶ connecting ─────────────▶ connected ──┐ session setups run,
 *    ▲  first attempt failed  │  ▲                      │        │ then subs are renewed and
 *    └────────────────────────┘  │ retry timer fires    │ link   │ calls (re)sent
 *                                │                      ▼ lost   │
 *                                └──────────────── waiting ◀────┘
 *   any state ── close() ──▶ closed        version refused / maxAttempts ──▶ failed
 * ```
 *
 * The client is the sole owner of the socket and of every connection timer (connect timeout,
 * heartbeat, retry timer, close grace). Every way a link can end — socket error or close,
 * connect timeout, heartbeat timeout, an oversized frame, `failed`, `close()` — goes through
 * one `#teardown()`, which clears the timers and detaches the socket; then one function,
 * {@link classifyLoss}, decides between retrying, going back to `idle`, and failing for good.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { unwatchAbort, watchAbort, type AbortWatcher } from './abort-watch.js';
import { DEFAULT_MAX_FRAME_BYTES, decodeServerFrame, encodeFrame, encodeSubFrame, encodeValue, exceedsBytes, utf8Length } from './codec.js';
import {
  DdpClosedError,
  DdpConnectionError,
  DdpLimitError,
  DdpProtocolError,
  DdpVersionError,
  type DdpConnectionErrorCode,
} from './errors.js';
import { DEFAULT_RECONNECT_OPTIONS, backoffDelay, resolveReconnectOptions, type ReconnectOptions } from './backoff.js';
import { DEFAULT_HEARTBEAT_OPTIONS, Heartbeat, type HeartbeatOptions } from './heartbeat.js';
import { mappedReason, PendingCalls, type CallOutcomeMapper, type PendingCallsOptions } from './pending.js';
import {
  SUPPORTED_DDP_VERSIONS,
  type AddedFrame,
  type ChangedFrame,
  type ClientFrame,
  type ConnectFrame,
  type RemovedFrame,
  type ServerFrame,
} from './protocol.js';
import { randomId } from './random-id.js';
import { redactFrame } from './redact.js';
import { DdpSocket, errorCodeOf, type SocketEnd, type SocketListener, type WebSocketConstructor } from './socket.js';
import type { ConnectionStatus, DdpClientEvents, StatusDetails } from './status.js';
import { Subscriptions, type Subscription, type SubscriptionsHost } from './subscriptions.js';
import { describeUrl, normalizeDdpUrl } from './url.js';

export type { HeartbeatOptions } from './heartbeat.js';
export type { ReconnectOptions } from './backoff.js';
export type { Subscription } from './subscriptions.js';
export type { WebSocketConstructor, WebSocketLike } from './socket.js';
export type { ConnectionStatus, DdpClientEvents, StatusDetails } from './status.js';

/** Where the client's diagnostics go. Frames reach it with every secret redacted. */
export interface DdpLogger {
  /**
   * Every frame in and out (secrets redacted), state changes, ignored frames; for a
   * `RocketChatClient`, also every REST request and answer (`rest request`, `rest response`;
   * the auth token redacted).
   */
  debug(message: string, data?: unknown): void;
  /**
   * Problems the client recovered from: a malformed frame, a listener that threw, a failed
   * session setup, a REST answer that was lost (and is sent again).
   */
  warn(message: string, data?: unknown): void;
}

/** Options of {@link DdpClient}. */
export interface DdpClientOptions {
  /**
   * The server: `ws(s)://` or `http(s)://`; `/websocket` is appended when the URL has no path.
   * @example 'https://chat.example.com'
   */
  url: string;
  /**
   * The WebSocket constructor: a browser's, React Native's, or `ws`'s.
   * @default isomorphic-ws (`ws` in Node, the global `WebSocket` in browsers)
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Time allowed for the socket to open and the server to answer `connected`, per attempt.
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * Time allowed for a call's `result`, from the moment it is made; 0 = no limit. A call can
   * override it.
   * @default 60000
   */
  callTimeoutMs?: number;
  /**
   * Ping after `intervalMs` of inbound silence; no frame within `timeoutMs` after that = dead
   * link (dropped and retried). `false` (or `intervalMs: 0`) disables it.
   * @default { intervalMs: 17500, timeoutMs: 15000 }
   */
  heartbeat?: Partial<HeartbeatOptions> | false;
  /**
   * How a lost connection is retried; merged with the defaults. `false`: a drop after
   * `connected` ends in `'failed'`.
   * @default { initialDelayMs: 1000, factor: 2.2, maxDelayMs: 300000, jitter: 0.25, maxAttempts: Infinity }
   */
  reconnect?: Partial<ReconnectOptions> | false;
  /**
   * Replaces the computed delay before retry number `attempt` (1-based), in milliseconds.
   * @default the schedule of `reconnect` (see `backoffDelay`)
   * @example backoff: () => 5 // tests
   */
  backoff?: (attempt: number) => number;
  /**
   * Bound on calls waiting or in flight; a call over it rejects at once with a `DdpLimitError`.
   * @default 10000
   */
  maxPendingCalls?: number;
  /**
   * Bound on one frame, in UTF-8 bytes. A larger incoming frame drops the link (which is
   * retried); a larger outgoing one rejects its call before anything is sent.
   * @default 16777216 (16 MiB)
   */
  maxFrameBytes?: number;
  /**
   * Receives debug traces (every frame, secrets redacted) and warnings.
   * @default none
   */
  logger?: DdpLogger;
  /**
   * Capture a stack trace where each call is made, so that a call's rejection (server error,
   * timeout, dropped connection) has a `stack` showing the code that made the call rather
   * than the socket handler that settled it. Off by default: capturing a stack costs a few
   * microseconds and some memory per call; turn it on while debugging.
   * @default false
   */
  callSiteStacks?: boolean;
}

/** Options of one call. */
export interface CallOptions {
  /**
   * Overrides the client's `callTimeoutMs` for this call; 0 = no limit.
   * @default the client's callTimeoutMs
   */
  timeoutMs?: number;
  /** Aborts the call: it rejects with `signal.reason` (and is never sent if it was not yet). */
  signal?: AbortSignal;
  /**
   * Run alone: sent once no other call is in flight; later calls wait for its `result` and `updated`.
   * @default false
   */
  wait?: boolean;
  /**
   * Never resend: if the link drops while the call is in flight, it rejects with
   * `DdpConnectionError('invocation-failed')`.
   * @default false
   */
  noRetry?: boolean;
}

/** Options of {@link DdpClient.connect}. */
export interface ConnectOptions {
  /**
   * Keep trying on the backoff schedule instead of rejecting when the first attempt fails.
   * @default false
   */
  retry?: boolean;
  /** Gives up: `connect()` rejects with `signal.reason` (and the client goes back to `idle` if nothing else waits). */
  signal?: AbortSignal;
}

/**
 * What a session setup gets: the new session, and a `call` that bypasses the gate that holds
 * every other call until the setups are done. Its calls are not resent after a drop.
 */
export interface DdpSession {
  /** The server's session id. */
  readonly id: string;
  /** Calls a method on this session at once. Rejects with `DdpConnectionError('closed')` if the session ends first. */
  call<T = unknown>(
    method: string,
    params?: readonly unknown[],
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<T>;
}

/** Runs on every new session, before subscriptions are renewed and calls (re)sent. */
export type SessionSetup = (session: DdpSession) => Promise<void> | void;

/** How a link ended, as {@link classifyLoss} sees it. */
export type LinkLoss =
  /** The transport failed: `refused` (never opened), `timeout` (no session in time), `closed`. */
  | { readonly kind: 'transport'; readonly code: Exclude<DdpConnectionErrorCode, 'invocation-failed'>; readonly message: string }
  /** The server answered `failed`, suggesting `serverVersion`. */
  | { readonly kind: 'version'; readonly serverVersion: string };

/** What the client knows when it classifies a loss. */
export interface LossContext {
  /** The client has had a session since it last left `idle`: drops are its own to retry. */
  readonly everConnected: boolean;
  /** `reconnect` is not `false`. */
  readonly reconnect: boolean;
  /** A pending `connect({ retry: true })` asks to keep trying. */
  readonly retryRequested: boolean;
  /** Retries already made since the last session (or since `connect()`). */
  readonly retries: number;
  /** `reconnect.maxAttempts`. */
  readonly maxAttempts: number;
  /** Versions already proposed in this series of attempts. */
  readonly versionsTried: ReadonlySet<string>;
}

/** What to do after a loss. */
export type LossDecision =
  | { readonly action: 'renegotiate'; readonly version: string }
  | { readonly action: 'retry'; readonly error: DdpConnectionError }
  | { readonly action: 'idle'; readonly error: DdpConnectionError }
  | { readonly action: 'fail'; readonly error: DdpConnectionError | DdpVersionError };

/**
 * The one place that decides, for every way a link can end, what happens next:
 * - `failed` with a version we speak and have not tried yet: reconnect at once proposing it;
 *   `failed` otherwise: final (`DdpVersionError`);
 * - a transport loss while the client has a session to keep (it connected before): retry,
 *   unless `reconnect` is `false` or `maxAttempts` retries have failed (final);
 * - a transport loss during a `connect()`: retry if it asked to, else back to `idle`.
 */
export function classifyLoss(loss: LinkLoss, context: LossContext): LossDecision {
  if (loss.kind === 'version') {
    const speaks = (SUPPORTED_DDP_VERSIONS as readonly string[]).includes(loss.serverVersion);
    if (speaks && !context.versionsTried.has(loss.serverVersion)) {
      return { action: 'renegotiate', version: loss.serverVersion };
    }
    return { action: 'fail', error: new DdpVersionError(loss.serverVersion) };
  }
  const error = new DdpConnectionError(loss.code, loss.message);
  const keepTrying = context.everConnected ? context.reconnect : context.retryRequested;
  if (!keepTrying) return context.everConnected ? { action: 'fail', error } : { action: 'idle', error };
  if (context.retries >= context.maxAttempts) {
    const attempts = context.retries === 1 ? '1 retry' : `${context.retries} retries`;
    return { action: 'fail', error: new DdpConnectionError(loss.code, `gave up after ${attempts}: ${loss.message}`) };
  }
  return { action: 'retry', error };
}

/** How long `close()` waits for the server to acknowledge the close before cutting the socket. */
export const CLOSE_GRACE_MS = 500;

interface ResolvedOptions {
  readonly WebSocket: WebSocketConstructor | undefined;
  readonly connectTimeoutMs: number;
  readonly callTimeoutMs: number;
  readonly heartbeat: HeartbeatOptions | false;
  readonly reconnect: ReconnectOptions;
  readonly reconnectEnabled: boolean;
  readonly backoff: ((attempt: number) => number) | undefined;
  readonly maxPendingCalls: number;
  readonly maxFrameBytes: number;
  readonly logger: DdpLogger | undefined;
  readonly callSiteStacks: boolean;
}

/** A client whatever its event map (a class built on `DdpClient` may add events). */
type AnyDdpClient = DdpClient<any>;

/**
 * What the objects below reach of their client: its private handlers, one function each.
 * Set once, by {@link DdpClient}'s static block (the only code that can see them).
 */
interface ClientInternals {
  opened(client: AnyDdpClient, link: Link): void;
  text(client: AnyDdpClient, link: Link, text: string): void;
  nonText(client: AnyDdpClient, link: Link, kind: string): void;
  ended(client: AnyDdpClient, link: Link, end: SocketEnd): void;
  ping(client: AnyDdpClient, link: Link): void;
  heartbeatTimedOut(client: AnyDdpClient, link: Link): void;
  heartbeatOptions(client: AnyDdpClient): HeartbeatOptions;
  callSiteStacks(client: AnyDdpClient): boolean;
  released(client: AnyDdpClient): void;
  unsub(client: AnyDdpClient, id: string): void;
  stopListenerFailed(client: AnyDdpClient, error: unknown): void;
  subscriptionEnded(client: AnyDdpClient, subscription: Subscription, error: Error | undefined): void;
}

let internals: ClientInternals;

/** A call that fails before it is made: rejected with `reason`, mapped when the call has a mapper. */
function rejected<T>(mapper: CallOutcomeMapper<unknown> | undefined, context: unknown, reason: unknown): Promise<T> {
  return Promise.reject(mappedReason(mapper, context, reason));
}

/**
 * @internal `client.call(method, params, options)` whose promise settles with `mapper`'s
 * mapping of the outcome (given `context`): for a layer above this client, which then
 * needs no promise of its own on top of the call's. Set by {@link DdpClient}'s static block.
 */
export let callMapped: <T>(
  client: AnyDdpClient,
  method: string,
  params: readonly unknown[],
  options: CallOptions,
  mapper: CallOutcomeMapper<T>,
  context: unknown,
) => Promise<T>;

/**
 * One socket and what the client knows about it. It is also what the socket reports to, and
 * its own heartbeat (its base class): one object per link rather than a closure per callback
 * and a heartbeat object beside it.
 */
class Link extends Heartbeat implements SocketListener {
  socket: DdpSocket | undefined = undefined;
  /** The server answered `connected`. */
  connected = false;
  /** The session setups are done: subscriptions and ordinary calls may be written. */
  gateOpen = false;
  session: string | undefined = undefined;

  constructor(
    readonly client: AnyDdpClient,
    readonly version: string,
  ) {
    super();
  }

  get intervalMs(): number {
    return internals.heartbeatOptions(this.client).intervalMs;
  }

  get timeoutMs(): number {
    return internals.heartbeatOptions(this.client).timeoutMs;
  }

  open(): void {
    internals.opened(this.client, this);
  }

  text(text: string): void {
    internals.text(this.client, this, text);
  }

  nonText(kind: string): void {
    internals.nonText(this.client, this, kind);
  }

  end(end: SocketEnd): void {
    internals.ended(this.client, this, end);
  }

  protected sendPing(): void {
    internals.ping(this.client, this);
  }

  protected onTimeout(): void {
    internals.heartbeatTimedOut(this.client, this);
  }
}

/** What the call and subscription tables report to: one per client. */
class TablesHost implements PendingCallsOptions, SubscriptionsHost {
  constructor(readonly client: AnyDdpClient) {}

  get callSiteStacks(): boolean {
    return internals.callSiteStacks(this.client);
  }

  onRelease(): void {
    internals.released(this.client);
  }

  sendUnsub(id: string): void {
    internals.unsub(this.client, id);
  }

  listenerFailed(error: unknown): void {
    internals.stopListenerFailed(this.client, error);
  }

  ended(subscription: Subscription, error: Error | undefined): void {
    internals.subscriptionEnded(this.client, subscription, error);
  }
}

const NO_PARAMS: readonly unknown[] = Object.freeze([]);
const NO_CALL_OPTIONS: CallOptions = Object.freeze({});

const NO_WAITERS: ReadonlySet<ConnectWaiter> = new Set<ConnectWaiter>();

interface ConnectWaiter {
  readonly retry: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  /** What watches {@link signal}, when there is one. */
  onAbort: AbortWatcher | undefined;
}

/**
 * A series of attempts at a session: what the client keeps while it has none and tries to
 * get one (from `connect()`, or from a lost session), dropped once it has one or gives up.
 * A connected client keeps none of it.
 */
class Attempts {
  /** The connect timeout while `connecting`, the retry delay while `waiting` (never both). */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Retries made so far in the series. */
  retries = 0;
  /** Versions proposed so far in the series. */
  readonly versionsTried = new Set<string>();
  /** Pending `connect()`s, while there are any. */
  waiters: Set<ConnectWaiter> | undefined = undefined;

  constructor(
    /** The series began with the loss of a session: its drops are the client's own to retry. */
    public everConnected: boolean,
  ) {}
}

/**
 * A DDP client: connects, negotiates the version, keeps the link alive, correlates calls and
 * results, renews subscriptions and resends unanswered calls after every reconnect.
 *
 * @example
 * ```ts
 * const client = new DdpClient({ url: 'https://chat.example.com' });
 * await client.connect();
 * const result = await client.call('getRoomIdByNameOrId', ['general']);
 * await client.close();
 * ```
 */
export class DdpClient<Events extends DdpClientEvents = DdpClientEvents> extends EventEmitter<Events> {
  /** The normalised WebSocket URL. */
  readonly url: string;
  readonly #options: ResolvedOptions;
  #status: ConnectionStatus = 'idle';
  #link: Link | undefined;
  /** While the client has no session and tries to get one. */
  #attempts: Attempts | undefined;
  #version: string = SUPPORTED_DDP_VERSIONS[0];
  readonly #pending: PendingCalls;
  readonly #subscriptions: Subscriptions;
  #setups: readonly { readonly setup: SessionSetup }[] | undefined;
  #final: Error | undefined;
  #closing: Promise<void> | undefined;
  #nextMethodId = 0;

  /**
   * @throws {TypeError} for a URL that is not http(s) or ws(s); {@link RangeError} for an
   *   option out of range.
   */
  constructor(options: DdpClientOptions) {
    super();
    this.url = normalizeDdpUrl(options.url);
    this.#options = resolveOptions(options);
    const host = new TablesHost(this);
    this.#pending = new PendingCalls(host);
    this.#subscriptions = new Subscriptions(host);
  }

  // -------------------------------------------------------------------------------------
  // For classes built on this one (RocketChatClient is one): hooks that cost a client
  // nothing, unlike a listener or a registered setup.

  /**
   * Runs on every new session, before the setups of {@link addSessionSetup}, the renewed
   * subscriptions and the (re)sent calls; a class built on this client overrides it (e.g. to
   * log in again). A rejection is reported to the logger and does not stop the session.
   */
  protected setUpSession(session: DdpSession): Promise<void> | void {
    void session;
  }

  /**
   * Sees every `added`, `changed` and `removed` frame just before its event is emitted; a
   * class built on this client overrides it to route documents or stream events. An
   * exception is reported to the logger, as a listener's would be.
   */
  protected documentReceived(frame: AddedFrame | ChangedFrame | RemovedFrame): void {
    void frame;
  }

  /**
   * Called once for every subscription that ends, however it ends (as its `onStop()`
   * listeners are, after them, with the same `error`); a class built on this client
   * overrides it to follow the subscriptions it made without a listener on each.
   */
  protected subscriptionEnded(subscription: Subscription, error: Error | undefined): void {
    void subscription;
    void error;
  }

  static {
    callMapped = (client, method, params, options, mapper, context) =>
      client.#call(method, params, options, undefined, mapper as CallOutcomeMapper<unknown>, context);
    // Each handler runs a socket or timer callback: nothing escapes it.
    internals = {
      opened(client, link) {
        try {
          client.#onOpen(link);
        } catch (error) {
          client.#internalError(error);
        }
      },
      text(client, link, text) {
        try {
          client.#onText(link, text);
        } catch (error) {
          client.#internalError(error);
        }
      },
      nonText(client, link, kind) {
        try {
          if (client.#link !== link) return;
          link.messageReceived();
          client.#protocolError(new DdpProtocolError(`received a ${kind}; DDP frames are text`));
        } catch (error) {
          client.#internalError(error);
        }
      },
      ended(client, link, end) {
        try {
          client.#onSocketEnd(link, end);
        } catch (error) {
          client.#internalError(error);
        }
      },
      ping(client, link) {
        client.#write(link, { msg: 'ping' });
      },
      heartbeatTimedOut(client, link) {
        client.#lose(link, {
          kind: 'transport',
          code: 'closed',
          message: `heartbeat timed out: no frame from ${client.#where} within ${link.timeoutMs} ms of a ping`,
        });
      },
      heartbeatOptions(client) {
        return client.#options.heartbeat || DEFAULT_HEARTBEAT_OPTIONS;
      },
      callSiteStacks(client) {
        return client.#options.callSiteStacks;
      },
      released(client) {
        client.#pump();
      },
      unsub(client, id) {
        const link = client.#link;
        if (link?.gateOpen === true) client.#write(link, { msg: 'unsub', id });
      },
      stopListenerFailed(client, error) {
        client.#warn('a subscription stop listener threw', { error: messageOf(error) });
      },
      subscriptionEnded(client, subscription, error) {
        try {
          client.subscriptionEnded(subscription, error);
        } catch (thrown) {
          client.#warn('a subscription stop listener threw', { error: messageOf(thrown) });
        }
      },
    };
  }

  /** The server's URL as error messages show it (no credentials, no query). */
  get #where(): string {
    return describeUrl(this.url);
  }

  /** Where the client is in its life (see {@link ConnectionStatus}). */
  get status(): ConnectionStatus {
    return this.#status;
  }

  /** The server's id of the current session; `undefined` while there is none. */
  get session(): string | undefined {
    const link = this.#link;
    return link?.connected === true ? link.session : undefined;
  }

  /** How many calls are waiting or in flight (bounded by `maxPendingCalls`). */
  get pendingCallCount(): number {
    return this.#pending.size;
  }

  /**
   * Opens the connection. Resolves on `connected` (at once if already connected). Without
   * `retry`, rejects with a `DdpConnectionError` (`'refused'`, `'timeout'`, `'closed'`) when
   * the next attempt fails — the client then goes back to `idle` unless it was keeping a
   * session alive. With `retry: true`, keeps trying on the backoff schedule until connected,
   * aborted, or `maxAttempts`. Rejects with a `DdpVersionError` when no version is shared, and
   * with `DdpClosedError` after `close()`. While the client is `waiting`, tries again at once.
   */
  connect(options: ConnectOptions = {}): Promise<void> {
    if (this.#final !== undefined) return Promise.reject(this.#final);
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.#status === 'connected') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: ConnectWaiter = { retry: options.retry === true, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = { aborted: () => this.#abortWaiter(waiter) };
        watchAbort(signal, waiter.onAbort);
      }
      // From `idle`, a new series of attempts; while `connecting` or `waiting`, the current one.
      if (this.#status === 'idle' || this.#attempts === undefined) this.#attempts = new Attempts(false);
      (this.#attempts.waiters ??= new Set()).add(waiter);
      if (this.#status === 'idle') {
        this.#openLink();
      } else if (this.#status === 'waiting') {
        this.#clearLinkTimer();
        this.#openLink();
      }
    });
  }

  /**
   * Calls a remote method. Resolves with its `result` (`undefined` when the server sent
   * none); rejects with a `DdpMethodError` (the server's `error`, `reason`, `details`), a
   * `DdpTimeoutError`, `signal.reason`, a `DdpLimitError` (nothing sent), a
   * `DdpConnectionError` (`noRetry` call cut by a drop, or the first `connect()` failed),
   * or a `DdpClosedError`. Calls made while not connected wait for the next session.
   * `params` are encoded when the call is made: later changes to them are not seen.
   */
  call<T = unknown>(method: string, params: readonly unknown[] = NO_PARAMS, options: CallOptions = NO_CALL_OPTIONS): Promise<T> {
    return this.#call<T>(method, params, options, undefined);
  }

  /**
   * Subscribes to a publication. The `sub` goes out now if the session is ready, else after
   * the next session's setups; it is renewed (same id) after every reconnect until stopped.
   *
   * @throws {TypeError} when `name` is not a string or `params` cannot be encoded.
   * @throws {DdpLimitError} when the `sub` frame would exceed `maxFrameBytes`.
   */
  subscribe(name: string, params: readonly unknown[] = []): Subscription {
    if (typeof name !== 'string') throw new TypeError('subscribe: the publication name must be a string');
    if (!Array.isArray(params)) throw new TypeError(`subscribe ${name}: params must be an array`);
    const id = randomId();
    let paramsText: string;
    try {
      paramsText = encodeValue(params);
    } catch (error) {
      throw new TypeError(`subscribe ${name}: params cannot be encoded: ${messageOf(error)}`, { cause: error });
    }
    const text = encodeSubFrame(id, name, paramsText);
    const max = this.#options.maxFrameBytes;
    if (exceedsBytes(text, max)) {
      throw new DdpLimitError('maxFrameBytes', max, `subscribe ${name}: frame of ${utf8Length(text)} bytes exceeds maxFrameBytes (${max})`);
    }
    const entry = this.#subscriptions.add(id, name, paramsText);
    if (this.#final !== undefined) {
      const closed = this.#status === 'closed';
      this.#subscriptions.discard(entry, closed ? new DdpClosedError('the client is closed') : this.#final, closed ? undefined : this.#final);
      return entry;
    }
    const link = this.#link;
    if (link?.gateOpen === true) {
      entry.sent = true;
      this.#writeText(link, text);
    }
    return entry;
  }

  /**
   * Registers a setup to run on every new session (the first one too), in registration
   * order, before subscriptions are renewed and calls are (re)sent. A setup that rejects is
   * logged and does not stop the session.
   * @returns a function that unregisters it.
   */
  addSessionSetup(setup: SessionSetup): () => void {
    const registration = { setup };
    // Arrays of exactly the right size: a client keeps one or two setups for its whole life.
    this.#setups = this.#setups === undefined ? [registration] : this.#setups.concat(registration);
    return () => {
      const setups = this.#setups?.filter((each) => each !== registration);
      this.#setups = setups === undefined || setups.length === 0 ? undefined : setups;
    };
  }

  /**
   * Ends the client for good: every pending call and `ready()` rejects with a
   * `DdpClosedError`, timers are cleared, the socket is closed. Resolves once the socket has
   * closed, or after a short grace period if the server does not answer. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const error = new DdpClosedError('the client was closed');
    const wasConnected = this.#link?.connected === true;
    this.#final = error;
    this.#closing = this.#teardown(this.#link, 'polite');
    this.#pending.rejectAll(error);
    this.#subscriptions.endAll(error, undefined);
    this.#endAttempts(error);
    if (wasConnected) this.#emit('disconnected', 'closed by the client');
    this.#setStatus('closed', { reason: 'closed by the client' });
    return this.#closing;
  }

  // -------------------------------------------------------------------------------------
  // Calls

  #call<T>(
    method: string,
    params: readonly unknown[],
    options: CallOptions,
    sessionLink: Link | undefined,
    mapper?: CallOutcomeMapper<unknown>,
    context?: unknown,
  ): Promise<T> {
    if (typeof method !== 'string') return rejected(mapper, context, new TypeError('call: the method name must be a string'));
    if (!Array.isArray(params)) return rejected(mapper, context, new TypeError(`method ${method}: params must be an array`));
    if (this.#final !== undefined) return rejected(mapper, context, this.#finalErrorForCall());
    if (sessionLink !== undefined && (this.#link !== sessionLink || !sessionLink.connected)) {
      return rejected(mapper, context, new DdpConnectionError('closed', `method ${method}: the session has ended`));
    }
    const signal = options.signal;
    if (signal?.aborted === true) return rejected(mapper, context, signal.reason);
    const maxPending = this.#options.maxPendingCalls;
    if (this.#pending.size >= maxPending) {
      return rejected(
        mapper,
        context,
        new DdpLimitError('maxPendingCalls', maxPending, `method ${method}: ${maxPending} calls are already pending (maxPendingCalls)`),
      );
    }
    const id = String(++this.#nextMethodId);
    let text: string;
    try {
      text = encodeFrame({ msg: 'method', id, method, params });
    } catch (error) {
      return rejected(mapper, context, new TypeError(`method ${method}: params cannot be encoded: ${messageOf(error)}`, { cause: error }));
    }
    const maxBytes = this.#options.maxFrameBytes;
    if (exceedsBytes(text, maxBytes)) {
      return rejected(
        mapper,
        context,
        new DdpLimitError('maxFrameBytes', maxBytes, `method ${method}: frame of ${utf8Length(text)} bytes exceeds maxFrameBytes (${maxBytes})`),
      );
    }
    const link = sessionLink ?? this.#link;
    // An ordinary call that may go now is written before it enters the table: the server
    // starts on it while the table does its bookkeeping. Only where nothing can answer it or
    // end the link before this turn is over (a `ws` socket), and with no logger, whose code
    // would run in between.
    const writtenFirst =
      sessionLink === undefined &&
      link?.gateOpen === true &&
      link.socket?.reportsAsync === true &&
      this.#options.logger === undefined &&
      this.#pending.mayGoNow(options.wait === true);
    if (writtenFirst) this.#writeText(link, text, undefined, this.#pending.inFlight > 0);
    const pending = this.#pending.add<T>(
      {
        id,
        method,
        text,
        wait: options.wait === true,
        noRetry: options.noRetry === true,
        session: sessionLink !== undefined,
        timeoutMs: options.timeoutMs ?? this.#options.callTimeoutMs,
        signal,
        mapper,
        context,
      },
      link?.gateOpen === true,
    );
    if (writtenFirst) return pending.promise; // add() marked it as written
    if (pending.state === 'sent') this.#writeCall(link as Link, text); // marked as written: it goes now
    else this.#pump();
    return pending.promise;
  }

  #finalErrorForCall(): Error {
    return this.#status === 'closed' ? new DdpClosedError('the client is closed') : (this.#final as Error);
  }

  /** Writes every call that may go now, if the session is open to them. */
  #pump(): void {
    const link = this.#link;
    if (link?.gateOpen !== true) return;
    const pending = this.#pending;
    for (let call = pending.nextSendable(); call !== undefined; call = pending.nextSendable()) this.#writeCall(link, call.text);
  }

  /** Writes a call marked as written: alone in flight, at once; with others in flight, with the turn's batch. */
  #writeCall(link: Link, text: string): void {
    this.#writeText(link, text, undefined, this.#pending.inFlight > 1);
  }

  #makeSession(link: Link, session: string): DdpSession {
    return {
      id: session,
      call: <T>(method: string, params: readonly unknown[] = [], options: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
        this.#call<T>(method, params, options, link),
    };
  }

  // -------------------------------------------------------------------------------------
  // The link

  #openLink(): void {
    const link = new Link(this, this.#version);
    this.#link = link;
    const attempts = (this.#attempts ??= new Attempts(false));
    attempts.versionsTried.add(link.version);
    this.#setStatus('connecting', attempts.retries > 0 ? { attempt: attempts.retries } : {});
    if (this.#link !== link) return; // a status listener changed course
    const timeoutMs = this.#options.connectTimeoutMs;
    attempts.timer = setTimeout(
      () =>
        this.#guard(() => {
          attempts.timer = undefined;
          this.#lose(link, {
            kind: 'transport',
            code: 'timeout',
            message: `no DDP session from ${this.#where} within ${timeoutMs} ms (connectTimeoutMs)`,
          });
        }),
      timeoutMs,
    );
    this.#debug('opening a WebSocket', { url: this.#where, version: link.version });
    try {
      link.socket = new DdpSocket(this.url, { WebSocket: this.#options.WebSocket, maxFrameBytes: this.#options.maxFrameBytes }, link);
    } catch (error) {
      this.#lose(link, {
        kind: 'transport',
        code: 'refused',
        message: `could not open a WebSocket to ${this.#where}: ${messageOf(error)}`,
      });
    }
  }

  #onOpen(link: Link): void {
    if (this.#link !== link) return;
    const frame: ConnectFrame = { msg: 'connect', version: link.version, support: SUPPORTED_DDP_VERSIONS };
    this.#write(link, frame);
  }

  #onSocketEnd(link: Link, end: SocketEnd): void {
    if (this.#link !== link) return;
    const detail = end.reason === '' ? `code ${end.code}` : `code ${end.code}: ${end.reason}`;
    if (!end.opened) {
      const code = errorCodeOf(end.error);
      const why = code === 'ECONNREFUSED' ? 'connection refused' : end.reason === '' ? `code ${end.code}` : end.reason;
      this.#lose(link, { kind: 'transport', code: 'refused', message: `could not connect to ${this.#where}: ${why}` });
    } else if (end.code === 1009) {
      this.#lose(link, {
        kind: 'transport',
        code: 'closed',
        message: `the server sent a frame larger than maxFrameBytes (${this.#options.maxFrameBytes}); the connection was dropped`,
      });
    } else if (!link.connected) {
      this.#lose(link, { kind: 'transport', code: 'closed', message: `the connection to ${this.#where} closed before the DDP session opened (${detail})` });
    } else {
      this.#lose(link, { kind: 'transport', code: 'closed', message: `the connection to ${this.#where} closed (${detail})` });
    }
  }

  #onText(link: Link, text: string): void {
    if (this.#link !== link) return;
    link.messageReceived();
    const maxBytes = this.#options.maxFrameBytes;
    if (exceedsBytes(text, maxBytes)) {
      this.#lose(link, {
        kind: 'transport',
        code: 'closed',
        message: `the server sent a frame larger than maxFrameBytes (${maxBytes}); the connection was dropped`,
      });
      return;
    }
    let frame: ServerFrame | null;
    try {
      frame = decodeServerFrame(text, this.#options); // its maxFrameBytes
    } catch (error) {
      this.#protocolError(
        error instanceof DdpProtocolError ? error : new DdpProtocolError(`undecodable frame: ${messageOf(error)}`, undefined, { cause: error }),
      );
      return;
    }
    if (frame === null) {
      this.#debug('ignored a frame (greeting or unknown msg)');
      return;
    }
    if (this.#options.logger !== undefined) this.#debug('received', redactFrame(frame));
    if ((this as unknown as EventEmitter<DdpClientEvents>).listenerCount('message') !== 0) {
      this.#emit('message', frame);
      if (this.#link !== link) return; // a listener closed the client
    }
    this.#dispatch(link, frame);
  }

  #dispatch(link: Link, frame: ServerFrame): void {
    switch (frame.msg) {
      case 'connected':
        if (link.connected) this.#warn('ignored a second "connected" frame');
        else this.#onConnected(link, frame.session);
        return;
      case 'failed':
        this.#lose(link, { kind: 'version', serverVersion: frame.version });
        return;
      case 'ping':
        this.#write(link, frame.id === undefined ? { msg: 'pong' } : { msg: 'pong', id: frame.id });
        return;
      case 'result':
        if (this.#pending.settle(frame)) this.#pump();
        else this.#debug('ignored a result for an unknown or settled call', { id: frame.id });
        return;
      case 'updated':
        if (this.#pending.updated(frame.methods)) this.#pump();
        return;
      case 'ready':
        this.#subscriptions.ready(frame.subs);
        return;
      case 'nosub':
        this.#subscriptions.nosub(frame.id, frame.error);
        return;
      case 'added':
      case 'changed':
      case 'removed':
        try {
          this.documentReceived(frame);
        } catch (error) {
          this.#warn(`a "${frame.msg}" listener threw`, { error: messageOf(error) });
        }
        if (this.#link === link) this.#emit(frame.msg, frame);
        return;
      case 'error':
        this.#warn(`the server reported an error: ${frame.reason}`, { offendingMessage: redactFrame(frame.offendingMessage) });
        return;
      default:
        return; // pong, addedBefore, movedBefore: nothing to do beyond the `message` event
    }
  }

  #onConnected(link: Link, session: string): void {
    this.#clearLinkTimer();
    link.connected = true;
    link.session = session;
    // Kept until the status event is out: connect() callers are settled after it.
    const attempts = this.#attempts;
    if (attempts !== undefined) {
      attempts.retries = 0;
      attempts.versionsTried.clear();
      attempts.everConnected = true;
    }
    if (this.#options.heartbeat !== false && link.version !== 'pre1') link.startHeartbeat();
    this.#setStatus('connected', {});
    if (this.#link !== link) return;
    this.#settleWaiters(undefined, undefined);
    if (this.#attempts === attempts) this.#attempts = undefined;
    this.#emit('connected', session);
    if (this.#link !== link) return;
    this.#runSetups(link, session).catch((error: unknown) =>
      this.#warn('session setups failed', { error: messageOf(error) }),
    );
  }

  async #runSetups(link: Link, session: string): Promise<void> {
    const handle = this.#makeSession(link, session);
    try {
      await this.setUpSession(handle);
    } catch (error) {
      this.#warn('a session setup failed', { error: messageOf(error) });
    }
    for (const { setup } of this.#setups ?? []) { // never changed in place: a snapshot
      if (this.#link !== link) return;
      try {
        await setup(handle);
      } catch (error) {
        this.#warn('a session setup failed', { error: messageOf(error) });
      }
    }
    if (this.#link !== link) return;
    link.gateOpen = true;
    for (const entry of this.#subscriptions.unsent()) {
      entry.sent = true;
      this.#writeText(link, entry.text);
    }
    this.#pump();
  }

  /**
   * The link ended for a reason other than `close()`: tear it down, put calls and
   * subscriptions back for the next one, and let {@link classifyLoss} decide what follows.
   */
  #lose(link: Link, loss: LinkLoss): void {
    if (this.#link !== link) return;
    const wasConnected = link.connected;
    const attempts = (this.#attempts ??= new Attempts(true)); // none: a session was lost
    void this.#teardown(link, 'cut');
    this.#pending.linkLost();
    this.#subscriptions.linkLost();
    const reason = loss.kind === 'version' ? `the server asked for DDP version "${loss.serverVersion}"` : loss.message;
    this.#debug('link lost', { reason });
    if (wasConnected) {
      this.#emit('disconnected', reason);
      if (this.#final !== undefined || this.#link !== undefined) return; // a listener took over
    }
    const decision = classifyLoss(loss, {
      everConnected: attempts.everConnected,
      reconnect: this.#options.reconnectEnabled,
      retryRequested: this.#retryRequested(),
      retries: attempts.retries,
      maxAttempts: this.#options.reconnect.maxAttempts,
      versionsTried: attempts.versionsTried,
    });
    switch (decision.action) {
      case 'renegotiate':
        this.#version = decision.version;
        this.#openLink();
        return;
      case 'retry':
        this.#settleWaiters((waiter) => !waiter.retry, decision.error);
        this.#scheduleRetry(attempts, decision.error.message);
        return;
      case 'idle':
        this.#goIdle(decision.error, decision.error.message);
        return;
      case 'fail':
        this.#fail(decision.error);
        return;
    }
  }

  #scheduleRetry(attempts: Attempts, reason: string): void {
    const attempt = ++attempts.retries;
    const delay = this.#delayFor(attempt);
    attempts.timer = setTimeout(
      () =>
        this.#guard(() => {
          attempts.timer = undefined;
          this.#openLink();
        }),
      delay,
    );
    this.#setStatus('waiting', { attempt, retryInMs: delay, reason });
  }

  #delayFor(attempt: number): number {
    const custom = this.#options.backoff;
    if (custom !== undefined) {
      try {
        const delay = custom(attempt);
        if (typeof delay === 'number' && delay >= 0 && Number.isFinite(delay)) return delay;
        this.#warn('the backoff option returned an invalid delay; using the default schedule', { delay });
      } catch (error) {
        this.#warn('the backoff option threw; using the default schedule', { error: messageOf(error) });
      }
    }
    return backoffDelay(attempt, this.#options.reconnect);
  }

  /** Back to `idle` after a failed (or abandoned) `connect()`: queued calls fail with the same error. */
  #goIdle(error: unknown, reason: string): void {
    this.#pending.rejectQueued(error);
    this.#endAttempts(error);
    this.#setStatus('idle', { reason });
  }

  /** Final without `close()`: no shared version, or retries used up. */
  #fail(error: Error): void {
    this.#final = error;
    void this.#teardown(undefined, 'cut');
    this.#pending.rejectAll(error);
    this.#subscriptions.endAll(error, error);
    this.#endAttempts(error);
    this.#setStatus('failed', { reason: error.message });
  }

  /**
   * THE teardown: clears every timer, stops the heartbeat, detaches and closes the socket of
   * `link` (if any). `'cut'` terminates the socket at once; `'polite'` sends a close frame
   * and resolves once the socket closed or after {@link CLOSE_GRACE_MS}.
   */
  #teardown(link: Link | undefined, mode: 'cut' | 'polite'): Promise<void> {
    this.#clearLinkTimer();
    (link ?? this.#link)?.stopHeartbeat();
    if (link === undefined) return Promise.resolve();
    if (this.#link === link) this.#link = undefined;
    link.gateOpen = false;
    const socket = link.socket;
    link.socket = undefined;
    if (socket === undefined) return Promise.resolve();
    if (mode === 'cut') {
      socket.terminate();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const grace = setTimeout(() => {
        socket.terminate();
        resolve();
      }, CLOSE_GRACE_MS);
      socket.close(1000, '', () => {
        clearTimeout(grace);
        resolve();
      });
    });
  }

  #clearLinkTimer(): void {
    const attempts = this.#attempts;
    if (attempts?.timer === undefined) return;
    clearTimeout(attempts.timer);
    attempts.timer = undefined;
  }

  // -------------------------------------------------------------------------------------
  // connect() waiters

  /** A pending `connect({ retry: true })` asks to keep trying. */
  #retryRequested(): boolean {
    for (const waiter of this.#attempts?.waiters ?? NO_WAITERS) if (waiter.retry) return true;
    return false;
  }

  /** The series of attempts is over, given up with `error`: every `connect()` rejects with it. */
  #endAttempts(error: unknown): void {
    this.#settleWaiters(undefined, error);
    this.#attempts = undefined;
  }

  /** Resolves (`error` undefined) or rejects the waiters `which` selects (all by default). */
  #settleWaiters(which: ((waiter: ConnectWaiter) => boolean) | undefined, error: unknown): void {
    const attempts = this.#attempts;
    const waiters = attempts?.waiters;
    if (attempts === undefined || waiters === undefined) return;
    for (const waiter of [...waiters]) {
      if (which !== undefined && !which(waiter)) continue;
      waiters.delete(waiter);
      if (waiter.signal !== undefined && waiter.onAbort !== undefined) unwatchAbort(waiter.signal, waiter.onAbort);
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
    if (waiters.size === 0 && attempts.waiters === waiters) attempts.waiters = undefined;
  }

  #abortWaiter(waiter: ConnectWaiter): void {
    const attempts = this.#attempts;
    if (attempts?.waiters?.has(waiter) !== true) return;
    const reason: unknown = waiter.signal?.reason;
    this.#settleWaiters((candidate) => candidate === waiter, reason);
    const abandoned =
      !attempts.everConnected && attempts.waiters === undefined && (this.#status === 'connecting' || this.#status === 'waiting');
    if (abandoned) {
      void this.#teardown(this.#link, 'cut');
      this.#pending.linkLost();
      this.#subscriptions.linkLost();
      this.#goIdle(reason, 'connect() was aborted');
    }
  }

  // -------------------------------------------------------------------------------------
  // Writing, events, logging

  #write(link: Link, frame: ClientFrame): void {
    this.#writeText(link, encodeFrame(frame), frame);
  }

  #writeText(link: Link, text: string, frame?: ClientFrame, batch = true): void {
    if (this.#options.logger !== undefined) {
      this.#debug('sent', redactFrame(frame ?? (JSON.parse(text) as ClientFrame)));
    }
    link.socket?.send(text, batch);
  }

  #protocolError(error: DdpProtocolError): void {
    this.#warn(`dropped a malformed frame: ${error.message}`);
    this.#emit('protocolError', error);
  }

  #setStatus(status: ConnectionStatus, details: StatusDetails): void {
    if (this.#status === status && status !== 'waiting') return;
    this.#status = status;
    try {
      (this as unknown as EventEmitter<DdpClientEvents>).emit('status', status, details);
    } catch (error) {
      this.#warn('a "status" listener threw', { error: messageOf(error) });
    }
  }

  /** Emits to the user's listeners; one that throws is reported and never breaks the client. */
  #emit<K extends Exclude<keyof DdpClientEvents, 'status'>>(event: K, argument: Parameters<DdpClientEvents[K]>[0]): void {
    try {
      (this.emit as unknown as (event: K, argument: unknown) => boolean)(event, argument);
    } catch (error) {
      this.#warn(`a "${event}" listener threw`, { error: messageOf(error) });
    }
  }

  /** Runs a timer callback: nothing escapes it. */
  #guard(body: () => void): void {
    try {
      body();
    } catch (error) {
      this.#internalError(error);
    }
  }

  #internalError(error: unknown): void {
    this.#warn('internal error', { error: messageOf(error) });
  }

  #debug(message: string, data?: unknown): void {
    const logger = this.#options.logger;
    if (logger === undefined) return;
    try {
      logger.debug(message, data);
    } catch {
      // A logger never breaks the client.
    }
  }

  #warn(message: string, data?: unknown): void {
    const logger = this.#options.logger;
    if (logger === undefined) return;
    try {
      logger.warn(message, data);
    } catch {
      // A logger never breaks the client.
    }
  }
}

/** The options of a client given nothing but a URL: shared by every such client. */
const DEFAULT_OPTIONS: ResolvedOptions = Object.freeze({
  WebSocket: undefined,
  connectTimeoutMs: 10_000,
  callTimeoutMs: 60_000,
  heartbeat: DEFAULT_HEARTBEAT_OPTIONS,
  reconnect: DEFAULT_RECONNECT_OPTIONS,
  reconnectEnabled: true,
  backoff: undefined,
  maxPendingCalls: 10_000,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  logger: undefined,
  callSiteStacks: false,
});

function resolveOptions(options: DdpClientOptions): ResolvedOptions {
  const resolved = resolveEachOption(options);
  for (const key of Object.keys(DEFAULT_OPTIONS) as (keyof ResolvedOptions)[]) {
    if (resolved[key] !== DEFAULT_OPTIONS[key]) return resolved;
  }
  return DEFAULT_OPTIONS;
}

function resolveEachOption(options: DdpClientOptions): ResolvedOptions {
  const heartbeatOption = options.heartbeat;
  let heartbeat: HeartbeatOptions | false = false;
  if (heartbeatOption !== false) {
    const intervalMs = heartbeatOption?.intervalMs ?? DEFAULT_HEARTBEAT_OPTIONS.intervalMs;
    const timeoutMs = heartbeatOption?.timeoutMs ?? DEFAULT_HEARTBEAT_OPTIONS.timeoutMs;
    positive(intervalMs, 'heartbeat.intervalMs', true);
    positive(timeoutMs, 'heartbeat.timeoutMs', false);
    if (intervalMs === 0) heartbeat = false;
    else if (intervalMs === DEFAULT_HEARTBEAT_OPTIONS.intervalMs && timeoutMs === DEFAULT_HEARTBEAT_OPTIONS.timeoutMs) {
      heartbeat = DEFAULT_HEARTBEAT_OPTIONS;
    } else heartbeat = { intervalMs, timeoutMs };
  }
  const reconnectOption = options.reconnect;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  const maxPendingCalls = options.maxPendingCalls ?? 10_000;
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  positive(connectTimeoutMs, 'connectTimeoutMs', false);
  positive(callTimeoutMs, 'callTimeoutMs', true);
  positive(maxPendingCalls, 'maxPendingCalls', false);
  positive(maxFrameBytes, 'maxFrameBytes', false);
  if (options.backoff !== undefined && typeof options.backoff !== 'function') {
    throw new TypeError('the backoff option must be a function');
  }
  return {
    WebSocket: options.WebSocket,
    connectTimeoutMs,
    callTimeoutMs,
    heartbeat,
    reconnect:
      reconnectOption === undefined || reconnectOption === false ? DEFAULT_RECONNECT_OPTIONS : resolveReconnectOptions(reconnectOption),
    reconnectEnabled: reconnectOption !== false,
    backoff: options.backoff,
    maxPendingCalls,
    maxFrameBytes,
    logger: options.logger,
    callSiteStacks: options.callSiteStacks === true,
  };
}

function positive(value: number, name: string, zeroAllowed: boolean): void {
  const ok = typeof value === 'number' && !Number.isNaN(value) && (zeroAllowed ? value >= 0 : value > 0);
  if (!ok) throw new RangeError(`${name} must be a number ${zeroAllowed ? '≥ 0' : '> 0'}`);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
