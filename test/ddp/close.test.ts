import { afterEach, describe, expect, it, vi } from 'vitest';
import { DdpClosedError } from '../../src/ddp/errors.js';
import { collectedAfterFullGc, deferred, leftovers, settled, waitFor } from '../helpers.js';
import { DdpClient } from '../../src/ddp/client.js';
import { connectedPair, makeClient, nextTurn, recordStatuses, startServer } from './support.js';

afterEach(() => leftovers.disposeAll());

function rejection(outcome: Awaited<ReturnType<typeof settled>>): unknown {
  expect(outcome.status).toBe('rejected');
  return (outcome as { reason: unknown }).reason;
}

/** Open timers and TCP sockets of this process. */
function handles(): { timers: number; sockets: number } {
  const resources = process.getActiveResourcesInfo();
  return {
    timers: resources.filter((resource) => resource === 'Timeout').length,
    sockets: resources.filter((resource) => resource === 'TCPSocketWrap').length,
  };
}

describe('close', () => {
  it('rejects every pending call and ready() with DdpClosedError', async () => {
    const server = await startServer();
    const client = makeClient(server.url);
    const setupCall = deferred<Promise<unknown>>();
    const setupGate = deferred();
    let first = true;
    client.addSessionSetup(async (session) => {
      if (!first) return;
      first = false;
      setupCall.resolve(session.call('login').catch((error: unknown) => error));
      await setupGate.promise;
    });
    const queuedBeforeConnect = settled(client.call('queued'));
    const subscription = client.subscribe('s');
    await client.connect();
    const connection = await server.waitForConnection();
    await connection.waitForFrame('method');
    setupGate.resolve();
    await connection.waitForFrame('sub');
    const inFlight = settled(client.call('inFlight', [], { wait: true }));
    const held = settled(client.call('held'));
    await client.close();
    const errors = [
      rejection(await queuedBeforeConnect),
      rejection(await inFlight),
      rejection(await held),
      rejection(await settled(subscription.ready())),
      await (await setupCall.promise),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(DdpClosedError);
    }
    expect((errors[0] as Error).message).toBe('the client was closed');
    expect(client.pendingCallCount).toBe(0);
  });

  it('clears every timer and socket so the process can exit, whatever the state', async () => {
    const server = await startServer();
    const silent = await startServer({ onConnect: 'silent' });
    const baseline = handles();

    const connected = makeClient(server.url, { heartbeat: { intervalMs: 1000, timeoutMs: 10_000 }, callTimeoutMs: 60_000 });
    await connected.connect();
    void connected.call('pending').catch(() => undefined);
    const connecting = makeClient(silent.url, { connectTimeoutMs: 60_000 });
    const connectingPromise = connecting.connect().catch(() => undefined);
    await silent.waitForFrame('connect');
    const waiting = makeClient(server.url, { backoff: () => 60_000 });
    await waiting.connect();
    server.connections[1]!.drop(1006);
    await waitFor(() => waiting.status === 'waiting');
    expect(handles().timers).toBeGreaterThan(baseline.timers);

    await Promise.all([connected.close(), connecting.close(), waiting.close()]);
    await connectingPromise;
    await waitFor(() => {
      const now = handles();
      return now.timers <= baseline.timers && now.sockets <= baseline.sockets + server.connections.filter((c) => c.isOpen).length;
    }, { what: 'timers and client sockets released' });
    await waitFor(() => server.connections.every((connection) => !connection.isOpen) && silent.connections.every((c) => !c.isOpen));
    await waitFor(() => {
      const now = handles();
      return now.timers <= baseline.timers && now.sockets <= baseline.sockets;
    }, { what: 'all sockets released' });
  });

  it('writes the frames of the current turn before closing the socket', async () => {
    const { client, connection } = await connectedPair();
    const calls = [settled(client.call('first')), settled(client.call('second'))];
    client.subscribe('last-sub');
    await client.close();
    await Promise.all(calls);
    await waitFor(() => connection.frames('sub').length === 1);
    expect(connection.frames('method').map((frame) => frame['method'])).toEqual(['first', 'second']);
  });

  it('is idempotent: one close, one status event, the same promise', async () => {
    const { client, connection } = await connectedPair();
    const statuses = recordStatuses(client);
    const disconnects: string[] = [];
    client.on('disconnected', (reason) => disconnects.push(reason));
    const first = client.close();
    const second = client.close();
    expect(second).toBe(first);
    await first;
    await client.close();
    expect(statuses.events).toEqual([{ status: 'closed', details: { reason: 'closed by the client' } }]);
    expect(disconnects).toEqual(['closed by the client']);
    const closeInfo = await connection.waitForClose();
    expect(closeInfo.code).toBe(1000);
  });

  it('resolves even if the server never answers the close', async () => {
    const { client, connection } = await connectedPair();
    connection.freeze();
    await client.close();
    expect(client.status).toBe('closed');
  });

  it('rejects calls made after close() at once, and ends new subscriptions', async () => {
    const { client, connection } = await connectedPair();
    await client.close();
    const error = rejection(await settled(client.call('late')));
    expect(error).toBeInstanceOf(DdpClosedError);
    const subscription = client.subscribe('late');
    expect(rejection(await settled(subscription.ready()))).toBeInstanceOf(DdpClosedError);
    const stopped = await new Promise((resolve) => subscription.onStop((stopError) => resolve(stopError ?? 'no error')));
    expect(stopped).toBe('no error');
    subscription.stop();
    expect(connection.frames('method')).toEqual([]);
  });

  it('emits nothing after close: no error, message, status or data event', async () => {
    const { client, connection } = await connectedPair();
    connection.freeze();
    await client.close();
    const events: string[] = [];
    for (const event of ['error', 'message', 'status', 'connected', 'disconnected', 'added', 'changed', 'removed', 'protocolError'] as const) {
      client.on(event as 'message', () => events.push(event));
    }
    connection.send({ msg: 'changed', collection: 'c', id: 'x' });
    connection.sendRaw('garbage');
    connection.drop(1006);
    await connection.waitForClose();
    await nextTurn();
    expect(events).toEqual([]);
  });

  it('stops a connect() in progress', async () => {
    const silent = await startServer({ onConnect: 'silent' });
    const connecting = makeClient(silent.url);
    const attempt = settled(connecting.connect({ retry: true }));
    await silent.waitForFrame('connect');
    await connecting.close();
    expect(rejection(await attempt)).toBeInstanceOf(DdpClosedError);
    expect(connecting.status).toBe('closed');
    await silent.last!.waitForClose();
  });

  it('clears the retry timer of a client that was waiting', async () => {
    const { client, connection } = await connectedPair({}, { backoff: () => 60_000 });
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
    try {
      connection.drop(1006);
      await waitFor(() => client.status === 'waiting');
      const retry = setTimeoutSpy.mock.results.find((_result, index) => setTimeoutSpy.mock.calls[index]?.[1] === 60_000);
      expect(retry).toBeDefined();
      expect(clearTimeoutSpy).not.toHaveBeenCalledWith(retry!.value);
      await client.close();
      expect(clearTimeoutSpy).toHaveBeenCalledWith(retry!.value);
      expect(client.status).toBe('closed');
    } finally {
      setTimeoutSpy.mockRestore();
      clearTimeoutSpy.mockRestore();
    }
  });

  it('leaves nothing behind that keeps a closed client alive, the last call it made included', async () => {
    const server = await startServer({ methods: { echo: (params) => params[0] } });
    // Made here, not by makeClient: the list of things to dispose would hold it.
    const closedClient = async (): Promise<WeakRef<object>> => {
      const client = new DdpClient({ url: server.url, heartbeat: { intervalMs: 1_000, timeoutMs: 1_000 } });
      await client.connect();
      await expect(client.call('echo', ['done'])).resolves.toBe('done');
      await client.close();
      return new WeakRef(client);
    };
    expect(await collectedAfterFullGc(await closedClient())).toBe(true);
  });
});
