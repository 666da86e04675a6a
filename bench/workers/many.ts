/**
 * Worker: many logged-in, subscribed `RocketChatClient`s in one process against the fake
 * server. Opens them (a batch at a time), measures the time and the memory, keeps them up
 * through two heartbeat periods (checking that none dropped, none changed session, and every
 * one saw heartbeat traffic), then closes them all and checks nothing is left running.
 *
 * argv: `<server info JSON> <count> <heartbeatMs>`
 */
import { RocketChatClient } from '../../src/index.js';
import type { ServerInfo } from '../clients/driver.js';
import { readyFrames } from '../clients/ours.js';
import { ROOM } from '../lib/frames.js';
import { tellParent, workerMain } from '../lib/child.js';
import { collectGarbage, heapAndExternal } from '../lib/runner.js';

const OPENING_AT_ONCE = 200;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

const ignore = (): void => undefined;

workerMain(async () => {
  const [serverJson, countText, heartbeatText] = process.argv.slice(2);
  const server = JSON.parse(serverJson ?? '{}') as ServerInfo;
  const count = Number(countText);
  const heartbeatMs = Number(heartbeatText);
  const clients: RocketChatClient[] = [];
  const heartbeats = new Uint32Array(count);
  let drops = 0;

  collectGarbage();
  const memoryBefore = heapAndExternal();
  const rssBefore = process.memoryUsage().rss;
  const openStart = process.hrtime.bigint();
  for (let opened = 0; opened < count; ) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < OPENING_AT_ONCE && opened < count; i++, opened++) {
      const index = opened;
      const client = new RocketChatClient({
        url: server.url,
        heartbeat: { intervalMs: heartbeatMs, timeoutMs: heartbeatMs },
        rateLimit: false,
      });
      clients.push(client);
      client.ddp.on('message', (frame) => {
        if (frame.msg === 'ping' || frame.msg === 'pong') heartbeats[index] = (heartbeats[index] as number) + 1;
      });
      batch.push(
        (async () => {
          await client.connect();
          const ready = readyFrames(client.ddp, 1, 120_000);
          await client.login({ resume: server.token });
          client.onMessage(ROOM, ignore);
          await ready;
        })(),
      );
    }
    await Promise.all(batch);
    if (opened % 2000 === 0) tellParent({ type: 'progress', line: `many: ${opened}/${count} open` });
  }
  const openMs = elapsedMs(openStart);
  await sleep(200);
  collectGarbage();
  const memoryOpen = heapAndExternal();
  const rssOpen = process.memoryUsage().rss;

  const sessions = clients.map((client) => client.ddp.session);
  for (const client of clients) {
    client.on('status', (status) => {
      if (status !== 'connected') drops++;
    });
  }
  heartbeats.fill(0);
  const stayMs = Math.round(heartbeatMs * 2.5);
  tellParent({ type: 'progress', line: `many: all ${count} open in ${(openMs / 1000).toFixed(1)} s; staying up ${stayMs} ms` });
  await sleep(stayMs);
  const stillConnected = clients.filter((client, i) => client.status === 'connected' && client.ddp.session === sessions[i]).length;
  const minHeartbeats = heartbeats.reduce((min, value) => Math.min(min, value), Number.POSITIVE_INFINITY);
  const dropsWhileUp = drops;

  const closeStart = process.hrtime.bigint();
  await Promise.all(clients.map((client) => client.close()));
  const closeMs = elapsedMs(closeStart);
  await sleep(500);
  clients.length = 0;
  collectGarbage();
  const memoryClosed = heapAndExternal();
  // What still keeps the event loop alive (the IPC channel to the parent aside).
  const leftovers = process.getActiveResourcesInfo().filter((resource) => resource !== 'PipeWrap');

  return {
    count,
    heartbeatMs,
    stayMs,
    openMs,
    closeMs,
    bytesPerConnection: (memoryOpen - memoryBefore) / count,
    heapAndExternalMB: memoryOpen / 2 ** 20,
    rssMB: rssOpen / 2 ** 20,
    rssPerConnection: (rssOpen - rssBefore) / count,
    bytesLeftAfterClose: memoryClosed - memoryBefore,
    stillConnected,
    drops: dropsWhileUp,
    minHeartbeats,
    leftovers,
  };
}, 600_000);
