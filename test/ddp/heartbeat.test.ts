import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_HEARTBEAT_OPTIONS, Heartbeat, type HeartbeatHost } from '../../src/ddp/heartbeat.js';

function fakeHost(options: Partial<HeartbeatHost> = {}): HeartbeatHost & { pings: number; timeouts: number } {
  const host = {
    ...DEFAULT_HEARTBEAT_OPTIONS,
    pings: 0,
    timeouts: 0,
    sendPing: () => {
      host.pings++;
    },
    onTimeout: () => {
      host.timeouts++;
    },
    ...options,
  };
  return host;
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
    const host = fakeHost();
    const heartbeat = new Heartbeat(host);
    heartbeat.start();
    vi.advanceTimersByTime(17_499);
    expect(host.pings).toBe(0);
    vi.advanceTimersByTime(1);
    expect(host.pings).toBe(1);
    expect(heartbeat.awaitingAnswer).toBe(true);
    vi.advanceTimersByTime(14_999);
    expect(host.timeouts).toBe(0);
    vi.advanceTimersByTime(1);
    expect(host.timeouts).toBe(1);
    expect(heartbeat.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not ping while frames keep arriving', () => {
    const host = fakeHost();
    const heartbeat = new Heartbeat(host);
    heartbeat.start();
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(10_000);
      heartbeat.messageReceived();
    }
    expect(host.pings).toBe(0);
    vi.advanceTimersByTime(17_500);
    expect(host.pings).toBe(1);
    heartbeat.stop();
  });

  it('counts the interval from the last inbound frame', () => {
    const host = fakeHost();
    const heartbeat = new Heartbeat(host);
    heartbeat.start();
    vi.advanceTimersByTime(10_000);
    heartbeat.messageReceived();
    vi.advanceTimersByTime(17_499);
    expect(host.pings).toBe(0);
    vi.advanceTimersByTime(1);
    expect(host.pings).toBe(1);
    heartbeat.stop();
  });

  it('treats any frame after the ping as an answer and starts over', () => {
    const host = fakeHost();
    const heartbeat = new Heartbeat(host);
    heartbeat.start();
    vi.advanceTimersByTime(17_500);
    expect(host.pings).toBe(1);
    vi.advanceTimersByTime(14_000);
    heartbeat.messageReceived();
    expect(heartbeat.awaitingAnswer).toBe(false);
    vi.advanceTimersByTime(15_000);
    expect(host.timeouts).toBe(0);
    vi.advanceTimersByTime(2_500);
    expect(host.pings).toBe(2);
    heartbeat.stop();
  });

  it('sends one ping per silence, never a second one while waiting', () => {
    const host = fakeHost({ intervalMs: 100, timeoutMs: 1000 });
    const heartbeat = new Heartbeat(host);
    heartbeat.start();
    vi.advanceTimersByTime(999);
    expect(host.pings).toBe(1);
    heartbeat.stop();
  });

  it('stops cleanly: no timer left, no callback afterwards', () => {
    const host = fakeHost();
    const heartbeat = new Heartbeat(host);
    heartbeat.start();
    vi.advanceTimersByTime(17_500);
    heartbeat.stop();
    heartbeat.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100_000);
    expect(host.timeouts).toBe(0);
    heartbeat.messageReceived();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('restarts on start() without leaking the previous timers', () => {
    const host = fakeHost();
    const heartbeat = new Heartbeat(host);
    heartbeat.start();
    heartbeat.start();
    heartbeat.start();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(17_500);
    expect(host.pings).toBe(1);
    heartbeat.start();
    expect(vi.getTimerCount()).toBe(1);
    heartbeat.stop();
  });

  it('never lets a throwing host escape a timer', () => {
    const host = fakeHost({
      intervalMs: 10,
      timeoutMs: 10,
      sendPing: () => {
        throw new Error('socket gone');
      },
      onTimeout: () => {
        throw new Error('boom');
      },
    });
    const heartbeat = new Heartbeat(host);
    heartbeat.start();
    expect(() => vi.advanceTimersByTime(100)).not.toThrow();
    expect(heartbeat.running).toBe(false);
  });
  it('serves every heartbeat of a duration with one timer, each pinging after its own silence', () => {
    const hosts = [fakeHost(), fakeHost(), fakeHost()];
    const heartbeats = hosts.map((host) => new Heartbeat(host));
    heartbeats[0]?.start();
    vi.advanceTimersByTime(1_000);
    heartbeats[1]?.start();
    vi.advanceTimersByTime(1_000);
    heartbeats[2]?.start();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(10_000);
    heartbeats[0]?.messageReceived(); // the first one now waits the longest
    vi.advanceTimersByTime(6_499); // 17,499 ms after the second one started
    expect(hosts.map((host) => host.pings)).toEqual([0, 0, 0]);
    vi.advanceTimersByTime(1);
    expect(hosts.map((host) => host.pings)).toEqual([0, 1, 0]);
    vi.advanceTimersByTime(1_000);
    expect(hosts.map((host) => host.pings)).toEqual([0, 1, 1]);
    vi.advanceTimersByTime(10_000); // 17,500 ms after the first one's frame
    expect(hosts.map((host) => host.pings)).toEqual([1, 1, 1]);
    // Two queues now: the answer timeouts of the second and third, the silence of none.
    heartbeats[1]?.messageReceived();
    vi.advanceTimersByTime(5_000); // 15 s after the third's ping; the first's is 5 s old
    expect(hosts.map((host) => host.timeouts)).toEqual([0, 0, 1]);
    expect(heartbeats.map((heartbeat) => heartbeat.running)).toEqual([true, true, false]);
    for (const heartbeat of heartbeats) heartbeat.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps the others on time when one stops, and idle and answer waits of the same length apart', () => {
    const quick = { intervalMs: 100, timeoutMs: 100 };
    const hosts = [fakeHost(quick), fakeHost(quick)];
    const [first, second] = hosts.map((host) => new Heartbeat(host)) as [Heartbeat, Heartbeat];
    first.start();
    vi.advanceTimersByTime(50);
    second.start();
    vi.advanceTimersByTime(50);
    expect(hosts.map((host) => host.pings)).toEqual([1, 0]);
    first.stop(); // it was first in line, its ping out
    vi.advanceTimersByTime(49);
    expect(hosts.map((host) => host.pings)).toEqual([1, 0]);
    vi.advanceTimersByTime(1);
    expect(hosts.map((host) => host.pings)).toEqual([1, 1]);
    expect(second.awaitingAnswer).toBe(true);
    vi.advanceTimersByTime(100);
    expect(hosts.map((host) => host.timeouts)).toEqual([0, 1]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
