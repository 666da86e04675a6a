import { afterEach, describe, expect, it } from 'vitest';
import { DdpClosedError, DdpProtocolError } from '../../src/ddp/errors.js';
import type { ConnectionStatus } from '../../src/ddp/status.js';
import { RateLimitedError, StreamOverflowError } from '../../src/rocketchat/errors.js';
import type { IMessage } from '../../src/rocketchat/types.js';
import { leftovers, waitFor } from '../helpers.js';
import { loggedIn, newClient, startServer, watchUnhandledRejections } from './setup.js';

afterEach(() => leftovers.disposeAll());

describe('RocketChatClient', () => {
  it('mirrors the DDP client status and its status event', async () => {
    const server = await startServer();
    const client = newClient(server);
    const statuses: ConnectionStatus[] = [];
    client.on('status', (status) => statuses.push(status));
    expect(client.status).toBe('idle');
    await client.connect();
    expect(client.status).toBe('connected');
    server.dropAllConnections();
    await waitFor(() => statuses.filter((status) => status === 'connected').length === 2);
    await client.close();
    expect(client.status).toBe('closed');
    expect(statuses).toEqual(['connecting', 'connected', 'waiting', 'connecting', 'connected', 'closed']);
  });

  it('refuses a rateLimit below one message a second when made, and a first paced send after close', async () => {
    const server = await startServer();
    expect(() => newClient(server, { rateLimit: { messagesPerSecond: 0 } })).toThrow(RangeError);
    const client = newClient(server); // default pacing: the pacer is made by the first send
    await client.close();
    await expect(client.sendMessage({ rid: 'GENERAL', msg: 'after close' })).rejects.toBeInstanceOf(DdpClosedError);
  });

  it('on close rejects waiting sends with DdpClosedError and ends message loops', async () => {
    const unhandled = watchUnhandledRejections();
    try {
      const { client } = await loggedIn({ rateLimit: false }, { rateLimit: { messagesPerSecond: 1 } });
      const loop = (async () => {
        const seen: IMessage[] = [];
        for await (const message of client.messages('GENERAL')) seen.push(message);
        return seen;
      })();
      await client.sendMessage({ rid: 'GENERAL', msg: 'first' });
      const paced = client.sendMessage({ rid: 'GENERAL', msg: 'waits for the next second' }).catch((error: unknown) => error);
      await client.close();
      expect(await paced).toBeInstanceOf(DdpClosedError);
      const seen = await loop;
      expect(seen.length).toBeLessThanOrEqual(1);
      await expect(client.sendMessage({ rid: 'GENERAL', msg: 'after close' })).rejects.toBeInstanceOf(DdpClosedError);
      await client.close();
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it('drops a stream event that is not a message and reports it as protocolError', async () => {
    const { server, client } = await loggedIn();
    const errors: DdpProtocolError[] = [];
    client.on('protocolError', (error) => errors.push(error));
    const seen: string[] = [];
    client.onMessage('GENERAL', (message) => seen.push(message.msg));
    await client.getMessage('x');
    const connection = server.connections[0]!;
    connection.send({ msg: 'changed', collection: 'stream-room-messages', id: 'id', fields: { eventName: 'GENERAL', args: [{ rid: 'GENERAL' }] } });
    server.addUser({ username: 'alice', password: 'alice' });
    server.postMessage({ rid: 'GENERAL', msg: 'valid', username: 'alice' });
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['valid']);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('"_id"');
  });

  it('keeps delivering to other listeners when one throws, and reports it to the logger', async () => {
    const warnings: string[] = [];
    const { server, client } = await loggedIn(
      {},
      { logger: { debug: () => {}, warn: (message) => warnings.push(message) } },
    );
    server.addUser({ username: 'alice', password: 'alice' });
    const seen: string[] = [];
    client.onMessage('GENERAL', () => {
      throw new Error('handler bug');
    });
    client.onMessage('GENERAL', (message) => seen.push(message.msg));
    await client.getMessage('x');
    server.postMessage({ rid: 'GENERAL', msg: 'one', username: 'alice' });
    server.postMessage({ rid: 'GENERAL', msg: 'two', username: 'alice' });
    await waitFor(() => seen.length === 2);
    expect(warnings.some((warning) => warning.includes('changed'))).toBe(true);
  });

  it('ends a message loop with StreamOverflowError when its consumer falls behind', async () => {
    const { server, client } = await loggedIn();
    server.addUser({ username: 'alice', password: 'alice' });
    const iterator = client.messages('GENERAL', { bufferSize: 3 });
    await client.getMessage('x');
    const unsub = server.waitForFrame('unsub');
    for (let index = 0; index < 4; index++) server.postMessage({ rid: 'GENERAL', msg: `m${index}`, username: 'alice' });
    await unsub;
    expect((await iterator.next()).value?.msg).toBe('m0');
    expect((await iterator.next()).value?.msg).toBe('m1');
    expect((await iterator.next()).value?.msg).toBe('m2');
    await expect(iterator.next()).rejects.toBeInstanceOf(StreamOverflowError);
  });

  it('passes DDP options through: the URL gets /websocket when it has no path', async () => {
    const server = await startServer();
    const client = newClient(server, { url: server.httpUrl });
    expect(client.ddp.url).toBe(server.url);
    await client.connect();
    expect(client.status).toBe('connected');
  });
});

describe('RocketChatClient against the separate DDP service', () => {
  it('logs in, sends, streams and survives its logout close', async () => {
    const server = await startServer({ variant: 'ddp-streamer' });
    const bot = server.addUser({ username: 'bot', password: 'pass' });
    const pat = server.addPersonalAccessToken(bot._id);
    const client = newClient(server);
    await client.connect();
    const credentials = await client.login({ username: 'bot', password: 'pass' });
    expect(credentials.userId).toBe(bot._id);
    const seen: string[] = [];
    client.onMessage('GENERAL', (message) => seen.push(message.msg));
    await client.getMessage('x');
    const sent = await client.sendMessage({ rid: 'GENERAL', msg: 'via the streamer' });
    expect(sent.ts).toBeInstanceOf(Date);
    await waitFor(() => seen.includes('via the streamer'));
    expect(await client.login({ resume: pat })).toEqual({ userId: bot._id, token: pat, tokenExpires: null });
    await server.waitForConnection(); // the first one
    await client.logout(); // the service closes the socket after answering
    const next = await server.waitForConnection();
    await expect(client.getMessage('x')).rejects.toMatchObject({ error: 'error-invalid-user' });
    expect(client.credentials).toBeUndefined();
    expect(next.received.some((frame) => frame.msg === 'method' && frame.method === 'login')).toBe(false);
  });
});

describe('RocketChatClient after close', () => {
  it('ends a new message loop with DdpClosedError', async () => {
    const { client } = await loggedIn();
    await client.close();
    await expect(client.messages('GENERAL').next()).rejects.toBeInstanceOf(DdpClosedError);
    const errors: Error[] = [];
    client.onMessage('GENERAL', () => {}, { onError: (error) => errors.push(error) });
    await waitFor(() => errors.length === 1);
    expect(errors[0]).toBeInstanceOf(DdpClosedError);
  });
});

describe('methods under the server rate limit', () => {
  const perConnection = (windowMs: number) => ({ rateLimit: { methodPerConnection: { limit: 2, windowMs }, methodPerUser: false as const } });

  it('makes a refused call again after timeToReset (the server did not run it), up to rateLimit.maxRetries', async () => {
    const { server, client } = await loggedIn(perConnection(1000)); // a window slow machines cannot miss
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await client.getRoomId('general'));
    expect(ids).toEqual(['GENERAL', 'GENERAL', 'GENERAL', 'GENERAL']);
    const refused = server.connections[0]!.sent.filter((frame) => frame.msg === 'result' && frame.error?.error === 'too-many-requests');
    expect(refused.length).toBeGreaterThanOrEqual(1);
  });

  it('does not make a refused typing notice again (late would be worse than none)', async () => {
    const { client } = await loggedIn({ rateLimit: { methodPerConnection: { limit: 1, windowMs: 60_000 }, methodPerUser: false } });
    // stream-* methods get 4 calls in 4 minutes: the fifth is refused, and rejects at once.
    const outcomes: unknown[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await client.setTyping('GENERAL', i % 2 === 0).then(() => 'sent', (error: unknown) => error));
    expect(outcomes.slice(0, 4)).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(outcomes[4]).toBeInstanceOf(RateLimitedError);
  });

  it('with rateLimit: false rejects at once with RateLimitedError; closing ends a wait with DdpClosedError', async () => {
    const { client } = await loggedIn(perConnection(60_000), { rateLimit: false });
    await client.getRoomId('general');
    await client.getRoomId('general');
    const error = await client.getRoomId('general').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    const { server: other, client: waiting } = await loggedIn(perConnection(60_000));
    await waiting.getRoomId('general');
    await waiting.getRoomId('general');
    const pending = waiting.getRoomId('general').catch((caught: unknown) => caught);
    await waitFor(() => other.connections[0]!.sent.some((frame) => frame.msg === 'result' && frame.error?.error === 'too-many-requests'));
    await waiting.close();
    expect(await pending).toBeInstanceOf(DdpClosedError);
  });
});
