/**
 * The REST side of `sendMessage`: `POST <server>/api/v1/chat.sendMessage`, the one REST call
 * that, like the realtime method, takes a client-chosen `_id`. Rocket.Chat ≥ 7.1 refuses
 * `attachments`, `blocks`, `alias`, `emoji` and `avatar` over the WebSocket, so such a
 * message travels here, with the realtime login's credentials (`X-User-Id`, `X-Auth-Token`).
 *
 * Built on the platform's `fetch` (or one the caller injects). This module sends one message
 * and sorts the server's answer into what the client does next:
 *
 * | answer | outcome |
 * | --- | --- |
 * | 200 `{ message, success: true }` | `sent`: the stored message (dates as ISO strings) |
 * | 400 `error-not-allowed`, `error-invalid-params` / `invalid-params`, `restricted-workspace` | throws {@link DdpMethodError} with that code (the realtime method reports these too) |
 * | any other 400 `{ success: false, error, errorType? }` | `refused`: the client confirms with `getSingleMessage` (a duplicate `_id` is refused this way), then rejects with `MessageNotDeliveredError` |
 * | 401 | throws {@link DdpMethodError} `401` (the login's token is not valid any more) |
 * | 429 (`x-ratelimit-reset`) | throws {@link RateLimitedError} (`error-too-many-requests`), retried by the pacer |
 * | other 4xx | throws {@link DdpMethodError} with the HTTP status as code |
 * | 5xx, a network failure, an unreadable 200 | resent at once with the same `_id`, up to 3 attempts; then `lost` |
 *
 * The auth token goes in a header and nowhere else: no error message, cause or log line
 * holds it. With a logger, each attempt is logged at `debug` (`rest request` with the body
 * and the headers, the token `[redacted]`; `rest response` with the status and the answer),
 * and an attempt whose answer was lost at `warn`.
 *
 * @module
 */
import { unwatchAbort, watchAbort } from '../ddp/abort-watch.js';
import type { AbortWatcher } from '../ddp/abort-watch.js';
import { FIRST_RETRIES_DELAY_MS } from '../ddp/backoff.js';
import type { DdpLogger } from '../ddp/client.js';
import { DdpClosedError, DdpConnectionError, DdpError, DdpMethodError, DdpTimeoutError } from '../ddp/errors.js';
import { REDACTED } from '../ddp/redact.js';
import { describeUrl } from '../ddp/url.js';
import { InvalidMessageError, RateLimitedError, RocketChatErrorCode } from './errors.js';
import { sleep } from './rate-limit.js';

/** The REST method's name, as errors name it. */
export const REST_SEND_MESSAGE = 'chat.sendMessage';

/** How many times one message is posted when the answers are lost (the first try included). */
export const REST_MAX_ATTEMPTS = 3;

/** 400 codes the realtime method reports as errors too: they reject the call as they are. */
const VISIBLE_REFUSALS: ReadonlySet<string | number> = new Set([
  RocketChatErrorCode.NotAllowed,
  RocketChatErrorCode.InvalidParams,
  'invalid-params',
  'restricted-workspace',
]);

/** The server's text when a user without `message-impersonate` sends `alias` or `avatar`. */
const NOT_ENOUGH_PERMISSION = 'Not enough permission';

/** The REST credentials: the realtime login's user id and token. */
export interface RestCredentials {
  /** Sent as `X-User-Id`. */
  readonly userId: string;
  /** Secret: sent as `X-Auth-Token`, never put in an error. */
  readonly token: string;
}

/** Options of {@link RestTransport.sendMessage}. */
export interface RestSendOptions {
  /** The realtime login's user id and token. */
  readonly credentials: RestCredentials;
  /** The URLs of the text the server may unfurl (see `SendMessageOptions.previewUrls`). */
  readonly previewUrls?: readonly string[] | undefined;
  /** The caller's signal: aborting rejects with its reason. */
  readonly signal?: AbortSignal | undefined;
  /** Time allowed for the whole send (every attempt), in ms; 0 = none. */
  readonly timeoutMs: number;
  /** Aborted when the client closes: the send rejects with `DdpClosedError`. */
  readonly closed: AbortSignal;
}

/** How a REST send ended, when it did not throw. */
export type RestSendOutcome =
  /** The server stored it: the message as the server answered (dates are ISO strings). */
  | { readonly kind: 'sent'; readonly message: unknown }
  /**
   * The server refused it (400) in a way the realtime method would have swallowed, or because
   * the `_id` is taken: the client confirms with `getSingleMessage`.
   */
  | { readonly kind: 'refused'; readonly refusal: DdpMethodError; readonly hint?: string }
  /** No usable answer after {@link REST_MAX_ATTEMPTS} attempts; `error` says why. */
  | { readonly kind: 'lost'; readonly error: Error };

/**
 * The REST base URL for a DDP URL: `wss://host/websocket` → `https://host`,
 * `ws://host:3000/chat/websocket` → `http://host:3000/chat` (the query is dropped).
 */
export function restBaseUrl(ddpUrl: string): string {
  const parsed = new URL(ddpUrl);
  parsed.protocol = parsed.protocol === 'wss:' || parsed.protocol === 'https:' ? 'https:' : 'http:';
  parsed.pathname = parsed.pathname.replace(/\/(sockjs\/)?websocket\/?$/, '');
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString().replace(/\/+$/, '');
}

/**
 * Checks and normalizes a `restUrl` option: an absolute `http(s)://` URL, without a trailing
 * slash.
 * @throws {TypeError} for anything else
 */
export function normalizeRestUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url).trim());
  } catch {
    throw new TypeError(`invalid restUrl ${JSON.stringify(url)}: expected an absolute http(s):// URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`unsupported scheme "${parsed.protocol}" in restUrl: use http:// or https://`);
  }
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString().replace(/\/+$/, '');
}

/** Options of {@link RestTransport}. */
export interface RestTransportOptions {
  /** The server's base URL, `https://host` (see {@link restBaseUrl}). */
  readonly baseUrl: string;
  /** The `fetch` to use. @default globalThis.fetch */
  readonly fetch?: typeof fetch | undefined;
  /** Where requests and answers are logged (the client's `logger`). */
  readonly logger?: DdpLogger | undefined;
}

type ResponseBody = Record<string, unknown>;

/** Sends messages over Rocket.Chat's REST API. Holds no timer or socket between sends. */
export class RestTransport {
  readonly #endpoint: string;
  readonly #fetch: typeof fetch | undefined;
  readonly #logger: DdpLogger | undefined;

  constructor(options: RestTransportOptions) {
    this.#endpoint = `${options.baseUrl}/api/v1/${REST_SEND_MESSAGE}`;
    this.#fetch = options.fetch;
    this.#logger = options.logger;
  }

  /** Logs through the client's logger, if any; a logger that throws never breaks a send. */
  #log(level: 'debug' | 'warn', message: string, data: Record<string, unknown>): void {
    const logger = this.#logger;
    if (logger === undefined) return;
    try {
      logger[level](message, data);
    } catch {
      // A logger never breaks the client.
    }
  }

  /** Where messages are posted (no credentials in it). */
  get endpoint(): string {
    return this.#endpoint;
  }

  /**
   * Posts `message` (with its `_id` already set), resending it up to
   * {@link REST_MAX_ATTEMPTS} times while answers are lost.
   *
   * @throws {DdpMethodError} a refusal the realtime method would report too, or 401/403/404
   * @throws {RateLimitedError} HTTP 429
   * @throws {DdpTimeoutError} `timeoutMs` elapsed; {@link DdpClosedError} the client closed;
   *   the signal's reason when aborted
   * @throws {InvalidMessageError} the message cannot be written as JSON (nothing sent)
   */
  async sendMessage(message: Readonly<Record<string, unknown>>, options: RestSendOptions): Promise<RestSendOutcome> {
    const fetchFn = this.#fetch ?? (globalThis.fetch as typeof fetch | undefined);
    if (typeof fetchFn !== 'function') {
      throw new DdpError(`${REST_SEND_MESSAGE}: no fetch function is available to send this message over REST; pass the fetch option`);
    }
    let body: string;
    try {
      body = JSON.stringify(options.previewUrls === undefined ? { message } : { message, previewUrls: [...options.previewUrls] });
    } catch (error) {
      throw new InvalidMessageError('message', `sendMessage: the message cannot be written as JSON (${describeError(error)})`);
    }
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-user-id': options.credentials.userId,
      'x-auth-token': options.credentials.token,
    };
    return withDeadline(options, async (signal) => {
      let lost: Error = new DdpConnectionError('invocation-failed', `${REST_SEND_MESSAGE}: no answer`);
      for (let attempt = 1; attempt <= REST_MAX_ATTEMPTS; attempt++) {
        if (attempt > 1) await sleep(FIRST_RETRIES_DELAY_MS, signal);
        let status: number;
        let answer: ResponseBody | undefined;
        let response: Response;
        if (this.#logger !== undefined) {
          this.#log('debug', 'rest request', {
            method: 'POST',
            url: describeUrl(this.#endpoint),
            attempt,
            headers: { ...headers, 'x-auth-token': REDACTED },
            body: JSON.parse(body) as unknown,
          });
        }
        try {
          response = await fetchFn.call(globalThis, this.#endpoint, { method: 'POST', headers, body, signal });
          status = response.status;
          answer = parseBody(await response.text());
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          lost = new DdpConnectionError(
            'invocation-failed',
            `${REST_SEND_MESSAGE}: no answer from ${describeUrl(this.#endpoint)} (${describeError(error)})`,
            { cause: error },
          );
          this.#log('warn', 'rest request lost', { url: describeUrl(this.#endpoint), attempt, error: lost.message });
          continue;
        }
        this.#log('debug', 'rest response', { url: describeUrl(this.#endpoint), attempt, status, body: answer });
        const outcome = this.#sortAnswer(status, answer, response.headers, message);
        if (outcome.kind !== 'lost') return outcome;
        lost = outcome.error;
        this.#log('warn', 'rest request lost', { url: describeUrl(this.#endpoint), attempt, error: lost.message });
      }
      return { kind: 'lost', error: lost };
    });
  }

  /** What one HTTP answer means (see the table in the module notes). */
  #sortAnswer(status: number, body: ResponseBody | undefined, headers: Headers, message: Readonly<Record<string, unknown>>): RestSendOutcome {
    const text = errorText(body);
    if (status === 200) {
      if (body?.['success'] === true && typeof body['message'] === 'object' && body['message'] !== null) {
        return { kind: 'sent', message: body['message'] };
      }
      return { kind: 'lost', error: new DdpConnectionError('invocation-failed', `${REST_SEND_MESSAGE}: the server answered 200 without the stored message`) };
    }
    if (status === 400) {
      const refusal = refusalOf(body, text);
      if (VISIBLE_REFUSALS.has(refusal.error)) throw refusal;
      const hint = impersonationHint(refusal, message);
      return hint === undefined ? { kind: 'refused', refusal } : { kind: 'refused', refusal, hint };
    }
    if (status === 429) throw rateLimited(headers, text);
    if (status >= 500) {
      return { kind: 'lost', error: new DdpMethodError(status, text ?? `HTTP ${status}`, { status }, { method: REST_SEND_MESSAGE }) };
    }
    if (status === 401) {
      const reason = (typeof body?.['message'] === 'string' ? body['message'] : text) ?? 'unauthorized';
      throw new DdpMethodError(RocketChatErrorCode.Unauthorized, reason, { status }, { method: REST_SEND_MESSAGE });
    }
    if (status === 404) {
      throw new DdpMethodError(404, `no REST endpoint at ${describeUrl(this.#endpoint)} (check the restUrl option)`, { status }, { method: REST_SEND_MESSAGE });
    }
    throw new DdpMethodError(status, text ?? `HTTP ${status}`, { status }, { method: REST_SEND_MESSAGE });
  }
}

function parseBody(text: string): ResponseBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ResponseBody) : undefined;
  } catch {
    return undefined;
  }
}

function errorText(body: ResponseBody | undefined): string | undefined {
  const error = body?.['error'];
  return typeof error === 'string' && error !== '' ? error : undefined;
}

/**
 * A 400 answer as a {@link DdpMethodError}. The code is the server's `errorType` when it sent
 * one (a Meteor error: its `error` text ends with ` [<code>]`, cut off for `reason`); else
 * the `error` text itself when it is a code (`error-invalid-room`, `You_have_been_muted`);
 * else `400`, with the text as `reason`.
 */
export function refusalOf(body: ResponseBody | undefined, text: string | undefined): DdpMethodError {
  const errorType = body?.['errorType'];
  const details: Record<string, unknown> = { status: 400 };
  if (body?.['details'] !== undefined) details['details'] = body['details'];
  if (typeof errorType === 'string' && errorType !== '') {
    const suffix = ` [${errorType}]`;
    const reason = text !== undefined && text.endsWith(suffix) ? text.slice(0, -suffix.length) : text;
    return new DdpMethodError(errorType, reason === '' ? undefined : reason, details, { method: REST_SEND_MESSAGE });
  }
  if (text !== undefined && /^[\w.-]+$/.test(text)) {
    return new DdpMethodError(text, undefined, details, { method: REST_SEND_MESSAGE });
  }
  return new DdpMethodError(400, text ?? 'Bad request', details, { method: REST_SEND_MESSAGE });
}

/** What to tell the user when the server refused `alias` / `avatar` for lack of permission. */
function impersonationHint(refusal: DdpMethodError, message: Readonly<Record<string, unknown>>): string | undefined {
  if (!(refusal.reason ?? '').includes(NOT_ENOUGH_PERMISSION)) return undefined;
  const fields = ['alias', 'avatar'].filter((field) => message[field] !== undefined);
  if (fields.length === 0) return undefined;
  return `sending ${fields.map((field) => `"${field}"`).join(' and ')} needs the message-impersonate permission (the bot and app roles have it by default)`;
}

/**
 * A 429 answer as a {@link RateLimitedError}: `retryAfterMs` from the `x-ratelimit-reset`
 * header (epoch ms), kept within the "wait N seconds" of the text when the clocks disagree.
 */
function rateLimited(headers: Headers, text: string | undefined): RateLimitedError {
  const waitSeconds = /wait (\d+) seconds?/.exec(text ?? '')?.[1];
  const boundMs = waitSeconds === undefined ? undefined : Number(waitSeconds) * 1000;
  const reset = Number(headers.get('x-ratelimit-reset') ?? Number.NaN);
  let timeToReset = Number.isFinite(reset) ? reset - Date.now() : Number.NaN;
  if (!(timeToReset >= 0) || (boundMs !== undefined && timeToReset > boundMs)) timeToReset = boundMs ?? Number.NaN;
  const details: Record<string, unknown> = { status: 429 };
  if (Number.isFinite(timeToReset)) details['timeToReset'] = Math.max(0, Math.round(timeToReset));
  for (const name of ['limit', 'remaining', 'reset']) {
    const value = Number(headers.get(`x-ratelimit-${name}`) ?? Number.NaN);
    if (Number.isFinite(value)) details[name] = value;
  }
  const reason = text?.replace(/ \[error-too-many-requests\]$/, '') ?? 'Too many requests';
  return new RateLimitedError(new DdpMethodError(RocketChatErrorCode.RestTooManyRequests, reason, details, { method: REST_SEND_MESSAGE }));
}

/**
 * Runs `work` with one signal that aborts on the caller's signal (its reason), on the
 * client's close (`DdpClosedError`) or after `timeoutMs` (`DdpTimeoutError`). The timer and
 * the listeners are released when `work` settles.
 */
async function withDeadline<T>(options: RestSendOptions, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { signal, timeoutMs, closed } = options;
  signal?.throwIfAborted();
  if (closed.aborted) throw new DdpClosedError('the client is closed');
  const controller = new AbortController();
  const onAbort: AbortWatcher = { aborted: (reason) => controller.abort(reason) };
  const onClose: AbortWatcher = { aborted: () => controller.abort(new DdpClosedError('the client is closed')) };
  if (signal !== undefined) watchAbort(signal, onAbort);
  watchAbort(closed, onClose);
  const timer =
    timeoutMs > 0
      ? setTimeout(() => controller.abort(new DdpTimeoutError(`${REST_SEND_MESSAGE} timed out after ${timeoutMs} ms`, timeoutMs)), timeoutMs)
      : undefined;
  try {
    return await work(controller.signal);
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (signal !== undefined) unwatchAbort(signal, onAbort);
    unwatchAbort(closed, onClose);
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `${error.message}: ${code}` : error.message;
}
