/**
 * What the method handlers share: argument checks (Meteor's `check`, failing with
 * 400 "Match failed"), room access rules, and the stream events the server emits.
 *
 * @module
 */
import type { MethodCall, ServerCore } from '../core.js';
import { matchFailed, methodError } from '../errors.js';
import { parseMarkdown } from '../message-content.js';
import { copy, type StoredMessage, type StoredRoom, type StoredUser } from '../store.js';

/** `true` for a plain object (not an array, a Date or any other class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `check(value, String)`. */
export function checkString(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw matchFailed();
}

/** `check(value, Match.ObjectIncluding({ _id: String }))`. */
export function checkObjectWithId(value: unknown): asserts value is Record<string, unknown> & { _id: string } {
  if (!isPlainObject(value) || typeof value['_id'] !== 'string') throw matchFailed();
}

/** The logged-in user of the call, or the `error-invalid-user` Meteor error. */
export function requireUser(call: MethodCall): StoredUser {
  const uid = call.connection.userId;
  const user = uid === undefined ? undefined : call.core.store.user(uid);
  if (user === undefined) throw methodError('error-invalid-user', 'Invalid user', { method: call.method });
  return user;
}

/** Rocket.Chat's `canAccessRoom`: public rooms for any logged-in user, others for members. */
export function canAccessRoom(core: ServerCore, room: StoredRoom, userId: string | undefined): boolean {
  if (userId === undefined) return false;
  if (room.t === 'c') return true;
  return core.store.subscription(room._id, userId) !== undefined;
}

/** Sends a stored message (new or changed) to `stream-room-messages` `<rid>` and `__my_messages__`. */
export function broadcastMessage(core: ServerCore, message: StoredMessage): void {
  const args = [copy(message)];
  core.hub.emit('stream-room-messages', message.rid, args);
  const room = core.store.room(message.rid);
  if (room === undefined) return;
  core.hub.emit('stream-room-messages', '__my_messages__', args, {
    argsFor: (listener) => {
      const uid = listener.connection.userId;
      if (uid === undefined || !canAccessRoom(core, room, uid)) return undefined;
      const extra: Record<string, unknown> = {
        roomParticipant: core.store.subscription(room._id, uid) !== undefined,
        roomType: room.t,
      };
      if (room.name !== undefined) extra['roomName'] = room.name;
      return [args[0], extra];
    },
  });
}

/** An event on `stream-notify-user` `<uid>/<event>`. */
export function notifyUser(core: ServerCore, uid: string, event: string, args: readonly unknown[]): void {
  core.hub.emit('stream-notify-user', `${uid}/${event}`, args);
}

/** An event on `stream-notify-room` `<rid>/<event>`. */
export function notifyRoom(core: ServerCore, rid: string, event: string, args: readonly unknown[], exclude?: MethodCall['connection']): void {
  core.hub.emit('stream-notify-room', `${rid}/${event}`, args, exclude === undefined ? {} : { exclude });
}

/**
 * The private notice Rocket.Chat sends a user (from `rocket.cat`) on `stream-notify-user`
 * `<uid>/message`, e.g. to explain why a message was not sent.
 */
export function sendEphemeral(core: ServerCore, uid: string, rid: unknown, text: string): void {
  const now = new Date();
  const notice: Record<string, unknown> = {
    groupable: false,
    u: { _id: 'rocket.cat', username: 'rocket.cat' },
    private: true,
    _id: String(now.getTime()),
    rid,
    ts: now,
    _updatedAt: now,
    msg: text,
    md: parseMarkdown(text),
  };
  if (rid === undefined) delete notice['rid'];
  notifyUser(core, uid, 'message', [notice]);
}

/** The room document as `rooms/get` returns it. */
export function publicRoom(room: StoredRoom): Record<string, unknown> {
  const out: Record<string, unknown> = { _id: room._id, t: room.t };
  if (room.name !== undefined) out['name'] = room.name;
  if (room.fname !== undefined) out['fname'] = room.fname;
  if (room.usernames !== undefined) out['usernames'] = [...room.usernames];
  if (room.uids !== undefined) out['uids'] = [...room.uids];
  out['msgs'] = room.msgs;
  out['usersCount'] = room.usersCount;
  if (room.default) out['default'] = true;
  if (room.ro) out['ro'] = true;
  if (room.muted.length > 0) out['muted'] = [...room.muted];
  if (room.encrypted) out['encrypted'] = true;
  out['ts'] = room.ts;
  out['_updatedAt'] = room._updatedAt;
  if (room.lm !== undefined) out['lm'] = room.lm;
  return out;
}
