/**
 * `sendMessage` on the fake server: the stored message, the strict key check, the failures
 * Rocket.Chat swallows (with or without a private notice), duplicates and the rate limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeRocketChatServer } from '../../src/testing/index.js';
import { leftovers } from '../helpers.js';
import { RawClient, type Frame } from './raw-client.js';
import { startServer } from './start.js';

afterEach(() => leftovers.disposeAll());

const options = { useCollection: false, args: [] };

/** A server with bot (logged in on `client`, listening to its private notices) and alice. */
async function setup(serverOptions: Parameters<typeof startServer>[0] = {}) {
  const server = await startServer({ rateLimit: false, ...serverOptions });
  const bot = server.addUser({ username: 'bot', password: 'secret', name: 'Bot' });
  const alice = server.addUser({ username: 'alice', password: 'pw', name: 'Alice' });
  const client = await RawClient.connect(server.url);
  await client.login('bot', 'secret');
  client.send({ msg: 'sub', id: 'notices', name: 'stream-notify-user', params: [`${bot._id}/message`, options] });
  await client.take('ready');
  client.skip(() => true);
  return { server, bot, alice, client };
}

/** Sends a message and returns the frames of the call: [updated, result] plus whatever came before. */
async function send(client: RawClient, ...params: unknown[]): Promise<{ result: Frame; before: Frame[] }> {
  const start = client.frames.length;
  const id = client.method('sendMessage', params);
  const result = await client.take((frame) => frame['msg'] === 'result' && frame['id'] === id);
  const before = client.frames.slice(start, client.indexOf(result)).filter((frame) => frame['msg'] !== 'updated');
  client.skip(() => true);
  return { result, before };
}

function notices(frames: Frame[]): string[] {
  return frames
    .filter((frame) => frame['collection'] === 'stream-notify-user')
    .map((frame) => ((frame['fields'] as { args: { msg: string }[] }).args[0]!.msg));
}

function expectEmpty(result: Frame): void {
  expect(Object.keys(result)).toStrictEqual(['msg', 'id']);
}

describe('sendMessage stores the message', () => {
  it('with real Dates, the sender, and the derived fields', async () => {
    const { server, bot, client } = await setup();
    const { result } = await send(client, { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'hi @alice' });
    expect(Object.keys(result['result'] as object)).toStrictEqual(['_id', 'rid', 'msg', 'ts', 'u', 'urls', 'mentions', 'channels', 'md', '_updatedAt']);
    const [stored] = server.messages('GENERAL');
    expect(stored).toMatchObject({ _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'hi @alice', u: { _id: bot._id, username: 'bot', name: 'Bot' } });
    expect(stored!.ts).toBeInstanceOf(Date);
    expect(stored!._updatedAt).toBeInstanceOf(Date);
    expect(stored!.mentions).toStrictEqual([{ _id: expect.any(String) as unknown, username: 'alice', name: 'Alice', type: 'user' }]);
    expect(server.messages()).toHaveLength(1);
    expect(server.messages('elsewhere')).toStrictEqual([]);
  });

  it('without a client _id: a 24-hex id, and no _updatedAt in the result although the stored message has one', async () => {
    const { server, client } = await setup();
    const { result } = await send(client, { rid: 'GENERAL', msg: 'no id' });
    const message = result['result'] as Record<string, unknown>;
    expect(message['_id']).toMatch(/^[0-9a-f]{24}$/);
    expect(Object.keys(message).at(-1)).toBe('_id');
    expect(message).not.toHaveProperty('_updatedAt');
    expect(server.messages('GENERAL')[0]).toMatchObject({ _id: message['_id'], _updatedAt: expect.any(Date) as unknown });
  });

  it('keeps a client ts within 10 s, and replaces one 10 to 60 s off by the server time', async () => {
    const { client } = await setup();
    const near = new Date(Date.now() - 5_000);
    const kept = await send(client, { rid: 'GENERAL', msg: 'near', ts: { $date: near.getTime() } });
    expect((kept.result['result'] as { ts: { $date: number } }).ts.$date).toBe(near.getTime());
    const before = Date.now();
    const far = before - 30_000;
    const replaced = await send(client, { rid: 'GENERAL', msg: 'far', ts: { $date: far } });
    expect((replaced.result['result'] as { ts: { $date: number } }).ts.$date).toBeGreaterThanOrEqual(before);
  });

  it('accepts null for any allowed key, and objects for bot, customFields and friends', async () => {
    const { client } = await setup();
    const { result } = await send(client, { rid: 'GENERAL', msg: 'x', tmid: null, bot: { i: 'x' }, customFields: {}, groupable: false });
    expect(result['result']).toMatchObject({ msg: 'x', bot: { i: 'x' } });
  });

  it('marks URLs left out of previewUrls with ignoreParse', async () => {
    const { client } = await setup();
    const { result } = await send(client, { rid: 'GENERAL', msg: 'https://a.io https://b.io' }, ['https://a.io']);
    expect((result['result'] as { urls: unknown }).urls).toStrictEqual([
      { url: 'https://a.io', meta: {} },
      { url: 'https://b.io', meta: {}, ignoreParse: true },
    ]);
  });

  it('counts a thread reply on its parent and broadcasts both', async () => {
    const { server, client } = await setup();
    client.send({ msg: 'sub', id: 'room', name: 'stream-room-messages', params: ['GENERAL', options] });
    await client.take('ready');
    await send(client, { _id: 'parent00000000000', rid: 'GENERAL', msg: 'parent' });
    client.skip(() => true);
    await send(client, { _id: 'reply000000000000', rid: 'GENERAL', msg: 'reply', tmid: 'parent00000000000' });
    const events = client.all((frame) => frame['collection'] === 'stream-room-messages').map((frame) => (frame['fields'] as { args: { _id: string }[] }).args[0]!._id);
    expect(events).toStrictEqual(['parent00000000000', 'reply000000000000', 'parent00000000000']);
    expect(server.messages('GENERAL').find((message) => message._id === 'parent00000000000')).toMatchObject({ tcount: 1, tlm: expect.any(Date) as unknown });
  });
});

describe('sendMessage refuses with a visible error', () => {
  const matchFailed = { isClientSafe: true, error: 400, reason: 'Match failed', message: 'Match failed [400]', errorType: 'Meteor.Error' };

  it.each([
    ['an unknown key', { rid: 'GENERAL', msg: 'x', alias: 'Robot' }],
    ['attachments', { rid: 'GENERAL', msg: 'x', attachments: [] }],
    ['a ts that is a number', { rid: 'GENERAL', msg: 'x', ts: Date.now() }],
    ['a ts that is a string', { rid: 'GENERAL', msg: 'x', ts: new Date().toISOString() }],
    ['a boolean bot', { rid: 'GENERAL', msg: 'x', bot: true }],
    ['a number msg', { rid: 'GENERAL', msg: 5 }],
    ['a message that is not an object', 'hello'],
    ['no message at all', undefined],
  ])('400 Match failed for %s, storing nothing', async (_name, message) => {
    const { server, client } = await setup();
    const { result, before } = await send(client, ...(message === undefined ? [] : [message]));
    expect(result['error']).toStrictEqual(matchFailed);
    expect(before).toStrictEqual([]);
    expect(server.messages()).toStrictEqual([]);
  });

  it('error-not-allowed, with a private notice, for a room the user cannot access', async () => {
    const { server, client } = await setup();
    server.addRoom({ _id: 'secret', name: 'secret', t: 'p', members: ['alice'] });
    const { result, before } = await send(client, { rid: 'secret', msg: 'x' });
    expect(result['error']).toStrictEqual({ isClientSafe: true, error: 'error-not-allowed', details: { method: 'sendMessage' }, message: '[error-not-allowed]', errorType: 'Meteor.Error' });
    expect(notices(before)).toStrictEqual(['Not allowed']);
    expect(server.messages()).toStrictEqual([]);
  });

  it('error-invalid-user before login', async () => {
    const { server } = await setup();
    const anonymous = await RawClient.connect(server.url);
    const { result } = await send(anonymous, { rid: 'GENERAL', msg: 'x' });
    expect(result['error']).toMatchObject({ error: 'error-invalid-user', reason: 'Invalid user', details: { method: 'sendMessage' } });
  });
});

describe('sendMessage swallows failures into an empty result', () => {
  async function expectSwallowed(server: FakeRocketChatServer, client: RawClient, message: Record<string, unknown>, notice: string[]): Promise<void> {
    const { result, before } = await send(client, message);
    expectEmpty(result);
    expect(notices(before)).toStrictEqual(notice);
    expect(server.messages()).toStrictEqual([]);
  }

  it('for a room that does not exist, with the notice "Invalid room" addressed to that rid', async () => {
    const { server, client } = await setup();
    const { before } = await send(client, { rid: 'nowhere', msg: 'x' });
    const notice = (before[0]!['fields'] as { args: Record<string, unknown>[] }).args[0]!;
    expect(notice).toMatchObject({ groupable: false, u: { _id: 'rocket.cat', username: 'rocket.cat' }, private: true, rid: 'nowhere', msg: 'Invalid room' });
    expect(notice['_id']).toMatch(/^\d{13}$/);
    await expectSwallowed(server, client, { rid: 'nowhere', msg: 'x' }, ['Invalid room']);
  });

  it('for a read-only room, with a notice', async () => {
    const { server, client } = await setup();
    server.addRoom({ _id: 'news', name: 'news', readonly: true, members: ['bot'] });
    await expectSwallowed(server, client, { rid: 'news', msg: 'x' }, ["You can't send messages because the room is readonly."]);
  });

  it('for a muted user, with a notice', async () => {
    const { server, client } = await setup();
    server.addRoom({ _id: 'quiet', name: 'quiet', muted: ['bot'] });
    await expectSwallowed(server, client, { rid: 'quiet', msg: 'x' }, ['You have been muted and cannot speak in this room']);
    server.updateRoom('quiet', { muted: [] });
    const { result } = await send(client, { rid: 'quiet', msg: 'now I may' });
    expect(result['result']).toMatchObject({ msg: 'now I may' });
  });

  it('without a notice for tshow without tmid, a far-off ts, a missing rid, and a long message', async () => {
    const { server, client } = await setup();
    await expectSwallowed(server, client, { rid: 'GENERAL', msg: 'x', tshow: true }, []);
    await expectSwallowed(server, client, { rid: 'GENERAL', msg: 'x', ts: { $date: Date.now() + 120_000 } }, []);
    await expectSwallowed(server, client, { msg: 'x' }, []);
    await expectSwallowed(server, client, { rid: 'GENERAL', msg: 'x'.repeat(5001) }, []);
  });

  it('counts the length in UTF-16 code units, up to maxMessageLength', async () => {
    const { server, client } = await setup({ maxMessageLength: 10 });
    await expectSwallowed(server, client, { rid: 'GENERAL', msg: '😀'.repeat(5) + 'x' }, []);
    const { result } = await send(client, { rid: 'GENERAL', msg: '😀'.repeat(5) });
    expect(result['result']).toMatchObject({ msg: '😀'.repeat(5) });
  });

  it('for a duplicate _id: nothing is stored or broadcast again', async () => {
    const { server, client } = await setup();
    client.send({ msg: 'sub', id: 'room', name: 'stream-room-messages', params: ['GENERAL', options] });
    await client.take('ready');
    const first = await send(client, { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'once' });
    expect(first.before.map((frame) => frame['collection'])).toStrictEqual(['stream-room-messages']);
    const second = await send(client, { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'twice' });
    expectEmpty(second.result);
    expect(second.before).toStrictEqual([]);
    expect(server.messages().map((message) => message.msg)).toStrictEqual(['once']);
  });

  it('sends the notice only to the sender\'s own subscription', async () => {
    const { server, alice } = await setup();
    const aliceClient = await RawClient.connect(server.url);
    await aliceClient.login('alice', 'pw');
    aliceClient.send({ msg: 'sub', id: 'n', name: 'stream-notify-user', params: [`${alice._id}/message`, options] });
    await aliceClient.take('ready');
    const botClient = await RawClient.connect(server.url);
    await botClient.login('bot', 'secret');
    await send(botClient, { rid: 'nowhere', msg: 'x' });
    aliceClient.send({ msg: 'ping', id: 'end' });
    await aliceClient.take('pong');
    expect(aliceClient.all('changed')).toStrictEqual([]);
  });
});

describe('the sendMessage rate limit', () => {
  it('counts per user across connections, refuses without executing, and spares other users', async () => {
    const { server, client } = await setup({ rateLimit: { sendMessage: { limit: 2, windowMs: 60_000 } } });
    const second = await RawClient.connect(server.url);
    await second.login('bot', 'secret');
    await send(client, { rid: 'GENERAL', msg: '1' });
    await send(second, { rid: 'GENERAL', msg: '2' });
    const { result } = await send(client, { _id: 'limited0000000000', rid: 'GENERAL', msg: '3' });
    expect(result['error']).toMatchObject({
      isClientSafe: true,
      error: 'too-many-requests',
      reason: 'Error, too many requests. Please slow down. You must wait 60 seconds before trying again.',
      details: { timeToReset: expect.any(Number) as unknown },
      errorType: 'Meteor.Error',
    });
    expect(server.messages().map((message) => message.msg)).toStrictEqual(['1', '2']);
    const alice = await RawClient.connect(server.url);
    await alice.login('alice', 'pw');
    expect((await send(alice, { rid: 'GENERAL', msg: 'alice' })).result['result']).toMatchObject({ msg: 'alice' });
  });

  it('lets the call through again once timeToReset has passed', async () => {
    const { server, client } = await setup({ rateLimit: { sendMessage: { limit: 1, windowMs: 100 } } });
    let limited: Frame | undefined;
    // Keep sending until one call is refused (the first window may end between two calls on a busy machine).
    for (let i = 0; i < 50 && limited === undefined; i++) {
      const { result } = await send(client, { rid: 'GENERAL', msg: `try ${i}` });
      if (result['error'] !== undefined) limited = result;
    }
    const wait = (limited!['error'] as { details: { timeToReset: number } }).details.timeToReset;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(100);
    await new Promise((resolve) => setTimeout(resolve, wait + 5)); // a little more: clocks differ by a millisecond
    const { result } = await send(client, { _id: 'afterReset0000000', rid: 'GENERAL', msg: 'after the reset' });
    expect(result['result']).toMatchObject({ _id: 'afterReset0000000' });
    expect(server.messages().some((message) => message._id === 'afterReset0000000')).toBe(true);
  });
});

describe("Meteor's global per-method limits", () => {
  /** The error of each call of `method` made `count` times in a row on `client`, `undefined` where none. */
  async function errorsOf(client: RawClient, method: string, params: unknown[], count: number): Promise<(string | undefined)[]> {
    const errors: (string | undefined)[] = [];
    for (let i = 0; i < count; i++) {
      const result = await client.call(method, params);
      errors.push((result['error'] as { error?: string } | undefined)?.error);
    }
    return errors;
  }

  it('refuses the 11th call of a method on one connection within the window, other methods and connections unaffected', async () => {
    const server = await startServer({ rateLimit: { methodPerConnection: { limit: 10, windowMs: 60_000 }, methodPerUser: false } });
    server.addUser({ username: 'bot', password: 'secret' });
    const client = await RawClient.connect(server.url);
    await client.login('bot', 'secret');
    const errors = await errorsOf(client, 'getSingleMessage', ['none'], 11);
    expect(errors.slice(0, 10)).toStrictEqual(Array(10).fill(undefined));
    expect(errors[10]).toBe('too-many-requests');
    const refused = await client.call('getSingleMessage', ['none']);
    expect(refused['error']).toMatchObject({ error: 'too-many-requests', details: { timeToReset: expect.any(Number) as unknown } });
    expect((await client.call('getRoomIdByNameOrId', ['general']))['result']).toBe('GENERAL');
    const other = await RawClient.connect(server.url);
    await other.login('bot', 'secret');
    expect((await other.call('getSingleMessage', ['none']))['error']).toBeUndefined();
  });

  it('counts per user across connections, and gives stream-* methods four times the calls', async () => {
    const server = await startServer({ rateLimit: { methodPerConnection: false, methodPerUser: { limit: 2, windowMs: 60_000 } } });
    server.addUser({ username: 'bot', password: 'secret' });
    const first = await RawClient.connect(server.url);
    const second = await RawClient.connect(server.url);
    await first.login('bot', 'secret');
    await second.login('bot', 'secret');
    expect(await errorsOf(first, 'getSingleMessage', ['none'], 2)).toStrictEqual([undefined, undefined]);
    expect(await errorsOf(second, 'getSingleMessage', ['none'], 1)).toStrictEqual(['too-many-requests']);
    const typing = ['GENERAL/user-activity', 'bot', ['user-typing'], {}];
    const errors = await errorsOf(first, 'stream-notify-room', typing, 9);
    expect(errors.slice(0, 8)).toStrictEqual(Array(8).fill(undefined));
    expect(errors[8]).toBe('too-many-requests');
  });
});
