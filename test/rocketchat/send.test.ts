import { afterEach, describe, expect, it } from 'vitest';
import { DdpClosedError, DdpMethodError } from '../../src/ddp/errors.js';
import type { ClientFrame } from '../../src/ddp/protocol.js';
import {
  InvalidMessageError,
  MessageNotDeliveredError,
  RateLimitedError,
} from '../../src/rocketchat/errors.js';
import type { OutgoingMessage } from '../../src/rocketchat/types.js';
import { methodError } from '../../src/testing/index.js';
import { leftovers, waitFor } from '../helpers.js';
import { loggedIn } from './setup.js';

afterEach(() => leftovers.disposeAll());

function sendMessageFrames(frames: readonly ClientFrame[]): ClientFrame[] {
  return frames.filter((frame) => frame.msg === 'method' && frame.method === 'sendMessage');
}

describe('sendMessage', () => {
  it('resolves with the stored message, its dates decoded, under a 17-character client id', async () => {
    const { server, client, bot } = await loggedIn();
    const message = await client.sendMessage({ rid: 'GENERAL', msg: 'hello world' });
    expect(message._id).toMatch(/^[23456789A-HJ-NP-Za-km-z]{17}$/);
    expect(message.rid).toBe('GENERAL');
    expect(message.msg).toBe('hello world');
    expect(message.ts).toBeInstanceOf(Date);
    expect(message._updatedAt).toBeInstanceOf(Date);
    expect(message.u).toMatchObject({ _id: bot._id, username: 'bot' });
    const stored = server.messages('GENERAL');
    expect(stored.map((entry) => entry._id)).toEqual([message._id]);
    const [frame] = sendMessageFrames(server.connections[0]!.received);
    expect(frame).toMatchObject({ params: [{ _id: message._id, rid: 'GENERAL', msg: 'hello world' }] });
    expect(frame?.msg === 'method' ? frame.params?.length : 0).toBe(1);
  });

  it('keeps a caller _id and sends previewUrls as the second parameter', async () => {
    const { server, client } = await loggedIn();
    const message = await client.sendMessage(
      { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'see https://example.com and https://b.example' },
      { previewUrls: ['https://example.com'] },
    );
    expect(message._id).toBe('Hgx6ZAo9sMwtkL7CE');
    const [frame] = sendMessageFrames(server.connections[0]!.received);
    expect(frame).toMatchObject({ params: [{ _id: 'Hgx6ZAo9sMwtkL7CE' }, ['https://example.com']] });
  });

  it('sends thread replies with tmid and tshow', async () => {
    const { client } = await loggedIn();
    const parent = await client.sendMessage({ rid: 'GENERAL', msg: 'thread start' });
    const reply = await client.sendMessage({ rid: 'GENERAL', msg: 'reply', tmid: parent._id, tshow: true });
    expect(reply.tmid).toBe(parent._id);
    expect(reply.tshow).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['no rid', { msg: 'x' }, 'rid'],
    ['a msg over maxMessageLength', { rid: 'GENERAL', msg: 'x'.repeat(5001) }, 'msg'],
    ['tshow without tmid', { rid: 'GENERAL', msg: 'x', tshow: true }, 'tshow'],
    ['tshow without tmid, with attachments', { rid: 'GENERAL', msg: 'x', tshow: true, attachments: [{ text: 'a' }] }, 'tshow'],
    ['attachments that are not an array', { rid: 'GENERAL', msg: 'x', attachments: { text: 'a' } }, 'attachments'],
    ['an alias that is not a string', { rid: 'GENERAL', msg: 'x', alias: 5 }, 'alias'],
    ['a msg over maxMessageLength, with attachments', { rid: 'GENERAL', msg: 'x'.repeat(5001), attachments: [] }, 'msg'],
    ['a ts that is not a Date', { rid: 'GENERAL', msg: 'x', ts: Date.now() }, 'ts'],
    ['an empty _id', { rid: 'GENERAL', msg: 'x', _id: '' }, '_id'],
  ])('refuses a message with %s before sending anything', async (_label, message, field) => {
    const { server, client } = await loggedIn();
    const error = await client.sendMessage(message as OutgoingMessage).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidMessageError);
    expect((error as InvalidMessageError).field).toBe(field);
    await client.getMessage('anything'); // a later round trip: anything sent before it has arrived
    expect(sendMessageFrames(server.connections[0]!.received)).toEqual([]);
    expect(server.restRequests).toEqual([]);
    expect(server.messages()).toEqual([]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['attachments', { attachments: [{ text: 'a' }] }],
    ['blocks', { blocks: [{ type: 'divider' }] }],
    ['emoji', { emoji: ':robot:' }],
    ['an unknown key', { foo: 1 }],
  ])('sends a message with %s over REST instead of refusing it', async (_label, fields) => {
    const { server, client } = await loggedIn();
    const message = await client.sendMessage({ rid: 'GENERAL', msg: 'rich', ...fields } as OutgoingMessage);
    expect(message).toMatchObject({ rid: 'GENERAL', msg: 'rich', ...fields });
    expect(server.transportOf(message._id)).toBe('rest');
    expect(sendMessageFrames(server.connections[0]!.received)).toEqual([]);
    expect(server.messages('GENERAL')).toHaveLength(1);
  });

  it('honours maxMessageLength', async () => {
    const { server, client } = await loggedIn({}, { maxMessageLength: 10 });
    await expect(client.sendMessage({ rid: 'GENERAL', msg: 'x'.repeat(11) })).rejects.toBeInstanceOf(InvalidMessageError);
    await client.sendMessage({ rid: 'GENERAL', msg: 'x'.repeat(10) });
    expect(server.messages()).toHaveLength(1);
  });

  it('resolves with the stored message when the server answers a duplicate _id with an empty result', async () => {
    const { server, client } = await loggedIn();
    const first = await client.sendMessage({ _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'once' });
    const again = await client.sendMessage({ _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'once' });
    expect(again._id).toBe(first._id);
    expect(again.ts).toBeInstanceOf(Date);
    expect(again.ts.getTime()).toBe(first.ts.getTime());
    expect(server.messages('GENERAL')).toHaveLength(1);
    const methods = server.connections[0]!.received.filter((frame) => frame.msg === 'method').map((frame) => (frame.msg === 'method' ? frame.method : ''));
    expect(methods).toContain('getSingleMessage');
  });

  it('rejects with MessageNotDeliveredError quoting the server notice for a room that does not exist', async () => {
    const { server, client } = await loggedIn();
    const error = await client.sendMessage({ rid: 'doesNotExist12345', msg: 'lost' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MessageNotDeliveredError);
    const notDelivered = error as MessageNotDeliveredError;
    expect(notDelivered.reason).toBe('Invalid room');
    expect(notDelivered.message).toContain('Invalid room');
    expect(notDelivered.rid).toBe('doesNotExist12345');
    expect(notDelivered.messageId).toMatch(/^.{17}$/);
    expect(server.messages()).toEqual([]);
  });

  it('rejects with MessageNotDeliveredError naming the cause for a read-only room and a muted user', async () => {
    const { server, client } = await loggedIn();
    const readonly = server.addRoom({ name: 'news', readonly: true, members: ['bot'] });
    const muted = server.addRoom({ name: 'quiet', muted: ['bot'], members: ['bot'] });
    const first = await client.sendMessage({ rid: readonly._id, msg: 'x' }).catch((caught: unknown) => caught);
    expect(first).toBeInstanceOf(MessageNotDeliveredError);
    expect((first as MessageNotDeliveredError).reason).toContain('readonly');
    const second = await client.sendMessage({ rid: muted._id, msg: 'x' }).catch((caught: unknown) => caught);
    expect(second).toBeInstanceOf(MessageNotDeliveredError);
    expect((second as MessageNotDeliveredError).reason).toContain('muted');
  });

  it('passes visible server errors through as DdpMethodError', async () => {
    const { server, client } = await loggedIn();
    const secret = server.addRoom({ name: 'secret', t: 'p' });
    const error = await client.sendMessage({ rid: secret._id, msg: 'x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as DdpMethodError).error).toBe('error-not-allowed');
  });

  it('rejects at once with the signal reason when aborted before sending', async () => {
    const { server, client } = await loggedIn();
    const controller = new AbortController();
    controller.abort(new Error('never mind'));
    await expect(client.sendMessage({ rid: 'GENERAL', msg: 'x' }, { signal: controller.signal })).rejects.toThrow('never mind');
    expect(server.messages()).toEqual([]);
  });
});

/** The frames a connection received, as `sub <name> <event>` / `method <name>` / `unsub`. */
function frameTrail(frames: readonly ClientFrame[]): string[] {
  return frames.flatMap((frame) => {
    if (frame.msg === 'sub') return [`sub ${frame.name} ${String(frame.params?.[0])}`];
    if (frame.msg === 'method') return [`method ${frame.method}`];
    if (frame.msg === 'unsub') return ['unsub'];
    return [];
  });
}

describe('sendMessage and the private notices subscription', () => {
  it('subscribes to the user\'s notices with the first message (not at login), just before it, and only once', async () => {
    const { server, client, bot } = await loggedIn();
    client.onMessage('GENERAL', () => undefined);
    await client.ddp.call('getRoomIdByNameOrId', ['general']); // the room stream's sub is in
    const connection = server.connections[0]!;
    expect(frameTrail(connection.received).filter((entry) => entry.includes('stream-notify-user'))).toEqual([]);
    await client.sendMessage({ rid: 'GENERAL', msg: 'one' });
    await client.sendMessage({ rid: 'GENERAL', msg: 'two' });
    expect(frameTrail(connection.received)).toEqual([
      'method login',
      'sub stream-room-messages GENERAL',
      'method getRoomIdByNameOrId',
      `sub stream-notify-user ${bot._id}/message`,
      'method sendMessage',
      'method sendMessage',
    ]);
  });

  it('quotes the notice of the very first message of a session', async () => {
    const { client } = await loggedIn();
    const error = await client.sendMessage({ rid: 'nowhere1234567890', msg: 'first' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MessageNotDeliveredError);
    expect((error as MessageNotDeliveredError).reason).toBe('Invalid room');
  });

  it('follows the logged-in user: another login drops the old user\'s notices, the next message subscribes to the new one\'s', async () => {
    const { server, client, bot } = await loggedIn();
    const alice = server.addUser({ username: 'alice', password: 'pass' });
    server.addRoom({ name: 'both', members: ['bot', 'alice'] });
    const room = await client.getRoomId('both');
    await client.sendMessage({ rid: room, msg: 'from bot' });
    await client.login({ username: 'alice', password: 'pass' });
    await client.sendMessage({ rid: room, msg: 'from alice' });
    // The server ends the old user's subscription itself when the user changes (a nosub), so
    // whether an unsub crosses it depends on timing: left out.
    const trail = frameTrail(server.connections[0]!.received).filter((entry) => entry !== 'method getRoomIdByNameOrId' && entry !== 'unsub');
    expect(trail).toEqual([
      'method login',
      `sub stream-notify-user ${bot._id}/message`,
      'method sendMessage',
      'method login',
      `sub stream-notify-user ${alice._id}/message`,
      'method sendMessage',
    ]);
    const error = await client.sendMessage({ rid: 'nowhere1234567890', msg: 'lost' }).catch((caught: unknown) => caught);
    expect((error as MessageNotDeliveredError).reason).toBe('Invalid room');
  });

  it('subscribes again with the next message when the server ended the notices subscription', async () => {
    const { server, client, bot } = await loggedIn();
    await client.sendMessage({ rid: 'GENERAL', msg: 'one' });
    const connection = server.connections[0]!;
    const notices = connection.received.find((frame) => frame.msg === 'sub' && frame.name === 'stream-notify-user');
    connection.send({ msg: 'nosub', id: notices!.msg === 'sub' ? notices!.id : '', error: { error: 'error-not-allowed', reason: 'Not allowed' } });
    await client.getMessage('none'); // a round trip: the nosub is in
    await client.sendMessage({ rid: 'GENERAL', msg: 'two' });
    const subs = frameTrail(connection.received).filter((entry) => entry.startsWith('sub stream-notify-user'));
    expect(subs).toEqual([`sub stream-notify-user ${bot._id}/message`, `sub stream-notify-user ${bot._id}/message`]);
  });

  it('renews the notices subscription before a first message resent after a drop', async () => {
    const { server, client, bot } = await loggedIn();
    const cut = (frame: ClientFrame, connection: { drop(): void }): void => {
      if (frame.msg === 'method' && frame.method === 'sendMessage') {
        server.off('clientFrame', cut);
        connection.drop();
      }
    };
    server.on('clientFrame', cut);
    const sent = client.sendMessage({ rid: 'GENERAL', msg: 'across the drop' });
    const second = await server.waitForConnection().then(() => server.waitForConnection());
    await sent;
    expect(frameTrail(second.received)).toEqual([
      'method login',
      `sub stream-notify-user ${bot._id}/message`,
      'method sendMessage',
    ]);
  });
});

describe('sendMessage and the rate limit', () => {
  it('delivers 20 messages sent at once under the server default limit, each stored once', async () => {
    const { server, client } = await loggedIn();
    const texts = Array.from({ length: 20 }, (_, index) => `burst ${index}`);
    const results = await Promise.allSettled(texts.map((msg) => client.sendMessage({ rid: 'GENERAL', msg })));
    const failures = results.filter((result) => result.status === 'rejected');
    expect(failures).toEqual([]);
    const stored = server.messages('GENERAL').map((message) => message.msg);
    expect([...stored].sort()).toEqual([...texts].sort());
  });

  it('retries a call refused with too-many-requests after timeToReset', async () => {
    const { server, client } = await loggedIn(
      { rateLimit: { sendMessage: { limit: 2, windowMs: 300 } } },
      { rateLimit: { messagesPerSecond: 100, maxRetries: 5 } },
    );
    const refusals: number[] = [];
    server.on('serverFrame', (frame) => {
      if (frame.msg === 'result' && frame.error?.error === 'too-many-requests') {
        const details = frame.error.details as { timeToReset?: number };
        refusals.push(details.timeToReset ?? -1);
      }
    });
    const texts = ['a', 'b', 'c', 'd', 'e'];
    const sent = await Promise.all(texts.map((msg) => client.sendMessage({ rid: 'GENERAL', msg })));
    expect(sent.map((message) => message.msg)).toEqual(texts);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every((ms) => ms > 0)).toBe(true);
    expect(server.messages('GENERAL').map((message) => message.msg).sort()).toEqual(texts);
  });

  it('gives up with RateLimitedError after maxRetries', async () => {
    const { server, client } = await loggedIn(
      { rateLimit: { sendMessage: { limit: 1, windowMs: 60_000 } } },
      { rateLimit: { maxRetries: 0 } },
    );
    await client.sendMessage({ rid: 'GENERAL', msg: 'first' });
    const error = await client.sendMessage({ rid: 'GENERAL', msg: 'second' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect(server.messages('GENERAL')).toHaveLength(1);
  });

  it('with rateLimit false sends at once and surfaces too-many-requests as RateLimitedError', async () => {
    const { client } = await loggedIn({ rateLimit: { sendMessage: { limit: 2, windowMs: 60_000 } } }, { rateLimit: false });
    const results = await Promise.allSettled(['a', 'b', 'c'].map((msg) => client.sendMessage({ rid: 'GENERAL', msg })));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(RateLimitedError);
  });
});

describe('sendMessage when the lookup that confirms it is rate limited', () => {
  it('asks again once the limit resets, and resolves with the message stored under its _id', async () => {
    const { server, client } = await loggedIn(
      { rateLimit: { methodPerConnection: { limit: 1, windowMs: 1000 }, methodPerUser: false } }, // a window slow machines cannot miss
      { rateLimit: false },
    );
    const first = await client.sendMessage({ rid: 'GENERAL', msg: 'once', _id: 'dupDupDupDupDup01' });
    await client.getMessage('none'); // uses up getSingleMessage's allowance on this connection
    // The same _id again: the server answers nothing (a duplicate), and the lookup is refused at first.
    const again = await client.sendMessage({ rid: 'GENERAL', msg: 'once', _id: 'dupDupDupDupDup01' });
    expect(again._id).toBe(first._id);
    const lookups = server.connections[0]!.sent.filter(
      (frame) => frame.msg === 'result' && frame.error !== undefined && frame.error.error === 'too-many-requests',
    );
    expect(lookups.length).toBeGreaterThanOrEqual(1);
    expect(server.messages('GENERAL').filter((stored) => stored._id === first._id)).toHaveLength(1);
  });

  it('rejects with RateLimitedError when the lookup stays refused, and with DdpClosedError when closed while waiting', async () => {
    const { server, client } = await loggedIn({}, { rateLimit: false });
    let lookups = 0;
    server.addMethod('getSingleMessage', () => {
      lookups++;
      throw methodError('too-many-requests', 'Error, too many requests. Please slow down.', { timeToReset: lookups > 10 ? 60_000 : 5 });
    });
    const error = await client.sendMessage({ rid: 'nowhere1234567890', msg: 'x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(lookups).toBe(4); // the lookup, then 3 more
    lookups = 10;
    const waiting = client.sendMessage({ rid: 'nowhere1234567890', msg: 'y' }).catch((caught: unknown) => caught);
    await waitFor(() => lookups === 11);
    await client.close();
    expect(await waiting).toBeInstanceOf(DdpClosedError);
  });
});
