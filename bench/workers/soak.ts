/**
 * Worker: a long run of `sendMessage` calls through one `RocketChatClient`, 100 in flight,
 * against the minimal server. After every tenth of the run it lets the calls drain, collects
 * garbage and records heap + external, the client's listeners and the process's timers: a
 * client that leaves anything behind per call shows it as growth.
 *
 * argv: `<server info JSON> <calls>`
 */
import { RocketChatClient } from '../../src/index.js';
import type { DecodedMessage, Driver, ServerInfo } from '../clients/driver.js';
import { messageText, ROOM } from '../lib/frames.js';
import { tellParent, workerMain } from '../lib/child.js';
import { collectGarbage, heapAndExternal, runPipelined } from '../lib/runner.js';

const CHECKPOINTS = 10;
const IN_FLIGHT = 100;

function listeners(emitter: { eventNames(): (string | symbol)[]; listenerCount(event: string | symbol): number }): number {
  return emitter.eventNames().reduce((sum, event) => sum + emitter.listenerCount(event), 0);
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

workerMain(async () => {
  const [serverJson, callsText] = process.argv.slice(2);
  const server = JSON.parse(serverJson ?? '{}') as ServerInfo;
  const calls = Number(callsText);
  const perCheckpoint = Math.ceil(calls / CHECKPOINTS);
  const client = new RocketChatClient({ url: server.url, rateLimit: false });
  await client.connect();
  await client.login({ resume: server.token });
  const driver: Driver = {
    open: () => Promise.resolve(),
    send(seq: number, done: (message: DecodedMessage) => void, fail: (error: unknown) => void) {
      client.sendMessage({ rid: ROOM, msg: messageText(seq) }).then(done, fail);
    },
    close: () => client.close(),
  };
  // Warm up (JIT, lazily created structures), then the measured checkpoints.
  await runPipelined(driver, Math.min(10_000, perCheckpoint), IN_FLIGHT);
  collectGarbage();
  const start = { heapAndExternal: heapAndExternal(), listeners: listeners(client), timers: timers() };
  const checkpoints: { calls: number; heapAndExternal: number; listeners: number; timers: number; seconds: number }[] = [];
  const began = process.hrtime.bigint();
  for (let k = 1; k <= CHECKPOINTS; k++) {
    await runPipelined(driver, perCheckpoint, IN_FLIGHT, k * perCheckpoint);
    collectGarbage();
    checkpoints.push({
      calls: k * perCheckpoint,
      heapAndExternal: heapAndExternal(),
      listeners: listeners(client),
      timers: timers(),
      seconds: Number(process.hrtime.bigint() - began) / 1e9,
    });
    tellParent({ type: 'progress', line: `soak: ${k * perCheckpoint}/${perCheckpoint * CHECKPOINTS} calls` });
  }
  await client.close();
  const first = checkpoints[0] as (typeof checkpoints)[number];
  const last = checkpoints[checkpoints.length - 1] as (typeof checkpoints)[number];
  return {
    calls: perCheckpoint * CHECKPOINTS,
    start,
    checkpoints,
    growth: (last.heapAndExternal - first.heapAndExternal) / first.heapAndExternal,
  };
}, 900_000);
