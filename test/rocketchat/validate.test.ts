import { describe, expect, it } from 'vitest';
import { InvalidMessageError } from '../../src/rocketchat/errors.js';
import type { OutgoingMessage, UiKitBlock } from '../../src/rocketchat/types.js';
import { messageTransport, realtimeFieldProblem, validateOutgoingMessage } from '../../src/rocketchat/validate.js';
import { SAMPLE_BLOCKS, SAMPLE_IDENTITY, SAMPLE_TS_ISO, fullAttachment } from '../rich-message.js';

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
    ['a missing msg without attachments or blocks', { rid: 'GENERAL', alias: 'Robot' }, 'msg'],
    ['an alias that is not a string', { rid: 'GENERAL', msg: 'x', alias: 5 }, 'alias'],
    ['an emoji that is not a string', { rid: 'GENERAL', msg: 'x', emoji: true }, 'emoji'],
    ['an avatar with a javascript: URL', { rid: 'GENERAL', msg: 'x', avatar: 'javascript:alert(1)' }, 'avatar'],
    ['attachments that are not an array', { rid: 'GENERAL', msg: 'x', attachments: { text: 'a' } }, 'attachments'],
    ['an attachment that is not an object', { rid: 'GENERAL', msg: 'x', attachments: ['a'] }, 'attachments[0]'],
    ['an attachment color that is a number', { rid: 'GENERAL', msg: 'x', attachments: [{ color: 5 }] }, 'attachments[0].color'],
    ['an attachment collapsed flag that is a string', { rid: 'GENERAL', msg: 'x', attachments: [{ collapsed: 'yes' }] }, 'attachments[0].collapsed'],
    ['an attachment image_url that is not a URL', { rid: 'GENERAL', msg: 'x', attachments: [{ image_url: 'logo.png' }] }, 'attachments[0].image_url'],
    ['an attachment title_link with a javascript: URL', { rid: 'GENERAL', msg: 'x', attachments: [{ title_link: 'javascript:x' }] }, 'attachments[0].title_link'],
    ['an attachment ts that is not a time', { rid: 'GENERAL', msg: 'x', attachments: [{ ts: 'yesterday' }] }, 'attachments[0].ts'],
    ['an attachment field without a title', { rid: 'GENERAL', msg: 'x', attachments: [{ fields: [{ value: 'v' }] }] }, 'attachments[0].fields[0].title'],
    ['an attachment field with an empty value', { rid: 'GENERAL', msg: 'x', attachments: [{ fields: [{ title: 't', value: '' }] }] }, 'attachments[0].fields[0].value'],
    ['a nested attachment of the wrong type', { rid: 'GENERAL', msg: 'x', attachments: [{ attachments: [{ text: 1 }] }] }, 'attachments[0].attachments[0].text'],
    ['blocks that are not an array', { rid: 'GENERAL', msg: 'x', blocks: { type: 'divider' } }, 'blocks'],
    ['a block without a type', { rid: 'GENERAL', blocks: [{ text: 'x' }] }, 'blocks[0].type'],
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
    'accepts %s and routes the message over REST, where the realtime method refuses it',
    (field) => {
      const message = { rid: 'GENERAL', msg: 'x', [field]: field === 'attachments' || field === 'blocks' ? [] : 'v' };
      validateOutgoingMessage(message as OutgoingMessage);
      expect(messageTransport(message)).toBe('rest');
      const problem = realtimeFieldProblem(message);
      expect(problem?.field).toBe(field);
      expect(problem?.problem).toContain('REST API');
    },
  );

  it.each([
    ['an unknown key', { rid: 'GENERAL', msg: 'x', text: 'hi' }, 'text'],
    ['a u field', { rid: 'GENERAL', msg: 'x', u: { _id: 'x' } }, 'u'],
  ])('accepts %s and routes the message over REST', (_label, message, field) => {
    validateOutgoingMessage(message as unknown as OutgoingMessage);
    expect(messageTransport(message)).toBe('rest');
    expect(realtimeFieldProblem(message)?.field).toBe(field);
  });

  it('routes a message with only realtime fields over the WebSocket, ignoring fields set to undefined', () => {
    expect(messageTransport({ rid: 'GENERAL', msg: 'x', tmid: 'a', tshow: true })).toBe('realtime');
    expect(messageTransport({ rid: 'GENERAL', msg: 'x', attachments: undefined })).toBe('realtime');
  });

  it('accepts a rich message using every documented attachment field, and a message of blocks only', () => {
    validateOutgoingMessage({
      rid: 'GENERAL',
      msg: 'Sample message',
      alias: SAMPLE_IDENTITY.alias,
      emoji: SAMPLE_IDENTITY.emoji,
      avatar: SAMPLE_IDENTITY.avatar,
      attachments: [
        fullAttachment(new Date(SAMPLE_TS_ISO)),
        { text: 'an ISO time', ts: SAMPLE_TS_ISO },
        { text: 'epoch milliseconds', ts: Date.parse(SAMPLE_TS_ISO) },
      ],
    });
    validateOutgoingMessage({
      rid: 'GENERAL',
      blocks: structuredClone(SAMPLE_BLOCKS) as unknown as UiKitBlock[],
    });
  });

  it('names the path of a refused field inside attachments in its message', () => {
    const error = refusal({ rid: 'GENERAL', msg: 'x', attachments: [{ text: 'a' }, { fields: [{ title: 't', value: 'v' }, { title: 5, value: 'v' }] }] });
    expect(error.field).toBe('attachments[1].fields[1].title');
    expect(error.message).toContain('attachments[1].fields[1].title');
  });
});
