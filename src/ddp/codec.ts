/**
 * Text ⇄ frame. The only place where DDP text is parsed or produced.
 *
 * - Decoding parses once with `JSON.parse`, checks the frame's shape, and converts EJSON in
 *   place, only in `params`, `result` and `fields` (as Meteor does): everything after the codec
 *   sees real `Date`s and never raw `{ $date }`. `error` objects stay plain JSON.
 * - Server greetings (`{"server_id":"0"}` and `{"msg":"server_id",…}`) and frames with an
 *   unknown `msg` decode to `null`: ignore them. Unknown fields are kept and ignored.
 * - Anything else that is not a valid frame is a {@link DdpProtocolError}.
 *
 * @module
 */
import { DdpProtocolError } from './errors.js';
import { fromParsedJson, toJsonValue } from './ejson.js';
import type {
  ClientFrame,
  DdpErrorObject,
  DdpFrame,
  ServerFrame,
} from './protocol.js';

/** The default bound on one frame, in UTF-8 bytes: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Options of {@link decodeServerFrame} and `decodeClientFrame`. */
export interface DecodeOptions {
  /**
   * Frames longer than this many UTF-8 bytes are refused.
   * @default 16777216 (16 MiB)
   */
  readonly maxFrameBytes?: number;
}

// ---------------------------------------------------------------------------------------
// Server → client

/**
 * Decodes one frame received from a server.
 *
 * @returns the frame, or `null` for a frame to ignore (a greeting or an unknown `msg`).
 * @throws {DdpProtocolError} when the text is not JSON, not an object, lacks a string `msg`,
 *   has fields of the wrong type for its `msg`, or is larger than `maxFrameBytes`.
 */
export function decodeServerFrame(text: string, options?: DecodeOptions): ServerFrame | null {
  const object = parseObject(text, options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  const msg = object['msg'];
  if (typeof msg !== 'string') {
    if (msg === undefined && Object.hasOwn(object, 'server_id')) return null; // old greeting
    throw new DdpProtocolError('frame has no string "msg" field', clip(text));
  }
  switch (msg) {
    case 'connected':
      requireString(object, 'session', text);
      return object as unknown as ServerFrame;
    case 'failed':
      requireString(object, 'version', text);
      return object as unknown as ServerFrame;
    case 'ping':
    case 'pong':
      optionalString(object, 'id', text);
      return object as unknown as ServerFrame;
    case 'result':
      requireString(object, 'id', text);
      optionalErrorObject(object, text);
      if (Object.hasOwn(object, 'result')) object['result'] = fromParsedJson(object['result'], text);
      return object as unknown as ServerFrame;
    case 'updated':
      requireStringArray(object, 'methods', text);
      return object as unknown as ServerFrame;
    case 'ready':
      requireStringArray(object, 'subs', text);
      return object as unknown as ServerFrame;
    case 'nosub':
      requireString(object, 'id', text);
      optionalErrorObject(object, text);
      return object as unknown as ServerFrame;
    case 'added':
    case 'changed':
    case 'addedBefore':
      requireString(object, 'collection', text);
      requireString(object, 'id', text);
      decodeFields(object, text);
      if (msg === 'changed' && object['cleared'] !== undefined) requireStringArray(object, 'cleared', text);
      if (msg === 'addedBefore') requireBefore(object, text);
      return object as unknown as ServerFrame;
    case 'removed':
    case 'movedBefore':
      requireString(object, 'collection', text);
      requireString(object, 'id', text);
      if (msg === 'movedBefore') requireBefore(object, text);
      return object as unknown as ServerFrame;
    case 'error':
      requireString(object, 'reason', text);
      return object as unknown as ServerFrame;
    default:
      return null; // includes Rocket.Chat's {"msg":"server_id","server_id":"0"}
  }
}

// ---------------------------------------------------------------------------------------
// Client → server (used by servers, e.g. the fake Rocket.Chat server)

/** Why a client frame was refused; the texts are the reasons Meteor's server sends. */
export type ClientFrameProblem =
  | 'Bad request'
  | 'Malformed method invocation'
  | 'Malformed subscription'
  | 'Malformed connect';

/** The outcome of {@link decodeClientFrame}. */
export type ClientFrameDecoding =
  | { readonly kind: 'frame'; readonly frame: ClientFrame }
  | {
      readonly kind: 'invalid';
      readonly reason: ClientFrameProblem;
      /** The parsed object, when the text was a JSON object at all. */
      readonly offendingMessage?: Readonly<Record<string, unknown>>;
    };

/**
 * Decodes one frame received from a client, the way Meteor's server judges it: text that is
 * not a JSON object, or an object without a known `msg`, is a `"Bad request"`; a method or
 * subscription with fields of the wrong type is `"Malformed method invocation"` /
 * `"Malformed subscription"`; a `connect` without a string `version` and a string-array
 * `support` is `"Malformed connect"` (Meteor answers those with `failed`). Never throws.
 */
export function decodeClientFrame(text: string, options?: DecodeOptions): ClientFrameDecoding {
  let object: Record<string, unknown>;
  try {
    object = parseObject(text, options?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  } catch {
    return { kind: 'invalid', reason: 'Bad request' };
  }
  const invalid = (reason: ClientFrameProblem): ClientFrameDecoding => ({
    kind: 'invalid',
    reason,
    offendingMessage: object,
  });
  switch (object['msg']) {
    case 'connect':
      if (typeof object['version'] !== 'string' || !isStringArray(object['support'])) {
        return invalid('Malformed connect');
      }
      break;
    case 'method':
      if (
        typeof object['id'] !== 'string' ||
        typeof object['method'] !== 'string' ||
        (object['params'] !== undefined && !Array.isArray(object['params'])) ||
        (object['randomSeed'] !== undefined && typeof object['randomSeed'] !== 'string')
      ) {
        return invalid('Malformed method invocation');
      }
      object['params'] = fromParsedJson(object['params'] ?? [], text);
      break;
    case 'sub':
      if (
        typeof object['id'] !== 'string' ||
        typeof object['name'] !== 'string' ||
        (object['params'] !== undefined && !Array.isArray(object['params']))
      ) {
        return invalid('Malformed subscription');
      }
      object['params'] = fromParsedJson(object['params'] ?? [], text);
      break;
    case 'unsub':
      if (typeof object['id'] !== 'string') return invalid('Bad request');
      break;
    case 'ping':
    case 'pong':
      if (object['id'] !== undefined && typeof object['id'] !== 'string') return invalid('Bad request');
      break;
    default:
      return invalid('Bad request');
  }
  return { kind: 'frame', frame: object as unknown as ClientFrame };
}

// ---------------------------------------------------------------------------------------
// Encoding (either direction)

/**
 * Encodes a frame as DDP text: `params`, `result` and `fields` are EJSON-encoded (a `Date`
 * becomes `{"$date": ms}`), the rest is plain JSON. Fields whose value is `undefined` vanish.
 */
export function encodeFrame(frame: DdpFrame): string {
  switch (frame.msg) {
    case 'method':
    case 'sub':
      return stringifyWith(frame, 'params', frame.params);
    case 'result':
      return stringifyWith(frame, 'result', frame.result);
    case 'added':
    case 'changed':
    case 'addedBefore':
      return stringifyWith(frame, 'fields', frame.fields);
    default:
      return JSON.stringify(frame);
  }
}

/** A value as EJSON text (a `Date` becomes `{"$date": ms}`), as {@link encodeFrame} writes `params`. */
export function encodeValue(value: unknown): string {
  return JSON.stringify(toJsonValue(value));
}

/**
 * The `sub` frame's text from its parts, `params` already encoded ({@link encodeValue}):
 * the text {@link encodeFrame} gives the same frame, for a subscription that keeps only
 * its encoded params to renew itself.
 */
export function encodeSubFrame(id: string, name: string, paramsText: string): string {
  return `{"msg":"sub","id":${JSON.stringify(id)},"name":${JSON.stringify(name)},"params":${paramsText}}`;
}

function stringifyWith(frame: DdpFrame, key: 'params' | 'result' | 'fields', value: unknown): string {
  if (value === undefined) return JSON.stringify(frame);
  const encoded = toJsonValue(value);
  return JSON.stringify(encoded === value ? frame : { ...frame, [key]: encoded });
}

/** Number of UTF-8 bytes `text` takes, computed without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** `true` when `text` is longer than `maxBytes` UTF-8 bytes (cheap for the common case). */
export function exceedsBytes(text: string, maxBytes: number): boolean {
  // A UTF-16 unit takes 1 to 3 UTF-8 bytes (a surrogate pair: 4 for 2 units).
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return utf8Length(text) > maxBytes;
}

// ---------------------------------------------------------------------------------------
// Shape checks

function parseObject(text: string, maxFrameBytes: number): Record<string, unknown> {
  if (typeof text !== 'string') throw new DdpProtocolError('frame is not text', undefined);
  if (exceedsBytes(text, maxFrameBytes)) {
    throw new DdpProtocolError(`frame of ${utf8Length(text)} bytes exceeds maxFrameBytes (${maxFrameBytes})`, clip(text));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new DdpProtocolError('frame is not valid JSON', clip(text), { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DdpProtocolError('frame is not a JSON object', clip(text));
  }
  return value as Record<string, unknown>;
}

function decodeFields(object: Record<string, unknown>, text: string): void {
  const fields = object['fields'];
  if (fields === undefined) return;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw wrongType(object, 'fields', 'an object', text);
  }
  fromParsedJson(fields, text);
}

function requireString(object: Record<string, unknown>, key: string, text: string): void {
  if (typeof object[key] !== 'string') throw wrongType(object, key, 'a string', text);
}

function optionalString(object: Record<string, unknown>, key: string, text: string): void {
  const value = object[key];
  if (value !== undefined && typeof value !== 'string') throw wrongType(object, key, 'a string', text);
}

function requireStringArray(object: Record<string, unknown>, key: string, text: string): void {
  if (!isStringArray(object[key])) throw wrongType(object, key, 'an array of strings', text);
}

function requireBefore(object: Record<string, unknown>, text: string): void {
  const before = object['before'];
  if (before !== null && typeof before !== 'string') throw wrongType(object, 'before', 'a string or null', text);
}

function optionalErrorObject(object: Record<string, unknown>, text: string): void {
  const error = object['error'];
  if (error === undefined) return;
  if (!isErrorObject(error)) throw wrongType(object, 'error', 'an error object with a string or number "error"', text);
}

/** `true` when `value` has the shape of a DDP error object. */
export function isErrorObject(value: unknown): value is DdpErrorObject {
  if (typeof value !== 'object' || value === null) return false;
  const code = (value as { error?: unknown }).error;
  const reason = (value as { reason?: unknown }).reason;
  return (typeof code === 'string' || typeof code === 'number') && (reason === undefined || typeof reason === 'string');
}

/** `true` for an array whose every item is a string. */
export function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

function wrongType(object: Record<string, unknown>, key: string, expected: string, text: string): DdpProtocolError {
  return new DdpProtocolError(`"${String(object['msg'])}" frame: "${key}" must be ${expected}`, clip(text));
}

function clip(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 200)}…`;
}
