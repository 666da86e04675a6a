import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DdpClosedError, DdpMethodError } from '../../src/ddp/errors.js';
import { RateLimitedError } from '../../src/rocketchat/errors.js';
import { SendPacer, withRateLimit } from '../../src/rocketchat/rate-limit.js';

function tooManyRequests(timeToReset: number): DdpMethodError {
  return new DdpMethodError('too-many-requests', 'Error, too many requests.', { timeToReset }, { method: 'sendMessage' });
}

/** A REST 429 as the REST transport reports it. */
function restTooManyRequests(timeToReset: number): RateLimitedError {
  return new RateLimitedError(
    new DdpMethodError('error-too-many-requests', 'Error, too many requests.', { status: 429, timeToReset }, { method: 'chat.sendMessage' }),
  );
}

describe('SendPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets `limit` sends through at once and the rest one window later, in order', async () => {
    const pacer = new SendPacer({ limit: 5 });
    const started: [number, number][] = [];
    const all = Array.from({ length: 12 }, (_, index) =>
      pacer.acquire().then(() => {
        started.push([index, Date.now()]);
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(started.map(([index]) => index)).toEqual([0, 1, 2, 3, 4]);
    await vi.advanceTimersByTimeAsync(999);
    expect(started).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(started.map(([index]) => index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(all);
    expect(started.map(([index]) => index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(started.map(([, at]) => at)).toEqual([0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000, 2000, 2000]);
  });

  it('never lets more than `limit` sends start within any sliding window', async () => {
    const pacer = new SendPacer({ limit: 3, windowMs: 1000 });
    const times: number[] = [];
    const all: Promise<void>[] = [];
    for (let index = 0; index < 20; index++) {
      all.push(pacer.acquire().then(() => void times.push(Date.now())));
      await vi.advanceTimersByTimeAsync(137);
    }
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all(all);
    for (let i = 3; i < times.length; i++) {
      expect((times[i] ?? 0) - (times[i - 3] ?? 0)).toBeGreaterThanOrEqual(1000);
    }
  });

  it('holds every send during a pause and serves a priority waiter first', async () => {
    const pacer = new SendPacer({ limit: 5 });
    const order: string[] = [];
    pacer.pause(500);
    const a = pacer.acquire().then(() => void order.push('a'));
    const b = pacer.acquire({ priority: true }).then(() => void order.push('retry'));
    await vi.advanceTimersByTimeAsync(499);
    expect(order).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all([a, b]);
    expect(order).toEqual(['retry', 'a']);
  });

  it('rejects an aborted waiter with the signal reason and keeps serving the others', async () => {
    const pacer = new SendPacer({ limit: 1 });
    await pacer.acquire();
    const controller = new AbortController();
    const aborted = pacer.acquire({ signal: controller.signal });
    const next = pacer.acquire();
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await vi.advanceTimersByTimeAsync(1000);
    await expect(next).resolves.toBeUndefined();
    expect(pacer.waiting).toBe(0);
  });

  it('listens once to a signal shared by many waiters, and rejects them all when it aborts', async () => {
    const pacer = new SendPacer({ limit: 1 });
    await pacer.acquire();
    const controller = new AbortController();
    const waiting = Array.from({ length: 30 }, (_, index) => pacer.acquire({ signal: controller.signal, delayMs: index % 2 === 0 ? 0 : 500 }));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('shutting down');
    controller.abort(reason);
    for (const acquired of waiting) await expect(acquired).rejects.toBe(reason);
    expect(pacer.waiting).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('holds a delayed waiter for its delay without holding up the others', async () => {
    const pacer = new SendPacer({ limit: 5 });
    const order: [string, number][] = [];
    const delayed = pacer.acquire({ delayMs: 300, priority: true }).then(() => void order.push(['delayed', Date.now()]));
    const other = pacer.acquire().then(() => void order.push(['other', Date.now()]));
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual([['other', 0]]);
    expect(pacer.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(300);
    await Promise.all([delayed, other]);
    expect(order).toEqual([
      ['other', 0],
      ['delayed', 300],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects an aborted delayed waiter, and a delayed waiter on close', async () => {
    const pacer = new SendPacer({ limit: 5 });
    const controller = new AbortController();
    const aborted = pacer.acquire({ delayMs: 500, signal: controller.signal });
    const closed = pacer.acquire({ delayMs: 800 });
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(pacer.waiting).toBe(1);
    pacer.close();
    await expect(closed).rejects.toBeInstanceOf(DdpClosedError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects waiters with DdpClosedError on close and leaves no timer behind', async () => {
    const pacer = new SendPacer({ limit: 1 });
    await pacer.acquire();
    const waiting = pacer.acquire();
    expect(vi.getTimerCount()).toBe(1);
    pacer.close();
    await expect(waiting).rejects.toBeInstanceOf(DdpClosedError);
    expect(vi.getTimerCount()).toBe(0);
    await expect(pacer.acquire()).rejects.toBeInstanceOf(DdpClosedError);
    pacer.close();
  });
});

describe('withRateLimit', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries a too-many-requests call after timeToReset', async () => {
    const pacer = new SendPacer({ limit: 5 });
    const attempts: number[] = [];
    const result = withRateLimit(
      async () => {
        attempts.push(Date.now());
        if (attempts.length < 3) throw tooManyRequests(425);
        return 'sent';
      },
      { pacer, maxRetries: 3 },
    );
    await vi.advanceTimersByTimeAsync(2000);
    await expect(result).resolves.toBe('sent');
    expect(attempts).toEqual([0, 425, 850]);
  });

  it('gives up with RateLimitedError after maxRetries retries', async () => {
    const pacer = new SendPacer({ limit: 5 });
    let attempts = 0;
    const result = withRateLimit(
      async () => {
        attempts++;
        throw tooManyRequests(100);
      },
      { pacer, maxRetries: 3 },
    );
    const settled = result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1000);
    const error = await settled;
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as RateLimitedError).retryAfterMs).toBe(100);
    expect((error as RateLimitedError).method).toBe('sendMessage');
    expect(attempts).toBe(4);
  });

  it('retries a REST 429 after retryAfterMs without holding the sends of others', async () => {
    const pacer = new SendPacer({ limit: 5 });
    const attempts: number[] = [];
    const rest = withRateLimit(
      async () => {
        attempts.push(Date.now());
        if (attempts.length === 1) throw restTooManyRequests(600);
        return 'sent over REST';
      },
      { pacer, maxRetries: 3 },
    );
    await vi.advanceTimersByTimeAsync(100);
    const realtime = withRateLimit(async () => Date.now(), { pacer, maxRetries: 3 });
    await vi.advanceTimersByTimeAsync(0);
    await expect(realtime).resolves.toBe(100);
    await vi.advanceTimersByTimeAsync(600);
    await expect(rest).resolves.toBe('sent over REST');
    expect(attempts).toEqual([0, 600]);
  });

  it('without a pacer rejects a rate-limited call at once and passes other errors through', async () => {
    await expect(withRateLimit(() => Promise.reject(tooManyRequests(10)), { pacer: undefined, maxRetries: 3 })).rejects.toBeInstanceOf(
      RateLimitedError,
    );
    const other = new DdpMethodError('error-not-allowed');
    await expect(withRateLimit(() => Promise.reject(other), { pacer: undefined, maxRetries: 3 })).rejects.toBe(other);
  });
});
