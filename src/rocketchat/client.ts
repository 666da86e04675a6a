/**
 * `RocketChatClient`: Rocket.Chat's realtime API, as a {@link DdpClient} that speaks it.
 *
 * It logs in (and logs in again with the resume token on every reconnect, before any other
 * call goes out), sends messages that are never lost, never duplicated and never
 * `undefined`, paces them under the server's rate limit, and turns the room streams into
 * async iterators and listeners of typed {@link IMessage}s.
 *
 * @module
 */
import { callMapped, DdpClient } from '../ddp/client.js';
import type { DdpClientOptions, DdpLogger, DdpSession } from '../ddp/client.js';
import {
  DdpClosedError,
  DdpConnectionError,
  DdpError,
  DdpMethodError,
  DdpProtocolError,
  isDdpClosedError,
  isDdpConnectionError,
  isDdpMethodError,
} from '../ddp/errors.js';
import { randomId } from '../ddp/random-id.js';
import type { DdpClientEvents } from '../ddp/status.js';
import type { CallOutcomeMapper } from '../ddp/pending.js';
import type { AddedFrame, ChangedFrame, RemovedFrame } from '../ddp/protocol.js';
import type { Subscription } from '../ddp/subscriptions.js';
import { buildLoginPayload, parseLoginResult } from './auth.js';
import { decodeMessage, decodeOwnedMessage } from './decode.js';
import { InvalidMessageError, isRateLimitedError, MessageNotDeliveredError, RocketChatErrorCode, toRocketChatError } from './errors.js';
import { NoticeBoard } from './notices.js';
import { decodePruneEvent, type MessagesPrunedEvent } from './prune.js';
import { DEFAULT_RATE_LIMIT, SendPacer, sleep, withRateLimit } from './rate-limit.js';
import type { RateLimitOptions } from './rate-limit.js';
import { normalizeRestUrl, REST_SEND_MESSAGE, restBaseUrl, RestTransport } from './rest.js';
import { MessageIterator, Stream, StreamHub } from './streams.js';
import type { MessageIteratorOptions, StreamListener } from './streams.js';
import type { Credentials, IMessage, LoginCredentials, OutgoingMessage } from './types.js';
import { checkOutgoingMessage, DEFAULT_MAX_MESSAGE_LENGTH, validateOutgoingMessage } from './validate.js';
import type { MessageTransport } from './validate.js';

/** How long `sendMessage` waits for the server's explanation of an unconfirmed message, in ms. */
const NOTICE_GRACE_MS = 250;
/**
 * How many times an unconfirmed message is looked up again when the lookup itself is refused
 * by the server's rate limit (Meteor's limit of 10 calls of one method per connection in 10 s
 * covers `getSingleMessage`).
 */
const CONFIRM_RETRIES = 3;

/**
 * The pacing window, in ms: the server's one second plus a margin, because the server counts
 * from when calls arrive, and network delays vary (a call sent exactly one second after
 * another may arrive a little sooner than that).
 */
const PACING_WINDOW_MS = 1100;
/** The `rateLimit` option when it is left out: shared by every such client. */
const DEFAULT_PACING: Required<RateLimitOptions> = Object.freeze({ ...DEFAULT_RATE_LIMIT }) as Required<RateLimitOptions>;

/** `DdpClient`'s default `callTimeoutMs`, which REST sends follow too. */
const DEFAULT_CALL_TIMEOUT_MS = 60_000;

/** What the client's sends need of its options. */
interface Settings {
  readonly maxMessageLength: number;
  /** The timeout of REST sends, which follow the DDP calls'. */
  readonly callTimeoutMs: number;
  /** The `restUrl` option, checked; `undefined`: derived from `url`. */
  readonly restBaseUrl: string | undefined;
  readonly fetch: typeof fetch | undefined;
  readonly logger: DdpLogger | undefined;
}

/** The settings of a client that leaves every one of them out: shared by every such client. */
const DEFAULT_SETTINGS: Settings = Object.freeze({
  maxMessageLength: DEFAULT_MAX_MESSAGE_LENGTH,
  callTimeoutMs: DEFAULT_CALL_TIMEOUT_MS,
  restBaseUrl: undefined,
  fetch: undefined,
  logger: undefined,
});

/** What one send attempt gave: the stored message, nothing (confirm it), or a refusal to confirm. */
interface SendOutcome {
  readonly message?: unknown;
  readonly refusal?: DdpMethodError;
  readonly hint?: string;
  /** Why the REST answers were lost, when they were. */
  readonly lost?: Error;
}

/**
 * What the client keeps of a login: the {@link Credentials}, with the expiry as a time rather
 * than a `Date` (a `Date` costs about 100 bytes a client). The `Credentials` handed out are
 * made from it, a new object each time: changing one changes nothing here.
 */
interface Login {
  readonly userId: string;
  readonly token: string;
  /** `Date.getTime()` of `tokenExpires`; `null` when the token never expires. */
  readonly tokenExpiresAt: number | null;
}

function loginOf(credentials: Credentials): Login {
  const { userId, token, tokenExpires } = credentials;
  return { userId, token, tokenExpiresAt: tokenExpires === null ? null : tokenExpires.getTime() };
}

function credentialsOf(login: Login): Credentials {
  const { userId, token, tokenExpiresAt } = login;
  return { userId, token, tokenExpires: tokenExpiresAt === null ? null : new Date(tokenExpiresAt) };
}

/** Options of {@link RocketChatClient}: every {@link DdpClientOptions} option, plus these. */
export interface RocketChatClientOptions extends DdpClientOptions {
  /**
   * Pacing of `sendMessage` under the server's limit of 5 per second per user, and retries of
   * a call refused with `too-many-requests`. Merges with the defaults. `false` turns both off
   * (a refused call then rejects with `RateLimitedError` at once).
   * @default { messagesPerSecond: 5, maxRetries: 3 }
   */
  readonly rateLimit?: Partial<RateLimitOptions> | false;
  /**
   * The longest message text, in UTF-16 code units (the server's `Message_MaxAllowedSize`);
   * longer messages are refused before sending.
   * @default 5000
   */
  readonly maxMessageLength?: number;
  /**
   * The base URL of the server's REST API, used by `sendMessage` for messages the realtime
   * method cannot carry (`attachments`, `blocks`, `alias`, `emoji`, `avatar`…). Set it when
   * the REST API is not where the WebSocket is.
   * @default derived from `url`: `wss://host/websocket` → `https://host`, `ws://host:3000/websocket` → `http://host:3000`
   */
  readonly restUrl?: string;
  /**
   * The `fetch` function for REST requests (a polyfill, a proxy-aware one, a test double).
   * @default globalThis.fetch
   */
  readonly fetch?: typeof fetch;
}

/** Options of {@link RocketChatClient.sendMessage}. */
export interface SendMessageOptions {
  /**
   * URLs of the text the server may unfurl (fetch a preview for); the others are marked
   * `ignoreParse`. Left out: all of them.
   */
  readonly previewUrls?: readonly string[];
  /** Aborting rejects with the signal's reason (the message may still arrive if it was already sent). */
  readonly signal?: AbortSignal;
  /**
   * Timeout of each call (over REST: of the whole request, resends included), in ms; 0 = none.
   * @default the client's `callTimeoutMs`
   */
  readonly timeoutMs?: number;
}

/** Options of {@link RocketChatClient.loadHistory}. */
export interface LoadHistoryOptions {
  /** Only messages older than this; left out: the newest. */
  readonly before?: Date;
  /**
   * How many messages.
   * @default 20
   */
  readonly limit?: number;
  /** When the user last read the room; sets `firstUnread` and `unreadNotLoaded`. */
  readonly lastSeen?: Date;
}

/** Options of {@link RocketChatClient.pruneMessages}: which of a room's messages to remove. */
export interface PruneMessagesOptions {
  /** Messages sent after this time (at it too, when `inclusive`). */
  readonly oldest: Date;
  /** Messages sent before this time (at it too, when `inclusive`). */
  readonly latest: Date;
  /**
   * Include messages sent exactly at `oldest` or `latest`.
   * @default true
   */
  readonly inclusive?: boolean;
  /** Remove at most this many (the oldest first); the event then lists their ids. Left out: all. */
  readonly limit?: number;
  /**
   * Keep pinned messages.
   * @default false
   */
  readonly excludePinned?: boolean;
  /**
   * Keep the messages that start a discussion (when `false`, the discussions go too).
   * @default true
   */
  readonly ignoreDiscussion?: boolean;
  /**
   * Keep thread messages (replies and the messages they reply to).
   * @default true
   */
  readonly ignoreThreads?: boolean;
  /** Only these users' messages (usernames). Left out: everyone's. */
  readonly fromUsers?: readonly string[];
}

/** What {@link RocketChatClient.loadHistory} returns. */
export interface LoadHistoryResult {
  /** The messages, newest first. */
  readonly messages: readonly IMessage[];
  /** How many unread messages are older than the oldest one returned. */
  readonly unreadNotLoaded: number;
  /** The first unread message, when `lastSeen` was given and there is one. */
  readonly firstUnread?: IMessage;
}

/** Options of the `on…` stream listeners. */
export interface ListenOptions {
  /**
   * Called once if the subscription ends without being asked to: the server refused it
   * (e.g. `not-allowed`: not logged in, no access to the room). The listener is then removed.
   */
  readonly onError?: (error: Error) => void;
}

/** Options of {@link RocketChatClient.messages}. */
export type MessagesOptions = MessageIteratorOptions;

/**
 * What {@link RocketChatClient.messages} returns: an async iterator of messages. `return()`
 * (what leaving a `for await` loop calls) unsubscribes.
 */
export interface MessageStream extends AsyncIterableIterator<IMessage, undefined> {
  /** The next message, when it arrives; rejects with the error that ended the stream, if one did. */
  next(): Promise<IteratorResult<IMessage, undefined>>;
  /** Stops: unsubscribes and ends the iteration (what leaving a `for await` loop calls). */
  return(): Promise<IteratorResult<IMessage, undefined>>;
}

/** Someone started or stopped typing in a room. */
export interface TypingEvent {
  /** The room. */
  readonly rid: string;
  /** Who started or stopped typing. */
  readonly username: string;
  /** `true` while they type. */
  readonly typing: boolean;
  /** What they are doing, as the server sent it (`['user-typing']`, `[]`…). */
  readonly activities: readonly string[];
}

/** A message was deleted. */
export interface MessageDeletedEvent {
  /** The room. */
  readonly rid: string;
  /** The deleted message's `_id`. */
  readonly messageId: string;
}

/** The events of {@link RocketChatClient}, with their listeners' arguments: every `DdpClient` event, and these. */
export interface RocketChatClientEvents extends DdpClientEvents {
  /** A login succeeded: an explicit `login()`, or the automatic resume after a reconnect. */
  login: (credentials: Credentials) => void;
  /** `logout()` was called; the client no longer logs in after reconnects. */
  logout: () => void;
  /**
   * The automatic login after a reconnect failed (the token was revoked or expired: the
   * server says 401). The client stays connected but logged out; log in again to resume.
   * Streams (`messages()`, `onMessage()`…) the server refuses meanwhile wait for that login
   * and then subscribe again by themselves. A timeout also lands here; then the token is
   * kept and the next reconnect tries again.
   */
  loginFailed: (error: Error) => void;
  /**
   * The server sent something malformed, which was dropped: a frame that is not valid DDP,
   * or a stream event of the wrong shape (not a valid message, a malformed prune).
   */
  protocolError: (error: DdpProtocolError) => void;
}

function optionsFor(signal: AbortSignal | undefined, timeoutMs: number | undefined): { signal?: AbortSignal; timeoutMs?: number } {
  const options: { signal?: AbortSignal; timeoutMs?: number } = {};
  if (signal !== undefined) options.signal = signal;
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  return options;
}

/** A shallow copy of `value`'s own enumerable fields, without those that are `undefined`. */
function withoutUndefined<T extends object>(value: T): T {
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue;
    const field = source[key];
    if (field === undefined) continue;
    if (key === '__proto__') Object.defineProperty(copy, key, { value: field, enumerable: true, writable: true, configurable: true });
    else copy[key] = field;
  }
  return copy as T;
}

/**
 * The message as it is sent: its defined fields, and always an `_id` of ours (a fresh Meteor
 * id unless the caller gave one), so that a resend after a lost answer is stored once.
 */
function withClientId(message: OutgoingMessage): OutgoingMessage & { _id: string } {
  const outgoing = withoutUndefined(message) as OutgoingMessage & { _id: string };
  outgoing._id ??= randomId();
  return outgoing;
}

/** A call whose server errors become their specific classes ({@link toRocketChatError}); results as they are. */
const ROCKETCHAT_ERRORS: CallOutcomeMapper<unknown> = {
  result: (value) => value,
  error: toRocketChatError,
};

/** What a realtime `sendMessage` call needs to make sense of its answer. */
interface RealtimeSend {
  readonly client: RocketChatClient;
  readonly message: OutgoingMessage & { _id: string };
  /** When it was sent (a notice about it arrives after). */
  readonly since: number;
}

/** A realtime `sendMessage` call: the stored message decoded, or an empty answer confirmed by id. */
const REALTIME_SEND: CallOutcomeMapper<IMessage> = {
  result(value, context) {
    if (value !== undefined && value !== null) return decodeOwnedMessage(value);
    const { client, message, since } = context as RealtimeSend;
    return confirmEmptyAnswer(client, message._id, message.rid, since);
  },
  error: toRocketChatError,
};

function asOutcome(message: unknown): SendOutcome {
  return { message };
}

/** An empty answer's outcome: nothing to add to the confirmation. */
const NO_OUTCOME: SendOutcome = Object.freeze({});
const NO_CALL_OPTIONS: { signal?: AbortSignal; timeoutMs?: number } = Object.freeze({});
const NO_SEND_OPTIONS: SendMessageOptions = Object.freeze({});

/** What a client makes as it sends, each part on first use; made by the first send. */
class Sending {
  /** The listener of the logged-in user's notices, from the first message they send on. */
  noticeListener: NoticeListener | undefined = undefined;
  /** Paces the sends when pacing is on. */
  pacer: SendPacer | undefined = undefined;
  /** Made by the first notice or the first unconfirmed message. */
  notices: NoticeBoard | undefined = undefined;
  /** Made by the first message sent over REST. */
  rest: RestTransport | undefined = undefined;
}

/** Set by a static block of {@link RocketChatClient}: hands a private notice to the client. */
let addNotice: (client: RocketChatClient, rid: string, msg: string) => void;
/** Set by a static block of {@link RocketChatClient}: the notices subscription of `listener` ended. */
let noticesEnded: (client: RocketChatClient, listener: NoticeListener) => void;
/** Set by a static block of {@link RocketChatClient}: the stored message, or why there is none, after an empty answer. */
let confirmEmptyAnswer: (client: RocketChatClient, messageId: string, rid: string, since: number) => Promise<IMessage>;

/** A room-messages event's message; a malformed one is reported as `protocolError` and dropped. */
function messageOfEvent(client: RocketChatClient, args: readonly unknown[]): IMessage | undefined {
  try {
    return decodeMessage(args[0]);
  } catch (error) {
    if (error instanceof DdpProtocolError) {
      client.emit('protocolError', error);
      return undefined;
    }
    throw error;
  }
}

/** `onMessage`'s stream listener (an object with methods rather than closures). */
class HandlerListener implements StreamListener {
  constructor(
    readonly client: RocketChatClient,
    readonly handler: (message: IMessage) => void,
    readonly onError: ((error: Error) => void) | undefined,
  ) {}

  onEvent(args: readonly unknown[]): void {
    const message = messageOfEvent(this.client, args);
    if (message === undefined) return;
    const handler = this.handler;
    handler(message);
  }

  onEnd(error?: Error): void {
    const onError = this.onError;
    if (error !== undefined && onError !== undefined) onError(toRocketChatError(error) as Error);
  }
}

/** `messages()`'s stream listener: feeds the iterator. */
class IteratorListener implements StreamListener {
  constructor(
    readonly client: RocketChatClient,
    readonly iterator: MessageIterator<IMessage>,
  ) {}

  onEvent(args: readonly unknown[]): void {
    const message = messageOfEvent(this.client, args);
    if (message !== undefined) this.iterator.push(message);
  }

  onEnd(error?: Error): void {
    this.iterator.end(error === undefined ? undefined : (toRocketChatError(error) as Error));
  }
}

/** The listener of the user's private notices (`stream-notify-user` `<uid>/message`). */
class NoticeListener implements StreamListener {
  constructor(
    readonly client: RocketChatClient,
    /** `<uid>/message`. */
    readonly eventName: string,
  ) {}

  onEvent(args: readonly unknown[]): void {
    const notice = args[0];
    if (typeof notice !== 'object' || notice === null) return;
    const { rid, msg } = notice as { rid?: unknown; msg?: unknown };
    if (typeof rid === 'string' && typeof msg === 'string') addNotice(this.client, rid, msg);
  }

  /** The server ended the subscription (or the client closed): the next send subscribes again. */
  onEnd(): void {
    noticesEnded(this.client, this);
  }
}

/**
 * A Rocket.Chat client over the realtime API.
 *
 * @example
 * const client = new RocketChatClient({ url: 'https://chat.example.com' });
 * await client.connect();
 * await client.login({ username: 'bot', password: 'secret' });
 * const sent = await client.sendMessage({ rid: 'GENERAL', msg: 'Hello' });
 * for await (const message of client.messages('GENERAL')) console.log(message.u.username, message.msg);
 */
export class RocketChatClient extends DdpClient<RocketChatClientEvents> {
  readonly #hub: StreamHub;
  /** The resolved `rateLimit` option; `undefined` when pacing is off. */
  readonly #pacing: Required<RateLimitOptions> | undefined;
  readonly #settings: Settings;
  /** What sending needs: made by the first send (a client that only listens has none). */
  #sending: Sending | undefined;
  /**
   * Aborted by `close()` (and by nothing else: the client is closed once it is aborted): ends
   * REST requests in flight. Made by the first REST send (or `close()`).
   */
  #closing: AbortController | undefined;
  #login: Login | undefined;
  /** The logged-in user's username, when known (needed to send typing notices). */
  #username: string | undefined;
  /**
   * The last user document the server published that is not the logged-in user's: it comes
   * before the login result, which takes the username from it (and drops it).
   */
  #lastUserDocument: { id: string; username: string } | undefined;

  constructor(options: RocketChatClientOptions) {
    const { rateLimit, maxMessageLength, restUrl, fetch, ...ddpOptions } = options;
    super(ddpOptions);
    const { logger, callTimeoutMs } = ddpOptions;
    this.#settings =
      maxMessageLength === undefined && restUrl === undefined && fetch === undefined && logger === undefined && callTimeoutMs === undefined
        ? DEFAULT_SETTINGS
        : Object.freeze({
            maxMessageLength: maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH,
            callTimeoutMs: callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
            restBaseUrl: restUrl === undefined ? undefined : normalizeRestUrl(restUrl),
            fetch,
            logger,
          });
    this.#pacing = rateLimit === false ? undefined : rateLimit === undefined ? DEFAULT_PACING : { ...DEFAULT_PACING, ...withoutUndefined(rateLimit) };
    if (this.#pacing !== undefined && !(this.#pacing.messagesPerSecond >= 1)) {
      throw new RangeError('rateLimit.messagesPerSecond must be at least 1');
    }
    // Streams the server refuses while the automatic re-login has failed wait for the next login.
    this.#hub = new StreamHub(this);
  }

  static {
    addNotice = (client, rid, msg) => client.#noticeBoard().add(rid, msg);
    noticesEnded = (client, listener) => {
      const sending = client.#sending;
      if (sending?.noticeListener === listener) sending.noticeListener = undefined;
    };
    confirmEmptyAnswer = (client, messageId, rid, since) => client.#confirm(messageId, rid, since, NO_CALL_OPTIONS, NO_OUTCOME);
  }

  /**
   * The DDP layer of this client: the client itself, typed as a plain `DdpClient` (every
   * `DdpClient` method and event is the client's own). For code that takes a `DdpClient`:
   * the client's own type is not one, since it has more events than a `DdpClient` has.
   */
  get ddp(): DdpClient {
    return this as unknown as DdpClient;
  }

  /** Stream events go to the hub; the user documents the server publishes tell usernames. */
  protected override documentReceived(frame: AddedFrame | ChangedFrame | RemovedFrame): void {
    if (frame.msg === 'changed') this.#hub.dispatch(frame);
    else if (frame.msg === 'added') this.#noteUserDocument(frame);
  }

  /** The hub follows the subscriptions it made. */
  protected override subscriptionEnded(subscription: Subscription, error: Error | undefined): void {
    this.#hub.subscriptionEnded(subscription, error);
  }

  #noteUserDocument(frame: AddedFrame): void {
    const username = frame.fields?.['username'];
    if (frame.collection !== 'users' || typeof username !== 'string') return;
    if (frame.id === this.#login?.userId) this.#username = username;
    else this.#lastUserDocument = { id: frame.id, username };
  }

  #sendState(): Sending {
    return (this.#sending ??= new Sending());
  }

  #sendPacer(pacing: Required<RateLimitOptions>): SendPacer {
    const sending = this.#sendState();
    if (sending.pacer === undefined) {
      sending.pacer = new SendPacer({ limit: pacing.messagesPerSecond, windowMs: PACING_WINDOW_MS });
      if (this.#closed) sending.pacer.close();
    }
    return sending.pacer;
  }

  #noticeBoard(): NoticeBoard {
    const sending = this.#sendState();
    if (sending.notices === undefined) {
      sending.notices = new NoticeBoard();
      if (this.#closed) sending.notices.close();
    }
    return sending.notices;
  }

  get #closed(): boolean {
    return this.#closing?.signal.aborted === true;
  }

  #closingSignal(): AbortSignal {
    return (this.#closing ??= new AbortController()).signal;
  }

  /**
   * The result of the last successful login (after a reconnect, of the automatic one);
   * `undefined` when logged out. A new object on each read: changing it changes nothing.
   */
  get credentials(): Credentials | undefined {
    const login = this.#login;
    return login === undefined ? undefined : credentialsOf(login);
  }

  /** The logged-in user's id; `undefined` when logged out. */
  get userId(): string | undefined {
    return this.#login?.userId;
  }

  /** The logged-in user's username, when the server or the login told it. */
  get username(): string | undefined {
    return this.#login === undefined ? undefined : this.#username;
  }

  /**
   * Closes for good: pending calls reject with `DdpClosedError`, iterators end, timers are
   * cleared. Idempotent.
   */
  override async close(): Promise<void> {
    if (!this.#closed) {
      (this.#closing ??= new AbortController()).abort(new DdpClosedError('the client is closed'));
      this.#hub.close();
      this.#sending?.pacer?.close();
      this.#sending?.notices?.close();
    }
    await super.close();
  }

  // -------------------------------------------------------------------------------------
  // Login

  /**
   * Logs in, and from then on logs in again with the resume token after every reconnect.
   *
   * Forms: `{ username | email, password }` (the password goes as its SHA-256 digest),
   * the same with `code` for two-factor, `{ resume: token }` (also personal access tokens),
   * `{ ldap: true, username, password }`.
   *
   * @throws {TwoFactorRequiredError} when a two-factor code is needed (or the one given was
   *   wrong: `error` is then `'totp-invalid'`); call again with `code`.
   * @throws {DdpMethodError} `401` for any credential failure (unknown user, wrong password,
   *   bad token); {@link RateLimitedError} when more than 5 attempts in 10 s stay refused
   *   after `rateLimit.maxRetries` waits.
   */
  async login(credentials: LoginCredentials): Promise<Credentials> {
    const payload = await buildLoginPayload(credentials);
    const result = await this.#call('login', [payload], { wait: true });
    const parsed = parseLoginResult(result);
    let username: string | undefined;
    if ('username' in credentials && typeof credentials.username === 'string' && !('ldap' in credentials)) {
      username = credentials.username;
    }
    if (this.#lastUserDocument?.id === parsed.userId) username = this.#lastUserDocument.username;
    this.#lastUserDocument = undefined;
    return this.#loggedIn(loginOf(parsed), username);
  }

  /**
   * Logs out: the server forgets the session's token and the client stops logging in after
   * reconnects. Emits `logout`.
   */
  async logout(): Promise<void> {
    const wasLoggedIn = this.#login !== undefined;
    this.#clearLogin();
    this.#hub.parking = false;
    try {
      await this.#call('logout', [], { wait: true });
    } finally {
      if (wasLoggedIn) this.emit('logout');
    }
  }

  /** Keeps `login`, and tells of it: the `login` event and the caller get the same {@link Credentials}. */
  #loggedIn(login: Login, username: string | undefined): Credentials {
    const previousUser = this.#login?.userId;
    this.#login = login;
    if (username !== undefined || previousUser !== login.userId) this.#username = username;
    // Another user's notices are not this one's: the next send subscribes to the new user's.
    if (previousUser !== login.userId) this.#stopNotices();
    this.#hub.parking = false;
    this.#hub.resumeParked();
    const credentials = credentialsOf(login);
    this.emit('login', credentials);
    return credentials;
  }

  #clearLogin(): void {
    this.#login = undefined;
    this.#username = undefined;
    this.#stopNotices();
  }

  /**
   * Subscribes to the logged-in user's private notices, once per user: called as a message
   * is sent, so that a client that never sends (a listener, a UI that only reads) does not
   * hold the subscription. Its `sub` frame leaves before the message's `method` frame, and
   * the server runs a connection's frames in order, a subscription's publish function to its
   * end before the next frame: the subscription is in place before the message is handled.
   */
  #listenToNotices(): void {
    const login = this.#login;
    if (login === undefined || this.#closed) return;
    const sending = this.#sendState();
    if (sending.noticeListener !== undefined) return;
    const listener = new NoticeListener(this, `${login.userId}/message`);
    sending.noticeListener = listener;
    this.#hub.listen(Stream.NotifyUser, listener.eventName, listener);
  }

  #stopNotices(): void {
    const sending = this.#sending;
    const listener = sending?.noticeListener;
    if (sending === undefined || listener === undefined) return;
    sending.noticeListener = undefined;
    this.#hub.unlisten(Stream.NotifyUser, listener.eventName, listener);
  }

  /** The session setup: on every new session, log in again with the resume token, first. */
  protected override async setUpSession(session: DdpSession): Promise<void> {
    const login = this.#login;
    if (login === undefined || this.#closed) return;
    try {
      const result = await session.call('login', [{ resume: login.token }]);
      const renewed = loginOf(parseLoginResult(result));
      if (this.#login !== login) return; // a login or logout happened meanwhile
      this.#loggedIn(renewed.tokenExpiresAt === null ? { ...renewed, tokenExpiresAt: login.tokenExpiresAt } : renewed, undefined);
    } catch (error) {
      // The link dropped during the setup: it runs again on the next session.
      if (isDdpConnectionError(error) || isDdpClosedError(error) || this.#closed) return;
      if (this.#login !== login) return;
      if (isDdpMethodError(error) || error instanceof DdpProtocolError) {
        this.#clearLogin();
        this.#hub.parking = true;
      }
      this.emit('loginFailed', toRocketChatError(error) as Error);
    }
  }

  // -------------------------------------------------------------------------------------
  // Messages

  /**
   * Sends a message and resolves with it as the server stored it (dates are `Date`s).
   *
   * - The message gets a fresh 17-character `_id` unless it has one, so a message sent again
   *   (after a reconnect, a lost answer, or by the caller) is stored once.
   * - It is checked before sending ({@link InvalidMessageError}, nothing sent).
   * - It picks the transport that can carry it: the realtime method over the WebSocket when
   *   every field is one that method takes; the REST API (`POST /api/v1/chat.sendMessage`,
   *   with the login's credentials) when it has `attachments`, `blocks`, `alias`, `emoji`,
   *   `avatar` or any other field. Same `_id`, same result, same errors either way. (Messages
   *   sent over different transports may be stored in another order than they were sent.)
   * - It is paced under the server's rate limit, and retried after `too-many-requests`.
   * - When the server answers with nothing (the realtime method swallows most failures, and
   *   answers a duplicate `_id` the same way), refuses it over REST, or the REST answers are
   *   lost, the client asks for the message by id: it resolves with the stored one, or rejects
   *   with {@link MessageNotDeliveredError} quoting the server's explanation. It never
   *   resolves `undefined`.
   *
   * @throws {InvalidMessageError} before sending, naming the offending field.
   * @throws {MessageNotDeliveredError} the server did not store it (for `alias` / `avatar`
   *   without the `message-impersonate` permission, the error says so).
   * @throws {RateLimitedError} still refused after `rateLimit.maxRetries` retries; or the
   *   lookup that confirms an unanswered message stayed refused (sending it again with the
   *   same `_id` is safe).
   * @throws {DdpMethodError} the server refused it (`error-not-allowed`, `error-invalid-user`…;
   *   `401` over REST when the login's token is no longer valid).
   * @throws {DdpConnectionError} `invocation-failed`: over REST, no answer came back and the
   *   message is not stored (sending it again with the same `_id` is safe).
   */
  sendMessage(message: OutgoingMessage, options?: SendMessageOptions): Promise<IMessage> {
    try {
      const transport = checkOutgoingMessage(message, this.#settings.maxMessageLength);
      if (
        transport === 'realtime' &&
        this.#pacing === undefined &&
        (options === undefined || (options.signal === undefined && options.timeoutMs === undefined && options.previewUrls === undefined))
      ) {
        // The common case, without pacing or options: the call's own promise, mapped as it settles.
        if (this.#sending?.noticeListener === undefined) this.#listenToNotices();
        const outgoing = withClientId(message);
        const send: RealtimeSend = { client: this, message: outgoing, since: Date.now() };
        return callMapped(this, 'sendMessage', [outgoing], NO_CALL_OPTIONS, REALTIME_SEND, send);
      }
      return this.#sendMessage(message, transport, options ?? NO_SEND_OPTIONS);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `sendMessage` with pacing, options or REST: `message` is checked and goes by `transport`. */
  async #sendMessage(message: OutgoingMessage, transport: MessageTransport, options: SendMessageOptions): Promise<IMessage> {
    const { previewUrls, signal, timeoutMs } = options;
    if (previewUrls !== undefined && (!Array.isArray(previewUrls) || !previewUrls.every((url) => typeof url === 'string'))) {
      throw new InvalidMessageError('previewUrls', 'sendMessage: "previewUrls" must be an array of strings');
    }
    signal?.throwIfAborted();
    this.#listenToNotices();
    const outgoing = withClientId(message);
    const callOptions = optionsFor(signal, timeoutMs);
    const send =
      transport === 'rest'
        ? () => this.#sendOverRest(outgoing, previewUrls, callOptions)
        : () => {
            const params: unknown[] = previewUrls === undefined ? [outgoing] : [outgoing, [...previewUrls]];
            // No retry here: withRateLimit below retries through the pacer.
            return this.#call('sendMessage', params, callOptions, 0).then(asOutcome);
          };
    const since = Date.now();
    const pacing = this.#pacing;
    const outcome =
      pacing === undefined
        ? await send() // no pacing and no retry: a too-many-requests answer is already a RateLimitedError
        : await withRateLimit(send, { pacer: this.#sendPacer(pacing), maxRetries: pacing.maxRetries, signal });
    if (outcome.message !== undefined && outcome.message !== null) return decodeOwnedMessage(outcome.message);
    return this.#confirm(outgoing._id, outgoing.rid, since, callOptions, outcome);
  }

  /** One REST attempt (resends of lost answers included), as a {@link SendOutcome}. */
  async #sendOverRest(
    message: OutgoingMessage & { _id: string },
    previewUrls: readonly string[] | undefined,
    callOptions: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<SendOutcome> {
    const credentials = this.#login;
    if (credentials === undefined) {
      throw new DdpMethodError(RocketChatErrorCode.InvalidUser, 'Invalid user (log in before sending messages)', undefined, {
        method: REST_SEND_MESSAGE,
      });
    }
    const rest = (this.#sendState().rest ??= new RestTransport({
      baseUrl: this.#settings.restBaseUrl ?? restBaseUrl(this.url),
      fetch: this.#settings.fetch,
      logger: this.#settings.logger,
    }));
    const outcome = await rest.sendMessage(message as unknown as Record<string, unknown>, {
      credentials,
      previewUrls,
      signal: callOptions.signal,
      timeoutMs: callOptions.timeoutMs ?? this.#settings.callTimeoutMs,
      closed: this.#closingSignal(),
    });
    switch (outcome.kind) {
      case 'sent':
        return { message: outcome.message };
      case 'refused':
        return outcome.hint === undefined ? { refusal: outcome.refusal } : { refusal: outcome.refusal, hint: outcome.hint };
      case 'lost':
        return { lost: outcome.error };
    }
  }

  /**
   * After an answer without the message (empty, a REST refusal, lost REST answers): the
   * stored message, or why there is none.
   */
  async #confirm(
    messageId: string,
    rid: string,
    since: number,
    callOptions: { signal?: AbortSignal; timeoutMs?: number },
    outcome: SendOutcome,
  ): Promise<IMessage> {
    let stored: unknown;
    let refusal = outcome.refusal;
    try {
      // Refused by the server's rate limit, the lookup says nothing about the message: it is
      // asked again once the limit resets (whatever `rateLimit` says); still refused, the
      // caller gets the RateLimitedError.
      stored = await this.#call('getSingleMessage', [messageId], callOptions, CONFIRM_RETRIES);
    } catch (error) {
      if (!isDdpMethodError(error) || isRateLimitedError(error)) throw error;
      refusal ??= error; // e.g. error-not-allowed: no access to the room, so nothing was stored there
    }
    if (stored !== undefined && stored !== null) return decodeMessage(stored);
    if (outcome.lost !== undefined) {
      throw new DdpConnectionError(
        'invocation-failed',
        `${outcome.lost.message}; message ${messageId} is not stored (sending it again with the same _id is safe)`,
        { cause: outcome.lost },
      );
    }
    const notice = await this.#noticeBoard().wait(rid, since, NOTICE_GRACE_MS);
    const reason = notice ?? outcome.refusal?.reason ?? (outcome.refusal === undefined ? undefined : String(outcome.refusal.error));
    const details: { cause?: unknown; hint?: string } = {};
    if (refusal !== undefined) details.cause = refusal;
    if (outcome.hint !== undefined) details.hint = outcome.hint;
    throw new MessageNotDeliveredError(messageId, rid, reason, details);
  }

  /**
   * The messages of a room as they arrive (new ones, and edited ones again under the same
   * `_id`, with `editedAt` set), as an async iterator; `rid` may be `'__my_messages__'` for
   * every room of the user. Subscribes at once (log in first); leaving the loop or aborting
   * the signal unsubscribes. Events missed while the link was down are not replayed (use
   * {@link loadHistory}). The iterator ends with the server's error if it refuses the
   * subscription, and with `StreamOverflowError` if more than `bufferSize` events wait.
   */
  messages(rid: string, options: MessagesOptions = {}): MessageStream {
    let stop: () => void = () => {};
    const iterator = new MessageIterator<IMessage>(rid, () => stop(), options);
    stop = this.#hub.listen(Stream.RoomMessages, rid, new IteratorListener(this, iterator));
    return iterator;
  }

  /**
   * Calls `handler` for each message of a room as it arrives (new ones, and edited ones
   * again under the same `_id`); `rid` may be `'__my_messages__'`. Returns the function that
   * stops listening. An exception thrown by `handler` does not stop the other listeners; the
   * DDP client reports it to its `logger` (warn), like any event listener's.
   */
  onMessage(rid: string, handler: (message: IMessage) => void, options: ListenOptions = {}): () => void {
    return this.#hub.listen(Stream.RoomMessages, rid, new HandlerListener(this, handler, options.onError));
  }

  /**
   * Calls `handler` when someone starts or stops typing in a room (`stream-notify-room`
   * `<rid>/user-activity`). Returns the function that stops listening.
   */
  onTyping(rid: string, handler: (event: TypingEvent) => void, options: ListenOptions = {}): () => void {
    return this.#hub.listen(Stream.NotifyRoom, `${rid}/user-activity`, {
      onEvent: (args) => {
        const [username, activity] = args;
        if (typeof username !== 'string') return;
        const activities = Array.isArray(activity) ? activity.filter((entry): entry is string => typeof entry === 'string') : [];
        const typing = activity === true || activities.includes('user-typing');
        handler({ rid, username, typing, activities });
      },
      onEnd: this.#endHandler(options),
    });
  }

  /**
   * Calls `handler` when a message of a room is deleted (`stream-notify-room`
   * `<rid>/deleteMessage`). When the server keeps a "message deleted" placeholder
   * (`Message_ShowDeletedStatus`), the deletion arrives instead as an edit on the room's
   * message stream, with `t: 'rm'`. Returns the function that stops listening.
   */
  onMessageDeleted(rid: string, handler: (event: MessageDeletedEvent) => void, options: ListenOptions = {}): () => void {
    return this.#hub.listen(Stream.NotifyRoom, `${rid}/deleteMessage`, {
      onEvent: (args) => {
        const deleted = args[0];
        const messageId = typeof deleted === 'object' && deleted !== null ? (deleted as { _id?: unknown })._id : undefined;
        if (typeof messageId === 'string') handler({ rid, messageId });
      },
      onEnd: this.#endHandler(options),
    });
  }

  /**
   * Calls `handler` when messages of a room are removed at once: pruned by an admin ("Prune
   * Messages", the `cleanRoomHistory` method) or by a retention policy (`stream-notify-room`
   * `<rid>/deleteMessageBulk`). The server names the messages by criteria (a time range,
   * users, pinned or not), and by id only when the prune had a limit: use
   * `event.matches(message)` to find the removed ones among those you hold. An event of the
   * wrong shape is reported as `protocolError` and dropped. Returns the function that stops
   * listening.
   *
   * @example
   * client.onMessagesPruned(rid, (event) => {
   *   // A files-only prune keeps the messages (reload those); any other removes them.
   *   if (!event.filesOnly) shown = shown.filter((message) => !event.matches(message));
   * });
   */
  onMessagesPruned(rid: string, handler: (event: MessagesPrunedEvent) => void, options: ListenOptions = {}): () => void {
    return this.#hub.listen(Stream.NotifyRoom, `${rid}/deleteMessageBulk`, {
      onEvent: (args) => {
        let event: MessagesPrunedEvent;
        try {
          event = decodePruneEvent(args[0]);
        } catch (error) {
          if (!(error instanceof DdpProtocolError)) throw error;
          this.emit('protocolError', error);
          return;
        }
        handler(event);
      },
      onEnd: this.#endHandler(options),
    });
  }

  #endHandler(options: ListenOptions): (error?: Error) => void {
    const { onError } = options;
    return (error) => {
      if (error !== undefined && onError !== undefined) onError(toRocketChatError(error) as Error);
    };
  }

  /**
   * Tells the room that the logged-in user is typing (`true`) or stopped (`false`). Unlike the
   * other methods, it is not made again when the server's rate limit refuses it: a typing
   * notice that arrives late is worse than none.
   * @throws {DdpError} when not logged in, or the username is unknown.
   * @throws {RateLimitedError} when the server's rate limit refused it.
   */
  async setTyping(rid: string, typing: boolean): Promise<void> {
    const username = this.username;
    if (username === undefined) {
      throw new DdpError('setTyping: the username of the logged-in user is unknown (log in first)');
    }
    await this.#call('stream-notify-room', [`${rid}/user-activity`, username, typing ? ['user-typing'] : [], {}], {}, 0);
  }

  // -------------------------------------------------------------------------------------
  // Other methods

  /**
   * The id of a room, from its name or id (`'general'` → `'GENERAL'`).
   * @throws {DdpMethodError} `error-not-allowed` when there is no such room or no access.
   */
  async getRoomId(nameOrId: string): Promise<string> {
    const result = await this.#call('getRoomIdByNameOrId', [nameOrId]);
    if (typeof result !== 'string') throw new DdpProtocolError('getRoomIdByNameOrId did not answer a room id', result);
    return result;
  }

  /**
   * Joins a public room (with its join code when it has one).
   * @throws {DdpMethodError} `error-invalid-room`, `error-not-allowed`, `error-code-invalid`.
   */
  async joinRoom(rid: string, joinCode?: string): Promise<void> {
    await this.#call('joinRoom', joinCode === undefined ? [rid] : [rid, joinCode]);
  }

  /**
   * A page of a room's history, newest first.
   * @throws {DdpMethodError} `error-not-allowed` when the room does not exist or cannot be
   *   read (the server answers `false` then, without an error; this client turns it into one).
   */
  async loadHistory(rid: string, options: LoadHistoryOptions = {}): Promise<LoadHistoryResult> {
    const { before, limit = 20, lastSeen } = options;
    const params: unknown[] = [rid, before ?? null, limit];
    if (lastSeen !== undefined) params.push(lastSeen);
    const result = await this.#call('loadHistory', params);
    if (result === false || result === undefined || result === null) {
      throw new DdpMethodError(
        RocketChatErrorCode.NotAllowed,
        'room not found or not readable (loadHistory answered false)',
        undefined,
        { method: 'loadHistory' },
      );
    }
    const record = result as { messages?: unknown; unreadNotLoaded?: unknown; firstUnread?: unknown };
    if (typeof result !== 'object' || !Array.isArray(record.messages)) {
      throw new DdpProtocolError('loadHistory did not answer { messages }', result);
    }
    const history: { messages: IMessage[]; unreadNotLoaded: number; firstUnread?: IMessage } = {
      messages: record.messages.map((message) => decodeMessage(message)),
      unreadNotLoaded: typeof record.unreadNotLoaded === 'number' ? record.unreadNotLoaded : 0,
    };
    if (record.firstUnread !== undefined && record.firstUnread !== null) history.firstUnread = decodeMessage(record.firstUnread);
    return history;
  }

  /**
   * A message by id; `null` when there is none.
   * @throws {DdpMethodError} `error-not-allowed` when its room cannot be read.
   */
  async getMessage(messageId: string): Promise<IMessage | null> {
    const result = await this.#call('getSingleMessage', [messageId]);
    return result === undefined || result === null ? null : decodeMessage(result);
  }

  /**
   * Changes a message's text. The new text is checked like `sendMessage`'s.
   * @throws {InvalidMessageError} before sending; {@link DdpMethodError}
   *   `error-action-not-allowed` (editing disabled), `error-invalid-update-key`…
   */
  async updateMessage(message: { readonly _id: string; readonly rid: string; readonly msg: string }): Promise<void> {
    if (typeof message?._id !== 'string' || message._id === '') {
      throw new InvalidMessageError('_id', 'updateMessage: "_id" must be a non-empty string');
    }
    validateOutgoingMessage({ rid: message.rid, msg: message.msg }, { maxMessageLength: this.#settings.maxMessageLength });
    await this.#call('updateMessage', [{ _id: message._id, rid: message.rid, msg: message.msg }]);
  }

  /**
   * Deletes a message.
   * @throws {DdpMethodError} `error-action-not-allowed` when deleting is not allowed.
   */
  async deleteMessage(messageId: string): Promise<void> {
    await this.#call('deleteMessage', [{ _id: messageId }]);
  }

  /**
   * Removes a room's messages at once ("Prune Messages", the `cleanRoomHistory` method): those
   * sent between `oldest` and `latest`, narrowed by the other options. Resolves with how many
   * were removed. The room's listeners hear of it through {@link onMessagesPruned}.
   * @throws {TypeError} when `oldest` or `latest` is not a valid `Date` (nothing sent).
   * @throws {DdpMethodError} `error-not-allowed` without the `clean-channel-history`
   *   permission (admins, and the room's owners, by default) or access to the room.
   */
  async pruneMessages(rid: string, options: PruneMessagesOptions): Promise<number> {
    const { oldest, latest } = options;
    for (const [name, value] of [['oldest', oldest], ['latest', latest]] as const) {
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`pruneMessages: "${name}" must be a valid Date`);
    }
    const params = withoutUndefined({
      roomId: rid,
      latest,
      oldest,
      inclusive: options.inclusive ?? true,
      limit: options.limit,
      excludePinned: options.excludePinned,
      ignoreDiscussion: options.ignoreDiscussion,
      ignoreThreads: options.ignoreThreads,
      fromUsers: options.fromUsers === undefined ? undefined : [...options.fromUsers],
    });
    const removed = await this.#call('cleanRoomHistory', [params]);
    if (typeof removed !== 'number') throw new DdpProtocolError('cleanRoomHistory did not answer a count', removed);
    return removed;
  }

  /**
   * Adds (`shouldReact` true), removes (false) or toggles (left out) a reaction, e.g.
   * `':thumbsup:'`.
   * @throws {DdpMethodError} `error-not-allowed` for an unknown emoji, and when the server
   *   refused silently (it answers `false` to a muted user; this client turns it into an error).
   */
  async react(messageId: string, emoji: string, shouldReact?: boolean): Promise<void> {
    const params: unknown[] = [emoji, messageId];
    if (shouldReact !== undefined) params.push(shouldReact);
    const result = await this.#call('setReaction', params);
    if (result === false) {
      throw new DdpMethodError(RocketChatErrorCode.NotAllowed, 'reaction refused (the user may be muted)', undefined, {
        method: 'setReaction',
      });
    }
  }

  /**
   * Opens (or finds) the direct-message room with these users.
   * @throws {DdpMethodError} `error-invalid-user`, `error-not-allowed`.
   */
  async createDirectMessage(...usernames: string[]): Promise<{
    /** The direct-message room's id. */
    rid: string;
  }> {
    const result = await this.#call('createDirectMessage', usernames);
    const rid = typeof result === 'object' && result !== null ? (result as { rid?: unknown }).rid : undefined;
    if (typeof rid !== 'string') throw new DdpProtocolError('createDirectMessage did not answer { rid }', result);
    return { rid };
  }

  /**
   * A DDP call whose server error is turned into its specific class. Refused by the server's
   * rate limit (`too-many-requests`: the call was not run), it is made again after the
   * server's `timeToReset`, at most `retries` times (by default `rateLimit.maxRetries`, none
   * with `rateLimit: false`); then it rejects with {@link RateLimitedError}.
   */
  async #call(
    method: string,
    params: readonly unknown[],
    options: { signal?: AbortSignal; timeoutMs?: number; wait?: boolean } = {},
    retries: number = this.#pacing?.maxRetries ?? 0,
  ): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await callMapped(this, method, params, options, ROCKETCHAT_ERRORS, undefined);
      } catch (error) {
        if (!isRateLimitedError(error) || attempt >= retries) throw error;
        const signals = [this.#closingSignal()];
        if (options.signal !== undefined) signals.push(options.signal);
        await sleep(error.retryAfterMs, ...signals);
      }
    }
  }
}
