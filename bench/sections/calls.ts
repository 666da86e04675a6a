/**
 * Client CPU per pipelined `sendMessage` and sequential round-trip latency, every client
 * against the same minimal server process, interleaved, warmed up, medians of repetitions.
 */
import type { ClientKind, Driver, ServerInfo } from '../clients/driver.js';
import { startServer } from '../lib/child.js';
import { collectGarbage, runPipelined, runSequentialInterleaved, shuffled } from '../lib/runner.js';
import { compare, median, percentile } from '../lib/stats.js';
import type { Subject, SubjectResult } from '../lib/stats.js';
import { rowsFor } from '../lib/table.js';
import type { Row } from '../lib/table.js';
import { REPS, scaled } from '../lib/config.js';

/**
 * Calls each subject makes, unmeasured, after the full garbage collection that starts each
 * repetition. That collection undoes part of the warm-up: V8 drops the optimized code built
 * for object layouts that no object has any more (Node's own promise-job loop among them, so
 * every promise-based client, not the callback-based baseline), and the repetition would
 * otherwise measure the code being optimized again.
 */
const REWARM_CALLS = scaled(1_000, 50);

/** Notes of the figure measured right after a full garbage collection. */
const AFTER_GC_NOTES: Readonly<Record<string, string>> = {
  'ws loop (baseline)': 'no target; what a forced full GC costs each subject until its code is optimized again',
};

/** Which subjects the targets apply to. */
export type TargetFilter = (name: string) => boolean;

/** Options of {@link runCallBenchmarks}. */
export interface CallBenchOptions {
  readonly kinds: readonly ClientKind[];
  readonly ours: TargetFilter;
  /** Reference subjects: measured in the same group as ours, with no target. */
  readonly reference: TargetFilter;
  readonly throughput: boolean;
  readonly latency: boolean;
  readonly log: (line: string) => void;
}

/** Results of the call benchmarks, as table rows and raw numbers. */
export interface CallBenchResults {
  readonly rows: Row[];
  readonly raw: Record<string, unknown>;
}

let seq = 0;

/** Runs the pipelined and sequential call benchmarks. */
export async function runCallBenchmarks(options: CallBenchOptions): Promise<CallBenchResults> {
  const server = await startServer<ServerInfo>('fast-server.js', []);
  const drivers: Subject<Driver>[] = [];
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const notes = Object.fromEntries(options.kinds.map((kind) => [kind.name, kind.note]));
  try {
    for (const kind of options.kinds) {
      const driver = kind.create(server.info);
      await driver.open();
      drivers.push({ name: kind.name, subject: driver });
    }
    if (options.throughput) {
      const calls = scaled(20_000, 200);
      const inFlight = 100;
      options.log(`pipelined: ${calls} calls, ${inFlight} in flight, ${REPS} reps`);
      // In chunks, the subjects taking turns in a random order, so that every subject
      // samples the same stretches of time (the CPU a call costs drifts with the state of the
      // VM, as the latency does).
      const chunk = Math.min(calls, 5_000);
      const perCall = drivers.map(() => [] as number[]);
      for (let round = -1; round < REPS; round++) {
        collectGarbage();
        for (const index of shuffled(drivers.length)) {
          await runPipelined((drivers[index] as Subject<Driver>).subject, REWARM_CALLS, inFlight, seq);
          seq += REWARM_CALLS;
        }
        const used = drivers.map(() => 0);
        for (let done = 0; done < calls; done += chunk) {
          for (const index of shuffled(drivers.length)) {
            const before = process.cpuUsage();
            await runPipelined((drivers[index] as Subject<Driver>).subject, chunk, inFlight, seq);
            seq += chunk;
            const spent = process.cpuUsage(before);
            used[index] = (used[index] as number) + spent.user + spent.system;
          }
        }
        if (round < 0) continue;
        used.forEach((micros, index) => (perCall[index] as number[]).push(micros / calls));
        options.log(`rep ${round + 1}/${REPS}: ${drivers.map((driver, index) => `${driver.name} ${((used[index] as number) / calls).toFixed(2)}`).join(', ')}`);
      }
      const results = compare(drivers.map((driver, index) => ({ name: driver.name, values: perCall[index] as number[] })));
      raw['pipelined'] = { calls, inFlight, results };
      rows.push(
        ...rowsFor(`client CPU per pipelined sendMessage (${calls} calls, ${inFlight} in flight)`, results, {
          unit: 'µs',
          target: { kind: 'max', limit: 1.0 },
          targetFor: options.ours,
          notes,
        }),
      );
    }
    if (options.latency) {
      const calls = scaled(2_000, 50);
      options.log(`sequential: ${calls} calls, ${REPS} reps`);
      // Call by call rather than run by run: on this VM a round trip takes about 45 µs or
      // about 105 µs depending on whether the idle vCPUs poll or halt, a state that drifts
      // over seconds; subjects taking turns each call all see the same state. Two groups,
      // each with the baseline: our clients (and the reference row), and the peers, whose
      // ~1 ms per call would put an idle gap before every call of a subject that shares their
      // turns.
      const baseline = drivers[0] as Subject<Driver>;
      const withOurs = (name: string): boolean => options.ours(name) || options.reference(name);
      const groups = [
        [baseline, ...drivers.filter((driver) => withOurs(driver.name))],
        [baseline, ...drivers.filter((driver) => driver !== baseline && !withOurs(driver.name))],
      ].filter((group) => group.length > 1);
      const resultsPerGroup = [];
      const afterGcPerGroup = [];
      const all = new Map<string, number[]>();
      for (const group of groups) {
        const subjects = group.map((driver) => driver.subject);
        const p50s = group.map(() => [] as number[]);
        const afterGcP50s = group.map(() => [] as number[]);
        for (let round = -1; round < REPS; round++) {
          collectGarbage();
          // The calls that warm the code up again are timed too: the figure right after a full collection.
          const afterGc = await runSequentialInterleaved(subjects, REWARM_CALLS, seq);
          seq += REWARM_CALLS * group.length;
          const latencies = await runSequentialInterleaved(subjects, calls, seq);
          seq += calls * group.length;
          if (round < 0) continue;
          latencies.forEach((values, index) => (p50s[index] as number[]).push(median(values)));
          afterGc.forEach((values, index) => (afterGcP50s[index] as number[]).push(median(values)));
          group.forEach((driver, index) => all.set(driver.name, [...(all.get(driver.name) ?? []), ...(latencies[index] as number[])]));
          options.log(`rep ${round + 1}/${REPS}: ${group.map((driver, index) => `${driver.name} ${median(latencies[index] as number[]).toFixed(1)}`).join(', ')}`);
        }
        resultsPerGroup.push(compare(group.map((driver, index) => ({ name: driver.name, values: p50s[index] as number[] }))));
        afterGcPerGroup.push(compare(group.map((driver, index) => ({ name: driver.name, values: afterGcP50s[index] as number[] }))));
      }
      // The baseline's row is the one measured with our clients; each peer's ratio is to the
      // baseline of its own group.
      const merged = (perGroup: SubjectResult[][]): SubjectResult[] => perGroup.flatMap((group, index) => (index === 0 ? group : group.slice(1)));
      const results = merged(resultsPerGroup);
      const afterGcResults = merged(afterGcPerGroup);
      raw['sequential'] = {
        calls,
        results,
        afterFullGc: { calls: REWARM_CALLS, results: afterGcResults },
        p99: Object.fromEntries([...all].map(([name, values]) => [name, percentile(values, 99)])),
      };
      rows.push(
        ...rowsFor(`sequential round trip p50 (${calls} calls)`, results, {
          unit: 'µs',
          target: { kind: 'max', limit: 1.1 },
          targetFor: options.ours,
          notes,
        }),
        ...rowsFor(`sequential round trip p50, the first ${REWARM_CALLS} calls after a full GC`, afterGcResults, {
          unit: 'µs',
          notes: AFTER_GC_NOTES,
        }),
      );
    }
  } finally {
    for (const { subject } of drivers) await subject.close().catch(() => undefined);
    await server.stop();
  }
  return { rows, raw };
}
