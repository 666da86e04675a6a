/**
 * Rocket.Chat's streams: the `stream-*` publications with their read rules, and the methods
 * of the same names through which clients write to a stream (only typing, on
 * `stream-notify-room` `<rid>/user-activity`, is allowed).
 *
 * A stream subscription takes `[eventName, { useCollection, args }]` (or `[eventName, bool]`).
 * Events arrive as `changed` frames with id `"id"` and `fields: { eventName, args }`.
 *
 * @module
 */
import type { Connection } from '../connection.js';
import type { MethodCall, Publication, PublicationStart, ServerCore } from '../core.js';
import { internalError, matchFailed, methodError } from '../errors.js';
import { canAccessRoom, notifyRoom } from './common.js';

type ReadRule = (core: ServerCore, connection: Connection, eventName: string) => boolean;

const roomMessagesRule: ReadRule = (core, connection, eventName) => {
  if (eventName === '__my_messages__') return true;
  const room = core.store.room(eventName);
  return room !== undefined && canAccessRoom(core, room, connection.userId);
};

const notifyRoomRule: ReadRule = (core, connection, eventName) => {
  const rid = eventName.split('/')[0] ?? '';
  const room = core.store.room(rid);
  return room !== undefined && canAccessRoom(core, room, connection.userId);
};

const notifyUserRule: ReadRule = (_core, connection, eventName) =>
  connection.userId !== undefined && eventName.split('/')[0] === connection.userId;

const STREAMS: Readonly<Record<string, ReadRule>> = {
  'stream-room-messages': roomMessagesRule,
  'stream-notify-room': notifyRoomRule,
  'stream-notify-user': notifyUserRule,
  'stream-notify-logged': (_core, connection) => connection.userId !== undefined,
  'stream-notify-all': () => true,
};

function streamPublication(name: string, rule: ReadRule): Publication {
  return {
    start(core, connection, params): PublicationStart {
      const [eventName, options] = params;
      let useCollection = false;
      if (typeof options === 'boolean') useCollection = options;
      else if (options === undefined || options === null) throw internalError(); // the server reads options.useCollection
      else useCollection = (options as { useCollection?: unknown }).useCollection === true;
      if (eventName === undefined || eventName === null) throw internalError(); // eventName.length
      if (typeof eventName !== 'string') throw methodError('not-allowed');
      if (eventName.length === 0) throw methodError('invalid-event-name');
      if (!rule(core, connection, eventName)) throw methodError('not-allowed');
      return useCollection
        ? { eventName, before: [{ msg: 'added', collection: name, id: 'id', fields: { eventName } }] }
        : { eventName };
    },
    stillAllowed(core, connection, eventName) {
      return eventName !== undefined && rule(core, connection, eventName);
    },
  };
}

/** A publication with no documents (Meteor's `meteor.loginServiceConfiguration`). */
const emptyPublication: Publication = {
  start: () => ({}),
  stillAllowed: () => true,
};

/** Registers the stream publications and their write methods. */
export function registerStreams(core: ServerCore): void {
  for (const [name, rule] of Object.entries(STREAMS)) {
    core.publications.set(name, streamPublication(name, rule));
    core.methods.set(name, name === 'stream-notify-room' ? writeNotifyRoom : writeNothing);
  }
  core.publications.set('meteor.loginServiceConfiguration', emptyPublication);
}

/** A write to a stream that accepts none: silently dropped. */
function writeNothing(call: MethodCall): undefined {
  const [eventName] = call.params;
  if (typeof eventName !== 'string') throw matchFailed();
  return undefined;
}

/** Typing: `["<rid>/user-activity", username, activities, extra]`, re-broadcast to the room's other listeners. */
function writeNotifyRoom(call: MethodCall): undefined {
  const { core, connection } = call;
  const [eventName, ...args] = call.params;
  if (typeof eventName !== 'string') throw matchFailed();
  const slash = eventName.indexOf('/');
  const rid = slash < 0 ? eventName : eventName.slice(0, slash);
  const event = slash < 0 ? '' : eventName.slice(slash + 1);
  if (event !== 'user-activity') return undefined;
  const user = connection.userId === undefined ? undefined : core.store.user(connection.userId);
  const room = core.store.room(rid);
  if (user === undefined || room === undefined || !canAccessRoom(core, room, user._id)) return undefined;
  if (args[0] !== user.username && (user.name === undefined || args[0] !== user.name)) return undefined;
  notifyRoom(core, rid, event, args, connection);
  return undefined;
}
