/**
 * The server's heartbeat: a ping after `intervalMs` of client silence, a close when nothing
 * follows within `timeoutMs`. Short intervals over real sockets; fake timers for the defaults.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServerHeartbeat } from '../../src/testing/heartbeat.js';
import { resolveOptions } from '../../src/testing/options.js';
import { leftovers } from '../helpers.js';
import { RawClient } from './raw-client.js';
import { startServer } from './start.js';

afterEach(async () => {
  vi.useRealTimers();
  await leftovers.disposeAll();
});

describe('server heartbeat over a socket', () => {
  it('pings a silent client, then closes with 1000 when it stays silent', async () => {
    const server = await startServer({ heartbeat: { intervalMs: 30, timeoutMs: 30 } });
    const client = await RawClient.connect(server.url);
    expect(await client.take('ping')).toStrictEqual({ msg: 'ping' });
    expect((await client.closed).code).toBe(1000);
  });

  it('keeps a client that answers, and pings it again after the next silence', async () => {
    const server = await startServer({ heartbeat: { intervalMs: 30, timeoutMs: 5000 } });
    const client = await RawClient.connect(server.url);
    await client.take('ping');
    client.send({ msg: 'pong' });
    await client.take('ping');
    client.send({ msg: 'pong' });
    await client.take('ping');
    expect(client.closeCode).toBeUndefined();
  });

  it('counts any frame as a sign of life', async () => {
    const server = await startServer({ heartbeat: { intervalMs: 30, timeoutMs: 5000 } });
    server.addMethod('noop', () => undefined);
    const client = await RawClient.connect(server.url);
    await client.take('ping');
    await client.call('noop');
    await client.take('ping');
    expect(client.closeCode).toBeUndefined();
  });

  it('closes an idle ddp-streamer client with 4000 TIMEOUT, counting from the socket opening', async () => {
    const server = await startServer({ variant: 'ddp-streamer', heartbeat: { intervalMs: 30, timeoutMs: 30 } });
    const client = await RawClient.open(server.url);
    await client.take('ping');
    expect(await client.closed).toStrictEqual({ code: 4000, reason: 'TIMEOUT' });
  });

  it('cuts a socket that never sends connect within connectTimeoutMs', async () => {
    const server = await startServer({ connectTimeoutMs: 30 });
    const client = await RawClient.open(server.url);
    expect((await client.closed).code).toBe(1006);
  });
});

describe('heartbeat defaults', () => {
  it('are 15 s / 15 s on the monolith and 30 s / 30 s on the ddp-streamer', () => {
    expect(resolveOptions({}).heartbeat).toStrictEqual({ intervalMs: 15_000, timeoutMs: 15_000 });
    expect(resolveOptions({ variant: 'ddp-streamer' }).heartbeat).toStrictEqual({ intervalMs: 30_000, timeoutMs: 30_000 });
    expect(resolveOptions({ heartbeat: { timeoutMs: 5 } }).heartbeat).toStrictEqual({ intervalMs: 15_000, timeoutMs: 5 });
    expect(resolveOptions({ heartbeat: false }).heartbeat).toBe(false);
  });

  it('pings after 15 s of silence and times out 15 s later, any frame resetting the count', () => {
    vi.useFakeTimers();
    const events: string[] = [];
    let paused = false;
    const heartbeat = new ServerHeartbeat({
      intervalMs: 15_000,
      timeoutMs: 15_000,
      sendPing: () => events.push(`ping@${Date.now()}`),
      onTimeout: () => events.push(`timeout@${Date.now()}`),
      paused: () => paused,
    });
    const start = Date.now();
    heartbeat.start();
    vi.advanceTimersByTime(10_000);
    heartbeat.seen();
    vi.advanceTimersByTime(14_999);
    expect(events).toStrictEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toStrictEqual([`ping@${start + 25_000}`]);
    heartbeat.seen();
    vi.advanceTimersByTime(15_000);
    expect(events).toStrictEqual([`ping@${start + 25_000}`, `ping@${start + 40_000}`]);
    vi.advanceTimersByTime(15_000);
    expect(events.at(-1)).toBe(`timeout@${start + 55_000}`);
    paused = true;
    heartbeat.start();
    vi.advanceTimersByTime(100_000);
    expect(events).toHaveLength(3);
    heartbeat.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
