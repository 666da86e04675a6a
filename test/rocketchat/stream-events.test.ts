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
