import { afterEach, describe, expect, it } from 'vitest';
import { DdpClosedError, DdpLimitError, DdpMethodError } from '../../src/ddp/errors.js';
import { METEOR_ID_ALPHABET } from '../../src/ddp/random-id.js';
import { leftovers, settled, waitFor } from '../helpers.js';
import { connectedPair, makeClient, roundTrip, startServer } from './support.js';

afterEach(() => leftovers.disposeAll());

function rejection(outcome: Awaited<ReturnType<typeof settled>>): unknown {
  expect(outcome.status).toBe('rejected');
  return (outcome as { reason: unknown }).reason;
}

describe('subscriptions', () => {
  it('sends {"msg":"sub","id","name","params":[]} with a random Meteor id and params defaulting to []', async () => {
    const { client, connection } = await connectedPair();
    const subscription = client.subscribe('my_data');
    expect(subscription.id).toHaveLength(17);
    expect([...subscription.id].every((char) => METEOR_ID_ALPHABET.includes(char))).toBe(true);
    expect(subscription.name).toBe('my_data');
    expect(subscription.params).toEqual([]);
    await connection.waitForFrame('sub');
    expect(connection.receivedText.at(-1)).toBe(`{"msg":"sub","id":"${subscription.id}","name":"my_data","params":[]}`);
    const other = client.subscribe('stream-room-messages', ['GENERAL', { useCollection: false, args: [] }]);
    expect(other.id).not.toBe(subscription.id);
    const frame = await connection.waitForFrame('sub', { nth: 1 });
    expect(frame).toEqual({
      msg: 'sub',
      id: other.id,
      name: 'stream-room-messages',
      params: ['GENERAL', { useCollection: false, args: [] }],
    });
  });

  it('resolves ready() of every subscription named by one ready frame', async () => {
    const { client, connection } = await connectedPair();
    const first = client.subscribe('a');
    const second = client.subscribe('b');
    const third = client.subscribe('c');
    await connection.waitForFrame('sub', { nth: 2 });
    connection.send({ msg: 'ready', subs: [first.id, second.id, 'unknown'] });
    await Promise.all([first.ready(), second.ready()]);
    connection.send({ msg: 'ready', subs: [third.id] });
    await third.ready();
  });

  it('rejects ready() on nosub with an error, tells onStop, and does not renew the subscription', async () => {
    const { server, client, connection } = await connectedPair();
    const refused = client.subscribe('no-such-pub');
    const kept = client.subscribe('kept');
    const stops: (Error | undefined)[] = [];
    refused.onStop((error) => stops.push(error));
    await connection.waitForFrame('sub', { nth: 1 });
    connection.send({
      msg: 'nosub',
      id: refused.id,
      error: { isClientSafe: true, error: 404, reason: "Subscription 'no-such-pub' not found", errorType: 'Meteor.Error' },
    });
    const error = rejection(await settled(refused.ready()));
    expect(error).toBeInstanceOf(DdpMethodError);
    expect((error as DdpMethodError).error).toBe(404);
    expect((error as DdpMethodError).reason).toBe("Subscription 'no-such-pub' not found");
    expect((error as Error).message).toBe("no-such-pub: Subscription 'no-such-pub' not found [404]");
    expect(stops).toEqual([error]);
    connection.drop(1006);
    const second = await server.waitForConnection(2);
    await second.waitForFrame('sub');
    await roundTrip(second);
    expect(second.frames('sub').map((frame) => frame['id'])).toEqual([kept.id]);
    refused.stop();
    await roundTrip(second);
    expect(second.frames('unsub')).toEqual([]);
  });

  it('ends a subscription on nosub without an error: onStop gets nothing, a pending ready() rejects', async () => {
    const { client, connection } = await connectedPair();
    const subscription = client.subscribe('s');
    const stops: unknown[] = [];
    subscription.onStop((...args) => stops.push(args));
    await connection.waitForFrame('sub');
    connection.send({ msg: 'nosub', id: subscription.id });
    expect(rejection(await settled(subscription.ready()))).toBeInstanceOf(DdpClosedError);
    expect(stops).toEqual([[]]);
  });

  it('keeps ready() resolved after a ready subscription ends, whenever ready() is first asked', async () => {
    const { client, connection } = await connectedPair();
    const asked = client.subscribe('asked');
    const askedReady = asked.ready();
    const notAsked = client.subscribe('not-asked');
    await connection.waitForFrame('sub', { nth: 1 });
    connection.send({ msg: 'ready', subs: [asked.id, notAsked.id] });
    await askedReady;
    await roundTrip(connection);
    asked.stop();
    notAsked.stop();
    expect(await settled(asked.ready())).toEqual({ status: 'fulfilled', value: undefined });
    expect(await settled(notAsked.ready())).toEqual({ status: 'fulfilled', value: undefined });
  });

  it('rejects ready() asked only after a subscription ended before it was ready, and every time the same way', async () => {
    const { client, connection } = await connectedPair();
    const subscription = client.subscribe('s');
    await connection.waitForFrame('sub');
    subscription.stop();
    const first = subscription.ready();
    expect(rejection(await settled(first))).toBeInstanceOf(DdpClosedError);
    expect(subscription.ready()).toBe(first);
  });

  it('stop() sends exactly one unsub, does not wait for nosub, and a second stop() does nothing', async () => {
    const { client, connection } = await connectedPair({ autoReady: true });
    const subscription = client.subscribe('s');
    await subscription.ready();
    const stops: unknown[] = [];
    subscription.onStop((...args) => stops.push(args));
    subscription.stop();
    expect(stops).toEqual([[]]);
    subscription.stop();
    await connection.waitForFrame('unsub');
    await roundTrip(connection);
    expect(connection.frames('unsub')).toEqual([{ msg: 'unsub', id: subscription.id }]);
    expect(stops).toEqual([[]]);
    connection.send({ msg: 'nosub', id: subscription.id });
    await roundTrip(connection);
    expect(stops).toEqual([[]]);
  });

  it('keeps sub before unsub on the wire when stopped right after subscribing', async () => {
    const { client, connection } = await connectedPair();
    const subscription = client.subscribe('quick');
    subscription.stop();
    await connection.waitForFrame('unsub');
    expect(connection.msgs()).toEqual(['connect', 'sub', 'unsub']);
    expect(rejection(await settled(subscription.ready()))).toBeInstanceOf(DdpClosedError);
  });

  it('sends subscriptions made before connect() after the connect frame, and never one stopped before', async () => {
    const server = await startServer({ autoReady: true });
    const client = makeClient(server.url);
    const early = client.subscribe('early', [1]);
    const dropped = client.subscribe('dropped');
    dropped.stop();
    await client.connect();
    await early.ready();
    expect(server.last!.msgs()).toEqual(['connect', 'sub']);
    expect(server.last!.frames('sub')[0]).toEqual({ msg: 'sub', id: early.id, name: 'early', params: [1] });
  });

  it('calls an onStop listener added after the end on the next microtask, and honours removal', async () => {
    const { client } = await connectedPair();
    const subscription = client.subscribe('s');
    const removed: unknown[] = [];
    const remove = subscription.onStop(() => removed.push('called'));
    remove();
    subscription.stop();
    expect(removed).toEqual([]);
    const late = await new Promise((resolve) => subscription.onStop((error) => resolve(error ?? 'no error')));
    expect(late).toBe('no error');
  });

  it('gives params back as they were encoded: EJSON values restored, later changes to the array not seen', async () => {
    const { client } = await connectedPair();
    const since = new Date(Date.UTC(2026, 10, 22));
    const params: unknown[] = ['GENERAL', { since, limit: 5, bytes: new Uint8Array([1, 2]) }];
    const subscription = client.subscribe('history', params);
    params.push('added later');
    (params[1] as { limit: number }).limit = 6;
    expect(subscription.params).toEqual(['GENERAL', { since, limit: 5, bytes: new Uint8Array([1, 2]) }]);
    expect((subscription.params[1] as { since: unknown }).since).toBeInstanceOf(Date);
    expect(subscription.params).toBe(subscription.params);
    expect(Object.isFrozen(subscription.params)).toBe(true);
  });

  it('calls each onStop listener once, in the order added, whatever was added and removed before', async () => {
    const { client } = await connectedPair();
    const subscription = client.subscribe('s');
    const calls: string[] = [];
    const first = (): number => calls.push('first');
    subscription.onStop(first);
    subscription.onStop(first); // the same listener again: still called once
    const removeSecond = subscription.onStop(() => calls.push('second'));
    subscription.onStop(() => calls.push('third'));
    removeSecond();
    removeSecond();
    const removeFourth = subscription.onStop(() => calls.push('fourth'));
    subscription.stop();
    removeFourth(); // too late to matter, and harmless
    expect(calls).toEqual(['first', 'third', 'fourth']);
    const only = client.subscribe('t');
    const removeOnly = only.onStop(() => calls.push('only'));
    removeOnly();
    only.onStop(() => calls.push('after removal'));
    only.stop();
    expect(calls.slice(3)).toEqual(['after removal']);
  });

  it('reports an onStop listener that throws and still calls the others', async () => {
    const warnings: unknown[] = [];
    const { client } = await connectedPair({}, { logger: { debug: () => undefined, warn: (...args) => warnings.push(args) } });
    const subscription = client.subscribe('s');
    const calls: string[] = [];
    subscription.onStop(() => {
      throw new Error('listener bug');
    });
    subscription.onStop(() => calls.push('second'));
    subscription.stop();
    expect(calls).toEqual(['second']);
    expect(warnings).toEqual([['a subscription stop listener threw', { error: 'listener bug' }]]);
  });

  it('refuses a sub frame over maxFrameBytes with DdpLimitError', async () => {
    const { client } = await connectedPair({}, { maxFrameBytes: 100 });
    expect(() => client.subscribe('big', ['x'.repeat(200)])).toThrow(DdpLimitError);
    expect(() => client.subscribe(5 as unknown as string)).toThrow(TypeError);
  });

  it('emits added, changed and removed for every data frame, and message for every frame', async () => {
    const { client, connection } = await connectedPair();
    const seen: string[] = [];
    client.on('added', (frame) => seen.push(`added ${frame.id}`));
    client.on('changed', (frame) => seen.push(`changed ${frame.id} ${JSON.stringify(frame.fields)}`));
    client.on('removed', (frame) => seen.push(`removed ${frame.id}`));
    client.on('message', (frame) => seen.push(`message ${frame.msg}`));
    connection.send(
      { msg: 'added', collection: 'users', id: 'u1', fields: { username: 'bot' } },
      { msg: 'changed', collection: 'stream-room-messages', id: 'id', fields: { eventName: 'GENERAL', args: [{ ts: { $date: 0 } }] } },
      { msg: 'changed', collection: 'stream-room-messages', id: 'id', fields: { eventName: 'GENERAL', args: [] } },
      { msg: 'removed', collection: 'users', id: 'u1' },
    );
    await waitFor(() => seen.length === 8);
    expect(seen).toEqual([
      'message added',
      'added u1',
      'message changed',
      'changed id {"eventName":"GENERAL","args":[{"ts":"1970-01-01T00:00:00.000Z"}]}',
      'message changed',
      'changed id {"eventName":"GENERAL","args":[]}',
      'message removed',
      'removed u1',
    ]);
  });

  it('keeps going when a data listener throws', async () => {
    const warnings: unknown[] = [];
    const { client, connection } = await connectedPair({ methods: { ok: () => 'ok' } }, { logger: { debug: () => undefined, warn: (...args) => warnings.push(args) } });
    client.on('changed', () => {
      throw new Error('listener bug');
    });
    connection.send({ msg: 'changed', collection: 'c', id: 'x' });
    expect(await client.call('ok')).toBe('ok');
    expect(warnings).toContainEqual(['a "changed" listener threw', { error: 'listener bug' }]);
  });
});
