/**
 * Login payloads (what `login` sends) and the reading of its result.
 *
 * The password never travels in clear for a password login: it goes as the hex SHA-256 of
 * its UTF-8 bytes, computed with Web Crypto (`crypto.subtle.digest`), as Meteor's clients do.
 * LDAP is the exception: the server needs the password itself (send it over TLS only).
 *
 * @module
 */
import { DdpError, DdpProtocolError } from '../ddp/errors.js';
import { toDate } from './decode.js';
import type { Credentials, LoginCredentials } from './types.js';

/** The `password` field of a password login: the digest, never the password. */
export interface PasswordDigest {
  /** Hex SHA-256 of the UTF-8 password: 64 lowercase hex characters. */
  readonly digest: string;
  readonly algorithm: 'sha-256';
}

/** The user selector of a password login: exactly one key. */
export type UserSelector = { readonly username: string } | { readonly email: string };

/** What the server's password login handler takes. */
export interface PasswordLoginPayload {
  readonly user: UserSelector;
  readonly password: PasswordDigest;
}

/** What the server's resume handler takes (resume tokens and personal access tokens). */
export interface ResumeLoginPayload {
  readonly resume: string;
}

/** What Rocket.Chat's LDAP handler takes (`ldapOptions` must be present, even empty). */
export interface LdapLoginPayload {
  readonly ldap: true;
  readonly username: string;
  readonly ldapPass: string;
  readonly ldapOptions: Readonly<Record<string, unknown>>;
}

/** A login retried with a two-factor code: the original payload wrapped with the code. */
export interface TotpLoginPayload {
  readonly totp: {
    readonly login: PasswordLoginPayload | LdapLoginPayload;
    readonly code: string;
  };
}

/** The single parameter of a `login` call. */
export type LoginPayload = PasswordLoginPayload | ResumeLoginPayload | LdapLoginPayload | TotpLoginPayload;

/**
 * Hex SHA-256 of the UTF-8 bytes of `text`, with Web Crypto.
 * @example await sha256Hex('pass') // "d74ff0ee8da3b9806b18c877dbf29bbde50b5bd8e4dad7a3a725000feb82e8f1"
 */
export async function sha256Hex(text: string): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    // Browsers hide Web Crypto on pages that are not a secure context (plain http, not localhost).
    throw new DdpError(
      'password login needs Web Crypto (crypto.subtle) to hash the password: serve the page over https ' +
        '(or localhost), or install a Web Crypto polyfill (React Native); a resume token needs no hashing',
    );
  }
  const bytes = new TextEncoder().encode(text);
  const hash = new Uint8Array(await subtle.digest('SHA-256', bytes));
  let hex = '';
  for (const byte of hash) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** The password login payload, with the password replaced by its digest. */
export async function passwordLoginPayload(user: UserSelector, password: string): Promise<PasswordLoginPayload> {
  return { user, password: { digest: await sha256Hex(password), algorithm: 'sha-256' } };
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`login: "${field}" must be a non-empty string`);
  }
  return value;
}

/**
 * The `login` parameter for each form of {@link LoginCredentials}:
 * - `{ username | email, password }` → `{ user: { username } | { email }, password: { digest, algorithm: 'sha-256' } }`;
 * - `{ resume }` → `{ resume }`;
 * - `{ ldap: true, username, password }` → `{ ldap: true, username, ldapPass, ldapOptions: {} }`;
 * - with `code` → `{ totp: { login: <the payload above>, code } }`.
 *
 * @throws {TypeError} when the credentials match no form (nothing secret is quoted).
 */
export async function buildLoginPayload(credentials: LoginCredentials): Promise<LoginPayload> {
  if (typeof credentials !== 'object' || credentials === null) {
    throw new TypeError('login: credentials must be an object');
  }
  if ('resume' in credentials) {
    return { resume: requireString(credentials.resume, 'resume') };
  }
  let inner: PasswordLoginPayload | LdapLoginPayload;
  if ('ldap' in credentials) {
    if (credentials.ldap !== true) throw new TypeError('login: "ldap" must be true');
    inner = {
      ldap: true,
      username: requireString(credentials.username, 'username'),
      ldapPass: requireString(credentials.password, 'password'),
      ldapOptions: {},
    };
  } else if ('email' in credentials) {
    const email = requireString(credentials.email, 'email');
    inner = await passwordLoginPayload({ email }, requireString(credentials.password, 'password'));
  } else if ('username' in credentials) {
    const username = requireString(credentials.username, 'username');
    inner = await passwordLoginPayload({ username }, requireString(credentials.password, 'password'));
  } else {
    throw new TypeError('login: credentials need { username | email, password }, { resume } or { ldap: true, username, password }');
  }
  const code = credentials.code;
  if (code === undefined) return inner;
  return { totp: { login: inner, code: requireString(code, 'code') } };
}

/**
 * Reads a `login` result (`{ id, token, tokenExpires, type }`) into {@link Credentials}.
 * `tokenExpires` that is missing, `null`, or an invalid Date (`{"$date": null}`, as the
 * server reports a personal access token) becomes `null`: the token never expires.
 *
 * @throws {DdpProtocolError} when the result has no string `id` and `token` (the error never
 *   quotes the result, which holds the token).
 */
export function parseLoginResult(result: unknown): Credentials {
  if (typeof result !== 'object' || result === null) {
    throw new DdpProtocolError('login result is not an object');
  }
  const record = result as Record<string, unknown>;
  const userId = record['id'];
  const token = record['token'];
  if (typeof userId !== 'string' || userId === '' || typeof token !== 'string' || token === '') {
    throw new DdpProtocolError('login result lacks a string "id" and "token"');
  }
  return { userId, token, tokenExpires: toDate(record['tokenExpires']) ?? null };
}
