/**
 * Chaos: the fake server kills the socket at random points (a seeded PRNG decides) while one
 * client sends 2,000 messages as fast as it can: between a call and its result (the call
 * either never handled, or handled with its result lost), during the resume login, and
 * during subscribe. Every send must resolve, and the server must hold each message exactly
 * once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientFrame, ServerFrame } from '../src/ddp/protocol.js';
import type { IMessage } from '../src/rocketchat/types.js';
import type { FakeConnection } from '../src/testing/index.js';
import { leftovers } from './helpers.js';
import { loggedIn, watchUnhandledRejections } from './rocketchat/setup.js';

afterEach(() => leftovers.disposeAll());

const MESSAGES = 2000;
const MAX_DROPS = 150;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed by its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Chance of cutting the link at each kind of frame. */
const CLIENT_FRAME_ODDS: Readonly<Record<string, number>> = {
  sendMessage: 0.003, // the call arrives and is never handled
  getSingleMessage: 0.02, // the confirmation of an unanswered send
  login: 0.15, // the resume login after a reconnect
  sub: 0.08, // a subscription being renewed
};
const SERVER_FRAME_ODDS: Readonly<Record<string, number>> = {
  result: 0.006, // handled, but the result never reaches the client
  updated: 0.002,
  ready: 0.08,
};

describe('chaos', () => {
  it('delivers 2,000 messages exactly once while the link is cut at random points', async () => {
    const seed = Number(process.env['CHAOS_SEED'] ?? 20_260_101);
    const random = prng(seed);
    const unhandled = watchUnhandledRejections();
    const started = performance.now();
    try {
      const { server, client } = await loggedIn({ rateLimit: false }, { rateLimit: false });
      const streamed = new Map<string, number>();
      client.onMessage('GENERAL', (message) => streamed.set(message._id, (streamed.get(message._id) ?? 0) + 1));

      let drops = 0;
      const cuts: Record<string, number> = {};
      const cut = (where: string, connection: FakeConnection): void => {
        drops++;
        cuts[where] = (cuts[where] ?? 0) + 1;
        connection.drop();
      };
      let confirmations = 0;
      server.on('clientFrame', (frame: ClientFrame, connection) => {
        if (frame.msg === 'method' && frame.method === 'getSingleMessage') confirmations++;
        if (drops >= MAX_DROPS) return;
        const kind = frame.msg === 'method' ? frame.method : frame.msg;
        const odds = CLIENT_FRAME_ODDS[kind] ?? 0;
        if (odds > 0 && random() < odds) cut(`before handling ${kind}`, connection);
      });
      server.on('serverFrame', (frame: ServerFrame, connection) => {
        if (drops >= MAX_DROPS) return;
        const odds = SERVER_FRAME_ODDS[frame.msg] ?? 0;
        if (odds > 0 && random() < odds) cut(`instead of sending ${frame.msg}`, connection);
      });

      const sends = Array.from({ length: MESSAGES }, (_, index) =>
        client.sendMessage({ rid: 'GENERAL', msg: `chaos ${index}` }),
      );
      const outcomes = await Promise.allSettled(sends);
      const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
      const sent = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));

      const stored = server.messages('GENERAL');
      const storedCount = new Map<string, number>();
      for (const message of stored) storedCount.set(message._id, (storedCount.get(message._id) ?? 0) + 1);
      const duplicates = [...storedCount.values()].filter((count) => count > 1).length;
      const losses = sent.filter((message: IMessage) => !storedCount.has(message._id)).length;
      const streamedTwice = [...streamed.values()].filter((count) => count > 1).length;
      const pendingAtEnd = client.ddp.pendingCallCount;
      await client.close();
      await server.close();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);

      console.log(
        `chaos seed ${seed}: ${drops} drops survived (${Object.entries(cuts).map(([where, count]) => `${count} ${where}`).join(', ')}); ` +
          `${sent.length}/${MESSAGES} messages resolved, ${stored.length} stored, ${duplicates} duplicates, ${losses} losses, ` +
          `${failures.length} failures, ${confirmations} confirmations by id, ${streamed.size} seen on the stream ` +
          `(${streamedTwice} twice); ${seconds} s`,
      );

      expect(failures).toEqual([]);
      expect(sent).toHaveLength(MESSAGES);
      expect(sent.map((message) => message.msg)).toEqual(Array.from({ length: MESSAGES }, (_, index) => `chaos ${index}`));
      expect(stored).toHaveLength(MESSAGES);
      expect(duplicates).toBe(0);
      expect(losses).toBe(0);
      expect(new Set(sent.map((message) => message._id)).size).toBe(MESSAGES);
      expect(streamedTwice).toBe(0);
      expect(drops).toBeGreaterThanOrEqual(10);
      expect(pendingAtEnd).toBe(0);
      expect(client.status).toBe('closed');
      expect(unhandled.reasons).toEqual([]);
    } finally {
      unhandled.stop();
    }
  }, 60_000);
});
