/**
 * A minimal DDP server, as fast as a DDP server can be, so that it is never what a client
 * benchmark measures. It answers:
 *
 * - `connect` → `connected`; `ping` → `pong`;
 * - `login` (any credentials) → `result` with `{ id, token, tokenExpires: {$date}, type }`, then `updated`;
 * - `sendMessage` → `updated`, then a `result` built for this call, shaped like the recorded
 *   `sendMessage-result` frame (its `_id`, `rid` and `msg` from the call, `ts` and `_updatedAt` as `$date`s);
 * - any other method → `updated` and an empty `result`; `sub` → `ready`; `unsub` → `nosub`.
 *
 * Run as a child process (see `lib/child.ts`): it listens on 127.0.0.1, port 0, and reports
 * `{ url }` when ready. It never pings: client heartbeats are the clients' business.
 */
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { serverMain } from '../lib/child.js';
import { loginResult, sendMessageResult, TOKEN, USER_ID } from '../lib/frames.js';

let sessions = 0;
let methods = 0;
let frames = 0;

function handle(socket: WebSocket, data: RawData): void {
  frames++;
  let frame: { msg?: unknown; id?: unknown; method?: unknown; params?: unknown };
  try {
    frame = JSON.parse(data.toString()) as typeof frame;
  } catch {
    socket.send('{"msg":"error","reason":"Bad request"}');
    return;
  }
  const id = typeof frame.id === 'string' ? frame.id : '';
  const quotedId = JSON.stringify(id);
  switch (frame.msg) {
    case 'connect':
      sessions++;
      socket.send(`{"msg":"connected","session":"S${String(sessions).padStart(16, '0')}"}`);
      return;
    case 'ping':
      socket.send(frame.id === undefined ? '{"msg":"pong"}' : `{"msg":"pong","id":${quotedId}}`);
      return;
    case 'pong':
      return;
    case 'sub':
      socket.send(`{"msg":"ready","subs":[${quotedId}]}`);
      return;
    case 'unsub':
      socket.send(`{"msg":"nosub","id":${quotedId}}`);
      return;
    case 'method': {
      methods++;
      const params = Array.isArray(frame.params) ? (frame.params as unknown[]) : [];
      switch (frame.method) {
        case 'sendMessage': {
          const message = (params[0] ?? {}) as { _id?: unknown; rid?: unknown; msg?: unknown };
          socket.send(`{"msg":"updated","methods":[${quotedId}]}`);
          socket.send(sendMessageResult(id, message, Date.now()));
          return;
        }
        case 'login':
          socket.send(loginResult(id, Date.now()));
          socket.send(`{"msg":"updated","methods":[${quotedId}]}`);
          return;
        default:
          socket.send(`{"msg":"updated","methods":[${quotedId}]}`);
          socket.send(`{"msg":"result","id":${quotedId}}`);
          return;
      }
    }
    default:
      socket.send('{"msg":"error","reason":"Bad request"}');
  }
}

serverMain(async () => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: true });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('connection', (socket) => {
    socket.on('message', (data) => handle(socket, data));
    socket.on('error', () => socket.terminate());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected pipe address');
  return {
    info: { url: `ws://127.0.0.1:${address.port}/websocket`, token: TOKEN, userId: USER_ID },
    stats: () => ({ sessions, methods, frames, open: server.clients.size }),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
});
