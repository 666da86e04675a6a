import { afterEach, describe, expect, it } from 'vitest';
import { DdpClient, type DdpClientOptions, type DdpSession } from '../../src/ddp/client.js';
import { DdpMethodError } from '../../src/ddp/errors.js';
import type { AddedFrame, ChangedFrame, RemovedFrame } from '../../src/ddp/protocol.js';
import type { Subscription } from '../../src/ddp/subscriptions.js';
import { leftovers, waitFor } from '../helpers.js';
import { roundTrip, startServer } from './support.js';

afterEach(() => leftovers.disposeAll());

/** A class built on DdpClient that records what its hooks see, in order with the events. */
class HookedClient extends DdpClient {
  readonly seen: string[] = [];
  readonly ended: { subscription: Subscription; error: Error | undefined }[] = [];
  throwOnDocument = false;

  protected override async setUpSession(session: DdpSession): Promise<void> {
    this.seen.push(`setup ${String(await session.call('whoami'))}`);
  }

  protected override documentReceived(frame: AddedFrame | ChangedFrame | RemovedFrame): void {
    this.seen.push(`hook ${frame.msg} ${frame.id}`);
    if (this.throwOnDocument) throw new Error('hook failed');
  }

  protected override subscriptionEnded(subscription: Subscription, error: Error | undefined): void {
    this.seen.push(`ended ${subscription.name}`);
    this.ended.push({ subscription, error });
  }
}

function hooked(url: string, options: Partial<DdpClientOptions> = {}): HookedClient {
  return leftovers.track(new HookedClient({ url, backoff: () => 5, heartbeat: false, ...options }));
}

describe('hooks for a class built on DdpClient', () => {
  it('runs setUpSession first on every session, before the registered setups and the gated subscriptions', async () => {
    const server = await startServer({ autoReady: true });
    server.method('whoami', () => 'me');
    const client = hooked(server.url);
    client.addSessionSetup(() => {
      client.seen.push('registered setup');
    });
    const sub = client.subscribe('alpha');
    await client.connect();
    await sub.ready();
    expect(client.seen).toEqual(['setup me', 'registered setup']);
    const first = await server.waitForConnection(1);
    expect(first.msgs()).toEqual(['connect', 'method', 'sub']);
    first.drop(1006);
    const second = await server.waitForConnection(2);
    await second.waitForFrame('sub');
    expect(client.seen).toEqual(['setup me', 'registered setup', 'setup me', 'registered setup']);
    expect(second.msgs()).toEqual(['connect', 'method', 'sub']);
  });

  it('hands every added, changed and removed frame to documentReceived before its event, and survives a hook that throws', async () => {
    const server = await startServer();
    server.method('whoami', () => 'me');
    const warnings: string[] = [];
    const client = hooked(server.url, { logger: { debug: () => undefined, warn: (message) => warnings.push(message) } });
    for (const event of ['added', 'changed', 'removed'] as const) client.on(event, (frame) => client.seen.push(`event ${frame.msg} ${frame.id}`));
    await client.connect();
    const connection = await server.waitForConnection(1);
    await waitFor(() => client.seen.includes('setup me'));
    connection.send(
      { msg: 'added', collection: 'users', id: 'u1', fields: { username: 'bot' } },
      { msg: 'changed', collection: 'users', id: 'u1', fields: { status: 'online' } },
      { msg: 'removed', collection: 'users', id: 'u1' },
    );
    await roundTrip(connection);
    expect(client.seen.slice(1)).toEqual(['hook added u1', 'event added u1', 'hook changed u1', 'event changed u1', 'hook removed u1', 'event removed u1']);
    client.throwOnDocument = true;
    connection.send({ msg: 'added', collection: 'users', id: 'u2', fields: {} });
    await roundTrip(connection);
    expect(client.seen.slice(-2)).toEqual(['hook added u2', 'event added u2']);
    expect(warnings).toContain('a "added" listener threw');
    expect(client.status).toBe('connected');
  });

  it('calls subscriptionEnded once for every subscription that ends, after its onStop listeners, with the same error', async () => {
    const server = await startServer({ autoReady: true });
    server.method('whoami', () => 'me');
    const client = hooked(server.url);
    await client.connect();
    const connection = await server.waitForConnection(1);
    const stopped = client.subscribe('stopped');
    const refused = client.subscribe('refused');
    const onStop: string[] = [];
    refused.onStop(() => {
      onStop.push('refused');
      client.seen.push('onStop refused');
    });
    await Promise.all([stopped.ready(), refused.ready()]);
    stopped.stop();
    stopped.stop();
    connection.send({ msg: 'nosub', id: refused.id, error: { error: 'not-allowed', reason: 'Not allowed' } });
    await waitFor(() => client.ended.length === 2);
    expect(client.ended.map(({ subscription }) => subscription)).toEqual([stopped, refused]);
    expect(client.ended[0]?.error).toBeUndefined();
    expect(client.ended[1]?.error).toBeInstanceOf(DdpMethodError);
    expect(client.seen.slice(-2)).toEqual(['onStop refused', 'ended refused']);
    const open = client.subscribe('open');
    await client.close();
    expect(client.ended.map(({ subscription }) => subscription)).toEqual([stopped, refused, open]);
    expect(onStop).toEqual(['refused']);
  });
});
