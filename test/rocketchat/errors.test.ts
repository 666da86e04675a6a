import { describe, expect, it } from 'vitest';
import { DdpError, DdpMethodError, isDdpError, isDdpMethodError } from '../../src/ddp/errors.js';
import {
  InvalidMessageError,
  MessageNotDeliveredError,
  RateLimitedError,
  RocketChatErrorCode,
  TwoFactorRequiredError,
  hasErrorCode,
  isInvalidMessageError,
  isMessageNotDeliveredError,
  isRateLimitedError,
  isTwoFactorRequiredError,
  toRocketChatError,
} from '../../src/rocketchat/errors.js';
import { serverFrame } from './fixtures.js';

function errorOf(prefix: string, method: string): DdpMethodError {
  const frame = serverFrame(prefix);
  if (frame.msg !== 'result' || frame.error === undefined) throw new Error('not an error result');
  return DdpMethodError.fromObject(frame.error, method);
}

describe('toRocketChatError', () => {
  it('turns too-many-requests into RateLimitedError with retryAfterMs', () => {
    const error = toRocketChatError(errorOf('sendMessage-error-too-many-requests', 'sendMessage'));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toBeInstanceOf(DdpMethodError);
    expect(isRateLimitedError(error)).toBe(true);
    expect(isDdpMethodError(error)).toBe(true);
    expect(isDdpError(error)).toBe(true);
    const limited = error as RateLimitedError;
    expect(limited.retryAfterMs).toBe(425);
    expect(limited.error).toBe('too-many-requests');
    expect(limited.method).toBe('sendMessage');
    expect(limited.cause).toBeInstanceOf(DdpMethodError);
  });

  it('turns totp-required into TwoFactorRequiredError naming the two-factor method', () => {
    const error = toRocketChatError(errorOf('login-error-totp-required-email', 'login')) as TwoFactorRequiredError;
    expect(error).toBeInstanceOf(TwoFactorRequiredError);
    expect(isTwoFactorRequiredError(error)).toBe(true);
    expect(error.error).toBe(RocketChatErrorCode.TotpRequired);
    expect(error.method).toBe('email');
    expect(error.twoFactorMethod).toBe('email');
    expect(error.ddpMethod).toBe('login');
    expect(error.availableMethods).toEqual(['email']);
    expect(error.message).toContain('TOTP Required');
  });

  it('turns totp-invalid into TwoFactorRequiredError with its own code', () => {
    const error = toRocketChatError(errorOf('login-error-totp-invalid', 'login')) as TwoFactorRequiredError;
    expect(error).toBeInstanceOf(TwoFactorRequiredError);
    expect(error.error).toBe('totp-invalid');
    expect(error.method).toBe('totp');
  });

  it('leaves other errors unchanged', () => {
    const invalidRoom = errorOf('joinRoom-error-invalid-room', 'joinRoom');
    expect(toRocketChatError(invalidRoom)).toBe(invalidRoom);
    expect(hasErrorCode(invalidRoom, RocketChatErrorCode.InvalidRoom)).toBe(true);
    const unauthorized = errorOf('login-error-bad-credentials (', 'login');
    expect(hasErrorCode(toRocketChatError(unauthorized), RocketChatErrorCode.Unauthorized)).toBe(true);
    const plain = new Error('x');
    expect(toRocketChatError(plain)).toBe(plain);
  });
});

describe('Rocket.Chat errors', () => {
  it('MessageNotDeliveredError quotes the server explanation', () => {
    const error = new MessageNotDeliveredError('Hgx6ZAo9sMwtkL7CE', 'nope', 'Invalid room');
    expect(error).toBeInstanceOf(DdpError);
    expect(isMessageNotDeliveredError(error)).toBe(true);
    expect(error.message).toContain('"Invalid room"');
    expect(error.reason).toBe('Invalid room');
    expect(new MessageNotDeliveredError('a', 'b').reason).toBeUndefined();
  });

  it('InvalidMessageError names the field', () => {
    const error = new InvalidMessageError('msg', 'too long');
    expect(error).toBeInstanceOf(DdpError);
    expect(isInvalidMessageError(error)).toBe(true);
    expect(isDdpError(error)).toBe(true);
    expect(error.field).toBe('msg');
  });
});
