import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { DdpLogger } from '../../src/ddp/client.js';
import { DdpLimitError, DdpMethodError, DdpProtocolError, DdpTimeoutError } from '../../src/ddp/errors.js';
import { REDACTED } from '../../src/ddp/redact.js';
import { leftovers, settled, waitFor } from '../helpers.js';
import { ScriptMethodError, type ScriptServer } from './script-server.js';
import {
  BrowserLikeWebSocket,
  connectedPair,
  makeClient,
  methodsSent,
  recordStatuses,
  roundTrip,
  startServer,
} from './support.js';

afterEach(() => leftovers.disposeAll());

function rejection(outcome: Awaited<ReturnType<typeof settled>>): unknown {
  expect(outcome.status).toBe('rejected');
  return (outcome as { reason: unknown }).reason;
}


/** A method `big` that answers 2,000 characters the first time and `'small'` after. */
function answerBigThenSmall(server: ScriptServer): void {
  let answered = false;
  server.method('big', () => {
    if (answered) return 'small';
    answered = true;
    return 'x'.repeat(2000);
  });
}
describe('method calls', () => {
  it('gives every call a unique id: "1", "2", "3"…', async () => {
    const { client, connection } = await connectedPair({ methods: { echo: (params) => params[0] } });
    await Promise.all([client.call('echo', [1]), client.call('echo', [2]), client.call('echo', [3])]);
    expect(connection.frames('method').map((frame) => frame['id'])).toEqual(['1', '2', '3']);
    expect(connection.receivedText[1]).toBe('{"msg":"method","id":"1","method":"echo","params":[1]}');
  });

  it('settles results that arrive out of order with the right calls', async () => {
    const { client, connection } = await connectedPair();
    const first = client.call('first');
    const second = client.call('second');
    await connection.waitForFrame('method', { nth: 1 });
    connection.send({ msg: 'result', id: '2', result: 'two' }, { msg: 'result', id: '1', result: 'one' });
    expect(await first).toBe('one');
    expect(await second).toBe('two');
  });

  it('ignores a result for an unknown id', async () => {
    const debug: unknown[] = [];
    const logger: DdpLogger = { debug: (message, data) => debug.push([message, data]), warn: () => undefined };
    const { client, connection } = await connectedPair({}, { logger });
    const call = client.call('m');
    await connection.waitForFrame('method');
    connection.send({ msg: 'result', id: '999', result: 'stray' }, { msg: 'updated', methods: ['999'] });
    connection.send({ msg: 'result', id: '1', result: 'mine' });
    expect(await call).toBe('mine');
    expect(debug).toContainEqual(['ignored a result for an unknown or settled call', { id: '999' }]);
  });

  it.each([
    [{ error: 'error-invalid-room', reason: 'Invalid room', details: { method: 'sendMessage' } }],
    [{ error: 401, reason: 'User not found' }],
    [{ error: 'too-many-requests', reason: 'Too many', details: { timeToReset: 425 } }],
  ])('rejects an error result with a DdpMethodError: %j', async (object) => {
    const { client } = await connectedPair({
      methods: {
        fails: () => {
          throw new ScriptMethodError(object);
        },
      },
    });
    const error = rejection(await settled(client.call('fails')));
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as DdpMethodError).error).toBe(object.error);
    expect((error as DdpMethodError).reason).toBe(object.reason);
    expect((error as DdpMethodError).details).toEqual((object as { details?: unknown }).details);
    expect((error as DdpMethodError).method).toBe('fails');
    expect((error as Error).message).toBe(`fails: ${object.reason} [${object.error}]`);
  });

  it('points the rejection’s stack at the caller', async () => {
    const { client } = await connectedPair(
      {
        methods: {
          fails: () => {
            throw new ScriptMethodError({ error: 'x' });
          },
        },
      },
      { callSiteStacks: true },
    );
    async function theCallingFunction(): Promise<unknown> {
      return client.call('fails');
    }
    const error = rejection(await settled(theCallingFunction()));
    expect((error as Error).stack).toContain('theCallingFunction');
  });

  it('resolves undefined for a result without a result field', async () => {
    const { client } = await connectedPair({ methods: { nothing: () => undefined } });
    expect(await client.call('nothing')).toBeUndefined();
  });

  it.each([['after'], ['before']] as const)('resolves on result whether updated comes %s it', async (updated) => {
    const { client, connection } = await connectedPair({ updated, methods: { answer: () => 42 } });
    expect(await client.call('answer')).toBe(42);
    expect(await client.call('answer', [], { wait: true })).toBe(42);
    expect(methodsSent(connection)).toEqual(['answer', 'answer']);
  });

  it('sends one, two(wait), three, four, five(wait), six in the order of wait semantics', async () => {
    const { client, connection } = await connectedPair();
    const names = ['one', 'two', 'three', 'four', 'five', 'six'];
    const calls = names.map((name) => client.call(name, [], { wait: name === 'two' || name === 'five' }));
    const id = (name: string): string => String(names.indexOf(name) + 1);
    const finish = (name: string, parts: ('result' | 'updated')[] = ['result', 'updated']): void => {
      for (const part of parts) {
        connection.send(part === 'result' ? { msg: 'result', id: id(name), result: name } : { msg: 'updated', methods: [id(name)] });
      }
    };
    await roundTrip(connection);
    expect(methodsSent(connection)).toEqual(['one']);
    finish('one');
    await roundTrip(connection);
    expect(methodsSent(connection)).toEqual(['one', 'two']);
    finish('two', ['result']);
    await roundTrip(connection);
    expect(methodsSent(connection)).toEqual(['one', 'two']);
    finish('two', ['updated']);
    await roundTrip(connection);
    expect(methodsSent(connection)).toEqual(['one', 'two', 'three', 'four']);
    finish('four');
    await roundTrip(connection);
    expect(methodsSent(connection)).toEqual(['one', 'two', 'three', 'four']);
    finish('three');
    await roundTrip(connection);
    expect(methodsSent(connection)).toEqual(['one', 'two', 'three', 'four', 'five']);
    finish('five', ['updated', 'result']);
    await roundTrip(connection);
    expect(methodsSent(connection)).toEqual(names);
    finish('six');
    expect(await Promise.all(calls)).toEqual(names);
  });

  it('rejects with DdpTimeoutError after the call’s timeout and ignores the late result', async () => {
    const { client, connection } = await connectedPair();
    const error = rejection(await settled(client.call('slow', [], { timeoutMs: 30 })));
    expect(error).toBeInstanceOf(DdpTimeoutError);
    expect((error as Error).message).toBe('method slow timed out after 30 ms');
    expect((error as DdpTimeoutError).timeoutMs).toBe(30);
    expect(client.pendingCallCount).toBe(0);
    connection.send({ msg: 'result', id: '1', result: 'late' }, { msg: 'updated', methods: ['1'] });
    await roundTrip(connection);
    expect(client.status).toBe('connected');
  });

  it('applies callTimeoutMs to every call unless the call says otherwise', async () => {
    const { client } = await connectedPair({}, { callTimeoutMs: 20 });
    const error = rejection(await settled(client.call('slow')));
    expect((error as Error).message).toBe('method slow timed out after 20 ms');
  });

  it('never writes a call aborted before it was sent, and rejects it with signal.reason', async () => {
    const server = await startServer({ methods: { ok: () => 'ok' } });
    const client = makeClient(server.url);
    const controller = new AbortController();
    const aborted = settled(client.call('aborted', [], { signal: controller.signal }));
    const reason = new Error('no longer needed');
    controller.abort(reason);
    expect(await aborted).toEqual({ status: 'rejected', reason });
    await client.connect();
    expect(await client.call('ok')).toBe('ok');
    expect(methodsSent(server.last!)).toEqual(['ok']);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects a call aborted after it was sent with signal.reason and ignores its late result', async () => {
    const { client, connection } = await connectedPair();
    const controller = new AbortController();
    const call = settled(client.call('m', [], { signal: controller.signal }));
    await connection.waitForFrame('method');
    controller.abort();
    const error = rejection(await call);
    expect((error as Error).name).toBe('AbortError');
    connection.send({ msg: 'result', id: '1', result: 'late' });
    await roundTrip(connection);
    expect(client.pendingCallCount).toBe(0);
  });

  it('rejects at once with the reason of an already aborted signal', async () => {
    const { client, connection } = await connectedPair();
    const error = rejection(await settled(client.call('m', [], { signal: AbortSignal.abort('stop') })));
    expect(error).toBe('stop');
    await roundTrip(connection);
    expect(methodsSent(connection)).toEqual([]);
  });

  it('snapshots the arguments when the call is made', async () => {
    const server = await startServer({ methods: { store: (params) => params } });
    const client = makeClient(server.url);
    const message = { msg: 'original', tags: ['a'] };
    const call = client.call('store', [message]);
    message.msg = 'changed';
    message.tags.push('b');
    await client.connect();
    expect(await call).toEqual([{ msg: 'original', tags: ['a'] }]);
  });

  it('sends calls made before connect() right after the connect frame', async () => {
    const server = await startServer({ methods: { early: () => 'ok' } });
    const client = makeClient(server.url);
    const call = client.call('early', [new Date(0)]);
    await client.connect();
    expect(await call).toBe('ok');
    expect(server.last!.receivedText).toEqual([
      '{"msg":"connect","version":"1","support":["1","pre2","pre1"]}',
      '{"msg":"method","id":"1","method":"early","params":[{"$date":0}]}',
    ]);
  });

  it('rejects a call over maxPendingCalls at once with DdpLimitError', async () => {
    const server = await startServer({ methods: { m: () => 1 } });
    const client = makeClient(server.url, { maxPendingCalls: 2 });
    const first = client.call('m');
    const second = client.call('m');
    const error = rejection(await settled(client.call('m')));
    expect(error).toBeInstanceOf(DdpLimitError);
    expect((error as DdpLimitError).limit).toBe('maxPendingCalls');
    expect((error as DdpLimitError).max).toBe(2);
    expect((error as Error).message).toBe('method m: 2 calls are already pending (maxPendingCalls)');
    await client.connect();
    expect(await Promise.all([first, second])).toEqual([1, 1]);
    expect(await client.call('m')).toBe(1);
  });

  it('rejects an outgoing frame over maxFrameBytes with DdpLimitError and sends nothing', async () => {
    const { client, connection } = await connectedPair({}, { maxFrameBytes: 200 });
    const error = rejection(await settled(client.call('big', ['x'.repeat(500)])));
    expect(error).toBeInstanceOf(DdpLimitError);
    expect((error as DdpLimitError).limit).toBe('maxFrameBytes');
    expect((error as Error).message).toBe('method big: frame of 554 bytes exceeds maxFrameBytes (200)');
    await roundTrip(connection);
    expect(methodsSent(connection)).toEqual([]);
  });

  it('rejects params that cannot be encoded with a TypeError', async () => {
    const { client } = await connectedPair();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const error = rejection(await settled(client.call('m', [cyclic])));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^method m: params cannot be encoded/);
  });

  it('emits protocolError for a malformed frame, drops it, and keeps the link', async () => {
    const warnings: string[] = [];
    const { server, client, connection } = await connectedPair(
      { methods: { ok: () => 'ok' } },
      { logger: { debug: () => undefined, warn: (message) => warnings.push(message) } },
    );
    const problems: DdpProtocolError[] = [];
    client.on('protocolError', (error) => problems.push(error));
    connection.sendRaw('not json');
    connection.sendRaw('{"msg":"result"}');
    connection.sendBinary(new Uint8Array([1, 2, 3]));
    await waitFor(() => problems.length === 3);
    expect(problems.map((problem) => problem.message)).toEqual([
      'frame is not valid JSON',
      '"result" frame: "id" must be a string',
      'received a binary frame (3 bytes); DDP frames are text',
    ]);
    expect(problems.every((problem) => problem instanceof DdpProtocolError)).toBe(true);
    expect(warnings).toContain('dropped a malformed frame: frame is not valid JSON');
    expect(await client.call('ok')).toBe('ok');
    expect(server.connections).toHaveLength(1);
    expect(client.status).toBe('connected');
  });

  it('logs a top-level error frame as a warning and keeps the link', async () => {
    const warnings: unknown[] = [];
    const { client, connection } = await connectedPair({}, { logger: { debug: () => undefined, warn: (...args) => warnings.push(args) } });
    connection.send({ msg: 'error', reason: 'Bad request', offendingMessage: { msg: 'method', params: [{ resume: 'secret' }] } });
    await roundTrip(connection);
    expect(warnings).toEqual([
      ['the server reported an error: Bad request', { offendingMessage: { msg: 'method', params: [{ resume: REDACTED }] } }],
    ]);
    expect(client.status).toBe('connected');
  });

  it('drops the link on an incoming frame over maxFrameBytes, then reconnects and resends', async () => {
    const server = await startServer();
    answerBigThenSmall(server);
    const client = makeClient(server.url, { maxFrameBytes: 1024 });
    const statuses = recordStatuses(client);
    await client.connect();
    expect(await client.call('big')).toBe('small');
    expect(server.connections).toHaveLength(2);
    const waiting = statuses.events.find((event) => event.status === 'waiting');
    expect(waiting?.details.reason).toBe('the server sent a frame larger than maxFrameBytes (1024); the connection was dropped');
    expect(server.connections[0]!.closeInfo?.code).toBe(1009);
    expect(server.connections[1]!.frames('method').map((frame) => frame['id'])).toEqual(['1']);
  });

  it('drops the link on an oversized frame even when the WebSocket does not enforce the limit', async () => {
    const server = await startServer();
    answerBigThenSmall(server);
    const client = makeClient(server.url, { maxFrameBytes: 1024, WebSocket: BrowserLikeWebSocket });
    await client.connect();
    expect(await client.call('big')).toBe('small');
    expect(server.connections).toHaveLength(2);
  });

  it('hands the logger frames with every secret redacted', async () => {
    const logs: string[] = [];
    const logger: DdpLogger = {
      debug: (message, data) => logs.push(`${message} ${JSON.stringify(data)}`),
      warn: (message, data) => logs.push(`${message} ${JSON.stringify(data)}`),
    };
    const { client } = await connectedPair(
      { methods: { login: () => ({ id: 'u1', token: 'RESUME-TOKEN-123', tokenExpires: { $date: 0 } }) } },
      { logger },
    );
    await client.call('login', [{ user: { username: 'bot' }, password: { digest: 'DIGEST-abc', algorithm: 'sha-256' } }]);
    await client.call('login', [{ resume: 'RESUME-TOKEN-123' }]);
    await client.call('login', [{ totp: { login: { resume: 'RESUME-TOKEN-123' }, code: '987654' } }]);
    const text = logs.join('\n');
    expect(text).toContain('"method":"login"');
    expect(text).toContain(REDACTED);
    for (const secret of ['DIGEST-abc', 'RESUME-TOKEN-123', '987654']) expect(text).not.toContain(secret);
  });

  it('leaves no pending call, listener or timer behind after 10,000 settled calls', async () => {
    const { client, connection } = await connectedPair({ methods: { echo: (params) => params[0] } });
    const controller = new AbortController();
    const listenerCounts = (): number[] => client.eventNames().map((event) => client.listenerCount(event));
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    await client.call('echo', [0]);
    const baseline = { listeners: listenerCounts(), timers: timers() };
    for (let batch = 0; batch < 10; batch++) {
      const calls = [];
      for (let i = 0; i < 1000; i++) {
        calls.push(client.call('echo', [i], { signal: controller.signal, timeoutMs: 60_000 }));
      }
      const results = await Promise.all(calls);
      expect(results[999]).toBe(999);
    }
    expect(connection.frames('method')).toHaveLength(10_001);
    expect(client.pendingCallCount).toBe(0);
    expect(listenerCounts()).toEqual(baseline.listeners);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await waitFor(() => timers() <= baseline.timers, { what: 'call timers cleared' });
  });
});
