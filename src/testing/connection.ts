/**
 * One client socket and its DDP session: version negotiation, connection-level errors,
 * pings, the heartbeat, the serial processing of methods and subscriptions (a method holds
 * back everything after it until it settles; pings skip the line), and fault injection.
 *
 * Every way the connection ends goes through `#teardown`, which clears every timer it owns.
 *
 * @module
 */
import { WebSocket } from 'ws';
import { decodeClientFrame, encodeFrame } from '../ddp/codec.js';
import { CLOSE_CODE_IDLE_TIMEOUT, SUPPORTED_DDP_VERSIONS } from '../ddp/protocol.js';
import type { ClientFrame, DdpErrorObject, MethodFrame, ServerFrame, SubFrame } from '../ddp/protocol.js';
import type { MethodCall, ServerCore } from './core.js';
import { meteorError, MethodError, streamerOrder, toErrorObject, tooManyRequests } from './errors.js';
import { ServerHeartbeat } from './heartbeat.js';
import { randomId } from './ids.js';
import type { FaultOptions } from './options.js';
import { Outbox, type OutboxItem } from './outbox.js';
import type { StoredUser } from './store.js';
import type { StreamListener } from './stream-hub.js';
import { userDocumentFields } from './user-document.js';

/** A client connected to the fake server, with its fault hooks. */
export interface FakeConnection {
  /** A server-side id for this socket (not the DDP session id). */
  readonly id: string;
  /** The DDP session id sent in `connected`; `undefined` before that. */
  readonly session: string | undefined;
  /** The negotiated DDP version; `undefined` before `connected`. */
  readonly version: string | undefined;
  /** The logged-in user's id, if any. */
  readonly userId: string | undefined;
  /** `true` once the socket is closed or dropped. */
  readonly closed: boolean;
  /** The close code, once closed (1006 for a cut socket). */
  readonly closeCode: number | undefined;
  /** Valid frames received from the client, oldest first (EJSON already decoded). */
  readonly received: readonly ClientFrame[];
  /** Frames the server wrote to the client, oldest first (before any delay or malformed fault). */
  readonly sent: readonly ServerFrame[];
  /** The faults in force on this connection. */
  readonly faults: Readonly<FaultOptions>;
  /**
   * Ends the connection now: without `code` the socket is cut (the client sees 1006);
   * with a code the server sends a close frame with it.
   * @throws {RangeError} when `code` is not a valid WebSocket close code
   */
  drop(code?: number, reason?: string): void;
  /** Writes `frame` as is (no hooks, no faults, in order with other writes). */
  send(frame: ServerFrame): void;
  /** Writes `text` as a raw WebSocket text message (e.g. a malformed frame). */
  sendRaw(text: string): void;
  /** Replaces this connection's faults (`{}` heals it). */
  setFaults(faults: FaultOptions): void;
  /** Resolves with the close code once the connection has ended. */
  waitForClose(): Promise<number>;
}

type QueueItem =
  | { readonly kind: 'invalid'; readonly reason: string; readonly offendingMessage: Readonly<Record<string, unknown>> }
  | { readonly kind: 'method'; readonly frame: MethodFrame }
  | { readonly kind: 'sub'; readonly frame: SubFrame }
  | { readonly kind: 'unsub'; readonly id: string };

interface NamedSubscription {
  readonly id: string;
  readonly name: string;
  readonly eventName: string | undefined;
  readonly listener: StreamListener | undefined;
}

const DEFAULT_MALFORMED = '{"msg":"result","id":';

/** `true` for a close code a server may send. */
export function isValidCloseCode(code: number): boolean {
  return (
    Number.isInteger(code) &&
    ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999))
  );
}

/** The server side of one client socket. */
export class Connection implements FakeConnection {
  readonly id = randomId();
  readonly #core: ServerCore;
  readonly #socket: WebSocket;
  readonly #outbox: Outbox;
  readonly #heartbeat: ServerHeartbeat | undefined;
  readonly #received: ClientFrame[] = [];
  readonly #sent: ServerFrame[] = [];
  readonly #subs = new Map<string, NamedSubscription>();
  readonly #queue: QueueItem[] = [];
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #closedPromise: Promise<number>;
  #resolveClosed!: (code: number) => void;
  #session: string | undefined;
  #version: string | undefined;
  #userId: string | undefined;
  #loginToken: string | undefined;
  #closed = false;
  #closeCode: number | undefined;
  #faults: FaultOptions = {};
  #framesUntilDrop: number | undefined;
  #draining = false;

  constructor(core: ServerCore, socket: WebSocket, faults: FaultOptions) {
    this.#core = core;
    this.#socket = socket;
    this.#outbox = new Outbox((item) => this.#writeNow(item));
    this.#closedPromise = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    const beat = core.options.heartbeat;
    if (beat !== false) {
      this.#heartbeat = new ServerHeartbeat({
        intervalMs: beat.intervalMs,
        timeoutMs: beat.timeoutMs,
        sendPing: () => this.write({ msg: 'ping' }),
        onTimeout: () => this.#closeAfterWrites(core.streamer ? CLOSE_CODE_IDLE_TIMEOUT : 1000, core.streamer ? 'TIMEOUT' : undefined),
        paused: () => this.#faults.silent === true,
      });
    }
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    socket.on('close', (code) => this.#onSocketClose(code));
    socket.on('error', () => {
      // ws closes the socket after an error (bad frame, payload too large); 'close' follows.
    });
    this.setFaults(faults);
  }

  // ------------------------------------------------------------------ public surface

  get session(): string | undefined {
    return this.#session;
  }
  get version(): string | undefined {
    return this.#version;
  }
  get userId(): string | undefined {
    return this.#userId;
  }
  get closed(): boolean {
    return this.#closed;
  }
  get closeCode(): number | undefined {
    return this.#closeCode;
  }
  get received(): readonly ClientFrame[] {
    return this.#received;
  }
  get sent(): readonly ServerFrame[] {
    return this.#sent;
  }
  get faults(): Readonly<FaultOptions> {
    return this.#faults;
  }

  drop(code?: number, reason?: string): void {
    if (code !== undefined && !isValidCloseCode(code)) throw new RangeError(`invalid WebSocket close code ${code}`);
    if (this.#closed) return;
    this.#teardown(code ?? 1006);
    try {
      if (code === undefined) this.#socket.terminate();
      else this.#socket.close(code, reason);
    } catch {
      this.#socket.terminate();
    }
  }

  send(frame: ServerFrame): void {
    if (this.#closed) return;
    this.#record(this.#sent, frame);
    this.#outbox.push({ kind: 'text', text: encodeFrame(frame) }, 0);
  }

  sendRaw(text: string): void {
    if (this.#closed) return;
    this.#outbox.push({ kind: 'text', text }, 0);
  }

  setFaults(faults: FaultOptions): void {
    this.#faults = { ...faults };
    this.#framesUntilDrop = faults.dropAfterFrames;
    if (this.#framesUntilDrop !== undefined && this.#framesUntilDrop <= 0) this.drop();
  }

  waitForClose(): Promise<number> {
    return this.#closedPromise;
  }

  // ------------------------------------------------------------------ used by the server and handlers

  /** Called once the socket is accepted: greeting, timers. */
  start(): void {
    const { greeting, connectTimeoutMs } = this.#core.options;
    if (greeting === 'server_id') this.sendRaw('{"msg":"server_id","server_id":"0"}');
    else if (greeting === 'legacy') this.sendRaw('{"server_id":"0"}');
    if (this.#core.streamer) this.#heartbeat?.start();
    if (connectTimeoutMs !== false) {
      this.later(() => {
        if (this.#session === undefined) this.drop();
      }, connectTimeoutMs);
    }
  }

  /** The login token this connection logged in with. */
  get loginToken(): string | undefined {
    return this.#loginToken;
  }

  /**
   * Writes a frame through the hooks and faults: the `serverFrame` listeners run first (and
   * may drop the connection), then `silent`, `malformed` and `delayMs` apply.
   */
  write(frame: ServerFrame): void {
    if (this.#closed) return;
    this.#emit(() => this.#core.hooks.serverFrame(frame, this));
    if (this.#closed || this.#faults.silent === true) return;
    const malformed = this.#faults.malformed;
    let text: string;
    if (malformed !== undefined && malformed !== false && this.#session !== undefined && frame.msg !== 'connected') {
      text = malformed === true ? DEFAULT_MALFORMED : malformed;
    } else {
      text = encodeFrame(frame);
    }
    this.#record(this.#sent, frame);
    this.#outbox.push({ kind: 'text', text }, this.#faults.delayMs ?? 0);
  }

  /** Runs `fn` after `ms` unless the connection has ended by then. */
  later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) fn();
    }, ms);
    timer.unref?.();
    this.#timers.add(timer);
  }

  /** Closes the socket with `code` once every frame written so far has gone out. */
  closeAfterWrites(code: number, reason?: string): void {
    this.#closeAfterWrites(code, reason);
  }

  /**
   * Changes the logged-in user (`undefined`: logged out). On the monolith this re-runs the
   * subscriptions as Meteor does: those no longer allowed end with `nosub` + `not-allowed`,
   * the `users` document is removed/added, and the others get a new `ready`.
   */
  setUser(user: StoredUser | undefined, token: string | undefined): void {
    const previous = this.#userId;
    this.#loginToken = token;
    if (previous === user?._id) return;
    const fields = user === undefined || this.#core.streamer ? undefined : userDocumentFields(this.#core, user);
    this.#userId = user?._id;
    if (this.#core.streamer) return;
    const stillReady: string[] = [];
    for (const sub of [...this.#subs.values()]) {
      const publication = this.#core.publications.get(sub.name);
      if (publication?.stillAllowed(this.#core, this, sub.eventName) === true) {
        stillReady.push(sub.id);
      } else {
        this.#removeSub(sub);
        this.write({ msg: 'nosub', id: sub.id, error: meteorError('not-allowed') });
      }
    }
    if (previous !== undefined) this.write({ msg: 'removed', collection: 'users', id: previous });
    if (user !== undefined && fields !== undefined) this.write({ msg: 'added', collection: 'users', id: user._id, fields });
    if (stillReady.length > 0) this.write({ msg: 'ready', subs: stillReady });
  }

  // ------------------------------------------------------------------ inbound

  #onMessage(data: unknown, isBinary: boolean): void {
    if (this.#closed) return;
    if (isBinary && this.#core.streamer) {
      this.#closeAfterWrites(1007);
      return;
    }
    let text: string;
    try {
      text = Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Array.isArray(data)
          ? Buffer.concat(data as Buffer[]).toString('utf8')
          : Buffer.from(data as ArrayBuffer).toString('utf8');
    } catch {
      return;
    }
    this.#heartbeat?.seen();
    const decoded = decodeClientFrame(text, { maxFrameBytes: Number.POSITIVE_INFINITY });
    if (decoded.kind === 'frame') {
      this.#record(this.#received, decoded.frame);
      this.#emit(() => this.#core.hooks.clientFrame(decoded.frame, this));
      if (this.#closed) return;
    }
    if (this.#framesUntilDrop !== undefined) {
      this.#framesUntilDrop--;
      if (this.#framesUntilDrop <= 0) {
        this.drop();
        return;
      }
    }
    if (this.#faults.silent === true) return;
    try {
      if (this.#core.streamer) this.#handleStreamer(decoded);
      else this.#handleMonolith(decoded);
    } catch (error) {
      reportBug(error);
    }
  }

  #handleMonolith(decoded: ReturnType<typeof decodeClientFrame>): void {
    let object: Readonly<Record<string, unknown>>;
    if (decoded.kind === 'invalid') {
      if (decoded.offendingMessage === undefined) {
        this.#sendError('Bad request');
        return;
      }
      object = decoded.offendingMessage;
    } else {
      object = decoded.frame as unknown as Record<string, unknown>;
    }
    const msg = object['msg'];
    if (!msg) {
      this.#sendError('Bad request', object);
      return;
    }
    if (msg === 'connect') {
      if (this.#session !== undefined) this.#sendError('Already connected', object);
      else this.#negotiate(object);
      return;
    }
    if (this.#session === undefined) {
      this.#sendError('Must connect first', object);
      return;
    }
    if (msg === 'ping') {
      this.write(object['id'] === undefined ? { msg: 'pong' } : ({ msg: 'pong', id: object['id'] } as ServerFrame));
      return;
    }
    if (msg === 'pong') return;
    if (decoded.kind === 'invalid') {
      this.#enqueue({ kind: 'invalid', reason: decoded.reason, offendingMessage: object });
      return;
    }
    this.#enqueueFrame(decoded.frame);
  }

  #handleStreamer(decoded: ReturnType<typeof decodeClientFrame>): void {
    if (decoded.kind === 'invalid' && decoded.offendingMessage === undefined) {
      // Not JSON (or not an object): the DDP service closes with "unsupported data".
      this.#closeAfterWrites(1007);
      return;
    }
    const object = (decoded.kind === 'invalid' ? decoded.offendingMessage : decoded.frame) as Readonly<Record<string, unknown>>;
    const msg = object['msg'];
    if (this.#session === undefined) {
      if (msg === 'connect') this.#negotiate(object);
      else this.#closeAfterWrites(1002);
      return;
    }
    switch (msg) {
      case 'connect':
        this.write({ msg: 'connected', session: this.#session });
        return;
      case 'ping':
        this.write(object['id'] ? ({ msg: 'pong', id: object['id'] } as ServerFrame) : { msg: 'pong' });
        return;
      case 'method':
      case 'sub':
      case 'unsub':
        if (decoded.kind === 'invalid') this.#closeAfterWrites(1002);
        else this.#enqueueFrame(decoded.frame);
        return;
      default:
        return; // pong and unknown messages are ignored
    }
  }

  #negotiate(object: Readonly<Record<string, unknown>>): void {
    const version = object['version'];
    const support = object['support'];
    const failVersion = this.#faults.failVersion;
    if (failVersion !== undefined && version !== failVersion) {
      this.#fail(failVersion);
      return;
    }
    if (this.#core.streamer) {
      this.#open(typeof version === 'string' ? version : '1', globalThis.crypto.randomUUID());
      return;
    }
    const valid =
      typeof version === 'string' &&
      Array.isArray(support) &&
      support.every((entry) => typeof entry === 'string') &&
      support.includes(version);
    if (!valid) {
      this.#fail(SUPPORTED_DDP_VERSIONS[0]);
      return;
    }
    const chosen =
      failVersion ?? (support as string[]).find((entry) => (SUPPORTED_DDP_VERSIONS as readonly string[]).includes(entry)) ?? SUPPORTED_DDP_VERSIONS[0];
    if (chosen !== version) {
      this.#fail(chosen);
      return;
    }
    this.#open(version, randomId());
  }

  #fail(version: string): void {
    this.write({ msg: 'failed', version });
    this.#closeAfterWrites(1000);
  }

  #open(version: string, session: string): void {
    this.#version = version;
    this.#session = session;
    this.write({ msg: 'connected', session });
    if (!this.#core.streamer && version !== 'pre1') this.#heartbeat?.start();
  }

  #sendError(reason: string, offendingMessage?: Readonly<Record<string, unknown>>): void {
    this.write(offendingMessage === undefined ? { msg: 'error', reason } : { msg: 'error', reason, offendingMessage });
  }

  // ------------------------------------------------------------------ the serial queue

  #enqueueFrame(frame: ClientFrame): void {
    switch (frame.msg) {
      case 'method':
        this.#enqueue({ kind: 'method', frame });
        return;
      case 'sub':
        this.#enqueue({ kind: 'sub', frame });
        return;
      case 'unsub':
        this.#enqueue({ kind: 'unsub', id: frame.id });
        return;
      default:
        this.#sendError('Bad request', frame as unknown as Record<string, unknown>);
    }
  }

  #enqueue(item: QueueItem): void {
    this.#queue.push(item);
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const item = this.#queue.shift()!;
        try {
          await this.#process(item);
        } catch (error) {
          reportBug(error);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #process(item: QueueItem): Promise<void> {
    switch (item.kind) {
      case 'invalid':
        this.#sendError(item.reason, item.offendingMessage);
        return;
      case 'method':
        await this.#runMethod(item.frame);
        return;
      case 'sub':
        await this.#runSub(item.frame);
        return;
      case 'unsub':
        this.#runUnsub(item.id);
        return;
    }
  }

  async #runMethod(frame: MethodFrame): Promise<void> {
    const core = this.#core;
    const handler = core.methods.get(frame.method);
    if (handler === undefined) {
      this.#writeResult(frame.id, { error: meteorError(404, `Method '${frame.method}' not found`) }, true);
      return;
    }
    const call: MethodCall = { core, connection: this, method: frame.method, params: cloneParams(frame.params), resultFirst: false };
    let outcome: { result?: unknown; error?: DdpErrorObject };
    const limited = core.rateLimit(frame.method, this);
    if (limited !== undefined) {
      outcome = { error: tooManyRequests(limited).object };
    } else {
      try {
        const result: unknown = await handler(call);
        outcome = result === undefined ? {} : { result };
      } catch (thrown) {
        if (!(thrown instanceof MethodError)) reportBug(thrown);
        outcome = { error: toErrorObject(thrown) };
      }
    }
    this.#writeResult(frame.id, outcome, call.resultFirst);
  }

  #writeResult(id: string, outcome: { result?: unknown; error?: DdpErrorObject }, resultFirst: boolean): void {
    const streamer = this.#core.streamer;
    let result: ServerFrame;
    if (outcome.error !== undefined) {
      result = { msg: 'result', id, error: streamer ? streamerOrder(outcome.error) : outcome.error };
    } else if (outcome.result !== undefined && (!streamer || Boolean(outcome.result))) {
      result = { msg: 'result', id, result: outcome.result };
    } else {
      result = { msg: 'result', id };
    }
    const updated: ServerFrame = { msg: 'updated', methods: [id] };
    if (resultFirst || streamer) {
      this.write(result);
      this.write(updated);
    } else {
      this.write(updated);
      this.write(result);
    }
  }

  async #runSub(frame: SubFrame): Promise<void> {
    if (this.#subs.has(frame.id)) return; // a live id: Meteor ignores the repeat
    const core = this.#core;
    const publication = core.publications.get(frame.name);
    const refuse = (error: DdpErrorObject): void => {
      this.write({ msg: 'nosub', id: frame.id, error: core.streamer ? streamerOrder(error) : error });
    };
    if (publication === undefined) {
      refuse(meteorError(404, `Subscription '${frame.name}' not found`));
      return;
    }
    const limited = core.rateLimit(frame.name, this, 'subscription');
    if (limited !== undefined) {
      refuse(tooManyRequests(limited).object);
      return;
    }
    let start;
    try {
      start = await publication.start(core, this, cloneParams(frame.params));
    } catch (thrown) {
      if (!(thrown instanceof MethodError)) reportBug(thrown);
      refuse(toErrorObject(thrown));
      return;
    }
    if (this.#closed || this.#subs.has(frame.id)) return;
    const listener: StreamListener | undefined =
      start.eventName === undefined ? undefined : { id: frame.id, stream: frame.name, eventName: start.eventName, connection: this };
    if (listener !== undefined) core.hub.add(listener);
    this.#subs.set(frame.id, { id: frame.id, name: frame.name, eventName: start.eventName, listener });
    for (const before of start.before ?? []) this.write(before);
    this.write({ msg: 'ready', subs: [frame.id] });
  }

  #runUnsub(id: string): void {
    const sub = this.#subs.get(id);
    if (sub !== undefined) this.#removeSub(sub);
    else if (this.#core.streamer) return; // the DDP service does not answer an unknown id
    this.write({ msg: 'nosub', id });
  }

  #removeSub(sub: NamedSubscription): void {
    this.#subs.delete(sub.id);
    if (sub.listener !== undefined) this.#core.hub.remove(sub.listener);
  }

  // ------------------------------------------------------------------ outbound and teardown

  #writeNow(item: OutboxItem): void {
    if (item.kind === 'close') {
      if (this.#closed) return;
      this.#teardown(item.code);
      try {
        this.#socket.close(item.code, item.reason);
      } catch {
        this.#socket.terminate();
      }
      return;
    }
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    try {
      this.#socket.send(item.text);
    } catch {
      // the socket is going away; 'close' will follow
    }
  }

  #closeAfterWrites(code: number, reason?: string): void {
    if (this.#closed) return;
    const item: OutboxItem = reason === undefined ? { kind: 'close', code } : { kind: 'close', code, reason };
    this.#outbox.push(item, this.#faults.delayMs ?? 0);
  }

  #onSocketClose(code: number): void {
    this.#teardown(code);
    this.#resolveClosed(this.#closeCode ?? code);
    this.#emit(() => this.#core.hooks.disconnect(this, this.#closeCode ?? code));
  }

  #teardown(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeCode = code;
    this.#heartbeat?.stop();
    this.#outbox.clear();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.length = 0;
    for (const sub of this.#subs.values()) if (sub.listener !== undefined) this.#core.hub.remove(sub.listener);
    this.#subs.clear();
    this.#core.connections.delete(this);
  }

  #record<T>(list: T[], item: T): void {
    list.push(item);
    const max = this.#core.options.maxRecordedFrames;
    if (list.length > max * 2) list.splice(0, list.length - max);
  }

  #emit(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      // A throwing listener is a bug in the test: report it without breaking the server.
      setImmediate(() => {
        throw error;
      });
    }
  }
}

function cloneParams(params: readonly unknown[] | undefined): unknown[] {
  if (params === undefined) return [];
  try {
    return structuredClone(params) as unknown[];
  } catch {
    return [...params];
  }
}

/** Makes an unexpected exception inside the server visible without crashing it. */
function reportBug(error: unknown): void {
  process.emitWarning(`FakeRocketChatServer internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}
