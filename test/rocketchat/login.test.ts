import { afterEach, describe, expect, it } from 'vitest';
import { DdpMethodError } from '../../src/ddp/errors.js';
import type { ClientFrame, SubFrame } from '../../src/ddp/protocol.js';
import { TwoFactorRequiredError } from '../../src/rocketchat/errors.js';
import type { Credentials } from '../../src/rocketchat/types.js';
import { totpCode } from '../../src/testing/index.js';
import type { FakeRocketChatServer } from '../../src/testing/index.js';
import { leftovers, settled, waitFor } from '../helpers.js';
import { loggedIn, newClient, startServer, watchUnhandledRejections } from './setup.js';

const TOTP_SECRET = 'JBSWY3DPEHPK3PXP';
const PASS_DIGEST = 'd74ff0ee8da3b9806b18c877dbf29bbde50b5bd8e4dad7a3a725000feb82e8f1';

afterEach(() => leftovers.disposeAll());

/** How the server answered the newest connection's latest room-stream subscription. */
function roomStreamState(server: FakeRocketChatServer): 'ready' | 'refused' | undefined {
  const connection = server.connections.at(-1);
  const sub = connection?.received.findLast(
    (frame): frame is SubFrame => frame.msg === 'sub' && frame.name === 'stream-room-messages',
  );
  if (connection === undefined || sub === undefined) return undefined;
  for (const frame of connection.sent) {
    if (frame.msg === 'ready' && frame.subs.includes(sub.id)) return 'ready';
    if (frame.msg === 'nosub' && frame.id === sub.id) return 'refused';
  }
  return undefined;
}

function loginParams(frames: readonly ClientFrame[]): unknown[] {
  return frames.filter((frame) => frame.msg === 'method' && frame.method === 'login').map((frame) => (frame.msg === 'method' ? frame.params?.[0] : undefined));
}

describe('login', () => {
  it('logs in with username and password, sending the SHA-256 digest', async () => {
    const server = await startServer();
    const bot = server.addUser({ username: 'bot', password: 'pass' });
    const client = newClient(server);
    const events: Credentials[] = [];
    client.on('login', (credentials) => events.push(credentials));
    await client.connect();
    const credentials = await client.login({ username: 'bot', password: 'pass' });
    expect(credentials.userId).toBe(bot._id);
    expect(typeof credentials.token).toBe('string');
    expect(credentials.tokenExpires).toBeInstanceOf(Date);
    expect(client.credentials).toEqual(credentials);
    expect(client.userId).toBe(bot._id);
    expect(client.username).toBe('bot');
    expect(events).toEqual([credentials]);
    const connection = server.connections[0]!;
    expect(loginParams(connection.received)).toEqual([
      { user: { username: 'bot' }, password: { digest: PASS_DIGEST, algorithm: 'sha-256' } },
    ]);
  });

  it('hands out copies of the credentials: changing one changes neither the client nor its next resume', async () => {
    const { server, client } = await loggedIn();
    const first = client.credentials as { -readonly [K in keyof Credentials]: Credentials[K] };
    const { token } = first;
    const expiresAt = (first.tokenExpires as Date).getTime();
    expect(client.credentials).not.toBe(first);
    expect(client.credentials).toEqual(first);
    first.token = 'tampered';
    (first.tokenExpires as Date).setTime(0);
    expect(client.credentials).toEqual({ userId: first.userId, token, tokenExpires: new Date(expiresAt) });
    const [firstConnection] = server.connections;
    server.dropAllConnections();
    const second = await waitFor(() => server.connections.find((connection) => connection !== firstConnection && connection.userId !== undefined));
    const resumes = second.received.filter((frame) => frame.msg === 'method' && frame.method === 'login');
    expect(resumes).toMatchObject([{ params: [{ resume: token }] }]);
  });

  it('logs in by e-mail address', async () => {
    const server = await startServer();
    const bot = server.addUser({ username: 'bot', password: 'pass', email: 'bot@example.com' });
    const client = newClient(server);
    await client.connect();
    const credentials = await client.login({ email: 'bot@example.com', password: 'pass' });
    expect(credentials.userId).toBe(bot._id);
    expect(client.username).toBe('bot'); // from the user document the server publishes
  });

  it('logs in with a resume token', async () => {
    const server = await startServer();
    const bot = server.addUser({ username: 'bot', password: 'pass' });
    const client = newClient(server);
    await client.connect();
    const credentials = await client.login({ resume: bot.token });
    expect(credentials).toMatchObject({ userId: bot._id, token: bot.token });
    expect(credentials.tokenExpires).toBeInstanceOf(Date);
  });

  it('logs in with a personal access token that never expires (tokenExpires null)', async () => {
    const server = await startServer();
    const bot = server.addUser({ username: 'bot', password: 'pass' });
    const pat = server.addPersonalAccessToken(bot._id);
    const client = newClient(server);
    await client.connect();
    const credentials = await client.login({ resume: pat });
    expect(credentials).toEqual({ userId: bot._id, token: pat, tokenExpires: null });
  });

  it('asks for a two-factor code with TwoFactorRequiredError, then logs in with it', async () => {
    const server = await startServer();
    const bot = server.addUser({ username: 'bot', password: 'pass', totpSecret: TOTP_SECRET });
    const client = newClient(server);
    await client.connect();
    const refused = await settled(client.login({ username: 'bot', password: 'pass' }));
    expect(refused.status).toBe('rejected');
    const error = (refused as { reason: unknown }).reason as TwoFactorRequiredError;
    expect(error).toBeInstanceOf(TwoFactorRequiredError);
    expect(error).toBeInstanceOf(DdpMethodError);
    expect(error.error).toBe('totp-required');
    expect(error.method).toBe('totp');
    expect(error.availableMethods).toEqual(['totp']);
    expect(error.ddpMethod).toBe('login');
    expect(client.credentials).toBeUndefined();

    const code = totpCode(TOTP_SECRET);
    const credentials = await client.login({ username: 'bot', password: 'pass', code });
    expect(credentials.userId).toBe(bot._id);
    expect(loginParams(server.connections[0]!.received)[1]).toEqual({
      totp: { login: { user: { username: 'bot' }, password: { digest: PASS_DIGEST, algorithm: 'sha-256' } }, code },
    });
  });

  it('refuses a wrong two-factor code with totp-invalid', async () => {
    const server = await startServer();
    server.addUser({ username: 'bot', password: 'pass', totpSecret: TOTP_SECRET });
    const client = newClient(server);
    await client.connect();
    const wrong = totpCode(TOTP_SECRET, Date.now() + 10 * 60_000);
    const error = await client.login({ username: 'bot', password: 'pass', code: wrong }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TwoFactorRequiredError);
    expect((error as TwoFactorRequiredError).error).toBe('totp-invalid');
  });

  it('logs in over LDAP with ldapPass and empty ldapOptions', async () => {
    const server = await startServer();
    const alice = server.addUser({ username: 'alice', password: 's3cret' });
    const client = newClient(server);
    await client.connect();
    const credentials = await client.login({ ldap: true, username: 'alice', password: 's3cret' });
    expect(credentials.userId).toBe(alice._id);
    expect(client.username).toBe('alice');
    expect(loginParams(server.connections[0]!.received)).toEqual([
      { ldap: true, username: 'alice', ldapPass: 's3cret', ldapOptions: {} },
    ]);
  });

  it('rejects a wrong password with DdpMethodError 401 and stays logged out', async () => {
    const server = await startServer();
    server.addUser({ username: 'bot', password: 'pass' });
    const client = newClient(server);
    await client.connect();
    const error = await client.login({ username: 'bot', password: 'wrong' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as DdpMethodError).error).toBe(401);
    expect(client.credentials).toBeUndefined();
    expect(client.userId).toBeUndefined();
  });
});

describe('login after reconnect', () => {
  it('resumes with the token before any resent or queued call', async () => {
    const { server, client, bot } = await loggedIn();
    const token = client.credentials!.token;
    // Cut the link as the server receives the next sendMessage: it is never handled.
    const cut = (frame: ClientFrame, connection: { drop(): void }): void => {
      if (frame.msg === 'method' && frame.method === 'sendMessage') {
        server.off('clientFrame', cut);
        connection.drop();
      }
    };
    server.on('clientFrame', cut);
    const logins: Credentials[] = [];
    client.on('login', (credentials) => logins.push(credentials));
    const sent = client.sendMessage({ rid: 'GENERAL', msg: 'across the drop' });
    const second = await server.waitForConnection().then(() => server.waitForConnection());
    const message = await sent;
    expect(message.msg).toBe('across the drop');
    const methods = second.received.filter((frame) => frame.msg === 'method');
    expect(methods[0]).toMatchObject({ method: 'login', params: [{ resume: token }] });
    expect(methods[1]).toMatchObject({ method: 'sendMessage' });
    expect(second.userId).toBe(bot._id);
    expect(logins).toHaveLength(1);
    expect(server.messages('GENERAL').filter((stored) => stored.msg === 'across the drop')).toHaveLength(1);
  });

  it('emits loginFailed when the resume fails, stays connected and usable, with no unhandled rejection', async () => {
    const unhandled = watchUnhandledRejections();
    try {
      const { server, client } = await loggedIn();
      const failures: Error[] = [];
      client.on('loginFailed', (error) => failures.push(error));
      server.revokeToken(client.credentials!.token);
      server.dropAllConnections();
      await waitFor(() => failures.length === 1);
      expect(failures[0]).toBeInstanceOf(DdpMethodError);
      expect((failures[0] as DdpMethodError).error).toBe(401);
      expect(client.credentials).toBeUndefined();
      await waitFor(() => client.status === 'connected');
      // Still usable: calls are answered (as for anyone logged out), and logging in again works.
      await expect(client.getMessage('nope')).rejects.toMatchObject({ error: 'error-invalid-user' });
      const credentials = await client.login({ username: 'bot', password: 'pass' });
      expect(client.credentials).toEqual(credentials);
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it('keeps a messages() loop waiting through a failed resume and resumes it at the next login', async () => {
    const { server, client } = await loggedIn();
    const received: string[] = [];
    const endings: unknown[] = [];
    const loop = (async () => {
      try {
        for await (const message of client.messages('GENERAL')) {
          received.push(message.msg);
          if (received.length === 2) break;
        }
      } catch (error) {
        endings.push(error);
      }
    })();
    await waitFor(() => roomStreamState(server) === 'ready');
    server.postMessage({ rid: 'GENERAL', msg: 'before', username: 'bot' });
    await waitFor(() => received.length === 1);

    const failure = new Promise((resolve) => client.once('loginFailed', resolve));
    server.revokeToken(client.credentials!.token);
    server.dropAllConnections();
    await failure;
    // The renewed subscription is refused on the logged-out session; the loop keeps waiting.
    await waitFor(() => roomStreamState(server) === 'refused');
    expect(endings).toEqual([]);

    await client.login({ username: 'bot', password: 'pass' });
    await waitFor(() => roomStreamState(server) === 'ready');
    server.postMessage({ rid: 'GENERAL', msg: 'after', username: 'bot' });
    await loop;
    expect(received).toEqual(['before', 'after']);
    expect(endings).toEqual([]);
  });

  it('stops resuming after logout', async () => {
    const { server, client } = await loggedIn();
    let loggedOut = 0;
    client.on('logout', () => loggedOut++);
    await client.logout();
    expect(loggedOut).toBe(1);
    expect(client.credentials).toBeUndefined();
    server.dropAllConnections();
    const next = await server.waitForConnection().then(() => server.waitForConnection());
    await waitFor(() => client.status === 'connected');
    await expect(client.getMessage('x')).rejects.toMatchObject({ error: 'error-invalid-user' });
    expect(next.received.some((frame) => frame.msg === 'method' && frame.method === 'login')).toBe(false);
  });
});
