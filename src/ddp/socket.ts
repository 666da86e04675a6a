/**
 * The WebSocket, behind the WHATWG API every platform offers (`onopen`, `onmessage`,
 * `onclose`, `onerror`), so that Node's `ws`, a browser's and React Native's sockets all work.
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
  readonly readyState: number;
  // The handlers take `any`: each platform types its events differently.
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string): void;
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

/** One WebSocket, adapted. Throws from the constructor only if the platform's constructor does. */
export class DdpSocket {
  readonly #ws: WebSocketLike;
  #listener: SocketListener | undefined;
  #opened = false;

  constructor(url: string, options: DdpSocketOptions, listener: SocketListener) {
    this.#listener = listener;
    this.#ws = createWebSocket(url, options);
    this.#ws.onopen = () => {
      this.#opened = true;
      this.#listener?.open();
    };
    this.#ws.onmessage = (event: { data?: unknown }) => {
      const data = event.data;
      if (typeof data === 'string') this.#listener?.text(data);
      else this.#listener?.nonText(describeData(data));
    };
    this.#ws.onerror = (event: unknown) => {
      const error = errorOf(event);
      this.#end({ opened: this.#opened, code: closeCodeOf(error), reason: messageOf(error), error });
    };
    this.#ws.onclose = (event: { code?: number; reason?: string }) => {
      this.#end({ opened: this.#opened, code: event.code ?? 1006, reason: event.reason ?? '' });
    };
  }

  /** `true` while frames can be written. */
  get isOpen(): boolean {
    return this.#ws.readyState === OPEN;
  }

  /** Writes a text frame; `false` when the socket is not open (or refused it). */
  send(text: string): boolean {
    if (this.#ws.readyState !== OPEN) return false;
    try {
      this.#ws.send(text);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Stops reporting and closes politely (a close frame with `code`). `closed` is called once
   * the underlying socket has closed (at once if it already is).
   */
  close(code = 1000, reason = '', closed?: () => void): void {
    this.detach();
    if (closed !== undefined) {
      if (this.#ws.readyState === CLOSED) {
        closed();
      } else {
        this.#ws.onclose = () => {
          this.#ws.onclose = null;
          closed();
        };
      }
    }
    try {
      this.#ws.close(code, reason);
    } catch {
      // Already closing, or a code the platform refuses: nothing more to do.
    }
  }

  /** Stops reporting and cuts the connection at once (`ws`'s `terminate()`; elsewhere `close()`). */
  terminate(): void {
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
    this.#ws.onopen = null;
    this.#ws.onmessage = null;
    this.#ws.onclose = null;
    // Not null: `ws` throws an 'error' that has no listener.
    this.#ws.onerror = ignore;
  }

  #end(end: SocketEnd): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    if (end.error !== undefined) this.terminate();
    else this.detach();
    listener.end(end);
  }
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
