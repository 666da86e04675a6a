/**
 * Checks on a message before `sendMessage` sends it. The realtime method swallows most
 * mistakes (an empty answer, no error), so every mistake the client can see is refused here,
 * at once, with an {@link InvalidMessageError} naming the field, and nothing is sent.
 *
 * @module
 */
import { InvalidMessageError } from './errors.js';
import type { OutgoingMessage } from './types.js';

/** The server's default `Message_MaxAllowedSize`, in UTF-16 code units. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 5000;

/** The type the server checks a realtime message field for (`date`: an EJSON Date). */
export type FieldKind = 'string' | 'boolean' | 'object' | 'date';

/**
 * The only keys Rocket.Chat's realtime `sendMessage` accepts (servers ≥ 7.1 answer any
 * other with 400 "Match failed"), with the type the server checks for each.
 */
export const REALTIME_MESSAGE_FIELDS: Readonly<Record<string, FieldKind>> = {
  _id: 'string',
  rid: 'string',
  msg: 'string',
  tmid: 'string',
  tshow: 'boolean',
  ts: 'date',
  t: 'string',
  bot: 'object',
  content: 'object',
  e2e: 'string',
  e2eMentions: 'object',
  customFields: 'object',
  federation: 'object',
  groupable: 'boolean',
  sentByEmail: 'boolean',
};

/**
 * Keys of the message the REST API (`POST /api/v1/chat.sendMessage`) documents and the
 * realtime method refuses. `realtimeFieldProblem` is the one place that decides which
 * transport a message takes: a message with any of these (or any other key outside
 * {@link REALTIME_MESSAGE_FIELDS}) goes over REST.
 */
export const REST_ONLY_MESSAGE_FIELDS: readonly string[] = ['attachments', 'alias', 'avatar', 'emoji', 'blocks'];

/** Which way `sendMessage` sends a message: the realtime method over the WebSocket, or REST. */
export type MessageTransport = 'realtime' | 'rest';

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return `a ${typeof value}`;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function hasKind(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return isPlainRecord(value);
    case 'date':
      return value instanceof Date;
  }
}

/**
 * The first field the realtime `sendMessage` method would refuse, with why; `undefined` when
 * every field is one it takes, with the right type. Fields whose value is `undefined` are
 * ignored (they are not sent).
 *
 * This is the one place deciding the transport: once {@link validateOutgoingMessage} has
 * passed (so every realtime field has the right type), a message for which this returns
 * `undefined` goes over the WebSocket, any other over REST (see {@link messageTransport}).
 */
export function realtimeFieldProblem(message: object): { field: string; problem: string } | undefined {
  return walkFields(message as Record<string, unknown>, false);
}

/**
 * The one walk behind {@link realtimeFieldProblem}. With `refuseMistyped` (validation), a
 * realtime field of the wrong type throws {@link InvalidMessageError} wherever it is, and the
 * result is the first field the realtime method does not take (the transport decision);
 * without, the result is the first problem of either kind.
 */
function walkFields(record: Record<string, unknown>, refuseMistyped: boolean): { field: string; problem: string } | undefined {
  let foreign: string | undefined;
  for (const field in record) {
    if (!Object.hasOwn(record, field)) continue;
    const value = record[field];
    if (value === undefined) continue;
    const kind = Object.hasOwn(REALTIME_MESSAGE_FIELDS, field) ? REALTIME_MESSAGE_FIELDS[field] : undefined;
    if (kind === undefined) {
      if (!refuseMistyped) return foreignField(field);
      foreign ??= field;
    } else if (!hasKind(value, kind)) {
      const problem = `"${field}" must be ${kind === 'date' ? 'a Date' : `a ${kind}`}, not ${kindOf(value)}`;
      if (refuseMistyped) throw new InvalidMessageError(field, `sendMessage: ${problem}`);
      return { field, problem };
    }
  }
  return foreign === undefined ? undefined : foreignField(foreign);
}

function foreignField(field: string): { field: string; problem: string } {
  const problem = REST_ONLY_MESSAGE_FIELDS.includes(field)
    ? `"${field}" is only accepted by the REST API (chat.sendMessage), not by the realtime sendMessage method`
    : `"${field}" is not a field the realtime sendMessage method accepts (it takes ${Object.keys(REALTIME_MESSAGE_FIELDS).join(', ')})`;
  return { field, problem };
}

/**
 * How `sendMessage` sends a checked message: `'realtime'` when the realtime method takes
 * every field (`realtimeFieldProblem` finds nothing), `'rest'` otherwise.
 */
export function messageTransport(message: object): MessageTransport {
  return realtimeFieldProblem(message) === undefined ? 'realtime' : 'rest';
}

/** Options of {@link validateOutgoingMessage}. */
export interface ValidateOptions {
  /**
   * The longest `msg` allowed, in UTF-16 code units (the server's `Message_MaxAllowedSize`).
   * @default 5000
   */
  readonly maxMessageLength?: number;
}

/**
 * Refuses a message the server would refuse or silently drop, whichever way it is sent:
 * - it is not an object; `rid` is not a non-empty string; `msg` is not a string (it may be
 *   left out when the message has `attachments` or `blocks`), or is longer than
 *   `maxMessageLength`;
 * - `tshow` without `tmid`;
 * - a realtime field of the wrong type (`ts` must be a valid `Date`, `bot` an object…);
 * - `alias`, `emoji`, `avatar` that are not strings; an `avatar` with a `javascript:` URL;
 * - `attachments` that are not an array of objects, or whose fields have the wrong type
 *   (`fields` entries need a non-empty `title` and `value`; the URL fields must be
 *   `http(s)://`, `data:` or a path on the server);
 * - `blocks` that are not an array of objects, each with a string `type`;
 * - `_id` that is not a non-empty string.
 *
 * Other keys are not refused: they are sent over REST, as the server stores them.
 *
 * @throws {InvalidMessageError} naming the first offending field (a path such as
 *   `attachments[0].fields[1].title` inside attachments and blocks).
 */
export function validateOutgoingMessage(message: OutgoingMessage, options: ValidateOptions = {}): void {
  checkOutgoingMessage(message, options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH);
}

/**
 * {@link validateOutgoingMessage} and {@link messageTransport} in one walk over the fields:
 * refuses the message as the former does, then answers as the latter would.
 * @throws {InvalidMessageError} as {@link validateOutgoingMessage}.
 */
export function checkOutgoingMessage(message: OutgoingMessage, maxLength: number): MessageTransport {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new InvalidMessageError('message', 'sendMessage: the message must be an object');
  }
  const record = message as unknown as Record<string, unknown>;
  const rid = record['rid'];
  if (typeof rid !== 'string' || rid === '') {
    throw new InvalidMessageError('rid', 'sendMessage: "rid" must be a non-empty room id');
  }
  const msg = record['msg'];
  if (typeof msg !== 'string' && !(msg === undefined && (record['attachments'] !== undefined || record['blocks'] !== undefined))) {
    throw new InvalidMessageError('msg', `sendMessage: "msg" must be a string, not ${kindOf(msg)}`);
  }
  if (typeof msg === 'string' && msg.length > maxLength) {
    throw new InvalidMessageError(
      'msg',
      `sendMessage: "msg" is ${msg.length} characters long, over the server's limit of ${maxLength} (maxMessageLength)`,
    );
  }
  const id = record['_id'];
  if (id !== undefined && (typeof id !== 'string' || id === '')) {
    throw new InvalidMessageError('_id', 'sendMessage: "_id" must be a non-empty string');
  }
  const transport: MessageTransport = walkFields(record, true) === undefined ? 'realtime' : 'rest';
  // The rich fields are all REST-only: a message that goes realtime has none of them.
  if (transport === 'rest') checkRichFields(record);
  if (record['tshow'] !== undefined && record['tmid'] === undefined) {
    throw new InvalidMessageError('tshow', 'sendMessage: "tshow" is only allowed with "tmid" (a thread reply)');
  }
  const ts = record['ts'];
  if (ts instanceof Date && Number.isNaN(ts.getTime())) {
    throw new InvalidMessageError('ts', 'sendMessage: "ts" is an invalid Date');
  }
  return transport;
}

// ---------------------------------------------------------------------------------------
// The fields only REST carries, checked as the server checks them

function refuse(field: string, problem: string): never {
  throw new InvalidMessageError(field, `sendMessage: "${field}" ${problem}`);
}

/** A URL the server takes in an attachment's link fields: absolute http(s) or data, or a path on the server. */
function isAcceptedUrl(value: string): boolean {
  return /^(https?:\/\/|data:|\/)/i.test(value) && !/^\s*javascript:/i.test(value);
}

const ATTACHMENT_STRINGS = [
  'color', 'text', 'author_name', 'title', 'image_type', 'audio_type', 'video_type', 'description',
  'button_alignment', 'image_preview',
];
const ATTACHMENT_URLS = ['thumb_url', 'message_link', 'author_link', 'author_icon', 'title_link', 'image_url', 'audio_url', 'video_url'];
const ATTACHMENT_BOOLEANS = ['collapsed', 'title_link_download'];
const ATTACHMENT_NUMBERS = ['image_size', 'audio_size', 'video_size'];

const REST_STRINGS = ['alias', 'emoji', 'avatar'];

function checkRichFields(record: Record<string, unknown>): void {
  for (const field of REST_STRINGS) {
    const value = record[field];
    if (value !== undefined && typeof value !== 'string') refuse(field, `must be a string, not ${kindOf(value)}`);
  }
  const avatar = record['avatar'];
  if (typeof avatar === 'string' && /^\s*javascript:/i.test(avatar)) refuse('avatar', 'must be an image URL');
  const attachments = record['attachments'];
  if (attachments !== undefined) checkAttachments(attachments, 'attachments', 0);
  const blocks = record['blocks'];
  if (blocks !== undefined) {
    if (!Array.isArray(blocks)) refuse('blocks', `must be an array of UIKit blocks, not ${kindOf(blocks)}`);
    blocks.forEach((block: unknown, index) => {
      const path = `blocks[${index}]`;
      if (!isPlainRecord(block)) refuse(path, `must be an object, not ${kindOf(block)}`);
      if (typeof block['type'] !== 'string' || block['type'] === '') refuse(`${path}.type`, 'must be a non-empty string');
    });
  }
}

function checkAttachments(value: unknown, path: string, depth: number): void {
  if (!Array.isArray(value)) refuse(path, `must be an array of attachments, not ${kindOf(value)}`);
  if (depth > 8) refuse(path, 'nests too deeply');
  value.forEach((item: unknown, index) => {
    const at = `${path}[${index}]`;
    if (!isPlainRecord(item)) refuse(at, `must be an object, not ${kindOf(item)}`);
    for (const [key, field] of Object.entries(item)) {
      if (field === undefined || field === null) continue;
      const where = `${at}.${key}`;
      if (ATTACHMENT_STRINGS.includes(key) && typeof field !== 'string') refuse(where, `must be a string, not ${kindOf(field)}`);
      if (ATTACHMENT_BOOLEANS.includes(key) && typeof field !== 'boolean') refuse(where, `must be a boolean, not ${kindOf(field)}`);
      if (ATTACHMENT_NUMBERS.includes(key) && typeof field !== 'number') refuse(where, `must be a number, not ${kindOf(field)}`);
      if (ATTACHMENT_URLS.includes(key) && (typeof field !== 'string' || !isAcceptedUrl(field))) {
        refuse(where, 'must be an http(s):// or data: URL, or a path on the server');
      }
    }
    checkAttachmentTs(item['ts'], `${at}.ts`);
    const fields = item['fields'];
    if (fields !== undefined && fields !== null) {
      if (!Array.isArray(fields)) refuse(`${at}.fields`, `must be an array, not ${kindOf(fields)}`);
      fields.forEach((entry: unknown, fieldIndex) => {
        const where = `${at}.fields[${fieldIndex}]`;
        if (!isPlainRecord(entry)) refuse(where, `must be an object { title, value, short? }, not ${kindOf(entry)}`);
        if (typeof entry['title'] !== 'string' || entry['title'] === '') refuse(`${where}.title`, 'must be a non-empty string');
        const fieldValue = entry['value'];
        const valueType = typeof fieldValue;
        if (!(valueType === 'string' || valueType === 'number' || valueType === 'boolean') || !fieldValue) {
          refuse(`${where}.value`, 'must be a non-empty string (the server refuses an empty value)');
        }
        if (entry['short'] !== undefined && typeof entry['short'] !== 'boolean') refuse(`${where}.short`, 'must be a boolean');
      });
    }
    const actions = item['actions'];
    if (actions !== undefined && actions !== null && (!Array.isArray(actions) || !actions.every(isPlainRecord))) {
      refuse(`${at}.actions`, 'must be an array of objects');
    }
    if (item['attachments'] !== undefined && item['attachments'] !== null) {
      checkAttachments(item['attachments'], `${at}.attachments`, depth + 1);
    }
  });
}

function checkAttachmentTs(ts: unknown, path: string): void {
  if (ts === undefined || ts === null) return;
  if (ts instanceof Date) {
    if (Number.isNaN(ts.getTime())) refuse(path, 'is an invalid Date');
    return;
  }
  if (typeof ts === 'number' && Number.isFinite(ts)) return;
  if (typeof ts === 'string' && !Number.isNaN(new Date(ts).getTime())) return;
  refuse(path, `must be a Date, an ISO 8601 string or epoch milliseconds, not ${kindOf(ts)}`);
}
