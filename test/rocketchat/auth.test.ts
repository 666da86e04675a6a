import { describe, expect, it } from 'vitest';
import { DdpError, DdpProtocolError } from '../../src/ddp/errors.js';
import { buildLoginPayload, parseLoginResult, sha256Hex } from '../../src/rocketchat/auth.js';
import { resultOf } from './fixtures.js';

const PASS_DIGEST = 'd74ff0ee8da3b9806b18c877dbf29bbde50b5bd8e4dad7a3a725000feb82e8f1';

describe('login payloads', () => {
  it('hashes the UTF-8 password with SHA-256 into lowercase hex', async () => {
    expect(await sha256Hex('pass')).toBe(PASS_DIGEST);
    expect(await sha256Hex('password')).toBe('5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8');
    expect(await sha256Hex('pässwörd ✓')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sends a password login by username as a digest, never the password', async () => {
    const payload = await buildLoginPayload({ username: 'bot', password: 'pass' });
    expect(payload).toEqual({ user: { username: 'bot' }, password: { digest: PASS_DIGEST, algorithm: 'sha-256' } });
    expect(JSON.stringify(payload)).not.toContain('"pass"');
  });

  it('sends a password login by e-mail with an email selector', async () => {
    expect(await buildLoginPayload({ email: 'bot@example.com', password: 'pass' })).toEqual({
      user: { email: 'bot@example.com' },
      password: { digest: PASS_DIGEST, algorithm: 'sha-256' },
    });
  });

  it('sends a resume token as is', async () => {
    expect(await buildLoginPayload({ resume: 'tok' })).toEqual({ resume: 'tok' });
  });

  it('wraps a login with a two-factor code in totp', async () => {
    expect(await buildLoginPayload({ username: 'bot', password: 'pass', code: '123456' })).toEqual({
      totp: {
        login: { user: { username: 'bot' }, password: { digest: PASS_DIGEST, algorithm: 'sha-256' } },
        code: '123456',
      },
    });
  });

  it('sends an LDAP login with ldapPass and empty ldapOptions', async () => {
    expect(await buildLoginPayload({ ldap: true, username: 'alice', password: 's3cret' })).toEqual({
      ldap: true,
      username: 'alice',
      ldapPass: 's3cret',
      ldapOptions: {},
    });
    expect(await buildLoginPayload({ ldap: true, username: 'alice', password: 's3cret', code: '1' })).toEqual({
      totp: { login: { ldap: true, username: 'alice', ldapPass: 's3cret', ldapOptions: {} }, code: '1' },
    });
  });

  it('refuses credentials of no known form without quoting them', async () => {
    await expect(buildLoginPayload({ user: 'x', password: 'hunter2' } as never)).rejects.toThrow(TypeError);
    const error = await buildLoginPayload({ username: '', password: 'hunter2' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).toContain('username');
    expect(String(error)).not.toContain('hunter2');
  });
});

describe('parseLoginResult', () => {
  it('reads a password login result with a Date expiry', () => {
    const credentials = parseLoginResult(resultOf('login-result-password'));
    expect(credentials).toEqual({
      userId: 'aobEdbYhXfu5hkeqG',
      token: 'Rp8XTN6pOZHeJ5xhcVkWbPjPDQ8nLbLrBq0mH1g9k4A',
      tokenExpires: new Date(1743508800123),
    });
  });

  it('reads a personal access token result ({"$date": null}) as never expiring', () => {
    const credentials = parseLoginResult(resultOf('login-result-personal-access-token'));
    expect(credentials.tokenExpires).toBeNull();
    expect(parseLoginResult({ id: 'u', token: 't' }).tokenExpires).toBeNull();
  });

  it('refuses a result without id and token, without quoting it', () => {
    expect(() => parseLoginResult({ id: 'u', token: 42 })).toThrow(DdpProtocolError);
    expect(() => parseLoginResult(undefined)).toThrow(DdpProtocolError);
    try {
      parseLoginResult({ id: '', token: 'secret-token' });
    } catch (error) {
      expect(String(error)).not.toContain('secret-token');
      expect((error as DdpProtocolError).offendingFrame).toBeUndefined();
    }
  });
});

describe('sha256Hex without Web Crypto', () => {
  it('fails with a DdpError that says what is missing and how to get it', async () => {
    const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    Object.defineProperty(globalThis, 'crypto', { value: {}, configurable: true, writable: true });
    try {
      const failure = await sha256Hex('pass').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DdpError);
      expect((failure as Error).message).toContain('crypto.subtle');
      expect((failure as Error).message).toContain('https');
    } finally {
      if (original !== undefined) Object.defineProperty(globalThis, 'crypto', original);
    }
  });
});
