/**
 * The client in Node with each WebSocket it may be given: the default (`isomorphic-ws`,
 * which is `ws` in Node) and Node's own global `WebSocket` (Node ≥ 22), the browser API
 * that React Native and browsers also offer. Runs on every Node version; on one without a
 * global `WebSocket` (Node 20) that case is skipped, and says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RocketChatClient } from '../../src/index.js';
import type { IMessage, WebSocketConstructor } from '../../src/index.js';
import { FakeRocketChatServer } from '../../src/testing/index.js';
import { leftovers, waitFor } from '../helpers.js';

afterEach(() => leftovers.disposeAll());

const nodeWebSocket = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
const nodeMajor = Number(process.versions.node.split('.')[0]);

if (nodeWebSocket === undefined) {
  console.warn(`Node ${process.versions.node} has no global WebSocket: the globalThis.WebSocket case is skipped (it runs on Node ≥ 22)`);
}

async function exercise(WebSocket: WebSocketConstructor | undefined): Promise<void> {
  const server = leftovers.track(await FakeRocketChatServer.start());
  server.addUser({ username: 'bot', password: 'secret' });
  const client = leftovers.track(
    new RocketChatClient({ url: server.url, backoff: () => 5, ...(WebSocket === undefined ? {} : { WebSocket }) }),
  );
  await client.connect();
  await client.login({ username: 'bot', password: 'secret' });
  const seen: IMessage[] = [];
  client.onMessage('GENERAL', (message) => seen.push(message));
  await client.getMessage('none'); // a round trip: the subscription is in place

  const first = await client.sendMessage({ rid: 'GENERAL', msg: 'first' });
  expect(first.ts).toBeInstanceOf(Date);
  await waitFor(() => seen.some((message) => message._id === first._id), { what: 'the first message on the stream' });

  server.dropAllConnections();
  const second = await client.sendMessage({ rid: 'GENERAL', msg: 'after the drop' });
  await waitFor(() => seen.some((message) => message._id === second._id), { what: 'the second message on the stream' });
  expect(client.status).toBe('connected');
  expect(server.messages('GENERAL').map((message) => message.msg)).toEqual(['first', 'after the drop']);

  await client.close();
  expect(client.status).toBe('closed');
}

describe(`the client on Node ${process.versions.node}`, () => {
  it('works with the default WebSocket (ws through isomorphic-ws)', async () => {
    await exercise(undefined);
  });

  it.skipIf(nodeWebSocket === undefined)(
    nodeWebSocket === undefined
      ? `works with globalThis.WebSocket passed as the WebSocket option (skipped: Node ${nodeMajor} has no global WebSocket)`
      : 'works with globalThis.WebSocket passed as the WebSocket option',
    async () => {
      await exercise(nodeWebSocket);
    },
  );
});
