import WS from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { DdpClient } from '../../src/ddp/client.js';
import { DdpClosedError, DdpConnectionError, DdpVersionError } from '../../src/ddp/errors.js';
import { leftovers, settled, waitFor } from '../helpers.js';
import { ScriptServer, freePort } from './script-server.js';
import { BrowserLikeWebSocket, makeClient, nextTurn, RecordingWebSocket, recordStatuses, startServer } from './support.js';

afterEach(() => leftovers.disposeAll());

function rejection(outcome: Awaited<ReturnType<typeof settled>>): unknown {
  expect(outcome.status).toBe('rejected');
  return (outcome as { reason: unknown }).reason;
}

describe('connect', () => {
  it('resolves on connected, going idle → connecting → connected', async () => {
    const server = await startServer();
    const client = makeClient(server.url);
    const statuses = recordStatuses(client);
    const sessions: string[] = [];
    client.on('connected', (session) => sessions.push(session));
    await client.connect();
    expect(client.status).toBe('connected');
    expect(client.session).toBe('session-0');
    expect(sessions).toEqual(['session-0']);
    expect(statuses.history).toEqual(['idle', 'connecting', 'connected']);
  });

  it('sends exactly the connect frame first, on /websocket', async () => {
    const server = await startServer();
    const client = makeClient(server.httpUrl);
    expect(client.url).toBe(`${server.url}`);
    await client.connect();
    const connection = await server.waitForConnection();
    expect(connection.path).toBe('/websocket');
    expect(connection.receivedText[0]).toBe('{"msg":"connect","version":"1","support":["1","pre2","pre1"]}');
    expect(connection.receivedText).toHaveLength(1);
  });

  it('resolves at once when already connected, and several callers share one attempt', async () => {
    const server = await startServer();
    const client = makeClient(server.url);
    await Promise.all([client.connect(), client.connect(), client.connect()]);
    await client.connect();
    expect(server.connections).toHaveLength(1);
  });

  it('rejects with DdpConnectionError "refused" on a closed port and goes back to idle without crashing', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    try {
      const port = await freePort();
      const client = makeClient(`ws://127.0.0.1:${port}`);
      const statuses = recordStatuses(client);
      const error = rejection(await settled(client.connect()));
      expect(error).toBeInstanceOf(DdpConnectionError);
      expect((error as DdpConnectionError).code).toBe('refused');
      expect((error as Error).message).toBe(`could not connect to ws://127.0.0.1:${port}/websocket: connection refused`);
      expect(client.status).toBe('idle');
      expect(statuses.history).toEqual(['idle', 'connecting', 'idle']);
      expect(statuses.events.at(-1)?.details.reason).toBe((error as Error).message);
      await nextTurn();
      await nextTurn();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    }
  });

  it('rejects calls queued before a failed first connect with the same error', async () => {
    const port = await freePort();
    const client = makeClient(`ws://127.0.0.1:${port}`);
    const queued = client.call('early');
    const connectError = rejection(await settled(client.connect()));
    expect(rejection(await settled(queued))).toBe(connectError);
    expect(client.pendingCallCount).toBe(0);
  });

  it('can connect again after a failed first attempt', async () => {
    const port = await freePort();
    const client = makeClient(`ws://127.0.0.1:${port}`);
    await settled(client.connect());
    const server = leftovers.track(await ScriptServer.start({ port }));
    await client.connect();
    expect(client.status).toBe('connected');
    expect(server.connections).toHaveLength(1);
  });

  it('rejects with "timeout" when the server accepts the socket but never answers connect', async () => {
    const server = await startServer({ onConnect: 'silent' });
    const client = makeClient(server.url, { connectTimeoutMs: 100 });
    const error = rejection(await settled(client.connect()));
    expect(error).toBeInstanceOf(DdpConnectionError);
    expect((error as DdpConnectionError).code).toBe('timeout');
    expect((error as Error).message).toBe(
      `no DDP session from ${server.url} within 100 ms (connectTimeoutMs)`,
    );
    expect(client.status).toBe('idle');
    // The socket was cut (if the server had accepted it at all).
    for (const connection of server.connections) await connection.waitForClose();
  });

  it('rejects with "timeout" when the WebSocket upgrade never completes', async () => {
    const server = await startServer({ hangUpgrade: true });
    const client = makeClient(server.url, { connectTimeoutMs: 100 });
    const error = rejection(await settled(client.connect()));
    expect((error as DdpConnectionError).code).toBe('timeout');
    expect(client.status).toBe('idle');
  });

  it('rejects with "closed" when the socket closes before connected', async () => {
    const server = await startServer({ onConnect: (_frame, connection) => connection.drop(1000) });
    const client = makeClient(server.url);
    const error = rejection(await settled(client.connect()));
    expect(error).toBeInstanceOf(DdpConnectionError);
    expect((error as DdpConnectionError).code).toBe('closed');
    expect((error as Error).message).toBe(
      `the connection to ${server.url} closed before the DDP session opened (code 1000)`,
    );
    expect(client.status).toBe('idle');
  });

  it('ignores the server_id greetings of Rocket.Chat’s DDP service', async () => {
    const server = await startServer({ greeting: [{ server_id: '0' }, { msg: 'server_id', server_id: '0' }] });
    const client = makeClient(server.url);
    const problems: unknown[] = [];
    const messages: unknown[] = [];
    client.on('protocolError', (error) => problems.push(error));
    client.on('message', (frame) => messages.push(frame));
    await client.connect();
    expect(problems).toEqual([]);
    expect(messages).toEqual([{ msg: 'connected', session: 'session-0' }]);
    expect(server.last!.receivedText).toEqual(['{"msg":"connect","version":"1","support":["1","pre2","pre1"]}']);
  });

  it('reconnects proposing pre2 when the server answers failed with "pre2", without a backoff wait', async () => {
    const server = await startServer({
      onConnect: (frame, connection) => {
        if (frame['version'] === 'pre2') connection.send({ msg: 'connected', session: 'old' });
        else {
          connection.send({ msg: 'failed', version: 'pre2' });
          connection.drop(1000);
        }
      },
    });
    const client = makeClient(server.url);
    const statuses = recordStatuses(client);
    await client.connect();
    expect(server.connections.map((connection) => connection.received[0])).toEqual([
      { msg: 'connect', version: '1', support: ['1', 'pre2', 'pre1'] },
      { msg: 'connect', version: 'pre2', support: ['1', 'pre2', 'pre1'] },
    ]);
    expect(statuses.history).toEqual(['idle', 'connecting', 'connected']);
    expect(client.session).toBe('old');
  });

  it('fails for good with DdpVersionError when the server wants "99": status failed, no retry loop', async () => {
    const server = await startServer({ onConnect: { failed: '99' } });
    const client = makeClient(server.url);
    const statuses = recordStatuses(client);
    const pending = settled(client.call('never'));
    const error = rejection(await settled(client.connect({ retry: true })));
    expect(error).toBeInstanceOf(DdpVersionError);
    expect((error as DdpVersionError).serverVersion).toBe('99');
    expect(client.status).toBe('failed');
    expect(statuses.history).toEqual(['idle', 'connecting', 'failed']);
    expect(statuses.events.at(-1)?.details.reason).toBe((error as Error).message);
    expect(rejection(await pending)).toBe(error);
    expect(rejection(await settled(client.connect()))).toBe(error);
    expect(rejection(await settled(client.call('later')))).toBe(error);
    expect(server.connections).toHaveLength(1);
  });

  it('fails with DdpVersionError instead of looping when the server keeps changing its mind', async () => {
    const server = await startServer({
      onConnect: (frame, connection) => {
        connection.send({ msg: 'failed', version: frame['version'] === '1' ? 'pre2' : '1' });
        connection.drop(1000);
      },
    });
    const client = makeClient(server.url);
    const error = rejection(await settled(client.connect({ retry: true })));
    expect(error).toBeInstanceOf(DdpVersionError);
    expect(server.connections).toHaveLength(2);
    expect(client.status).toBe('failed');
  });

  it('with retry: true, keeps trying until a server starts listening on the port', async () => {
    const port = await freePort();
    const client = makeClient(`ws://127.0.0.1:${port}`);
    const statuses = recordStatuses(client);
    const connecting = client.connect({ retry: true });
    await waitFor(() => statuses.events.filter((event) => event.status === 'waiting').length >= 3);
    const waiting = statuses.events.filter((event) => event.status === 'waiting');
    expect(waiting.map((event) => event.details.attempt).slice(0, 3)).toEqual([1, 2, 3]);
    expect(waiting[0]!.details.retryInMs).toBe(5);
    expect(waiting[0]!.details.reason).toContain('connection refused');
    const server = leftovers.track(await ScriptServer.start({ port }));
    await connecting;
    expect(client.status).toBe('connected');
    expect(server.connections).toHaveLength(1);
  });

  it('stops trying and goes back to idle when the signal aborts', async () => {
    const port = await freePort();
    const client = makeClient(`ws://127.0.0.1:${port}`);
    const statuses = recordStatuses(client);
    const controller = new AbortController();
    const connecting = settled(client.connect({ retry: true, signal: controller.signal }));
    await waitFor(() => statuses.history.includes('waiting'));
    const reason = new Error('user gave up');
    controller.abort(reason);
    expect(await connecting).toEqual({ status: 'rejected', reason });
    expect(client.status).toBe('idle');
    const seen = statuses.history.length;
    const server = leftovers.track(await ScriptServer.start({ port }));
    await nextTurn();
    expect(statuses.history).toHaveLength(seen);
    expect(server.connections).toHaveLength(0);
  });

  it('rejects at once with the reason of an already aborted signal', async () => {
    const server = await startServer();
    const client = makeClient(server.url);
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    const error = rejection(await settled(client.connect({ signal: controller.signal })));
    expect((error as Error).message).toBe('too late');
    expect(client.status).toBe('idle');
  });

  it('gives up after reconnect.maxAttempts retries of connect({ retry: true })', async () => {
    const port = await freePort();
    const client = makeClient(`ws://127.0.0.1:${port}`, { reconnect: { maxAttempts: 2 } });
    const error = rejection(await settled(client.connect({ retry: true })));
    expect(error).toBeInstanceOf(DdpConnectionError);
    expect((error as DdpConnectionError).code).toBe('refused');
    expect((error as Error).message).toMatch(/^gave up after 2 retries: could not connect/);
    expect(client.status).toBe('failed');
  });

  it('rejects with DdpClosedError after close()', async () => {
    const server = await startServer();
    const client = makeClient(server.url);
    await client.close();
    expect(rejection(await settled(client.connect()))).toBeInstanceOf(DdpClosedError);
  });

  it('rejects a pending connect() with DdpClosedError when closed meanwhile', async () => {
    const server = await startServer({ onConnect: 'silent' });
    const client = makeClient(server.url);
    const connecting = settled(client.connect());
    await server.waitForFrame('connect');
    await client.close();
    expect(rejection(await connecting)).toBeInstanceOf(DdpClosedError);
  });

  it('passes maxPayload and perMessageDeflate: false to the ws constructor', async () => {
    const server = await startServer();
    RecordingWebSocket.made.length = 0;
    const client = makeClient(server.url, { WebSocket: RecordingWebSocket, maxFrameBytes: 4096 });
    await client.connect();
    expect(RecordingWebSocket.made.map((ws) => ws.constructedWith)).toEqual([[server.url, { maxPayload: 4096, perMessageDeflate: false }]]);
  });

  it('gives a browser-style WebSocket constructor only the URL', async () => {
    const server = await startServer();
    BrowserLikeWebSocket.constructed.length = 0;
    const client = makeClient(server.url, { WebSocket: BrowserLikeWebSocket });
    await client.connect();
    expect(BrowserLikeWebSocket.constructed).toEqual([[server.url]]);
    await client.close();
    await server.last!.waitForClose();
    expect(server.last!.closeInfo?.code).toBe(1000);
  });

  it('reports a WebSocket constructor that throws as a refused connection', async () => {
    const client = makeClient('ws://127.0.0.1:1', {
      WebSocket: class {
        constructor() {
          throw new SyntaxError('bad URL for this platform');
        }
      } as unknown as typeof WS,
    });
    const error = rejection(await settled(client.connect()));
    expect((error as DdpConnectionError).code).toBe('refused');
    expect((error as Error).message).toBe(
      'could not open a WebSocket to ws://127.0.0.1:1/websocket: bad URL for this platform',
    );
    expect(client.status).toBe('idle');
  });

  it('refuses a non-http(s)/ws(s) URL with a clear TypeError', () => {
    expect(() => new DdpClient({ url: 'ftp://example.com' })).toThrow(TypeError);
  });

  it.each([
    [{ connectTimeoutMs: 0 }, 'connectTimeoutMs must be a number > 0'],
    [{ callTimeoutMs: -1 }, 'callTimeoutMs must be a number ≥ 0'],
    [{ maxPendingCalls: 0 }, 'maxPendingCalls must be a number > 0'],
    [{ maxFrameBytes: Number.NaN }, 'maxFrameBytes must be a number > 0'],
    [{ heartbeat: { timeoutMs: 0 } }, 'heartbeat.timeoutMs must be a number > 0'],
    [{ reconnect: { jitter: 2 } }, 'reconnect.jitter must be in [0, 1)'],
  ])('refuses the option %j with a RangeError', (options, message) => {
    expect(() => new DdpClient({ url: 'ws://127.0.0.1:1', ...options })).toThrow(new RangeError(message));
  });
});
