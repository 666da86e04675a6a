/**
 * `FakeRocketChatServer`: a real WebSocket server on 127.0.0.1 that speaks DDP the way
 * Rocket.Chat does (see the handlers for each method), with users, rooms and messages in
 * memory, fault hooks, `waitFor…` helpers, and a `close()` that leaves nothing running.
 *
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'eventemitter3';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientFrame, ServerFrame } from '../ddp/protocol.js';
import { Connection, type FakeConnection, isValidCloseCode } from './connection.js';
import { ServerCore } from './core.js';
import { internalError, MethodError } from './errors.js';
import { joinMember } from './handlers/rooms.js';
import { registerLoginMethods } from './handlers/login.js';
import { registerHistoryMethods } from './handlers/history.js';
import { registerMessageMethods, saveMessage } from './handlers/messages.js';
import { registerRoomMethods } from './handlers/rooms.js';
import { registerStreams } from './handlers/streams.js';
import { handleHttpRequest } from './http.js';
import { randomId } from './ids.js';
import { resolveOptions, type FakeServerOptions, type FaultOptions } from './options.js';
import type { FakeRestRequest } from './rest-api.js';
import {
  copy,
  sha256Hex,
  type MessageTransport,
  type StoredMessage,
  type StoredRoom,
  type StoredUser,
  type RoomType,
} from './store.js';
import { totpCode } from './totp.js';

/** Options of {@link FakeRocketChatServer.addUser}. */
export interface FakeUserOptions {
  /** The login name; must be free (compared without regard to case). */
  readonly username: string;
  /** The password, in clear (the server keeps its SHA-256 digest). */
  readonly password: string;
  /** Display name (`u.name` of the user's messages); none by default. */
  readonly name?: string;
  /** E-mail address for `{ user: { email } }` logins. */
  readonly email?: string;
  /** Base32 TOTP secret: enables two-factor login (compute codes with `totpCode`). */
  readonly totpSecret?: string;
  /** The user id. @default a random 17-character id */
  readonly _id?: string;
  /** `false`: logins fail with `error-user-is-not-activated`. @default true */
  readonly active?: boolean;
  /**
   * The user's roles. `bot` (and `app`) carry `message-impersonate` (send with `alias` /
   * `avatar`) and `api-bypass-rate-limit` (not counted by the REST rate limit); `admin` the
   * latter.
   * @default ['user']
   */
  readonly roles?: readonly string[];
  /**
   * Permissions granted beyond those of the roles, e.g. `['message-impersonate']`.
   * @default []
   */
  readonly permissions?: readonly string[];
}

/** A created user. */
export interface FakeUser {
  /** The user id. */
  readonly _id: string;
  /** The login name. */
  readonly username: string;
  /** A resume token for `login({ resume })`. */
  readonly token: string;
}

/** Options of {@link FakeRocketChatServer.addRoom}. */
export interface FakeRoomOptions {
  /** The room id. @default a random 17-character id */
  readonly _id?: string;
  /** The room name (`#name`), which must be free; a direct-message room has none and ignores it. */
  readonly name: string;
  /** `'c'` public, `'p'` private, `'d'` direct messages. @default 'c' */
  readonly t?: RoomType;
  /** Read-only room: messages are silently refused. @default false */
  readonly readonly?: boolean;
  /** Usernames of the members. @default [] */
  readonly members?: readonly string[];
  /** Usernames of muted users: their messages are silently refused. @default [] */
  readonly muted?: readonly string[];
  /** A join code `joinRoom` requires. */
  readonly joinCode?: string;
  /** End-to-end encrypted: plaintext messages fail with `error-not-allowed`. @default false */
  readonly encrypted?: boolean;
}

/** A created room. */
export interface FakeRoom {
  /** The room id (the `rid` of its messages). */
  readonly _id: string;
  /** The name given in {@link FakeRoomOptions.name}. */
  readonly name: string;
}

/** A message put in a room by the server itself, as if `username` had sent it. */
export interface FakePostOptions {
  /** The id of the room to post in. */
  readonly rid: string;
  /** The text. */
  readonly msg: string;
  /** The sender: an existing user's username (membership is not checked). */
  readonly username: string;
  /** The message id; must be free. @default a new id */
  readonly _id?: string;
  /** When it was sent. @default now */
  readonly ts?: Date;
  /** For a thread reply: the id of the thread's first message. */
  readonly tmid?: string;
  /** For a thread reply: also show it in the room. */
  readonly tshow?: boolean;
  /** Stored as pinned. */
  readonly pinned?: boolean;
}

/** What a method added with {@link FakeRocketChatServer.addMethod} knows about its call. */
export interface FakeMethodContext {
  /** The caller's user id, when logged in. */
  readonly userId: string | undefined;
  /** The caller's connection. */
  readonly connection: FakeConnection;
}

/**
 * A method added by a test: returns the result (or a promise of it; `undefined` gives an
 * empty result). Throw `methodError(code, reason?, details?)` to answer with a Meteor error;
 * any other exception is answered `500 "Internal server error"`.
 */
export type FakeMethod = (params: unknown[], context: FakeMethodContext) => unknown;

/** Events of {@link FakeRocketChatServer} (listeners run synchronously). */
export interface FakeServerEvents {
  /** A socket was accepted (before any greeting); the listener may `drop()` it. */
  connection: (connection: FakeConnection) => void;
  /** A valid frame arrived, before it is handled; the listener may `drop()` the connection (it is then not handled). */
  clientFrame: (frame: ClientFrame, connection: FakeConnection) => void;
  /** The server is about to write a frame; the listener may `drop()` the connection (it is then not sent). */
  serverFrame: (frame: ServerFrame, connection: FakeConnection) => void;
  /** A connection ended, with its close code. */
  disconnect: (connection: FakeConnection, code: number) => void;
  /**
   * A REST request arrived (body read), before it is handled; the listener may `drop()` it
   * (it is then not handled, and the client sees the connection cut).
   */
  restRequest: (request: FakeRestRequest) => void;
  /**
   * A REST request was handled and its answer is about to be written; the listener may
   * `drop()` it: what the request did stays done (a message stays stored), the answer is lost.
   */
  restResponse: (request: FakeRestRequest, status: number, body: unknown) => void;
}

/** Options of the `waitFor…` helpers. */
export interface WaitOptions {
  /**
   * Reject after this many milliseconds.
   * @default 5000
   */
  readonly timeoutMs?: number;
}

/** Options of {@link FakeRocketChatServer.waitForFrame}. */
export interface WaitForFrameOptions extends WaitOptions {
  /** Only frames received on this connection. */
  readonly connection?: FakeConnection;
}

const DEFAULT_WAIT_MS = 5000;
const CLOSE_GRACE_MS = 500;

/**
 * A Rocket.Chat server for tests: a real `ws` server on `127.0.0.1`, speaking DDP like the
 * monolith (or, with `variant: 'ddp-streamer'`, like the separate DDP service).
 *
 * @example
 * const server = await FakeRocketChatServer.start();
 * const bot = server.addUser({ username: 'bot', password: 'secret' });
 * // … connect a client to server.url, log in as bot, send to 'GENERAL' …
 * await server.close();
 */
export class FakeRocketChatServer extends EventEmitter<FakeServerEvents> {
  readonly #core: ServerCore;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<WebSocket>();
  readonly #unclaimed: Connection[] = [];
  readonly #connectionWaiters: ((connection: Connection) => void)[] = [];
  readonly #cleanups = new Set<(error: Error) => void>();
  #faults: FaultOptions;
  #port = 0;
  #closing: Promise<void> | undefined;

  /**
   * Starts a server and resolves once it listens.
   * @param options see {@link FakeServerOptions}; every option has a default
   */
  static async start(options: FakeServerOptions = {}): Promise<FakeRocketChatServer> {
    const server = new FakeRocketChatServer(options);
    await server.#listen();
    return server;
  }

  private constructor(options: FakeServerOptions) {
    super();
    const resolved = resolveOptions(options);
    this.#faults = resolved.faults;
    this.#core = new ServerCore(resolved, {
      connection: (connection) => this.emit('connection', connection),
      clientFrame: (frame, connection) => this.emit('clientFrame', frame, connection),
      serverFrame: (frame, connection) => this.emit('serverFrame', frame, connection),
      disconnect: (connection, code) => this.emit('disconnect', connection, code),
      restRequest: (request) => this.emit('restRequest', request),
      restResponse: (request, status, body) => this.emit('restResponse', request, status, body),
    });
    registerLoginMethods(this.#core);
    registerMessageMethods(this.#core);
    registerRoomMethods(this.#core);
    registerHistoryMethods(this.#core);
    registerStreams(this.#core);
    const now = new Date();
    this.#core.store.addRoom({
      _id: 'GENERAL',
      t: 'c',
      name: 'general',
      fname: 'general',
      ro: false,
      muted: [],
      encrypted: false,
      default: true,
      ts: now,
      _updatedAt: now,
      msgs: 0,
      usersCount: 0,
    });
    this.#http = createServer((request, response) => handleHttpRequest(this.#core, request, response));
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: resolved.variant === 'ddp-streamer' ? 100 * 1024 * 1024 : 64 * 1024 * 1024 - 1,
    });
    this.#http.on('upgrade', (request, socket, head) => this.#upgrade(request, socket, head));
    this.#http.on('clientError', (_error, socket) => socket.destroy());
  }

  // ------------------------------------------------------------------ addresses

  /** The WebSocket URL, `ws://127.0.0.1:<port>/websocket`. */
  get url(): string {
    return `ws://${this.#hostForUrl()}:${this.#port}/websocket`;
  }

  /** The HTTP base URL, `http://127.0.0.1:<port>`. */
  get httpUrl(): string {
    return `http://${this.#hostForUrl()}:${this.#port}`;
  }

  /** The port the server listens on. */
  get port(): number {
    return this.#port;
  }

  /** The open connections, oldest first. */
  get connections(): readonly FakeConnection[] {
    return [...this.#core.connections];
  }

  // ------------------------------------------------------------------ data

  /**
   * Creates a user (a member of the default room `GENERAL`, as on a fresh Rocket.Chat).
   * @returns its id, username and a resume token
   * @throws {Error} when the username or id is taken
   */
  addUser(options: FakeUserOptions): FakeUser {
    if (typeof options.username !== 'string' || options.username === '') throw new TypeError('addUser: username is required');
    if (typeof options.password !== 'string') throw new TypeError('addUser: password is required');
    if (options.totpSecret !== undefined) totpCode(options.totpSecret); // throws on a secret that is not base32
    const now = new Date();
    const user: StoredUser = {
      _id: options._id ?? randomId(),
      username: options.username,
      ...(options.name === undefined ? {} : { name: options.name }),
      emails: options.email === undefined ? [] : [{ address: options.email, verified: true }],
      passwordDigest: sha256Hex(options.password),
      ...(options.totpSecret === undefined ? {} : { totpSecret: options.totpSecret }),
      active: options.active ?? true,
      roles: [...(options.roles ?? ['user'])],
      ...(options.permissions === undefined ? {} : { permissions: [...options.permissions] }),
      createdAt: now,
      _updatedAt: now,
    };
    const { store } = this.#core;
    store.addUser(user);
    for (const room of store.rooms()) if (room.default) store.addMember(room, user);
    return { _id: user._id, username: user.username, token: store.issueToken(user._id, 'resume').token };
  }

  /**
   * Creates a personal access token for a user: it logs in with `{ resume }`, never expires,
   * and its login result carries `tokenExpires: {"$date": null}`.
   */
  addPersonalAccessToken(userId: string): string {
    if (this.#core.store.user(userId) === undefined) throw new Error(`addPersonalAccessToken: no user "${userId}"`);
    return this.#core.store.issueToken(userId, 'personalAccessToken').token;
  }

  /** Invalidates a resume or personal access token (later logins with it fail with 401). */
  revokeToken(token: string): boolean {
    return this.#core.store.removeToken(token);
  }

  /**
   * Creates a room.
   * @throws {Error} when the id or name is taken, or a member is not a user
   */
  addRoom(options: FakeRoomOptions): FakeRoom {
    const { store } = this.#core;
    const members = (options.members ?? []).map((username) => {
      const user = store.userByUsername(username);
      if (user === undefined) throw new Error(`addRoom: no user "${username}"`);
      return user;
    });
    const now = new Date();
    const t = options.t ?? 'c';
    const room: StoredRoom = {
      _id: options._id ?? randomId(),
      t,
      ...(t === 'd' ? {} : { name: options.name, fname: options.name }),
      ro: options.readonly ?? false,
      muted: [...(options.muted ?? [])],
      ...(options.joinCode === undefined ? {} : { joinCode: options.joinCode }),
      encrypted: options.encrypted ?? false,
      default: false,
      ...(t === 'd' ? { usernames: members.map((user) => user.username), uids: members.map((user) => user._id) } : {}),
      ts: now,
      _updatedAt: now,
      msgs: 0,
      usersCount: 0,
    };
    store.addRoom(room);
    for (const user of members) joinMember(this.#core, room, user);
    return { _id: room._id, name: options.name };
  }

  /** Changes a room's read-only flag or its muted usernames. */
  updateRoom(rid: string, changes: { readonly readonly?: boolean; readonly muted?: readonly string[] }): void {
    const room = this.#core.store.room(rid);
    if (room === undefined) throw new Error(`updateRoom: no room "${rid}"`);
    if (changes.readonly !== undefined) room.ro = changes.readonly;
    if (changes.muted !== undefined) room.muted = [...changes.muted];
    room._updatedAt = new Date();
  }

  /** Makes a user a member of a room. */
  addMember(rid: string, username: string): void {
    const room = this.#core.store.room(rid);
    const user = this.#core.store.userByUsername(username);
    if (room === undefined || user === undefined) throw new Error(`addMember: no room "${rid}" or user "${username}"`);
    joinMember(this.#core, room, user);
  }

  /**
   * Stores a message as if `username` had sent it (no checks, no rate limit) and broadcasts
   * it on the streams.
   * @returns the stored message
   */
  postMessage(options: FakePostOptions): StoredMessage {
    const { store } = this.#core;
    const room = store.room(options.rid);
    const user = store.userByUsername(options.username);
    if (room === undefined || user === undefined) throw new Error(`postMessage: no room "${options.rid}" or user "${options.username}"`);
    const message: Record<string, unknown> = {};
    if (options._id !== undefined) message['_id'] = options._id;
    message['rid'] = room._id;
    message['msg'] = options.msg;
    if (options.tmid !== undefined) message['tmid'] = options.tmid;
    if (options.tshow !== undefined) message['tshow'] = options.tshow;
    if (options.pinned === true) message['pinned'] = true;
    message['ts'] = options.ts ?? new Date();
    const saved = saveMessage(this.#core, user, message, room, undefined, 'server');
    if (saved === undefined) throw new Error(`postMessage: a message "${String(options._id)}" exists already`);
    return copy(store.message(saved['_id'] as string)!);
  }

  /** Stored messages (copies with real Dates), oldest first; of one room when `rid` is given. */
  messages(rid?: string): StoredMessage[] {
    const { store } = this.#core;
    return (rid === undefined ? store.allMessages() : [...store.roomMessages(rid)]).map((message) => copy(message));
  }

  /**
   * How a stored message came in: `'ddp'` (the realtime `sendMessage`), `'rest'` (the REST
   * `chat.sendMessage`) or `'server'` ({@link postMessage}); `undefined` when there is no
   * such message.
   */
  transportOf(messageId: string): MessageTransport | undefined {
    return this.#core.store.transportOf(messageId);
  }

  /**
   * The REST requests answered so far (or dropped), oldest first, at most
   * `maxRecordedFrames`. Auth tokens are not kept.
   */
  get restRequests(): readonly FakeRestRequest[] {
    return [...this.#core.restRequests];
  }

  /**
   * Adds a method (or replaces a built-in one). Like every method it runs in turn with the
   * connection's other methods and subscriptions: a slow one holds back those sent after it.
   */
  addMethod(name: string, method: FakeMethod): void {
    this.#core.methods.set(name, async (call) => {
      try {
        return await method(call.params, { userId: call.connection.userId, connection: call.connection });
      } catch (error) {
        throw error instanceof MethodError ? error : internalError();
      }
    });
  }

  // ------------------------------------------------------------------ faults

  /** Drops every open connection (see {@link FakeConnection.drop}). */
  dropAllConnections(code?: number): void {
    if (code !== undefined && !isValidCloseCode(code)) throw new RangeError(`invalid WebSocket close code ${code}`);
    for (const connection of [...this.#core.connections]) connection.drop(code);
  }

  /** Replaces the faults of every open connection and of every future one (`{}` heals). */
  setFaults(faults: FaultOptions): void {
    this.#faults = { ...faults };
    for (const connection of [...this.#core.connections]) connection.setFaults(faults);
  }

  // ------------------------------------------------------------------ waiting

  /**
   * The oldest connection not yet returned by this method (it may already be closed), or the
   * next one to arrive.
   */
  waitForConnection(options: WaitOptions = {}): Promise<FakeConnection> {
    const ready = this.#unclaimed.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return this.#wait<FakeConnection>(options, 'waitForConnection: no connection', (resolve) => {
      const waiter = (connection: Connection): void => resolve(connection);
      this.#connectionWaiters.push(waiter);
      return () => {
        const index = this.#connectionWaiters.indexOf(waiter);
        if (index >= 0) this.#connectionWaiters.splice(index, 1);
      };
    });
  }

  /**
   * The next frame a client sends that matches: a `msg` type (`'sub'`, `'method'`, …) or a
   * predicate. Frames received before the call do not count.
   */
  waitForFrame(
    match: ClientFrame['msg'] | ((frame: ClientFrame, connection: FakeConnection) => boolean),
    options: WaitForFrameOptions = {},
  ): Promise<ClientFrame> {
    const test = typeof match === 'function' ? match : (frame: ClientFrame) => frame.msg === match;
    return this.#wait<ClientFrame>(options, 'waitForFrame: no matching frame', (resolve) => {
      const listener = (frame: ClientFrame, connection: FakeConnection): void => {
        if (options.connection !== undefined && connection !== options.connection) return;
        let matches = false;
        try {
          matches = test(frame, connection);
        } catch {
          matches = false;
        }
        if (matches) resolve(frame);
      };
      this.on('clientFrame', listener);
      return () => this.off('clientFrame', listener);
    });
  }

  #wait<T>(options: WaitOptions, what: string, arm: (resolve: (value: T) => void) => () => void): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(new Error(`${what}: the server is closed`));
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    return new Promise<T>((resolve, reject) => {
      let disarm: () => void = () => undefined;
      const finish = (): void => {
        clearTimeout(timer);
        disarm();
        this.#cleanups.delete(fail);
      };
      const fail = (error: Error): void => {
        finish();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`${what} within ${timeoutMs} ms`)), timeoutMs);
      this.#cleanups.add(fail);
      disarm = arm((value) => {
        finish();
        resolve(value);
      });
    });
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Closes every connection (close code 1001), then the listener. Idempotent; resolves once
   * nothing of the server is left running (no socket, no timer).
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const fail of [...this.#cleanups]) fail(new Error('the server is closed'));
    this.#connectionWaiters.length = 0;
    this.#unclaimed.length = 0;
    for (const connection of [...this.#core.connections]) connection.drop(1001, 'server shutting down');
    await this.#socketsClosed(CLOSE_GRACE_MS);
    for (const socket of this.#sockets) socket.terminate();
    this.#sockets.clear();
    await new Promise<void>((resolve) => {
      this.#wss.close(() => resolve());
    });
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      this.#http.closeAllConnections();
    });
  }

  /** Resolves when every socket has closed, or after `graceMs`. */
  #socketsClosed(graceMs: number): Promise<void> {
    if (this.#sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, graceMs);
      let open = this.#sockets.size;
      for (const socket of this.#sockets) {
        socket.once('close', () => {
          open--;
          if (open === 0) done();
        });
      }
    });
  }

  #listen(): Promise<void> {
    const { port, host } = this.#core.options;
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#http.once('error', onError);
      this.#http.listen(port, host, () => {
        this.#http.off('error', onError);
        const address = this.#http.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : port;
        resolve();
      });
    });
  }

  #hostForUrl(): string {
    const host = this.#core.options.host;
    return host.includes(':') ? `[${host}]` : host;
  }

  #upgrade(request: import('node:http').IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '/').split('?')[0];
    if (this.#closing !== undefined || (path !== '/websocket' && path !== '/websocket/' && path !== '/sockjs/websocket')) {
      socket.on('error', () => undefined);
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.on('error', () => undefined);
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws));
  }

  #accept(ws: WebSocket): void {
    if (this.#closing !== undefined) {
      ws.terminate();
      return;
    }
    this.#sockets.add(ws);
    ws.once('close', () => this.#sockets.delete(ws));
    const connection = new Connection(this.#core, ws, this.#faults);
    if (connection.closed) return; // dropAfterFrames: 0
    this.#core.connections.add(connection);
    const waiter = this.#connectionWaiters.shift();
    if (waiter !== undefined) waiter(connection);
    else {
      this.#unclaimed.push(connection);
      if (this.#unclaimed.length > 1000) this.#unclaimed.shift();
    }
    try {
      this.#core.hooks.connection(connection);
    } catch (error) {
      setImmediate(() => {
        throw error;
      });
    }
    if (!connection.closed) connection.start();
  }
}
