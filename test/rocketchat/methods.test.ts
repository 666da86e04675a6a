import { afterEach, describe, expect, it } from 'vitest';
import { DdpMethodError } from '../../src/ddp/errors.js';
import { InvalidMessageError } from '../../src/rocketchat/errors.js';
import { leftovers } from '../helpers.js';
import { loggedIn } from './setup.js';

afterEach(() => leftovers.disposeAll());

describe('room and message methods', () => {
  it('getRoomId finds a room by name or id, and refuses an unknown one', async () => {
    const { client } = await loggedIn();
    expect(await client.getRoomId('general')).toBe('GENERAL');
    expect(await client.getRoomId('GENERAL')).toBe('GENERAL');
    const error = await client.getRoomId('nowhere').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as DdpMethodError).error).toBe('error-not-allowed');
  });

  it('joinRoom joins a public room, with its join code when it has one', async () => {
    const { server, client } = await loggedIn();
    const open = server.addRoom({ name: 'open' });
    const locked = server.addRoom({ name: 'locked', joinCode: 'sesame' });
    await client.joinRoom(open._id);
    await expect(client.joinRoom(locked._id, 'wrong')).rejects.toMatchObject({ error: 'error-code-invalid' });
    await client.joinRoom(locked._id, 'sesame');
    await expect(client.joinRoom('nope')).rejects.toMatchObject({ error: 'error-invalid-room' });
    // The server posts "bot joined" as a system message; the history carries it decoded.
    const { messages } = await client.loadHistory(open._id);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ t: 'uj', msg: 'bot', u: { username: 'bot' }, groupable: false });
    expect(messages[0]?.ts).toBeInstanceOf(Date);
  });

  it('loadHistory returns decoded messages newest first, and unread counts', async () => {
    const { server, client } = await loggedIn();
    server.addUser({ username: 'alice', password: 'alice' });
    const base = Date.now() - 5000;
    for (let index = 0; index < 5; index++) {
      server.postMessage({ rid: 'GENERAL', msg: `m${index}`, username: 'alice', ts: new Date(base + index * 100) });
    }
    const latest = await client.loadHistory('GENERAL', { limit: 2 });
    expect(latest.messages.map((message) => message.msg)).toEqual(['m4', 'm3']);
    expect(latest.messages[0]?.ts).toBeInstanceOf(Date);
    expect(latest.unreadNotLoaded).toBe(0);
    const older = await client.loadHistory('GENERAL', { before: new Date(base + 250), limit: 20 });
    expect(older.messages.map((message) => message.msg)).toEqual(['m2', 'm1', 'm0']);
    const unread = await client.loadHistory('GENERAL', { limit: 1, lastSeen: new Date(base + 50) });
    expect(unread.messages.map((message) => message.msg)).toEqual(['m4']);
    expect(unread.unreadNotLoaded).toBe(3);
    expect(unread.firstUnread?.msg).toBe('m1');
    expect(unread.firstUnread?.ts).toBeInstanceOf(Date);
  });

  it('loadHistory turns the server false (no such room, no access) into a typed error', async () => {
    const { client } = await loggedIn();
    const error = await client.loadHistory('nowhere').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as DdpMethodError).error).toBe('error-not-allowed');
    expect((error as DdpMethodError).method).toBe('loadHistory');
  });

  it('getMessage returns a decoded message, or null when there is none', async () => {
    const { client } = await loggedIn();
    const sent = await client.sendMessage({ rid: 'GENERAL', msg: 'find me' });
    const found = await client.getMessage(sent._id);
    expect(found?._id).toBe(sent._id);
    expect(found?.ts).toBeInstanceOf(Date);
    expect(await client.getMessage('Hgx6ZAo9sMwtkL7CE')).toBeNull();
  });

  it('updateMessage changes the text, checking it first', async () => {
    const { server, client } = await loggedIn();
    const sent = await client.sendMessage({ rid: 'GENERAL', msg: 'draft' });
    await client.updateMessage({ _id: sent._id, rid: 'GENERAL', msg: 'final' });
    const stored = server.messages('GENERAL')[0];
    expect(stored?.msg).toBe('final');
    expect(stored?.editedAt).toBeInstanceOf(Date);
    await expect(client.updateMessage({ _id: sent._id, rid: 'GENERAL', msg: 'x'.repeat(5001) })).rejects.toBeInstanceOf(
      InvalidMessageError,
    );
    await expect(client.updateMessage({ _id: '', rid: 'GENERAL', msg: 'x' })).rejects.toMatchObject({ field: '_id' });
  });

  it('deleteMessage removes a message', async () => {
    const { server, client } = await loggedIn();
    const sent = await client.sendMessage({ rid: 'GENERAL', msg: 'gone soon' });
    await client.deleteMessage(sent._id);
    expect(server.messages('GENERAL')).toEqual([]);
  });

  it('react adds, removes and toggles a reaction, and refuses an invalid emoji', async () => {
    const { client } = await loggedIn();
    const sent = await client.sendMessage({ rid: 'GENERAL', msg: 'react to me' });
    await client.react(sent._id, ':thumbsup:', true);
    expect((await client.getMessage(sent._id))?.reactions?.[':thumbsup:']?.usernames).toEqual(['bot']);
    await client.react(sent._id, ':thumbsup:', false);
    expect((await client.getMessage(sent._id))?.reactions?.[':thumbsup:']).toBeUndefined();
    await client.react(sent._id, ':tada:');
    expect((await client.getMessage(sent._id))?.reactions?.[':tada:']?.usernames).toEqual(['bot']);
    await expect(client.react(sent._id, ':no such emoji!:')).rejects.toMatchObject({ error: 'error-not-allowed' });
  });

  it('react turns a silent refusal (a muted user) into an error', async () => {
    const { server, client } = await loggedIn();
    const room = server.addRoom({ name: 'quiet', members: ['bot'] });
    server.addUser({ username: 'alice', password: 'alice' });
    server.addMember(room._id, 'alice');
    const posted = server.postMessage({ rid: room._id, msg: 'hi', username: 'alice' });
    server.updateRoom(room._id, { muted: ['bot'] });
    await expect(client.react(posted._id, ':thumbsup:', true)).rejects.toMatchObject({ error: 'error-not-allowed', method: 'setReaction' });
  });

  it('createDirectMessage opens a direct room', async () => {
    const { server, client, bot } = await loggedIn();
    const alice = server.addUser({ username: 'alice', password: 'alice' });
    const { rid } = await client.createDirectMessage('alice');
    expect(rid).toBe([bot._id, alice._id].sort().join(''));
    const sent = await client.sendMessage({ rid, msg: 'hi alice' });
    expect(sent.rid).toBe(rid);
    await expect(client.createDirectMessage('nobody')).rejects.toMatchObject({ error: 'error-invalid-user' });
  });
});
