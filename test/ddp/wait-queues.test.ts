import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimedWait } from '../../src/ddp/wait-queues.js';

/** A wait that records when it ended, on `performance.now()`. */
class Probe extends TimedWait {
  endedAt: number | undefined;
  startedAt = 0;

  start(ms: number): this {
    this.startedAt = performance.now();
    this.startWait(ms);
    return this;
  }

  protected waitOver(): void {
    this.endedAt = performance.now();
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TimedWait', () => {
  it('ends each wait of a length in order, one timer serving them all, and never early', async () => {
    vi.useFakeTimers();
    const probes = [new Probe().start(100)];
    await vi.advanceTimersByTimeAsync(30);
    probes.push(new Probe().start(100));
    await vi.advanceTimersByTimeAsync(30);
    probes.push(new Probe().start(100));
    expect(vi.getTimerCount()).toBe(1);
    probes[1]?.stopWait();
    await vi.advanceTimersByTimeAsync(39);
    expect(probes.map((probe) => probe.endedAt)).toEqual([undefined, undefined, undefined]);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes[0]?.endedAt).toBe((probes[0]?.startedAt ?? 0) + 100);
    await vi.advanceTimersByTimeAsync(60);
    expect(probes[1]?.endedAt).toBeUndefined();
    expect(probes[2]?.endedAt).toBe((probes[2]?.startedAt ?? 0) + 100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('restarts a wait from now, and moves it behind the others when it was not last', async () => {
    vi.useFakeTimers();
    const first = new Probe().start(100);
    const second = new Probe().start(100);
    await vi.advanceTimersByTimeAsync(50);
    first.restartWait(); // now after the second
    second.restartWait();
    await vi.advanceTimersByTimeAsync(99);
    expect([first.endedAt, second.endedAt]).toEqual([undefined, undefined]);
    await vi.advanceTimersByTimeAsync(1);
    expect(first.endedAt).toBeDefined();
    expect(second.endedAt).toBeDefined();
    expect(first.waiting || second.waiting).toBe(false);
  });

  it('moves a wait restarted from the middle of its queue behind the others, and ends each in order', async () => {
    vi.useFakeTimers();
    const [first, middle, last] = [new Probe().start(100), new Probe().start(100), new Probe().start(100)];
    await vi.advanceTimersByTimeAsync(40);
    middle.restartWait(); // ends at 140 now, after the last
    await vi.advanceTimersByTimeAsync(60);
    expect([first.endedAt, middle.endedAt, last.endedAt]).toEqual([first.startedAt + 100, undefined, last.startedAt + 100]);
    await vi.advanceTimersByTimeAsync(39);
    expect(middle.endedAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(middle.endedAt).toBe(middle.startedAt + 140);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps the process alive while a queue has waits, and not once its last wait has stopped', () => {
    const referencedTimers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = referencedTimers();
    const one = new Probe().start(987_654);
    const two = new Probe().start(987_654);
    expect(referencedTimers()).toBe(before + 1); // one timer for the queue
    one.stopWait();
    expect(referencedTimers()).toBe(before + 1);
    two.stopWait();
    expect(referencedTimers()).toBe(before); // kept, unreferenced
    const three = new Probe().start(987_654);
    expect(referencedTimers()).toBe(before + 1); // the same timer, referenced again
    three.stopWait();
    expect(referencedTimers()).toBe(before);
  });

  it('never ends a wait early on the real clock', async () => {
    const probes = [new Probe().start(20), new Probe().start(20), new Probe().start(35)];
    await vi.waitFor(() => expect(probes.every((probe) => probe.endedAt !== undefined)).toBe(true), { timeout: 2000 });
    for (const probe of probes) expect((probe.endedAt ?? 0) - probe.startedAt).toBeGreaterThanOrEqual(probe === probes[2] ? 35 : 20);
  });

  it('sets a queue timer again when the timers it was set with are gone (fake timers, then real ones)', async () => {
    vi.useFakeTimers();
    const underFake = new Probe().start(25);
    underFake.stopWait(); // its queue keeps the fake timer, left to fire
    vi.useRealTimers();
    const underReal = new Probe().start(25);
    await vi.waitFor(() => expect(underReal.endedAt).toBeDefined(), { timeout: 2000 });
    expect(underFake.endedAt).toBeUndefined();
  });
});
