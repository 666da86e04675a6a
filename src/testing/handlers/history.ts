/**
 * `cleanRoomHistory`: removes a room's messages by time range, sender and kind at once ("Prune
 * Messages"), and tells the room's `stream-notify-room` `<rid>/deleteMessageBulk` listeners
 * by what criteria (and, for a prune with a `limit`, which ids).
 *
 * As Rocket.Chat does it: the argument is checked (`400 "Match failed"`), then the login, then
 * the `clean-channel-history` permission and access to the room (`error-not-allowed`). By
 * default pinned messages go too, messages that start a discussion and thread messages (replies
 * and their first message) stay; with a `limit`, the oldest matching messages go. The result is
 * the number of messages removed; no event is sent when it is 0.
 *
 * @module
 */
import { isStringArray } from '../../ddp/codec.js';
import type { MethodCall, ServerCore } from '../core.js';
import { internalError, matchFailed, methodError } from '../errors.js';
import { hasPermission } from '../permissions.js';
import type { StoredMessage } from '../store.js';
import { canAccessRoom, isPlainObject, notifyRoom, requireUser } from './common.js';

/** Registers `cleanRoomHistory`. */
export function registerHistoryMethods(core: ServerCore): void {
  core.methods.set('cleanRoomHistory', cleanRoomHistory);
}

/** `check(value, Match.Maybe(type))`. */
function checkMaybe(value: unknown, type: 'boolean' | 'number'): void {
  if (value !== undefined && value !== null && typeof value !== type) throw matchFailed();
}

function cleanRoomHistory(call: MethodCall): number {
  const { core } = call;
  const [options] = call.params;
  // Rocket.Chat destructures the argument before checking it: anything but an object is a TypeError.
  if (!isPlainObject(options)) throw internalError();
  const { roomId, latest, oldest, inclusive = true, limit, excludePinned = false, ignoreDiscussion = true, fromUsers = [], ignoreThreads } = options;
  if (typeof roomId !== 'string' || !(latest instanceof Date) || !(oldest instanceof Date) || typeof inclusive !== 'boolean') {
    throw matchFailed();
  }
  checkMaybe(limit, 'number');
  checkMaybe(excludePinned, 'boolean');
  checkMaybe(options['filesOnly'], 'boolean');
  checkMaybe(ignoreThreads, 'boolean');
  if (fromUsers !== null && !isStringArray(fromUsers)) throw matchFailed();
  const user = requireUser(call);
  const room = core.store.room(roomId);
  if (!hasPermission(user, 'clean-channel-history') || room === undefined || !canAccessRoom(core, room, user._id)) {
    throw methodError('error-not-allowed', 'Not allowed', { method: 'cleanRoomHistory' });
  }
  const users = (fromUsers ?? []) as string[];
  const keepThreads = ignoreThreads !== false;
  const inRange = (message: StoredMessage): boolean => {
    const time = message.ts.getTime();
    return inclusive
      ? time >= oldest.getTime() && time <= latest.getTime()
      : time > oldest.getTime() && time < latest.getTime();
  };
  let doomed = core.store.roomMessages(room._id).filter(
    (message) =>
      inRange(message) &&
      !(excludePinned === true && message['pinned'] === true) &&
      !(ignoreDiscussion === true && message['drid'] !== undefined) &&
      !(keepThreads && (message.tmid !== undefined || message.tcount !== undefined)) &&
      (users.length === 0 || users.includes(message.u.username)),
  );
  const limited = typeof limit === 'number' && limit > 0;
  if (limited) doomed = doomed.slice(0, limit);
  for (const message of doomed) core.store.removeMessage(message._id);
  if (doomed.length === 0) return 0;
  room.msgs = Math.max(0, room.msgs - doomed.length);
  room._updatedAt = new Date();
  const event: Record<string, unknown> = {
    rid: room._id,
    excludePinned: excludePinned === true,
    ignoreDiscussion: ignoreDiscussion === true,
    ts: inclusive ? { $gte: oldest, $lte: latest } : { $gt: oldest, $lt: latest },
    users,
  };
  if (limited) event['ids'] = doomed.map((message) => message._id);
  notifyRoom(core, room._id, 'deleteMessageBulk', [event]);
  return doomed.length;
}
