/**
 * The fake Rocket.Chat server of `rocketchat-ddp/testing` in its own process, for the
 * many-connections benchmark: heartbeat as given on the command line (ms), no rate limits,
 * one user `bot` whose resume token it reports.
 *
 * argv: `[heartbeatMs]`
 */
import { FakeRocketChatServer } from '../../src/testing/index.js';
import { serverMain } from '../lib/child.js';

serverMain(async () => {
  const heartbeatMs = Number(process.argv[2] ?? 15_000);
  const server = await FakeRocketChatServer.start({
    heartbeat: { intervalMs: heartbeatMs, timeoutMs: heartbeatMs },
    rateLimit: false,
  });
  const user = server.addUser({ username: 'bot', password: 'bot' });
  return {
    info: { url: server.url, token: user.token, userId: user._id },
    stats: () => ({ open: server.connections.length }),
    stop: () => server.close(),
  };
});
