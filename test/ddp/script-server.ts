/**
 * A small, scriptable, raw DDP server for tests: a real `ws` WebSocket server on 127.0.0.1.
 *
 * It records every frame each connection receives (parsed, and as the exact text), answers
 * `connect` and `ping` by itself unless told otherwise, answers the methods it was given
 * handlers for, and lets a test do everything else by hand: send frames or raw text, drop a
 * socket with a close code, go deaf, or never answer at all.
 *
 * ```ts
 * const server = leftovers.track(await ScriptServer.start());
 * server.method('add', ([a, b]) => Number(a) + Number(b));
 * const connection = await server.waitForConnection();
 * const frame = await connection.waitForFrame((f) => f.msg === 'method');
 * connection.send({ msg: 'result', id: frame.id, result: 42 });
 * connection.drop(4000);
 * ```
 */
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';

/** A frame as the server saw it: the parsed JSON object (or `{ $text }` for text that was not a JSON object). */
export type Frame = Record<string, unknown>;

/** Matches a frame: a `msg` value, or a predicate. */
export type FrameMatch = string | ((frame: Frame) => boolean);

/** Context handed to a method handler. */
export interface MethodContext {
  readonly connection: ScriptConnection;
  readonly frame: Frame;
}

/**
 * Answers a method: the returned value (or awaited promise) becomes `result` (omitted when
 * `undefined`); a thrown {@link ScriptMethodError} becomes `error`; returning {@link NO_REPLY}
 * sends nothing. `result` is followed by `updated` unless `updated` is `'before'` or `'none'`.
 */
export type MethodHandler = (params: unknown[], context: MethodContext) => unknown;

/** Returned by a method handler that will answer by hand (or never). */
export const NO_REPLY: unique symbol = Symbol('no reply');

/** Thrown by a method handler to answer with a DDP error object. */
export class ScriptMethodError extends Error {
  constructor(readonly object: { error: string | number; reason?: string; details?: unknown; [key: string]: unknown }) {
    super(object.reason ?? String(object.error));
  }
}

/** How the server answers `connect`. */
export type ConnectBehaviour =
  /** `{"msg":"connected","session":"session-<n>"}` (the default). */
  | 'connected'
  /** Nothing at all: the socket stays open, the client waits. */
  | 'silent'
  /** `{"msg":"failed","version":…}`, then the socket is closed (as Meteor does). */
  | { readonly failed: string }
  /** Anything else, done by hand. */
  | ((frame: Frame, connection: ScriptConnection) => void);

/** Options of {@link ScriptServer.start}. */
export interface ScriptServerOptions {
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 'connected' */
  readonly onConnect?: ConnectBehaviour;
  /** Answer `ping` with `pong` (echoing `id`). @default true */
  readonly autoPong?: boolean;
  /** Answer `sub` with `ready`. @default false */
  readonly autoReady?: boolean;
  /** When a method handler answers, send `updated` after `result`, before it, or not at all. @default 'after' */
  readonly updated?: 'after' | 'before' | 'none';
  /** Frames (or raw texts) sent as soon as a socket opens, e.g. `{ server_id: '0' }`. */
  readonly greeting?: readonly (Frame | string)[];
  /** Method handlers, by method name. */
  readonly methods?: Readonly<Record<string, MethodHandler>>;
  /** Accept the TCP connection but never finish the WebSocket upgrade. @default false */
  readonly hangUpgrade?: boolean;
}

/** Called for every received frame before the default handling; return `true` to skip that handling. */
export type Interceptor = (frame: Frame, connection: ScriptConnection) => boolean | void;

interface ScriptConnectionEvents {
  frame: [Frame];
  close: [{ code: number; reason: string }];
}

/** One client socket, as seen by the server. */
export class ScriptConnection extends EventEmitter<ScriptConnectionEvents> {
  /** Every frame received, in order. */
  readonly received: Frame[] = [];
  /** The exact text of every frame received, in order. */
  readonly receivedText: string[] = [];
  /** How the socket closed, once it has. */
  closeInfo: { code: number; reason: string } | undefined;
  readonly #closed: Promise<{ code: number; reason: string }>;

  constructor(
    /** 0 for the first connection of the server, 1 for the next, … */
    readonly index: number,
    /** The server-side socket. */
    readonly socket: WebSocket,
    /** The request path, e.g. `/websocket`. */
    readonly path: string,
  ) {
    super();
    this.#closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.emit('close', this.closeInfo);
        resolve(this.closeInfo);
      });
    });
    socket.on('error', () => {
      /* a client vanishing is a normal event for this server */
    });
  }

  /** `true` while the socket is open. */
  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Frames received with this `msg` (all frames when omitted). */
  frames(msg?: string): Frame[] {
    return msg === undefined ? [...this.received] : this.received.filter((frame) => frame['msg'] === msg);
  }

  /** The `msg` of every frame received, in order (pings and pongs left out unless asked for). */
  msgs(options: { heartbeats?: boolean } = {}): string[] {
    return this.received
      .map((frame) => String(frame['msg']))
      .filter((msg) => options.heartbeats === true || (msg !== 'ping' && msg !== 'pong'));
  }

  /** Sends frames as JSON text, if the socket is still open. */
  send(...frames: Frame[]): void {
    for (const frame of frames) this.sendRaw(JSON.stringify(frame));
  }

  /** Sends text exactly as given, if the socket is still open. */
  sendRaw(text: string): void {
    if (this.isOpen) this.socket.send(text);
  }

  /** Sends a binary frame. */
  sendBinary(bytes: Uint8Array): void {
    if (this.isOpen) this.socket.send(bytes, { binary: true });
  }

  /**
   * Ends the socket. 1006 (the default) cuts the TCP connection without a close frame, as a
   * network failure would; any other code sends a close frame with that code.
   */
  drop(code = 1006, reason = ''): void {
    if (code === 1006) this.socket.terminate();
    else if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  /** Stops reading from the socket: frames (a close frame included) are never seen or answered. */
  freeze(): void {
    (this.socket as unknown as { _socket?: { pause(): void } })._socket?.pause();
  }

  /** Resolves once the socket has closed, with its close code and reason. */
  waitForClose(): Promise<{ code: number; reason: string }> {
    return this.#closed;
  }

  /**
   * Resolves with the `nth` frame (0-based, counting only matching ones) that matches,
   * whether it has already arrived or arrives later.
   */
  waitForFrame(match: FrameMatch, options: { nth?: number; timeoutMs?: number } = {}): Promise<Frame> {
    const test = toPredicate(match);
    const nth = options.nth ?? 0;
    let seen = 0;
    for (const frame of this.received) {
      if (test(frame) && seen++ === nth) return Promise.resolve(frame);
    }
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const onFrame = (frame: Frame): void => {
        if (test(frame) && seen++ === nth) {
          clearTimeout(timer);
          this.off('frame', onFrame);
          resolve(frame);
        }
      };
      const timer = setTimeout(() => {
        this.off('frame', onFrame);
        reject(new Error(`connection ${this.index}: no frame matching ${describe(match)} within ${timeoutMs} ms; received ${JSON.stringify(this.received)}`));
      }, timeoutMs);
      this.on('frame', onFrame);
    });
  }

  /** @internal records a received frame and tells the listeners. */
  record(frame: Frame, text: string): void {
    this.received.push(frame);
    this.receivedText.push(text);
    this.emit('frame', frame);
  }
}

interface ScriptServerEvents {
  connection: [ScriptConnection];
  frame: [Frame, ScriptConnection];
}

/** A raw, scriptable DDP server. Start it with {@link ScriptServer.start}. */
export class ScriptServer extends EventEmitter<ScriptServerEvents> {
  /** Every connection accepted so far, in order. */
  readonly connections: ScriptConnection[] = [];
  /** How `connect` is answered; may be changed at any time. */
  onConnect: ConnectBehaviour;
  /** Whether `ping` is answered; may be changed at any time. */
  autoPong: boolean;
  /** Whether `sub` is answered with `ready`; may be changed at any time. */
  autoReady: boolean;
  /** Where `updated` goes when a handler answers a method; may be changed at any time. */
  updated: 'after' | 'before' | 'none';
  /** Frames sent when a socket opens; may be changed at any time. */
  greeting: readonly (Frame | string)[];
  readonly #methods = new Map<string, MethodHandler>();
  readonly #interceptors = new Set<Interceptor>();
  readonly #hungUpgrades: Set<(accept: boolean) => void>;
  #closing: Promise<void> | undefined;

  private constructor(
    readonly wss: WebSocketServer,
    /** The port listened on. */
    readonly port: number,
    options: ScriptServerOptions,
    hungUpgrades: Set<(accept: boolean) => void>,
  ) {
    super();
    this.#hungUpgrades = hungUpgrades;
    this.onConnect = options.onConnect ?? 'connected';
    this.autoPong = options.autoPong ?? true;
    this.autoReady = options.autoReady ?? false;
    this.updated = options.updated ?? 'after';
    this.greeting = options.greeting ?? [];
    for (const [name, handler] of Object.entries(options.methods ?? {})) this.#methods.set(name, handler);
    wss.on('connection', (socket, request: IncomingMessage) => this.#accept(socket, request));
  }

  /** Starts a server listening on `host:port` (default: 127.0.0.1, any free port). */
  static async start(options: ScriptServerOptions = {}): Promise<ScriptServer> {
    const host = options.host ?? '127.0.0.1';
    const hung = new Set<(accept: boolean) => void>();
    const wss = new WebSocketServer({
      host,
      port: options.port ?? 0,
      ...(options.hangUpgrade === true
        ? {
            verifyClient: (_info: unknown, callback: (accept: boolean) => void) => {
              hung.add(callback);
            },
          }
        : {}),
    });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    wss.on('error', () => {
      /* reported per connection */
    });
    return new ScriptServer(wss, (wss.address() as AddressInfo).port, options, hung);
  }

  /** `ws://127.0.0.1:<port>/websocket` */
  get url(): string {
    return `ws://127.0.0.1:${this.port}/websocket`;
  }

  /** `http://127.0.0.1:<port>` */
  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The newest connection, if any. */
  get last(): ScriptConnection | undefined {
    return this.connections.at(-1);
  }

  /** How many upgrades are hanging (with `hangUpgrade`). */
  get hungUpgrades(): number {
    return this.#hungUpgrades.size;
  }

  /** Answers `method` with `handler` from now on (replacing any previous handler). */
  method(name: string, handler: MethodHandler): this {
    this.#methods.set(name, handler);
    return this;
  }

  /** Sees every received frame first; returning `true` skips the default handling. Returns the remover. */
  intercept(interceptor: Interceptor): () => void {
    this.#interceptors.add(interceptor);
    return () => this.#interceptors.delete(interceptor);
  }

  /** Resolves with connection number `count` (1-based) once it exists. */
  waitForConnection(count = 1, timeoutMs = 5000): Promise<ScriptConnection> {
    const existing = this.connections[count - 1];
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const onConnection = (): void => {
        const connection = this.connections[count - 1];
        if (connection !== undefined) {
          clearTimeout(timer);
          this.off('connection', onConnection);
          resolve(connection);
        }
      };
      const timer = setTimeout(() => {
        this.off('connection', onConnection);
        reject(new Error(`no connection #${count} within ${timeoutMs} ms (have ${this.connections.length})`));
      }, timeoutMs);
      this.on('connection', onConnection);
    });
  }

  /** Resolves with the first frame on any connection matching `match` (past or future). */
  waitForFrame(match: FrameMatch, timeoutMs = 5000): Promise<{ frame: Frame; connection: ScriptConnection }> {
    const test = toPredicate(match);
    for (const connection of this.connections) {
      const frame = connection.received.find(test);
      if (frame !== undefined) return Promise.resolve({ frame, connection });
    }
    return new Promise((resolve, reject) => {
      const onFrame = (frame: Frame, connection: ScriptConnection): void => {
        if (test(frame)) {
          clearTimeout(timer);
          this.off('frame', onFrame);
          resolve({ frame, connection });
        }
      };
      const timer = setTimeout(() => {
        this.off('frame', onFrame);
        reject(new Error(`no frame matching ${describe(match)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('frame', onFrame);
    });
  }

  /** Every frame received on every connection, in arrival order per connection. */
  allFrames(): Frame[] {
    return this.connections.flatMap((connection) => connection.received);
  }

  /** Drops every open connection with `code` (see {@link ScriptConnection.drop}). */
  dropAll(code = 1006): void {
    for (const connection of this.connections) if (connection.isOpen) connection.drop(code);
  }

  /** Cuts every client, then stops listening. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const callback of this.#hungUpgrades) callback(false);
      this.#hungUpgrades.clear();
      for (const client of this.wss.clients) client.terminate();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    })();
    return this.#closing;
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    const connection = new ScriptConnection(this.connections.length, socket, request.url ?? '');
    this.connections.push(connection);
    for (const greeting of this.greeting) {
      connection.sendRaw(typeof greeting === 'string' ? greeting : JSON.stringify(greeting));
    }
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      const frame = isBinary ? { $binary: true } : parseFrame(text);
      connection.record(frame, text);
      this.emit('frame', frame, connection);
      this.#handle(frame, connection);
    });
    this.emit('connection', connection);
  }

  #handle(frame: Frame, connection: ScriptConnection): void {
    for (const interceptor of [...this.#interceptors]) {
      if (interceptor(frame, connection) === true) return;
    }
    switch (frame['msg']) {
      case 'connect':
        this.#answerConnect(frame, connection);
        break;
      case 'ping':
        if (this.autoPong) connection.send(frame['id'] === undefined ? { msg: 'pong' } : { msg: 'pong', id: frame['id'] });
        break;
      case 'sub':
        if (this.autoReady) connection.send({ msg: 'ready', subs: [frame['id']] });
        break;
      case 'method': {
        const handler = this.#methods.get(String(frame['method']));
        if (handler !== undefined) this.#answerMethod(handler, frame, connection);
        break;
      }
      default:
        break;
    }
  }

  #answerConnect(frame: Frame, connection: ScriptConnection): void {
    const behaviour = this.onConnect;
    if (behaviour === 'connected') connection.send({ msg: 'connected', session: `session-${connection.index}` });
    else if (behaviour === 'silent') return;
    else if (typeof behaviour === 'function') behaviour(frame, connection);
    else {
      connection.send({ msg: 'failed', version: behaviour.failed });
      connection.drop(1000);
    }
  }

  /** Synchronous handlers are answered at once, so results come back in call order. */
  #answerMethod(handler: MethodHandler, frame: Frame, connection: ScriptConnection): void {
    const id = frame['id'];
    const params = Array.isArray(frame['params']) ? (frame['params'] as unknown[]) : [];
    const reply = (result: unknown): void => {
      if (result === NO_REPLY) return;
      this.#sendReply(connection, id, result === undefined ? { msg: 'result', id } : { msg: 'result', id, result });
    };
    const fail = (error: unknown): void => {
      const object = error instanceof ScriptMethodError ? error.object : { error: 500, reason: 'Internal server error' };
      this.#sendReply(connection, id, { msg: 'result', id, error: { isClientSafe: true, ...object } });
    };
    let result: unknown;
    try {
      result = handler(params, { connection, frame });
    } catch (error) {
      fail(error);
      return;
    }
    if (result instanceof Promise) result.then(reply, fail);
    else reply(result);
  }

  #sendReply(connection: ScriptConnection, id: unknown, reply: Frame): void {
    const updated = { msg: 'updated', methods: [id] };
    if (this.updated === 'before') connection.send(updated, reply);
    else if (this.updated === 'after') connection.send(reply, updated);
    else connection.send(reply);
  }
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server: NetServer = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function parseFrame(text: string): Frame {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Frame;
  } catch {
    /* not JSON */
  }
  return { $text: text };
}

function toPredicate(match: FrameMatch): (frame: Frame) => boolean {
  return typeof match === 'string' ? (frame) => frame['msg'] === match : match;
}

function describe(match: FrameMatch): string {
  return typeof match === 'string' ? `msg "${match}"` : match.toString();
}
