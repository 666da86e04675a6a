/**
 * A test suite of your own, against the fake Rocket.Chat server: a real WebSocket server on
 * 127.0.0.1 that answers like Rocket.Chat, with hooks to break the connection where you want.
 *
 *     npx vitest run --config examples/testing/vitest.config.ts
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { RocketChatClient } from 'rocketchat-ddp';
import { FakeRocketChatServer } from 'rocketchat-ddp/testing';
import { startGreeter } from './greeter.js';

let server: FakeRocketChatServer;
let client: RocketChatClient;

beforeEach(async () => {
  server = await FakeRocketChatServer.start(); // a free port; the room GENERAL exists
  server.addUser({ username: 'greeter', password: 'secret' });
  server.addUser({ username: 'alice', password: 'alice' });
  // backoff: reconnect after 5 ms instead of the production schedule, so drops cost no time.
  client = new RocketChatClient({ url: server.url, backoff: () => 5 });
  await client.connect();
  await client.login({ username: 'greeter', password: 'secret' });
});

afterEach(async () => {
  await client.close();
  await server.close();
});

/** Polls `read` until it returns something (or fails after 5 s). */
async function eventually<T>(read: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${read.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Resolves once every frame the client sent so far has been handled: the server handles a
 * connection's frames in order, so when the answer to a later call is in, a subscription
 * made before it is live.
 */
async function settled(): Promise<void> {
  await client.getMessage('no-such-message');
}

function greetings(): string[] {
  return server.messages('GENERAL').filter((message) => message.u.username === 'greeter').map((message) => message.msg);
}

it('greets someone who says hello, and nobody else', async () => {
  startGreeter(client, 'GENERAL');
  await settled();
  server.postMessage({ rid: 'GENERAL', username: 'alice', msg: 'what time is it?' });
  server.postMessage({ rid: 'GENERAL', username: 'alice', msg: 'hello everyone' });
  await eventually(() => greetings().length === 1);
  await settled();
  // Its own "Hello, @alice!" came back on the stream too, and was not answered.
  expect(greetings()).toEqual(['Hello, @alice!']);
});

it('greets exactly once when the connection drops before the answer arrives', async () => {
  // Fault injection: cut the socket just as the server is about to answer the first
  // sendMessage. The message is stored, but the client never hears so: it reconnects,
  // logs in again, and resends the call with the same message _id.
  const sendCalls: string[] = [];
  let dropped = false;
  server.on('clientFrame', (frame) => {
    if (frame.msg === 'method' && frame.method === 'sendMessage') sendCalls.push(frame.id);
  });
  server.on('serverFrame', (frame, connection) => {
    if (!dropped && frame.msg === 'result' && frame.id === sendCalls[0]) {
      dropped = true;
      connection.drop(); // the result is not sent
    }
  });
  startGreeter(client, 'GENERAL');
  await settled();
  server.postMessage({ rid: 'GENERAL', username: 'alice', msg: 'hi' });
  await eventually(() => dropped && sendCalls.length === 2); // the resend, on the new connection
  await settled();
  expect(greetings()).toEqual(['Hello, @alice!']);
  expect(server.connections).toHaveLength(1);
});

it('keeps greeting after the server drops every connection', async () => {
  startGreeter(client, 'GENERAL');
  await settled();
  server.dropAllConnections();
  await eventually(() => client.status === 'connected' && server.connections[0]?.userId !== undefined);
  await settled(); // the room subscription is renewed after the automatic login
  server.postMessage({ rid: 'GENERAL', username: 'alice', msg: 'hello again' });
  await eventually(() => greetings().length === 1);
});
