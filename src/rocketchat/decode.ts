/**
 * `decodeMessage`: an EJSON-decoded value → a checked {@link IMessage}.
 *
 * The codec has already turned `{"$date": n}` into `Date`s; this module only validates and
 * maps. Date fields also accept an ISO string or epoch milliseconds, as REST answers and
 * attachment input carry them. A value that is not a message throws a
 * {@link DdpProtocolError} naming the field, instead of returning something that only looks
 * like a message.
 *
 * @module
 */
import { DdpProtocolError } from '../ddp/errors.js';
import type { IMessage } from './types.js';

/** Top-level fields of a message that hold a date. */
const MESSAGE_DATE_FIELDS = [
  '_updatedAt',
  'editedAt',
  'pinnedAt',
  'tlm',
  'dlm',
  'webRtcCallEndTs',
  '_deletedAt',
] as const;

type MutableRecord = Record<string, unknown>;

/** `true` for a plain record: an object that is neither an array nor a `Date`. */
export function isRecord(value: unknown): value is MutableRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function fail(what: string, raw: unknown): never {
  throw new DdpProtocolError(`invalid message: ${what}`, raw);
}

/**
 * A date from a `Date`, an ISO 8601 string, or epoch milliseconds; `undefined` when the value
 * is none of these or is not a valid instant.
 */
export function toDate(value: unknown): Date | undefined {
  let date: Date;
  if (value instanceof Date) date = value;
  else if (typeof value === 'string' && value !== '') date = new Date(value);
  else if (typeof value === 'number' && Number.isFinite(value)) date = new Date(value);
  else return undefined;
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Copies own enumerable fields, keeping a `"__proto__"` key as data. */
function copyRecord(source: MutableRecord): MutableRecord {
  const copy: MutableRecord = {};
  for (const key of Object.keys(source)) {
    if (key === '__proto__') {
      Object.defineProperty(copy, key, { value: source[key], enumerable: true, writable: true, configurable: true });
    } else {
      copy[key] = source[key];
    }
  }
  return copy;
}

/** Replaces an optional date field in place: absent or `null` → removed; not a date → throws. */
function mapOptionalDate(record: MutableRecord, field: string, path: string, raw: unknown): void {
  if (!Object.hasOwn(record, field)) return;
  const value = record[field];
  if (value === null || value === undefined) {
    delete record[field];
    return;
  }
  const date = toDate(value);
  if (date === undefined) fail(`"${path}" is not a date`, raw);
  record[field] = date;
}

function decodeAttachments(value: unknown, path: string, raw: unknown, depth: number): unknown[] {
  if (!Array.isArray(value)) fail(`"${path}" is not an array`, raw);
  if (depth > 8) fail(`"${path}" nests too deeply`, raw);
  return value.map((item: unknown, index) => {
    const itemPath = `${path}[${index}]`;
    if (!isRecord(item)) fail(`"${itemPath}" is not an object`, raw);
    const attachment = copyRecord(item);
    mapOptionalDate(attachment, 'ts', `${itemPath}.ts`, raw);
    if (attachment['attachments'] !== undefined && attachment['attachments'] !== null) {
      attachment['attachments'] = decodeAttachments(attachment['attachments'], `${itemPath}.attachments`, raw, depth + 1);
    }
    return attachment;
  });
}

/**
 * Checks and maps a decoded message (a `sendMessage` result, a stream event's argument, an
 * entry of `loadHistory`) into an {@link IMessage}.
 *
 * - `_id` (non-empty string), `rid` (string), `ts` (a date) and `u` (`{ _id, username }`
 *   strings) are required; `msg` must be a string when present and is `''` when absent.
 * - `ts`, `_updatedAt`, `editedAt`, `pinnedAt`, `tlm`, `dlm`, `webRtcCallEndTs`,
 *   `_deletedAt` and every attachment's `ts` become `Date`s (from a `Date`, an ISO string or
 *   epoch ms); an optional date that is `null` is left out.
 * - Every other field is kept as it is. The input is not modified.
 *
 * @throws {DdpProtocolError} when `raw` is not a message (the error's `offendingFrame` is `raw`).
 * @example
 * const message = decodeMessage(await client.call('getSingleMessage', [id]));
 * message.ts instanceof Date; // true
 */
export function decodeMessage(raw: unknown): IMessage {
  return mapMessage(raw, false);
}

/**
 * {@link decodeMessage} for a value nobody else holds (a method's result, fresh from the
 * codec): the message is mapped in place instead of copied. Not for stream events, whose
 * arguments every listener of the stream shares.
 */
export function decodeOwnedMessage(raw: unknown): IMessage {
  return mapMessage(raw, true);
}

function mapMessage(raw: unknown, inPlace: boolean): IMessage {
  if (!isRecord(raw)) fail('not an object', raw);
  const id = raw['_id'];
  if (typeof id !== 'string' || id === '') fail('"_id" is not a non-empty string', raw);
  if (typeof raw['rid'] !== 'string') fail('"rid" is not a string', raw);
  const msg = raw['msg'];
  if (msg !== undefined && typeof msg !== 'string') fail('"msg" is not a string', raw);
  const ts = toDate(raw['ts']);
  if (ts === undefined) fail('"ts" is not a date', raw);
  const user = raw['u'];
  if (!isRecord(user) || typeof user['_id'] !== 'string' || typeof user['username'] !== 'string') {
    fail('"u" is not a user reference { _id, username }', raw);
  }

  const message = inPlace ? raw : copyRecord(raw);
  message['msg'] = msg ?? '';
  message['ts'] = ts;
  for (const field of MESSAGE_DATE_FIELDS) mapOptionalDate(message, field, field, raw);
  const attachments = message['attachments'];
  if (attachments === null) delete message['attachments'];
  else if (attachments !== undefined) message['attachments'] = decodeAttachments(attachments, 'attachments', raw, 0);
  return message as unknown as IMessage;
}
