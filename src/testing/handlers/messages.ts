/**
 * The message methods: `sendMessage`, `getSingleMessage`, `updateMessage`, `deleteMessage`,
 * `setReaction`, `loadHistory`.
 *
 * `sendMessage` follows Rocket.Chat ≥ 7.1 step by step: the strict key check, login, system
 * types, then the body ({@link executeSendMessage}) whose failures are mostly swallowed (an
 * empty result), some with a private notice on `stream-notify-user` `<uid>/message`, and
 * only `error-not-allowed` reaching the caller. The REST API's `chat.sendMessage` runs the
 * same {@link executeSendMessage}, and reports every failure.
 *
 * @module
 */
import type { MethodCall, ServerCore } from '../core.js';
import { internalError, matchFailed, MethodError, methodError } from '../errors.js';
import { mentionedChannels, mentionedUsernames, messageUrls, parseMarkdown } from '../message-content.js';
import { hasPermission } from '../permissions.js';
import { copy, messageUser, type MessageTransport, type StoredMessage, type StoredRoom, type StoredUser } from '../store.js';
import {
  broadcastMessage,
  canAccessRoom,
  checkObjectWithId,
  checkString,
  isPlainObject,
  notifyRoom,
  requireUser,
  sendEphemeral,
} from './common.js';

/** Registers the message methods. */
export function registerMessageMethods(core: ServerCore): void {
  core.methods.set('sendMessage', sendMessage);
  core.methods.set('getSingleMessage', getSingleMessage);
  core.methods.set('updateMessage', updateMessage);
  core.methods.set('deleteMessage', deleteMessage);
  core.methods.set('setReaction', setReaction);
  core.methods.set('loadHistory', loadHistory);
}

// ---------------------------------------------------------------------------------------
// sendMessage

/**
 * The keys `sendMessage` accepts since Rocket.Chat 7.1, with their types. The client keeps its
 * own list (`src/rocketchat/validate.ts`); this one is written separately on purpose, as the
 * server's rule, so that a mistake in either shows up as a failing test instead of being
 * mirrored by the fake.
 */
const MESSAGE_KEYS: Readonly<Record<string, 'string' | 'boolean' | 'date' | 'object'>> = {
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

/** Message types reserved for the server (`sendMessage` refuses them with a 500). */
export const SYSTEM_TYPES = new Set([
  'r', 'au', 'ru', 'ul', 'ult', 'uj', 'ujt', 'ut', 'ui', 'uJ', 'ld', 'rm', 'user-muted', 'user-unmuted',
  'subscription-role-added', 'subscription-role-removed', 'room-archived', 'room-unarchived',
  'room_changed_privacy', 'room_changed_topic', 'room_changed_announcement', 'room_changed_description',
  'room_changed_avatar', 'room-set-read-only', 'room-removed-read-only', 'room-allowed-reacting',
  'room-disallowed-reacting', 'message_pinned', 'message_pinned_e2e', 'discussion-created', 'jitsi_call_started',
  'livechat-close', 'livechat-started', 'livechat_navigation_history', 'livechat_transfer_history', 'command',
  'added-user-to-team', 'removed-user-from-team', 'user-added-room-to-team', 'user-converted-to-team',
  'user-converted-to-channel', 'user-deleted-room-from-team', 'user-removed-room-from-team', 'videoconf',
]);

/** English texts of the error keys the private notice may carry (others are sent as is). */
const NOTICE_TEXTS: Readonly<Record<string, string>> = {
  'error-invalid-room': 'Invalid room',
  'error-not-allowed': 'Not allowed',
  room_is_blocked: 'This room is blocked',
  You_have_been_muted: 'You have been muted and cannot speak in this room',
};

const MAX_FILES_PER_MESSAGE = 10;
const MAX_PARSE_LENGTH = 30_000;

function matchesType(value: unknown, type: 'string' | 'boolean' | 'date' | 'object'): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
      return value instanceof Date;
    case 'object':
      return isPlainObject(value);
  }
}

function checkMessage(message: unknown): asserts message is Record<string, unknown> {
  if (!isPlainObject(message)) throw matchFailed();
  for (const [key, value] of Object.entries(message)) {
    const type = Object.hasOwn(MESSAGE_KEYS, key) ? MESSAGE_KEYS[key] : undefined;
    if (type === undefined) throw matchFailed();
    if (value !== undefined && value !== null && !matchesType(value, type)) throw matchFailed();
  }
}

function checkFilesToConfirm(files: unknown): void {
  if (files === undefined || files === null) return;
  if (!Array.isArray(files) || !files.every((file) => isPlainObject(file) && typeof file['_id'] === 'string')) throw matchFailed();
  if (files.length > MAX_FILES_PER_MESSAGE) {
    throw methodError('error-too-many-files', `Cannot send more than ${MAX_FILES_PER_MESSAGE} files in one message`, {
      method: 'sendMessage',
    });
  }
}

async function sendMessage(call: MethodCall): Promise<unknown> {
  const [message, previewUrls, filesToConfirm] = call.params;
  checkMessage(message);
  checkFilesToConfirm(filesToConfirm);
  const uid = call.connection.userId;
  if (uid === undefined) throw methodError('error-invalid-user', 'Invalid user', { method: 'sendMessage' });
  if (typeof message['t'] === 'string' && SYSTEM_TYPES.has(message['t'])) throw internalError();
  try {
    const previews = Array.isArray(previewUrls) ? previewUrls.filter((url): url is string => typeof url === 'string') : undefined;
    return await executeSendMessage(call.core, uid, message, previews, 'ddp');
  } catch (error) {
    const code = error instanceof MethodError ? error.code : error instanceof Error ? error.message : String(error);
    if (code === 'error-not-allowed' || code === 'restricted-workspace') {
      throw methodError(code, error instanceof MethodError ? error.object.reason : undefined, { method: 'sendMessage' });
    }
    return undefined;
  }
}

/**
 * The body of `sendMessage`, shared by the realtime method and the REST API: the checks,
 * then (inside the block whose failures also send the private notice) the room checks, the
 * message checks and the save. Throws what Rocket.Chat throws (Meteor errors, or plain
 * errors whose message is an i18n key); the realtime method swallows most of them, the REST
 * API answers each with a 400.
 *
 * @param via how the message came, remembered by the store
 * @returns the message as saved, or `undefined` when its `_id` is taken (nothing happens)
 */
export async function executeSendMessage(
  core: ServerCore,
  uid: string,
  message: Record<string, unknown>,
  previewUrls: string[] | undefined,
  via: MessageTransport,
): Promise<Record<string, unknown> | undefined> {
  const { store, options } = core;
  if (message['tshow'] && !message['tmid']) {
    throw methodError('invalid-params', 'tshow provided but missing tmid', { method: 'sendMessage' });
  }
  if (message['tmid'] && !options.threads) throw methodError('error-not-allowed', 'not-allowed', { method: 'sendMessage' });

  const fromClient = Boolean(message['ts']);
  const now = new Date();
  message['ts'] = message['ts'] ?? now;
  if (fromClient) {
    const skew = Math.abs((message['ts'] as Date).getTime() - Date.now());
    if (skew > 60_000) {
      throw methodError('error-message-ts-out-of-sync', 'Message timestamp is out of sync', {
        method: 'sendMessage',
        message_ts: message['ts'],
        server_ts: Date.now(),
      });
    }
    if (skew > 10_000) message['ts'] = now;
  }
  const text = message['msg'];
  if (typeof text === 'string' && text !== '' && text.length > options.maxMessageLength) {
    throw methodError('error-message-size-exceeded', 'Message size exceeds Message_MaxAllowedSize', { method: 'sendMessage' });
  }
  const user = store.user(uid);
  if (user === undefined) throw methodError('error-invalid-user', 'Invalid user');

  let rid = message['rid'];
  if (typeof message['tmid'] === 'string') {
    const parent = store.message(message['tmid']);
    message['tmid'] = parent?.tmid || message['tmid'];
    if (parent?.rid) rid = parent.rid;
  }
  if (typeof rid !== 'string' || rid === '') throw new Error("The 'rid' property on the message object is missing.");

  try {
    const room = canSendMessage(core, rid, user);
    if (room.encrypted && message['t'] !== 'e2e') {
      throw methodError('error-not-allowed', 'Not allowed to send un-encrypted messages in an encrypted room', {
        method: 'sendMessage',
      });
    }
    validateMessage(message, user);
    return saveMessage(core, user, message, room, previewUrls, via);
  } catch (error) {
    const key = error instanceof MethodError ? String(error.code) : error instanceof Error ? error.message : String(error);
    sendEphemeral(core, uid, message['rid'], NOTICE_TEXTS[key] ?? key);
    throw error;
  }
}

/** Attachment fields the server requires to be absolute URLs (`http(s)://` or `data:`), or paths on the server. */
const ATTACHMENT_URL_FIELDS = ['thumb_url', 'message_link', 'author_link', 'author_icon', 'title_link', 'image_url', 'audio_url', 'video_url'];
const ATTACHMENT_TYPES: Readonly<Record<string, 'string' | 'boolean' | 'number' | 'object' | 'array'>> = {
  color: 'string',
  text: 'string',
  button_alignment: 'string',
  collapsed: 'boolean',
  author_name: 'string',
  title: 'string',
  title_link_download: 'boolean',
  image_dimensions: 'object',
  image_preview: 'string',
  image_type: 'string',
  image_size: 'number',
  audio_type: 'string',
  audio_size: 'number',
  video_type: 'string',
  video_size: 'number',
  fields: 'array',
  actions: 'array',
};

function matchError(expected: string, path: string): Error {
  return new Error(`Match error: Expected ${expected} in field ${path}`);
}

function checkHref(value: unknown, path: string, partial: boolean): void {
  if (typeof value !== 'string') throw matchError('string', path);
  const absolute = /^(https?:\/\/|data:)/.test(value);
  const relative = partial && !/^[a-z][a-z0-9+.-]*:/i.test(value);
  if ((!absolute && !relative && !value.startsWith('/file-upload/')) || /^javascript:/i.test(value)) {
    throw new Error('Invalid href value provided');
  }
}

/**
 * Rocket.Chat's `validateMessage`: the types of the REST-only fields, `alias` and `avatar`
 * only with the `message-impersonate` permission ("Not enough permission"), and the
 * attachments: typed fields, URLs that are absolute (or paths on the server), `fields`
 * entries with a `title` and a `value`.
 */
function validateMessage(message: Record<string, unknown>, user: StoredUser): void {
  for (const key of ['_id', 'msg', 'text', 'alias', 'emoji', 'tmid']) {
    const value = message[key];
    if (value !== undefined && value !== null && typeof value !== 'string') throw matchError('string', key);
  }
  if (message['avatar'] !== undefined && message['avatar'] !== null) checkHref(message['avatar'], 'avatar', true);
  for (const key of ['attachments', 'blocks']) {
    const value = message[key];
    if (value !== undefined && value !== null && !Array.isArray(value)) throw matchError('array', key);
  }
  if ((message['alias'] || message['avatar']) && !hasPermission(user, 'message-impersonate')) {
    throw new Error('Not enough permission');
  }
  const attachments = message['attachments'];
  if (!Array.isArray(attachments)) return;
  attachments.forEach((attachment: unknown, index) => {
    if (!isPlainObject(attachment)) return;
    for (const [key, value] of Object.entries(attachment)) {
      if (value === undefined || value === null) continue;
      const path = `attachments.${index}.${key}`;
      if (ATTACHMENT_URL_FIELDS.includes(key)) {
        checkHref(value, path, false);
        continue;
      }
      const type = Object.hasOwn(ATTACHMENT_TYPES, key) ? ATTACHMENT_TYPES[key] : undefined;
      const ok =
        type === undefined ||
        (type === 'array' ? Array.isArray(value) : type === 'object' ? isPlainObject(value) : typeof value === type);
      if (!ok) throw matchError(type ?? 'value', path);
      if (key === 'ts' && typeof value !== 'string' && typeof value !== 'number') throw matchError('string or number', path);
    }
    const fields = attachment['fields'];
    if (Array.isArray(fields)) {
      for (const field of fields) {
        if (!isPlainObject(field) || !field['value'] || !field['title']) {
          throw new Error('Invalid attachment field, title and value is required');
        }
      }
    }
  });
}

/** Rocket.Chat's `canSendMessage`: throws plain errors whose message is an i18n key. */
function canSendMessage(core: ServerCore, rid: string, user: StoredUser): StoredRoom {
  const room = core.store.room(rid);
  if (room === undefined) throw new Error('error-invalid-room');
  if (!canAccessRoom(core, room, user._id)) throw new Error('error-not-allowed');
  if (room.ro) throw new Error("You can't send messages because the room is readonly.");
  if (room.muted.includes(user.username)) throw new Error('You_have_been_muted');
  return room;
}

/**
 * Fills in the server's fields (`ts`, `u`, `urls`, `mentions`, `channels`, `md`), stores the
 * message unless its `_id` exists already, and broadcasts it on the streams.
 * @returns the message as the method returns it, or `undefined` for a duplicate `_id`
 */
export function saveMessage(
  core: ServerCore,
  user: StoredUser,
  message: Record<string, unknown>,
  room: StoredRoom,
  previewUrls: string[] | undefined,
  via: MessageTransport,
): Record<string, unknown> | undefined {
  const { store } = core;
  if (!message['ts']) message['ts'] = new Date();
  if (message['tshow'] !== true) delete message['tshow'];
  message['u'] = messageUser(user);
  message['rid'] = room._id;
  if (typeof message['msg'] !== 'string') message['msg'] = '';
  const text = message['msg'] as string;
  message['urls'] = messageUrls(text, previewUrls);
  Object.assign(message, deriveMentions(core, text));
  if (message['t'] !== 'e2e' && text.length <= MAX_PARSE_LENGTH) message['md'] = parseMarkdown(text);

  const now = new Date();
  let stored: StoredMessage;
  if (typeof message['_id'] === 'string' && message['_id'] !== '') {
    if (store.message(message['_id']) !== undefined) return undefined; // already stored: nothing happens
    message['_updatedAt'] = now;
    stored = copy(message) as StoredMessage;
  } else {
    delete message['_id'];
    const _id = store.newMessageId(now.getTime());
    stored = { _id, ...copy(message), _updatedAt: now } as StoredMessage;
    message['_id'] = _id; // the caller's copy has no _updatedAt, as on the real server
  }
  store.insertMessage(stored, via);
  room.lm = stored.ts;
  room.msgs++;
  room._updatedAt = now;

  let parent: StoredMessage | undefined;
  if (stored.tmid !== undefined) {
    parent = store.message(stored.tmid);
    if (parent !== undefined) {
      parent.tcount = (parent.tcount ?? 0) + 1;
      parent.tlm = stored.ts;
      parent.replies = [...new Set([...(parent.replies ?? []), user._id])];
      parent._updatedAt = now;
    }
  }
  broadcastMessage(core, stored);
  if (parent !== undefined) broadcastMessage(core, parent);
  return message;
}

/** `mentions` and `channels` of a text. */
function deriveMentions(core: ServerCore, text: string): { mentions: StoredMessage['mentions']; channels: StoredMessage['channels'] } {
  const mentions: NonNullable<StoredMessage['mentions']> = [];
  for (const name of mentionedUsernames(text)) {
    if (name === 'all' || name === 'here') {
      mentions.push({ _id: name, username: name });
      continue;
    }
    const user = core.store.userByUsername(name);
    if (user !== undefined) mentions.push({ ...messageUser(user), type: 'user' });
  }
  const channels: NonNullable<StoredMessage['channels']> = [];
  for (const name of mentionedChannels(text)) {
    const room = core.store.roomByName(name);
    if (room !== undefined && room.t !== 'd' && room.name !== undefined) channels.push({ _id: room._id, name: room.name });
  }
  return { mentions, channels };
}

// ---------------------------------------------------------------------------------------
// Reading, editing, deleting, reacting

function getSingleMessage(call: MethodCall): unknown {
  const [mid] = call.params;
  checkString(mid);
  const user = requireUser(call);
  const message = call.core.store.message(mid);
  if (!message?.rid) return null;
  const room = call.core.store.room(message.rid);
  if (room === undefined || !canAccessRoom(call.core, room, user._id)) {
    throw methodError('error-not-allowed', 'Not allowed', { method: 'getSingleMessage' });
  }
  return copy(message);
}

const EDITABLE_KEYS = new Set(['tshow', 'alias', 'attachments', 'avatar', 'emoji', 'msg']);

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return JSON.stringify(a) === JSON.stringify(b);
}

function updateMessage(call: MethodCall): undefined {
  const { core } = call;
  const [message] = call.params;
  checkObjectWithId(message);
  const user = requireUser(call);
  const original = core.store.message(message._id);
  if (original === undefined) return undefined;
  for (const [key, value] of Object.entries(message)) {
    if (!EDITABLE_KEYS.has(key) && !sameValue(value, original[key])) {
      throw methodError('error-invalid-update-key', `Cannot update the message ${key}`, { method: 'updateMessage' });
    }
  }
  if (message['msg'] === original.msg || typeof message['msg'] !== 'string') return undefined;
  if (original.u._id !== user._id) {
    throw methodError('error-action-not-allowed', 'Message editing not allowed', { method: 'updateMessage', action: 'Message_editing' });
  }
  const text = message['msg'];
  if (text.length > core.options.maxMessageLength) {
    throw methodError('error-message-size-exceeded', 'Message size exceeds Message_MaxAllowedSize', { method: 'updateMessage' });
  }
  try {
    canSendMessage(core, original.rid, user);
  } catch {
    throw internalError();
  }
  const now = new Date();
  original.msg = text;
  original.urls = messageUrls(text, Array.isArray(call.params[1]) ? (call.params[1] as string[]) : undefined);
  Object.assign(original, deriveMentions(core, text));
  if (original.t !== 'e2e' && text.length <= MAX_PARSE_LENGTH) original.md = parseMarkdown(text);
  original._updatedAt = now;
  original.editedAt = now;
  original.editedBy = { _id: user._id, username: user.username };
  broadcastMessage(core, original);
  return undefined;
}

function deleteMessage(call: MethodCall): undefined {
  const { core } = call;
  const [message] = call.params;
  checkObjectWithId(message);
  const user = requireUser(call);
  const original = core.store.message(message._id);
  if (original === undefined) {
    throw methodError('error-action-not-allowed', 'Not allowed', { method: 'deleteMessage', action: 'Delete_message' });
  }
  if (original.u._id !== user._id) throw methodError('error-action-not-allowed', 'Not allowed');
  core.store.removeMessage(original._id);
  const room = core.store.room(original.rid);
  if (room !== undefined) {
    room.msgs = Math.max(0, room.msgs - 1);
    room._updatedAt = new Date();
  }
  notifyRoom(core, original.rid, 'deleteMessage', [{ _id: original._id }]);
  return undefined;
}

function setReaction(call: MethodCall): unknown {
  const { core } = call;
  const [reaction, messageId, shouldReact] = call.params;
  const user = requireUser(call);
  const message = typeof messageId === 'string' ? core.store.message(messageId) : undefined;
  const room = message === undefined ? undefined : core.store.room(message.rid);
  if (message === undefined || room === undefined) throw methodError('error-not-allowed', 'Not allowed', { method: 'setReaction' });
  if (!canAccessRoom(core, room, user._id)) throw methodError('not-authorized', 'Not Authorized', { method: 'setReaction' });
  const name = typeof reaction === 'string' ? reaction.replace(/:/g, '') : '';
  if (!/^[\w+-]+$/.test(name)) throw methodError('error-not-allowed', 'Invalid emoji provided.', { method: 'setReaction' });
  if (room.muted.includes(user.username)) {
    sendEphemeral(core, user._id, room._id, NOTICE_TEXTS['You_have_been_muted']!);
    return false;
  }
  const key = `:${name}:`;
  const reactions = message.reactions ?? {};
  const usernames = reactions[key]?.usernames ?? [];
  const reacted = usernames.includes(user.username);
  if (reacted === shouldReact) return undefined;
  if (reacted) {
    const rest = usernames.filter((username) => username !== user.username);
    if (rest.length > 0) reactions[key] = { usernames: rest };
    else delete reactions[key];
  } else {
    reactions[key] = { usernames: [...usernames, user.username] };
  }
  if (Object.keys(reactions).length > 0) message.reactions = reactions;
  else delete message.reactions;
  message._updatedAt = new Date();
  broadcastMessage(core, message);
  return undefined;
}

function loadHistory(call: MethodCall): unknown {
  const { core } = call;
  const [rid, end, limit, ls, showThreadMessages] = call.params;
  checkString(rid);
  const user = requireUser(call);
  const room = core.store.room(rid);
  if (room === undefined || !canAccessRoom(core, room, user._id)) return false;
  const max = typeof limit === 'number' && limit > 0 ? limit : limit === undefined ? 20 : Number.POSITIVE_INFINITY;
  const visible = core.store
    .roomMessages(rid)
    .filter((message) => showThreadMessages !== false || message.tmid === undefined || message.tshow === true);
  const before = end instanceof Date ? visible.filter((message) => message.ts.getTime() < end.getTime()) : visible;
  const messages = before.slice(-max).reverse().map((message) => copy(message));
  const result: Record<string, unknown> = { messages };
  let unreadNotLoaded = 0;
  const since = ls instanceof Date ? ls : typeof ls === 'string' ? new Date(ls) : undefined;
  const oldest = messages[messages.length - 1];
  if (since !== undefined && oldest !== undefined && oldest.ts.getTime() > since.getTime()) {
    const unread = visible.filter((message) => message.ts.getTime() > since.getTime() && message.ts.getTime() < oldest.ts.getTime());
    if (unread[0] !== undefined) result['firstUnread'] = copy(unread[0]);
    unreadNotLoaded = unread.length;
  }
  result['unreadNotLoaded'] = unreadNotLoaded;
  return result;
}
