/**
 * The fake server survives any input: random texts and random frames, sent to every method
 * and publication it knows, never crash it, never raise an internal error, and it keeps
 * answering pings afterwards.
 */
import fc from 'fast-check';
import { afterEach, expect, it } from 'vitest';
import { leftovers } from '../helpers.js';
import { RawClient } from './raw-client.js';
import { startServer } from './start.js';

afterEach(() => leftovers.disposeAll());

const METHODS = [
  'login', 'logout', 'getNewToken', 'sendMessage', 'getSingleMessage', 'updateMessage', 'deleteMessage', 'setReaction',
  'loadHistory', 'getRoomIdByNameOrId', 'joinRoom', 'createDirectMessage', 'subscriptions/get', 'rooms/get',
  'getUsersOfRoom', 'stream-notify-room', 'stream-notify-user', 'stream-room-messages',
];
const PUBLICATIONS = ['stream-room-messages', 'stream-notify-room', 'stream-notify-user', 'stream-notify-all', 'stream-notify-logged', 'meteor.loginServiceConfiguration', 'nope'];

const value = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom('GENERAL', 'general', 'bot', '__my_messages__', 'GENERAL/user-activity', ':smile:', { $date: 0 }, { $date: null }, { $binary: 'AA==' }),
  fc.record({ _id: fc.string(), rid: fc.constantFrom('GENERAL', 'nope', 5), msg: fc.oneof(fc.string(), fc.integer()), ts: fc.constantFrom({ $date: Date.now() }, 'x'), tmid: fc.string(), tshow: fc.boolean() }, { requiredKeys: [] }),
  fc.record({ user: fc.record({ username: fc.constantFrom('bot', 'x', '') }, { requiredKeys: [] }), password: fc.oneof(fc.string(), fc.record({ digest: fc.string(), algorithm: fc.string() })), resume: fc.string(), totp: fc.jsonValue(), ldap: fc.boolean(), ldapOptions: fc.jsonValue() }, { requiredKeys: [] }),
);

const frame = fc.oneof(
  fc.string(),
  fc.jsonValue().map((json) => JSON.stringify(json)),
  fc.record({ msg: fc.constantFrom('method'), id: fc.oneof(fc.string(), fc.integer()), method: fc.constantFrom(...METHODS), params: fc.array(value, { maxLength: 4 }) }, { requiredKeys: ['msg'] }).map((f) => JSON.stringify(f)),
  fc.record({ msg: fc.constantFrom('sub'), id: fc.string(), name: fc.constantFrom(...PUBLICATIONS), params: fc.oneof(fc.array(value, { maxLength: 3 }), value) }, { requiredKeys: ['msg'] }).map((f) => JSON.stringify(f)),
  fc.record({ msg: fc.constantFrom('unsub', 'ping', 'pong', 'connect', 'x', ''), id: value, version: fc.string(), support: fc.jsonValue() }, { requiredKeys: ['msg'] }).map((f) => JSON.stringify(f)),
);

it.each(['monolith', 'ddp-streamer'] as const)('survives random frames (%s) without an internal error', async (variant) => {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning.message);
  process.on('warning', onWarning);
  leftovers.track(() => process.off('warning', onWarning));
  const server = await startServer({ variant, rateLimit: false });
  server.addUser({ username: 'bot', password: 'secret' });
  server.addRoom({ _id: 'ops', name: 'ops', t: 'p', members: ['bot'] });
  const frames = fc.sample(frame, { numRuns: 400, seed: variant === 'monolith' ? 42 : 43 });
  let alive = 0;
  for (let round = 0; round < 4; round++) {
    const client = await RawClient.connect(server.url);
    await client.login('bot', 'secret');
    for (const text of frames.slice(round * 100, round * 100 + 100)) {
      if (client.closeCode !== undefined) break;
      client.send(text);
    }
    if (client.closeCode === undefined) {
      client.send({ msg: 'ping', id: 'alive' });
      const pong = await client.take((f) => f['msg'] === 'pong' && f['id'] === 'alive').catch(() => undefined);
      if (pong !== undefined) alive++;
    }
    client.close();
  }
  const last = await RawClient.connect(server.url);
  expect((await last.login('bot', 'secret'))['result']).toMatchObject({ type: 'password' });
  expect(warnings.filter((message) => message.includes('FakeRocketChatServer'))).toStrictEqual([]);
  if (variant === 'monolith') expect(alive).toBe(4);
});
