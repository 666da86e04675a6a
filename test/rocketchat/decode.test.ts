import { describe, expect, it } from 'vitest';
import { DdpProtocolError } from '../../src/ddp/errors.js';
import { decodeMessage, decodeOwnedMessage } from '../../src/rocketchat/decode.js';
import { resultOf, streamArgOf } from './fixtures.js';

const minimal = {
  _id: 'Hgx6ZAo9sMwtkL7CE',
  rid: 'GENERAL',
  msg: 'hello',
  ts: new Date(1735732800123),
  u: { _id: 'aobEdbYhXfu5hkeqG', username: 'bot' },
};

describe('decodeMessage', () => {
  it('maps a recorded sendMessage result into an IMessage with Dates', () => {
    const message = decodeMessage(resultOf('sendMessage-result'));
    expect(message._id).toBe('Hgx6ZAo9sMwtkL7CE');
    expect(message.rid).toBe('GENERAL');
    expect(message.msg).toBe('hello world');
    expect(message.ts).toBeInstanceOf(Date);
    expect(message.ts.getTime()).toBe(1735732800123);
    expect(message._updatedAt).toBeInstanceOf(Date);
    expect(message.u).toEqual({ _id: 'aobEdbYhXfu5hkeqG', username: 'bot', name: 'Bot' });
    expect(message.urls).toEqual([]);
    expect(message.md?.[0]?.type).toBe('PARAGRAPH');
  });

  it('turns every date field of a recorded getSingleMessage result into a Date', () => {
    const message = decodeMessage(resultOf('getSingleMessage-result ('));
    expect(message.ts.getTime()).toBe(1735646400123);
    expect(message._updatedAt?.getTime()).toBe(1735732802133);
    expect(message.editedAt?.getTime()).toBe(1735646800123);
    expect(message.pinnedAt?.getTime()).toBe(1735652800123);
    expect(message.tlm?.getTime()).toBe(1735732802123);
    expect(message.attachments?.[0]?.ts).toBeInstanceOf(Date);
    expect(message.attachments?.[0]?.ts?.getTime()).toBe(1735642800123);
    expect(message.editedBy).toEqual({ _id: 'zTpF3FXuTMNoAsqDX', username: 'alice' });
    expect(message.pinned).toBe(true);
    expect(message.tcount).toBe(3);
    expect(message.replies).toEqual(['aobEdbYhXfu5hkeqG', 'zTpF3FXuTMNoAsqDX']);
    expect(message.reactions?.[':thumbsup:']?.usernames).toEqual(['bot', 'alice']);
    expect(message.starred).toEqual([{ _id: 'aobEdbYhXfu5hkeqG' }]);
  });

  it('decodes thread replies, rich results and stream events from the recordings', () => {
    const reply = decodeMessage(resultOf('sendMessage-result-thread-reply'));
    expect(reply.tmid).toBe('TwWbqRmHXa3sjQPu7');
    expect(reply.tshow).toBe(true);
    const rich = decodeMessage(resultOf('sendMessage-result-rich'));
    expect(rich.urls?.[0]?.url).toBe('https://example.com');
    expect(rich.mentions?.length).toBeGreaterThan(0);
    const edited = decodeMessage(streamArgOf('changed-stream-room-messages (edited'));
    expect(edited.editedAt).toBeInstanceOf(Date);
    expect(edited.msg).toBe('hello bot (edited)');
    const ephemeral = decodeMessage(streamArgOf('sendMessage-ephemeral'));
    expect(ephemeral.private).toBe(true);
    expect(ephemeral.msg).toBe('Invalid room');
  });

  it('accepts ISO strings and epoch milliseconds for date fields, as REST sends them', () => {
    const message = decodeMessage({
      ...minimal,
      ts: '2025-01-01T12:00:00.123Z',
      _updatedAt: 1735732800999,
      editedAt: null,
      attachments: [{ text: 'quote', ts: '2025-01-01T11:00:00.000Z', attachments: [{ ts: 1000 }] }],
    });
    expect(message.ts.toISOString()).toBe('2025-01-01T12:00:00.123Z');
    expect(message._updatedAt?.getTime()).toBe(1735732800999);
    expect('editedAt' in message).toBe(false);
    expect(message.attachments?.[0]?.ts?.toISOString()).toBe('2025-01-01T11:00:00.000Z');
    expect(message.attachments?.[0]?.attachments?.[0]?.ts?.getTime()).toBe(1000);
  });

  it('keeps unknown fields and does not modify its input', () => {
    const raw = { ...minimal, ts: '2025-01-01T12:00:00.123Z', customThing: { a: 1 }, alias: 'Robot' };
    const message = decodeMessage(raw);
    expect(message['customThing']).toEqual({ a: 1 });
    expect(message.alias).toBe('Robot');
    expect(raw.ts).toBe('2025-01-01T12:00:00.123Z');
  });

  it('gives a message without msg an empty text', () => {
    const { msg: _msg, ...withoutMsg } = minimal;
    expect(decodeMessage(withoutMsg).msg).toBe('');
  });

  it.each([
    ['a non-object', 'hello', 'not an object'],
    ['null', null, 'not an object'],
    ['an array', [minimal], 'not an object'],
    ['a missing _id', { ...minimal, _id: undefined }, '"_id"'],
    ['an empty _id', { ...minimal, _id: '' }, '"_id"'],
    ['a missing rid', { ...minimal, rid: undefined }, '"rid"'],
    ['a numeric msg', { ...minimal, msg: 42 }, '"msg"'],
    ['a missing ts', { ...minimal, ts: undefined }, '"ts"'],
    ['a ts that is an object', { ...minimal, ts: { $date: 'x' } }, '"ts"'],
    ['an invalid Date ts', { ...minimal, ts: new Date(Number.NaN) }, '"ts"'],
    ['an unparsable ts string', { ...minimal, ts: 'yesterday' }, '"ts"'],
    ['a missing u', { ...minimal, u: undefined }, '"u"'],
    ['a u without username', { ...minimal, u: { _id: 'x' } }, '"u"'],
    ['an _updatedAt that is not a date', { ...minimal, _updatedAt: true }, '"_updatedAt"'],
    ['attachments that are not an array', { ...minimal, attachments: {} }, '"attachments"'],
    ['an attachment that is not an object', { ...minimal, attachments: ['x'] }, '"attachments[0]"'],
    ['an attachment ts that is not a date', { ...minimal, attachments: [{ ts: 'soon' }] }, '"attachments[0].ts"'],
  ])('refuses %s with a DdpProtocolError naming the field', (_label, raw, fragment) => {
    let caught: unknown;
    try {
      decodeMessage(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DdpProtocolError);
    expect((caught as DdpProtocolError).message).toContain(fragment);
    expect((caught as DdpProtocolError).offendingFrame).toBe(raw);
  });
});

describe('decodeOwnedMessage', () => {
  it('maps a message it alone holds in place, with the same checks and dates as decodeMessage', () => {
    const raw: Record<string, unknown> = {
      _id: 'm1',
      rid: 'GENERAL',
      ts: new Date(1),
      u: { _id: 'u1', username: 'bot' },
      editedAt: '2025-01-01T00:00:00.000Z',
    };
    const message = decodeOwnedMessage(raw);
    expect(message).toBe(raw);
    expect(message.msg).toBe('');
    expect(message.editedAt).toEqual(new Date('2025-01-01T00:00:00.000Z'));
    expect(() => decodeOwnedMessage({ rid: 'GENERAL' })).toThrow(DdpProtocolError);
  });
});
