/**
 * Options of the fake server and of its fault hooks, with their defaults.
 *
 * @module
 */
import type { RateRule } from './rate-limiter.js';

/** Which Rocket.Chat DDP server to imitate. */
export type FakeServerVariant = 'monolith' | 'ddp-streamer';

/** The server's heartbeat: ping after `intervalMs` of client silence, close `timeoutMs` later. */
export interface ServerHeartbeatOptions {
  /**
   * Client silence (ms) after which the server sends `{"msg":"ping"}`.
   * @default 15000 (30000 for `ddp-streamer`)
   */
  readonly intervalMs: number;
  /**
   * Time (ms) the client then has to send any frame before the server closes the socket
   * (code 1000; 4000 for `ddp-streamer`).
   * @default 15000 (30000 for `ddp-streamer`)
   */
  readonly timeoutMs: number;
}

/** The server's rate limits; `false` switches one (or all) off. */
export interface ServerRateLimitOptions {
  /**
   * `sendMessage` calls per user (all connections).
   * @default { limit: 5, windowMs: 1000 }
   */
  readonly sendMessage?: RateRule | false;
  /**
   * `login` calls per connection.
   * @default { limit: 5, windowMs: 10000 }
   */
  readonly login?: RateRule | false;
  /**
   * `createDirectMessage` calls per user.
   * @default { limit: 10, windowMs: 60000 }
   */
  readonly createDirectMessage?: RateRule | false;
  /**
   * REST requests per client address and endpoint (Rocket.Chat's `API_Enable_Rate_Limiter`
   * defaults). Users with the `api-bypass-rate-limit` permission (roles admin, bot, app) are
   * not counted. Applies to both variants: the REST API is served by the core server.
   * @default { limit: 10, windowMs: 60000 }
   */
  readonly rest?: RateRule | false;
  /**
   * Calls of one method per connection, for every method without a rule of its own (Meteor's
   * global DDP limit in Rocket.Chat: `DDP_Rate_Limit_Connection_By_Method`); subscriptions to
   * one publication are counted the same way, apart. Names starting with `stream-` get 4 ×
   * the calls in 4 × the window.
   * @default { limit: 10, windowMs: 10000 }
   */
  readonly methodPerConnection?: RateRule | false;
  /**
   * Calls of one method per user (all connections), for every method without a rule of its
   * own (`DDP_Rate_Limit_User_By_Method`); subscriptions too, apart; `stream-*` names: 4 × the
   * calls in 4 × the window.
   * @default { limit: 20, windowMs: 10000 }
   */
  readonly methodPerUser?: RateRule | false;
}

/**
 * Faults to inject on a connection. `setFaults` replaces the whole set: `setFaults({})` heals.
 */
export interface FaultOptions {
  /**
   * Holds back every frame the server writes by this many milliseconds (order is kept), as
   * a slow link would.
   * @default 0
   */
  readonly delayMs?: number;
  /**
   * A black hole: frames from the client are recorded in `received` but not handled, and the
   * server writes nothing (no answers, no pongs, no heartbeat pings, no stream events).
   * @default false
   */
  readonly silent?: boolean;
  /**
   * Counts the frames received from now on; the n-th one is recorded but not handled, and the
   * socket is cut at once (the client sees code 1006). `0` cuts it now.
   */
  readonly dropAfterFrames?: number;
  /**
   * Speak only this DDP version: a `connect` proposing any other version is answered
   * `{"msg":"failed","version":<failVersion>}` and the socket is closed.
   */
  readonly failVersion?: string;
  /**
   * After `connected`, every frame the server writes is replaced by this text (`true`: a
   * truncated JSON text, `{"msg":"result","id":`), so the client receives malformed frames.
   * @default false
   */
  readonly malformed?: boolean | string;
}

/** Options of `FakeRocketChatServer.start()`. */
export interface FakeServerOptions {
  /**
   * TCP port; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * Which server to imitate: Meteor's DDP server inside the Rocket.Chat monolith, or the
   * separate DDP service of microservice deployments (greeting frame, idle close 4000,
   * `result` before `updated`, falsy results dropped, logout closes the socket).
   * @default 'monolith'
   */
  readonly variant?: FakeServerVariant;
  /**
   * The server's heartbeat, merged with the defaults; `false` disables it.
   * @default { intervalMs: 15000, timeoutMs: 15000 } (ddp-streamer: 30000 / 30000)
   */
  readonly heartbeat?: Partial<ServerHeartbeatOptions> | false;
  /**
   * Rate limits, merged with the defaults; `false` disables them all. The `ddp-streamer`
   * variant applies none of the method limits (it hands methods to the core server, bypassing
   * Meteor's limiter); the REST limit applies to both.
   * @default { sendMessage: { limit: 5, windowMs: 1000 }, login: { limit: 5, windowMs: 10000 }, createDirectMessage: { limit: 10, windowMs: 60000 }, rest: { limit: 10, windowMs: 60000 }, methodPerConnection: { limit: 10, windowMs: 10000 }, methodPerUser: { limit: 20, windowMs: 10000 } }
   */
  readonly rateLimit?: ServerRateLimitOptions | false;
  /**
   * The greeting written when a socket opens: none, `{"msg":"server_id","server_id":"0"}`,
   * or the older `{"server_id":"0"}`.
   * @default 'none' ('server_id' for ddp-streamer)
   */
  readonly greeting?: 'none' | 'server_id' | 'legacy';
  /**
   * `Message_MaxAllowedSize`: longer `msg`s (in UTF-16 code units) are silently refused.
   * @default 5000
   */
  readonly maxMessageLength?: number;
  /**
   * `Threads_enabled`: when `false`, a message with `tmid` fails with `error-not-allowed`.
   * @default true
   */
  readonly threads?: boolean;
  /**
   * A socket that sends no `connect` within this time is cut (Meteor: 45 s); `false` never.
   * @default 45000
   */
  readonly connectTimeoutMs?: number | false;
  /**
   * Frames kept per connection in `received` and in `sent` (the oldest are forgotten).
   * @default 10000
   */
  readonly maxRecordedFrames?: number;
  /**
   * Faults applied to every connection from the start.
   * @default {}
   */
  readonly faults?: FaultOptions;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly variant: FakeServerVariant;
  readonly heartbeat: ServerHeartbeatOptions | false;
  readonly rateLimit: {
    readonly sendMessage: RateRule | false;
    readonly login: RateRule | false;
    readonly createDirectMessage: RateRule | false;
    readonly rest: RateRule | false;
    readonly methodPerConnection: RateRule | false;
    readonly methodPerUser: RateRule | false;
  };
  readonly greeting: 'none' | 'server_id' | 'legacy';
  readonly maxMessageLength: number;
  readonly threads: boolean;
  readonly connectTimeoutMs: number | false;
  readonly maxRecordedFrames: number;
  readonly faults: FaultOptions;
}

/** Fills in the defaults of {@link FakeServerOptions}. */
export function resolveOptions(options: FakeServerOptions = {}): ResolvedOptions {
  const variant = options.variant ?? 'monolith';
  const streamer = variant === 'ddp-streamer';
  const beat = streamer ? 30_000 : 15_000;
  const heartbeat =
    options.heartbeat === false
      ? false
      : { intervalMs: options.heartbeat?.intervalMs ?? beat, timeoutMs: options.heartbeat?.timeoutMs ?? beat };
  const limits = options.rateLimit;
  const rest = limits === false ? false : (limits?.rest ?? { limit: 10, windowMs: 60_000 });
  const rateLimit =
    limits === false || streamer
      ? {
          sendMessage: false as const,
          login: false as const,
          createDirectMessage: false as const,
          rest,
          methodPerConnection: false as const,
          methodPerUser: false as const,
        }
      : {
          sendMessage: limits?.sendMessage ?? { limit: 5, windowMs: 1000 },
          login: limits?.login ?? { limit: 5, windowMs: 10_000 },
          createDirectMessage: limits?.createDirectMessage ?? { limit: 10, windowMs: 60_000 },
          rest,
          methodPerConnection: limits?.methodPerConnection ?? { limit: 10, windowMs: 10_000 },
          methodPerUser: limits?.methodPerUser ?? { limit: 20, windowMs: 10_000 },
        };
  return {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    variant,
    heartbeat,
    rateLimit,
    greeting: options.greeting ?? (streamer ? 'server_id' : 'none'),
    maxMessageLength: options.maxMessageLength ?? 5000,
    threads: options.threads ?? true,
    connectTimeoutMs: options.connectTimeoutMs ?? 45_000,
    maxRecordedFrames: options.maxRecordedFrames ?? 10_000,
    faults: { ...options.faults },
  };
}
