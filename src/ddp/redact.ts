/**
 * Redaction of secrets in frames before anything is logged.
 *
 * @module
 */

/** What a secret value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Keys whose values are secrets, compared case-insensitively: passwords and their digests,
 * login and resume tokens, 2FA codes, LDAP passwords, REST auth headers.
 */
export const SECRET_KEYS: ReadonlySet<string> = new Set(
  [
    'password',
    'digest',
    'token',
    'resume',
    'code',
    'ldapPass',
    'authToken',
    'X-Auth-Token',
    'hashedToken',
    'newToken',
    'loginToken',
    'totpSecret',
    'secret',
    'accessToken',
    'refreshToken',
  ].map((key) => key.toLowerCase()),
);

const MAX_DEPTH = 64;

/**
 * A deep copy of `frame` in which the value of every secret key (see {@link SECRET_KEYS}),
 * at any depth, is replaced with `"[redacted]"`. The input is never modified. Dates and regular
 * expressions are copied, byte arrays summarised as `"[n bytes]"`, cycles become `"[circular]"`.
 *
 * @example redactFrame({ msg: 'method', method: 'login', params: [{ resume: 't0k3n' }] })
 * // { msg: 'method', method: 'login', params: [{ resume: '[redacted]' }] }
 */
export function redactFrame<T>(frame: T): T {
  return copy(frame, new Set(), 0) as T;
}

function copy(value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof RegExp) return new RegExp(value.source, value.flags);
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (ancestors.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => copy(item, ancestors, depth + 1));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const child = SECRET_KEYS.has(key.toLowerCase())
        ? REDACTED
        : copy((value as Record<string, unknown>)[key], ancestors, depth + 1);
      // defineProperty: a key named "__proto__" stays an own property and never changes a prototype.
      Object.defineProperty(out, key, { value: child, enumerable: true, writable: true, configurable: true });
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}
