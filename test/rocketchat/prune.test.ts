import { afterEach, describe, expect, it } from 'vitest';
import { DdpMethodError, DdpProtocolError } from '../../src/ddp/errors.js';
import { decodePruneEvent, MessagesPrunedEvent, type PrunableMessage } from '../../src/rocketchat/prune.js';
import type { IMessage } from '../../src/rocketchat/types.js';
import { leftovers, waitFor } from '../helpers.js';
import type { FakeRocketChatServer } from '../../src/testing/index.js';
import { loggedIn, newClient } from './setup.js';

afterEach(() => leftovers.disposeAll());

const at = (minute: number): Date => new Date(Date.UTC(2026, 10, 22, 10, minute));

function message(id: string, minute: number, extra: Partial<PrunableMessage> = {}): PrunableMessage {
  return { _id: id, rid: 'R1', ts: at(minute), u: { username: 'alice' }, ...extra };
}

describe('decodePruneEvent and matches', () => {
  it('matches by an inclusive time range, the way the server deleted', () => {
    const event = decodePruneEvent({ rid: 'R1', excludePinned: false, ignoreDiscussion: true, ts: { $gte: at(10), $lte: at(20) }, users: [] });
    expect(event).toBeInstanceOf(MessagesPrunedEvent);
    expect(event).toMatchObject({ rid: 'R1', oldest: at(10), latest: at(20), inclusive: true, excludePinned: false, ignoreDiscussion: true, users: [] });
    expect(event.messageIds).toBeUndefined();
    expect([9, 10, 15, 20, 21].map((minute) => event.matches(message(`m${minute}`, minute)))).toEqual([false, true, true, true, false]);
    expect(event.matches(message('other-room', 15, { rid: 'R2' }))).toBe(false);
    expect(event.matches(message('discussion', 15, { drid: 'D1' }))).toBe(false);
    expect(event.matches(message('pinned', 15, { pinned: true }))).toBe(true);
  });

  it('matches by an exclusive range, users and pinned', () => {
    const event = decodePruneEvent({ rid: 'R1', excludePinned: true, ignoreDiscussion: false, ts: { $gt: at(10), $lt: at(20) }, users: ['bob'] });
    expect(event.inclusive).toBe(false);
    expect(event.matches(message('edge', 10, { u: { username: 'bob' } }))).toBe(false);
    expect(event.matches(message('inside', 15, { u: { username: 'bob' } }))).toBe(true);
    expect(event.matches(message('alice', 15))).toBe(false);
    expect(event.matches(message('pinned', 15, { u: { username: 'bob' }, pinned: true }))).toBe(false);
    expect(event.matches(message('discussion', 15, { u: { username: 'bob' }, drid: 'D1' }))).toBe(true);
  });

  it('matches by the listed ids when the server lists them', () => {
    const event = decodePruneEvent({ rid: 'R1', excludePinned: false, ignoreDiscussion: true, ts: { $gte: at(0), $lte: at(59) }, users: [], ids: ['a', 'b'] });
    expect(event.messageIds).toEqual(['a', 'b']);
    expect(event.matches(message('a', 5))).toBe(true);
    expect(event.matches(message('c', 5))).toBe(false);
  });

  it('tells a files-only prune apart: the messages stay, their files replaced', () => {
    const replacement = { color: '#FD745E', text: '_File removed by prune_' };
    const event = decodePruneEvent({
      rid: 'R1', excludePinned: false, ignoreDiscussion: true, ts: { $gte: at(0), $lte: at(59) }, users: [], ids: ['a'],
      filesOnly: true, replaceFileAttachmentsWith: replacement,
    });
    expect(event.filesOnly).toBe(true);
    expect(event.replacementAttachment).toEqual(replacement);
    expect(event.matches(message('a', 5))).toBe(true);
    const deletion = decodePruneEvent({ rid: 'R1', ts: { $gte: at(0) } });
    expect(deletion.filesOnly).toBe(false);
    expect(deletion.replacementAttachment).toBeUndefined();
    expect(() => decodePruneEvent({ rid: 'R1', ts: { $gte: at(0) }, filesOnly: true, replaceFileAttachmentsWith: 'gone' })).toThrow('"replaceFileAttachmentsWith"');
  });

  it.each([
    ['not an object', 'x', 'not an object'],
    ['no room', { ts: { $gte: at(0) } }, '"rid"'],
    ['ids not strings', { rid: 'R1', ids: [1] }, '"ids"'],
    ['users not strings', { rid: 'R1', ts: { $gte: at(0) }, users: 'bob' }, '"users"'],
    ['a range that is not an object', { rid: 'R1', ts: 5 }, '"ts"'],
    ['a bound that is not a date', { rid: 'R1', ts: { $gte: 'yesterday' } }, '"ts.$gte"'],
    ['neither ids nor a range', { rid: 'R1', ts: {} }, 'neither'],
  ])('refuses %s with DdpProtocolError', (_name, raw, words) => {
    expect(() => decodePruneEvent(raw)).toThrow(DdpProtocolError);
    expect(() => decodePruneEvent(raw)).toThrow(words);
  });
});

describe('pruneMessages and onMessagesPruned', () => {
  async function roomWithHistory() {
    const setup = await loggedIn();
    setup.server.addUser({ username: 'admin', password: 'admin', roles: ['admin'] });
    setup.server.addUser({ username: 'alice', password: 'alice' });
    const posted = [1, 2, 3, 4, 5].map((minute) =>
      setup.server.postMessage({ rid: 'GENERAL', msg: `at ${minute}`, username: minute === 4 ? 'bot' : 'alice', ts: at(minute), pinned: minute === 3 }),
    );
    const history = await setup.client.loadHistory('GENERAL', { limit: 50 });
    return { ...setup, posted, history: history.messages };
  }

  it('tells every listener of the room which messages went, and matches() finds exactly them', async () => {
    const { server, client, history } = await roomWithHistory();
    const events: MessagesPrunedEvent[] = [];
    client.onMessagesPruned('GENERAL', (event) => events.push(event));
    const { client: adminClient } = await loginAs(server, 'admin');
    const removed = await adminClient.pruneMessages('GENERAL', { oldest: at(2), latest: at(4), fromUsers: ['alice'] });
    expect(removed).toBe(2); // minutes 2 and 3 (4 is bot's)
    await waitFor(() => events.length === 1);
    const [event] = events;
    expect(event).toMatchObject({ rid: 'GENERAL', oldest: at(2), latest: at(4), inclusive: true, users: ['alice'], excludePinned: false });
    const left = new Set(server.messages('GENERAL').map((stored) => stored._id));
    const gone = history.filter((held) => !left.has(held._id)).map((held) => held._id).sort();
    expect(history.filter((held: IMessage) => event!.matches(held)).map((held) => held._id).sort()).toEqual(gone);
    expect(gone).toHaveLength(2);
  });

  it('keeps pinned messages when asked, and lists the ids of a prune with a limit', async () => {
    const { server, client, posted } = await roomWithHistory();
    const events: MessagesPrunedEvent[] = [];
    client.onMessagesPruned('GENERAL', (event) => events.push(event));
    const { client: adminClient } = await loginAs(server, 'admin');
    expect(await adminClient.pruneMessages('GENERAL', { oldest: at(0), latest: at(59), excludePinned: true, limit: 2 })).toBe(2);
    await waitFor(() => events.length === 1);
    expect(events[0]!.messageIds).toEqual([posted[0]!._id, posted[1]!._id]);
    expect(events[0]!.excludePinned).toBe(true);
    expect(await adminClient.pruneMessages('GENERAL', { oldest: at(0), latest: at(59), excludePinned: true })).toBe(2);
    expect(server.messages('GENERAL').filter((stored) => stored.msg.startsWith('at ')).map((stored) => stored.msg)).toEqual(['at 3']);
  });

  it('is refused without the permission, and sends no event; refuses a bad Date before sending', async () => {
    const { server, client } = await roomWithHistory();
    const events: MessagesPrunedEvent[] = [];
    client.onMessagesPruned('GENERAL', (event) => events.push(event));
    const error = await client.pruneMessages('GENERAL', { oldest: at(0), latest: at(59) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as DdpMethodError).error).toBe('error-not-allowed');
    await expect(client.pruneMessages('GENERAL', { oldest: new Date('nope'), latest: at(59) })).rejects.toThrow(TypeError);
    const wrongTypes = await client.ddp.call('cleanRoomHistory', [{ roomId: 'GENERAL', oldest: 'yesterday', latest: at(59) }]).catch((caught: unknown) => caught);
    expect((wrongTypes as DdpMethodError).error).toBe(400);
    await client.getMessage('x'); // a round trip: an event would have come first
    expect(events).toEqual([]);
    expect(server.messages('GENERAL').filter((stored) => stored.msg.startsWith('at '))).toHaveLength(5);
  });

  it('drops a malformed bulk-deletion event and reports it as protocolError', async () => {
    const { server, client } = await loggedIn();
    const errors: DdpProtocolError[] = [];
    client.on('protocolError', (error) => errors.push(error));
    const events: MessagesPrunedEvent[] = [];
    client.onMessagesPruned('GENERAL', (event) => events.push(event));
    await client.getMessage('x');
    server.connections[0]!.send({
      msg: 'changed',
      collection: 'stream-notify-room',
      id: 'id',
      fields: { eventName: 'GENERAL/deleteMessageBulk', args: [{ rid: 'GENERAL', ts: { $gte: 'never' } }] },
    });
    await waitFor(() => errors.length === 1);
    expect(errors[0]!.message).toContain('"ts.$gte"');
    expect(events).toEqual([]);
  });
});

/** A second client on the same server, logged in as `username` (whose password is its name). */
async function loginAs(server: FakeRocketChatServer, username: string) {
  const client = newClient(server);
  await client.connect();
  await client.login({ username, password: username });
  return { client };
}
