/**
 * The plain HTTP side of the fake server (same port as the WebSocket endpoint):
 * `GET /api/info` and the REST API's `POST /api/v1/chat.sendMessage` (see `rest-api.ts`);
 * everything else is a Rocket.Chat-style 404.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerCore } from './core.js';
import { handleSendMessageRequest, SEND_MESSAGE_PATH, write } from './rest-api.js';

/** The server version reported by `GET /api/info`. */
export const FAKE_SERVER_VERSION = '7.6.0';

/** Answers one HTTP request. */
export function handleHttpRequest(core: ServerCore, request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && path === '/api/info') {
    write(response, { status: 200, body: { version: FAKE_SERVER_VERSION, success: true } });
    return;
  }
  if (request.method === 'POST' && path === SEND_MESSAGE_PATH) {
    handleSendMessageRequest(core, request, response).catch(() => {
      if (!response.headersSent && !response.destroyed) write(response, { status: 500, body: { success: false, error: 'Internal server error' } });
    });
    return;
  }
  write(response, { status: 404, body: { success: false, error: 'Not found' } });
}
