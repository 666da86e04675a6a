/**
 * 10,000 logged-in, subscribed `RocketChatClient`s in one process against the fake server
 * (its own process): time to open, memory, two heartbeat periods up, clean close.
 */
import type { ServerInfo } from '../clients/driver.js';
import { runWorker, startServer } from '../lib/child.js';
import { scaled } from '../lib/config.js';
import { formatNumber } from '../lib/stats.js';
import type { Row } from '../lib/table.js';

interface ManyResult {
  count: number;
  heartbeatMs: number;
  stayMs: number;
  openMs: number;
  closeMs: number;
  bytesPerConnection: number;
  heapAndExternalMB: number;
  rssMB: number;
  rssPerConnection: number;
  bytesLeftAfterClose: number;
  stillConnected: number;
  drops: number;
  minHeartbeats: number;
  leftovers: string[];
}

/** The heartbeat interval (and timeout) of both sides during the run: `BENCH_HEARTBEAT_MS`, default 5000. */
const HEARTBEAT_MS = Number(process.env['BENCH_HEARTBEAT_MS'] ?? 5_000);

/** Runs the many-connections benchmark. */
export async function runManyBenchmark(log: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const count = scaled(10_000, 100);
  const server = await startServer<ServerInfo>('fake-server.js', [String(HEARTBEAT_MS)]);
  try {
    log(`many: ${count} RocketChatClients, heartbeat ${HEARTBEAT_MS} ms`);
    const result = await runWorker<ManyResult>('many-worker.js', [JSON.stringify(server.info), String(count), String(HEARTBEAT_MS)], {
      execArgv: ['--expose-gc', '--max-old-space-size=4096'],
      timeoutMs: 600_000,
      onProgress: log,
    });
    const serverStats = await server.stats();
    const serverOpen = Number(serverStats['open']);
    const upOk = result.stillConnected === count && result.drops === 0 && result.minHeartbeats >= 2;
    const closedOk = serverOpen === 0 && result.leftovers.length === 0;
    const figure = `${count} logged-in, subscribed RocketChatClients in one process (fake server)`;
    const rows: Row[] = [
      {
        figure,
        subject: 'open (connect + login + room stream)',
        value: `${formatNumber(result.openMs / 1000)} s`,
        ratio: '',
        target: 'opens',
        verdict: 'met',
        note: `${formatNumber(count / (result.openMs / 1000))} connections/s, 200 at a time`,
      },
      {
        figure: '',
        subject: 'memory when open',
        value: `${formatNumber(result.bytesPerConnection / 1024)} KB/conn`,
        ratio: '',
        target: '',
        verdict: '',
        note: `heap+external ${formatNumber(result.heapAndExternalMB)} MB, RSS ${formatNumber(result.rssMB)} MB (${formatNumber(result.rssPerConnection / 1024)} KB/conn)`,
      },
      {
        figure: '',
        subject: `up ${result.stayMs} ms (2 heartbeat periods + ½)`,
        value: `${result.stillConnected}/${count} connected`,
        ratio: '',
        target: 'all stay up',
        verdict: upOk ? 'met' : 'MISSED',
        note: `${result.drops} drops, session unchanged, ≥ ${result.minHeartbeats} ping/pong each (heartbeat ${result.heartbeatMs} ms)`,
      },
      {
        figure: '',
        subject: 'close all',
        value: `${formatNumber(result.closeMs)} ms`,
        ratio: '',
        target: 'closes cleanly',
        verdict: closedOk ? 'met' : 'MISSED',
        note: `server sees ${serverOpen} open; handles left: ${result.leftovers.length === 0 ? 'none' : result.leftovers.join(', ')}; heap+external ${formatNumber(result.bytesLeftAfterClose / 1024)} KB above the start (${formatNumber(result.bytesLeftAfterClose / count)} B/conn)`,
      },
    ];
    return { rows, raw: { ...result, serverOpenAfterClose: serverOpen } };
  } finally {
    await server.stop();
  }
}
