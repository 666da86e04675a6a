/**
 * The fake server's data: users, login tokens, rooms, memberships and messages, with real
 * `Date`s. Plain in-memory maps; every read hands out copies, so callers cannot corrupt it.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { objectId, randomId, randomSecret } from './ids.js';

/** `u` of a message: who sent it. */
export interface MessageUser {
  /** The sender's user id. */
  readonly _id: string;
  /** The sender's username. */
  readonly username: string;
  /** The sender's display name; absent when the user has none. */
  readonly name?: string;
}

/**
 * A message as the server stores and sends it (the shape of Rocket.Chat's `IMessage`). Keys
 * keep the order the server gives them; every date is a `Date`.
 */
export interface StoredMessage {
  /** The message id. */
  _id: string;
  /** The id of the room it was sent to. */
  rid: string;
  /** The text (an empty string when the message has none). */
  msg: string;
  /** When it was sent: the sender's own `ts` when it gave one the server accepted, otherwise the server's clock. */
  ts: Date;
  /** Who sent it. */
  u: MessageUser;
  /** When it was stored or last changed. */
  _updatedAt: Date;
  /** For a thread reply: the id of the thread's first message. */
  tmid?: string;
  /** For a thread reply: `true` when it is also shown in the room; absent otherwise. */
  tshow?: boolean;
  /** The message type: absent for an ordinary message, `'e2e'` for an encrypted one. */
  t?: string;
  /** The URLs found in `msg`, in order of first appearance. */
  urls?: {
    /** The URL, as found in the text. */
    url: string;
    /** Preview data; always empty here. */
    meta: Record<string, unknown>;
    /** `true` when the sender asked for previews of other URLs only. */
    ignoreParse?: boolean;
  }[];
  /** The users mentioned with `@name` who exist, and `@all` / `@here`. */
  mentions?: {
    /** The user's id; `'all'` or `'here'` for those mentions. */
    _id: string;
    /** The username; `'all'` or `'here'` for those mentions. */
    username: string;
    /** The user's display name, when the user has one. */
    name?: string;
    /** `'user'` for a mentioned user (`'team'` for a team); absent for `@all` / `@here`. */
    type?: 'user' | 'team';
  }[];
  /** The rooms mentioned with `#name` that exist (direct-message rooms excepted). */
  channels?: {
    /** The room's id. */
    _id: string;
    /** The room's name. */
    name: string;
  }[];
  /** `msg` parsed into markdown tokens; absent for encrypted messages and very long texts. */
  md?: unknown[];
  /** When the text was last edited. */
  editedAt?: Date;
  /** Who last edited the text. */
  editedBy?: {
    /** The editor's user id. */
    _id: string;
    /** The editor's username. */
    username: string;
  };
  /** Reactions by emoji (e.g. `':thumbsup:'`); absent when there are none. */
  reactions?: Record<string, {
    /** The usernames of those who reacted with this emoji, in the order they did. */
    usernames: string[];
  }>;
  /** For a thread's first message: the number of replies. */
  tcount?: number;
  /** For a thread's first message: when the latest reply was sent. */
  tlm?: Date;
  /** For a thread's first message: the ids of the users who replied. */
  replies?: string[];
  [key: string]: unknown;
}

/** A user account. */
export interface StoredUser {
  readonly _id: string;
  readonly username: string;
  readonly name?: string;
  readonly emails: readonly { readonly address: string; readonly verified: boolean }[];
  /** SHA-256 hex of the password (what a client sends as `digest`). */
  readonly passwordDigest: string;
  /** Base32 TOTP secret when two-factor login is enabled. */
  readonly totpSecret?: string;
  readonly active: boolean;
  readonly roles: readonly string[];
  /** Permissions granted beyond those of the roles. */
  readonly permissions?: readonly string[];
  readonly createdAt: Date;
  _updatedAt: Date;
}

/** A login token: a resume token (from a login) or a personal access token. */
export interface LoginToken {
  readonly token: string;
  readonly userId: string;
  /** When it was issued; `null` for a personal access token (it never expires). */
  readonly when: Date | null;
  readonly type: 'resume' | 'personalAccessToken';
}

/** How a message reached the store: the realtime method, the REST API, or the server itself (`postMessage`). */
export type MessageTransport = 'ddp' | 'rest' | 'server';

/** Room types: public channel, private group, direct messages. */
export type RoomType = 'c' | 'p' | 'd';

/** A room. */
export interface StoredRoom {
  readonly _id: string;
  readonly t: RoomType;
  /** Absent for direct-message rooms. */
  readonly name?: string;
  readonly fname?: string;
  ro: boolean;
  muted: string[];
  readonly joinCode?: string;
  readonly encrypted: boolean;
  readonly default: boolean;
  /** Usernames of a direct-message room's members. */
  usernames?: string[];
  uids?: string[];
  readonly ts: Date;
  _updatedAt: Date;
  lm?: Date;
  msgs: number;
  usersCount: number;
}

/** A user's membership of a room (Rocket.Chat's `ISubscription`). */
export interface StoredSubscription {
  readonly _id: string;
  readonly rid: string;
  readonly name: string;
  readonly fname: string;
  readonly t: RoomType;
  readonly u: MessageUser;
  open: boolean;
  alert: boolean;
  unread: number;
  userMentions: number;
  groupMentions: number;
  readonly ts: Date;
  ls: Date;
  _updatedAt: Date;
}

/** SHA-256 hex of a UTF-8 string (a password digest as clients send it). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Login tokens last this long from when they were issued (Rocket.Chat's default: 90 days). */
export const LOGIN_EXPIRATION_MS = 90 * 24 * 60 * 60 * 1000;

/** The in-memory database. */
export class Store {
  readonly #users = new Map<string, StoredUser>();
  readonly #tokens = new Map<string, LoginToken>();
  readonly #rooms = new Map<string, StoredRoom>();
  readonly #subscriptions = new Map<string, StoredSubscription>(); // key: rid + ' ' + uid
  readonly #messages = new Map<string, StoredMessage>();
  readonly #roomMessages = new Map<string, StoredMessage[]>();
  readonly #transports = new Map<string, MessageTransport>();

  // ---------------------------------------------------------------- users

  addUser(user: StoredUser): void {
    if (this.userByUsername(user.username) !== undefined) throw new Error(`user "${user.username}" already exists`);
    if (this.#users.has(user._id)) throw new Error(`user id "${user._id}" already exists`);
    this.#users.set(user._id, user);
  }

  user(id: string): StoredUser | undefined {
    return this.#users.get(id);
  }

  userByUsername(username: string): StoredUser | undefined {
    const wanted = username.toLowerCase();
    for (const user of this.#users.values()) if (user.username.toLowerCase() === wanted) return user;
    return undefined;
  }

  userByEmail(email: string): StoredUser | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.#users.values()) {
      if (user.emails.some((entry) => entry.address.toLowerCase() === wanted)) return user;
    }
    return undefined;
  }

  users(): StoredUser[] {
    return [...this.#users.values()];
  }

  // ---------------------------------------------------------------- tokens

  /** Issues a new login token for `userId`. */
  issueToken(userId: string, type: LoginToken['type'], when: Date | null = new Date()): LoginToken {
    const token: LoginToken = { token: randomSecret(), userId, when: type === 'personalAccessToken' ? null : when, type };
    this.#tokens.set(token.token, token);
    return token;
  }

  token(token: string): LoginToken | undefined {
    return this.#tokens.get(token);
  }

  removeToken(token: string): boolean {
    return this.#tokens.delete(token);
  }

  removeTokensOf(userId: string): void {
    for (const [key, token] of this.#tokens) if (token.userId === userId) this.#tokens.delete(key);
  }

  // ---------------------------------------------------------------- rooms

  addRoom(room: StoredRoom): void {
    if (this.#rooms.has(room._id)) throw new Error(`room id "${room._id}" already exists`);
    if (room.name !== undefined && this.roomByName(room.name) !== undefined) throw new Error(`room "${room.name}" already exists`);
    this.#rooms.set(room._id, room);
    this.#roomMessages.set(room._id, []);
  }

  room(id: string): StoredRoom | undefined {
    return this.#rooms.get(id);
  }

  roomByName(name: string): StoredRoom | undefined {
    for (const room of this.#rooms.values()) if (room.name === name) return room;
    return undefined;
  }

  rooms(): StoredRoom[] {
    return [...this.#rooms.values()];
  }

  // ---------------------------------------------------------------- memberships

  subscription(rid: string, uid: string): StoredSubscription | undefined {
    return this.#subscriptions.get(`${rid} ${uid}`);
  }

  /** Makes `user` a member of `room` (no-op when already one); `true` when it was added. */
  addMember(room: StoredRoom, user: StoredUser, now = new Date()): boolean {
    const key = `${room._id} ${user._id}`;
    if (this.#subscriptions.has(key)) return false;
    let name = room.name ?? '';
    let fname = room.fname ?? name;
    if (room.t === 'd') {
      const others = (room.usernames ?? []).filter((username) => username !== user.username);
      name = others.join(', ') || user.username;
      fname = name;
    }
    this.#subscriptions.set(key, {
      _id: randomId(),
      rid: room._id,
      name,
      fname,
      t: room.t,
      u: messageUser(user),
      open: true,
      alert: false,
      unread: 0,
      userMentions: 0,
      groupMentions: 0,
      ts: now,
      ls: now,
      _updatedAt: now,
    });
    room.usersCount++;
    return true;
  }

  subscriptionsOf(uid: string): StoredSubscription[] {
    return [...this.#subscriptions.values()].filter((sub) => sub.u._id === uid);
  }

  membersOf(rid: string): StoredUser[] {
    const members: StoredUser[] = [];
    for (const sub of this.#subscriptions.values()) {
      if (sub.rid !== rid) continue;
      const user = this.#users.get(sub.u._id);
      if (user !== undefined) members.push(user);
    }
    return members;
  }

  // ---------------------------------------------------------------- messages

  message(id: string): StoredMessage | undefined {
    return this.#messages.get(id);
  }

  /** Stores a new message (the caller has checked that its `_id` is free), noting how it came. */
  insertMessage(message: StoredMessage, via: MessageTransport = 'server'): void {
    this.#messages.set(message._id, message);
    this.#transports.set(message._id, via);
    let list = this.#roomMessages.get(message.rid);
    if (list === undefined) {
      list = [];
      this.#roomMessages.set(message.rid, list);
    }
    // Keep each room's list sorted by ts (messages may carry a client ts slightly in the past).
    let index = list.length;
    while (index > 0 && list[index - 1]!.ts.getTime() > message.ts.getTime()) index--;
    list.splice(index, 0, message);
  }

  removeMessage(id: string): StoredMessage | undefined {
    const message = this.#messages.get(id);
    if (message === undefined) return undefined;
    this.#messages.delete(id);
    this.#transports.delete(id);
    const list = this.#roomMessages.get(message.rid);
    if (list !== undefined) {
      const index = list.indexOf(message);
      if (index >= 0) list.splice(index, 1);
    }
    return message;
  }

  /** How a stored message came in; `undefined` when there is no such message. */
  transportOf(id: string): MessageTransport | undefined {
    return this.#transports.get(id);
  }

  /** Messages of one room, oldest first (the live objects: copy before handing out). */
  roomMessages(rid: string): readonly StoredMessage[] {
    return this.#roomMessages.get(rid) ?? [];
  }

  /** Every message, oldest first. */
  allMessages(): StoredMessage[] {
    return [...this.#messages.values()].sort((a, b) => a.ts.getTime() - b.ts.getTime());
  }

  /** A fresh message id for a message sent without one. */
  newMessageId(now: number): string {
    let id = objectId(now);
    while (this.#messages.has(id)) id = objectId(now);
    return id;
  }
}

/** `{ _id, username, name? }` of a user (no `name` key when the user has none). */
export function messageUser(user: StoredUser): MessageUser {
  return user.name === undefined ? { _id: user._id, username: user.username } : { _id: user._id, username: user.username, name: user.name };
}

/** A deep copy that keeps `Date`s (and every other structured-clonable value). */
export function copy<T>(value: T): T {
  return structuredClone(value);
}
