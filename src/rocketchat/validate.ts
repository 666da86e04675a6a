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

type FieldKind = 'string' | 'boolean' | 'object' | 'date';

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
 * Keys that only the REST API (`POST /api/v1/chat.sendMessage`) takes. Messages with these
 * are refused by {@link realtimeFieldProblem}, the one place that decides which transport a
 * message can use.
 */
export const REST_ONLY_MESSAGE_FIELDS: readonly string[] = ['attachments', 'alias', 'avatar', 'emoji', 'blocks'];

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return `a ${typeof value}`;
}

function hasKind(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
    case 'date':
      return value instanceof Date;
  }
}

/**
 * The first field the realtime `sendMessage` method would refuse, with why; `undefined` when
 * every field is one it takes, with the right type. Fields whose value is `undefined` are
 * ignored (they are not sent).
 */
export function realtimeFieldProblem(message: object): { field: string; problem: string } | undefined {
  for (const [field, value] of Object.entries(message)) {
    if (value === undefined) continue;
    const kind = Object.hasOwn(REALTIME_MESSAGE_FIELDS, field) ? REALTIME_MESSAGE_FIELDS[field] : undefined;
    if (kind === undefined) {
      const problem = REST_ONLY_MESSAGE_FIELDS.includes(field)
        ? `"${field}" is only accepted by the REST API (chat.sendMessage), not by the realtime sendMessage method`
        : `"${field}" is not a field the realtime sendMessage method accepts (it takes ${Object.keys(REALTIME_MESSAGE_FIELDS).join(', ')})`;
      return { field, problem };
    }
    if (!hasKind(value, kind)) {
      return { field, problem: `"${field}" must be ${kind === 'date' ? 'a Date' : `a ${kind}`}, not ${kindOf(value)}` };
    }
  }
  return undefined;
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
 * Refuses a message the server would refuse or silently drop:
 * - it is not an object; `rid` is not a non-empty string; `msg` is not a string, or is
 *   longer than `maxMessageLength`;
 * - `tshow` without `tmid`;
 * - a field the realtime method does not take (`attachments`, `alias`, `avatar`, `emoji`,
 *   `blocks` belong to the REST API), or a field of the wrong type;
 * - `ts` that is not a valid `Date`; `_id` that is not a non-empty string.
 *
 * @throws {InvalidMessageError} naming the first offending field.
 */
export function validateOutgoingMessage(message: OutgoingMessage, options: ValidateOptions = {}): void {
  const maxLength = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new InvalidMessageError('message', 'sendMessage: the message must be an object');
  }
  const record = message as unknown as Record<string, unknown>;
  const rid = record['rid'];
  if (typeof rid !== 'string' || rid === '') {
    throw new InvalidMessageError('rid', 'sendMessage: "rid" must be a non-empty room id');
  }
  const msg = record['msg'];
  if (typeof msg !== 'string') {
    throw new InvalidMessageError('msg', `sendMessage: "msg" must be a string, not ${kindOf(msg)}`);
  }
  if (msg.length > maxLength) {
    throw new InvalidMessageError(
      'msg',
      `sendMessage: "msg" is ${msg.length} characters long, over the server's limit of ${maxLength} (maxMessageLength)`,
    );
  }
  const id = record['_id'];
  if (id !== undefined && (typeof id !== 'string' || id === '')) {
    throw new InvalidMessageError('_id', 'sendMessage: "_id" must be a non-empty string');
  }
  const fieldProblem = realtimeFieldProblem(record);
  if (fieldProblem !== undefined) {
    throw new InvalidMessageError(fieldProblem.field, `sendMessage: ${fieldProblem.problem}`);
  }
  if (record['tshow'] !== undefined && record['tmid'] === undefined) {
    throw new InvalidMessageError('tshow', 'sendMessage: "tshow" is only allowed with "tmid" (a thread reply)');
  }
  const ts = record['ts'];
  if (ts instanceof Date && Number.isNaN(ts.getTime())) {
    throw new InvalidMessageError('ts', 'sendMessage: "ts" is an invalid Date');
  }
}
