/**
 * A bare DDP client over a `ws` socket for the fake server's tests: it sends exactly what
 * it is told and records every frame as parsed JSON (EJSON left as is, to compare with the
 * recorded frames). `take()` hands out recorded frames in arrival order, each only once.
 */
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { leftovers } from '../helpers.js';

/** A frame as received: parsed JSON, or the raw text when it was not JSON. */
export type Frame = Record<string, unknown>;

/** The SHA-256 hex digest clients send instead of a password. */
export function digest(password: string): { digest: string; algorithm: 'sha-256' } {
  return { digest: createHash('sha256').update(password, 'utf8').digest('hex'), algorithm: 'sha-256' };
}

export class RawClient {
  readonly socket: WebSocket;
  /** Every frame received, in order. */
  readonly frames: Frame[] = [];
  /** Texts that were not JSON objects. */
  readonly rawTexts: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  closeCode: number | undefined;
  #taken = new Set<Frame>();
  #waiters: (() => void)[] = [];
  #nextId = 1;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      const text = data.toString();
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) this.frames.push(value as Frame);
        else this.rawTexts.push(text);
      } catch {
        this.rawTexts.push(text);
      }
      this.#wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeCode = code;
        this.#wake();
        resolve({ code, reason: reason.toString() });
      });
    });
    socket.on('error', () => undefined);
  }

  /** Opens a socket to `url` (tracked for disposal after the test). */
  static async open(url: string): Promise<RawClient> {
    const socket = new WebSocket(url);
    const client = leftovers.track(new RawClient(socket));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** Opens, sends `connect` and waits for `connected`. */
  static async connect(url: string): Promise<RawClient> {
    const client = await RawClient.open(url);
    client.send({ msg: 'connect', version: '1', support: ['1', 'pre2', 'pre1'] });
    await client.take('connected');
    client.skip('server_id'); // the ddp-streamer greeting
    return client;
  }

  /** Sends a frame (objects are JSON-encoded, strings go as they are). */
  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** A fresh method id. */
  nextId(): string {
    return String(this.#nextId++);
  }

  /** Sends a method call and returns its id. */
  method(method: string, params: unknown[] = [], id = this.nextId()): string {
    this.send({ msg: 'method', method, params, id });
    return id;
  }

  /** Calls a method and resolves with its `result` frame. */
  async call(method: string, params: unknown[] = []): Promise<Frame> {
    const id = this.method(method, params);
    return this.take((frame) => frame['msg'] === 'result' && frame['id'] === id);
  }

  /** Logs in with username and password; resolves with the result frame. */
  login(username: string, password: string): Promise<Frame> {
    return this.call('login', [{ user: { username }, password: digest(password) }]);
  }

  /**
   * The first not-yet-taken frame that matches (a `msg` value or a predicate), waiting for it
   * if needed; rejects after `timeoutMs` or when the socket closes without it.
   */
  async take(match: string | ((frame: Frame) => boolean), timeoutMs = 5000): Promise<Frame> {
    const test = typeof match === 'string' ? (frame: Frame) => frame['msg'] === match : match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find((frame) => !this.#taken.has(frame) && test(frame));
      if (found !== undefined) {
        this.#taken.add(found);
        return found;
      }
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) before a frame matched ${String(match)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame matched ${String(match)} within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Marks every frame received so far that matches as taken. */
  skip(match: string | ((frame: Frame) => boolean)): void {
    for (const frame of this.all(match)) this.#taken.add(frame);
  }

  /** Frames received so far that match, taken or not. */
  all(match: string | ((frame: Frame) => boolean)): Frame[] {
    const test = typeof match === 'string' ? (frame: Frame) => frame['msg'] === match : match;
    return this.frames.filter(test);
  }

  /** Index of a frame in arrival order. */
  indexOf(frame: Frame): number {
    return this.frames.indexOf(frame);
  }

  /** Closes the socket (idempotent). */
  close(): void {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.terminate();
  }

  #wake(): void {
    const waiters = this.#waiters.splice(0);
    for (const waiter of waiters) waiter();
  }
}
