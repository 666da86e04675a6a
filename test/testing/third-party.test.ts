/**
 * DDP clients that nobody on this project wrote (simpleddp, ddp.js) talk to the fake server:
 * they connect, log in with a password digest, send a message, and receive it on the room stream.
 */
import { createHash } from 'node:crypto';
import DDP from 'ddp.js';
import SimpleDDP from 'simpleddp';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, leftovers, waitFor } from '../helpers.js';
import { startServer } from './start.js';

afterEach(() => leftovers.disposeAll());

const password = { digest: createHash('sha256').update('secret').digest('hex'), algorithm: 'sha-256' };

describe('third-party DDP clients', () => {
  it('simpleddp logs in, sends a message and receives it on stream-room-messages', async () => {
    const server = await startServer();
    const bot = server.addUser({ username: 'bot', password: 'secret', name: 'Bot' });
    const client = new SimpleDDP({ endpoint: server.url, SocketConstructor: WebSocket, autoReconnect: false, autoConnect: false });
    leftovers.track(() => client.disconnect());
    await client.connect();

    const login = (await client.call('login', { user: { username: 'bot' }, password })) as { id: string; token: string; tokenExpires: Date; type: string };
    expect(login.id).toBe(bot._id);
    expect(login.type).toBe('password');
    expect(login.tokenExpires).toBeInstanceOf(Date);

    const events: Record<string, unknown>[] = [];
    client.on('changed', (message) => {
      if (message['collection'] === 'stream-room-messages') events.push(message);
    });
    const sub = client.subscribe('stream-room-messages', 'GENERAL', { useCollection: false, args: [] });
    await sub.ready();

    const sent = (await client.call('sendMessage', { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'hello from simpleddp' })) as {
      _id: string;
      ts: Date;
      u: { username: string };
    };
    expect(sent._id).toBe('Hgx6ZAo9sMwtkL7CE');
    expect(sent.ts).toBeInstanceOf(Date);
    expect(sent.u.username).toBe('bot');

    await waitFor(() => events.length === 1);
    const fields = events[0]!['fields'] as { eventName: string; args: { _id: string; msg: string; ts: Date }[] };
    expect(fields.eventName).toBe('GENERAL');
    expect(fields.args[0]!._id).toBe('Hgx6ZAo9sMwtkL7CE');
    expect(fields.args[0]!.msg).toBe('hello from simpleddp');
    expect(fields.args[0]!.ts).toBeInstanceOf(Date);
    expect(server.messages('GENERAL').map((message) => message.msg)).toStrictEqual(['hello from simpleddp']);
  });

  it('ddp.js logs in, sends a message and receives it on stream-room-messages', async () => {
    const server = await startServer();
    const bot = server.addUser({ username: 'bot', password: 'secret' });
    const ddp = new DDP({ endpoint: server.url, SocketConstructor: WebSocket, autoReconnect: false });
    leftovers.track(() => ddp.disconnect());
    const results = new Map<string, Record<string, unknown>>();
    const ready = new Set<string>();
    const changed: Record<string, unknown>[] = [];
    const connected = deferred();
    ddp.on('connected', () => connected.resolve());
    ddp.on('result', (message) => results.set(message['id'] as string, message));
    ddp.on('ready', (message) => (message['subs'] as string[]).forEach((id) => ready.add(id)));
    ddp.on('changed', (message) => changed.push(message));
    await connected.promise;

    const loginId = ddp.method('login', [{ user: { username: 'bot' }, password }]);
    const login = await waitFor(() => results.get(loginId));
    expect((login['result'] as { id: string }).id).toBe(bot._id);

    const subId = ddp.sub('stream-room-messages', ['GENERAL', { useCollection: false, args: [] }]);
    await waitFor(() => ready.has(subId));

    const sendId = ddp.method('sendMessage', [{ _id: 'NqFQ2kXgCiD8yPuYb', rid: 'GENERAL', msg: 'hello from ddp.js' }]);
    const sent = await waitFor(() => results.get(sendId));
    expect((sent['result'] as { ts: unknown }).ts).toStrictEqual({ $date: expect.any(Number) as unknown });

    const event = await waitFor(() => changed.find((message) => message['collection'] === 'stream-room-messages'));
    const fields = event['fields'] as { eventName: string; args: { _id: string; msg: string }[] };
    expect(fields.eventName).toBe('GENERAL');
    expect(fields.args[0]).toMatchObject({ _id: 'NqFQ2kXgCiD8yPuYb', msg: 'hello from ddp.js' });
  });
});
