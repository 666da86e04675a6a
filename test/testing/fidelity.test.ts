/**
 * The fake server answers like the recorded Rocket.Chat frames in fixtures/rocketchat-frames.jsonl:
 * the client→server frames of the fixture are replayed over a raw socket, and the server's
 * answers are compared with the recorded server→client frames, key order included, with ids,
 * tokens and timestamps normalised.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { totpCode, type FakeRocketChatServer } from '../../src/testing/index.js';
import { leftovers } from '../helpers.js';
import { RawClient, digest, type Frame } from './raw-client.js';
import { startServer } from './start.js';

afterEach(() => leftovers.disposeAll());

interface FixtureLine {
  readonly name: string;
  readonly direction: 'client->server' | 'server->client';
  readonly frame: Frame;
}

const fixtures: FixtureLine[] = readFileSync(new URL('../../fixtures/rocketchat-frames.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as FixtureLine);

/** The recorded frame named `name` (a copy). */
function fx(name: string): Frame {
  const found = fixtures.filter((line) => line.name === name || line.name.startsWith(`${name} (`));
  if (found.length !== 1) throw new Error(`fixture "${name}": ${found.length} matches`);
  return structuredClone(found[0]!.frame);
}

const BOT_ID = 'aobEdbYhXfu5hkeqG';
const ALICE_ID = 'zTpF3FXuTMNoAsqDX';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/** Replaces what legitimately differs between two runs: dates, session ids, tokens, waits, server-made ids. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === '$date') return { $date: record['$date'] === null ? null : '<date>' };
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const child = record[key];
      if (key === 'session' && typeof child === 'string') out[key] = '<session>';
      else if (key === 'token' && typeof child === 'string') out[key] = '<token>';
      else if (key === 'timeToReset' && typeof child === 'number') out[key] = '<ms>';
      else out[key] = normalise(child);
    }
    return out;
  }
  if (typeof value === 'string') {
    if (/^[0-9a-f]{24}$/.test(value)) return '<objectid>';
    if (/^\d{13}$/.test(value)) return '<time-id>';
    return value.replace(/You must wait \d+ seconds/, 'You must wait <n> seconds');
  }
  return value;
}

/** Same frame, ids and timestamps aside, keys in the same order. */
function expectSameFrame(actual: Frame, expected: Frame): void {
  expect(JSON.stringify(normalise(actual), null, 1)).toBe(JSON.stringify(normalise(expected), null, 1));
}

/** Same content, key order aside (for fixtures whose key order is illustrative). */
function expectSameContent(actual: unknown, expected: unknown): void {
  expect(normalise(actual)).toStrictEqual(normalise(expected));
}

const updated = (id: string): Frame => ({ msg: 'updated', methods: [id] });
const withId = (frame: Frame, id: string): Frame => ({ ...frame, id });

/** Sends `send` (if any) and checks that the next frames are exactly `expected`, in order. */
async function exchange(client: RawClient, send: unknown, expected: readonly Frame[]): Promise<Frame[]> {
  if (send !== undefined) client.send(send);
  const got: Frame[] = [];
  for (const frame of expected) {
    const next = await client.take(() => true);
    expectSameFrame(next, frame);
    got.push(next);
  }
  return got;
}

/** Checks that nothing else is waiting: a ping's pong is the very next frame. */
async function expectNothingMore(client: RawClient): Promise<void> {
  await exchange(client, { msg: 'ping', id: 'barrier' }, [{ msg: 'pong', id: 'barrier' }]);
}

async function fixtureServer(options: Parameters<typeof startServer>[0] = {}): Promise<FakeRocketChatServer> {
  const server = await startServer({ rateLimit: false, ...options });
  server.addUser({ _id: BOT_ID, username: 'bot', password: 'password', name: 'Bot', email: 'bot@example.com', roles: ['user', 'bot'] });
  server.addUser({ _id: ALICE_ID, username: 'alice', password: 's3cret', name: 'Alice' });
  return server;
}

async function loggedIn(server: FakeRocketChatServer, username = 'bot', password = 'password'): Promise<RawClient> {
  const client = await RawClient.connect(server.url);
  const result = await client.login(username, password);
  expect(result['error']).toBeUndefined();
  await client.take('added');
  await client.take('updated');
  return client;
}

describe('the fake server speaks like the recorded frames', () => {
  it('answers the handshake, malformed frames and pings exactly as Meteor', async () => {
    const server = await fixtureServer();
    const client = await RawClient.open(server.url);
    await exchange(client, fx('method-before-connect'), [fx('error-must-connect-first')]);
    await exchange(client, 'not json', [fx('error-bad-request-invalid-json')]);
    await exchange(client, '42', [fx('error-bad-request-invalid-json')]);
    await exchange(client, fx('frame-without-msg'), [fx('error-bad-request-no-msg')]);
    await exchange(client, fx('connect'), [fx('connected')]);
    await exchange(client, fx('connect'), [fx('error-already-connected')]);
    await exchange(client, fx('frame-unknown-msg-type'), [fx('error-bad-request-unknown-msg')]);
    await exchange(client, fx('method-malformed-numeric-id'), [fx('error-malformed-method-invocation')]);
    await exchange(client, fx('sub-malformed-params-not-array'), [fx('error-malformed-subscription')]);
    await exchange(client, fx('ping-no-id'), [fx('pong-no-id')]);
    await exchange(client, fx('ping-with-id'), [fx('pong-with-id')]);
    await exchange(client, fx('pong (client reply to server heartbeat)'), []);
    await exchange(client, fx('method-unknown'), [fx('result-method-not-found'), fx('updated-after-method-not-found')]);
    await exchange(client, fx('sub-unknown'), [fx('nosub-subscription-not-found')]);
    await expectNothingMore(client);
  });

  it('refuses versions it does not speak with failed, then closes', async () => {
    const server = await fixtureServer();
    const unsupported = await RawClient.open(server.url);
    await exchange(unsupported, fx('connect-unsupported-version'), [fx('failed')]);
    expect((await unsupported.closed).code).toBe(1000);
    const malformed = await RawClient.open(server.url);
    await exchange(malformed, fx('connect-malformed-no-support'), [fx('failed-for-malformed-connect')]);
    expect((await malformed.closed).code).toBe(1000);
  });

  it('logs in with a password by username or e-mail, resumes, and logs out', async () => {
    const server = await fixtureServer();
    const client = await RawClient.connect(server.url);
    const [, result] = await exchange(client, fx('login-password-username'), [
      fx('login-added-users'),
      fx('login-result-password'),
      fx('login-updated'),
    ]);
    const resumeToken = (result!['result'] as { token: string }).token;
    await exchange(client, fx('logout'), [fx('logout-removed-users'), fx('logout-updated'), fx('logout-result')]);

    const byEmail = await RawClient.connect(server.url);
    await exchange(byEmail, fx('login-password-email'), [fx('login-added-users'), fx('login-result-password'), fx('login-updated')]);
    // From now on the user is also logged in elsewhere: the user document says so.
    const online = fx('login-added-users');
    (online['fields'] as Record<string, unknown>)['statusConnection'] = 'online';

    // The logout destroyed the first token; log in again to get one to resume with.
    const again = await RawClient.connect(server.url);
    const [, second] = await exchange(again, fx('login-password-username'), [
      online,
      fx('login-result-password'),
      fx('login-updated'),
    ]);
    expect(resumeToken).not.toBe((second!['result'] as { token: string }).token);
    const resume = fx('login-resume');
    (resume['params'] as { resume: string }[])[0]!.resume = (second!['result'] as { token: string }).token;
    const resumer = await RawClient.connect(server.url);
    await exchange(resumer, resume, [online, fx('login-result-resume'), updated('3')]);
    await expectNothingMore(resumer);
  });

  it('rejects every bad credential with 401 User not found', async () => {
    const server = await fixtureServer();
    const client = await RawClient.connect(server.url);
    const wrong = fx('login-password-username');
    (wrong['params'] as { password: { digest: string } }[])[0]!.password = digest('wrong');
    await exchange(client, wrong, [fx('login-updated'), fx('login-error-bad-credentials')]);
    await exchange(client, fx('login-resume'), [updated('3'), withId(fx('login-error-bad-credentials'), '3')]);
  });

  it('logs in with a personal access token, whose expiry is {"$date": null}', async () => {
    const server = await fixtureServer();
    const pat = server.addPersonalAccessToken(BOT_ID);
    const client = await RawClient.connect(server.url);
    const frame = fx('login-resume-personal-access-token');
    (frame['params'] as { resume: string }[])[0]!.resume = pat;
    await exchange(client, frame, [fx('login-added-users'), fx('login-result-personal-access-token'), updated('4')]);
  });

  it('asks for a TOTP code, refuses a wrong one and accepts the right one', async () => {
    const server = await startServer({ rateLimit: false });
    server.addUser({ _id: BOT_ID, username: 'bot', password: 'password', name: 'Bot', email: 'bot@example.com', roles: ['user', 'bot'], totpSecret: TOTP_SECRET });
    const client = await RawClient.connect(server.url);
    await exchange(client, fx('login-password-username'), [fx('login-updated'), fx('login-error-totp-required')]);
    const wrong = fx('login-totp-retry');
    const wrongCode = totpCode(TOTP_SECRET, Date.now() + 10 * 60_000);
    (wrong['params'] as { totp: { code: string } }[])[0]!.totp.code = wrongCode;
    await exchange(client, wrong, [updated('5'), fx('login-error-totp-invalid')]);
    const right = fx('login-totp-retry');
    (right['params'] as { totp: { code: string } }[])[0]!.totp.code = totpCode(TOTP_SECRET);
    const userDoc = fx('login-added-users');
    ((userDoc['fields'] as Record<string, unknown>)['services'] as { totp: { enabled: boolean } }).totp.enabled = true;
    await exchange(client, right, [userDoc, fx('login-result-totp'), updated('5')]);
  });

  it('limits logins to 5 per 10 seconds per connection', async () => {
    const server = await startServer();
    server.addUser({ username: 'bot', password: 'password' });
    const client = await RawClient.connect(server.url);
    const wrong = fx('login-password-username');
    (wrong['params'] as { password: { digest: string } }[])[0]!.password = digest('wrong');
    for (let i = 0; i < 5; i++) await exchange(client, wrong, [fx('login-updated'), fx('login-error-bad-credentials')]);
    await exchange(client, wrong, [fx('login-updated'), fx('login-error-too-many-requests')]);
  });

  it('answers sendMessage with the stored message, updated first', async () => {
    const server = await fixtureServer();
    const client = await loggedIn(server);
    await exchange(client, fx('sendMessage'), [fx('sendMessage-updated'), fx('sendMessage-result')]);
    await exchange(client, fx('sendMessage-with-previewUrls'), [updated('11'), fx('sendMessage-result-rich')]);
    await exchange(client, fx('sendMessage-thread-reply'), [updated('12'), fx('sendMessage-result-thread-reply')]);
    await exchange(client, { msg: 'method', method: 'sendMessage', id: '13', params: [{ rid: 'GENERAL', msg: 'no id from client' }] }, [
      updated('13'),
      fx('sendMessage-result-without-client-id'),
    ]);
    await expectNothingMore(client);
  });

  it('swallows the failures Rocket.Chat swallows, with an empty result', async () => {
    const server = await fixtureServer();
    const client = await loggedIn(server);
    await exchange(client, fx('sendMessage'), [updated('10'), fx('sendMessage-result')]);
    await exchange(client, fx('sendMessage'), [updated('10'), fx('sendMessage-result-empty')]);
    const send = (id: string, message: Record<string, unknown>): Frame => ({ msg: 'method', method: 'sendMessage', id, params: [message] });
    await exchange(client, send('14', { rid: 'GENERAL', msg: 'x'.repeat(5001) }), [updated('14'), fx('sendMessage-error-message-size-exceeded')]);
    await exchange(client, send('15', { rid: 'GENERAL', msg: 'late', ts: { $date: Date.now() - 120_000 } }), [
      updated('15'),
      fx('sendMessage-error-message-ts-out-of-sync'),
    ]);
    await exchange(client, send('16', { rid: 'GENERAL', msg: 'x', tshow: true }), [updated('16'), fx('sendMessage-error-invalid-params-tshow')]);
    await exchange(client, { msg: 'sub', id: 's8', name: 'stream-notify-user', params: [`${BOT_ID}/message`, { useCollection: false, args: [] }] }, [
      { msg: 'ready', subs: ['s8'] },
    ]);
    await exchange(client, send('17', { rid: 'doesNotExist12345', msg: 'x' }), [
      fx('sendMessage-ephemeral-after-swallowed-error'),
      updated('17'),
      fx('sendMessage-error-invalid-room'),
    ]);
    await expectNothingMore(client);
  });

  it('lets the visible sendMessage errors through', async () => {
    const server = await fixtureServer();
    server.addRoom({ _id: 'secret', name: 'secret', t: 'p' });
    server.addRoom({ _id: 'vault', name: 'vault', members: ['bot'], encrypted: true });
    const client = await loggedIn(server);
    const send = (id: string, message: unknown, ...rest: unknown[]): Frame => ({ msg: 'method', method: 'sendMessage', id, params: [message, ...rest] });
    const notAllowed = fx('sendMessage-error-not-allowed (no room access)');
    await exchange(client, send('18', { rid: 'secret', msg: 'x' }), [updated('18'), notAllowed]);
    await exchange(client, send('20', { rid: 'vault', msg: 'x' }), [updated('20'), fx('sendMessage-error-not-allowed (plaintext in E2E room)')]);
    await exchange(client, fx('sendMessage-with-unknown-key'), [updated('22'), fx('sendMessage-error-match-failed')]);
    await exchange(client, send('23', { rid: 'GENERAL', msg: 'x', t: 'uj' }), [updated('23'), fx('sendMessage-error-system-message-type')]);
    const files = Array.from({ length: 11 }, (_, i) => ({ _id: `file${i}` }));
    await exchange(client, send('24', { rid: 'GENERAL', msg: 'x' }, [], files), [updated('24'), fx('sendMessage-error-too-many-files')]);

    const anonymous = await RawClient.connect(server.url);
    await exchange(anonymous, send('21', { rid: 'GENERAL', msg: 'x' }), [updated('21'), fx('sendMessage-error-invalid-user')]);

    const noThreads = await fixtureServer({ threads: false });
    const threaded = await loggedIn(noThreads);
    await exchange(threaded, send('19', { rid: 'GENERAL', msg: 'x', tmid: 'TwWbqRmHXa3sjQPu7' }), [
      updated('19'),
      fx('sendMessage-error-not-allowed (threads disabled)'),
    ]);
  });

  it('refuses the 6th sendMessage of a second with too-many-requests', async () => {
    const server = await startServer({ rateLimit: { sendMessage: { limit: 5, windowMs: 60_000 } } });
    server.addUser({ username: 'bot', password: 'password' });
    const client = await loggedIn(server);
    for (let i = 0; i < 5; i++) {
      const id = String(100 + i);
      client.method('sendMessage', [{ rid: 'GENERAL', msg: `m${i}` }], id);
      await client.take((frame) => frame['msg'] === 'updated');
      await client.take((frame) => frame['msg'] === 'result' && frame['id'] === id);
    }
    await exchange(client, { msg: 'method', method: 'sendMessage', id: '25', params: [{ rid: 'GENERAL', msg: 'one too many' }] }, [
      fx('updated-after-rate-limited-call'),
      fx('sendMessage-error-too-many-requests'),
    ]);
  });

  it('delivers stream events as changed frames with id "id"', async () => {
    const server = await fixtureServer();
    server.addRoom({ _id: 'mJbrpxBkeRmXALKcv', name: 'ops', t: 'p' });
    const bot = await loggedIn(server);
    const alice = await loggedIn(server, 'alice', 's3cret');
    await exchange(bot, fx('sub-stream-room-messages'), [fx('ready')]);
    await exchange(bot, fx('sub-stream-room-messages-my-messages'), [{ msg: 'ready', subs: ['s2'] }]);
    await exchange(bot, fx('sub-stream-room-messages-useCollection'), [fx('added-stream-collection-compat'), { msg: 'ready', subs: ['s3'] }]);
    await exchange(bot, { msg: 'sub', id: 's4', name: 'stream-room-messages', params: ['mJbrpxBkeRmXALKcv', { useCollection: false, args: [] }] }, [
      fx('nosub-stream-not-allowed'),
    ]);
    await exchange(bot, fx('sub-stream-notify-room-deleteMessage'), [{ msg: 'ready', subs: ['s6'] }]);
    await exchange(bot, fx('sub-stream-notify-room-user-activity'), [{ msg: 'ready', subs: ['s7'] }]);
    await exchange(bot, fx('sub-stream-notify-user-message'), [{ msg: 'ready', subs: ['s8'] }]);
    await exchange(bot, { msg: 'sub', id: 's9', name: 'stream-notify-user', params: [`${BOT_ID}/subscriptions-changed`, { useCollection: false, args: [] }] }, [
      { msg: 'ready', subs: ['s9'] },
    ]);

    await alice.call('sendMessage', [{ _id: 'kQ3ZrX9vT2aMwpYhB', rid: 'GENERAL', msg: 'hello bot' }]);
    await exchange(bot, undefined, [
      fx('changed-stream-room-messages (new message)'),
      fx('changed-stream-room-messages (new message)'),
      fx('changed-stream-room-messages-my-messages'),
    ]);
    await alice.call('updateMessage', [{ _id: 'kQ3ZrX9vT2aMwpYhB', rid: 'GENERAL', msg: 'hello bot (edited)' }]);
    const edited = fx('changed-stream-room-messages (edited message)');
    await exchange(bot, undefined, [edited]);
    await bot.take('changed');
    await bot.take('changed');
    await alice.call('stream-notify-room', ['GENERAL/user-activity', 'alice', ['user-typing']]);
    await exchange(bot, undefined, [fx('changed-stream-notify-room-user-activity (typing started)')]);
    await alice.call('stream-notify-room', ['GENERAL/user-activity', 'alice', []]);
    await exchange(bot, undefined, [fx('changed-stream-notify-room-user-activity (typing stopped)')]);
    await alice.call('deleteMessage', [{ _id: 'kQ3ZrX9vT2aMwpYhB' }]);
    await exchange(bot, undefined, [fx('changed-stream-notify-room-deleteMessage')]);

    server.addMember('mJbrpxBkeRmXALKcv', 'bot');
    const subscriptionChanged = await bot.take('changed');
    const expected = fx('changed-stream-notify-user-subscriptions-changed');
    const expectedArgs = (expected['fields'] as { args: [string, Record<string, unknown>] }).args;
    const actualArgs = (subscriptionChanged['fields'] as { args: [string, Record<string, unknown>] }).args;
    expectedArgs[1]['_id'] = actualArgs[1]['_id'];
    expectSameFrame(subscriptionChanged, expected);

    await exchange(bot, fx('unsub'), [fx('nosub-after-unsub')]);
    await exchange(bot, fx('method-stream-notify-room-typing'), [updated('31'), fx('result-stream-notify-room-typing')]);
    await expectNothingMore(bot);
  });

  it('answers the other Rocket.Chat methods as recorded', async () => {
    const server = await fixtureServer();
    server.addRoom({ _id: 'secret', name: 'secret', t: 'p' });
    server.addRoom({ _id: 'lobby', name: 'lobby' });
    const bot = await loggedIn(server);
    const call = (method: string, id: string, params: unknown[]): Frame => ({ msg: 'method', method, id, params });

    await exchange(bot, fx('getRoomIdByNameOrId'), [updated('40'), fx('getRoomIdByNameOrId-result')]);
    await exchange(bot, call('getRoomIdByNameOrId', '40', ['secret']), [updated('40'), fx('getRoomIdByNameOrId-error-not-allowed')]);
    await exchange(bot, call('joinRoom', '41', ['lobby']), [updated('41'), fx('joinRoom-result')]);
    await exchange(bot, call('joinRoom', '41', ['nope']), [updated('41'), fx('joinRoom-error-invalid-room')]);

    server.postMessage({ _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'hello world', username: 'bot', ts: new Date(1735732800123) });
    server.postMessage({ _id: 'kQ3ZrX9vT2aMwpYhB', rid: 'GENERAL', msg: 'hello bot', username: 'alice', ts: new Date(1735732805123) });
    const [, history] = await exchange(bot, call('loadHistory', '42', ['GENERAL', null, 2]), [updated('42')]).then(async (frames) => [
      frames[0],
      await bot.take('result'),
    ]);
    const recorded = fx('loadHistory-result')['result'] as { messages: unknown[] };
    expectSameContent((history!['result'] as { messages: unknown[] }).messages, recorded.messages);
    await exchange(bot, call('loadHistory', '42', ['secret', null, 2]), [updated('42'), fx('loadHistory-result-no-access')]);

    await exchange(bot, fx('getSingleMessage'), [updated('43'), fx('getSingleMessage-result-not-found')]);
    await exchange(bot, fx('updateMessage'), [updated('44'), fx('updateMessage-result')]);
    await exchange(bot, call('updateMessage', '44', [{ _id: 'Hgx6ZAo9sMwtkL7CE', rid: 'GENERAL', msg: 'x', tmid: 'TwWbqRmHXa3sjQPu7' }]), [
      updated('44'),
      fx('updateMessage-error-invalid-update-key'),
    ]);
    await exchange(bot, call('updateMessage', '44', [{ _id: 'kQ3ZrX9vT2aMwpYhB', rid: 'GENERAL', msg: 'not mine' }]), [
      updated('44'),
      fx('updateMessage-error-editing-not-allowed'),
    ]);
    await exchange(bot, fx('setReaction'), [updated('46'), fx('setReaction-result')]);
    await exchange(bot, call('setReaction', '46', [':no such emoji!:', 'Hgx6ZAo9sMwtkL7CE']), [updated('46'), fx('setReaction-error-invalid-emoji')]);
    await exchange(bot, fx('deleteMessage'), [updated('45'), fx('deleteMessage-result')]);
    await exchange(bot, call('deleteMessage', '45', [{ _id: 'kQ3ZrX9vT2aMwpYhB' }]), [updated('45'), fx('deleteMessage-error-not-allowed')]);
    await exchange(bot, fx('createDirectMessage'), [updated('47'), fx('createDirectMessage-result')]);

    bot.send(fx('rooms/get'));
    await bot.take('updated');
    const rooms = (await bot.take('result'))['result'] as Record<string, unknown>[];
    const general = rooms.find((room) => room['_id'] === 'GENERAL')!;
    const recordedGeneral = (fx('rooms/get-result')['result'] as Record<string, unknown>[])[0]!;
    for (const key of Object.keys(recordedGeneral)) expect(general).toHaveProperty(key);

    bot.send(fx('getUsersOfRoom'));
    await bot.take('updated');
    const users = (await bot.take('result'))['result'] as { total: number; records: Record<string, unknown>[] };
    expect(users.total).toBe(2);
    const recordedUsers = fx('getUsersOfRoom-result')['result'] as { records: Record<string, unknown>[] };
    expect(users.records.map((user) => Object.keys(user))).toStrictEqual(recordedUsers.records.map((user) => Object.keys(user)));

    bot.send(fx('subscriptions/get'));
    await bot.take('updated');
    const subscriptions = (await bot.take('result'))['result'] as { update: Record<string, unknown>[]; remove: unknown[] };
    const recordedSubscription = (fx('subscriptions/get-result')['result'] as { update: Record<string, unknown>[] }).update[0]!;
    expect(Object.keys(subscriptions.update[0]!)).toStrictEqual(Object.keys(recordedSubscription));
    await expectNothingMore(bot);
  });

  it('imitates the ddp-streamer service: greeting, result before updated, its login error', async () => {
    const server = await fixtureServer({ variant: 'ddp-streamer', greeting: 'server_id' });
    const client = await RawClient.open(server.url);
    await exchange(client, undefined, [fx('greeting-server_id (ddp-streamer newest)')]);
    await exchange(client, fx('connect'), [fx('connected')]);
    const wrong = fx('login-password-username');
    (wrong['params'] as { password: { digest: string } }[])[0]!.password = digest('wrong');
    await exchange(client, wrong, [fx('login-error-streamer'), fx('login-updated')]);
    await exchange(client, fx('login-password-username'), [fx('login-result-password'), fx('login-updated')]);
    await exchange(client, fx('sendMessage'), [fx('sendMessage-result-ddp-streamer'), updated('10')]);
    await expectNothingMore(client);

    const legacy = await fixtureServer({ variant: 'ddp-streamer', greeting: 'legacy' });
    const old = await RawClient.open(legacy.url);
    await exchange(old, undefined, [fx('greeting-server_id-legacy')]);
  });
});
