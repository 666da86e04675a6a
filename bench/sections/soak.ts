/**
 * The soak: 1,000,000 `sendMessage` calls through one `RocketChatClient` against the minimal
 * server; heap after GC must stay flat from the first to the last tenth of the run.
 */
import type { ServerInfo } from '../clients/driver.js';
import { runWorker, startServer } from '../lib/child.js';
import { scaled } from '../lib/config.js';
import { formatNumber } from '../lib/stats.js';
import type { Row } from '../lib/table.js';

interface Checkpoint {
  calls: number;
  heapAndExternal: number;
  listeners: number;
  timers: number;
  seconds: number;
}

interface SoakResult {
  calls: number;
  start: { heapAndExternal: number; listeners: number; timers: number };
  checkpoints: Checkpoint[];
  growth: number;
}

/** Runs the soak. */
export async function runSoakBenchmark(log: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const calls = scaled(1_000_000, 10_000);
  const server = await startServer<ServerInfo>('fast-server.js', []);
  try {
    log(`soak: ${calls} calls through one RocketChatClient`);
    const result = await runWorker<SoakResult>('soak-worker.js', [JSON.stringify(server.info), String(calls)], {
      execArgv: ['--expose-gc'],
      timeoutMs: 900_000,
      onProgress: log,
    });
    const first = result.checkpoints[0] as Checkpoint;
    const last = result.checkpoints[result.checkpoints.length - 1] as Checkpoint;
    const mb = (bytes: number): string => `${formatNumber(bytes / 2 ** 20)} MB`;
    const rows: Row[] = [
      {
        figure: `soak: ${result.calls} sendMessage through one RocketChatClient (100 in flight)`,
        subject: 'heap + external after GC, first → last tenth',
        value: `${mb(first.heapAndExternal)} → ${mb(last.heapAndExternal)}`,
        ratio: `${result.growth >= 0 ? '+' : ''}${(result.growth * 100).toFixed(2)} %`,
        target: '< 5 % growth',
        verdict: result.growth < 0.05 ? 'met' : 'MISSED',
        note: `listeners ${first.listeners} → ${last.listeners}, timers ${first.timers} → ${last.timers}; ${formatNumber(result.calls / last.seconds / 1000)} k calls/s`,
      },
    ];
    return { rows, raw: result as unknown as Record<string, unknown> };
  } finally {
    await server.stop();
  }
}
