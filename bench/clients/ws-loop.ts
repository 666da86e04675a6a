/**
 * The baseline: a hand-written loop over `ws`. It sends the same `sendMessage` frames as every
 * client, `JSON.parse`s every frame, matches results to calls in a `Map`, and converts the
 * result's `{"$date": n}` objects to `Date`s in place. It has no timers, no promises, no
 * queue, no reconnect: the practical lower bound for any client on this socket.
 */
import WebSocket from 'ws';
import { randomId } from '../../src/index.js';
import { messageText, ROOM } from '../lib/frames.js';
import type { ClientKind, DecodedMessage, Driver, OpenOptions, ServerInfo } from './driver.js';

type Callback = (frame: { result?: unknown; error?: unknown }) => void;

/** Replaces every sole-key `{"$date": n}` object below `node` with a `Date`, in place. */
export function reviveDates(node: object): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (typeof child === 'object' && child !== null) {
        if (isDate(child)) node[i] = new Date(child.$date);
        else reviveDates(child);
      }
    }
    return;
  }
  const record = node as Record<string, unknown>;
  for (const key in record) {
    const child = record[key];
    if (typeof child === 'object' && child !== null) {
      if (isDate(child)) record[key] = new Date(child.$date);
      else reviveDates(child);
    }
  }
}

function isDate(value: object): value is { $date: number } {
  return typeof (value as { $date?: unknown }).$date === 'number' && Object.keys(value).length === 1;
}

class WsLoop implements Driver {
  #socket: WebSocket | undefined;
  #nextId = 1;
  readonly #waiting = new Map<string, Callback>();
  #onConnected: (() => void) | undefined;
  #onReady: (() => void) | undefined;

  constructor(private readonly server: ServerInfo) {}

  async open(options: OpenOptions = {}): Promise<void> {
    const socket = new WebSocket(this.server.url);
    this.#socket = socket;
    socket.on('message', (data) => this.#receive(String(data)));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    await new Promise<void>((resolve) => {
      this.#onConnected = resolve;
      socket.send('{"msg":"connect","version":"1","support":["1","pre2","pre1"]}');
    });
    await new Promise<void>((resolve, reject) => {
      this.#call('login', [{ resume: this.server.token }], (frame) => (frame.error ? reject(new Error('login failed')) : resolve()));
    });
    if (options.subscribeRoom === true) {
      await new Promise<void>((resolve) => {
        this.#onReady = resolve;
        socket.send(JSON.stringify({ msg: 'sub', id: randomId(), name: 'stream-room-messages', params: [ROOM, { useCollection: false, args: [] }] }));
      });
    }
  }

  send(seq: number, done: (message: DecodedMessage) => void, fail: (error: unknown) => void): void {
    this.#call('sendMessage', [{ _id: randomId(), rid: ROOM, msg: messageText(seq) }], (frame) => {
      if (frame.error !== undefined) fail(frame.error);
      else done(frame.result as DecodedMessage);
    });
  }

  #call(method: string, params: unknown[], callback: Callback): void {
    const id = String(this.#nextId++);
    this.#waiting.set(id, callback);
    this.#socket?.send(JSON.stringify({ msg: 'method', id, method, params }));
  }

  #receive(text: string): void {
    const frame = JSON.parse(text) as { msg: string; id?: string; result?: unknown; error?: unknown };
    switch (frame.msg) {
      case 'result': {
        const callback = this.#waiting.get(frame.id as string);
        if (callback === undefined) return;
        this.#waiting.delete(frame.id as string);
        if (typeof frame.result === 'object' && frame.result !== null) reviveDates(frame.result);
        callback(frame);
        return;
      }
      case 'connected':
        this.#onConnected?.();
        this.#onConnected = undefined;
        return;
      case 'ready':
        this.#onReady?.();
        this.#onReady = undefined;
        return;
      case 'ping':
        this.#socket?.send(frame.id === undefined ? '{"msg":"pong"}' : JSON.stringify({ msg: 'pong', id: frame.id }));
        return;
      default:
    }
  }

  close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.close();
    });
  }
}

/**
 * The same loop, each result handed over through a promise, as every promise API hands it
 * over: the callback then runs once the socket's read is over and the microtasks run, instead
 * of inside the `message` event. Not a target: it shows what a promise alone costs.
 */
class PromisedWsLoop extends WsLoop {
  override send(seq: number, done: (message: DecodedMessage) => void, fail: (error: unknown) => void): void {
    new Promise<DecodedMessage>((resolve, reject) => super.send(seq, resolve, reject)).then(done, fail);
  }
}

/** The hand-written `ws` loop: the baseline of every ratio. */
export const wsLoop: ClientKind = {
  name: 'ws loop (baseline)',
  shortName: 'bare ws connection (baseline)',
  note: 'hand-written: JSON.parse + in-place $date walk',
  memoryNote: 'ws socket + id map; no heartbeat',
  create: (server) => new WsLoop(server),
};

/** The baseline with a promise per call: a reference row (what a promise API cannot avoid). */
export const promisedWsLoop: ClientKind = {
  name: 'ws loop + a promise per call (reference)',
  shortName: 'ws loop + a promise per call',
  note: 'the baseline, each result through a promise; not a target',
  memoryNote: 'as the baseline',
  create: (server) => new PromisedWsLoop(server),
};
