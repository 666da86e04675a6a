/**
 * What one connection of a client kind keeps on the heap: opens `count` connections (logged
 * in, room stream subscribed) after a warm-up, takes a V8 heap snapshot before and after, and
 * prints the difference per connection, by object kind (constructor, closure name, string…).
 *
 *     node --expose-gc .bench-out/heap.js "RocketChatClient" [count=200] [open|closed]
 *
 * With `closed`, the second snapshot is taken after closing the `count` connections: what
 * a closed client leaves behind.
 */
import { getHeapSnapshot } from 'node:v8';
import type { Driver, ServerInfo } from './clients/driver.js';
import { ALL_KINDS } from './clients/registry.js';
import { startServer } from './lib/child.js';
import { collectGarbage, heapAndExternal } from './lib/runner.js';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count of live heap objects, by `type:name`. */
async function heapCensus(): Promise<Map<string, { bytes: number; count: number }>> {
  collectGarbage();
  const chunks: string[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(String(chunk));
  const data = JSON.parse(chunks.join('')) as Snapshot;
  const fields = data.snapshot.meta.node_fields;
  const types = data.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const census = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < data.nodes.length; i += width) {
    const type = types[data.nodes[i + typeAt] as number] ?? '?';
    let name = data.strings[data.nodes[i + nameAt] as number] ?? '?';
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number') name = '';
    if (name.length > 60) name = `${name.slice(0, 60)}…`;
    const key = `${type}:${name}`;
    const entry = census.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += data.nodes[i + sizeAt] as number;
    entry.count += 1;
    census.set(key, entry);
  }
  return census;
}

async function openMany(create: () => Driver, count: number, into: Driver[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const driver = create();
    into.push(driver);
    await driver.open({ subscribeRoom: true });
  }
}

async function main(): Promise<void> {
  const [pattern = 'RocketChatClient', countText = '200', when = 'open'] = process.argv.slice(2);
  const kind = ALL_KINDS.find((candidate) => candidate.name.includes(pattern));
  if (kind === undefined) throw new Error(`no client kind matches "${pattern}"`);
  const count = Number(countText);
  const server = await startServer<ServerInfo>('fast-server.js', []);
  const drivers: Driver[] = [];
  try {
    await openMany(() => kind.create(server.info), 10, drivers);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = await heapCensus();
    collectGarbage();
    const bytesBefore = heapAndExternal();
    const usageBefore = process.memoryUsage();
    const measured: Driver[] = [];
    await openMany(() => kind.create(server.info), count, measured);
    if (when === 'closed') {
      for (const driver of measured) await driver.close();
      measured.length = 0;
    } else {
      drivers.push(...measured);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    collectGarbage();
    const bytesAfter = heapAndExternal();
    const usageAfter = process.memoryUsage();
    const perConnection = (key: 'heapUsed' | 'external' | 'arrayBuffers'): string =>
      `${key} ${((usageAfter[key] - usageBefore[key]) / count / 1024).toFixed(2)} KB`;
    const after = await heapCensus();
    const rows = [...after]
      .map(([key, entry]) => {
        const old = before.get(key) ?? { bytes: 0, count: 0 };
        return { key, bytes: (entry.bytes - old.bytes) / count, count: (entry.count - old.count) / count };
      })
      .filter((row) => Math.abs(row.bytes) >= 8)
      .sort((a, b) => b.bytes - a.bytes);
    const heapTotal = rows.reduce((sum, row) => sum + row.bytes, 0);
    process.stdout.write(
      `${kind.name}: ${((bytesAfter - bytesBefore) / count / 1024).toFixed(2)} KB heap+external per connection; ` +
        `${perConnection('heapUsed')}, ${perConnection('external')} (${perConnection('arrayBuffers')}); ` +
        `snapshot objects ${(heapTotal / 1024).toFixed(2)} KB per connection:\n`,
    );
    for (const row of rows.slice(0, Number(process.env['HEAP_ROWS'] ?? 45))) {
      process.stdout.write(`${row.bytes.toFixed(0).padStart(7)} B  ${row.count.toFixed(2).padStart(6)} ×  ${row.key}\n`);
    }
  } finally {
    for (const driver of drivers) await driver.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`heap failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
