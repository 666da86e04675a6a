import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/rocketchat/auth.js';
import { TwoFactorRequiredError } from '../../src/rocketchat/errors.js';
import type { Credentials } from '../../src/rocketchat/types.js';
import { totpCode } from '../../src/testing/index.js';
import { leftovers, waitFor } from '../helpers.js';
import { newClient, startServer } from './setup.js';

afterEach(() => leftovers.disposeAll());

const PASSWORD = 'correct-horse-battery-staple';
const LDAP_PASSWORD = 'ldap-only-s3cret';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXP';

describe('logging', () => {
  it('never shows a password, digest, token or two-factor code in a whole session', async () => {
    const server = await startServer();
    const bot = server.addUser({ username: 'bot', password: PASSWORD, totpSecret: TOTP_SECRET });
    server.addUser({ username: 'alice', password: LDAP_PASSWORD });
    const pat = server.addPersonalAccessToken(bot._id);
    const lines: string[] = [];
    const record = (level: string) => (message: string, data?: unknown) => {
      lines.push(`${level} ${message} ${data === undefined ? '' : JSON.stringify(data)}`);
    };
    const logger = { debug: record('debug'), warn: record('warn') };
    const client = newClient(server, { logger });
    const errors: unknown[] = [];
    await client.connect();

    // Password login that needs a second factor, then with the code.
    const refusal = await client.login({ username: 'bot', password: PASSWORD }).catch((caught: unknown) => caught);
    expect(refusal).toBeInstanceOf(TwoFactorRequiredError);
    errors.push(refusal);
    const code = totpCode(TOTP_SECRET);
    const credentials: Credentials[] = [await client.login({ username: 'bot', password: PASSWORD, code })];
    await client.sendMessage({ rid: 'GENERAL', msg: 'hello from a logged session' });

    // A reconnect: the resume login carries the token.
    server.dropAllConnections();
    await client.sendMessage({ rid: 'GENERAL', msg: 'after the resume' });
    await waitFor(() => lines.some((line) => line.includes('"resume"')));

    // A personal access token and an LDAP login, then a failed password.
    credentials.push(await client.login({ resume: pat }));
    const alice = newClient(server, { logger });
    await alice.connect();
    credentials.push(await alice.login({ ldap: true, username: 'alice', password: LDAP_PASSWORD }));
    errors.push(await alice.login({ username: 'alice', password: PASSWORD }).catch((caught: unknown) => caught));
    await client.logout();
    await client.close();
    await alice.close();

    const log = lines.join('\n') + '\n' + errors.map((error) => `${String(error)} ${JSON.stringify(error)}`).join('\n');
    expect(lines.length).toBeGreaterThan(20);
    expect(log).toContain('[redacted]');
    const secrets = [
      PASSWORD,
      LDAP_PASSWORD,
      await sha256Hex(PASSWORD),
      await sha256Hex(LDAP_PASSWORD),
      bot.token,
      pat,
      ...credentials.map((entry) => entry.token),
      `"${code}"`,
    ];
    for (const secret of secrets) expect(log).not.toContain(secret);
  });
});
