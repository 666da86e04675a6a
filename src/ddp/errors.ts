/**
 * The DDP layer's errors: one base class, a few leaves, and guards that also work across
 * realms (they check `name` as well as the prototype chain).
 *
 * Messages say what failed and on what ("method sendMessage timed out after 60000 ms") and
 * never contain a secret: no error here ever includes a method's params.
 *
 * @module
 */
import type { DdpErrorObject } from './protocol.js';

/** Base class of every error this library throws or rejects with. */
export class DdpError extends Error {
  /** `'DdpError'`; each subclass sets its own. The guards check it, so they work across realms. */
  override name = 'DdpError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The server answered a method call (or a subscription) with an error.
 *
 * `error` is the server's code exactly as sent: a string such as `"too-many-requests"` or a
 * number such as `401`. Key on it, not on `reason`, which servers reword between versions.
 */
export class DdpMethodError extends DdpError {
  /** `'DdpMethodError'`; its subclasses set their own. The guards check it, so they work across realms. */
  override name = 'DdpMethodError';
  /** The server's error code, e.g. `"error-invalid-room"` or `401`. */
  readonly error: string | number;
  /** The server's explanation, when it gave one. */
  readonly reason: string | undefined;
  /** The server's machine-readable details, e.g. `{ timeToReset: 425 }`. */
  readonly details: unknown;
  /** The method (or publication) that failed. */
  readonly method: string | undefined;

  constructor(
    error: string | number,
    reason?: string,
    details?: unknown,
    options?: { method?: string; cause?: unknown },
  ) {
    const where = options?.method === undefined ? '' : `${options.method}: `;
    super(`${where}${reason ?? 'server error'} [${String(error)}]`, options);
    this.error = error;
    this.reason = reason;
    this.details = details;
    this.method = options?.method;
  }

  /** Builds the error from the `error` object of a `result` or `nosub` frame. */
  static fromObject(object: DdpErrorObject, method?: string): DdpMethodError {
    return new DdpMethodError(
      object.error,
      object.reason,
      object.details,
      method === undefined ? {} : { method },
    );
  }
}

/** A call (or a wait such as `ready()`) took longer than its timeout. */
export class DdpTimeoutError extends DdpError {
  /** Always `'DdpTimeoutError'` (the guards check it, so they work across realms). */
  override name = 'DdpTimeoutError';
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/** The client was closed with `close()` (or ended for good) while this was pending. */
export class DdpClosedError extends DdpError {
  /** Always `'DdpClosedError'` (the guards check it, so they work across realms). */
  override name = 'DdpClosedError';
}

/** Why a connection attempt or an in-flight call failed at the transport level. */
export type DdpConnectionErrorCode = 'refused' | 'timeout' | 'closed' | 'invocation-failed';

/**
 * The link failed: the first `connect()` could not open a session (`refused`, `timeout`,
 * `closed`), or a `noRetry` call was in flight when the link dropped (`invocation-failed`:
 * the server may or may not have run it).
 */
export class DdpConnectionError extends DdpError {
  /** Always `'DdpConnectionError'` (the guards check it, so they work across realms). */
  override name = 'DdpConnectionError';
  /** What went wrong: `'refused'`, `'timeout'`, `'closed'` or `'invocation-failed'`. */
  readonly code: DdpConnectionErrorCode;
  constructor(code: DdpConnectionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The server speaks no DDP version this client speaks. Final: the client does not retry. */
export class DdpVersionError extends DdpError {
  /** Always `'DdpVersionError'` (the guards check it, so they work across realms). */
  override name = 'DdpVersionError';
  /** The version the server asked for. */
  readonly serverVersion: string;
  constructor(serverVersion: string) {
    super(`server requires DDP version ${JSON.stringify(serverVersion)}, which this client does not speak`);
    this.serverVersion = serverVersion;
  }
}

/** The server sent something that is not valid DDP (bad JSON, a frame of the wrong shape, too large). */
export class DdpProtocolError extends DdpError {
  /** Always `'DdpProtocolError'` (the guards check it, so they work across realms). */
  override name = 'DdpProtocolError';
  /** The offending text (cut to 200 characters) or frame, for diagnosis. */
  readonly offendingFrame: unknown;
  constructor(message: string, offendingFrame?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.offendingFrame = offendingFrame;
  }
}

/** Which bound was hit. */
export type DdpLimit = 'maxPendingCalls' | 'maxFrameBytes';

/** A bound was reached (too many pending calls, an outgoing frame too large): nothing was sent. */
export class DdpLimitError extends DdpError {
  /** Always `'DdpLimitError'` (the guards check it, so they work across realms). */
  override name = 'DdpLimitError';
  /** The option whose bound was reached. */
  readonly limit: DdpLimit;
  /** The bound's value. */
  readonly max: number;
  constructor(limit: DdpLimit, max: number, message: string) {
    super(message);
    this.limit = limit;
    this.max = max;
  }
}

function hasName(value: unknown, ...names: string[]): boolean {
  return value instanceof Error && names.includes(value.name);
}

/** `true` for any error of this library (checks `name`, so it works across realms). */
export function isDdpError(value: unknown): value is DdpError {
  return value instanceof DdpError || (value instanceof Error && /^(Ddp|RateLimited|TwoFactor|MessageNotDelivered|InvalidMessage|StreamOverflow)/.test(value.name));
}

/** `true` when `value` is a {@link DdpMethodError} (or one of its subclasses). */
export function isDdpMethodError(value: unknown): value is DdpMethodError {
  return (
    value instanceof DdpMethodError ||
    hasName(value, 'DdpMethodError', 'RateLimitedError', 'TwoFactorRequiredError')
  );
}

/** `true` when `value` is a {@link DdpTimeoutError}. */
export function isDdpTimeoutError(value: unknown): value is DdpTimeoutError {
  return value instanceof DdpTimeoutError || hasName(value, 'DdpTimeoutError');
}

/** `true` when `value` is a {@link DdpClosedError}. */
export function isDdpClosedError(value: unknown): value is DdpClosedError {
  return value instanceof DdpClosedError || hasName(value, 'DdpClosedError');
}

/** `true` when `value` is a {@link DdpConnectionError}. */
export function isDdpConnectionError(value: unknown): value is DdpConnectionError {
  return value instanceof DdpConnectionError || hasName(value, 'DdpConnectionError');
}
