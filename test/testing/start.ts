/** Starts a fake server that is closed after the test. */
import { FakeRocketChatServer } from '../../src/testing/index.js';
import type { FakeServerOptions } from '../../src/testing/index.js';
import { leftovers } from '../helpers.js';

/** A fake server with the heartbeat off unless asked for (tests choose short intervals). */
export async function startServer(options: FakeServerOptions = {}): Promise<FakeRocketChatServer> {
  return leftovers.track(await FakeRocketChatServer.start({ heartbeat: false, ...options }));
}
