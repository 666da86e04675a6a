/**
 * Worker: memory held per connection by one client kind. In a fresh process (run with
 * `--expose-gc`): open a few connections to warm everything up, then `count` connections
 * (logged in, one room stream subscribed), then `count` more, collecting garbage and
 * measuring heap + external before each step. The figure is the cost of the second
 * `count`: the marginal memory of a connection, free of one-time allocations (caches, code)
 * that the first connections pay for. Then close everything and measure what stays behind.
 *
 * argv: `<kind name> <server info JSON> <count>`
 */
import type { Driver, ServerInfo } from '../clients/driver.js';
import { kindNamed } from '../clients/registry.js';
import { workerMain } from '../lib/child.js';
import { collectGarbage, heapAndExternal } from '../lib/runner.js';

const WARM_UP_CONNECTIONS = 10;
const OPENING_AT_ONCE = 25;

async function openMany(create: () => Driver, count: number, into: Driver[]): Promise<void> {
  for (let opened = 0; opened < count; ) {
    const batch: Promise<void>[] = [];
    for (let i = 0; i < OPENING_AT_ONCE && opened < count; i++, opened++) {
      const driver = create();
      into.push(driver);
      batch.push(driver.open({ subscribeRoom: true }));
    }
    await Promise.all(batch);
  }
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

workerMain(async () => {
  const [kindName, serverJson, countText] = process.argv.slice(2);
  const kind = kindNamed(kindName ?? '');
  const server = JSON.parse(serverJson ?? '{}') as ServerInfo;
  const count = Number(countText);
  const drivers: Driver[] = [];
  await openMany(() => kind.create(server), WARM_UP_CONNECTIONS, drivers);
  await settle(100);
  collectGarbage();
  const before = heapAndExternal();
  await openMany(() => kind.create(server), count, drivers);
  await settle(200);
  collectGarbage();
  const middle = heapAndExternal();
  await openMany(() => kind.create(server), count, drivers);
  await settle(200);
  collectGarbage();
  const after = heapAndExternal();
  for (const driver of drivers) await driver.close();
  await settle(200);
  collectGarbage();
  const closed = heapAndExternal();
  return {
    bytesPerConnection: (after - middle) / count,
    bytesPerConnectionFirst: (middle - before) / count,
    bytesLeftPerConnection: (closed - before) / (2 * count + WARM_UP_CONNECTIONS),
  };
}, 120_000);
