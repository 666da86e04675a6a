/**
 * rocketchat-ddp's own clients, with their defaults (heartbeat armed, timeouts on), except
 * `rateLimit: false` for `RocketChatClient` so the benchmark is not paced to 5 messages a second.
 */
import { DdpClient, RocketChatClient, randomId } from '../../src/index.js';
import { messageText, ROOM } from '../lib/frames.js';
import type { ClientKind, DecodedMessage, Driver, OpenOptions, ServerInfo } from './driver.js';

/** Resolves once `count` `ready` frames have arrived on `ddp` (counted from this call on). */
export function readyFrames(ddp: DdpClient, count: number, timeoutMs = 30_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let seen = 0;
    const onMessage = (frame: { msg: string }): void => {
      if (frame.msg === 'ready' && ++seen >= count) {
        cleanup();
        resolve();
      }
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      ddp.off('message', onMessage);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${seen}/${count} subscriptions ready after ${timeoutMs} ms`));
    }, timeoutMs);
    ddp.on('message', onMessage);
  });
}

const ignore = (): void => undefined;

class DdpClientDriver implements Driver {
  #client: DdpClient | undefined;

  constructor(private readonly server: ServerInfo) {}

  async open(options: OpenOptions = {}): Promise<void> {
    const client = new DdpClient({ url: this.server.url });
    this.#client = client;
    await client.connect();
    await client.call('login', [{ resume: this.server.token }], { wait: true });
    if (options.subscribeRoom === true) {
      await client.subscribe('stream-room-messages', [ROOM, { useCollection: false, args: [] }]).ready();
    }
  }

  send(seq: number, done: (message: DecodedMessage) => void, fail: (error: unknown) => void): void {
    (this.#client as DdpClient)
      .call<DecodedMessage>('sendMessage', [{ _id: randomId(), rid: ROOM, msg: messageText(seq) }])
      .then(done, fail);
  }

  async close(): Promise<void> {
    await this.#client?.close();
    this.#client = undefined;
  }
}

class RocketChatDriver implements Driver {
  #client: RocketChatClient | undefined;

  constructor(
    private readonly server: ServerInfo,
    /** Send one message once open (which subscribes to the user's notices). */
    private readonly sendOnOpen = false,
  ) {}

  async open(options: OpenOptions = {}): Promise<void> {
    const client = new RocketChatClient({ url: this.server.url, rateLimit: false });
    this.#client = client;
    await client.connect();
    await client.login({ resume: this.server.token });
    if (options.subscribeRoom === true) {
      const ready = readyFrames(client.ddp, 1);
      client.onMessage(ROOM, ignore);
      await ready;
    }
    if (this.sendOnOpen) await client.sendMessage({ rid: ROOM, msg: messageText(0) });
  }

  send(seq: number, done: (message: DecodedMessage) => void, fail: (error: unknown) => void): void {
    (this.#client as RocketChatClient).sendMessage({ rid: ROOM, msg: messageText(seq) }).then(done, fail);
  }

  async close(): Promise<void> {
    await this.#client?.close();
    this.#client = undefined;
  }
}

/** `DdpClient.call('sendMessage', …)`: the DDP layer alone, result decoded by the codec. */
export const ddpClientKind: ClientKind = {
  name: "DdpClient call('sendMessage')",
  shortName: 'DdpClient',
  note: 'codec decodes $date; heartbeat + call timeout armed',
  memoryNote: 'heartbeat armed, room stream subscribed',
  create: (server) => new DdpClientDriver(server),
};

/** `RocketChatClient.sendMessage` → a checked `IMessage`. */
export const rocketChatKind: ClientKind = {
  name: 'RocketChatClient sendMessage → IMessage',
  shortName: 'RocketChatClient',
  note: 'rateLimit: false; + validation, decodeMessage',
  memoryNote: 'heartbeat armed, room stream subscribed (notices: at the first send)',
  create: (server) => new RocketChatDriver(server),
};

/** `RocketChatClient` once it has sent a message: for the memory table only. */
export const rocketChatAfterSendKind: ClientKind = {
  name: 'RocketChatClient after its first sendMessage',
  shortName: 'RocketChatClient, after its first send',
  note: 'rateLimit: false; has sent one message',
  memoryNote: 'as above + the notices subscription its first send made',
  create: (server) => new RocketChatDriver(server, true),
};

/** Our client kinds, in table order. */
export const ourKinds: readonly ClientKind[] = [rocketChatKind, ddpClientKind];
