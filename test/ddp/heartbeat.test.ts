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
});
