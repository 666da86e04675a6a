/**
 * Errors as a Rocket.Chat server puts them on the wire.
 *
 * A Meteor error object has its own keys in this order: `isClientSafe, error, reason,
 * details, message, errorType`, with `message` = `"<reason> [<error>]"` (or `"[<error>]"`
 * without a reason); absent keys vanish. Rocket.Chat's separate DDP service writes the same
 * fields in another order (`isClientSafe, errorType, error, reason, message, details`).
 *
 * @module
 */
import type { DdpErrorObject } from '../ddp/protocol.js';
import { toJsonValue } from '../ddp/ejson.js';

/** The error object of a `result` or `nosub` frame, as Meteor writes it. */
export interface MeteorErrorObject extends DdpErrorObject {
  readonly isClientSafe: true;
  readonly error: string | number;
  readonly message: string;
  readonly errorType: 'Meteor.Error';
}

/** Builds a Meteor error object with Meteor's key order. */
export function meteorError(error: string | number, reason?: string, details?: unknown): MeteorErrorObject {
  const object: Record<string, unknown> = { isClientSafe: true, error };
  if (reason !== undefined) object['reason'] = reason;
  if (details !== undefined) object['details'] = details;
  object['message'] = reason === undefined ? `[${String(error)}]` : `${reason} [${String(error)}]`;
  object['errorType'] = 'Meteor.Error';
  return object as unknown as MeteorErrorObject;
}

/**
 * The same error with the key order of Rocket.Chat's DDP service, which also EJSON-encodes
 * `details` (a Date there becomes `{ $date }`, not an ISO string).
 */
export function streamerOrder(object: DdpErrorObject): DdpErrorObject {
  const out: Record<string, unknown> = { isClientSafe: object.isClientSafe ?? true, errorType: object.errorType ?? 'Meteor.Error' };
  out['error'] = object.error;
  if (object.reason !== undefined) out['reason'] = object.reason;
  if (object.message !== undefined) out['message'] = object.message;
  if (object.details !== undefined) out['details'] = toJsonValue(object.details);
  return out as unknown as DdpErrorObject;
}

/** Thrown by a method or publication handler: the client receives `object`. */
export class MethodError extends Error {
  /** Always `'MethodError'`. */
  override name = 'MethodError';
  /** The error object sent to the client. */
  readonly object: MeteorErrorObject;
  constructor(object: MeteorErrorObject) {
    super(object.message);
    this.object = object;
  }
  /** The error code (`object.error`). */
  get code(): string | number {
    return this.object.error;
  }
}

/** Shorthand: a {@link MethodError} for `meteorError(error, reason, details)`. */
export function methodError(error: string | number, reason?: string, details?: unknown): MethodError {
  return new MethodError(meteorError(error, reason, details));
}

/** What a failed `check()` becomes on the wire: `400 "Match failed"`. */
export function matchFailed(): MethodError {
  return methodError(400, 'Match failed');
}

/** What any exception that is not a Meteor error becomes: `500 "Internal server error"`. */
export function internalError(): MethodError {
  return methodError(500, 'Internal server error');
}

/** Meteor's rate-limit refusal; `timeToReset` is in milliseconds. */
export function tooManyRequests(timeToReset: number): MethodError {
  const seconds = Math.ceil(timeToReset / 1000);
  return methodError(
    'too-many-requests',
    `Error, too many requests. Please slow down. You must wait ${seconds} seconds before trying again.`,
    { timeToReset },
  );
}

/** Turns anything a handler threw into the error object the client sees (Meteor's rules). */
export function toErrorObject(thrown: unknown): MeteorErrorObject {
  if (thrown instanceof MethodError) return thrown.object;
  return internalError().object;
}
