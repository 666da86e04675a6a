/**
 * The room methods: `getRoomIdByNameOrId`, `joinRoom`, `createDirectMessage`,
 * `subscriptions/get`, `rooms/get`, `getUsersOfRoom`.
 *
 * @module
 */
import type { MethodCall, ServerCore } from '../core.js';
import { matchFailed, methodError } from '../errors.js';
import { randomId } from '../ids.js';
import { copy, messageUser, type StoredMessage, type StoredRoom, type StoredUser } from '../store.js';
import { broadcastMessage, canAccessRoom, checkString, isPlainObject, notifyUser, publicRoom, requireUser } from './common.js';

/** Registers the room methods. */
export function registerRoomMethods(core: ServerCore): void {
  core.methods.set('getRoomIdByNameOrId', getRoomIdByNameOrId);
  core.methods.set('joinRoom', joinRoom);
  core.methods.set('createDirectMessage', createDirectMessage);
  core.methods.set('subscriptions/get', subscriptionsGet);
  core.methods.set('rooms/get', roomsGet);
  core.methods.set('getUsersOfRoom', getUsersOfRoom);
}

/** Makes `user` a member of `room` and tells the user's `subscriptions-changed` stream. */
export function joinMember(core: ServerCore, room: StoredRoom, user: StoredUser): boolean {
  if (!core.store.addMember(room, user)) return false;
  const subscription = core.store.subscription(room._id, user._id);
  if (subscription !== undefined) notifyUser(core, user._id, 'subscriptions-changed', ['inserted', copy(subscription)]);
  return true;
}

function getRoomIdByNameOrId(call: MethodCall): unknown {
  const [nameOrId] = call.params;
  checkString(nameOrId);
  const user = requireUser(call);
  const room = call.core.store.room(nameOrId) ?? call.core.store.roomByName(nameOrId);
  if (room === undefined || !canAccessRoom(call.core, room, user._id)) {
    throw methodError('error-not-allowed', 'Not allowed', { method: 'getRoomIdByNameOrId' });
  }
  return room._id;
}

function joinRoom(call: MethodCall): unknown {
  const { core } = call;
  const [rid, joinCode] = call.params;
  checkString(rid);
  if (joinCode !== undefined && joinCode !== null && typeof joinCode !== 'string') throw matchFailed();
  const user = requireUser(call);
  const room = core.store.room(rid);
  if (room === undefined) throw methodError('error-invalid-room', 'Invalid room', { method: 'joinRoom' });
  if (!canAccessRoom(core, room, user._id)) throw methodError('error-not-allowed', 'Not allowed', { method: 'joinRoom' });
  if (room.joinCode !== undefined && room.joinCode !== joinCode && core.store.subscription(rid, user._id) === undefined) {
    throw methodError('error-code-invalid', 'Invalid Room Password', { method: 'joinRoom' });
  }
  if (!joinMember(core, room, user)) return undefined;
  saveSystemMessage(core, 'uj', room, user, user.username);
  return true;
}

/**
 * Stores and broadcasts a system message, as Rocket.Chat's `saveSystemMessage` does: type `t`,
 * the text (for `uj`, the username of who joined), the user it is about, never grouped with
 * the messages around it.
 */
function saveSystemMessage(core: ServerCore, t: string, room: StoredRoom, user: StoredUser, text: string): void {
  const now = new Date();
  const message: StoredMessage = {
    _id: core.store.newMessageId(now.getTime()),
    t,
    rid: room._id,
    ts: now,
    msg: text,
    u: messageUser(user),
    groupable: false,
    _updatedAt: now,
  };
  core.store.insertMessage(message, 'server');
  room.msgs++;
  room._updatedAt = now;
  broadcastMessage(core, message);
}

function createDirectMessage(call: MethodCall): unknown {
  const { core } = call;
  for (const username of call.params) checkString(username);
  const me = requireUser(call);
  const members = new Map<string, StoredUser>([[me._id, me]]);
  for (const username of call.params as string[]) {
    const user = core.store.userByUsername(username);
    if (user === undefined) throw methodError('error-invalid-user', 'Invalid user', { method: 'createDirectMessage' });
    members.set(user._id, user);
  }
  const users = [...members.values()];
  const uids = users.map((user) => user._id).sort();
  let room =
    users.length <= 2
      ? core.store.room(uids.join(''))
      : core.store.rooms().find((candidate) => candidate.t === 'd' && candidate.uids?.slice().sort().join() === uids.join());
  if (room === undefined) {
    const sorted = [...users].sort((a, b) => (a.name ?? a.username).localeCompare(b.name ?? b.username));
    const now = new Date();
    room = {
      _id: users.length <= 2 ? uids.join('') : randomId(),
      t: 'd',
      ro: false,
      muted: [],
      encrypted: false,
      default: false,
      usernames: sorted.map((user) => user.username),
      uids,
      ts: now,
      _updatedAt: now,
      msgs: 0,
      usersCount: 0,
    };
    core.store.addRoom(room);
    for (const user of users) joinMember(core, room, user);
  }
  return { t: 'd', rid: room._id, usernames: [...(room.usernames ?? [])] };
}

function subscriptionsGet(call: MethodCall): unknown {
  const uid = call.connection.userId;
  if (uid === undefined) return [];
  const [updatedAt] = call.params;
  const subscriptions = call.core.store.subscriptionsOf(uid).map((subscription) => copy(subscription));
  if (updatedAt instanceof Date) {
    return { update: subscriptions.filter((subscription) => subscription._updatedAt.getTime() > updatedAt.getTime()), remove: [] };
  }
  return subscriptions;
}

function roomsGet(call: MethodCall): unknown {
  const uid = call.connection.userId;
  if (uid === undefined) return [];
  const [updatedAt] = call.params;
  const rooms = call.core.store
    .subscriptionsOf(uid)
    .map((subscription) => call.core.store.room(subscription.rid))
    .filter((room): room is StoredRoom => room !== undefined);
  if (updatedAt instanceof Date) {
    return { update: rooms.filter((room) => room._updatedAt.getTime() > updatedAt.getTime()).map(publicRoom), remove: [] };
  }
  return rooms.map(publicRoom);
}

function getUsersOfRoom(call: MethodCall): unknown {
  const { core } = call;
  const [rid, showAll, paging, filter] = call.params;
  checkString(rid);
  const user = requireUser(call);
  const room = core.store.room(rid);
  if (room === undefined) throw methodError('error-invalid-room', 'Invalid room', { method: 'getUsersOfRoom' });
  if (!canAccessRoom(core, room, user._id)) throw methodError('error-not-allowed', 'Not allowed', { method: 'getUsersOfRoom' });
  const text = typeof filter === 'string' ? filter.toLowerCase() : '';
  const members = core.store
    .membersOf(rid)
    .filter((member) => showAll === true || core.isOnline(member._id))
    .filter((member) => text === '' || member.username.toLowerCase().includes(text) || (member.name ?? '').toLowerCase().includes(text))
    .sort((a, b) => a.username.localeCompare(b.username));
  const skip = isPlainObject(paging) && typeof paging['skip'] === 'number' ? paging['skip'] : 0;
  const limit = isPlainObject(paging) && typeof paging['limit'] === 'number' ? paging['limit'] : members.length;
  const records = members.slice(skip, skip + limit).map((member) => {
    const record: Record<string, unknown> = { _id: member._id, username: member.username };
    if (member.name !== undefined) record['name'] = member.name;
    record['status'] = core.isOnline(member._id) ? 'online' : 'offline';
    record['_updatedAt'] = member._updatedAt;
    return record;
  });
  return { total: members.length, records };
}
