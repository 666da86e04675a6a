import { afterEach, describe, expect, it } from 'vitest';
import { deferred, leftovers, waitFor } from '../helpers.js';
import { connectedPair, makeClient, methodsSent, recordStatuses, roundTrip, startServer } from './support.js';

afterEach(() => leftovers.disposeAll());

describe('heartbeat over a real link', () => {
  it('answers a ping with an id with a pong echoing it', async () => {
    const { connection } = await connectedPair();
    connection.send({ msg: 'ping', id: 'X-42' });
    await connection.waitForFrame('pong');
    expect(connection.receivedText.at(-1)).toBe('{"msg":"pong","id":"X-42"}');
  });

  it('answers a ping without an id with exactly {"msg":"pong"}', async () => {
    const { connection } = await connectedPair();
    connection.send({ msg: 'ping' });
    await connection.waitForFrame('pong');
    expect(connection.receivedText.at(-1)).toBe('{"msg":"pong"}');
  });

  it('answers pings at once while a wait call holds the queue and while session setups run', async () => {
    const server = await startServer();
    const client = makeClient(server.url);
    const setupDone = deferred();
    client.addSessionSetup(() => setupDone.promise);
    await client.connect();
    const connection = await server.waitForConnection();
    const held = client.call('held');
    await roundTrip(connection); // answered during the setup
    expect(methodsSent(connection)).toEqual([]);
    setupDone.resolve();
    await connection.waitForFrame('method');
    const wait = client.call('login', [], { wait: true });
    const after = client.call('after');
    connection.send({ msg: 'result', id: '1', result: 1 }, { msg: 'updated', methods: ['1'] });
    await connection.waitForFrame((frame) => frame['method'] === 'login');
    await roundTrip(connection); // answered while the wait call is out
    expect(methodsSent(connection)).toEqual(['held', 'login']);
    connection.send({ msg: 'result', id: '2' }, { msg: 'updated', methods: ['2'] });
    await connection.waitForFrame((frame) => frame['method'] === 'after');
    connection.send({ msg: 'result', id: '3', result: 3 });
    expect(await Promise.all([held, wait, after])).toEqual([1, undefined, 3]);
  });

  it('pings after intervalMs of inbound silence and keeps the link when answered', async () => {
    const { server, client, connection } = await connectedPair({}, { heartbeat: { intervalMs: 50, timeoutMs: 10_000 } });
    await connection.waitForFrame('ping', { nth: 2 });
    expect(connection.receivedText.filter((text) => text.includes('"ping"'))[0]).toBe('{"msg":"ping"}');
    expect(server.connections).toHaveLength(1);
    expect(client.status).toBe('connected');
  });

  it('drops and reconnects a link that answers nothing within timeoutMs, instead of closing for good', async () => {
    const server = await startServer({ autoPong: false });
    const client = makeClient(server.url, { heartbeat: { intervalMs: 30, timeoutMs: 300 } });
    const statuses = recordStatuses(client);
    const disconnects: string[] = [];
    client.on('disconnected', (reason) => disconnects.push(reason));
    await client.connect();
    const first = await server.waitForConnection(1);
    await first.waitForFrame('ping');
    server.autoPong = true;
    await server.waitForConnection(2);
    await waitFor(() => client.status === 'connected' && server.connections.length === 2);
    expect(disconnects[0]).toBe(`heartbeat timed out: no frame from ${server.url} within 300 ms of a ping`);
    expect(statuses.history.slice(0, 6)).toEqual(['idle', 'connecting', 'connected', 'waiting', 'connecting', 'connected']);
    await first.waitForClose();
  });

  it('counts any inbound frame as proof of life, not only a pong', async () => {
    const server = await startServer({ autoPong: false });
    server.intercept((frame, connection) => {
      if (frame['msg'] !== 'ping') return false;
      connection.send({ msg: 'changed', collection: 'c', id: 'x', fields: { n: 1 } });
      return true;
    });
    const client = makeClient(server.url, { heartbeat: { intervalMs: 20, timeoutMs: 2000 } });
    const statuses = recordStatuses(client);
    await client.connect();
    const connection = await server.waitForConnection();
    // Each new ping on the same socket proves the previous one was taken as answered.
    await connection.waitForFrame('ping', { nth: 4 });
    expect(server.connections).toHaveLength(1);
    expect(statuses.history).not.toContain('waiting');
  });

  it('does not ping on a pre1 session, nor with heartbeat: false', async () => {
    const server = await startServer({
      onConnect: (frame, connection) => {
        if (frame['version'] === 'pre1') connection.send({ msg: 'connected', session: 'old' });
        else {
          connection.send({ msg: 'failed', version: 'pre1' });
          connection.drop(1000);
        }
      },
    });
    const pre1 = makeClient(server.url, { heartbeat: { intervalMs: 10, timeoutMs: 10 } });
    await pre1.connect();
    server.onConnect = 'connected';
    const disabled = makeClient(server.url, { heartbeat: false });
    await disabled.connect();
    const quietConnections = [...server.connections];
    expect(quietConnections.map((connection) => connection.received[0]?.['version'])).toEqual(['1', 'pre1', '1']);
    // A control client with the same short interval, started last: once it has pinged
    // three times, the others' intervals have elapsed three times too.
    const control = makeClient(server.url, { heartbeat: { intervalMs: 10, timeoutMs: 10_000 } });
    await control.connect();
    await server.last!.waitForFrame('ping', { nth: 2 });
    for (const connection of quietConnections) expect(connection.frames('ping')).toEqual([]);
    expect(pre1.status).toBe('connected');
    expect(disabled.status).toBe('connected');
  });
});
