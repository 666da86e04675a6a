/**
 * The fake server's REST API, `POST /api/v1/chat.sendMessage`, spoken to with plain `fetch`:
 * the answer shapes of Rocket.Chat's REST layer, the credentials check, the
 * `message-impersonate` rule, duplicate ids, the rate limit, the hooks, and messages reaching
 * the room stream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeRocketChatServer, FakeServerOptions, FakeUser, FakeUserOptions } from '../../src/testing/index.js';
import { leftovers, waitFor } from '../helpers.js';
import { SAMPLE_IDENTITY, SAMPLE_TS_ISO, fullAttachment } from '../rich-message.js';
import { RawClient } from './raw-client.js';
import { startServer } from './start.js';

afterEach(() => leftovers.disposeAll());

const DUPLICATE_ID_ERROR = "Cannot read properties of undefined (reading 'starred')";

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function setup(
  serverOptions: FakeServerOptions = {},
  userOptions: Partial<FakeUserOptions> = {},
): Promise<{ server: FakeRocketChatServer; bot: FakeUser; post: (body: unknown, headers?: Record<string, string>) => Promise<Answer> }> {
  const server = await startServer(serverOptions);
  const bot = server.addUser({ username: 'bot', password: 'secret', name: 'Bot', ...userOptions });
  const post = async (body: unknown, headers: Record<string, string> = { 'x-user-id': bot._id, 'x-auth-token': bot.token }): Promise<Answer> => {
    const response = await fetch(`${server.httpUrl}/api/v1/chat.sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };
  return { server, bot, post };
}

const ATTACHMENT = fullAttachment(SAMPLE_TS_ISO);

describe('POST /api/v1/chat.sendMessage stores the message', () => {
  it('answers 200 with the stored message, its dates as ISO strings, and stores it as sent over REST', async () => {
    const { server, bot, post } = await setup({}, { roles: ['bot'] });
    const answer = await post({
      message: { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'Sample message', alias: SAMPLE_IDENTITY.alias, emoji: SAMPLE_IDENTITY.emoji, attachments: [ATTACHMENT] },
    });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body)).toStrictEqual(['message', 'success']);
    expect(answer.body['success']).toBe(true);
    const message = answer.body['message'] as Record<string, unknown>;
    expect(message).toMatchObject({
      _id: 'Hgx6ZAo9sMwtkL7CE',
      rid: 'GENERAL',
      msg: 'Sample message',
      alias: SAMPLE_IDENTITY.alias,
      emoji: SAMPLE_IDENTITY.emoji,
      u: { _id: bot._id, username: 'bot', name: 'Bot' },
      attachments: [ATTACHMENT],
    });
    expect(message['ts']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(message['_updatedAt']).toMatch(/Z$/);
    const [stored] = server.messages('GENERAL');
    expect(stored).toMatchObject({ _id: 'Hgx6ZAo9sMwtkL7CE', alias: SAMPLE_IDENTITY.alias, attachments: [ATTACHMENT] });
    expect(stored!.ts).toBeInstanceOf(Date);
    expect(server.transportOf('Hgx6ZAo9sMwtkL7CE')).toBe('rest');
    expect(server.restRequests.map((request) => [request.method, request.path, request.status, request.userId])).toStrictEqual([
      ['POST', '/api/v1/chat.sendMessage', 200, bot._id],
    ]);
  });

  it('takes a message of blocks only, and previewUrls', async () => {
    const { server, post } = await setup();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Build 412* passed' } }, { type: 'divider' }];
    const answer = await post({ message: { rid: 'GENERAL', blocks } });
    expect(answer.status).toBe(200);
    expect(answer.body['message']).toMatchObject({ msg: '', blocks });
    const withUrls = await post({ message: { rid: 'GENERAL', msg: 'https://a.io https://b.io' }, previewUrls: ['https://a.io'] });
    expect((withUrls.body['message'] as { urls: unknown }).urls).toStrictEqual([
      { url: 'https://a.io', meta: {} },
      { url: 'https://b.io', meta: {}, ignoreParse: true },
    ]);
    expect(server.messages('GENERAL')).toHaveLength(2);
  });

  it('puts the message on the room stream, like one sent over the WebSocket', async () => {
    const { server, post } = await setup();
    server.addUser({ username: 'alice', password: 'pw' });
    const alice = await RawClient.connect(server.url);
    await alice.login('alice', 'pw');
    alice.send({ msg: 'sub', id: 's1', name: 'stream-room-messages', params: ['GENERAL', { useCollection: false, args: [] }] });
    await alice.take('ready');
    await post({ message: { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'over REST', attachments: [{ text: 'a', ts: 1481302386761 }] } });
    const event = await alice.take((frame) => frame['msg'] === 'changed' && frame['collection'] === 'stream-room-messages');
    const [sent] = (event['fields'] as { args: Record<string, unknown>[] }).args;
    expect(sent).toMatchObject({ _id: 'Hgx6ZAo9sMwtkL7CE', msg: 'over REST', ts: { $date: expect.any(Number) as unknown }, attachments: [{ text: 'a', ts: 1481302386761 }] });
  });

  it('stores a message once: a duplicate _id stores nothing and is answered 400, as on the real server', async () => {
    const { server, post } = await setup();
    const first = await post({ message: { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'once' } });
    const again = await post({ message: { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'once' } });
    expect(first.status).toBe(200);
    expect(again).toMatchObject({ status: 400, body: { success: false, error: DUPLICATE_ID_ERROR } });
    expect(server.messages('GENERAL')).toHaveLength(1);
  });
});

describe('POST /api/v1/chat.sendMessage refuses', () => {
  it.each<[string, Record<string, string> | ((bot: FakeUser, other: FakeUser) => Record<string, string>)]>([
    ['no credentials', {}],
    ['a user id without a token', (bot) => ({ 'x-user-id': bot._id })],
    ['a wrong token', (bot) => ({ 'x-user-id': bot._id, 'x-auth-token': 'nope' })],
    ["another user's token", (bot, other) => ({ 'x-user-id': bot._id, 'x-auth-token': other.token })],
  ])('%s with 401 "You must be logged in to do this."', async (_label, headers) => {
    const { server, bot, post } = await setup();
    const other = server.addUser({ username: 'other', password: 'pw' });
    const answer = await post({ message: { rid: 'GENERAL', msg: 'x' } }, typeof headers === 'function' ? headers(bot, other) : headers);
    expect(answer.status).toBe(401);
    expect(answer.body).toStrictEqual({
      success: false,
      error: 'You must be logged in to do this.',
      status: 'error',
      message: 'You must be logged in to do this.',
    });
    expect(server.messages()).toStrictEqual([]);
  });

  it('a personal access token is as good as a resume token', async () => {
    const { server, bot, post } = await setup();
    const token = server.addPersonalAccessToken(bot._id);
    expect((await post({ message: { rid: 'GENERAL', msg: 'x' } }, { 'x-user-id': bot._id, 'x-auth-token': token })).status).toBe(200);
  });

  it.each<[string, unknown, string]>([
    ['a body without message', {}, "must have required property 'message'"],
    ['a body that is not JSON', '{"message":', 'must be object'],
    ['an unknown top-level key', { message: { rid: 'GENERAL' }, text: 'x' }, 'must NOT have additional properties'],
    ['a message that is not an object', { message: 'hello' }, 'must be object'],
    ['a msg that is a number', { message: { rid: 'GENERAL', msg: 5 } }, 'must be string'],
    ['attachments that are not an array', { message: { rid: 'GENERAL', attachments: {} } }, 'must be array'],
    ['previewUrls that are not strings', { message: { rid: 'GENERAL', msg: 'x' }, previewUrls: [1] }, 'must be string'],
  ])('%s with 400 error-invalid-params', async (_label, body, text) => {
    const { server, post } = await setup();
    const answer = await post(body);
    expect(answer.status).toBe(400);
    expect(answer.body).toStrictEqual({ success: false, error: `${text} [error-invalid-params]`, errorType: 'error-invalid-params' });
    expect(server.messages()).toStrictEqual([]);
  });

  it('what the realtime method swallows, with a 400 for each (and the private notice where the server sends one)', async () => {
    const { server, bot, post } = await setup({ maxMessageLength: 10 });
    const secret = server.addRoom({ name: 'secret', t: 'p' });
    const news = server.addRoom({ name: 'news', readonly: true, members: ['bot'] });
    const watcher = await RawClient.connect(server.url);
    await watcher.login('bot', 'secret');
    watcher.send({ msg: 'sub', id: 'n', name: 'stream-notify-user', params: [`${bot._id}/message`, { useCollection: false, args: [] }] });
    await watcher.take('ready');

    expect((await post({ message: { rid: 'nowhere', msg: 'x' } })).body).toStrictEqual({ success: false, error: 'error-invalid-room' });
    expect((await post({ message: { msg: 'x' } })).body).toStrictEqual({
      success: false,
      error: "The 'rid' property on the message object is missing.",
    });
    expect((await post({ message: { rid: secret._id, msg: 'x' } })).body).toStrictEqual({ success: false, error: 'error-not-allowed' });
    expect((await post({ message: { rid: news._id, msg: 'x' } })).body).toStrictEqual({
      success: false,
      error: "You can't send messages because the room is readonly.",
    });
    expect((await post({ message: { rid: 'GENERAL', msg: 'x'.repeat(11) } })).body).toStrictEqual({
      success: false,
      error: 'Message size exceeds Message_MaxAllowedSize [error-message-size-exceeded]',
      errorType: 'error-message-size-exceeded',
      details: { method: 'sendMessage' },
    });
    expect((await post({ message: { rid: 'GENERAL', msg: 'x', tshow: true } })).body).toStrictEqual({
      success: false,
      error: 'tshow provided but missing tmid [invalid-params]',
      errorType: 'invalid-params',
      details: { method: 'sendMessage' },
    });
    expect((await post({ message: { rid: 'GENERAL', msg: 'x', t: 'uj' } })).body).toStrictEqual({
      success: false,
      error: "Cannot send system messages using 'chat.sendMessage'",
    });
    const notices = await waitFor(() => {
      const texts = watcher.all('changed').map((frame) => (frame['fields'] as { args: { msg: string }[] }).args[0]!.msg);
      return texts.length >= 3 && texts;
    });
    expect(notices).toStrictEqual(['Invalid room', 'Not allowed', "You can't send messages because the room is readonly."]);
    expect(server.messages()).toStrictEqual([]);
  });

  it('attachments the server would not show', async () => {
    const { server, post } = await setup();
    const send = (attachment: Record<string, unknown>) => post({ message: { rid: 'GENERAL', msg: 'x', attachments: [attachment] } });
    expect((await send({ fields: [{ value: 'no title' }] })).body).toStrictEqual({
      success: false,
      error: 'Invalid attachment field, title and value is required',
    });
    expect((await send({ image_url: 'logo.png' })).body).toStrictEqual({ success: false, error: 'Invalid href value provided' });
    expect((await send({ title_link: 'javascript:alert(1)' })).body).toStrictEqual({ success: false, error: 'Invalid href value provided' });
    expect((await send({ color: 5 })).body).toStrictEqual({ success: false, error: 'Match error: Expected string in field attachments.0.color' });
    expect(server.messages()).toStrictEqual([]);
  });
});

describe('the message-impersonate permission', () => {
  it('is needed for alias and avatar ("Not enough permission"), not for emoji', async () => {
    const { server, post } = await setup();
    expect((await post({ message: { rid: 'GENERAL', msg: 'x', alias: 'Robot' } })).body).toStrictEqual({
      success: false,
      error: 'Not enough permission',
    });
    expect((await post({ message: { rid: 'GENERAL', msg: 'x', avatar: 'https://example.com/a.png' } })).body).toStrictEqual({
      success: false,
      error: 'Not enough permission',
    });
    expect((await post({ message: { rid: 'GENERAL', msg: 'x', emoji: ':robot:' } })).status).toBe(200);
    expect(server.messages().map((message) => message.emoji)).toStrictEqual([':robot:']);
  });

  it.each<[string, Partial<FakeUserOptions>]>([
    ['the bot role', { roles: ['bot'] }],
    ['the app role', { roles: ['app'] }],
    ['a direct grant', { permissions: ['message-impersonate'] }],
  ])('comes with %s', async (_label, userOptions) => {
    const { server, post } = await setup({}, userOptions);
    const answer = await post({ message: { rid: 'GENERAL', msg: 'x', alias: 'Robot', avatar: '/avatar/robot' } });
    expect(answer.status).toBe(200);
    expect(server.messages()[0]).toMatchObject({ alias: 'Robot', avatar: '/avatar/robot' });
  });
});

describe('the REST rate limit', () => {
  it('answers 429 with the x-ratelimit headers once the window is full, and counts no bot', async () => {
    const { server, post } = await setup({ rateLimit: { rest: { limit: 2, windowMs: 60_000 } } });
    const first = await post({ message: { rid: 'GENERAL', msg: '1' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    await post({ message: { rid: 'GENERAL', msg: '2' } });
    const before = Date.now();
    const limited = await post({ message: { rid: 'GENERAL', msg: '3' } });
    expect(limited.status).toBe(429);
    expect(Object.keys(limited.body)).toStrictEqual(['success', 'error']);
    expect(limited.body['success']).toBe(false);
    expect(limited.body['error']).toMatch(
      /^Error, too many requests\. Please slow down\. You must wait \d+ seconds before trying this endpoint again\. \[error-too-many-requests\]$/,
    );
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(before);
    expect(server.messages().map((message) => message.msg)).toStrictEqual(['1', '2']);

    const bot = server.addUser({ username: 'robot', password: 'pw', roles: ['bot'] });
    const unlimited = await post({ message: { rid: 'GENERAL', msg: 'bot' } }, { 'x-user-id': bot._id, 'x-auth-token': bot.token });
    expect(unlimited.status).toBe(200);
    expect(unlimited.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('is off with rateLimit false', async () => {
    const { post } = await setup({ rateLimit: false });
    for (const msg of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']) {
      expect((await post({ message: { rid: 'GENERAL', msg } })).status).toBe(200);
    }
  });
});

describe('REST hooks', () => {
  it('restRequest may drop a request before it is handled: nothing is stored', async () => {
    const { server, post } = await setup();
    server.on('restRequest', (request) => request.drop());
    await expect(post({ message: { rid: 'GENERAL', msg: 'x' } })).rejects.toThrow();
    expect(server.messages()).toStrictEqual([]);
    expect(server.restRequests.map((request) => [request.status, request.dropped])).toStrictEqual([[undefined, true]]);
  });

  it('restResponse may drop the answer of a handled request: the message stays stored', async () => {
    const { server, post } = await setup();
    const seen: number[] = [];
    server.on('restResponse', (request, status) => {
      seen.push(status);
      request.drop();
    });
    await expect(post({ message: { _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'x' } })).rejects.toThrow();
    expect(seen).toStrictEqual([200]);
    expect(server.messages().map((message) => message._id)).toStrictEqual(['Hgx6ZAo9sMwtkL7CE']);
    expect(server.restRequests.map((request) => [request.status, request.dropped])).toStrictEqual([[200, true]]);
  });

  it('keeps no auth token in what it records', async () => {
    const { server, bot, post } = await setup();
    server.on('restRequest', (request) => expect(JSON.stringify(request)).not.toContain(bot.token));
    await post({ message: { rid: 'GENERAL', msg: 'x' } });
    expect(JSON.stringify(server.restRequests)).not.toContain(bot.token);
    expect(server.restRequests).toHaveLength(1);
  });
});

describe('other HTTP requests', () => {
  it('answers 404 to another method on the REST path', async () => {
    const { server } = await setup();
    const response = await fetch(`${server.httpUrl}/api/v1/chat.sendMessage`);
    expect(response.status).toBe(404);
    expect(await response.json()).toStrictEqual({ success: false, error: 'Not found' });
  });
});
