/** The fake server's fault hooks, event hooks and waiting helpers. */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientFrame } from '../../src/ddp/protocol.js';
import { leftovers, settled, waitFor } from '../helpers.js';
import { RawClient } from './raw-client.js';
import { startServer } from './start.js';

afterEach(() => leftovers.disposeAll());

describe('fault: delayMs', () => {
  it('holds frames back while recording them as sent', async () => {
    const server = await startServer();
    const client = await RawClient.connect(server.url);
    const connection = await server.waitForConnection();
    connection.setFaults({ delayMs: 60_000 });
    client.send({ msg: 'ping', id: 'held' });
    await waitFor(() => connection.sent.some((frame) => frame.msg === 'pong'));
    expect(client.all('pong')).toStrictEqual([]);
    expect(connection.faults).toStrictEqual({ delayMs: 60_000 });
  });

  it('keeps the order of every frame', async () => {
    const server = await startServer();
    server.addMethod('echo', (params) => params[0]);
    const client = await RawClient.connect(server.url);
    server.setFaults({ delayMs: 5 });
    for (let i = 0; i < 5; i++) {
      client.method('echo', [i], `e${i}`);
      client.send({ msg: 'ping', id: `p${i}` });
    }
    await client.take((frame) => frame['id'] === 'e4');
    const connection = server.connections[0]!;
    const order = (frames: readonly unknown[]): string[] =>
      frames.filter((frame) => (frame as { msg: string }).msg !== 'connected').map((frame) => `${(frame as { msg: string }).msg}:${(frame as { id?: string }).id ?? ''}`);
    expect(order(client.frames)).toStrictEqual(order(connection.sent));
  });
});

describe('fault: silent', () => {
  it('records what arrives, answers nothing, and heals', async () => {
    const server = await startServer();
    const client = await RawClient.connect(server.url);
    const connection = await server.waitForConnection();
    connection.setFaults({ silent: true });
    const sentBefore = connection.sent.length;
    client.send({ msg: 'ping', id: 'lost' });
    client.method('sendMessage', [{ rid: 'GENERAL', msg: 'x' }]);
    await waitFor(() => connection.received.length === 3);
    expect(connection.sent.length).toBe(sentBefore);
    connection.setFaults({});
    client.send({ msg: 'ping', id: 'heard' });
    expect(await client.take('pong')).toStrictEqual({ msg: 'pong', id: 'heard' });
    expect(client.all('pong')).toHaveLength(1);
  });

  it('does not ping or time out a client while silent', async () => {
    const server = await startServer({ heartbeat: { intervalMs: 10, timeoutMs: 10 }, faults: { silent: true } });
    const client = await RawClient.open(server.url);
    const connection = await server.waitForConnection();
    client.send({ msg: 'connect', version: '1', support: ['1'] });
    await waitFor(() => connection.received.length === 1);
    connection.setFaults({});
    client.send({ msg: 'connect', version: '1', support: ['1'] });
    await client.take('connected');
    expect(await client.take('ping', 5000)).toStrictEqual({ msg: 'ping' });
  });
});

describe('fault: dropAfterFrames', () => {
  it('cuts the socket when the n-th frame arrives, without handling it', async () => {
    const server = await startServer();
    server.addUser({ username: 'bot', password: 'secret' });
    const client = await RawClient.connect(server.url);
    await client.login('bot', 'secret');
    const connection = server.connections[0]!;
    connection.setFaults({ dropAfterFrames: 2 });
    client.send({ msg: 'ping', id: 'one' });
    client.method('sendMessage', [{ rid: 'GENERAL', msg: 'never handled' }]);
    expect((await client.closed).code).toBe(1006);
    expect(connection.closed).toBe(true);
    expect(connection.closeCode).toBe(1006);
    expect(connection.received.at(-1)).toMatchObject({ msg: 'method', method: 'sendMessage' });
    expect(server.messages()).toStrictEqual([]);
    expect(client.all('pong')).toHaveLength(1);
  });

  it('applied to the server, cuts every new connection at its first frame', async () => {
    const server = await startServer({ faults: { dropAfterFrames: 1 } });
    const client = await RawClient.open(server.url);
    client.send({ msg: 'connect', version: '1', support: ['1'] });
    expect((await client.closed).code).toBe(1006);
    server.setFaults({});
    await RawClient.connect(server.url);
  });
});

describe('fault: failVersion', () => {
  it('answers failed with its version to any other proposal, and accepts that version', async () => {
    const server = await startServer();
    server.setFaults({ failVersion: 'pre1' });
    const first = await RawClient.open(server.url);
    first.send({ msg: 'connect', version: '1', support: ['1', 'pre2', 'pre1'] });
    expect(await first.take(() => true)).toStrictEqual({ msg: 'failed', version: 'pre1' });
    expect((await first.closed).code).toBe(1000);
    const second = await RawClient.open(server.url);
    second.send({ msg: 'connect', version: 'pre1', support: ['1', 'pre2', 'pre1'] });
    await second.take('connected');
    const connection = server.connections.at(-1)!;
    expect(connection.version).toBe('pre1');
  });

  it('can name a version no client speaks', async () => {
    const server = await startServer({ faults: { failVersion: '2' } });
    const client = await RawClient.open(server.url);
    client.send({ msg: 'connect', version: '1', support: ['1'] });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'failed', version: '2' });
  });
});

describe('fault: malformed', () => {
  it('replaces every frame after connected by a broken one', async () => {
    const server = await startServer({ faults: { malformed: true } });
    const client = await RawClient.connect(server.url);
    client.send({ msg: 'ping' });
    await waitFor(() => client.rawTexts.length === 1);
    expect(client.rawTexts).toStrictEqual(['{"msg":"result","id":']);
    server.setFaults({ malformed: 'garbage' });
    client.send({ msg: 'ping' });
    await waitFor(() => client.rawTexts.length === 2);
    expect(client.rawTexts[1]).toBe('garbage');
  });
});

describe('dropping connections', () => {
  it('cuts the socket without a code (1006) or closes it with the given code', async () => {
    const server = await startServer();
    const cut = await RawClient.connect(server.url);
    const first = await server.waitForConnection();
    first.drop();
    expect((await cut.closed).code).toBe(1006);
    expect(await first.waitForClose()).toBe(1006);
    const closed = await RawClient.connect(server.url);
    const second = await server.waitForConnection();
    second.drop(4000, 'bye');
    expect(await closed.closed).toStrictEqual({ code: 4000, reason: 'bye' });
    expect(() => second.drop(1005)).toThrow(RangeError);
    expect(() => server.dropAllConnections(1006)).toThrow(RangeError);
  });

  it('dropAllConnections closes every open connection', async () => {
    const server = await startServer();
    const clients = await Promise.all([RawClient.connect(server.url), RawClient.connect(server.url), RawClient.connect(server.url)]);
    const codes: number[] = [];
    server.on('disconnect', (_connection, code) => codes.push(code));
    server.dropAllConnections(1012);
    for (const client of clients) expect((await client.closed).code).toBe(1012);
    await waitFor(() => codes.length === 3);
    expect(codes).toStrictEqual([1012, 1012, 1012]);
    expect(server.connections).toStrictEqual([]);
  });
});

describe('event hooks', () => {
  it('a clientFrame listener can drop the connection before the frame is handled', async () => {
    const server = await startServer();
    server.addUser({ username: 'bot', password: 'secret' });
    server.on('clientFrame', (frame, connection) => {
      if (frame.msg === 'method' && frame.method === 'sendMessage') connection.drop();
    });
    const client = await RawClient.connect(server.url);
    await client.login('bot', 'secret');
    client.method('sendMessage', [{ _id: 'dropped0000000000', rid: 'GENERAL', msg: 'x' }]);
    await client.closed;
    expect(server.messages()).toStrictEqual([]);
  });

  it('a serverFrame listener can drop the connection before a frame is written', async () => {
    const server = await startServer();
    server.addUser({ username: 'bot', password: 'secret' });
    server.on('serverFrame', (frame, connection) => {
      if (frame.msg === 'updated' && frame.methods.includes('send')) connection.drop();
    });
    const client = await RawClient.connect(server.url);
    await client.login('bot', 'secret');
    client.method('sendMessage', [{ _id: 'stored00000000000', rid: 'GENERAL', msg: 'x' }], 'send');
    await client.closed;
    expect(client.all((frame) => frame['id'] === 'send' || (frame['methods'] as string[] | undefined)?.includes('send') === true)).toStrictEqual([]);
    expect(server.messages().map((message) => message._id)).toStrictEqual(['stored00000000000']);
  });

  it('a connection listener can drop a socket as soon as it opens', async () => {
    const server = await startServer();
    server.on('connection', (connection) => connection.drop(4001));
    const client = await RawClient.open(server.url);
    expect((await client.closed).code).toBe(4001);
  });

  it('send and sendRaw write a frame or text as is', async () => {
    const server = await startServer();
    const client = await RawClient.connect(server.url);
    const connection = await server.waitForConnection();
    connection.send({ msg: 'changed', collection: 'stream-room-messages', id: 'id', fields: { eventName: 'GENERAL', args: [{ ts: new Date(5) }] } });
    connection.sendRaw('{"msg":"nosub","id":"x"}');
    expect(await client.take('changed')).toStrictEqual({ msg: 'changed', collection: 'stream-room-messages', id: 'id', fields: { eventName: 'GENERAL', args: [{ ts: { $date: 5 } }] } });
    expect(await client.take('nosub')).toStrictEqual({ msg: 'nosub', id: 'x' });
    expect(connection.sent.at(-1)).toMatchObject({ msg: 'changed' });
  });
});

describe('waiting helpers', () => {
  it('waitForConnection hands out each connection once, oldest first, waiting for the next when none is left', async () => {
    const server = await startServer();
    await RawClient.connect(server.url);
    await RawClient.connect(server.url);
    const [a, b] = [await server.waitForConnection(), await server.waitForConnection()];
    expect(a).not.toBe(b);
    expect(server.connections).toStrictEqual([a, b]);
    const next = server.waitForConnection();
    await RawClient.connect(server.url);
    expect(server.connections).toContain(await next);
    await expect(server.waitForConnection({ timeoutMs: 10 })).rejects.toThrow(/no connection within 10 ms/);
  });

  it('waitForFrame resolves with the next matching frame, by msg, predicate or connection', async () => {
    const server = await startServer();
    const one = await RawClient.connect(server.url);
    const two = await RawClient.connect(server.url);
    const twoConnection = server.connections[1]!;
    const sub = server.waitForFrame('sub');
    const method = server.waitForFrame((frame) => frame.msg === 'method' && frame.method === 'special');
    const onTwo = server.waitForFrame('ping', { connection: twoConnection });
    one.send({ msg: 'ping', id: 'from one' });
    one.send({ msg: 'sub', id: 's', name: 'stream-notify-all', params: ['x', {}] });
    one.method('special', [{ $date: 0 }]);
    two.send({ msg: 'ping', id: 'from two' });
    expect(await sub).toMatchObject({ msg: 'sub', id: 's' });
    expect(((await method) as Extract<ClientFrame, { msg: 'method' }>).params).toStrictEqual([new Date(0)]);
    expect(await onTwo).toStrictEqual({ msg: 'ping', id: 'from two' });
    await expect(server.waitForFrame('unsub', { timeoutMs: 10 })).rejects.toThrow(/no matching frame within 10 ms/);
  });
});

describe('close', () => {
  it('closes clients with 1001 first, rejects pending waits, is idempotent, and refuses later waits', async () => {
    const server = await startServer();
    const client = await RawClient.connect(server.url);
    const pending = settled(server.waitForFrame('method'));
    await Promise.all([server.close(), server.close()]);
    expect((await client.closed).code).toBe(1001);
    expect(await pending).toMatchObject({ status: 'rejected', reason: expect.any(Error) as unknown });
    await expect(server.waitForConnection()).rejects.toThrow(/closed/);
    await expect(RawClient.open(server.url)).rejects.toThrow();
  });

  it('leaves no socket, server or timer behind', async () => {
    const count = (): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const resource of process.getActiveResourcesInfo()) counts[resource] = (counts[resource] ?? 0) + 1;
      return counts;
    };
    const baseline = count();
    const server = await startServer({ heartbeat: { intervalMs: 60_000, timeoutMs: 60_000 } });
    const client = await RawClient.connect(server.url);
    server.setFaults({ delayMs: 60_000 }); // a frame waiting in the outbox, with its timer
    client.send({ msg: 'ping' });
    await waitFor(() => server.connections[0]?.sent.some((frame) => frame.msg === 'pong'));
    server.waitForFrame('method').catch(() => undefined);
    await server.close();
    await client.closed;
    await waitFor(() => {
      const now = count();
      return ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'].every((kind) => (now[kind] ?? 0) <= (baseline[kind] ?? 0));
    }, { what: `resources back to the baseline ${JSON.stringify(baseline)}: ${JSON.stringify(count())}` });
  });
});

describe('http', () => {
  it('serves /api/info, a 404 elsewhere, and refuses WebSocket upgrades outside /websocket', async () => {
    const server = await startServer();
    const info = await fetch(`${server.httpUrl}/api/info`);
    expect(await info.json()).toStrictEqual({ version: '7.6.0', success: true });
    expect((await fetch(`${server.httpUrl}/nothing`)).status).toBe(404);
    await expect(RawClient.open(`ws://127.0.0.1:${server.port}/elsewhere`)).rejects.toThrow(/404/);
    await RawClient.connect(`ws://127.0.0.1:${server.port}/sockjs/websocket`);
  });
});
