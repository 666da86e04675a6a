/**
 * Shared setup of the Rocket.Chat integration tests: a fake server and clients that are
 * disposed after each test, with a near-immediate reconnect.
 */
import { FakeRocketChatServer } from '../../src/testing/index.js';
import type { FakeServerOptions, FakeUser } from '../../src/testing/index.js';
import { RocketChatClient } from '../../src/rocketchat/client.js';
import type { RocketChatClientOptions } from '../../src/rocketchat/client.js';
import { leftovers } from '../helpers.js';

/** A started fake server, closed after the test. */
export async function startServer(options: FakeServerOptions = {}): Promise<FakeRocketChatServer> {
  return leftovers.track(await FakeRocketChatServer.start(options));
}

/** A client of `server` that reconnects after 5 ms, closed after the test. */
export function newClient(
  server: FakeRocketChatServer,
  options: Partial<RocketChatClientOptions> = {},
): RocketChatClient {
  return leftovers.track(new RocketChatClient({ url: server.url, backoff: () => 5, ...options }));
}

/** A server with a user `bot` / `pass`, and a connected, logged-in client for it. */
export async function loggedIn(
  serverOptions: FakeServerOptions = {},
  clientOptions: Partial<RocketChatClientOptions> = {},
): Promise<{ server: FakeRocketChatServer; client: RocketChatClient; bot: FakeUser }> {
  const server = await startServer(serverOptions);
  const bot = server.addUser({ username: 'bot', password: 'pass', name: 'Bot' });
  const client = newClient(server, clientOptions);
  await client.connect();
  await client.login({ username: 'bot', password: 'pass' });
  return { server, client, bot };
}

/** Collects unhandled rejections while a test runs. */
export function watchUnhandledRejections(): { readonly reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const listener = (reason: unknown): void => {
    reasons.push(reason);
  };
  process.on('unhandledRejection', listener);
  return { reasons, stop: () => process.off('unhandledRejection', listener) };
}
