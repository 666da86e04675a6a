/**
 * When frames leave under `ws`: a call alone in flight at once, calls made while others are
 * in flight together at the end of the turn, and always in the order they were written.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { leftovers } from '../helpers.js';
import { connectedPair, nextTurn, RecordingWebSocket } from './support.js';

afterEach(() => leftovers.disposeAll());

/** The TCP socket under the last WebSocket the client made. */
function lastTransport(): Socket {
  const ws = RecordingWebSocket.made.at(-1) as unknown as { _socket: Socket };
  return ws._socket;
}

async function pair(): Promise<Awaited<ReturnType<typeof connectedPair>>> {
  return connectedPair({ methods: { echo: (params) => params[0] } }, { WebSocket: RecordingWebSocket });
}

describe('writes under ws', () => {
  it('writes a call alone in flight at once, not at the end of the turn', async () => {
    const { client } = await pair();
    const transport = lastTransport();
    const call = client.call('echo', [1]);
    expect(transport.writableCorked).toBe(0);
    await expect(call).resolves.toBe(1);
  });

  it('holds calls made while others are in flight until the turn ends, then writes them together, in order', async () => {
    const { client, connection } = await pair();
    const transport = lastTransport();
    const first = client.call('echo', [1]);
    expect(transport.writableCorked).toBe(0);
    const second = client.call('echo', [2]);
    const third = client.call('echo', [3]);
    expect(transport.writableCorked).toBe(1);
    await nextTurn();
    expect(transport.writableCorked).toBe(0);
    await expect(Promise.all([first, second, third])).resolves.toEqual([1, 2, 3]);
    expect(connection.frames('method').map((frame) => frame['params'])).toEqual([[1], [2], [3]]);
  });

  it('puts a call alone in flight after the frames of its turn that are held', async () => {
    const { client, connection } = await pair();
    const transport = lastTransport();
    const subscription = client.subscribe('things');
    expect(transport.writableCorked).toBe(1);
    const call = client.call('echo', ['after the sub']);
    await expect(call).resolves.toBe('after the sub');
    const kinds = connection.receivedText.map((text) => (JSON.parse(text) as { msg: string }).msg);
    expect(kinds.slice(kinds.indexOf('sub'))).toEqual(['sub', 'method']);
    subscription.stop();
  });
});
