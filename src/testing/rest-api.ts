/**
 * The fake server's REST API: `POST /api/v1/chat.sendMessage`, the REST call that takes a
 * client-chosen `_id`, on the same port as the WebSocket endpoint.
 *
 * It runs the steps of Rocket.Chat's REST layer in order: the `X-User-Id` / `X-Auth-Token`
 * check (401), the REST rate limit (429 with `x-ratelimit-*` headers; users with
 * `api-bypass-rate-limit` are not counted), the body schema (400 `error-invalid-params`),
 * the system-message check, then the very same {@link executeSendMessage} as the realtime
 * method, whose every failure becomes a 400 `{ success: false, error, errorType?, details? }`.
 * A duplicate `_id` stores nothing and, as on the real server (whose answer step then fails on
 * the missing message), is answered 400. Messages stored here go out on the room streams
 * like any other.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerCore } from './core.js';
import { MethodError } from './errors.js';
import { isPlainObject } from './handlers/common.js';
import { executeSendMessage, SYSTEM_TYPES } from './handlers/messages.js';
import { hasPermission } from './permissions.js';
import type { StoredUser } from './store.js';

/** The path of the endpoint. */
export const SEND_MESSAGE_PATH = '/api/v1/chat.sendMessage';

/** The largest request body read, in bytes; larger ones are answered 413. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** What the real server answers for a request without valid credentials. */
const NOT_LOGGED_IN = 'You must be logged in to do this.';

/**
 * What the real server answers for a duplicate `_id`: its send step returns nothing, and the
 * step that prepares the answer then fails on it.
 */
const DUPLICATE_ID_ERROR = "Cannot read properties of undefined (reading 'starred')";

/**
 * One REST request, as the `restRequest` / `restResponse` events and `restRequests` show it.
 * The auth token is not kept.
 */
export interface FakeRestRequest {
  /** `'POST'`, `'GET'`… */
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** The `X-User-Id` header (checked after `restRequest` fires). */
  readonly userId: string | undefined;
  /** The JSON body, when it was JSON (`undefined` otherwise). */
  readonly body: unknown;
  /** The HTTP status answered; `undefined` until then, and when the request was dropped first. */
  readonly status: number | undefined;
  /** `true` once {@link drop} was called. */
  readonly dropped: boolean;
  /**
   * Cuts the connection. From `restRequest`: the request is not handled. From
   * `restResponse`: the request was handled (a message stays stored) but its answer is lost.
   */
  drop(): void;
}

/** The mutable record behind a {@link FakeRestRequest}. */
export class RestExchange implements FakeRestRequest {
  readonly method: string;
  readonly path: string;
  readonly userId: string | undefined;
  readonly body: unknown;
  status: number | undefined;
  #dropped = false;
  readonly #request: IncomingMessage;

  constructor(request: IncomingMessage, path: string, body: unknown) {
    this.#request = request;
    this.method = request.method ?? 'GET';
    this.path = path;
    const userId = request.headers['x-user-id'];
    this.userId = typeof userId === 'string' ? userId : undefined;
    this.body = body;
  }

  get dropped(): boolean {
    return this.#dropped;
  }

  drop(): void {
    if (this.#dropped) return;
    this.#dropped = true;
    this.#request.socket.destroy();
  }
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Reads a request body up to {@link MAX_BODY_BYTES}; `undefined` when it was larger or cut. */
export async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > MAX_BODY_BYTES) return undefined;
      chunks.push(buffer);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Handles `POST /api/v1/chat.sendMessage`: reads the body, fires the hooks, answers (unless
 * a hook dropped the connection), records the exchange.
 */
export async function handleSendMessageRequest(core: ServerCore, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const text = await readBody(request);
  if (text === undefined) {
    if (!request.socket.destroyed) write(response, { status: 413, body: { success: false, error: 'request entity too large' } });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const exchange = new RestExchange(request, SEND_MESSAGE_PATH, body);
  emit(() => core.hooks.restRequest(exchange));
  if (exchange.dropped) {
    core.recordRest(exchange);
    return;
  }
  const answer = await sendMessage(core, request, body, text);
  exchange.status = answer.status;
  emit(() => core.hooks.restResponse(exchange, answer.status, answer.body));
  core.recordRest(exchange);
  if (!exchange.dropped && !response.destroyed) write(response, answer);
}

async function sendMessage(core: ServerCore, request: IncomingMessage, body: unknown, text: string): Promise<Answer> {
  const user = authenticate(core, request);
  if (user === undefined) {
    return { status: 401, body: { success: false, error: NOT_LOGGED_IN, status: 'error', message: NOT_LOGGED_IN } };
  }
  const rateHeaders: Record<string, string> = {};
  if (!hasPermission(user, 'api-bypass-rate-limit')) {
    const count = core.restRateLimit(`${request.socket.remoteAddress ?? ''} POST ${SEND_MESSAGE_PATH}`);
    if (count !== undefined) {
      rateHeaders['x-ratelimit-limit'] = String(count.limit);
      rateHeaders['x-ratelimit-remaining'] = String(count.remaining);
      rateHeaders['x-ratelimit-reset'] = String(count.resetAt);
      if (!count.allowed) {
        const seconds = Math.ceil(count.timeToReset / 1000);
        const error = `Error, too many requests. Please slow down. You must wait ${seconds} seconds before trying this endpoint again. [error-too-many-requests]`;
        return { status: 429, body: { success: false, error }, headers: rateHeaders };
      }
    }
  }
  const answer = await sendValidated(core, user, text === '' ? {} : body);
  return { ...answer, headers: rateHeaders };
}

/** The user of the `X-User-Id` / `X-Auth-Token` headers, when they name a valid login token of that user. */
function authenticate(core: ServerCore, request: IncomingMessage): StoredUser | undefined {
  const userId = request.headers['x-user-id'];
  const token = request.headers['x-auth-token'];
  if (typeof userId !== 'string' || typeof token !== 'string' || userId === '' || token === '') return undefined;
  const login = core.store.token(token);
  if (login === undefined || login.userId !== userId) return undefined;
  return core.store.user(userId);
}

async function sendValidated(core: ServerCore, user: StoredUser, body: unknown): Promise<Answer> {
  const problem = schemaProblem(body);
  if (problem !== undefined) {
    return { status: 400, body: { success: false, error: `${problem} [error-invalid-params]`, errorType: 'error-invalid-params' } };
  }
  const { message, previewUrls } = body as { message: Record<string, unknown>; previewUrls?: unknown };
  if (typeof message['t'] === 'string' && SYSTEM_TYPES.has(message['t'])) {
    return failure(new Error("Cannot send system messages using 'chat.sendMessage'"));
  }
  // JSON has no dates: the message time arrives as an ISO string (the real server would store
  // the string as it is; the fake keeps its store typed).
  if (typeof message['ts'] === 'string') {
    const ts = new Date(message['ts']);
    if (!Number.isNaN(ts.getTime())) message['ts'] = ts;
  }
  const previews = Array.isArray(previewUrls) ? previewUrls.filter((url): url is string => typeof url === 'string') : undefined;
  let sent: Record<string, unknown> | undefined;
  try {
    sent = await executeSendMessage(core, user._id, message, previews, 'rest');
  } catch (error) {
    return failure(error);
  }
  if (sent === undefined) return failure(new Error(DUPLICATE_ID_ERROR));
  return { status: 200, body: { message: sent, success: true } };
}

/** The REST API's answer to a thrown error: 400 `{ success: false, error, errorType?, details? }`. */
function failure(error: unknown): Answer {
  if (error instanceof MethodError) {
    const { object } = error;
    const body: Record<string, unknown> = { success: false, error: object.message, errorType: object.error };
    if (object.details !== undefined) body['details'] = object.details;
    return { status: 400, body };
  }
  return { status: 400, body: { success: false, error: error instanceof Error ? error.message : String(error) } };
}

const MESSAGE_PROPERTIES: Readonly<Record<string, 'string' | 'boolean' | 'object' | 'array'>> = {
  _id: 'string',
  rid: 'string',
  tmid: 'string',
  msg: 'string',
  alias: 'string',
  emoji: 'string',
  tshow: 'boolean',
  avatar: 'string',
  attachments: 'array',
  blocks: 'array',
  customFields: 'object',
};

/** The REST schema of the body (`{ message, previewUrls? }`, nothing else), as ajv words its first complaint. */
function schemaProblem(body: unknown): string | undefined {
  if (!isPlainObject(body)) return 'must be object';
  if (!Object.hasOwn(body, 'message')) return "must have required property 'message'";
  for (const key of Object.keys(body)) if (key !== 'message' && key !== 'previewUrls') return 'must NOT have additional properties';
  const { message, previewUrls } = body;
  if (!isPlainObject(message)) return 'must be object';
  for (const [key, type] of Object.entries(MESSAGE_PROPERTIES)) {
    const value = message[key];
    if (value === undefined || (value === null && key !== 'rid')) continue;
    if (type === 'array') {
      if (!Array.isArray(value)) return 'must be array';
      if (!value.every((item) => isPlainObject(item))) return 'must be object';
    } else if (type === 'object' ? !isPlainObject(value) : typeof value !== type) {
      return `must be ${type}`;
    }
  }
  if (previewUrls !== undefined && previewUrls !== null) {
    if (!Array.isArray(previewUrls)) return 'must be array';
    if (!previewUrls.every((url) => typeof url === 'string')) return 'must be string';
  }
  return undefined;
}

/** Runs a hook; a throwing listener is a bug in the test: reported without breaking the server. */
function emit(run: () => void): void {
  try {
    run();
  } catch (error) {
    setImmediate(() => {
      throw error;
    });
  }
}

/** Writes a JSON answer. */
export function write(response: ServerResponse, answer: Answer): void {
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...answer.headers,
  });
  response.end(text);
}
