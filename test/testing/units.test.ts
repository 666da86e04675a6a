/** Unit tests of the fake server's small parts: TOTP, rate limiting, message content, errors. */
import { describe, expect, it } from 'vitest';
import { meteorError, streamerOrder } from '../../src/testing/errors.js';
import { mentionedUsernames, messageUrls, parseMarkdown } from '../../src/testing/message-content.js';
import { RateLimiter } from '../../src/testing/rate-limiter.js';
import { totpCode, verifyTotp } from '../../src/testing/totp.js';

describe('totpCode', () => {
  // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last 6 of the 8 digits.
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  it.each([
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
  ])('gives the RFC 6238 code at %i s', (seconds, code) => {
    expect(totpCode(secret, seconds * 1000)).toBe(code);
  });

  it('accepts the codes of the neighbouring steps and nothing further', () => {
    const now = 1_700_000_000_000;
    expect(verifyTotp(secret, totpCode(secret, now - 30_000), now)).toBe(true);
    expect(verifyTotp(secret, totpCode(secret, now + 30_000), now)).toBe(true);
    expect(verifyTotp(secret, totpCode(secret, now + 90_000), now)).toBe(false);
  });

  it('refuses a secret that is not base32', () => {
    expect(() => totpCode('not base32!')).toThrow(TypeError);
  });
});

describe('RateLimiter', () => {
  it('allows `limit` calls per window, then gives the time left until it resets', () => {
    const limiter = new RateLimiter({ limit: 2, windowMs: 1000 });
    expect(limiter.hit('a', 0)).toBeUndefined();
    expect(limiter.hit('a', 100)).toBeUndefined();
    expect(limiter.hit('a', 575)).toBe(425);
    expect(limiter.hit('b', 600)).toBeUndefined();
    expect(limiter.hit('a', 999)).toBe(1);
    expect(limiter.hit('a', 1000)).toBeUndefined();
  });
});

describe('message content', () => {
  it('parses lines into paragraphs of plain text, mentions, links and emoji', () => {
    expect(parseMarkdown('')).toStrictEqual([]);
    expect(parseMarkdown('a\n\nb')).toStrictEqual([
      { type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'a' }] },
      { type: 'LINE_BREAK' },
      { type: 'PARAGRAPH', value: [{ type: 'PLAIN_TEXT', value: 'b' }] },
    ]);
    expect(parseMarkdown('mail a@b.c, see http://x.io.')).toStrictEqual([
      {
        type: 'PARAGRAPH',
        value: [
          { type: 'PLAIN_TEXT', value: 'mail a@b.c, see ' },
          { type: 'LINK', value: { src: { type: 'PLAIN_TEXT', value: 'http://x.io' }, label: [{ type: 'PLAIN_TEXT', value: 'http://x.io' }] } },
          { type: 'PLAIN_TEXT', value: '.' },
        ],
      },
    ]);
  });

  it('finds mentions and URLs, flagging URLs left out of previewUrls', () => {
    expect(mentionedUsernames('@alice and @bob. again @alice, not a@b')).toStrictEqual(['alice', 'bob']);
    expect(messageUrls('https://a.io and https://b.io and https://a.io', ['https://a.io'])).toStrictEqual([
      { url: 'https://a.io', meta: {} },
      { url: 'https://b.io', meta: {}, ignoreParse: true },
    ]);
    expect(messageUrls('https://a.io', undefined)).toStrictEqual([{ url: 'https://a.io', meta: {} }]);
  });
});

describe('Meteor error objects', () => {
  it('have the keys isClientSafe, error, reason, details, message, errorType in that order', () => {
    expect(Object.keys(meteorError('e', 'R', { d: 1 }))).toStrictEqual(['isClientSafe', 'error', 'reason', 'details', 'message', 'errorType']);
    expect(meteorError('not-allowed')).toStrictEqual({ isClientSafe: true, error: 'not-allowed', message: '[not-allowed]', errorType: 'Meteor.Error' });
    expect(Object.keys(streamerOrder(meteorError(403, 'R', { at: new Date(0) })))).toStrictEqual([
      'isClientSafe', 'errorType', 'error', 'reason', 'message', 'details',
    ]);
    expect(streamerOrder(meteorError(403, 'R', { at: new Date(0) })).details).toStrictEqual({ at: { $date: 0 } });
  });
});
