/**
 * What one connection of a client kind keeps on the heap: opens `count` connections (logged
 * in, room stream subscribed) after a warm-up, takes a V8 heap snapshot before and after, and
 * prints the difference per connection, by object kind (constructor, closure name, string…).
 *
 *     node --expose-gc .bench-out/heap.js "RocketChatClient" [count=200] [open|closed]
 *
 * `HEAP_TRACE="array:"` (a `type:name` key of the table) also prints who holds the new objects
 * of that kind, as chains of holders `HEAP_DEPTH` (4) levels deep; `HEAP_ROWS` (45) sets how
 * many kinds the table lists.
 *
 * With `closed`, the second snapshot is taken after closing the `count` connections: what
 * a closed client leaves behind.
 */
import { getHeapSnapshot } from 'node:v8';
import type { Driver, ServerInfo } from './clients/driver.js';
import { MEMORY_KINDS } from './clients/registry.js';
import { startServer } from './lib/child.js';
import { collectGarbage, heapAndExternal } from './lib/runner.js';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

async function takeSnapshot(): Promise<Snapshot> {
  collectGarbage();
  const chunks: string[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(String(chunk));
  return JSON.parse(chunks.join('')) as Snapshot;
}

/** Adds one object of `bytes` to `key`'s total. */
function tally(totals: Map<string, { bytes: number; count: number }>, key: string, bytes: number): void {
  const entry = totals.get(key) ?? { bytes: 0, count: 0 };
  entry.bytes += bytes;
  entry.count += 1;
  totals.set(key, entry);
}

/** `type:name` of every node, as the census groups them. */
function nodeKey(data: Snapshot, index: number): string {
  const fields = data.snapshot.meta.node_fields;
  const type = data.snapshot.meta.node_types[0][data.nodes[index + fields.indexOf('type')] as number] ?? '?';
  let name = data.strings[data.nodes[index + fields.indexOf('name')] as number] ?? '?';
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number') name = '';
  if (name.length > 60) name = `${name.slice(0, 60)}…`;
  return `${type}:${name}`;
}

/**
 * For the objects of kind `key`: who holds them, as chains of `holder.edge` up to `depth`
 * levels, with how many objects each chain holds. (Snapshot ids are not stable from one
 * snapshot to the next here, so new objects are found by comparing these counts.)
 */
function retainerChains(data: Snapshot, key: string, depth: number): Map<string, { bytes: number; count: number }> {
  const nodeFields = data.snapshot.meta.node_fields;
  const width = nodeFields.length;
  const edgeCountAt = nodeFields.indexOf('edge_count');
  const sizeAt = nodeFields.indexOf('self_size');
  const edgeWidth = data.snapshot.meta.edge_fields.length;
  const edgeTypeAt = data.snapshot.meta.edge_fields.indexOf('type');
  const edgeNameAt = data.snapshot.meta.edge_fields.indexOf('name_or_index');
  const edgeToAt = data.snapshot.meta.edge_fields.indexOf('to_node');
  const edgeTypes = data.snapshot.meta.edge_types[0];
  const holders = new Map<number, { from: number; edge: string }>();
  let edge = 0;
  for (let node = 0; node < data.nodes.length; node += width) {
    const count = data.nodes[node + edgeCountAt] as number;
    for (let i = 0; i < count; i++, edge += edgeWidth) {
      const type = edgeTypes[data.edges[edge + edgeTypeAt] as number];
      if (type === 'weak') continue;
      const to = data.edges[edge + edgeToAt] as number;
      if (holders.has(to)) continue;
      const nameOrIndex = data.edges[edge + edgeNameAt] as number;
      const name = type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : (data.strings[nameOrIndex] ?? '?');
      holders.set(to, { from: node, edge: name });
    }
  }
  const chains = new Map<string, { bytes: number; count: number }>();
  for (let node = 0; node < data.nodes.length; node += width) {
    if (nodeKey(data, node) !== key) continue;
    const parts: string[] = [];
    let at = node;
    for (let level = 0; level < depth; level++) {
      const holder = holders.get(at);
      if (holder === undefined) break;
      parts.push(`${nodeKey(data, holder.from)}.${holder.edge}`);
      at = holder.from;
    }
    tally(chains, parts.join(' <- '), data.nodes[node + sizeAt] as number);
  }
  return chains;
}

/** Self size and count of live heap objects, by `type:name`. */
function heapCensus(data: Snapshot): Map<string, { bytes: number; count: number }> {
  const fields = data.snapshot.meta.node_fields;
  const width = fields.length;
  const sizeAt = fields.indexOf('self_size');
  const census = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < data.nodes.length; i += width) tally(census, nodeKey(data, i), data.nodes[i + sizeAt] as number);
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
  const kind = MEMORY_KINDS.find((candidate) => candidate.name.includes(pattern));
  if (kind === undefined) throw new Error(`no client kind matches "${pattern}"`);
  const count = Number(countText);
  const server = await startServer<ServerInfo>('fast-server.js', []);
  const drivers: Driver[] = [];
  try {
    await openMany(() => kind.create(server.info), 10, drivers);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const traced = process.env['HEAP_TRACE'];
    const depth = Number(process.env['HEAP_DEPTH'] ?? 4);
    const { before, chainsBefore } = await (async () => {
      const first = await takeSnapshot();
      const chains = traced === undefined ? new Map<string, { bytes: number; count: number }>() : retainerChains(first, traced, depth);
      return { before: heapCensus(first), chainsBefore: chains };
    })();
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
    const second = await takeSnapshot();
    const after = heapCensus(second);
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
    if (traced !== undefined) {
      const grown = [...retainerChains(second, traced, depth)]
        .map(([chain, entry]) => {
          const old = chainsBefore.get(chain) ?? { bytes: 0, count: 0 };
          return { chain, bytes: (entry.bytes - old.bytes) / count, count: (entry.count - old.count) / count };
        })
        .filter((row) => Math.abs(row.bytes) >= 4)
        .sort((a, b) => b.bytes - a.bytes);
      process.stdout.write(`\nwho holds the new ${traced} objects (per connection):\n`);
      for (const row of grown.slice(0, 25)) {
        process.stdout.write(`${row.bytes.toFixed(0).padStart(7)} B  ${row.count.toFixed(2).padStart(6)} ×  ${row.chain}\n`);
      }
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
