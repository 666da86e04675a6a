/**
 * When frames leave under `ws`: a call alone in flight at once (before the pending-call table
 * has entered it), calls made while others are in flight together at the end of the turn, and
 * always in the order they were written.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { leftovers } from '../helpers.js';
import type { DdpClient } from '../../src/ddp/client.js';
import { BrowserLikeWebSocket, connectedPair, nextTurn, RecordingWebSocket } from './support.js';

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

  it('writes a call that may go now before entering it in the table, and still settles it by its answer, deadline or abort', async () => {
    const counts: number[] = [];
    let client: DdpClient | undefined;
    /** Counts the client's pending calls as each method frame is written. */
    class CountingWebSocket extends RecordingWebSocket {
      override send(data: string): void {
        if (data.includes('"msg":"method"')) counts.push(client?.pendingCallCount ?? -1);
        super.send(data);
      }
    }
    const pairWithCounts = await connectedPair({ methods: { echo: (params) => params[0], never: () => new Promise(() => undefined) } }, { WebSocket: CountingWebSocket });
    client = pairWithCounts.client;
    await expect(client.call('echo', ['answered'])).resolves.toBe('answered');
    await expect(client.call('never', [], { timeoutMs: 20 })).rejects.toMatchObject({ name: 'DdpTimeoutError' });
    const controller = new AbortController();
    const aborted = client.call('never', [], { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(counts).toEqual([0, 0, 0]);
    expect(client.pendingCallCount).toBe(0);
  });

  it('enters a call in the table before writing it when a logger is set, which runs in between', async () => {
    const counts: number[] = [];
    let client: DdpClient | undefined;
    const logger = {
      debug: (message: string, data?: unknown) => {
        if (message === 'sent' && (data as { msg?: string } | undefined)?.msg === 'method') counts.push(client?.pendingCallCount ?? -1);
      },
      warn: () => undefined,
    };
    const pairWithLogger = await connectedPair({ methods: { echo: (params) => params[0] } }, { WebSocket: RecordingWebSocket, logger });
    client = pairWithLogger.client;
    await expect(client.call('echo', [1])).resolves.toBe(1);
    expect(counts).toEqual([1]);
  });
});

describe('writes under a WHATWG socket', () => {
  it('enters a call in the table before writing it, for a socket that may answer from inside send()', async () => {
    /** Answers every method frame at once, from inside send(), as a stand-in socket might. */
    class AnsweringWebSocket extends BrowserLikeWebSocket {
      override send(data: string): void {
        const frame = JSON.parse(data) as { msg: string; id?: string; params?: unknown[] };
        if (frame.msg !== 'method') {
          super.send(data);
          return;
        }
        this.#deliver({ msg: 'result', id: frame.id, result: frame.params?.[0] });
        this.#deliver({ msg: 'updated', methods: [frame.id] });
      }
      #deliver(frame: object): void {
        this.onmessage?.({ data: JSON.stringify(frame) } as Parameters<NonNullable<BrowserLikeWebSocket['onmessage']>>[0]);
      }
    }
    const { client } = await connectedPair({}, { WebSocket: AnsweringWebSocket as never });
    await expect(client.call('echo', ['at once'], { timeoutMs: 1_000 })).resolves.toBe('at once');
    expect(client.pendingCallCount).toBe(0);
  });
});
