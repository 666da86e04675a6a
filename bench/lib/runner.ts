/**
 * Drives a client: pipelined (a fixed number of calls in flight) or sequential (one at a
 * time), with a watchdog so that a stuck client fails the run instead of hanging it.
 */
import type { DecodedMessage, Driver } from '../clients/driver.js';

/** No progress for this long fails the run. */
const STALL_MS = 30_000;

function checked(message: DecodedMessage): boolean {
  return message.ts instanceof Date;
}

/**
 * Sends `count` `sendMessage` calls keeping `inFlight` of them outstanding, and resolves when
 * every result is in. Each result must carry `ts` as a `Date`.
 */
export function runPipelined(driver: Driver, count: number, inFlight: number, firstSeq = 0): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let sent = 0;
    let received = 0;
    let lastReceived = -1;
    let finished = false;
    const finish = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error(String(error)));
    };
    const watchdog = setInterval(() => {
      if (received === lastReceived) finish(new Error(`stalled: ${received}/${count} results after ${STALL_MS} ms without progress`));
      lastReceived = received;
    }, STALL_MS);
    const done = (message: DecodedMessage): void => {
      if (!checked(message)) {
        finish(new Error(`result without a Date ts: ${JSON.stringify(message).slice(0, 200)}`));
        return;
      }
      received++;
      if (sent < count) sendNext();
      else if (received === count) finish();
    };
    const sendNext = (): void => {
      const seq = firstSeq + sent++;
      driver.send(seq, done, finish);
    };
    const initial = Math.min(inFlight, count);
    for (let i = 0; i < initial; i++) sendNext();
  });
}

/** Sends `count` calls one after the other; returns each round trip in µs. */
export async function runSequential(driver: Driver, count: number, firstSeq = 0): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`call ${i} took more than ${STALL_MS} ms`)), STALL_MS);
      driver.send(
        firstSeq + i,
        (message) => {
          clearTimeout(timer);
          if (checked(message)) resolve();
          else reject(new Error('result without a Date ts'));
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
    latencies.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return latencies;
}

/** Runs `global.gc` (the benchmarks run with `--expose-gc`), twice to reach weak and old objects. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run node with --expose-gc');
  gc();
  gc();
}

/** Heap plus memory held outside it for JS objects (`external` includes `arrayBuffers`). */
export function heapAndExternal(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}
