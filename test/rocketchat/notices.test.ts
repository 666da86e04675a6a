import { describe, expect, it } from 'vitest';
import { NoticeBoard } from '../../src/rocketchat/notices.js';

describe('NoticeBoard', () => {
  it('hands each notice out once, for its room, when it came after the send started', () => {
    let now = 1000;
    const board = new NoticeBoard(() => now);
    board.add('GENERAL', 'too early');
    now = 2000;
    board.add('other', 'other room');
    board.add('GENERAL', 'Invalid room');
    board.add('GENERAL', 'second');
    expect(board.take('GENERAL', 1500)).toBe('Invalid room');
    expect(board.take('GENERAL', 1500)).toBe('second');
    expect(board.take('GENERAL', 1500)).toBeUndefined();
    expect(board.take('other', 1500)).toBe('other room');
    board.close();
  });

  it('waits for a notice that has not arrived yet, and gives up with undefined', async () => {
    const board = new NoticeBoard();
    const since = Date.now();
    const waiting = board.wait('GENERAL', since, 10_000);
    board.add('GENERAL', 'You have been muted');
    await expect(waiting).resolves.toBe('You have been muted');
    await expect(board.wait('GENERAL', since, 1)).resolves.toBeUndefined();
    const released = board.wait('GENERAL', since, 10_000);
    board.close();
    await expect(released).resolves.toBeUndefined();
  });
});
