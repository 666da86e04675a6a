/**
 * `login`, `logout` and `getNewToken`.
 *
 * Login forms: `{ user: { username | email | id }, password }` (password as
 * `{ digest, algorithm: 'sha-256' }` or a plain string), `{ resume: token }` (a resume token or
 * a personal access token), `{ ldap: true, username, ldapPass, ldapOptions }` (the fake's
 * "directory" is its own user list: the password must match the user's), and the 2FA retry
 * `{ totp: { login: <one of those>, code } }`. Every credential failure is
 * `401 "User not found"`; malformed payloads are `400 "Match failed"`.
 *
 * Frame order of a successful login: `added` (the `users` document), `result`, `updated`
 * (Meteor acknowledges the token write after the result). A failed login writes nothing, so
 * its `updated` comes first, as for other methods. `logout` sends `removed` before both.
 *
 * @module
 */
import type { MethodCall, ServerCore } from '../core.js';
import { internalError, matchFailed, methodError } from '../errors.js';
import { LOGIN_EXPIRATION_MS, sha256Hex, type LoginToken, type StoredUser } from '../store.js';
import { verifyTotp } from '../totp.js';
import { isPlainObject } from './common.js';

/** A credential failure: the client sees `401 "User not found"`. */
class LoginFailure extends Error {}

interface Attempt {
  readonly type: 'password' | 'resume' | 'ldap';
  readonly user: StoredUser;
  readonly token?: LoginToken;
}

/** Registers the login methods. */
export function registerLoginMethods(core: ServerCore): void {
  core.methods.set('login', login);
  core.methods.set('logout', logout);
  core.methods.set('getNewToken', getNewToken);
}

function login(call: MethodCall): unknown {
  const { core, connection } = call;
  const options = call.params[0];
  if (core.streamer) return streamerLogin(call, options);
  if (!isPlainObject(options)) throw matchFailed();
  let attempt: Attempt;
  try {
    attempt = runLoginHandlers(core, options);
  } catch (error) {
    if (error instanceof LoginFailure) throw methodError(401, 'User not found');
    throw error;
  }
  const { user } = attempt;
  if (!user.active) {
    throw methodError('error-user-is-not-activated', 'User is not activated', { function: 'Accounts.validateLoginAttempt' });
  }
  if (attempt.type !== 'resume' && user.totpSecret !== undefined) {
    const totp = options['totp'];
    const code = isPlainObject(totp) ? totp['code'] : undefined;
    const details = { method: 'totp', codeGenerated: false, availableMethods: ['totp'] };
    if (code === undefined || code === null || code === '') throw methodError('totp-required', 'TOTP Required', details);
    if (!verifyTotp(user.totpSecret, String(code))) throw methodError('totp-invalid', 'TOTP Invalid', details);
  }
  const token = attempt.token ?? core.store.issueToken(user._id, 'resume');
  connection.setUser(user, token.token);
  call.resultFirst = true; // the token write is acknowledged after the result
  return { id: user._id, token: token.token, tokenExpires: expiryOf(token), type: attempt.type };
}

/** Meteor's chain of login handlers: the first one that recognises the payload decides. */
function runLoginHandlers(core: ServerCore, options: Record<string, unknown>, depth = 0): Attempt {
  const { store } = core;
  if (options['resume']) {
    const resume = options['resume'];
    if (typeof resume !== 'string') throw matchFailed();
    const token = store.token(resume);
    const user = token === undefined ? undefined : store.user(token.userId);
    if (token === undefined || user === undefined) throw new LoginFailure();
    return { type: 'resume', user, token };
  }
  if (options['password']) {
    for (const key of Object.keys(options)) {
      if (key !== 'user' && key !== 'password' && key !== 'code') throw matchFailed();
    }
    const query = options['user'];
    if (query !== undefined) checkUserQuery(query);
    const password = options['password'];
    const digest = passwordDigest(password);
    const user = query === undefined ? undefined : findUser(core, query as Record<string, string>);
    if (user === undefined || user.passwordDigest !== digest) throw new LoginFailure();
    return { type: 'password', user };
  }
  if (options['ldap'] && options['ldapOptions']) {
    const username = options['username'];
    const password = options['ldapPass'];
    const user = typeof username === 'string' ? store.userByUsername(username) : undefined;
    if (user === undefined || typeof password !== 'string' || sha256Hex(password) !== user.passwordDigest) throw new LoginFailure();
    return { type: 'ldap', user };
  }
  const totp = options['totp'];
  if (isPlainObject(totp) && totp['code'] && depth === 0) {
    const inner = totp['login'];
    if (!isPlainObject(inner)) throw internalError();
    return runLoginHandlers(core, inner, depth + 1);
  }
  throw new LoginFailure(); // "Unrecognized options for login request", rewritten like the others
}

function checkUserQuery(query: unknown): void {
  if (!isPlainObject(query)) throw matchFailed();
  const keys = Object.keys(query);
  if (keys.length !== 1) throw matchFailed();
  const key = keys[0]!;
  if (key !== 'username' && key !== 'email' && key !== 'id') throw matchFailed();
  const value = query[key];
  if (typeof value !== 'string' || value === '') throw matchFailed();
}

function passwordDigest(password: unknown): string {
  if (typeof password === 'string') {
    if (password.length > 256) throw matchFailed();
    return sha256Hex(password);
  }
  if (
    isPlainObject(password) &&
    typeof password['digest'] === 'string' &&
    password['digest'].length === 64 &&
    password['algorithm'] === 'sha-256' &&
    Object.keys(password).length === 2
  ) {
    return password['digest'].toLowerCase();
  }
  throw matchFailed();
}

function findUser(core: ServerCore, query: Record<string, string>): StoredUser | undefined {
  if (query['username'] !== undefined) return core.store.userByUsername(query['username']);
  if (query['email'] !== undefined) return core.store.userByEmail(query['email']);
  if (query['id'] !== undefined) return core.store.user(query['id']);
  return undefined;
}

/** `when + 90 days`; an invalid Date (sent as `{"$date": null}`) for a personal access token. */
function expiryOf(token: LoginToken): Date {
  return token.when === null ? new Date(Number.NaN) : new Date(token.when.getTime() + LOGIN_EXPIRATION_MS);
}

/** The DDP service's own login: resume or username + password only; every failure is 403. */
function streamerLogin(call: MethodCall, options: unknown): unknown {
  const { core, connection } = call;
  const fail = (): never => {
    throw methodError(403, "You've been logged out by the server. Please log in again");
  };
  if (!isPlainObject(options)) return fail();
  let user: StoredUser | undefined;
  let token: LoginToken | undefined;
  let type: 'resume' | 'password';
  if (typeof options['resume'] === 'string') {
    token = core.store.token(options['resume']);
    user = token === undefined ? undefined : core.store.user(token.userId);
    type = 'resume';
  } else {
    const query = options['user'];
    const username = isPlainObject(query) ? query['username'] : undefined;
    user = typeof username === 'string' ? core.store.userByUsername(username) : undefined;
    let digest: string | undefined;
    try {
      digest = passwordDigest(options['password']);
    } catch {
      digest = undefined;
    }
    if (user !== undefined && digest !== user.passwordDigest) user = undefined;
    type = 'password';
  }
  if (user === undefined || !user.active) return fail();
  token ??= core.store.issueToken(user._id, 'resume');
  connection.setUser(user, token.token);
  return token.when === null
    ? { id: user._id, token: token.token, type }
    : { id: user._id, token: token.token, tokenExpires: expiryOf(token), type };
}

function logout(call: MethodCall): undefined {
  const { core, connection } = call;
  const token = connection.loginToken;
  if (connection.userId !== undefined && token !== undefined && core.store.token(token)?.type === 'resume') {
    core.store.removeToken(token);
  }
  connection.setUser(undefined, undefined);
  if (core.streamer) connection.later(() => connection.closeAfterWrites(1002), 1);
  return undefined;
}

function getNewToken(call: MethodCall): unknown {
  const { core, connection } = call;
  const current = connection.loginToken === undefined ? undefined : core.store.token(connection.loginToken);
  const user = connection.userId === undefined ? undefined : core.store.user(connection.userId);
  if (current === undefined || user === undefined) throw methodError(403, 'You are not logged in.');
  const token = core.store.issueToken(user._id, 'resume', current.when ?? new Date());
  connection.setUser(user, token.token);
  call.resultFirst = true;
  return { id: user._id, token: token.token, tokenExpires: expiryOf(token) };
}
