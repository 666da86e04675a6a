/**
 * The WebSocket, behind the WHATWG API every platform offers (`onopen`, `onmessage`,
 * `onclose`, `onerror`), so that Node's `ws`, a browser's and React Native's sockets all work.
 * A socket made by the `ws` package is listened to through its own `EventEmitter` API
 * instead: `ws` builds a WHATWG event object for every frame it hands to `onmessage`, and its
 * `'message'` event hands over the frame without one.
 *
 * Under `ws`, the frames written in one turn of the event loop share one system call: the
 * first write of a turn corks the TCP socket under the WebSocket, and the socket is uncorked
 * once the turn's synchronous code and microtasks have run (`process.nextTick`). A frame is
 * thus never held past the turn it was written in, and closing or cutting the socket writes
 * what is held first. A frame written with `batch` false (the client's call alone in flight,
 * which nothing is likely to join) leaves at once, unless frames of the turn are already held:
 * it then follows them. Other sockets write each frame at once.
 *
 * A {@link DdpSocket} reports four things to its listener: it opened, a text frame, a frame
 * that was not text, and its end (exactly once, whether by error or by close). Once ended or
 * detached it reports nothing more, and a late socket `error` can never crash the process.
 *
 * @module
 */
import IsomorphicWebSocket from 'isomorphic-ws';

/** The part of the WHATWG `WebSocket` interface the client uses. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed (the WHATWG values). */
  readonly readyState: number;
  // The handlers take `any`: each platform types its events differently.
  /** Called once the connection is open. */
  onopen: ((event: any) => void) | null;
  /** Called for every message; `event.data` is the frame's text. */
  onmessage: ((event: any) => void) | null;
  /** Called once when the connection has closed; `event.code` is the close code. */
  onclose: ((event: any) => void) | null;
  /** Called when the connection failed; a `close` follows. */
  onerror: ((event: any) => void) | null;
  /** Sends one text frame. */
  send(data: string): void;
  /** Starts the closing handshake with an optional close code and reason. */
  close(code?: number, reason?: string): void;
}

/**
 * A WebSocket constructor: a browser's or React Native's `WebSocket` (called with the URL
 * only), or the `ws` package's (also given `maxPayload` and `perMessageDeflate: false`).
 */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** How a socket ended. */
export interface SocketEnd {
  /** The socket had opened before it ended. */
  readonly opened: boolean;
  /** The close code; 1006 when the socket failed without a close frame. */
  readonly code: number;
  /** The close reason, or the transport error's message. */
  readonly reason: string;
  /** The transport error, when the socket ended with one. */
  readonly error?: unknown;
}

/** What a {@link DdpSocket} reports. */
export interface SocketListener {
  open(): void;
  text(text: string): void;
  /** A binary (or otherwise non-text) frame arrived; `kind` describes it. */
  nonText(kind: string): void;
  /** Called once, when the socket failed or closed. */
  end(end: SocketEnd): void;
}

/** Options of {@link DdpSocket}. */
export interface DdpSocketOptions {
  /** @default isomorphic-ws (`ws` in Node, the global `WebSocket` in browsers) */
  readonly WebSocket?: WebSocketConstructor | undefined;
  /** Passed to `ws` as `maxPayload`: it closes the socket with 1009 on a larger frame. */
  readonly maxFrameBytes: number;
}

const OPEN = 1;
const CLOSED = 3;
const ignore = (): void => undefined;

/** The `EventEmitter` side of a `ws` socket. */
interface NodeEmitter {
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
}

/** A Node stream's write batching: `cork()` holds writes, `uncork()` writes what is held in one go. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/** The stream under a `ws` socket, if it can batch writes. */
function corkableOf(ws: WebSocketLike): Corkable | undefined {
  const transport = (ws as { _socket?: Partial<Corkable> | null })._socket;
  if (transport === null || transport === undefined) return undefined;
  return typeof transport.cork === 'function' && typeof transport.uncork === 'function' ? (transport as Corkable) : undefined;
}

type Deferral = (callback: (socket: DdpSocket) => void, socket: DdpSocket) => void;

/**
 * Runs a callback once the current turn's synchronous code and microtasks are done: Node's
 * `process.nextTick` (reached through `globalThis`, the module imports nothing from Node);
 * elsewhere a microtask.
 */
const afterThisTurn: Deferral = (() => {
  const nodeProcess = (globalThis as { process?: { nextTick?: unknown } }).process;
  const nextTick = nodeProcess?.nextTick;
  if (typeof nextTick === 'function') {
    return (callback, socket) => (nextTick as (callback: (socket: DdpSocket) => void, socket: DdpSocket) => void).call(nodeProcess, callback, socket);
  }
  return (callback, socket) => queueMicrotask(() => callback(socket));
})();

function endOfTurn(socket: DdpSocket): void {
  socket.endOfTurn();
}

type NodeSocket = WebSocketLike & NodeEmitter;

/**
 * The adapter listening to each `ws` socket, so that the listeners can be shared functions
 * (`ws` calls them with the socket as `this`) rather than closures per socket.
 */
const adapters = new WeakMap<NodeSocket, DdpSocket>();

// The listeners of `ws` sockets: `ws` calls them with the socket as `this`.
function onNodeOpen(this: NodeSocket): void {
  adapters.get(this)?.opened();
}

function onNodeMessage(this: NodeSocket, data: unknown, isBinary: boolean): void {
  const adapter = adapters.get(this);
  if (adapter === undefined) return;
  if (isBinary) adapter.received(data);
  else adapter.received(String(data));
}

function onNodeError(this: NodeSocket, error: unknown): void {
  adapters.get(this)?.failed(error);
}

function onNodeClose(this: NodeSocket, code: unknown, reason: unknown): void {
  adapters.get(this)?.closed(typeof code === 'number' ? code : 1006, reason === undefined ? '' : String(reason));
}

/** One WebSocket, adapted. Throws from the constructor only if the platform's constructor does. */
export class DdpSocket {
  readonly #ws: WebSocketLike;
  #listener: SocketListener | undefined;
  #opened = false;
  /** Listening through the `ws` package's `EventEmitter` API rather than the WHATWG one. */
  readonly #node: boolean;
  /** The stream corked by this turn's first write, until it is uncorked. */
  #corked: Corkable | undefined;

  constructor(url: string, options: DdpSocketOptions, listener: SocketListener) {
    this.#listener = listener;
    const ws = createWebSocket(url, options);
    this.#ws = ws;
    this.#node = isNodeSocket(ws);
    if (this.#node) {
      const node = ws as NodeSocket;
      adapters.set(node, this);
      // Three events at a time: a fourth grows the socket's table of listeners for good.
      // The 'message' listener replaces the 'open' one once the socket is open.
      node.on('error', onNodeError);
      node.on('open', onNodeOpen);
      node.on('close', onNodeClose);
      return;
    }
    ws.onopen = () => this.opened();
    ws.onmessage = (event: { data?: unknown }) => this.received(event.data);
    ws.onerror = (event: unknown) => this.failed(errorOf(event));
    ws.onclose = (event: { code?: number; reason?: string }) => this.closed(event.code ?? 1006, event.reason ?? '');
  }

  /**
   * `true` when the socket never reports anything (a frame, its end) from inside
   * {@link send}: a `ws` socket, whose events all come from later turns. Any other socket,
   * such as a test's stand-in, may answer at once.
   */
  get reportsAsync(): boolean {
    return this.#node;
  }

  /** `true` while frames can be written. */
  get isOpen(): boolean {
    return this.#ws.readyState === OPEN;
  }

  /**
   * Writes a text frame; `false` when the socket is not open (or refused it). With `batch`
   * false, a frame leaves at once unless frames of this turn are already held (it then
   * follows them, in order).
   */
  send(text: string, batch = true): boolean {
    const ws = this.#ws;
    if (ws.readyState !== OPEN) return false;
    if (batch && this.#node && this.#corked === undefined) this.#cork();
    try {
      ws.send(text);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes the frames held since this turn's first write, if any. */
  flush(): void {
    const corked = this.#corked;
    if (corked === undefined) return;
    this.#corked = undefined;
    try {
      corked.uncork();
    } catch {
      // A stream that cannot write ends the socket, which reports it.
    }
  }

  /** @internal the turn in which frames were held is over. */
  endOfTurn(): void {
    this.flush();
  }

  #cork(): void {
    const corkable = corkableOf(this.#ws);
    if (corkable === undefined) return;
    corkable.cork();
    this.#corked = corkable;
    afterThisTurn(endOfTurn, this);
  }

  /**
   * Stops reporting and closes politely (a close frame with `code`). `closed` is called once
   * the underlying socket has closed (at once if it already is).
   */
  close(code = 1000, reason = '', closed?: () => void): void {
    this.flush();
    this.detach();
    const ws = this.#ws;
    if (closed !== undefined) {
      if (ws.readyState === CLOSED) {
        closed();
      } else if (this.#node) {
        (ws as NodeSocket).once('close', () => closed());
      } else {
        ws.onclose = () => {
          ws.onclose = null;
          closed();
        };
      }
    }
    try {
      ws.close(code, reason);
    } catch {
      // Already closing, or a code the platform refuses: nothing more to do.
    }
  }

  /** Stops reporting and cuts the connection at once (`ws`'s `terminate()`; elsewhere `close()`). */
  terminate(): void {
    this.flush();
    this.detach();
    const ws = this.#ws as WebSocketLike & { terminate?: () => void };
    try {
      if (typeof ws.terminate === 'function') ws.terminate();
      else ws.close();
    } catch {
      // Nothing more can be done with this socket.
    }
  }

  /** Stops reporting anything; a late `error` is swallowed, never thrown. */
  detach(): void {
    this.#listener = undefined;
    const ws = this.#ws;
    if (this.#node) {
      const node = ws as NodeSocket;
      if (adapters.get(node) !== this) return;
      adapters.delete(node);
      node.removeListener('open', onNodeOpen);
      node.removeListener('message', onNodeMessage);
      node.removeListener('close', onNodeClose);
      // Never without an 'error' listener: `ws` would throw the error.
      node.on('error', ignore);
      node.removeListener('error', onNodeError);
      return;
    }
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    // Not null: `ws` throws an 'error' that has no listener.
    ws.onerror = ignore;
  }

  /** @internal the socket opened. */
  opened(): void {
    if (this.#node) {
      const node = this.#ws as NodeSocket;
      node.removeListener('open', onNodeOpen);
      node.on('message', onNodeMessage);
    }
    this.#opened = true;
    this.#listener?.open();
  }

  /** @internal a frame arrived: text as a string, anything else as it came. */
  received(data: unknown): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    if (typeof data === 'string') listener.text(data);
    else listener.nonText(describeData(data));
  }

  /** @internal the socket failed. */
  failed(error: unknown): void {
    this.#end({ opened: this.#opened, code: closeCodeOf(error), reason: messageOf(error), error });
  }

  /** @internal the socket closed. */
  closed(code: number, reason: string): void {
    this.#end({ opened: this.#opened, code, reason });
  }

  #end(end: SocketEnd): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    if (end.error !== undefined) this.terminate();
    else this.detach();
    listener.end(end);
  }
}

/** `true` for a socket made by the `ws` package (or a subclass): it has `terminate` and an `EventEmitter` API. */
function isNodeSocket(ws: WebSocketLike): boolean {
  const candidate = ws as Partial<NodeEmitter> & { terminate?: unknown };
  return (
    typeof candidate.terminate === 'function' &&
    typeof candidate.on === 'function' &&
    typeof candidate.once === 'function' &&
    typeof candidate.removeListener === 'function'
  );
}

/** `true` for the `ws` package's constructor (it alone has `terminate`). */
export function isWsConstructor(constructor: unknown): boolean {
  const prototype = (constructor as { prototype?: { terminate?: unknown } } | undefined)?.prototype;
  return typeof prototype?.terminate === 'function';
}

function createWebSocket(url: string, options: DdpSocketOptions): WebSocketLike {
  const constructor = options.WebSocket ?? (IsomorphicWebSocket as unknown as WebSocketConstructor | undefined);
  if (typeof constructor !== 'function') {
    throw new TypeError('no WebSocket implementation: pass one as the "WebSocket" option');
  }
  if (isWsConstructor(constructor)) {
    const WsConstructor = constructor as unknown as new (url: string, options: object) => WebSocketLike;
    return new WsConstructor(url, { maxPayload: options.maxFrameBytes, perMessageDeflate: false });
  }
  return new constructor(url);
}

function describeData(data: unknown): string {
  if (typeof ArrayBuffer !== 'undefined' && data instanceof ArrayBuffer) return `binary frame (${data.byteLength} bytes)`;
  if (ArrayBuffer.isView(data)) return `binary frame (${data.byteLength} bytes)`;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return `binary frame (${data.size} bytes)`;
  return `non-text frame (${typeof data})`;
}

function errorOf(event: unknown): unknown {
  const inner = (event as { error?: unknown } | null)?.error;
  return inner ?? event;
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message !== '' ? message : 'WebSocket error';
}

/** `ws` reports a frame over `maxPayload` as an error (then closes with 1009). */
function closeCodeOf(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : 1006;
}

/** The transport error's `code` (e.g. `"ECONNREFUSED"`), when it has one. */
export function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
