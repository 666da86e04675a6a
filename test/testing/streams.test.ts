/** Rocket.Chat streams on the fake server: read rules, events, __my_messages__, typing, unsub. */
import { afterEach, describe, expect, it } from 'vitest';
import { leftovers } from '../helpers.js';
import { RawClient, type Frame } from './raw-client.js';
import { startServer } from './start.js';

afterEach(() => leftovers.disposeAll());

const options = { useCollection: false, args: [] };
const NOT_ALLOWED = { isClientSafe: true, error: 'not-allowed', message: '[not-allowed]', errorType: 'Meteor.Error' };

async function setup() {
  const server = await startServer({ rateLimit: false });
  const bot = server.addUser({ username: 'bot', password: 'secret', name: 'Bot' });
  const alice = server.addUser({ username: 'alice', password: 'pw', name: 'Alice' });
  const botClient = await RawClient.connect(server.url);
  await botClient.login('bot', 'secret');
  const aliceClient = await RawClient.connect(server.url);
  await aliceClient.login('alice', 'pw');
  botClient.skip(() => true);
  aliceClient.skip(() => true);
  return { server, bot, alice, botClient, aliceClient };
}

async function subscribe(client: RawClient, id: string, name: string, params: unknown[]): Promise<Frame> {
  client.send({ msg: 'sub', id, name, params });
  return client.take((frame) => (frame['msg'] === 'ready' && (frame['subs'] as string[]).includes(id)) || (frame['msg'] === 'nosub' && frame['id'] === id));
}

/** Waits until the server has handled everything sent so far, then returns the stream events received. */
async function eventsOf(client: RawClient): Promise<Frame[]> {
  client.send({ msg: 'ping', id: 'sync' });
  await client.take((frame) => frame['msg'] === 'pong' && frame['id'] === 'sync');
  return client.all('changed');
}

describe('subscribing to streams', () => {
  it('refuses stream-room-messages before login and for unknown or inaccessible rooms', async () => {
    const { server, botClient } = await setup();
    server.addRoom({ _id: 'ops', name: 'ops', t: 'p', members: ['alice'] });
    const anonymous = await RawClient.connect(server.url);
    expect(await subscribe(anonymous, 'a', 'stream-room-messages', ['GENERAL', options])).toStrictEqual({ msg: 'nosub', id: 'a', error: NOT_ALLOWED });
    expect(await subscribe(botClient, 'b', 'stream-room-messages', ['nowhere', options])).toStrictEqual({ msg: 'nosub', id: 'b', error: NOT_ALLOWED });
    expect(await subscribe(botClient, 'c', 'stream-room-messages', ['ops', options])).toStrictEqual({ msg: 'nosub', id: 'c', error: NOT_ALLOWED });
    expect(await subscribe(anonymous, 'd', 'stream-room-messages', ['__my_messages__', options])).toStrictEqual({ msg: 'ready', subs: ['d'] });
  });

  it('lets a user read only their own stream-notify-user events', async () => {
    const { bot, alice, botClient } = await setup();
    expect(await subscribe(botClient, 'mine', 'stream-notify-user', [`${bot._id}/message`, options])).toStrictEqual({ msg: 'ready', subs: ['mine'] });
    expect(await subscribe(botClient, 'hers', 'stream-notify-user', [`${alice._id}/message`, options])).toStrictEqual({ msg: 'nosub', id: 'hers', error: NOT_ALLOWED });
  });

  it('refuses an empty event name, and answers 500 when the options are missing', async () => {
    const { botClient } = await setup();
    expect(await subscribe(botClient, 'e', 'stream-room-messages', ['', options])).toStrictEqual({
      msg: 'nosub',
      id: 'e',
      error: { isClientSafe: true, error: 'invalid-event-name', message: '[invalid-event-name]', errorType: 'Meteor.Error' },
    });
    expect(await subscribe(botClient, 'o', 'stream-room-messages', ['GENERAL'])).toMatchObject({ msg: 'nosub', id: 'o', error: { error: 500 } });
  });

  it('ignores a sub whose id is already live', async () => {
    const { botClient } = await setup();
    await subscribe(botClient, 's', 'stream-room-messages', ['GENERAL', options]);
    botClient.send({ msg: 'sub', id: 's', name: 'stream-room-messages', params: ['GENERAL', options] });
    await eventsOf(botClient);
    expect(botClient.all('ready')).toHaveLength(1);
  });

  it('answers every unsub with nosub, known id or not, and stops the events', async () => {
    const { server, botClient } = await setup();
    await subscribe(botClient, 's', 'stream-room-messages', ['GENERAL', options]);
    botClient.send({ msg: 'unsub', id: 's' });
    expect(await botClient.take('nosub')).toStrictEqual({ msg: 'nosub', id: 's' });
    botClient.send({ msg: 'unsub', id: 'never' });
    expect(await botClient.take('nosub')).toStrictEqual({ msg: 'nosub', id: 'never' });
    server.postMessage({ rid: 'GENERAL', msg: 'unheard', username: 'alice' });
    expect(await eventsOf(botClient)).toStrictEqual([]);
  });
});

describe('stream events', () => {
  it('deliver each new message once per subscription, to every listening connection including the sender', async () => {
    const { botClient, aliceClient } = await setup();
    await subscribe(botClient, 'one', 'stream-room-messages', ['GENERAL', options]);
    await subscribe(botClient, 'two', 'stream-room-messages', ['GENERAL', options]);
    await subscribe(aliceClient, 'a', 'stream-room-messages', ['GENERAL', options]);
    await aliceClient.call('sendMessage', [{ _id: 'm0000000000000001', rid: 'GENERAL', msg: 'hello' }]);
    expect(await eventsOf(botClient)).toHaveLength(2);
    const [event] = await eventsOf(aliceClient);
    expect(event).toMatchObject({ msg: 'changed', collection: 'stream-room-messages', id: 'id', fields: { eventName: 'GENERAL', args: [{ _id: 'm0000000000000001', ts: { $date: expect.any(Number) as unknown } }] } });
  });

  it('on __my_messages__ carry the room facts, and skip rooms the listener cannot access', async () => {
    const { server, bot, alice, botClient } = await setup();
    server.addRoom({ _id: 'ops', name: 'ops', t: 'p', members: ['alice'] });
    server.addRoom({ _id: 'lobby', name: 'lobby' });
    await subscribe(botClient, 'my', 'stream-room-messages', ['__my_messages__', options]);
    server.postMessage({ rid: 'ops', msg: 'secret', username: 'alice' });
    server.postMessage({ rid: 'lobby', msg: 'public, not joined', username: 'alice' });
    server.postMessage({ rid: 'GENERAL', msg: 'joined', username: 'alice' });
    const dm = await botClient.call('createDirectMessage', ['alice']);
    const rid = (dm['result'] as { rid: string }).rid;
    expect(rid).toBe([bot._id, alice._id].sort().join(''));
    server.postMessage({ rid, msg: 'direct', username: 'alice' });
    const events = (await eventsOf(botClient)).map((frame) => (frame['fields'] as { args: [{ msg: string }, unknown] }).args);
    expect(events.map(([message, extra]) => [message.msg, extra])).toStrictEqual([
      ['public, not joined', { roomParticipant: false, roomType: 'c', roomName: 'lobby' }],
      ['joined', { roomParticipant: true, roomType: 'c', roomName: 'general' }],
      ['direct', { roomParticipant: true, roomType: 'd' }],
    ]);
  });

  it('announce edits with editedAt and editedBy, and deletions on <rid>/deleteMessage', async () => {
    const { botClient, aliceClient, alice } = await setup();
    await subscribe(botClient, 'room', 'stream-room-messages', ['GENERAL', options]);
    await subscribe(botClient, 'del', 'stream-notify-room', ['GENERAL/deleteMessage', options]);
    await aliceClient.call('sendMessage', [{ _id: 'm0000000000000002', rid: 'GENERAL', msg: 'first' }]);
    await aliceClient.call('updateMessage', [{ _id: 'm0000000000000002', rid: 'GENERAL', msg: 'second' }]);
    await aliceClient.call('deleteMessage', [{ _id: 'm0000000000000002' }]);
    const events = await eventsOf(botClient);
    expect(events.map((frame) => frame['collection'])).toStrictEqual(['stream-room-messages', 'stream-room-messages', 'stream-notify-room']);
    expect((events[1]!['fields'] as { args: Record<string, unknown>[] }).args[0]).toMatchObject({
      msg: 'second',
      editedAt: { $date: expect.any(Number) as unknown },
      editedBy: { _id: alice._id, username: 'alice' },
    });
    expect(events[2]!['fields']).toStrictEqual({ eventName: 'GENERAL/deleteMessage', args: [{ _id: 'm0000000000000002' }] });
  });

  it('re-broadcast typing to the room\'s other listeners, only for the caller\'s own username', async () => {
    const { botClient, aliceClient } = await setup();
    await subscribe(botClient, 'typing', 'stream-notify-room', ['GENERAL/user-activity', options]);
    await subscribe(aliceClient, 'typing', 'stream-notify-room', ['GENERAL/user-activity', options]);
    const typed = await aliceClient.call('stream-notify-room', ['GENERAL/user-activity', 'alice', ['user-typing'], {}]);
    expect(Object.keys(typed)).toStrictEqual(['msg', 'id']);
    await aliceClient.call('stream-notify-room', ['GENERAL/user-activity', 'bot', ['user-typing'], {}]);
    await aliceClient.call('stream-notify-room', ['GENERAL/typing', 'alice', true]);
    await aliceClient.call('stream-notify-room', ['nowhere/user-activity', 'alice', ['user-typing'], {}]);
    const events = await eventsOf(botClient);
    expect(events.map((frame) => frame['fields'])).toStrictEqual([{ eventName: 'GENERAL/user-activity', args: ['alice', ['user-typing'], {}] }]);
    expect(await eventsOf(aliceClient)).toStrictEqual([]);
  });

  it('reach a connection no more once it is gone, without disturbing the others', async () => {
    const { server, botClient, aliceClient } = await setup();
    await subscribe(botClient, 'room', 'stream-room-messages', ['GENERAL', options]);
    await subscribe(aliceClient, 'room', 'stream-room-messages', ['GENERAL', options]);
    const [botConnection] = server.connections;
    botConnection!.drop();
    await botClient.closed;
    server.postMessage({ rid: 'GENERAL', msg: 'still here', username: 'alice' });
    expect(await eventsOf(aliceClient)).toHaveLength(1);
  });
});
