import { describe, expect, it } from 'vitest';
import { REDACTED, redactFrame } from '../../src/ddp/redact.js';

describe('redactFrame', () => {
  it('redacts a password login: the whole password object', () => {
    const frame = {
      msg: 'method',
      id: '2',
      method: 'login',
      params: [{ user: { username: 'bot' }, password: { digest: 'd74ff0ee8da3b98', algorithm: 'sha-256' } }],
    };
    expect(redactFrame(frame)).toEqual({
      msg: 'method',
      id: '2',
      method: 'login',
      params: [{ user: { username: 'bot' }, password: REDACTED }],
    });
  });

  it.each([
    ['resume', { resume: 'Rp8XTN6pOZHeJ5xhc' }],
    ['digest', { digest: 'abc', algorithm: 'sha-256' }],
    ['token', { id: 'u1', token: 'tok', tokenExpires: new Date(0) }],
    ['code', { totp: { login: { resume: 'r' }, code: '123456' } }],
    ['ldapPass', { ldap: true, username: 'alice', ldapPass: 'pw', ldapOptions: {} }],
    ['authToken', { authToken: 'a' }],
    ['X-Auth-Token', { headers: { 'X-Auth-Token': 'h', 'X-User-Id': 'u1' } }],
    ['x-auth-token', { 'x-auth-token': 'h' }],
    ['hashedToken', { hashedToken: 'hash' }],
    ['newToken', { newToken: 'n' }],
  ])('redacts every %s value at any depth', (key, params) => {
    const text = JSON.stringify(redactFrame({ msg: 'method', id: '1', method: 'm', params: [params] }));
    expect(text).not.toMatch(/"(Rp8XTN6pOZHeJ5xhc|abc|tok|123456|pw|a|h|hash|n|r)"/);
    expect(text).toContain(REDACTED);
    expect(text).toContain(`"${key}":"${REDACTED}"`);
  });

  it('redacts secrets in results too', () => {
    const frame = { msg: 'result', id: '2', result: { id: 'u1', token: 'secret-token', tokenExpires: new Date(5) } };
    const redacted = redactFrame(frame);
    expect(redacted).toEqual({ msg: 'result', id: '2', result: { id: 'u1', token: REDACTED, tokenExpires: new Date(5) } });
    expect(redacted.result.tokenExpires).not.toBe(frame.result.tokenExpires);
  });

  it('returns a deep copy and never modifies its input', () => {
    const inner = { resume: 'x', keep: [1, { deep: true }] };
    const frame = { msg: 'method', params: [inner] };
    const before = structuredClone(frame);
    const copy = redactFrame(frame);
    expect(frame).toEqual(before);
    expect(copy.params[0]).not.toBe(inner);
    expect((copy.params[0] as typeof inner).keep).not.toBe(inner.keep);
    expect((copy.params[0] as typeof inner).keep).toEqual([1, { deep: true }]);
  });

  it('leaves values that are not objects alone', () => {
    expect(redactFrame('text')).toBe('text');
    expect(redactFrame(null)).toBe(null);
    expect(redactFrame(7)).toBe(7);
  });

  it('summarises bytes and survives cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(redactFrame({ bytes: new Uint8Array(4), cyclic })).toEqual({
      bytes: '[4 bytes]',
      cyclic: { a: 1, self: '[circular]' },
    });
  });

  it('keeps a "__proto__" key as an own property without touching prototypes', () => {
    const frame = JSON.parse('{"msg":"added","fields":{"__proto__":{"polluted":true,"token":"t"}}}') as {
      fields: Record<string, unknown>;
    };
    const copy = redactFrame(frame);
    expect(Object.getPrototypeOf(copy.fields)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(copy.fields, '__proto__')?.value).toEqual({ polluted: true, token: REDACTED });
  });
});
