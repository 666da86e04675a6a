/**
 * The plain HTTP side of the fake server (same port as the WebSocket endpoint). Only
 * `GET /api/info` is served; everything else is a Rocket.Chat-style 404.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerCore } from './core.js';

/** The server version reported by `GET /api/info`. */
export const FAKE_SERVER_VERSION = '7.6.0';

/** Answers one HTTP request. */
export function handleHttpRequest(_core: ServerCore, request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && path === '/api/info') {
    reply(response, 200, { version: FAKE_SERVER_VERSION, success: true });
    return;
  }
  reply(response, 404, { success: false, error: 'Not found' });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
