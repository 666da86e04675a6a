/**
 * Messages removed from a room at once: Rocket.Chat's "prune messages" (the
 * `cleanRoomHistory` method, the `rooms.cleanHistory` REST endpoint, retention policies).
 * The server announces it on `stream-notify-room` `<rid>/deleteMessageBulk` with the
 * criteria it deleted by, not with the messages (unless the prune had a limit, when it also
 * lists their ids):
 *
 * `{ rid, excludePinned, ignoreDiscussion, ts: { $gte | $gt: oldest, $lte | $lt: latest }, users: [usernames], ids? }`
 *
 * Newer servers also announce a "files only" prune this way, which keeps the messages and
 * replaces their file attachments: `filesOnly: true` with `replaceFileAttachmentsWith`.
 *
 * {@link MessagesPrunedEvent} decodes that, and {@link MessagesPrunedEvent.matches} tells
 * whether a message the caller holds is one of those removed, by the same rules the server
 * applied.
 *
 * @module
 */
import { DdpProtocolError } from '../ddp/errors.js';
import { isStringArray } from '../ddp/codec.js';
import { isRecord, toDate } from './decode.js';

/** One bound of the pruned time range. */
interface Bound {
  readonly at: Date;
  /** A message exactly at {@link at} is included. */
  readonly inclusive: boolean;
}

/** The fields of a message {@link MessagesPrunedEvent.matches} looks at. */
export interface PrunableMessage {
  /** The message's id. */
  readonly _id: string;
  /** Its room. */
  readonly rid: string;
  /** When it was sent. */
  readonly ts: Date;
  /** Who sent it. */
  readonly u: {
    /** The sender's username. */
    readonly username: string;
  };
  /** `true` when pinned. */
  readonly pinned?: boolean;
  /** Set on the message that starts a discussion. */
  readonly drid?: string;
}

/** Messages of a room were removed at once (pruned), as {@link RocketChatClient.onMessagesPruned} reports it. */
export class MessagesPrunedEvent {
  /** The room. */
  readonly rid: string;
  /**
   * The `_id`s of the removed messages, when the server listed them (a prune with a limit);
   * otherwise the criteria below describe them.
   */
  readonly messageIds: readonly string[] | undefined;
  /** The start of the time range; `undefined` when the server sent none. */
  readonly oldest: Date | undefined;
  /** The end of the time range; `undefined` when the server sent none. */
  readonly latest: Date | undefined;
  /** Messages exactly at `oldest` or `latest` were removed too. */
  readonly inclusive: boolean;
  /** Pinned messages were kept. */
  readonly excludePinned: boolean;
  /** Messages that start a discussion were kept. */
  readonly ignoreDiscussion: boolean;
  /** Only these users' messages were removed (usernames); empty: everyone's. */
  readonly users: readonly string[];
  /**
   * Only the files went ("prune files only"): the messages stay, their file attachments
   * replaced by {@link replacementAttachment} when the server sent one. Reload them
   * (`getMessage`) to show them as they are now.
   */
  readonly filesOnly: boolean;
  /** With {@link filesOnly}: what the server put in place of each removed file attachment (`{ color, text }`). */
  readonly replacementAttachment: Readonly<Record<string, unknown>> | undefined;
  readonly #after: Bound | undefined;
  readonly #before: Bound | undefined;

  /** @internal made by {@link decodePruneEvent}. */
  constructor(
    fields: {
      readonly rid: string;
      readonly messageIds: readonly string[] | undefined;
      readonly after: Bound | undefined;
      readonly before: Bound | undefined;
      readonly excludePinned: boolean;
      readonly ignoreDiscussion: boolean;
      readonly users: readonly string[];
      readonly filesOnly: boolean;
      readonly replacementAttachment: Readonly<Record<string, unknown>> | undefined;
    },
  ) {
    this.rid = fields.rid;
    this.messageIds = fields.messageIds;
    this.#after = fields.after;
    this.#before = fields.before;
    this.oldest = fields.after?.at;
    this.latest = fields.before?.at;
    this.inclusive = (fields.after ?? fields.before)?.inclusive ?? true;
    this.excludePinned = fields.excludePinned;
    this.ignoreDiscussion = fields.ignoreDiscussion;
    this.users = fields.users;
    this.filesOnly = fields.filesOnly;
    this.replacementAttachment = fields.replacementAttachment;
  }

  /**
   * `true` when `message` is one of those removed (with {@link filesOnly}: whose files were
   * removed): in the room, listed by id (when the server listed ids) or sent within the time
   * range, and not spared as pinned, as a discussion's start, or as another user's.
   */
  matches(message: PrunableMessage): boolean {
    if (message.rid !== this.rid) return false;
    if (this.messageIds !== undefined) {
      if (!this.messageIds.includes(message._id)) return false;
    } else {
      const time = message.ts.getTime();
      const after = this.#after;
      const before = this.#before;
      if (after !== undefined && (after.inclusive ? time < after.at.getTime() : time <= after.at.getTime())) return false;
      if (before !== undefined && (before.inclusive ? time > before.at.getTime() : time >= before.at.getTime())) return false;
    }
    if (this.excludePinned && message.pinned === true) return false;
    if (this.ignoreDiscussion && message.drid !== undefined) return false;
    return this.users.length === 0 || this.users.includes(message.u.username);
  }
}

function bound(range: Record<string, unknown>, inclusiveKey: string, exclusiveKey: string, raw: unknown): Bound | undefined {
  const inclusive = Object.hasOwn(range, inclusiveKey);
  if (!inclusive && !Object.hasOwn(range, exclusiveKey)) return undefined;
  const at = toDate(range[inclusive ? inclusiveKey : exclusiveKey]);
  if (at === undefined) throw new DdpProtocolError(`deleteMessageBulk event: "ts.${inclusive ? inclusiveKey : exclusiveKey}" is not a date`, raw);
  return { at, inclusive };
}

/**
 * Decodes the argument of a `<rid>/deleteMessageBulk` event.
 * @throws {DdpProtocolError} when it does not have the shape Rocket.Chat sends.
 */
export function decodePruneEvent(raw: unknown): MessagesPrunedEvent {
  const fail = (problem: string): never => {
    throw new DdpProtocolError(`deleteMessageBulk event: ${problem}`, raw);
  };
  if (!isRecord(raw)) return fail('not an object');
  const { rid, ids, ts, users, excludePinned, ignoreDiscussion, filesOnly, replaceFileAttachmentsWith } = raw;
  if (typeof rid !== 'string' || rid === '') return fail('"rid" is not a room id');
  if (ids !== undefined && ids !== null && !isStringArray(ids)) return fail('"ids" is not a list of message ids');
  if (users !== undefined && users !== null && !isStringArray(users)) return fail('"users" is not a list of usernames');
  if (ts !== undefined && ts !== null && !isRecord(ts)) return fail('"ts" is not a time range');
  if (replaceFileAttachmentsWith !== undefined && replaceFileAttachmentsWith !== null && !isRecord(replaceFileAttachmentsWith)) {
    return fail('"replaceFileAttachmentsWith" is not an attachment');
  }
  const range = isRecord(ts) ? ts : {};
  const after = bound(range, '$gte', '$gt', raw);
  const before = bound(range, '$lte', '$lt', raw);
  const messageIds = isStringArray(ids) ? ids : undefined;
  if (messageIds === undefined && after === undefined && before === undefined) return fail('neither "ids" nor a "ts" range');
  return new MessagesPrunedEvent({
    rid,
    messageIds,
    after,
    before,
    excludePinned: excludePinned === true,
    ignoreDiscussion: ignoreDiscussion === true,
    users: isStringArray(users) ? users : [],
    filesOnly: filesOnly === true,
    replacementAttachment: isRecord(replaceFileAttachmentsWith) ? replaceFileAttachmentsWith : undefined,
  });
}
