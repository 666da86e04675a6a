/**
 * Heap + external memory per logged-in connection with one room stream subscribed (and, for
 * our clients, the heartbeat armed), each kind measured in a fresh process, interleaved,
 * against the minimal server; the baseline is the hand-written `ws` loop's connection.
 */
import type { ClientKind, ServerInfo } from '../clients/driver.js';
import { runWorker, startServer } from '../lib/child.js';
import { REPS, scaled } from '../lib/config.js';
import { interleaved } from '../lib/stats.js';
import { rowsFor } from '../lib/table.js';
import type { Row } from '../lib/table.js';

/** Runs the memory-per-connection benchmark. */
export async function runMemoryBenchmark(
  kinds: readonly ClientKind[],
  ours: (name: string) => boolean,
  log: (line: string) => void,
): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const server = await startServer<ServerInfo>('fast-server.js', []);
  const count = scaled(500, 20);
  const left = new Map<string, number[]>();
  try {
    log(`memory: ${count} connections per kind and repetition, ${REPS} reps`);
    const results = await interleaved(
      kinds.map((kind) => ({ name: kind.shortName, subject: kind })),
      { reps: REPS, warmUps: 0, onProgress: log },
      async (kind) => {
        const result = await runWorker<{ bytesPerConnection: number; bytesLeftPerConnection: number }>(
          'memory-worker.js',
          [kind.name, JSON.stringify(server.info), String(count)],
          { execArgv: ['--expose-gc'], timeoutMs: 150_000 },
        );
        left.set(kind.shortName, [...(left.get(kind.shortName) ?? []), result.bytesLeftPerConnection]);
        return result.bytesPerConnection / 1024;
      },
    );
    return {
      rows: rowsFor(`heap + external per logged-in, subscribed connection (${count} → ${2 * count} connections)`, results, {
        unit: 'KB',
        target: { kind: 'max', limit: 1.2 },
        targetFor: ours,
        notes: Object.fromEntries(kinds.map((kind) => [kind.shortName, kind.memoryNote])),
      }),
      raw: { count, results, bytesLeftPerConnectionAfterClose: Object.fromEntries(left) },
    };
  } finally {
    await server.stop();
  }
}
