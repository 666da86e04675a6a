import { afterEach, describe, expect, it } from 'vitest';
import { DdpMethodError } from '../../src/ddp/errors.js';
import type { ClientFrame } from '../../src/ddp/protocol.js';
import type { MessageDeletedEvent, RocketChatClient, TypingEvent } from '../../src/rocketchat/client.js';
import type { IMessage } from '../../src/rocketchat/types.js';
import type { FakeRocketChatServer } from '../../src/testing/index.js';
import { leftovers, waitFor } from '../helpers.js';
import { loggedIn, newClient } from './setup.js';

afterEach(() => leftovers.disposeAll());

/**
 * A round trip on the client's connection. The server handles one connection's frames in
 * order, so once it is answered every `sub`/`unsub` written before it has been handled.
 */
async function roundTrip(client: RocketChatClient): Promise<void> {
  await client.ddp.call('getSingleMessage', ['no-such-message']);
}

function subFrames(server: FakeRocketChatServer, eventName: string): ClientFrame[] {
  return server.connections.flatMap((connection) =>
    connection.received.filter((frame) => frame.msg === 'sub' && frame.params?.[0] === eventName),
  );
}

describe('messages(rid)', () => {
  it('yields new messages and edits (same _id, with editedAt) with real Dates', async () => {
    const { server, client } = await loggedIn();
    server.addUser({ username: 'alice', password: 'alice', name: 'Alice' });
    const iterator = client.messages('GENERAL');
    await roundTrip(client);
    const posted = server.postMessage({ rid: 'GENERAL', msg: 'hello bot', username: 'alice' });
    const first = await iterator.next();
    expect(first.done).toBe(false);
    const message = first.value as IMessage;
    expect(message._id).toBe(posted._id);
    expect(message.u.username).toBe('alice');
    expect(message.ts).toBeInstanceOf(Date);

    const mine = await client.sendMessage({ rid: 'GENERAL', msg: 'typo' });
    const own = (await iterator.next()).value as IMessage;
    expect(own._id).toBe(mine._id);
    await client.updateMessage({ _id: mine._id, rid: 'GENERAL', msg: 'fixed' });
    const edited = (await iterator.next()).value as IMessage;
    expect(edited._id).toBe(mine._id);
    expect(edited.msg).toBe('fixed');
    expect(edited.editedAt).toBeInstanceOf(Date);
    await iterator.return();
  });

  it('sends one unsub when the loop is left', async () => {
    const { server, client } = await loggedIn();
    server.addUser({ username: 'alice', password: 'alice' });
    const unsub = server.waitForFrame('unsub');
    const seen: string[] = [];
    const loop = (async () => {
      for await (const message of client.messages('GENERAL')) {
        seen.push(message.msg);
        if (seen.length === 2) break;
      }
    })();
    await roundTrip(client);
    server.postMessage({ rid: 'GENERAL', msg: 'one', username: 'alice' });
    server.postMessage({ rid: 'GENERAL', msg: 'two', username: 'alice' });
    server.postMessage({ rid: 'GENERAL', msg: 'three', username: 'alice' });
    await loop;
    const frame = await unsub;
    expect(seen).toEqual(['one', 'two']);
    const [sub] = subFrames(server, 'GENERAL');
    expect(frame).toEqual({ msg: 'unsub', id: sub?.msg === 'sub' ? sub.id : '' });
    await roundTrip(client);
    expect(server.connections[0]!.received.filter((received) => received.msg === 'unsub')).toHaveLength(1);
  });

  it('ends with the signal reason when aborted, and unsubscribes', async () => {
    const { server, client } = await loggedIn();
    const controller = new AbortController();
    const iterator = client.messages('GENERAL', { signal: controller.signal });
    await roundTrip(client);
    const pending = iterator.next();
    const unsub = server.waitForFrame('unsub');
    controller.abort(new Error('done listening'));
    await expect(pending).rejects.toThrow('done listening');
    await unsub;
  });

  it('ends with the server error when the subscription is refused', async () => {
    const { server, client } = await loggedIn();
    const secret = server.addRoom({ name: 'secret', t: 'p' });
    const iterator = client.messages(secret._id);
    const error = await iterator.next().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as DdpMethodError).error).toBe('not-allowed');
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('shares one subscription among every listener of a room and unsubscribes with the last', async () => {
    const { server, client } = await loggedIn();
    server.addUser({ username: 'alice', password: 'alice' });
    const a: string[] = [];
    const b: string[] = [];
    const stopA = client.onMessage('GENERAL', (message) => a.push(message.msg));
    const stopB = client.onMessage('GENERAL', (message) => b.push(message.msg));
    const iterator = client.messages('GENERAL');
    await roundTrip(client);
    expect(subFrames(server, 'GENERAL')).toHaveLength(1);
    server.postMessage({ rid: 'GENERAL', msg: 'shared', username: 'alice' });
    await waitFor(() => a.length === 1 && b.length === 1);
    expect((await iterator.next()).value?.msg).toBe('shared');
    stopA();
    await iterator.return();
    await roundTrip(client);
    expect(server.connections[0]!.received.filter((frame) => frame.msg === 'unsub')).toHaveLength(0);
    stopB();
    stopB();
    await roundTrip(client);
    expect(server.connections[0]!.received.filter((frame) => frame.msg === 'unsub')).toHaveLength(1);
  });

  it('delivers every room of the user on __my_messages__', async () => {
    const { server, client } = await loggedIn();
    server.addUser({ username: 'alice', password: 'alice' });
    const ops = server.addRoom({ name: 'ops', members: ['bot', 'alice'] });
    const seen: IMessage[] = [];
    client.onMessage('__my_messages__', (message) => seen.push(message));
    await roundTrip(client);
    server.postMessage({ rid: 'GENERAL', msg: 'in general', username: 'alice' });
    server.postMessage({ rid: ops._id, msg: 'in ops', username: 'alice' });
    await waitFor(() => seen.length === 2);
    expect(seen.map((message) => [message.rid, message.msg])).toEqual([
      ['GENERAL', 'in general'],
      [ops._id, 'in ops'],
    ]);
  });

  it('delivers each event once after five reconnects', async () => {
    const { server, client } = await loggedIn();
    server.addUser({ username: 'alice', password: 'alice' });
    const connections = [...server.connections];
    server.on('connection', (connection) => connections.push(connection));
    const seen: string[] = [];
    client.onMessage('GENERAL', (message) => seen.push(message.msg));
    await roundTrip(client);
    server.postMessage({ rid: 'GENERAL', msg: 'before', username: 'alice' });
    await waitFor(() => seen.length === 1);
    for (let drop = 1; drop <= 5; drop++) {
      server.dropAllConnections();
      await roundTrip(client); // answered on the new session, after the resume login and the renewed sub
      server.postMessage({ rid: 'GENERAL', msg: `after drop ${drop}`, username: 'alice' });
      await waitFor(() => seen.length === drop + 1);
    }
    server.postMessage({ rid: 'GENERAL', msg: 'last', username: 'alice' });
    await waitFor(() => seen.includes('last'));
    await roundTrip(client);
    expect(seen).toEqual(['before', 'after drop 1', 'after drop 2', 'after drop 3', 'after drop 4', 'after drop 5', 'last']);
    // One sub per session, always with the same id.
    expect(connections).toHaveLength(6);
    const subs = connections.map((connection) =>
      connection.received.filter((frame) => frame.msg === 'sub' && frame.params?.[0] === 'GENERAL'),
    );
    expect(subs.map((list) => list.length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(new Set(subs.map((list) => (list[0]?.msg === 'sub' ? list[0].id : ''))).size).toBe(1);
  });
});

describe('typing and deletions', () => {
  it('sends typing as stream-notify-room user-activity and receives it on onTyping', async () => {
    const { server, client } = await loggedIn();
    server.addUser({ username: 'alice', password: 'alice' });
    const alice = newClient(server);
    await alice.connect();
    await alice.login({ username: 'alice', password: 'alice' });
    const events: TypingEvent[] = [];
    alice.onTyping('GENERAL', (event) => events.push(event));
    await roundTrip(alice);
    await client.setTyping('GENERAL', true);
    await waitFor(() => events.length === 1);
    await client.setTyping('GENERAL', false);
    await waitFor(() => events.length === 2);
    expect(events).toEqual([
      { rid: 'GENERAL', username: 'bot', typing: true, activities: ['user-typing'] },
      { rid: 'GENERAL', username: 'bot', typing: false, activities: [] },
    ]);
    const writes = server.connections[0]!.received.filter((frame) => frame.msg === 'method' && frame.method === 'stream-notify-room');
    expect(writes.map((frame) => (frame.msg === 'method' ? frame.params : undefined))).toEqual([
      ['GENERAL/user-activity', 'bot', ['user-typing'], {}],
      ['GENERAL/user-activity', 'bot', [], {}],
    ]);
  });

  it('reports deletions on onMessageDeleted', async () => {
    const { client } = await loggedIn();
    const deleted: MessageDeletedEvent[] = [];
    client.onMessageDeleted('GENERAL', (event) => deleted.push(event));
    const message = await client.sendMessage({ rid: 'GENERAL', msg: 'oops' });
    await client.deleteMessage(message._id);
    await waitFor(() => deleted.length === 1);
    expect(deleted).toEqual([{ rid: 'GENERAL', messageId: message._id }]);
  });
});

describe('streams and the server rate limit', () => {
  it('subscribes again, after timeToReset, a stream the rate limit refused, and delivers its messages', async () => {
    // Subscriptions to stream-room-messages: 4 per second per connection (stream-* names get 4 × the rule).
    const { server, client } = await loggedIn({ rateLimit: { methodPerConnection: { limit: 1, windowMs: 250 }, methodPerUser: false } });
    server.addUser({ username: 'alice', password: 'alice' });
    const rooms = ['one', 'two', 'three', 'four', 'five', 'six'].map((name) => server.addRoom({ name, members: ['bot', 'alice'] })._id);
    const received: string[] = [];
    const ended: unknown[] = [];
    for (const rid of rooms) client.onMessage(rid, (message) => received.push(message.msg), { onError: (error) => ended.push(error) });
    const connection = server.connections[0]!;
    await waitFor(() => connection.sent.some((frame) => frame.msg === 'nosub' && frame.error?.error === 'too-many-requests'));
    // Once every room's subscription is ready, a message in each arrives.
    const readyIds = (): Set<string> => new Set(connection.sent.flatMap((frame) => (frame.msg === 'ready' ? frame.subs : [])));
    await waitFor(() => connection.received.filter((frame) => frame.msg === 'sub' && readyIds().has(frame.id)).length === rooms.length, { timeoutMs: 5000 });
    for (const rid of rooms) server.postMessage({ rid, username: 'alice', msg: `in ${rid}` });
    await waitFor(() => received.length === rooms.length);
    expect(received.sort()).toEqual(rooms.map((rid) => `in ${rid}`).sort());
    expect(ended).toEqual([]);
  });

  it('forgets the pending resubscription when the listener leaves', async () => {
    const { server, client } = await loggedIn({ rateLimit: { methodPerConnection: { limit: 1, windowMs: 100 }, methodPerUser: false } });
    const rooms = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((name) => server.addRoom({ name, members: ['bot'] })._id);
    const stops = rooms.map((rid) => client.onMessage(rid, () => undefined));
    const connection = server.connections[0]!;
    await waitFor(() => connection.sent.filter((frame) => frame.msg === 'nosub').length === 2);
    stops[5]!(); // refused, and waiting to subscribe again: it must not
    const subsOf = (rid: string): number => connection.received.filter((frame) => frame.msg === 'sub' && frame.params?.[0] === rid).length;
    // a5's retry was armed just before a6's, with the same delay: once a5 is subscribed again, a6's time has come too.
    await waitFor(() => subsOf(rooms[4]!) === 2);
    await roundTrip(client);
    expect(subsOf(rooms[5]!)).toBe(1);
  });

  it('leaves no resubscription timer behind when the client closes', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const baseline = timers();
    const { server, client } = await loggedIn({ rateLimit: { methodPerConnection: { limit: 1, windowMs: 60_000 }, methodPerUser: false } });
    const rooms = ['b1', 'b2', 'b3', 'b4', 'b5'].map((name) => server.addRoom({ name, members: ['bot'] })._id);
    for (const rid of rooms) client.onMessage(rid, () => undefined);
    const connection = server.connections[0]!;
    await waitFor(() => connection.sent.some((frame) => frame.msg === 'nosub')); // b5 waits a minute to subscribe again
    await client.close();
    await server.close();
    await waitFor(() => timers() <= baseline, { what: 'every timer released' });
  });
});
