import { describe, expect, it, vi } from 'vitest';
import { DdpMethodError } from '../../src/ddp/errors.js';
import type { ChangedFrame } from '../../src/ddp/protocol.js';
import { StreamOverflowError } from '../../src/rocketchat/errors.js';
import { MessageIterator, StreamHub } from '../../src/rocketchat/streams.js';
import type { StreamSubscription, StreamTransport } from '../../src/rocketchat/streams.js';

/** A transport that records subscriptions; the hub's unit tests need no socket. */
class RecordingTransport implements StreamTransport {
  readonly subs: { name: string; params: readonly unknown[]; stopped: boolean; end(error?: Error): void }[] = [];
  /** The hub fed by this transport, as a client feeds its own. */
  hub: StreamHub | undefined;

  subscribe(name: string, params: readonly unknown[] = []): StreamSubscription {
    let ended = false;
    const subscription: StreamSubscription = {
      stop: () => {
        record.stopped = true;
        record.end();
      },
    };
    const record = {
      name,
      params,
      stopped: false,
      end: (error?: Error) => {
        if (ended) return;
        ended = true;
        this.hub?.subscriptionEnded(subscription, error);
      },
    };
    this.subs.push(record);
    return subscription;
  }

  event(collection: string, eventName: string, ...args: unknown[]): void {
    const frame: ChangedFrame = { msg: 'changed', collection, id: 'id', fields: { eventName, args } };
    this.hub?.dispatch(frame);
  }
}

/** A hub over a {@link RecordingTransport} that feeds it. */
function hubOver(transport: RecordingTransport): StreamHub {
  const hub = new StreamHub(transport);
  transport.hub = hub;
  return hub;
}

describe('StreamHub', () => {
  it('shares one subscription per stream and event name, and unsubscribes with the last listener', () => {
    const transport = new RecordingTransport();
    const hub = hubOver(transport);
    const seen: string[] = [];
    const stopA = hub.listen('stream-room-messages', 'GENERAL', { onEvent: (args) => seen.push(`a:${String(args[0])}`) });
    const stopB = hub.listen('stream-room-messages', 'GENERAL', { onEvent: (args) => seen.push(`b:${String(args[0])}`) });
    const stopC = hub.listen('stream-room-messages', 'other', { onEvent: (args) => seen.push(`c:${String(args[0])}`) });
    expect(transport.subs.map((sub) => sub.params[0])).toEqual(['GENERAL', 'other']);
    expect(transport.subs[0]?.params[1]).toEqual({ useCollection: false, args: [] });
    transport.event('stream-room-messages', 'GENERAL', 1);
    transport.event('stream-notify-room', 'GENERAL', 2); // other collection: not ours
    transport.event('stream-room-messages', 'other', 3);
    expect(seen).toEqual(['a:1', 'b:1', 'c:3']);
    stopA();
    stopA();
    expect(transport.subs[0]?.stopped).toBe(false);
    stopB();
    expect(transport.subs[0]?.stopped).toBe(true);
    expect(hub.size).toBe(1);
    stopC();
    expect(hub.size).toBe(0);
    hub.close();
  });

  it('subscribes again after timeToReset when the rate limit refused it, and drops that timer when the pair goes or the hub closes', () => {
    vi.useFakeTimers();
    try {
      const transport = new RecordingTransport();
      const hub = hubOver(transport);
      const ends: unknown[] = [];
      hub.listen('stream-room-messages', 'R1', { onEvent: () => undefined, onEnd: (error) => ends.push(error) });
      const stopR2 = hub.listen('stream-room-messages', 'R2', { onEvent: () => undefined });
      hub.listen('stream-room-messages', 'R3', { onEvent: () => undefined });
      const limited = (): DdpMethodError => new DdpMethodError('too-many-requests', 'Error, too many requests.', { timeToReset: 50 });
      for (const sub of transport.subs) sub.end(limited());
      expect(hub.size).toBe(0);
      expect(vi.getTimerCount()).toBe(3);
      stopR2(); // leaves while waiting: no retry for it
      expect(vi.getTimerCount()).toBe(2);
      vi.advanceTimersByTime(50);
      expect(transport.subs.map((sub) => sub.params[0])).toEqual(['R1', 'R2', 'R3', 'R1', 'R3']);
      expect(hub.size).toBe(2);
      expect(ends).toEqual([]);
      transport.subs[3]!.end(new DdpMethodError('too-many-requests', 'Error, too many requests.', {})); // no timeToReset: a second
      expect(vi.getTimerCount()).toBe(1);
      hub.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends every listener with the error when the server ends the subscription, and subscribes anew next time', () => {
    const transport = new RecordingTransport();
    const hub = hubOver(transport);
    const ends: unknown[] = [];
    hub.listen('stream-room-messages', 'GENERAL', { onEvent: () => {}, onEnd: (error) => ends.push(error) });
    hub.listen('stream-room-messages', 'GENERAL', { onEvent: () => {}, onEnd: (error) => ends.push(error) });
    const refusal = new Error('not-allowed');
    transport.subs[0]?.end(refusal);
    expect(ends).toEqual([refusal, refusal]);
    expect(hub.size).toBe(0);
    const heard: unknown[] = [];
    hub.listen('stream-room-messages', 'GENERAL', { onEvent: (args) => heard.push(args[0]) });
    expect(transport.subs).toHaveLength(2);
    transport.event('stream-room-messages', 'GENERAL', 1);
    hub.close();
    transport.event('stream-room-messages', 'GENERAL', 2); // after close: nobody hears it
    transport.subs[1]?.end(refusal); // nor of its end
    expect(heard).toEqual([1]);
    expect(ends).toEqual([refusal, refusal]);
  });
});

describe('StreamHub with many streams', () => {
  it('routes events and unsubscribes by stream and event name past a dozen pairs', () => {
    const transport = new RecordingTransport();
    const hub = hubOver(transport);
    const seen: string[] = [];
    const stops: (() => void)[] = [];
    for (let room = 0; room < 12; room++) {
      stops.push(hub.listen('stream-room-messages', `R${room}`, { onEvent: (args) => seen.push(`m${room}:${String(args[0])}`) }));
      stops.push(hub.listen('stream-notify-room', `R${room}`, { onEvent: (args) => seen.push(`n${room}:${String(args[0])}`) }));
    }
    expect(hub.size).toBe(24);
    transport.event('stream-room-messages', 'R0', 1);
    transport.event('stream-notify-room', 'R11', 2);
    transport.event('stream-notify-user', 'R5', 3); // no listener on that stream
    expect(seen).toEqual(['m0:1', 'n11:2']);
    stops[0]?.();
    expect(transport.subs[0]?.stopped).toBe(true);
    transport.event('stream-room-messages', 'R0', 4);
    transport.event('stream-notify-room', 'R0', 5);
    expect(seen).toEqual(['m0:1', 'n11:2', 'n0:5']);
    for (const stop of stops) stop();
    expect(hub.size).toBe(0);
    expect(transport.subs.every((sub) => sub.stopped)).toBe(true);
    hub.close();
  });
});

describe('MessageIterator', () => {
  it('buffers items until they are read and unsubscribes when the loop is left', async () => {
    let closed = 0;
    const iterator = new MessageIterator<number>('GENERAL', () => closed++);
    iterator.push(1);
    iterator.push(2);
    const seen: number[] = [];
    for await (const item of iterator) {
      seen.push(item);
      if (item === 2) queueMicrotask(() => iterator.push(3));
      if (item === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(closed).toBe(1);
    iterator.push(4);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('delivers buffered items, then the error that ended it, then done', async () => {
    const iterator = new MessageIterator<number>('GENERAL', () => {});
    iterator.push(1);
    const failure = new Error('nosub');
    iterator.end(failure);
    expect(await iterator.next()).toEqual({ value: 1, done: false });
    await expect(iterator.next()).rejects.toBe(failure);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('ends with StreamOverflowError rather than dropping items silently', async () => {
    let closed = 0;
    const iterator = new MessageIterator<number>('GENERAL', () => closed++, { bufferSize: 2 });
    iterator.push(1);
    iterator.push(2);
    iterator.push(3);
    expect(closed).toBe(1);
    expect((await iterator.next()).value).toBe(1);
    expect((await iterator.next()).value).toBe(2);
    await expect(iterator.next()).rejects.toBeInstanceOf(StreamOverflowError);
  });

  it('rejects a waiting next() with the abort reason and unsubscribes', async () => {
    let closed = 0;
    const controller = new AbortController();
    const iterator = new MessageIterator<number>('GENERAL', () => closed++, { signal: controller.signal });
    const pending = iterator.next();
    controller.abort(new Error('enough'));
    await expect(pending).rejects.toThrow('enough');
    expect(closed).toBe(1);
  });
});
