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

/** One call, timed: its round trip in µs (rejects if it fails or takes longer than the watchdog allows). */
function timedCall(driver: Driver, seq: number): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`call ${seq} took more than ${STALL_MS} ms`)), STALL_MS);
    driver.send(
      seq,
      (message) => {
        clearTimeout(timer);
        if (checked(message)) resolve(Number(process.hrtime.bigint() - start) / 1000);
        else reject(new Error('result without a Date ts'));
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Sends `count` calls one after the other; returns each round trip in µs. */
export async function runSequential(driver: Driver, count: number, firstSeq = 0): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) latencies.push(await timedCall(driver, firstSeq + i));
  return latencies;
}

/** The indices `0 … count - 1` in a random order (Fisher–Yates). */
export function shuffled(count: number, random: () => number = Math.random): number[] {
  const order = Array.from({ length: count }, (_, index) => index);
  for (let k = count - 1; k > 0; k--) {
    const other = Math.floor(random() * (k + 1));
    [order[k], order[other]] = [order[other] as number, order[k] as number];
  }
  return order;
}

/**
 * `count` sequential calls per driver, the drivers taking turns call by call: every driver's
 * round trips are measured in the same stretch of time, under the same state of the machine.
 * Each turn goes in a fresh random order, so that no driver always follows the same
 * one: a call right after a slow peer's finds the CPUs idle, one right after a fast call finds
 * them awake. Returns each driver's round trips in µs, in the order of `drivers`.
 */
export async function runSequentialInterleaved(drivers: readonly Driver[], count: number, firstSeq = 0): Promise<number[][]> {
  const latencies = drivers.map(() => [] as number[]);
  let seq = firstSeq;
  for (let i = 0; i < count; i++) {
    for (const index of shuffled(drivers.length)) {
      (latencies[index] as number[]).push(await timedCall(drivers[index] as Driver, seq++));
    }
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
