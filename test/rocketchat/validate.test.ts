import { describe, expect, it } from 'vitest';
import { InvalidMessageError } from '../../src/rocketchat/errors.js';
import type { OutgoingMessage } from '../../src/rocketchat/types.js';
import { realtimeFieldProblem, validateOutgoingMessage } from '../../src/rocketchat/validate.js';

function refusal(message: unknown, maxMessageLength?: number): InvalidMessageError {
  try {
    validateOutgoingMessage(
      message as OutgoingMessage,
      maxMessageLength === undefined ? {} : { maxMessageLength },
    );
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidMessageError);
    return error as InvalidMessageError;
  }
  throw new Error('the message was accepted');
}

describe('validateOutgoingMessage', () => {
  it('accepts a plain message and every realtime field with its type', () => {
    validateOutgoingMessage({ rid: 'GENERAL', msg: 'hello' });
    validateOutgoingMessage({
      _id: 'Hgx6ZAo9sMwtkL7CE',
      rid: 'GENERAL',
      msg: 'x'.repeat(5000),
      tmid: 'TwWbqRmHXa3sjQPu7',
      tshow: true,
      ts: new Date(),
      t: 'e2e',
      bot: { i: 'x' },
      content: { algorithm: 'a', ciphertext: 'b' },
      e2e: 'pending',
      e2eMentions: {},
      customFields: { a: 1 },
      federation: {},
      groupable: false,
      sentByEmail: false,
    });
  });

  it('ignores fields set to undefined', () => {
    validateOutgoingMessage({ rid: 'GENERAL', msg: 'hi', tmid: undefined } as unknown as OutgoingMessage);
  });

  it.each([
    ['a non-object', 'hello', 'message'],
    ['null', null, 'message'],
    ['a missing rid', { msg: 'x' }, 'rid'],
    ['an empty rid', { rid: '', msg: 'x' }, 'rid'],
    ['a numeric rid', { rid: 5, msg: 'x' }, 'rid'],
    ['a missing msg', { rid: 'GENERAL' }, 'msg'],
    ['a numeric msg', { rid: 'GENERAL', msg: 5 }, 'msg'],
    ['an empty _id', { rid: 'GENERAL', msg: 'x', _id: '' }, '_id'],
    ['a numeric _id', { rid: 'GENERAL', msg: 'x', _id: 5 }, '_id'],
    ['tshow without tmid', { rid: 'GENERAL', msg: 'x', tshow: true }, 'tshow'],
    ['a ts that is a number', { rid: 'GENERAL', msg: 'x', ts: Date.now() }, 'ts'],
    ['a ts that is an ISO string', { rid: 'GENERAL', msg: 'x', ts: new Date().toISOString() }, 'ts'],
    ['an invalid Date ts', { rid: 'GENERAL', msg: 'x', ts: new Date(Number.NaN) }, 'ts'],
    ['a tshow that is a string', { rid: 'GENERAL', msg: 'x', tmid: 'a', tshow: 'yes' }, 'tshow'],
    ['a bot flag that is a boolean', { rid: 'GENERAL', msg: 'x', bot: true }, 'bot'],
    ['an unknown key', { rid: 'GENERAL', msg: 'x', text: 'hi' }, 'text'],
    ['a u field', { rid: 'GENERAL', msg: 'x', u: { _id: 'x' } }, 'u'],
  ])('refuses %s, naming the field', (_label, message, field) => {
    expect(refusal(message).field).toBe(field);
  });

  it('refuses a msg longer than maxMessageLength (UTF-16 units), 5000 by default', () => {
    const error = refusal({ rid: 'GENERAL', msg: 'x'.repeat(5001) });
    expect(error.field).toBe('msg');
    expect(error.message).toContain('5000');
    expect(refusal({ rid: 'GENERAL', msg: '😀'.repeat(6) }, 11).field).toBe('msg');
    validateOutgoingMessage({ rid: 'GENERAL', msg: '😀'.repeat(5) }, { maxMessageLength: 10 });
  });

  it.each(['attachments', 'alias', 'avatar', 'emoji', 'blocks'])(
    'refuses %s, saying it belongs to the REST API',
    (field) => {
      const error = refusal({ rid: 'GENERAL', msg: 'x', [field]: field === 'attachments' || field === 'blocks' ? [] : 'v' });
      expect(error.field).toBe(field);
      expect(error.message).toContain('REST API');
      expect(realtimeFieldProblem({ [field]: 'v' })?.field).toBe(field);
    },
  );
});
