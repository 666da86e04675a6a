/**
 * `sendMessage` over REST: rich messages (attachments, blocks, alias, emoji, avatar) go to
 * `POST /api/v1/chat.sendMessage` with the realtime login's credentials and come back as the
 * same typed `IMessage`; every answer of the REST API maps to the client's error classes; a
 * lost answer is resent with the same `_id` and stored once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DdpClosedError, DdpConnectionError, DdpMethodError, DdpTimeoutError } from '../../src/ddp/errors.js';
import type { ClientFrame } from '../../src/ddp/protocol.js';
import type { RocketChatClient, RocketChatClientOptions } from '../../src/rocketchat/client.js';
import {
  InvalidMessageError,
  MessageNotDeliveredError,
  RateLimitedError,
  RocketChatErrorCode,
  hasErrorCode,
} from '../../src/rocketchat/errors.js';
import { normalizeRestUrl, restBaseUrl } from '../../src/rocketchat/rest.js';
import type { IMessage, OutgoingAttachment, OutgoingMessage, UiKitBlock } from '../../src/rocketchat/types.js';
import type { FakeRocketChatServer, FakeServerOptions, FakeUserOptions } from '../../src/testing/index.js';
import { SAMPLE_BLOCKS, SAMPLE_IDENTITY, SAMPLE_TS_ISO, fullAttachment } from '../rich-message.js';
import { deferred, leftovers, waitFor } from '../helpers.js';
import { newClient, startServer } from './setup.js';

afterEach(() => leftovers.disposeAll());

/** A server with a user `bot` (role bot unless told otherwise) logged in on a client. */
async function setup(
  options: { server?: FakeServerOptions; client?: Partial<RocketChatClientOptions>; user?: Partial<FakeUserOptions> } = {},
): Promise<{ server: FakeRocketChatServer; client: RocketChatClient }> {
  const server = await startServer(options.server);
  server.addUser({ username: 'bot', password: 'pass', name: 'Bot', roles: ['bot'], ...options.user });
  const client = newClient(server, options.client);
  await client.connect();
  await client.login({ username: 'bot', password: 'pass' });
  return { server, client };
}

function sendMessageFrames(server: FakeRocketChatServer): ClientFrame[] {
  return server.connections.flatMap((connection) =>
    connection.received.filter((frame) => frame.msg === 'method' && frame.method === 'sendMessage'),
  );
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('it resolved');
    },
    (error: unknown) => error,
  );
}

/** A `fetch` that never answers: it rejects with the signal's reason once aborted. */
function hangingFetch(calls: string[]): typeof fetch {
  return (input, init) => {
    calls.push(String(input));
    return new Promise((_resolve, reject) => {
      const signal = init?.signal;
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  };
}

const SENT_AT = new Date(SAMPLE_TS_ISO);

const ATTACHMENT: OutgoingAttachment = fullAttachment(SENT_AT);

const BLOCKS: UiKitBlock[] = structuredClone(SAMPLE_BLOCKS) as unknown as UiKitBlock[];

describe('sendMessage picks the transport', () => {
  it('sends a rich message over REST and resolves with a typed IMessage whose dates are Dates', async () => {
    const { server, client } = await setup();
    const message = await client.sendMessage({
      rid: 'GENERAL',
      msg: 'Sample message',
      alias: SAMPLE_IDENTITY.alias,
      emoji: SAMPLE_IDENTITY.emoji,
      avatar: SAMPLE_IDENTITY.avatar,
      attachments: [ATTACHMENT],
      blocks: BLOCKS,
    });
    expect(message._id).toMatch(/^[23456789A-HJ-NP-Za-km-z]{17}$/);
    expect(message).toMatchObject({ rid: 'GENERAL', msg: 'Sample message', alias: SAMPLE_IDENTITY.alias, emoji: SAMPLE_IDENTITY.emoji, blocks: BLOCKS });
    expect(message.u).toMatchObject({ username: 'bot', name: 'Bot' });
    expect(message.ts).toBeInstanceOf(Date);
    expect(message._updatedAt).toBeInstanceOf(Date);
    const [attachment] = message.attachments ?? [];
    expect(attachment?.ts).toBeInstanceOf(Date);
    expect(attachment?.ts?.getTime()).toBe(SENT_AT.getTime());
    expect(attachment?.fields).toStrictEqual(ATTACHMENT.fields);

    expect(server.transportOf(message._id)).toBe('rest');
    expect(sendMessageFrames(server)).toStrictEqual([]);
    const [request] = server.restRequests;
    expect(request).toMatchObject({ method: 'POST', path: '/api/v1/chat.sendMessage', status: 200, userId: client.userId });
    expect(request?.body).toMatchObject({ message: { _id: message._id, attachments: [{ ts: SENT_AT.toISOString() }] } });
    expect(server.messages('GENERAL').map((stored) => stored._id)).toStrictEqual([message._id]);
  });

  it('sends a plain message over the WebSocket, as before', async () => {
    const { server, client } = await setup();
    const message = await client.sendMessage({ rid: 'GENERAL', msg: 'plain', groupable: false });
    expect(server.transportOf(message._id)).toBe('ddp');
    expect(sendMessageFrames(server)).toHaveLength(1);
    expect(server.restRequests).toStrictEqual([]);
  });

  it('keeps the caller _id over REST and sends previewUrls in the body', async () => {
    const { server, client } = await setup();
    const message = await client.sendMessage(
      { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'see https://a.io and https://b.io', emoji: ':eyes:' },
      { previewUrls: ['https://a.io'] },
    );
    expect(message._id).toBe('Hgx6ZAo9sMwtkL7CE');
    expect(message.urls).toStrictEqual([{ url: 'https://a.io', meta: {} }, { url: 'https://b.io', meta: {}, ignoreParse: true }]);
    expect(server.restRequests[0]?.body).toMatchObject({ message: { _id: 'Hgx6ZAo9sMwtkL7CE' }, previewUrls: ['https://a.io'] });
  });

  it('sends a message of blocks only, without msg', async () => {
    const { client } = await setup();
    const message = await client.sendMessage({ rid: 'GENERAL', blocks: BLOCKS });
    expect(message.msg).toBe('');
    expect(message.blocks).toStrictEqual(BLOCKS);
  });

  it('checks a rich message before sending it, as it checks a plain one', async () => {
    const { server, client } = await setup();
    const error = await failure(client.sendMessage({ rid: 'GENERAL', msg: 'x', attachments: [{ fields: [{ title: '', value: 'v' }] }] }));
    expect(error).toBeInstanceOf(InvalidMessageError);
    expect((error as InvalidMessageError).field).toBe('attachments[0].fields[0].title');
    expect(server.restRequests).toStrictEqual([]);
  });

  it('delivers a REST-sent message to a second client on the room stream, attachment dates decoded', async () => {
    const { server, client } = await setup();
    server.addUser({ username: 'alice', password: 'pw' });
    const alice = newClient(server);
    await alice.connect();
    await alice.login({ username: 'alice', password: 'pw' });
    const received = deferred<IMessage>();
    alice.onMessage('GENERAL', (message) => received.resolve(message));
    await alice.ddp.call('getSingleMessage', ['no-such-message']); // the subscription is in place after this round trip
    const sent = await client.sendMessage({ rid: 'GENERAL', msg: 'to everyone', attachments: [{ text: 'card', ts: SENT_AT }] });
    const message = await received.promise;
    expect(message._id).toBe(sent._id);
    expect(message.ts).toBeInstanceOf(Date);
    expect(message.attachments?.[0]?.ts).toStrictEqual(SENT_AT);
    expect(server.transportOf(sent._id)).toBe('rest');
  });
});

describe('sendMessage over REST maps every answer of the server', () => {
  it('a room that does not exist (400 error-invalid-room): MessageNotDeliveredError with the server notice, the code in its cause', async () => {
    const { server, client } = await setup();
    const error = await failure(client.sendMessage({ rid: 'doesNotExist12345', msg: 'lost', emoji: ':x:' }));
    expect(error).toBeInstanceOf(MessageNotDeliveredError);
    const notDelivered = error as MessageNotDeliveredError;
    expect(notDelivered.reason).toBe('Invalid room');
    expect(notDelivered.rid).toBe('doesNotExist12345');
    expect(hasErrorCode(notDelivered.cause, RocketChatErrorCode.InvalidRoom)).toBe(true);
    expect(server.restRequests.map((request) => request.status)).toStrictEqual([400]);
    expect(server.messages()).toStrictEqual([]);
  });

  it('a read-only room (400 with the reason as text): MessageNotDeliveredError quoting it', async () => {
    const { server, client } = await setup();
    const news = server.addRoom({ name: 'news', readonly: true, members: ['bot'] });
    const error = await failure(client.sendMessage({ rid: news._id, msg: 'x', attachments: [{ text: 'a' }] }));
    expect(error).toBeInstanceOf(MessageNotDeliveredError);
    expect((error as MessageNotDeliveredError).reason).toContain('readonly');
    expect((error as MessageNotDeliveredError).cause).toMatchObject({ error: 400, reason: "You can't send messages because the room is readonly." });
  });

  it('alias without the message-impersonate permission: MessageNotDeliveredError saying which permission is missing', async () => {
    const { server, client } = await setup({ user: { roles: ['user'] } });
    const error = await failure(client.sendMessage({ rid: 'GENERAL', msg: 'x', alias: 'Robot' }));
    expect(error).toBeInstanceOf(MessageNotDeliveredError);
    const notDelivered = error as MessageNotDeliveredError;
    expect(notDelivered.reason).toBe('Not enough permission');
    expect(notDelivered.message).toContain('"alias"');
    expect(notDelivered.message).toContain('message-impersonate');
    expect(server.messages()).toStrictEqual([]);
    // emoji needs no permission
    const withEmoji = await client.sendMessage({ rid: 'GENERAL', msg: 'x', emoji: ':robot:' });
    expect(withEmoji.emoji).toBe(':robot:');
  });

  it('no access to the room (400 error-not-allowed): DdpMethodError, as over the WebSocket', async () => {
    const { server, client } = await setup();
    const secret = server.addRoom({ name: 'secret', t: 'p' });
    const error = await failure(client.sendMessage({ rid: secret._id, msg: 'x', emoji: ':lock:' }));
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as DdpMethodError).error).toBe('error-not-allowed');
    expect((error as DdpMethodError).method).toBe('chat.sendMessage');
  });

  it('a body the server does not take (400 error-invalid-params): DdpMethodError with that code', async () => {
    const server = await startServer();
    server.addUser({ username: 'bot', password: 'pass', roles: ['bot'] });
    const rewriting: typeof fetch = (input, init) => {
      const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
      return fetch(input, { ...init, body: JSON.stringify({ ...body, extra: true }) });
    };
    const client = newClient(server, { fetch: rewriting });
    await client.connect();
    await client.login({ username: 'bot', password: 'pass' });
    const error = await failure(client.sendMessage({ rid: 'GENERAL', msg: 'x', emoji: ':x:' }));
    expect(error).toBeInstanceOf(DdpMethodError);
    expect(error).toMatchObject({ error: 'error-invalid-params', reason: 'must NOT have additional properties' });
  });

  it('a refusal in plain words (400 without errorType): code 400 in the cause, the words as reason', async () => {
    const server = await startServer();
    server.addUser({ username: 'bot', password: 'pass', roles: ['bot'] });
    const withoutRid: typeof fetch = (input, init) => {
      const body = JSON.parse(String(init?.body)) as { message: Record<string, unknown> };
      delete body.message['rid'];
      return fetch(input, { ...init, body: JSON.stringify(body) });
    };
    const client = newClient(server, { fetch: withoutRid });
    await client.connect();
    await client.login({ username: 'bot', password: 'pass' });
    const error = await failure(client.sendMessage({ rid: 'GENERAL', msg: 'x', emoji: ':x:' }));
    expect(error).toBeInstanceOf(MessageNotDeliveredError);
    expect((error as MessageNotDeliveredError).reason).toBe("The 'rid' property on the message object is missing.");
    expect((error as MessageNotDeliveredError).cause).toMatchObject({ error: 400, details: { status: 400 } });
  });

  it('a token the server no longer knows (401): DdpMethodError 401, without the token in it', async () => {
    const { server, client } = await setup();
    const token = client.credentials!.token;
    server.revokeToken(token);
    const error = await failure(client.sendMessage({ rid: 'GENERAL', msg: 'x', emoji: ':key:' }));
    expect(error).toBeInstanceOf(DdpMethodError);
    expect(error).toMatchObject({ error: RocketChatErrorCode.Unauthorized, reason: 'You must be logged in to do this.' });
    expect(String((error as Error).message)).not.toContain(token);
    expect(JSON.stringify(error)).not.toContain(token);
    expect(server.messages()).toStrictEqual([]);
  });

  it('the REST rate limit (429): RateLimitedError with retryAfterMs from x-ratelimit-reset', async () => {
    const { server, client } = await setup({
      server: { rateLimit: { rest: { limit: 1, windowMs: 60_000 } } },
      client: { rateLimit: { maxRetries: 0 } },
      user: { roles: ['user'] },
    });
    await client.sendMessage({ rid: 'GENERAL', msg: 'first', emoji: ':one:' });
    const error = await failure(client.sendMessage({ rid: 'GENERAL', msg: 'second', emoji: ':two:' }));
    expect(error).toBeInstanceOf(RateLimitedError);
    const limited = error as RateLimitedError;
    expect(limited.error).toBe(RocketChatErrorCode.RestTooManyRequests);
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(limited.details).toMatchObject({ status: 429, limit: 1, remaining: 0 });
    expect(server.messages().map((message) => message.msg)).toStrictEqual(['first']);
  });

  it('retries after a 429 within rateLimit.maxRetries, and delivers', async () => {
    const { server, client } = await setup({
      server: { rateLimit: { rest: { limit: 1, windowMs: 200 } } },
      client: { rateLimit: { messagesPerSecond: 100, maxRetries: 5 } },
      user: { roles: ['user'] },
    });
    const sent = await Promise.all(['a', 'b', 'c'].map((msg) => client.sendMessage({ rid: 'GENERAL', msg, emoji: ':repeat:' })));
    expect(sent.map((message) => message.msg)).toStrictEqual(['a', 'b', 'c']);
    expect(server.restRequests.some((request) => request.status === 429)).toBe(true);
    expect(server.messages().map((message) => message.msg).sort()).toStrictEqual(['a', 'b', 'c']);
  });

  it('a 429 holds only the refused REST send: plain messages go on, and close() ends the wait', async () => {
    const { server, client } = await setup({
      server: { rateLimit: { rest: { limit: 1, windowMs: 60_000 } } },
      client: { rateLimit: { maxRetries: 3 } },
      user: { roles: ['user'] },
    });
    await client.sendMessage({ rid: 'GENERAL', msg: 'first', emoji: ':one:' });
    const waiting = failure(client.sendMessage({ rid: 'GENERAL', msg: 'second', emoji: ':two:' }));
    await waitFor(() => server.restRequests.some((request) => request.status === 429));
    const plain = await client.sendMessage({ rid: 'GENERAL', msg: 'plain' });
    expect(server.transportOf(plain._id)).toBe('ddp');
    await client.close();
    expect(await waiting).toBeInstanceOf(DdpClosedError);
    expect(server.messages().map((message) => message.msg)).toStrictEqual(['first', 'plain']);
  });

  it('a 503 from a proxy: resent at once with the same _id, and delivered', async () => {
    const server = await startServer();
    server.addUser({ username: 'bot', password: 'pass', roles: ['bot'] });
    let calls = 0;
    const flaky: typeof fetch = (input, init) => {
      calls++;
      return calls === 1 ? Promise.resolve(new Response('<html>Service Unavailable</html>', { status: 503 })) : fetch(input, init);
    };
    const client = newClient(server, { fetch: flaky });
    await client.connect();
    await client.login({ username: 'bot', password: 'pass' });
    const message = await client.sendMessage({ rid: 'GENERAL', msg: 'x', emoji: ':x:' });
    expect(calls).toBe(2);
    expect(server.messages().map((stored) => stored._id)).toStrictEqual([message._id]);
  });

  it('refuses to send over REST before login, with error-invalid-user, and sends nothing', async () => {
    const server = await startServer();
    const client = newClient(server);
    await client.connect();
    const error = await failure(client.sendMessage({ rid: 'GENERAL', msg: 'x', emoji: ':x:' }));
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as DdpMethodError).error).toBe(RocketChatErrorCode.InvalidUser);
    expect(server.restRequests).toStrictEqual([]);
  });
});

describe('sendMessage over REST and the logger', () => {
  it('logs each request and answer at debug, a lost answer at warn, and never the token', async () => {
    const lines: { level: string; message: string; data: unknown }[] = [];
    const logger = {
      debug: (message: string, data?: unknown) => lines.push({ level: 'debug', message, data }),
      warn: (message: string, data?: unknown) => lines.push({ level: 'warn', message, data }),
    };
    const { server, client } = await setup({ client: { logger } });
    let dropped = 0;
    server.on('restResponse', (request) => {
      if (dropped++ === 0) request.drop();
    });
    const message = await client.sendMessage({ rid: 'GENERAL', msg: 'logged', emoji: ':wave:' });
    const rest = lines.filter((line) => line.message.startsWith('rest '));
    expect(rest.map((line) => `${line.level} ${line.message}`)).toStrictEqual([
      'debug rest request',
      'warn rest request lost',
      'debug rest request',
      'debug rest response',
    ]);
    expect(rest[0]!.data).toMatchObject({
      method: 'POST',
      attempt: 1,
      headers: { 'x-user-id': client.userId, 'x-auth-token': '[redacted]' },
      body: { message: { _id: message._id, rid: 'GENERAL', msg: 'logged', emoji: ':wave:' } },
    });
    expect(rest[3]!.data).toMatchObject({ attempt: 2, status: 400 }); // the first attempt stored it: a duplicate now
    const everything = JSON.stringify(lines);
    expect(everything).not.toContain(client.credentials!.token);
    expect(everything).toContain('[redacted]');
  });

  it('keeps sending when the logger throws', async () => {
    const throwing = { debug: () => { throw new Error('logger bug'); }, warn: () => { throw new Error('logger bug'); } };
    const { client } = await setup({ client: { logger: throwing } });
    const message = await client.sendMessage({ rid: 'GENERAL', msg: 'despite the logger', emoji: ':x:' });
    expect(message.msg).toBe('despite the logger');
  });
});

describe('sendMessage over REST after a lost answer', () => {
  it('resends with the same _id and resolves with the message, stored once', async () => {
    const { server, client } = await setup();
    let dropped = 0;
    server.on('restResponse', (request) => {
      if (dropped++ === 0) request.drop();
    });
    const message = await client.sendMessage({ rid: 'GENERAL', msg: 'once', attachments: [{ text: 'a' }] });
    const requests = server.restRequests;
    expect(requests.map((request) => [request.status, request.dropped])).toStrictEqual([
      [200, true],
      [400, false],
    ]);
    const ids = requests.map((request) => (request.body as { message: { _id: string } }).message._id);
    expect(ids).toStrictEqual([message._id, message._id]);
    expect(server.messages('GENERAL').map((stored) => stored._id)).toStrictEqual([message._id]);
    expect(message.ts).toBeInstanceOf(Date);
    expect(message.attachments).toStrictEqual([{ text: 'a' }]);
  });

  it('confirms with getSingleMessage when every answer is lost, and resolves with the stored message', async () => {
    const { server, client } = await setup();
    server.on('restResponse', (request) => request.drop());
    const message = await client.sendMessage({ rid: 'GENERAL', msg: 'once', emoji: ':ghost:' });
    expect(server.restRequests.map((request) => request.status)).toStrictEqual([200, 400, 400]);
    expect(server.messages('GENERAL').map((stored) => stored._id)).toStrictEqual([message._id]);
    const methods = server.connections[0]!.received.flatMap((frame) => (frame.msg === 'method' ? [frame.method] : []));
    expect(methods).toContain('getSingleMessage');
  });

  it('rejects with DdpConnectionError when no request got through; sending again with the same _id stores it once', async () => {
    const { server, client } = await setup();
    const drop = (request: { drop(): void }): void => request.drop();
    server.on('restRequest', drop);
    const outgoing: OutgoingMessage = { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'persistent', emoji: ':muscle:' };
    const error = await failure(client.sendMessage(outgoing));
    expect(error).toBeInstanceOf(DdpConnectionError);
    expect((error as DdpConnectionError).code).toBe('invocation-failed');
    expect((error as Error).message).toContain('same _id');
    expect((error as Error).message).not.toContain(client.credentials!.token);
    expect(server.restRequests).toHaveLength(3);
    expect(server.messages()).toStrictEqual([]);

    server.off('restRequest', drop);
    const first = await client.sendMessage(outgoing);
    const again = await client.sendMessage(outgoing);
    expect(first._id).toBe('Hgx6ZAo9sMwtkL7CE');
    expect(again._id).toBe('Hgx6ZAo9sMwtkL7CE');
    expect(again.ts.getTime()).toBe(first.ts.getTime());
    expect(server.messages('GENERAL').map((stored) => stored._id)).toStrictEqual(['Hgx6ZAo9sMwtkL7CE']);
  });
});

describe('sendMessage over REST ends when asked', () => {
  it('rejects with the signal reason when aborted during the request', async () => {
    const calls: string[] = [];
    const { client } = await setup({ client: { fetch: hangingFetch(calls) } });
    const controller = new AbortController();
    const sending = failure(client.sendMessage({ rid: 'GENERAL', msg: 'x', emoji: ':x:' }, { signal: controller.signal }));
    await waitFor(() => calls.length === 1);
    const reason = new Error('never mind');
    controller.abort(reason);
    expect(await sending).toBe(reason);
  });

  it('rejects with DdpTimeoutError after timeoutMs', async () => {
    const calls: string[] = [];
    const { client } = await setup({ client: { fetch: hangingFetch(calls) } });
    const error = await failure(client.sendMessage({ rid: 'GENERAL', msg: 'x', emoji: ':x:' }, { timeoutMs: 20 }));
    expect(error).toBeInstanceOf(DdpTimeoutError);
    expect((error as DdpTimeoutError).timeoutMs).toBe(20);
    expect(calls).toHaveLength(1);
  });

  it('rejects with DdpClosedError when the client closes during the request', async () => {
    const calls: string[] = [];
    const { client } = await setup({ client: { fetch: hangingFetch(calls) } });
    const sending = failure(client.sendMessage({ rid: 'GENERAL', msg: 'x', emoji: ':x:' }));
    await waitFor(() => calls.length === 1);
    await client.close();
    expect(await sending).toBeInstanceOf(DdpClosedError);
  });
});

describe('the REST address', () => {
  it.each([
    ['wss://chat.example.com/websocket', 'https://chat.example.com'],
    ['ws://127.0.0.1:3000/websocket', 'http://127.0.0.1:3000'],
    ['wss://example.com/chat/websocket?x=1', 'https://example.com/chat'],
    ['wss://example.com/sockjs/websocket', 'https://example.com'],
    ['https://example.com/custom/path', 'https://example.com/custom/path'],
  ])('derives it from %s: %s', (ddpUrl, rest) => {
    expect(restBaseUrl(ddpUrl)).toBe(rest);
  });

  it('takes restUrl and the fetch option instead', async () => {
    const server = await startServer();
    server.addUser({ username: 'bot', password: 'pass', roles: ['bot'] });
    const seen: { url: string; userId: string | null; hasToken: boolean }[] = [];
    const recording: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      seen.push({ url: String(input), userId: headers.get('x-user-id'), hasToken: headers.get('x-auth-token') !== null });
      return fetch(input, init);
    };
    const client = newClient(server, { url: `${server.url}?via=websocket`, restUrl: `${server.httpUrl}/`, fetch: recording });
    await client.connect();
    await client.login({ username: 'bot', password: 'pass' });
    await client.sendMessage({ rid: 'GENERAL', msg: 'x', emoji: ':x:' });
    expect(seen).toStrictEqual([{ url: `${server.httpUrl}/api/v1/chat.sendMessage`, userId: client.userId, hasToken: true }]);
  });

  it('refuses a restUrl that is not http(s)', () => {
    expect(() => normalizeRestUrl('ftp://example.com')).toThrow(TypeError);
    expect(() => normalizeRestUrl('not a url')).toThrow(TypeError);
    expect(normalizeRestUrl('https://example.com/chat/')).toBe('https://example.com/chat');
  });
});
