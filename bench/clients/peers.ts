/**
 * The other DDP clients that install with npm, driven the way their READMEs show, with `ws`
 * as their socket constructor.
 *
 * - `ddp.js` 2.2.1 leaves EJSON alone (`ts` stays `{"$date": n}`), so its row also pays for
 *   `EJSON.fromJSONValue` (the `ejson` package) on each result, as its users must.
 * - `simpleddp` 2.2.4 decodes whole frames with `EJSON.parse` itself.
 * - `@rocket.chat/ddp-client` does not install with plain npm (a `patch:` dependency), so it has no row.
 */
import EJSON from 'ejson';
import WebSocket from 'ws';
import { createRequire } from 'node:module';
import { randomId } from '../../src/index.js';
import { messageText, ROOM } from '../lib/frames.js';
import type { ClientKind, DecodedMessage, Driver, OpenOptions, ServerInfo } from './driver.js';

// Neither package ships types: the parts used here, typed locally (no ambient declarations,
// so nothing clashes with other typings of these packages in the project).

interface DdpJsMessage {
  msg: string;
  id?: string;
  result?: unknown;
  error?: unknown;
  subs?: string[];
}

interface DdpJs {
  status: string;
  method(name: string, params: unknown[]): string;
  sub(name: string, params: unknown[]): string;
  disconnect(): void;
  on(event: string, listener: (message: DdpJsMessage) => void): unknown;
  once(event: string, listener: (message: DdpJsMessage) => void): unknown;
  off(event: string, listener: (message: DdpJsMessage) => void): unknown;
}

interface SimpleDdp {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  apply(method: string, args?: unknown[]): Promise<unknown>;
  subscribe(name: string, ...args: unknown[]): { ready(): Promise<void> };
}

interface PeerOptions {
  endpoint: string;
  SocketConstructor: unknown;
  autoConnect?: boolean;
  autoReconnect?: boolean;
}

const require = createRequire(import.meta.url);

/** CommonJS packages compiled by Babel: the class is either the export or its `default`. */
function constructorOf<T>(module: unknown): new (options: PeerOptions) => T {
  const value = typeof module === 'function' ? module : (module as { default?: unknown }).default;
  if (typeof value !== 'function') throw new Error('unexpected module shape');
  return value as new (options: PeerOptions) => T;
}

/** `@types/ejson` types the argument as a string; it takes any JSON value. */
const ejsonFromJsonValue = EJSON.fromJSONValue as unknown as (value: unknown) => unknown;

const DDP = constructorOf<DdpJs>(require('ddp.js'));
const SimpleDDP = constructorOf<SimpleDdp>(require('simpleddp'));


class DdpJsDriver implements Driver {
  #ddp: DdpJs | undefined;
  readonly #waiting = new Map<string, { done: (message: DecodedMessage) => void; fail: (error: unknown) => void }>();

  constructor(private readonly server: ServerInfo) {}

  async open(options: OpenOptions = {}): Promise<void> {
    const ddp = new DDP({ endpoint: this.server.url, SocketConstructor: WebSocket, autoReconnect: false });
    this.#ddp = ddp;
    ddp.on('result', (message) => {
      const entry = this.#waiting.get(message.id as string);
      if (entry === undefined) return;
      this.#waiting.delete(message.id as string);
      if (message.error !== undefined) entry.fail(message.error);
      else entry.done(ejsonFromJsonValue(message.result) as DecodedMessage);
    });
    await new Promise<void>((resolve) => ddp.once('connected', () => resolve()));
    await this.#call('login', [{ resume: this.server.token }]);
    if (options.subscribeRoom === true) {
      const id = ddp.sub('stream-room-messages', [ROOM, { useCollection: false, args: [] }]);
      await new Promise<void>((resolve) => {
        const onReady = (message: DdpJsMessage): void => {
          if (message.subs?.includes(id) === true) {
            ddp.off('ready', onReady);
            resolve();
          }
        };
        ddp.on('ready', onReady);
      });
    }
  }

  #call(method: string, params: unknown[]): Promise<unknown> {
    return new Promise((done, fail) => {
      const id = (this.#ddp as DdpJs).method(method, params);
      this.#waiting.set(id, { done, fail });
    });
  }

  send(seq: number, done: (message: DecodedMessage) => void, fail: (error: unknown) => void): void {
    const id = (this.#ddp as DdpJs).method('sendMessage', [{ _id: randomId(), rid: ROOM, msg: messageText(seq) }]);
    this.#waiting.set(id, { done, fail });
  }

  async close(): Promise<void> {
    const ddp = this.#ddp;
    this.#ddp = undefined;
    if (ddp === undefined || ddp.status !== 'connected') return;
    await new Promise<void>((resolve) => {
      ddp.once('disconnected', () => resolve());
      ddp.disconnect();
    });
  }
}

class SimpleDdpDriver implements Driver {
  #client: SimpleDdp | undefined;

  constructor(private readonly server: ServerInfo) {}

  async open(options: OpenOptions = {}): Promise<void> {
    const client = new SimpleDDP({
      endpoint: this.server.url,
      SocketConstructor: WebSocket,
      autoConnect: false,
      autoReconnect: false,
    });
    this.#client = client;
    await client.connect();
    await client.apply('login', [{ resume: this.server.token }]);
    if (options.subscribeRoom === true) {
      await client.subscribe('stream-room-messages', ROOM, { useCollection: false, args: [] }).ready();
    }
  }

  send(seq: number, done: (message: DecodedMessage) => void, fail: (error: unknown) => void): void {
    (this.#client as SimpleDdp)
      .apply('sendMessage', [{ _id: randomId(), rid: ROOM, msg: messageText(seq) }])
      .then((result) => done(result as DecodedMessage), fail);
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    await client.disconnect();
  }
}

/** `ddp.js` 2.2.1 with `EJSON.fromJSONValue` on each result. */
export const ddpJs: ClientKind = {
  name: 'ddp.js 2.2.1',
  shortName: 'ddp.js 2.2.1',
  note: 'no EJSON: + EJSON.fromJSONValue(result) per call',
  memoryNote: 'no client heartbeat',
  create: (server) => new DdpJsDriver(server),
};

/** `simpleddp` 2.2.4 (decodes with `EJSON.parse`). */
export const simpleDdp: ClientKind = {
  name: 'simpleddp 2.2.4',
  shortName: 'simpleddp 2.2.4',
  note: 'decodes frames with EJSON.parse',
  memoryNote: 'no client heartbeat',
  create: (server) => new SimpleDdpDriver(server),
};
