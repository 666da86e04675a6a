/**
 * Rocket.Chat's error codes, and the errors this layer adds on top of the DDP ones.
 *
 * The server's codes are strings (`"too-many-requests"`) or numbers (`401`); key on them,
 * never on the `reason` text, which the server rewords between versions.
 *
 * @module
 */
import { DdpError, DdpMethodError, isDdpMethodError } from '../ddp/errors.js';

/**
 * Error codes Rocket.Chat answers with, as constants.
 *
 * @example
 * if (isDdpMethodError(e) && e.error === RocketChatErrorCode.InvalidRoom) …
 */
export const RocketChatErrorCode = {
  /** Rate limited; `details.timeToReset` says in how many ms the window resets. */
  TooManyRequests: 'too-many-requests',
  /**
   * Rate limited over REST (HTTP 429, `x-ratelimit-reset` header); `details.timeToReset` is
   * computed from the header.
   */
  RestTooManyRequests: 'error-too-many-requests',
  /** A REST request body did not pass the server's schema check (HTTP 400). */
  InvalidParams: 'error-invalid-params',
  /** A two-factor code is required: log in again with `code`. */
  TotpRequired: 'totp-required',
  /** The two-factor code was wrong (or expired). */
  TotpInvalid: 'totp-invalid',
  /** Too many wrong two-factor codes. */
  TotpMaxAttempts: 'totp-max-attempts',
  /** Not logged in, or the user has no username. */
  InvalidUser: 'error-invalid-user',
  /** No access (to the room, the action…). */
  NotAllowed: 'error-not-allowed',
  /** The action is disabled for this user (editing, deleting…). */
  ActionNotAllowed: 'error-action-not-allowed',
  /** The room does not exist. */
  InvalidRoom: 'error-invalid-room',
  /** `updateMessage` tried to change a field that cannot change. */
  InvalidUpdateKey: 'error-invalid-update-key',
  /** The room's join code was wrong. */
  InvalidJoinCode: 'error-code-invalid',
  /** A stream subscription was refused. */
  StreamNotAllowed: 'not-allowed',
  /** Every credential failure of `login` (unknown user, wrong password, bad resume token) on Rocket.Chat ≥ 7.0. */
  Unauthorized: 401,
  /** The same failures on Rocket.Chat < 7.0, and every failure on the separate DDP service. */
  Forbidden: 403,
  /** A parameter did not pass the server's type check (`"Match failed"`), e.g. an unknown key in `sendMessage`. */
  MatchFailed: 400,
  /** No such method (a server that removed it) or publication. */
  NotFound: 404,
  /** The server threw something that was not meant for clients. */
  InternalServerError: 500,
} as const;

/** Any value of {@link RocketChatErrorCode}. */
export type RocketChatErrorCode = (typeof RocketChatErrorCode)[keyof typeof RocketChatErrorCode];

function detailsRecord(details: unknown): Record<string, unknown> {
  return typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {};
}

function methodOptions(source: DdpMethodError): { method?: string; cause: unknown } {
  return source.method === undefined ? { cause: source } : { method: source.method, cause: source };
}

/**
 * The server refused a call because of its rate limit (`too-many-requests`), and the call was
 * not run. With `rateLimit` on, `sendMessage` waits and retries before giving up with this.
 */
export class RateLimitedError extends DdpMethodError {
  /** Always `'RateLimitedError'` (the guards check it, across realms too). */
  override name = 'RateLimitedError';
  /** How long to wait before trying again, in milliseconds (the server's `details.timeToReset`). */
  readonly retryAfterMs: number;

  /** Builds it from the server's `too-many-requests` error. */
  constructor(source: DdpMethodError) {
    super(source.error, source.reason, source.details, methodOptions(source));
    const wait = detailsRecord(source.details)['timeToReset'];
    this.retryAfterMs = typeof wait === 'number' && Number.isFinite(wait) && wait >= 0 ? wait : 1000;
  }
}

/**
 * A login needs a two-factor code (`error` is `"totp-required"`), or the code given was wrong
 * (`"totp-invalid"`). Log in again with the same credentials plus `code`.
 *
 * About `method`: on other {@link DdpMethodError}s it names the DDP method that failed; here,
 * as the server's `details.method` does, it names the **two-factor method** (`'totp'` for an
 * authenticator app, `'email'` for a code sent by e-mail). {@link twoFactorMethod} is the same
 * value under an unambiguous name, and {@link ddpMethod} is the DDP method that failed
 * (`'login'`).
 */
export class TwoFactorRequiredError extends DdpMethodError {
  /** Always `'TwoFactorRequiredError'` (the guards check it, across realms too). */
  override name = 'TwoFactorRequiredError';
  /** The two-factor method the server chose: `'totp'` or `'email'` (not the DDP method: see the class notes). */
  override readonly method: string;
  /** Same as {@link method}. */
  readonly twoFactorMethod: string;
  /** Every two-factor method the user may use, e.g. `['totp', 'email']`. */
  readonly availableMethods: readonly string[];
  /** The DDP method that failed, usually `'login'`. */
  readonly ddpMethod: string | undefined;

  /** Builds it from the server's `totp-required` / `totp-invalid` error. */
  constructor(source: DdpMethodError) {
    super(source.error, source.reason, source.details, methodOptions(source));
    const details = detailsRecord(source.details);
    const twoFactor = typeof details['method'] === 'string' ? details['method'] : 'totp';
    const available = details['availableMethods'];
    this.ddpMethod = source.method;
    this.method = twoFactor;
    this.twoFactorMethod = twoFactor;
    this.availableMethods = Array.isArray(available)
      ? available.filter((entry): entry is string => typeof entry === 'string')
      : [twoFactor];
  }
}

/**
 * `sendMessage` got no confirmation: the server answered with an empty result and has no
 * message with this id. Rocket.Chat answers this way for a room that does not exist or is
 * read-only, a muted user, a message too long, a clock too far off, and more; when it
 * explained itself (a private notice on `stream-notify-user`), `reason` quotes it.
 */
export class MessageNotDeliveredError extends DdpError {
  /** Always `'MessageNotDeliveredError'` (the guards check it, across realms too). */
  override name = 'MessageNotDeliveredError';
  /** The `_id` the message was sent with; it is not stored on the server. */
  readonly messageId: string;
  /** The room it was meant for. */
  readonly rid: string;
  /** The server's explanation (e.g. `"Invalid room"`), when one arrived. */
  readonly reason: string | undefined;

  /**
   * @param options.cause the server's refusal, when it answered with an error (over REST:
   *   a {@link DdpMethodError} with the server's code)
   * @param options.hint what to do about it, appended to the message (e.g. the permission
   *   the server wants)
   */
  constructor(messageId: string, rid: string, reason?: string, options: { cause?: unknown; hint?: string } = {}) {
    const why =
      reason === undefined
        ? `message ${messageId} was not delivered to room ${rid} (the server gave no reason)`
        : `message ${messageId} was not delivered to room ${rid}: ${JSON.stringify(reason)}`;
    super(options.hint === undefined ? why : `${why}; ${options.hint}`, 'cause' in options ? { cause: options.cause } : undefined);
    this.messageId = messageId;
    this.rid = rid;
    this.reason = reason;
  }
}

/** A message was refused before sending (nothing was sent): `field` names what was wrong. */
export class InvalidMessageError extends DdpError {
  /** Always `'InvalidMessageError'` (the guards check it, across realms too). */
  override name = 'InvalidMessageError';
  /** The offending field, e.g. `'msg'`, `'rid'`, `'tshow'`, `'attachments'`; `'message'` for the value as a whole. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/**
 * A `messages()` iterator ended because its consumer fell too far behind: more events
 * arrived than its buffer holds. Nothing is dropped silently.
 */
export class StreamOverflowError extends DdpError {
  /** Always `'StreamOverflowError'` (the guards check it, across realms too). */
  override name = 'StreamOverflowError';
  /** The room (or `'__my_messages__'`) of the iterator. */
  readonly rid: string;
  /** The bound that was reached. */
  readonly bufferSize: number;
  constructor(rid: string, bufferSize: number) {
    super(`messages(${JSON.stringify(rid)}): more than ${bufferSize} events waited for the consumer; the iterator ended`);
    this.rid = rid;
    this.bufferSize = bufferSize;
  }
}

/**
 * Turns a server error into the specific class for its code: `too-many-requests` →
 * {@link RateLimitedError}, `totp-required` / `totp-invalid` → {@link TwoFactorRequiredError}.
 * Anything else (already specific, another code, not a method error) is returned unchanged.
 */
export function toRocketChatError(error: unknown): unknown {
  if (!(error instanceof DdpMethodError) || error.name !== 'DdpMethodError') return error;
  switch (error.error) {
    case RocketChatErrorCode.TooManyRequests:
      return new RateLimitedError(error);
    case RocketChatErrorCode.TotpRequired:
    case RocketChatErrorCode.TotpInvalid:
      return new TwoFactorRequiredError(error);
    default:
      return error;
  }
}

/** `true` when `error` is a server error with this code (`hasErrorCode(e, 'error-invalid-room')`). */
export function hasErrorCode(error: unknown, code: string | number): error is DdpMethodError {
  return isDdpMethodError(error) && error.error === code;
}

function hasName(value: unknown, name: string): boolean {
  return value instanceof Error && value.name === name;
}

/** `true` when `value` is a {@link RateLimitedError} (checks `name` too, for other realms). */
export function isRateLimitedError(value: unknown): value is RateLimitedError {
  return value instanceof RateLimitedError || hasName(value, 'RateLimitedError');
}

/** `true` when `value` is a {@link TwoFactorRequiredError}. */
export function isTwoFactorRequiredError(value: unknown): value is TwoFactorRequiredError {
  return value instanceof TwoFactorRequiredError || hasName(value, 'TwoFactorRequiredError');
}

/** `true` when `value` is a {@link MessageNotDeliveredError}. */
export function isMessageNotDeliveredError(value: unknown): value is MessageNotDeliveredError {
  return value instanceof MessageNotDeliveredError || hasName(value, 'MessageNotDeliveredError');
}

/** `true` when `value` is an {@link InvalidMessageError}. */
export function isInvalidMessageError(value: unknown): value is InvalidMessageError {
  return value instanceof InvalidMessageError || hasName(value, 'InvalidMessageError');
}

/** `true` when `value` is a {@link StreamOverflowError}. */
export function isStreamOverflowError(value: unknown): value is StreamOverflowError {
  return value instanceof StreamOverflowError || hasName(value, 'StreamOverflowError');
}
