/** The other Rocket.Chat methods of the fake server: reading, editing, reactions, rooms, users. */
import { afterEach, describe, expect, it } from 'vitest';
import { leftovers } from '../helpers.js';
import { RawClient, type Frame } from './raw-client.js';
import { startServer } from './start.js';

afterEach(() => leftovers.disposeAll());

async function setup() {
  const server = await startServer({ rateLimit: false });
  const bot = server.addUser({ username: 'bot', password: 'secret', name: 'Bot' });
  const alice = server.addUser({ username: 'alice', password: 'pw', name: 'Alice' });
  const client = await RawClient.connect(server.url);
  await client.login('bot', 'secret');
  return { server, bot, alice, client };
}

const result = (frame: Frame): unknown => frame['result'];
const error = (frame: Frame): unknown => frame['error'];

describe('getSingleMessage', () => {
  it('returns the stored message, null for an unknown id, and refuses inaccessible rooms', async () => {
    const { server, client } = await setup();
    server.addRoom({ _id: 'ops', name: 'ops', t: 'p', members: ['alice'] });
    server.postMessage({ _id: 'visible0000000000', rid: 'GENERAL', msg: 'hi', username: 'alice' });
    server.postMessage({ _id: 'hidden00000000000', rid: 'ops', msg: 'psst', username: 'alice' });
    expect(result(await client.call('getSingleMessage', ['visible0000000000']))).toMatchObject({ _id: 'visible0000000000', ts: { $date: expect.any(Number) as unknown } });
    expect(result(await client.call('getSingleMessage', ['unknown']))).toBeNull();
    expect(error(await client.call('getSingleMessage', ['hidden00000000000']))).toMatchObject({ error: 'error-not-allowed', reason: 'Not allowed', details: { method: 'getSingleMessage' } });
    expect(error(await client.call('getSingleMessage', [42]))).toMatchObject({ error: 400 });
    const anonymous = await RawClient.connect(server.url);
    expect(error(await anonymous.call('getSingleMessage', ['visible0000000000']))).toMatchObject({ error: 'error-invalid-user' });
  });
});

describe('loadHistory', () => {
  it('returns the newest messages first, before `end`, with the unread count since `ls`', async () => {
    const { server, client } = await setup();
    for (let i = 1; i <= 5; i++) server.postMessage({ _id: `history0000000000${i}`, rid: 'GENERAL', msg: `m${i}`, username: 'alice', ts: new Date(1_000 * i) });
    const latest = result(await client.call('loadHistory', ['GENERAL', null, 2])) as { messages: { msg: string }[]; unreadNotLoaded: number };
    expect(latest.messages.map((message) => message.msg)).toStrictEqual(['m5', 'm4']);
    expect(latest.unreadNotLoaded).toBe(0);
    const older = result(await client.call('loadHistory', ['GENERAL', { $date: 4_000 }, 2, { $date: 1_500 }])) as Record<string, unknown>;
    expect((older['messages'] as { msg: string }[]).map((message) => message.msg)).toStrictEqual(['m3', 'm2']);
    expect(older['firstUnread']).toBeUndefined();
    const unread = result(await client.call('loadHistory', ['GENERAL', null, 2, { $date: 500 }])) as Record<string, unknown>;
    expect((unread['firstUnread'] as { msg: string }).msg).toBe('m1');
    expect(unread['unreadNotLoaded']).toBe(3); // m1, m2, m3: after ls, before the oldest loaded one
    expect(Object.keys(unread)).toStrictEqual(['messages', 'firstUnread', 'unreadNotLoaded']);
  });

  it('returns false, not an error, for a room that is missing or closed to the user', async () => {
    const { server, client } = await setup();
    server.addRoom({ _id: 'ops', name: 'ops', t: 'p' });
    expect(result(await client.call('loadHistory', ['nowhere']))).toBe(false);
    expect(result(await client.call('loadHistory', ['ops']))).toBe(false);
  });

  it('hides thread replies when asked to', async () => {
    const { server, client } = await setup();
    server.postMessage({ _id: 'parent00000000000', rid: 'GENERAL', msg: 'parent', username: 'alice' });
    server.postMessage({ rid: 'GENERAL', msg: 'reply', username: 'alice', tmid: 'parent00000000000' });
    server.postMessage({ rid: 'GENERAL', msg: 'shown reply', username: 'alice', tmid: 'parent00000000000', tshow: true });
    const history = result(await client.call('loadHistory', ['GENERAL', null, 20, null, false])) as { messages: { msg: string }[] };
    expect(history.messages.map((message) => message.msg)).toStrictEqual(['shown reply', 'parent']);
  });
});

describe('updateMessage, deleteMessage, setReaction', () => {
  it('updateMessage edits the author\'s own message and ignores unknown ids and unchanged text', async () => {
    const { server, bot, client } = await setup();
    await client.call('sendMessage', [{ _id: 'edit0000000000000', rid: 'GENERAL', msg: 'before' }]);
    expect(await client.call('updateMessage', [{ _id: 'edit0000000000000', rid: 'GENERAL', msg: 'after' }])).toStrictEqual({ msg: 'result', id: '3' });
    const [edited] = server.messages('GENERAL');
    expect(edited).toMatchObject({ msg: 'after', editedAt: expect.any(Date) as unknown, editedBy: { _id: bot._id, username: 'bot' } });
    expect(result(await client.call('updateMessage', [{ _id: 'unknown', rid: 'GENERAL', msg: 'x' }]))).toBeUndefined();
    await client.call('updateMessage', [{ _id: 'edit0000000000000', rid: 'GENERAL', msg: 'after' }]);
    expect(server.messages('GENERAL')[0]!.editedAt).toStrictEqual(edited!.editedAt);
  });

  it('deleteMessage removes the author\'s own message and refuses others and unknown ids', async () => {
    const { server, client } = await setup();
    await client.call('sendMessage', [{ _id: 'delete00000000000', rid: 'GENERAL', msg: 'bye' }]);
    server.postMessage({ _id: 'hers0000000000000', rid: 'GENERAL', msg: 'hers', username: 'alice' });
    expect(result(await client.call('deleteMessage', [{ _id: 'delete00000000000' }]))).toBeUndefined();
    expect(error(await client.call('deleteMessage', [{ _id: 'delete00000000000' }]))).toStrictEqual({
      isClientSafe: true,
      error: 'error-action-not-allowed',
      reason: 'Not allowed',
      details: { method: 'deleteMessage', action: 'Delete_message' },
      message: 'Not allowed [error-action-not-allowed]',
      errorType: 'Meteor.Error',
    });
    expect(error(await client.call('deleteMessage', [{ _id: 'hers0000000000000' }]))).toMatchObject({ error: 'error-action-not-allowed' });
    expect(error(await client.call('deleteMessage', ['hers0000000000000']))).toMatchObject({ error: 400 });
    expect(server.messages().map((message) => message._id)).toStrictEqual(['hers0000000000000']);
  });

  it('setReaction toggles, honours shouldReact, and answers false with a notice when muted', async () => {
    const { server, bot, client } = await setup();
    server.postMessage({ _id: 'react000000000000', rid: 'GENERAL', msg: 'react to me', username: 'alice' });
    await client.call('setReaction', [':thumbsup:', 'react000000000000']);
    expect(server.messages()[0]!.reactions).toStrictEqual({ ':thumbsup:': { usernames: ['bot'] } });
    await client.call('setReaction', ['thumbsup', 'react000000000000', true]);
    expect(server.messages()[0]!.reactions).toStrictEqual({ ':thumbsup:': { usernames: ['bot'] } });
    await client.call('setReaction', [':thumbsup:', 'react000000000000']);
    expect(server.messages()[0]!.reactions).toBeUndefined();
    expect(error(await client.call('setReaction', [':x:', 'unknown']))).toMatchObject({ error: 'error-not-allowed', reason: 'Not allowed' });

    server.updateRoom('GENERAL', { muted: ['bot'] });
    client.send({ msg: 'sub', id: 'n', name: 'stream-notify-user', params: [`${bot._id}/message`, { useCollection: false, args: [] }] });
    await client.take('ready');
    expect(result(await client.call('setReaction', [':smile:', 'react000000000000']))).toBe(false);
    expect(((await client.take('changed'))['fields'] as { args: { msg: string }[] }).args[0]!.msg).toBe('You have been muted and cannot speak in this room');
  });
});

describe('rooms', () => {
  it('getRoomIdByNameOrId finds rooms by name or id that the user may access', async () => {
    const { server, client } = await setup();
    server.addRoom({ _id: 'ops', name: 'ops', t: 'p' });
    expect(result(await client.call('getRoomIdByNameOrId', ['general']))).toBe('GENERAL');
    expect(result(await client.call('getRoomIdByNameOrId', ['GENERAL']))).toBe('GENERAL');
    expect(error(await client.call('getRoomIdByNameOrId', ['ops']))).toMatchObject({ error: 'error-not-allowed', reason: 'Not allowed' });
    expect(error(await client.call('getRoomIdByNameOrId', ['nope']))).toMatchObject({ error: 'error-not-allowed' });
  });

  it('joinRoom joins public rooms, checks join codes, and refuses private ones', async () => {
    const { server, client } = await setup();
    server.addRoom({ _id: 'lobby', name: 'lobby' });
    server.addRoom({ _id: 'club', name: 'club', joinCode: 'sesame' });
    server.addRoom({ _id: 'ops', name: 'ops', t: 'p' });
    expect(result(await client.call('joinRoom', ['lobby']))).toBe(true);
    expect(result(await client.call('joinRoom', ['lobby']))).toBeUndefined();
    expect(error(await client.call('joinRoom', ['club', 'wrong']))).toMatchObject({ error: 'error-code-invalid', reason: 'Invalid Room Password' });
    expect(result(await client.call('joinRoom', ['club', 'sesame']))).toBe(true);
    expect(error(await client.call('joinRoom', ['ops']))).toMatchObject({ error: 'error-not-allowed', details: { method: 'joinRoom' } });
    const rooms = result(await client.call('rooms/get')) as { _id: string }[];
    expect(rooms.map((room) => room._id).sort()).toStrictEqual(['GENERAL', 'club', 'lobby']);
  });

  it('joinRoom posts a "user joined" system message (t: uj) to the room, once, and tells the room stream', async () => {
    const { server, bot, client } = await setup();
    server.addRoom({ _id: 'lobby', name: 'lobby', members: ['alice'] });
    const watcher = await RawClient.connect(server.url);
    await watcher.login('alice', 'pw');
    watcher.send({ msg: 'sub', id: 'lobby', name: 'stream-room-messages', params: ['lobby', { useCollection: false, args: [] }] });
    await watcher.take('ready');
    expect(result(await client.call('joinRoom', ['lobby']))).toBe(true);
    expect(result(await client.call('joinRoom', ['lobby']))).toBeUndefined(); // already a member: nothing more
    const stored = server.messages('lobby');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ t: 'uj', rid: 'lobby', msg: 'bot', u: { _id: bot._id, username: 'bot', name: 'Bot' }, groupable: false });
    expect(Object.keys(stored[0]!)).toStrictEqual(['_id', 't', 'rid', 'ts', 'msg', 'u', 'groupable', '_updatedAt']);
    const event = await watcher.take('changed');
    expect(event['fields']).toMatchObject({ eventName: 'lobby', args: [{ _id: stored[0]!._id, t: 'uj', msg: 'bot' }] });
  });

  it('createDirectMessage creates the DM once, with sorted usernames and a rid made of the user ids', async () => {
    const { bot, alice, client } = await setup();
    const first = result(await client.call('createDirectMessage', ['alice'])) as { rid: string };
    expect(first).toStrictEqual({ t: 'd', rid: [bot._id, alice._id].sort().join(''), usernames: ['alice', 'bot'] });
    expect(result(await client.call('createDirectMessage', ['alice']))).toStrictEqual(first);
    expect(error(await client.call('createDirectMessage', ['nobody']))).toMatchObject({ error: 'error-invalid-user', details: { method: 'createDirectMessage' } });
    expect(result(await client.call('sendMessage', [{ rid: first.rid, msg: 'private word' }]))).toMatchObject({ rid: first.rid });
  });

  it('subscriptions/get and rooms/get list the user\'s rooms, incrementally with a date, and nothing before login', async () => {
    const { server, client } = await setup();
    const subscriptions = result(await client.call('subscriptions/get')) as { rid: string; ts: unknown }[];
    expect(subscriptions.map((subscription) => subscription.rid)).toStrictEqual(['GENERAL']);
    const since = Date.now() + 60_000;
    expect(result(await client.call('subscriptions/get', [{ $date: since }]))).toStrictEqual({ update: [], remove: [] });
    expect(result(await client.call('rooms/get', [{ $date: since }]))).toStrictEqual({ update: [], remove: [] });
    const anonymous = await RawClient.connect(server.url);
    expect(result(await anonymous.call('subscriptions/get'))).toStrictEqual([]);
    expect(result(await anonymous.call('rooms/get'))).toStrictEqual([]);
  });

  it('getUsersOfRoom lists online members, or all of them, with paging', async () => {
    const { server, client } = await setup();
    server.addUser({ username: 'carol', password: 'pw' });
    const online = result(await client.call('getUsersOfRoom', ['GENERAL', false])) as { total: number; records: { username: string; status: string }[] };
    expect(online.records.map((user) => [user.username, user.status])).toStrictEqual([['bot', 'online']]);
    const all = result(await client.call('getUsersOfRoom', ['GENERAL', true, { limit: 2, skip: 1 }])) as { total: number; records: { username: string }[] };
    expect(all.total).toBe(3);
    expect(all.records.map((user) => user.username)).toStrictEqual(['bot', 'carol']);
    expect(error(await client.call('getUsersOfRoom', ['nowhere', true]))).toMatchObject({ error: 'error-invalid-room' });
  });
});
