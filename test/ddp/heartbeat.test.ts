import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_HEARTBEAT_OPTIONS, Heartbeat, type HeartbeatOptions } from '../../src/ddp/heartbeat.js';

/** A link that counts its pings and timeouts (or runs the given ones). */
class CountingLink extends Heartbeat {
  pings = 0;
  timeouts = 0;
  readonly intervalMs: number;
  readonly timeoutMs: number;

  constructor(
    options: Partial<HeartbeatOptions> = {},
    private readonly onPing?: () => void,
    private readonly onDead?: () => void,
  ) {
    super();
    this.intervalMs = options.intervalMs ?? DEFAULT_HEARTBEAT_OPTIONS.intervalMs;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_HEARTBEAT_OPTIONS.timeoutMs;
  }

  protected sendPing(): void {
    this.pings++;
    this.onPing?.();
  }

  protected onTimeout(): void {
    this.timeouts++;
    this.onDead?.();
  }
}

describe('Heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses the Meteor defaults: ping after 17.5 s of silence, dead after 15 s more', () => {
    expect(DEFAULT_HEARTBEAT_OPTIONS).toEqual({ intervalMs: 17_500, timeoutMs: 15_000 });
    const heartbeat = new CountingLink();
    heartbeat.startHeartbeat();
    vi.advanceTimersByTime(17_499);
    expect(heartbeat.pings).toBe(0);
    vi.advanceTimersByTime(1);
    expect(heartbeat.pings).toBe(1);
    expect(heartbeat.awaitingAnswer).toBe(true);
    vi.advanceTimersByTime(14_999);
    expect(heartbeat.timeouts).toBe(0);
    vi.advanceTimersByTime(1);
    expect(heartbeat.timeouts).toBe(1);
    expect(heartbeat.heartbeatRunning).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not ping while frames keep arriving', () => {
    const heartbeat = new CountingLink();
    heartbeat.startHeartbeat();
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(10_000);
      heartbeat.messageReceived();
    }
    expect(heartbeat.pings).toBe(0);
    vi.advanceTimersByTime(17_500);
    expect(heartbeat.pings).toBe(1);
    heartbeat.stopHeartbeat();
  });

  it('counts the interval from the last inbound frame', () => {
    const heartbeat = new CountingLink();
    heartbeat.startHeartbeat();
    vi.advanceTimersByTime(10_000);
    heartbeat.messageReceived();
    vi.advanceTimersByTime(17_499);
    expect(heartbeat.pings).toBe(0);
    vi.advanceTimersByTime(1);
    expect(heartbeat.pings).toBe(1);
    heartbeat.stopHeartbeat();
  });

  it('treats any frame after the ping as an answer and starts over', () => {
    const heartbeat = new CountingLink();
    heartbeat.startHeartbeat();
    vi.advanceTimersByTime(17_500);
    expect(heartbeat.pings).toBe(1);
    vi.advanceTimersByTime(14_000);
    heartbeat.messageReceived();
    expect(heartbeat.awaitingAnswer).toBe(false);
    vi.advanceTimersByTime(15_000);
    expect(heartbeat.timeouts).toBe(0);
    vi.advanceTimersByTime(2_500);
    expect(heartbeat.pings).toBe(2);
    heartbeat.stopHeartbeat();
  });

  it('sends one ping per silence, never a second one while waiting', () => {
    const heartbeat = new CountingLink({ intervalMs: 100, timeoutMs: 1000 });
    heartbeat.startHeartbeat();
    vi.advanceTimersByTime(999);
    expect(heartbeat.pings).toBe(1);
    heartbeat.stopHeartbeat();
  });

  it('stops cleanly: no callback afterwards, and the timer it shared ends by itself', () => {
    const heartbeat = new CountingLink();
    heartbeat.startHeartbeat();
    vi.advanceTimersByTime(17_500);
    heartbeat.stopHeartbeat();
    heartbeat.stopHeartbeat();
    expect(heartbeat.heartbeatRunning).toBe(false);
    // The answer wait's timer stays (unreferenced: it keeps no process alive) until it fires.
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100_000);
    expect(heartbeat.timeouts).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    heartbeat.messageReceived();
    expect(heartbeat.heartbeatRunning).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('restarts on start() without leaking timers: at most one per duration', () => {
    const heartbeat = new CountingLink();
    heartbeat.startHeartbeat();
    heartbeat.startHeartbeat();
    heartbeat.startHeartbeat();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(17_500);
    expect(heartbeat.pings).toBe(1);
    heartbeat.startHeartbeat(); // the answer wait's timer stays until it fires, with nothing to do
    expect(vi.getTimerCount()).toBe(2);
    vi.advanceTimersByTime(15_000);
    expect(vi.getTimerCount()).toBe(1);
    expect(heartbeat.timeouts).toBe(0);
    heartbeat.stopHeartbeat();
    vi.advanceTimersByTime(17_500);
    expect(vi.getTimerCount()).toBe(0);
    expect(heartbeat.pings).toBe(1);
  });

  it('never lets a throwing ping or timeout escape a timer', () => {
    const heartbeat = new CountingLink(
      { intervalMs: 10, timeoutMs: 10 },
      () => {
        throw new Error('socket gone');
      },
      () => {
        throw new Error('boom');
      },
    );
    heartbeat.startHeartbeat();
    expect(() => vi.advanceTimersByTime(100)).not.toThrow();
    expect(heartbeat.heartbeatRunning).toBe(false);
  });
  it('serves every heartbeat of a duration with one timer, each pinging after its own silence', () => {
    const heartbeats = [new CountingLink(), new CountingLink(), new CountingLink()];
    heartbeats[0]?.startHeartbeat();
    vi.advanceTimersByTime(1_000);
    heartbeats[1]?.startHeartbeat();
    vi.advanceTimersByTime(1_000);
    heartbeats[2]?.startHeartbeat();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(10_000);
    heartbeats[0]?.messageReceived(); // the first one now waits the longest
    vi.advanceTimersByTime(6_499); // 17,499 ms after the second one started
    expect(heartbeats.map((heartbeat) => heartbeat.pings)).toEqual([0, 0, 0]);
    vi.advanceTimersByTime(1);
    expect(heartbeats.map((heartbeat) => heartbeat.pings)).toEqual([0, 1, 0]);
    vi.advanceTimersByTime(1_000);
    expect(heartbeats.map((heartbeat) => heartbeat.pings)).toEqual([0, 1, 1]);
    vi.advanceTimersByTime(10_000); // 17,500 ms after the first one's frame
    expect(heartbeats.map((heartbeat) => heartbeat.pings)).toEqual([1, 1, 1]);
    // Two queues now: the answer timeouts of the second and third, the silence of none.
    heartbeats[1]?.messageReceived();
    vi.advanceTimersByTime(5_000); // 15 s after the third's ping; the first's is 5 s old
    expect(heartbeats.map((heartbeat) => heartbeat.timeouts)).toEqual([0, 0, 1]);
    expect(heartbeats.map((heartbeat) => heartbeat.heartbeatRunning)).toEqual([true, true, false]);
    for (const heartbeat of heartbeats) heartbeat.stopHeartbeat();
    expect(vi.getTimerCount()).toBe(2); // one per duration, left to fire with nothing to do
    vi.advanceTimersByTime(17_500);
    expect(vi.getTimerCount()).toBe(0);
    expect(heartbeats.map((heartbeat) => heartbeat.pings)).toEqual([1, 1, 1]);
  });

  it('keeps the others on time when one stops, and idle and answer waits of the same length apart', () => {
    const quick = { intervalMs: 100, timeoutMs: 100 };
    const heartbeats = [new CountingLink(quick), new CountingLink(quick)];
    const [first, second] = heartbeats as [CountingLink, CountingLink];
    first.startHeartbeat();
    vi.advanceTimersByTime(50);
    second.startHeartbeat();
    vi.advanceTimersByTime(50);
    expect(heartbeats.map((heartbeat) => heartbeat.pings)).toEqual([1, 0]);
    first.stopHeartbeat(); // it was first in line, its ping out
    vi.advanceTimersByTime(49);
    expect(heartbeats.map((heartbeat) => heartbeat.pings)).toEqual([1, 0]);
    vi.advanceTimersByTime(1);
    expect(heartbeats.map((heartbeat) => heartbeat.pings)).toEqual([1, 1]);
    expect(second.awaitingAnswer).toBe(true);
    vi.advanceTimersByTime(100);
    expect(heartbeats.map((heartbeat) => heartbeat.timeouts)).toEqual([0, 1]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
