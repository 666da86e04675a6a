import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RECONNECT_OPTIONS,
  FIRST_RETRIES_DELAY_MS,
  backoffDelay,
  resolveReconnectOptions,
} from '../../src/ddp/backoff.js';

const noJitter = { ...DEFAULT_RECONNECT_OPTIONS, jitter: 0 };

describe('backoffDelay', () => {
  it('waits about 10 ms before the first two retries', () => {
    expect(FIRST_RETRIES_DELAY_MS).toBe(10);
    expect(backoffDelay(1)).toBe(10);
    expect(backoffDelay(2)).toBe(10);
  });

  it.each([
    [3, 1000],
    [4, 2200],
    [5, 4840],
    [6, 10_648],
  ])('waits initialDelayMs · factor^(n−3) before retry %i (%i ms without jitter)', (attempt, expected) => {
    expect(backoffDelay(attempt, noJitter)).toBeCloseTo(expected, 6);
  });

  it('never waits longer than maxDelayMs before jitter', () => {
    expect(backoffDelay(40, noJitter)).toBe(300_000);
    expect(backoffDelay(1000, noJitter)).toBe(300_000);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, noJitter)).toBe(300_000);
  });

  it('multiplies by a random factor in [1 − jitter, 1 + jitter)', () => {
    expect(backoffDelay(3, DEFAULT_RECONNECT_OPTIONS, () => 0)).toBe(750);
    expect(backoffDelay(3, DEFAULT_RECONNECT_OPTIONS, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, DEFAULT_RECONNECT_OPTIONS, () => 0.999_999)).toBeLessThan(1250);
    expect(backoffDelay(3, DEFAULT_RECONNECT_OPTIONS, () => 0.999_999)).toBeGreaterThan(1249);
    expect(backoffDelay(50, DEFAULT_RECONNECT_OPTIONS, () => 0)).toBe(225_000);
  });

  it('stays within the jitter bounds for many random draws', () => {
    for (let attempt = 1; attempt <= 30; attempt++) {
      const nominal = backoffDelay(attempt, noJitter);
      const delay = backoffDelay(attempt);
      if (attempt <= 2) expect(delay).toBe(10);
      else {
        expect(delay).toBeGreaterThanOrEqual(nominal * 0.75);
        expect(delay).toBeLessThan(nominal * 1.25);
      }
    }
  });

  it('does not exceed a maxDelayMs smaller than the first retries delay', () => {
    expect(backoffDelay(1, { ...noJitter, maxDelayMs: 3 })).toBe(3);
    expect(backoffDelay(3, { ...noJitter, maxDelayMs: 3 })).toBe(3);
  });
});

describe('resolveReconnectOptions', () => {
  it('returns the defaults when given nothing', () => {
    expect(resolveReconnectOptions()).toEqual({
      initialDelayMs: 1000,
      factor: 2.2,
      maxDelayMs: 300_000,
      jitter: 0.25,
      maxAttempts: Number.POSITIVE_INFINITY,
    });
  });

  it('merges partial options with the defaults', () => {
    expect(resolveReconnectOptions({ maxDelayMs: 5000 })).toEqual({ ...DEFAULT_RECONNECT_OPTIONS, maxDelayMs: 5000 });
    expect(resolveReconnectOptions({ maxAttempts: 3, jitter: 0 })).toMatchObject({ maxAttempts: 3, jitter: 0, factor: 2.2 });
  });

  it('ignores keys set to undefined', () => {
    expect(resolveReconnectOptions({ factor: undefined as unknown as number })).toEqual(DEFAULT_RECONNECT_OPTIONS);
  });

  it.each([
    [{ initialDelayMs: -1 }, 'reconnect.initialDelayMs must be a finite number ≥ 0'],
    [{ factor: 0.5 }, 'reconnect.factor must be a finite number ≥ 1'],
    [{ maxDelayMs: -5 }, 'reconnect.maxDelayMs must be a number ≥ 0'],
    [{ jitter: 1 }, 'reconnect.jitter must be in [0, 1)'],
    [{ jitter: -0.1 }, 'reconnect.jitter must be in [0, 1)'],
    [{ maxAttempts: 1.5 }, 'reconnect.maxAttempts must be an integer ≥ 0 or Infinity'],
    [{ maxAttempts: -1 }, 'reconnect.maxAttempts must be an integer ≥ 0 or Infinity'],
  ])('rejects %j with a RangeError', (options, message) => {
    expect(() => resolveReconnectOptions(options)).toThrow(new RangeError(message));
  });
});
