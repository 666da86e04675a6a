/**
 * Connection-level behaviour of the fake server: version negotiation, pings, serial
 * processing of one connection's methods, and the quirks of the `ddp-streamer` variant.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, leftovers } from '../helpers.js';
import { RawClient } from './raw-client.js';
import { startServer } from './start.js';

afterEach(() => leftovers.disposeAll());

describe('version negotiation', () => {
  it('accepts the first version of the client\'s list that it speaks', async () => {
    const server = await startServer();
    const client = await RawClient.open(server.url);
    client.send({ msg: 'connect', version: 'pre2', support: ['pre2', '1'] });
    expect(await client.take('connected')).toMatchObject({ session: expect.stringMatching(/^[23456789A-Za-z]{17}$/) as unknown });
    const connection = await server.waitForConnection();
    expect(connection.version).toBe('pre2');
  });

  it('answers failed with the version it prefers when the client proposes another one', async () => {
    const server = await startServer();
    const client = await RawClient.open(server.url);
    client.send({ msg: 'connect', version: '1', support: ['pre2', '1'] });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'failed', version: 'pre2' });
    expect((await client.closed).code).toBe(1000);
  });

  it('answers failed for a connect whose support does not list its version', async () => {
    const server = await startServer();
    const client = await RawClient.open(server.url);
    client.send({ msg: 'connect', version: '1', support: ['pre1'] });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'failed', version: '1' });
    expect((await client.closed).code).toBe(1000);
  });

  it('requires connect before anything else, pings included', async () => {
    const server = await startServer();
    const client = await RawClient.open(server.url);
    client.send({ msg: 'ping', id: 'a' });
    client.send({ msg: 'sub', id: 's', name: 'stream-room-messages', params: [] });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'error', reason: 'Must connect first', offendingMessage: { msg: 'ping', id: 'a' } });
    expect(await client.take(() => true)).toMatchObject({ msg: 'error', reason: 'Must connect first' });
  });

  it('echoes whatever id a ping carries', async () => {
    const server = await startServer();
    const client = await RawClient.connect(server.url);
    client.send({ msg: 'ping', id: 7 });
    expect(await client.take('pong')).toStrictEqual({ msg: 'pong', id: 7 });
  });

  it('survives frames of every kind of garbage and keeps answering', async () => {
    const server = await startServer();
    const client = await RawClient.connect(server.url);
    const garbage = ['', 'null', '[]', '"text"', '{"msg":null}', '{"msg":5}', '{"msg":"method"}', '{"msg":"sub","id":"x","name":3}',
      '{"msg":"unsub"}', '{"msg":"method","id":"1","method":"sendMessage","params":[{"$date":"bad"}]}', '\u0000\uffff', '{"__proto__":{"msg":"x"}}'];
    for (const text of garbage) client.send(text);
    client.socket.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
    client.send({ msg: 'ping', id: 'still-alive' });
    await client.take((frame) => frame['msg'] === 'pong' && frame['id'] === 'still-alive');
    expect(client.all('error').length).toBeGreaterThanOrEqual(garbage.length - 1);
  });
});

describe('serial processing', () => {
  it('holds back later methods and subscriptions until a method settles, but not pings', async () => {
    const server = await startServer();
    const gate = deferred<string>();
    server.addMethod('gate', () => gate.promise);
    server.addMethod('echo', (params) => params[0]);
    const client = await RawClient.connect(server.url);
    client.method('gate', [], 'g');
    client.method('echo', ['after'], 'e');
    client.send({ msg: 'sub', id: 's', name: 'stream-notify-all', params: ['public-settings-changed', { useCollection: false, args: [] }] });
    client.send({ msg: 'ping', id: 'p' });
    await client.take('pong');
    expect(client.all('result')).toStrictEqual([]);
    expect(client.all('ready')).toStrictEqual([]);
    gate.resolve('open');
    const echo = await client.take((frame) => frame['msg'] === 'result' && frame['id'] === 'e');
    const ready = await client.take('ready');
    const first = client.all((frame) => frame['msg'] === 'result' && frame['id'] === 'g')[0]!;
    expect(first['result']).toBe('open');
    expect(client.indexOf(first)).toBeLessThan(client.indexOf(echo));
    expect(client.indexOf(echo)).toBeLessThan(client.indexOf(ready));
  });

  it('answers a test-defined method error with the Meteor error object, and other exceptions with 500', async () => {
    const { methodError } = await import('../../src/testing/index.js');
    const server = await startServer();
    server.addMethod('refuse', () => {
      throw methodError('error-custom', 'Custom reason', { extra: 1 });
    });
    server.addMethod('crash', () => {
      throw new TypeError('boom');
    });
    const client = await RawClient.connect(server.url);
    expect((await client.call('refuse'))['error']).toStrictEqual({
      isClientSafe: true,
      error: 'error-custom',
      reason: 'Custom reason',
      details: { extra: 1 },
      message: 'Custom reason [error-custom]',
      errorType: 'Meteor.Error',
    });
    expect((await client.call('crash'))['error']).toStrictEqual({
      isClientSafe: true,
      error: 500,
      reason: 'Internal server error',
      message: 'Internal server error [500]',
      errorType: 'Meteor.Error',
    });
  });

  it('sends null and false results, and leaves undefined ones out', async () => {
    const server = await startServer();
    server.addMethod('nothing', () => undefined);
    server.addMethod('null', () => null);
    server.addMethod('false', () => false);
    const client = await RawClient.connect(server.url);
    expect(await client.call('nothing')).toStrictEqual({ msg: 'result', id: '1' });
    expect(await client.call('null')).toStrictEqual({ msg: 'result', id: '2', result: null });
    expect(await client.call('false')).toStrictEqual({ msg: 'result', id: '3', result: false });
  });
});

describe('the ddp-streamer variant', () => {
  it('greets, answers every connect, and sends result before updated without falsy results', async () => {
    const server = await startServer({ variant: 'ddp-streamer' });
    server.addMethod('false', () => false);
    const client = await RawClient.open(server.url);
    expect(await client.take(() => true)).toStrictEqual({ msg: 'server_id', server_id: '0' });
    client.send({ msg: 'connect', version: '1', support: ['1'] });
    const first = await client.take('connected');
    expect(first['session']).toMatch(/^[0-9a-f-]{36}$/);
    client.send({ msg: 'connect', version: '1', support: ['1'] });
    expect(await client.take('connected')).toStrictEqual(first);
    client.method('false', [], 'f');
    expect(await client.take(() => true)).toStrictEqual({ msg: 'result', id: 'f' });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'updated', methods: ['f'] });
  });

  it('closes with 1002 when the first frame is not connect', async () => {
    const server = await startServer({ variant: 'ddp-streamer' });
    const client = await RawClient.open(server.url);
    client.send({ msg: 'ping' });
    expect((await client.closed).code).toBe(1002);
  });

  it('closes with 1007 on a frame that is not JSON', async () => {
    const server = await startServer({ variant: 'ddp-streamer' });
    const client = await RawClient.connect(server.url);
    client.send('not json');
    expect((await client.closed).code).toBe(1007);
  });

  it('closes with 1002 on a method without an id', async () => {
    const server = await startServer({ variant: 'ddp-streamer' });
    const client = await RawClient.connect(server.url);
    client.send({ msg: 'method', method: 'x', params: [] });
    expect((await client.closed).code).toBe(1002);
  });

  it('ignores unknown messages and unsubscriptions of unknown ids, but answers a known one', async () => {
    const server = await startServer({ variant: 'ddp-streamer' });
    const client = await RawClient.connect(server.url);
    client.send({ msg: 'whatever' });
    client.send({ msg: 'unsub', id: 'nope' });
    client.send({ msg: 'sub', id: 's', name: 'stream-notify-all', params: ['x', { useCollection: false, args: [] }] });
    await client.take('ready');
    client.send({ msg: 'unsub', id: 's' });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'nosub', id: 's' });
    client.send({ msg: 'ping', id: 'end' });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'pong', id: 'end' });
  });

  it('closes the socket with 1002 right after answering logout', async () => {
    const server = await startServer({ variant: 'ddp-streamer' });
    server.addUser({ username: 'bot', password: 'secret' });
    const client = await RawClient.connect(server.url);
    expect((await client.login('bot', 'secret'))['result']).toMatchObject({ type: 'password' });
    await client.take('updated');
    client.method('logout', [], 'out');
    expect(await client.take(() => true)).toStrictEqual({ msg: 'result', id: 'out' });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'updated', methods: ['out'] });
    expect((await client.closed).code).toBe(1002);
  });

  it('logs in with a personal access token without tokenExpires, and refuses e-mail logins with 403', async () => {
    const server = await startServer({ variant: 'ddp-streamer' });
    const bot = server.addUser({ username: 'bot', password: 'secret', email: 'bot@example.com' });
    const pat = server.addPersonalAccessToken(bot._id);
    const client = await RawClient.connect(server.url);
    expect((await client.call('login', [{ resume: pat }]))['result']).toStrictEqual({ id: bot._id, token: pat, type: 'resume' });
    const byEmail = await client.call('login', [{ user: { email: 'bot@example.com' }, password: 'secret' }]);
    expect(byEmail['error']).toStrictEqual({
      isClientSafe: true,
      errorType: 'Meteor.Error',
      error: 403,
      reason: "You've been logged out by the server. Please log in again",
      message: "You've been logged out by the server. Please log in again [403]",
    });
  });

  it('applies no rate limit', async () => {
    const server = await startServer({ variant: 'ddp-streamer' });
    server.addUser({ username: 'bot', password: 'secret' });
    const client = await RawClient.connect(server.url);
    await client.login('bot', 'secret');
    for (let i = 0; i < 8; i++) client.method('sendMessage', [{ rid: 'GENERAL', msg: `m${i}` }], `m${i}`);
    const last = await client.take((frame) => frame['msg'] === 'result' && frame['id'] === 'm7');
    expect(last['error']).toBeUndefined();
    expect(server.messages('GENERAL')).toHaveLength(8);
  });
});
