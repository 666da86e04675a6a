/** Every login form of the fake server, its errors, logout, getNewToken, and what a login does to subscriptions. */
import { afterEach, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/testing/index.js';
import { leftovers } from '../helpers.js';
import { RawClient, digest } from './raw-client.js';
import { startServer } from './start.js';

afterEach(() => leftovers.disposeAll());

const USER_NOT_FOUND = { isClientSafe: true, error: 401, reason: 'User not found', message: 'User not found [401]', errorType: 'Meteor.Error' };
const MATCH_FAILED = { isClientSafe: true, error: 400, reason: 'Match failed', message: 'Match failed [400]', errorType: 'Meteor.Error' };
const SECRET = 'JBSWY3DPEHPK3PXP';

async function setup() {
  const server = await startServer({ rateLimit: false });
  const bot = server.addUser({ username: 'bot', password: 'secret', name: 'Bot', email: 'bot@example.com' });
  const client = await RawClient.connect(server.url);
  return { server, bot, client };
}

describe('login', () => {
  it('accepts a password digest by username, e-mail or id, and a plain password', async () => {
    const { bot, client } = await setup();
    for (const user of [{ username: 'bot' }, { username: 'BOT' }, { email: 'bot@example.com' }, { id: bot._id }]) {
      const result = await client.call('login', [{ user, password: digest('secret') }]);
      expect(result['result']).toMatchObject({ id: bot._id, type: 'password', tokenExpires: { $date: expect.any(Number) as unknown } });
    }
    const plain = await client.call('login', [{ user: { username: 'bot' }, password: 'secret' }]);
    expect(plain['result']).toMatchObject({ id: bot._id, type: 'password' });
  });

  it('issues a 43-character token valid for 90 days, which resumes with the same expiry', async () => {
    const { bot, client } = await setup();
    const before = Date.now();
    const login = (await client.login('bot', 'secret'))['result'] as { token: string; tokenExpires: { $date: number } };
    expect(login.token).toMatch(/^[\w-]{43}$/);
    expect(login.tokenExpires.$date - before).toBeGreaterThanOrEqual(90 * 24 * 3600 * 1000);
    const resumed = await client.call('login', [{ resume: login.token }]);
    expect(resumed['result']).toStrictEqual({ id: bot._id, token: login.token, tokenExpires: login.tokenExpires, type: 'resume' });
    const fromAddUser = await client.call('login', [{ resume: bot.token }]);
    expect(fromAddUser['result']).toMatchObject({ id: bot._id, token: bot.token, type: 'resume' });
  });

  it('sends the users document before the result, and updated after it', async () => {
    const { bot, client } = await setup();
    const id = client.method('login', [{ user: { username: 'bot' }, password: digest('secret') }]);
    expect(await client.take(() => true)).toMatchObject({ msg: 'added', collection: 'users', id: bot._id, fields: { username: 'bot', name: 'Bot' } });
    expect(await client.take(() => true)).toMatchObject({ msg: 'result', id });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'updated', methods: [id] });
  });

  it('answers every credential failure with 401 User not found, updated first', async () => {
    const { server, client } = await setup();
    server.addUser({ username: 'nopass', password: '' });
    const failures: unknown[] = [
      { user: { username: 'bot' }, password: digest('wrong') },
      { user: { username: 'nobody' }, password: digest('secret') },
      { user: { email: 'nobody@example.com' }, password: 'secret' },
      { resume: 'not-a-token' },
      { resume: '' },
      { foo: 'bar' },
      {},
      { ldap: true, username: 'bot', ldapPass: 'wrong', ldapOptions: {} },
      { ldap: true, username: 'bot', ldapPass: 'secret' },
      { totp: { login: { user: { username: 'bot' }, password: digest('secret') } } },
    ];
    for (const payload of failures) {
      const id = client.method('login', [payload]);
      expect(await client.take(() => true)).toStrictEqual({ msg: 'updated', methods: [id] });
      expect(await client.take(() => true)).toStrictEqual({ msg: 'result', id, error: USER_NOT_FOUND });
    }
  });

  it('answers malformed login payloads with 400 Match failed', async () => {
    const { client } = await setup();
    const malformed: unknown[] = [
      'bot',
      null,
      { user: { username: 'bot', email: 'bot@example.com' }, password: digest('secret') },
      { user: { name: 'bot' }, password: digest('secret') },
      { user: { username: 'bot' }, password: { digest: 'abc', algorithm: 'sha-256' } },
      { user: { username: 'bot' }, password: { digest: digest('secret').digest, algorithm: 'md5' } },
      { user: { username: 'bot' }, password: digest('secret'), extra: 1 },
      { user: { username: 'bot' }, password: 'x'.repeat(257) },
      { resume: 42 },
    ];
    for (const payload of malformed) {
      expect((await client.call('login', [payload]))['error']).toStrictEqual(MATCH_FAILED);
    }
  });

  it('logs in over LDAP with the user\'s password, reporting type ldap', async () => {
    const { bot, client } = await setup();
    const result = await client.call('login', [{ ldap: true, username: 'bot', ldapPass: 'secret', ldapOptions: {} }]);
    expect(result['result']).toMatchObject({ id: bot._id, type: 'ldap' });
  });

  it('refuses an inactive user with valid credentials', async () => {
    const { server, client } = await setup();
    server.addUser({ username: 'sleeper', password: 'pw', active: false });
    expect((await client.login('sleeper', 'pw'))['error']).toStrictEqual({
      isClientSafe: true,
      error: 'error-user-is-not-activated',
      reason: 'User is not activated',
      details: { function: 'Accounts.validateLoginAttempt' },
      message: 'User is not activated [error-user-is-not-activated]',
      errorType: 'Meteor.Error',
    });
  });

  it('requires a TOTP code for password and LDAP logins of a 2FA user, but not for resume', async () => {
    const { server, client } = await setup();
    const twoFa = server.addUser({ username: 'careful', password: 'pw', totpSecret: SECRET });
    const required = { method: 'totp', codeGenerated: false, availableMethods: ['totp'] };
    expect((await client.login('careful', 'pw'))['error']).toMatchObject({ error: 'totp-required', reason: 'TOTP Required', details: required });
    const ldap = { ldap: true, username: 'careful', ldapPass: 'pw', ldapOptions: {} };
    expect((await client.call('login', [ldap]))['error']).toMatchObject({ error: 'totp-required' });
    const viaLdap = await client.call('login', [{ totp: { login: ldap, code: totpCode(SECRET) } }]);
    expect(viaLdap['result']).toMatchObject({ id: twoFa._id, type: 'ldap' });
    const wrongPassword = await client.call('login', [{ totp: { login: { user: { username: 'careful' }, password: digest('no') }, code: totpCode(SECRET) } }]);
    expect(wrongPassword['error']).toStrictEqual(USER_NOT_FOUND);
    expect((await client.call('login', [{ resume: twoFa.token }]))['result']).toMatchObject({ type: 'resume' });
  });

  it('limits login calls per connection, not per user', async () => {
    const server = await startServer({ rateLimit: { login: { limit: 2, windowMs: 60_000 } } });
    server.addUser({ username: 'bot', password: 'secret' });
    const client = await RawClient.connect(server.url);
    await client.login('bot', 'wrong');
    await client.login('bot', 'secret');
    const limited = await client.login('bot', 'secret');
    expect(limited['error']).toMatchObject({
      error: 'too-many-requests',
      reason: 'Error, too many requests. Please slow down. You must wait 60 seconds before trying again.',
      details: { timeToReset: expect.any(Number) as unknown },
    });
    const timeToReset = (limited['error'] as { details: { timeToReset: number } }).details.timeToReset;
    expect(timeToReset).toBeGreaterThan(0);
    expect(timeToReset).toBeLessThanOrEqual(60_000);
    const other = await RawClient.connect(server.url);
    expect((await other.login('bot', 'secret'))['result']).toMatchObject({ type: 'password' });
  });
});

describe('a personal access token', () => {
  it('logs in with resume, never expires, and survives logout', async () => {
    const { server, bot, client } = await setup();
    const pat = server.addPersonalAccessToken(bot._id);
    expect((await client.call('login', [{ resume: pat }]))['result']).toStrictEqual({ id: bot._id, token: pat, tokenExpires: { $date: null }, type: 'resume' });
    await client.call('logout');
    expect((await client.call('login', [{ resume: pat }]))['result']).toMatchObject({ token: pat });
    expect(() => server.addPersonalAccessToken('nobody')).toThrow(/no user/);
  });

  it('skips the TOTP check', async () => {
    const { server, client } = await setup();
    const twoFa = server.addUser({ username: 'careful', password: 'pw', totpSecret: SECRET });
    const pat = server.addPersonalAccessToken(twoFa._id);
    expect((await client.call('login', [{ resume: pat }]))['result']).toMatchObject({ id: twoFa._id });
  });
});

describe('logout, getNewToken, revokeToken', () => {
  it('logout destroys the resume token and sends removed users before updated and result', async () => {
    const { bot, client } = await setup();
    const token = ((await client.login('bot', 'secret'))['result'] as { token: string }).token;
    client.skip(() => true);
    const id = client.method('logout');
    expect(await client.take(() => true)).toStrictEqual({ msg: 'removed', collection: 'users', id: bot._id });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'updated', methods: [id] });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'result', id });
    expect((await client.call('login', [{ resume: token }]))['error']).toStrictEqual(USER_NOT_FOUND);
    expect((await client.call('sendMessage', [{ rid: 'GENERAL', msg: 'x' }]))['error']).toMatchObject({ error: 'error-invalid-user' });
  });

  it('logout without a login just answers', async () => {
    const { client } = await setup();
    const id = client.method('logout');
    expect(await client.take(() => true)).toStrictEqual({ msg: 'updated', methods: [id] });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'result', id });
  });

  it('getNewToken gives a new token with the same expiry, and needs a login', async () => {
    const { bot, client } = await setup();
    expect((await client.call('getNewToken'))['error']).toMatchObject({ error: 403, reason: 'You are not logged in.' });
    const login = (await client.login('bot', 'secret'))['result'] as { token: string; tokenExpires: unknown };
    const renewed = (await client.call('getNewToken'))['result'] as { id: string; token: string; tokenExpires: unknown };
    expect(renewed.id).toBe(bot._id);
    expect(renewed.token).not.toBe(login.token);
    expect(renewed.tokenExpires).toStrictEqual(login.tokenExpires);
  });

  it('revokeToken makes later resumes fail', async () => {
    const { server, bot, client } = await setup();
    expect(server.revokeToken(bot.token)).toBe(true);
    expect((await client.call('login', [{ resume: bot.token }]))['error']).toStrictEqual(USER_NOT_FOUND);
  });
});

describe('subscriptions across a change of user', () => {
  it('ends the subscriptions the new user may not read, and renews the others with ready', async () => {
    const { server, bot, client } = await setup();
    server.addUser({ username: 'alice', password: 'pw' });
    server.addRoom({ _id: 'ops', name: 'ops', t: 'p', members: ['bot'] });
    await client.login('bot', 'secret');
    client.skip(() => true);
    const options = { useCollection: false, args: [] };
    client.send({ msg: 'sub', id: 'mine', name: 'stream-notify-user', params: [`${bot._id}/message`, options] });
    client.send({ msg: 'sub', id: 'ops', name: 'stream-room-messages', params: ['ops', options] });
    client.send({ msg: 'sub', id: 'general', name: 'stream-room-messages', params: ['GENERAL', options] });
    for (const id of ['mine', 'ops', 'general']) expect(await client.take(() => true)).toStrictEqual({ msg: 'ready', subs: [id] });

    const id = client.method('login', [{ user: { username: 'alice' }, password: digest('pw') }]);
    const notAllowed = { isClientSafe: true, error: 'not-allowed', message: '[not-allowed]', errorType: 'Meteor.Error' };
    expect(await client.take(() => true)).toStrictEqual({ msg: 'nosub', id: 'mine', error: notAllowed });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'nosub', id: 'ops', error: notAllowed });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'removed', collection: 'users', id: bot._id });
    expect(await client.take(() => true)).toMatchObject({ msg: 'added', collection: 'users', fields: { username: 'alice' } });
    expect(await client.take(() => true)).toStrictEqual({ msg: 'ready', subs: ['general'] });
    expect(await client.take(() => true)).toMatchObject({ msg: 'result', id });

    client.skip(() => true);
    client.method('logout');
    expect(await client.take(() => true)).toStrictEqual({ msg: 'nosub', id: 'general', error: notAllowed });
  });
});
