/**
 * What the connections and the method handlers share: the options, the data, the stream
 * hub, the method and publication tables, the rate limiters and the hooks.
 *
 * @module
 */
import type { ClientFrame, ServerFrame } from '../ddp/protocol.js';
import type { Connection } from './connection.js';
import type { ResolvedOptions } from './options.js';
import { RateLimiter, type RateCount, type RateRule } from './rate-limiter.js';
import type { RestExchange } from './rest-api.js';
import { Store } from './store.js';
import { StreamHub } from './stream-hub.js';

/** One method call as a handler sees it. */
export interface MethodCall {
  readonly core: ServerCore;
  readonly connection: Connection;
  readonly method: string;
  /** The call's params (a private copy: handlers may mutate them). */
  readonly params: unknown[];
  /**
   * Set by a handler whose writes Meteor only acknowledges after the result (login): the
   * connection then writes `result` before `updated`.
   */
  resultFirst: boolean;
}

/** A method: returns the result (`undefined`: an empty result) or throws a `MethodError`. */
export type MethodHandler = (call: MethodCall) => unknown;

/** What a publication decided when a client subscribed. */
export interface PublicationStart {
  /** The stream event the subscription listens to (stream publications only). */
  readonly eventName?: string;
  /** Frames to write before `ready` (e.g. the `added` of `useCollection: true`). */
  readonly before?: readonly ServerFrame[];
}

/** A publication: decides whether a subscription may start, and whether it may go on. */
export interface Publication {
  /** Throws a `MethodError` to refuse (`nosub` with that error). */
  start(core: ServerCore, connection: Connection, params: readonly unknown[]): PublicationStart | Promise<PublicationStart>;
  /** Re-checked when the connection's user changes; `false` ends the subscription. */
  stillAllowed(core: ServerCore, connection: Connection, eventName: string | undefined): boolean;
}

/** The hooks the public server exposes as events. */
export interface CoreHooks {
  connection(connection: Connection): void;
  clientFrame(frame: ClientFrame, connection: Connection): void;
  serverFrame(frame: ServerFrame, connection: Connection): void;
  disconnect(connection: Connection, code: number): void;
  /** A REST request arrived (body read, not handled yet). */
  restRequest(exchange: RestExchange): void;
  /** A REST answer is about to be written. */
  restResponse(exchange: RestExchange, status: number, body: unknown): void;
}

/** The methods that have their own rate limit, and what the limit is counted by. */
const LIMITED: Readonly<Record<string, { rule: keyof ResolvedOptions['rateLimit']; by: 'user' | 'connection' }>> = {
  sendMessage: { rule: 'sendMessage', by: 'user' },
  login: { rule: 'login', by: 'connection' },
  createDirectMessage: { rule: 'createDirectMessage', by: 'user' },
};

/** One of Meteor's global per-method limits: by connection or by user, with its `stream-*` variant. */
interface GlobalRule {
  readonly by: 'connection' | 'user';
  readonly methods: RateLimiter;
  /** `stream-*` methods: 4 × the calls in 4 × the window. */
  readonly streams: RateLimiter;
}

function globalRule(by: 'connection' | 'user', rule: RateRule): GlobalRule {
  return {
    by,
    methods: new RateLimiter(rule),
    streams: new RateLimiter({ limit: rule.limit * 4, windowMs: rule.windowMs * 4 }),
  };
}

/** The shared state of one fake server. */
export class ServerCore {
  readonly options: ResolvedOptions;
  readonly store = new Store();
  readonly hub = new StreamHub();
  readonly methods = new Map<string, MethodHandler>();
  readonly publications = new Map<string, Publication>();
  /** Open connections, in the order they were accepted. */
  readonly connections = new Set<Connection>();
  readonly hooks: CoreHooks;
  readonly #limiters = new Map<string, RateLimiter>();
  readonly #restLimiter: RateLimiter | undefined;
  /** Meteor's global per-method limits, for methods without a rule of their own. */
  readonly #perMethod: readonly GlobalRule[];
  /** REST requests answered (or dropped), oldest first, at most `maxRecordedFrames`. */
  readonly restRequests: RestExchange[] = [];

  constructor(options: ResolvedOptions, hooks: CoreHooks) {
    this.options = options;
    this.hooks = hooks;
    for (const [method, { rule }] of Object.entries(LIMITED)) {
      const settings = options.rateLimit[rule];
      if (settings !== false) this.#limiters.set(method, new RateLimiter(settings));
    }
    this.#restLimiter = options.rateLimit.rest === false ? undefined : new RateLimiter(options.rateLimit.rest);
    const { methodPerConnection, methodPerUser } = options.rateLimit;
    this.#perMethod = [
      ...(methodPerConnection === false ? [] : [globalRule('connection', methodPerConnection)]),
      ...(methodPerUser === false ? [] : [globalRule('user', methodPerUser)]),
    ];
  }

  /**
   * Counts a REST request against the REST rate limit (per client address and endpoint).
   * @returns `undefined` when there is no limit, else the count (with `allowed`)
   */
  restRateLimit(key: string): RateCount | undefined {
    return this.#restLimiter?.count(key);
  }

  /** Remembers an answered REST request, forgetting the oldest beyond `maxRecordedFrames`. */
  recordRest(exchange: RestExchange): void {
    this.restRequests.push(exchange);
    if (this.restRequests.length > this.options.maxRecordedFrames) this.restRequests.shift();
  }

  /** `true` for the separate DDP service variant. */
  get streamer(): boolean {
    return this.options.variant === 'ddp-streamer';
  }

  /**
   * Counts a call of `method` (or a subscription to the publication `method`) on `connection`
   * against its rate limits: the method's own rule, else Meteor's global per-method rules,
   * which count methods and subscriptions apart.
   * @returns `undefined` when allowed, else the milliseconds until the limit resets.
   */
  rateLimit(method: string, connection: Connection, type: 'method' | 'subscription' = 'method'): number | undefined {
    const limiter = type === 'method' ? this.#limiters.get(method) : undefined;
    if (limiter !== undefined) {
      const key = LIMITED[method]!.by === 'user' ? `u:${connection.userId ?? ''}` : `c:${connection.id}`;
      return limiter.hit(key);
    }
    if (type === 'method' && Object.hasOwn(LIMITED, method)) return undefined; // its own rule is turned off
    // Every rule counts the call (as Meteor's do), and the longest wait wins.
    const stream = method.startsWith('stream-');
    let wait: number | undefined;
    for (const rule of this.#perMethod) {
      if (rule.by === 'user' && connection.userId === undefined) continue;
      const who = rule.by === 'user' ? `u:${connection.userId ?? ''}` : `c:${connection.id}`;
      const refused = (stream ? rule.streams : rule.methods).hit(`${who}:${type}:${method}`);
      if (refused !== undefined) wait = Math.max(wait ?? 0, refused);
    }
    return wait;
  }

  /** `true` when some open connection is logged in as `userId`. */
  isOnline(userId: string): boolean {
    for (const connection of this.connections) if (connection.userId === userId) return true;
    return false;
  }

  /** Open connections logged in as `userId`. */
  connectionsOf(userId: string): Connection[] {
    return [...this.connections].filter((connection) => connection.userId === userId);
  }
}
