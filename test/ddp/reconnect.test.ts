import { afterEach, describe, expect, it } from 'vitest';
import { classifyLoss, type DdpSession, type LossContext } from '../../src/ddp/client.js';
import { DdpConnectionError, DdpVersionError } from '../../src/ddp/errors.js';
import { leftovers, settled, waitFor } from '../helpers.js';
import { ScriptServer, type ScriptConnection } from './script-server.js';
import { connectedPair, makeClient, methodsSent, recordStatuses, roundTrip, startServer } from './support.js';

afterEach(() => leftovers.disposeAll());

function rejection(outcome: Awaited<ReturnType<typeof settled>>): unknown {
  expect(outcome.status).toBe('rejected');
  return (outcome as { reason: unknown }).reason;
}

/** Each frame of a connection, summarised: msg plus method name or sub name and id. */
function summary(connection: ScriptConnection): string[] {
  return connection.received
    .filter((frame) => frame['msg'] !== 'ping' && frame['msg'] !== 'pong')
    .map((frame) => {
      switch (frame['msg']) {
        case 'method':
          return `method ${String(frame['method'])} #${String(frame['id'])}`;
        case 'sub':
          return `sub ${String(frame['name'])} ${String(frame['id'])}`;
        default:
          return String(frame['msg']);
      }
    });
}

describe('reconnect', () => {
  it('goes waiting (attempt, retryInMs, reason) → connecting → connected after a drop', async () => {
    const { server, client, connection } = await connectedPair();
    const statuses = recordStatuses(client);
    const disconnects: string[] = [];
    client.on('disconnected', (reason) => disconnects.push(reason));
    connection.drop(1006);
    await server.waitForConnection(2);
    await waitFor(() => client.status === 'connected');
    const reason = `the connection to ${server.url} closed (code 1006)`;
    expect(statuses.events).toEqual([
      { status: 'waiting', details: { attempt: 1, retryInMs: 5, reason } },
      { status: 'connecting', details: { attempt: 1 } },
      { status: 'connected', details: {} },
    ]);
    expect(disconnects).toEqual([reason]);
    expect(client.session).toBe('session-1');
  });

  it.each([1000, 1001, 1006, 4000])('retries after the server closes with code %i', async (code) => {
    const { server, client, connection } = await connectedPair({ methods: { ok: () => 'ok' } });
    connection.drop(code);
    await server.waitForConnection(2);
    expect(await client.call('ok')).toBe('ok');
    expect(client.status).toBe('connected');
  });

  it('reconnects after the server restarts on the same port', async () => {
    const first = await ScriptServer.start();
    const port = first.port;
    const client = makeClient(first.url);
    await client.connect();
    await first.close();
    await waitFor(() => client.status === 'waiting');
    const call = client.call('ping-me');
    const second = leftovers.track(await ScriptServer.start({ port, methods: { 'ping-me': () => 'pong' } }));
    expect(await call).toBe('pong');
    expect(second.connections).toHaveLength(1);
  });

  it('runs session setups first and gates everything: connect, setup call, subs, unanswered calls, offline calls', async () => {
    const server = await startServer({ autoReady: true });
    let logins = 0;
    server.method('login', () => ({ token: `t${++logins}` }));
    const client = makeClient(server.url, { backoff: () => 60_000 });
    const setupResults: unknown[] = [];
    client.addSessionSetup(async (session: DdpSession) => {
      setupResults.push(await session.call('login', [{ resume: 'token' }]));
    });
    await client.connect();
    const first = await server.waitForConnection(1);
    const subA = client.subscribe('alpha', ['a']);
    const subB = client.subscribe('beta');
    await Promise.all([subA.ready(), subB.ready()]);
    const unanswered1 = client.call('unanswered1', [1]);
    const unanswered2 = client.call('unanswered2', [2]);
    await first.waitForFrame((frame) => frame['method'] === 'unanswered2');

    first.drop(1006);
    await waitFor(() => client.status === 'waiting');
    const offline = client.call('offline', [3]);
    const subC = client.subscribe('gamma');

    // Take over login on the new socket to watch the gate.
    const manual = server.intercept((frame) => frame['method'] === 'login');
    void client.connect();
    const second = await server.waitForConnection(2);
    const login = await second.waitForFrame('method');
    await roundTrip(second);
    expect(summary(second)).toEqual(['connect', 'method login #5']);

    second.send({ msg: 'result', id: login['id'], result: { token: 'resumed' } });
    await roundTrip(second);
    expect(summary(second)).toEqual([
      'connect',
      'method login #5',
      `sub alpha ${subA.id}`,
      `sub beta ${subB.id}`,
      `sub gamma ${subC.id}`,
    ]);

    second.send({ msg: 'updated', methods: [login['id']] });
    await roundTrip(second);
    expect(summary(second)).toEqual([
      'connect',
      'method login #5',
      `sub alpha ${subA.id}`,
      `sub beta ${subB.id}`,
      `sub gamma ${subC.id}`,
      'method unanswered1 #2',
      'method unanswered2 #3',
      'method offline #4',
    ]);
    expect(second.frames('sub').map((frame) => frame['params'])).toEqual([['a'], [], []]);
    expect(setupResults).toEqual([{ token: 't1' }, { token: 'resumed' }]);
    manual();
    for (const id of ['2', '3', '4']) second.send({ msg: 'result', id, result: id });
    expect(await Promise.all([unanswered1, unanswered2, offline])).toEqual(['2', '3', '4']);
    await subC.ready();
  });

  it('rejects a noRetry call in flight at a drop with invocation-failed and never resends it', async () => {
    const { server, client, connection } = await connectedPair({ methods: { ok: () => 'ok' } });
    const risky = settled(client.call('transfer', [100], { noRetry: true }));
    await connection.waitForFrame('method');
    connection.drop(1006);
    const error = rejection(await risky);
    expect(error).toBeInstanceOf(DdpConnectionError);
    expect((error as DdpConnectionError).code).toBe('invocation-failed');
    await server.waitForConnection(2);
    expect(await client.call('ok')).toBe('ok');
    expect(methodsSent(server.last!)).toEqual(['ok']);
  });

  it('resends a wait call that was in flight, and the calls after it then proceed', async () => {
    const { server, client, connection } = await connectedPair();
    const wait = client.call('login', [], { wait: true });
    const later = client.call('later');
    await connection.waitForFrame('method');
    await roundTrip(connection);
    expect(methodsSent(connection)).toEqual(['login']);
    connection.drop(1006);
    const second = await server.waitForConnection(2);
    const resent = await second.waitForFrame('method');
    expect(resent).toEqual({ msg: 'method', id: '1', method: 'login', params: [] });
    await roundTrip(second);
    expect(methodsSent(second)).toEqual(['login']);
    second.send({ msg: 'result', id: '1', result: 'in' }, { msg: 'updated', methods: ['1'] });
    const next = await second.waitForFrame((frame) => frame['method'] === 'later');
    expect(next['id']).toBe('2');
    second.send({ msg: 'result', id: '2', result: 'done' });
    expect(await Promise.all([wait, later])).toEqual(['in', 'done']);
  });

  it('does not resend calls that already got their result', async () => {
    const { server, client, connection } = await connectedPair();
    const answered = client.call('answered');
    const open = client.call('open');
    await connection.waitForFrame('method', { nth: 1 });
    connection.send({ msg: 'result', id: '1', result: 'A' });
    expect(await answered).toBe('A');
    connection.drop(1006);
    const second = await server.waitForConnection(2);
    await second.waitForFrame('method');
    await roundTrip(second);
    expect(second.frames('method')).toEqual([{ msg: 'method', id: '2', method: 'open', params: [] }]);
    second.send({ msg: 'result', id: '2', result: 'B' });
    expect(await open).toBe('B');
  });

  it('keeps method ids unique across reconnects', async () => {
    const { server, client, connection } = await connectedPair({ methods: { m: () => 1 } });
    await client.call('m');
    connection.drop(1006);
    await server.waitForConnection(2);
    await client.call('m');
    expect(server.allFrames().filter((frame) => frame['msg'] === 'method').map((frame) => frame['id'])).toEqual(['1', '2']);
  });

  it('has no duplicate subscriptions or changed events after 5 reconnects', async () => {
    const server = await startServer({ autoReady: true });
    server.intercept((frame, connection) => {
      if (frame['msg'] === 'sub') {
        connection.send({ msg: 'changed', collection: 'stream', id: 'id', fields: { eventName: 'e', args: [connection.index] } });
      }
    });
    const client = makeClient(server.url);
    const changes: unknown[] = [];
    client.on('changed', (frame) => changes.push(frame.fields?.['args']));
    await client.connect();
    const subscription = client.subscribe('stream', ['room']);
    let readyCount = 0;
    void subscription.ready().then(() => readyCount++);
    await subscription.ready();
    const listeners = client.eventNames().map((event) => client.listenerCount(event));
    for (let round = 1; round <= 5; round++) {
      server.last!.drop(1006);
      const next = await server.waitForConnection(round + 1);
      await next.waitForFrame('sub');
      await roundTrip(next);
    }
    expect(server.connections).toHaveLength(6);
    for (const connection of server.connections) {
      expect(connection.frames('sub')).toEqual([{ msg: 'sub', id: subscription.id, name: 'stream', params: ['room'] }]);
    }
    expect(changes).toEqual([[0], [1], [2], [3], [4], [5]]);
    expect(readyCount).toBe(1);
    expect(client.eventNames().map((event) => client.listenerCount(event))).toEqual(listeners);
  });

  it('with reconnect: false, ends in failed after a drop and rejects pending calls', async () => {
    const { server, client, connection } = await connectedPair({}, { reconnect: false });
    const statuses = recordStatuses(client);
    const call = settled(client.call('pending'));
    const subscription = client.subscribe('s');
    await connection.waitForFrame('method');
    connection.drop(1006);
    const error = rejection(await call);
    expect(error).toBeInstanceOf(DdpConnectionError);
    expect((error as DdpConnectionError).code).toBe('closed');
    expect(client.status).toBe('failed');
    expect(statuses.history).toEqual(['connected', 'failed']);
    expect(rejection(await settled(subscription.ready()))).toBe(error);
    expect(rejection(await settled(client.connect()))).toBe(error);
    expect(server.connections).toHaveLength(1);
  });

  it('ends in failed after maxAttempts retries', async () => {
    const server = await ScriptServer.start();
    const client = makeClient(server.url, { reconnect: { maxAttempts: 2 } });
    await client.connect();
    const statuses = recordStatuses(client);
    const call = settled(client.call('pending'));
    await server.close();
    const error = rejection(await call);
    expect(error).toBeInstanceOf(DdpConnectionError);
    expect((error as DdpConnectionError).code).toBe('refused');
    expect((error as Error).message).toMatch(/^gave up after 2 retries: could not connect to .*: connection refused$/);
    expect(client.status).toBe('failed');
    expect(statuses.history).toEqual([
      'connected',
      'waiting',
      'connecting',
      'waiting',
      'connecting',
      'failed',
    ]);
    expect(statuses.events.filter((event) => event.status === 'waiting').map((event) => event.details.attempt)).toEqual([1, 2]);
  });

  it('rejects a setup’s call when the link drops during the setup, and runs the setup again on the next session', async () => {
    const server = await startServer();
    const outcomes: unknown[] = [];
    let runs = 0;
    server.method('login', () => (runs === 1 ? Symbol('never') : 'ok'));
    server.intercept((frame, connection) => {
      if (frame['method'] === 'login' && runs === 1) {
        connection.drop(1006);
        return true;
      }
      return false;
    });
    const client = makeClient(server.url);
    client.addSessionSetup(async (session) => {
      runs++;
      outcomes.push(await settled(session.call('login')));
    });
    await client.connect();
    await waitFor(() => outcomes.length === 2);
    const first = outcomes[0] as { status: string; reason: DdpConnectionError };
    expect(first.status).toBe('rejected');
    expect(first.reason).toBeInstanceOf(DdpConnectionError);
    expect(first.reason.code).toBe('closed');
    expect(outcomes[1]).toEqual({ status: 'fulfilled', value: 'ok' });
    expect(server.connections).toHaveLength(2);
  });

  it('logs a setup that fails and carries on with the session', async () => {
    const warnings: unknown[] = [];
    const server = await startServer({ methods: { ok: () => 'ok' } });
    const client = makeClient(server.url, { logger: { debug: () => undefined, warn: (...args) => warnings.push(args) } });
    client.addSessionSetup(() => {
      throw new Error('resume refused');
    });
    const ranSecond: string[] = [];
    client.addSessionSetup((session) => {
      ranSecond.push(session.id);
    });
    await client.connect();
    expect(await client.call('ok')).toBe('ok');
    expect(ranSecond).toEqual(['session-0']);
    expect(warnings).toContainEqual(['a session setup failed', { error: 'resume refused' }]);
  });

  it('stops running a setup once its remover was called', async () => {
    const { server, client, connection } = await connectedPair();
    let runs = 0;
    const remove = client.addSessionSetup(() => {
      runs++;
    });
    connection.drop(1006);
    await server.waitForConnection(2);
    await waitFor(() => runs === 1);
    remove();
    remove();
    server.last!.drop(1006);
    await server.waitForConnection(3);
    await waitFor(() => client.status === 'connected');
    await roundTrip(server.last!);
    expect(runs).toBe(1);
  });

  it('rejects a session call once its session has ended', async () => {
    const { server, client, connection } = await connectedPair();
    let saved: DdpSession | undefined;
    client.addSessionSetup((session) => {
      saved = session;
    });
    connection.drop(1006);
    await server.waitForConnection(2);
    await waitFor(() => saved !== undefined);
    const stale = saved!;
    server.last!.drop(1006);
    await server.waitForConnection(3);
    await waitFor(() => saved !== stale);
    const error = rejection(await settled(stale.call('late')));
    expect((error as DdpConnectionError).code).toBe('closed');
  });
});

describe('classifyLoss', () => {
  const base: LossContext = {
    everConnected: true,
    reconnect: true,
    retryRequested: false,
    retries: 0,
    maxAttempts: Number.POSITIVE_INFINITY,
    versionsTried: new Set(['1']),
  };
  const drop = { kind: 'transport', code: 'closed', message: 'closed (code 1006)' } as const;

  it.each([
    ['a drop of a session is retried', drop, {}, 'retry'],
    ['a drop with reconnect: false is final', drop, { reconnect: false }, 'fail'],
    ['a drop after maxAttempts retries is final', drop, { retries: 3, maxAttempts: 3 }, 'fail'],
    ['a failed first connect() goes back to idle', drop, { everConnected: false }, 'idle'],
    ['a failed connect({ retry: true }) is retried', drop, { everConnected: false, retryRequested: true }, 'retry'],
    ['failed with a version we speak renegotiates', { kind: 'version', serverVersion: 'pre2' }, {}, 'renegotiate'],
    ['failed with a version already tried is final', { kind: 'version', serverVersion: '1' }, {}, 'fail'],
    ['failed with a version we do not speak is final', { kind: 'version', serverVersion: '99' }, {}, 'fail'],
  ] as const)('%s', (_title, loss, context, action) => {
    expect(classifyLoss(loss, { ...base, ...context }).action).toBe(action);
  });

  it('carries the right error', () => {
    const version = classifyLoss({ kind: 'version', serverVersion: '99' }, base);
    expect(version.action === 'fail' && version.error).toBeInstanceOf(DdpVersionError);
    const idle = classifyLoss({ kind: 'transport', code: 'refused', message: 'refused' }, { ...base, everConnected: false });
    expect(idle.action === 'idle' && idle.error.code).toBe('refused');
    const gaveUp = classifyLoss(drop, { ...base, retries: 1, maxAttempts: 1 });
    expect(gaveUp.action === 'fail' && gaveUp.error.message).toBe('gave up after 1 retry: closed (code 1006)');
  });
});
