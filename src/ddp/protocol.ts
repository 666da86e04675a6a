/**
 * Every DDP frame, as it travels on the wire, in one place.
 *
 * Written from Meteor's DDP specification (`packages/ddp/DDP.md`, version "1") and what the
 * Rocket.Chat servers actually send. Nothing else in the project declares a frame shape.
 *
 * Values typed `unknown` in `params`, `result` and `fields` are EJSON values: by the time a
 * decoded frame leaves the codec, `{"$date": n}` has already become a `Date`, and so on.
 *
 * @module
 */

/** The protocol versions this client speaks, in order of preference. */
export const SUPPORTED_DDP_VERSIONS = ['1', 'pre2', 'pre1'] as const;

/** One of {@link SUPPORTED_DDP_VERSIONS}. */
export type DdpVersion = (typeof SUPPORTED_DDP_VERSIONS)[number];

/**
 * The error object carried by `result.error` and `nosub.error`.
 *
 * Meteor and Rocket.Chat send `{ isClientSafe, error, reason, details, message, errorType }`.
 * `error` is a string code (`"too-many-requests"`) or, for HTTP-like errors and in the old
 * `pre1`/`pre2` versions, a number (`401`, `404`). This object is never EJSON-decoded: a date
 * inside `details` arrives as an ISO string.
 */
export interface DdpErrorObject {
  /** The error code: a string such as `"error-invalid-room"`, or a number such as `401`. */
  readonly error: string | number;
  /** Human-readable explanation chosen by the server (may change between versions). */
  readonly reason?: string;
  /** Extra machine-readable data, e.g. `{ timeToReset: 425 }` for a rate limit. */
  readonly details?: unknown;
  /** `"<reason> [<error>]"` as Meteor formats it. */
  readonly message?: string;
  /** `"Meteor.Error"` for errors the server meant the client to see. */
  readonly errorType?: string;
  /** `true` when the server considers the error safe to show. */
  readonly isClientSafe?: boolean;
}

// ---------------------------------------------------------------------------------------
// Client → server

/** Opens a DDP session. The first frame the client sends on every socket. */
export interface ConnectFrame {
  readonly msg: 'connect';
  /** The version the client proposes; must be one of `support`. */
  readonly version: string;
  /** Versions the client speaks, most preferred first. */
  readonly support: readonly string[];
  /** A previous session to resume. Rocket.Chat servers ignore it and always start anew. */
  readonly session?: string;
}

/** Calls a remote method. The server answers with `result` and `updated` for this `id`. */
export interface MethodFrame {
  readonly msg: 'method';
  /** Client-chosen id, unique for the life of the client, kept when the call is resent. */
  readonly id: string;
  readonly method: string;
  /** EJSON arguments. */
  readonly params?: readonly unknown[];
  /** Seed for server-side id generation; only clients with method stubs need it. */
  readonly randomSeed?: unknown;
}

/** Starts a subscription. The server answers `ready` or `nosub`. */
export interface SubFrame {
  readonly msg: 'sub';
  /** Client-chosen id, kept when the subscription is renewed after a reconnect. */
  readonly id: string;
  /** Publication name, e.g. `"stream-room-messages"`. */
  readonly name: string;
  /** EJSON arguments. */
  readonly params?: readonly unknown[];
}

/** Ends a subscription. Meteor answers `nosub`; Rocket.Chat's DDP service may not answer. */
export interface UnsubFrame {
  readonly msg: 'unsub';
  readonly id: string;
}

// ---------------------------------------------------------------------------------------
// Either direction

/** Asks the other side whether it is alive. Must be answered at once with `pong`. */
export interface PingFrame {
  readonly msg: 'ping';
  /** Optional; when present the `pong` must echo it. */
  readonly id?: string;
}

/** Answers a `ping`, echoing its `id` if it had one (and only then). */
export interface PongFrame {
  readonly msg: 'pong';
  readonly id?: string;
}

// ---------------------------------------------------------------------------------------
// Server → client

/** The session is open. */
export interface ConnectedFrame {
  readonly msg: 'connected';
  readonly session: string;
}

/** The server does not speak the proposed version; it suggests `version` and closes. */
export interface FailedFrame {
  readonly msg: 'failed';
  readonly version: string;
}

/** The outcome of a method call: exactly one of `error` / `result`, or neither (`undefined`). */
export interface ResultFrame {
  readonly msg: 'result';
  readonly id: string;
  readonly error?: DdpErrorObject;
  /** EJSON return value. Absent when the method returned `undefined` (or, on Rocket.Chat's DDP service, any falsy value). */
  readonly result?: unknown;
}

/** All data writes of these methods have been sent. May arrive before or after their `result`. */
export interface UpdatedFrame {
  readonly msg: 'updated';
  readonly methods: readonly string[];
}

/** These subscriptions have sent their initial data. */
export interface ReadyFrame {
  readonly msg: 'ready';
  readonly subs: readonly string[];
}

/** A subscription ended (or never started); with `error` when it failed. */
export interface NosubFrame {
  readonly msg: 'nosub';
  readonly id: string;
  readonly error?: DdpErrorObject;
}

/** A document was added to a collection. */
export interface AddedFrame {
  readonly msg: 'added';
  readonly collection: string;
  readonly id: string;
  /** EJSON fields. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * A document changed. Rocket.Chat streams (`stream-room-messages`, `stream-notify-user`, …)
 * deliver every event this way, with `id: "id"` and `fields: { eventName, args }`.
 */
export interface ChangedFrame {
  readonly msg: 'changed';
  readonly collection: string;
  readonly id: string;
  /** EJSON fields that changed. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Fields that were removed from the document. */
  readonly cleared?: readonly string[];
}

/** A document was removed from a collection. */
export interface RemovedFrame {
  readonly msg: 'removed';
  readonly collection: string;
  readonly id: string;
}

/** Ordered-collection insert (in the spec, unused by Meteor and Rocket.Chat). */
export interface AddedBeforeFrame {
  readonly msg: 'addedBefore';
  readonly collection: string;
  readonly id: string;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly before: string | null;
}

/** Ordered-collection move (in the spec, unused by Meteor and Rocket.Chat). */
export interface MovedBeforeFrame {
  readonly msg: 'movedBefore';
  readonly collection: string;
  readonly id: string;
  readonly before: string | null;
}

/**
 * A connection-level complaint about a frame the client sent (bad JSON, unknown `msg`,
 * a frame before `connect`, …). The socket stays open.
 */
export interface ErrorFrame {
  readonly msg: 'error';
  readonly reason: string;
  readonly offendingMessage?: unknown;
}

/** Every frame a client may send. */
export type ClientFrame =
  | ConnectFrame
  | MethodFrame
  | SubFrame
  | UnsubFrame
  | PingFrame
  | PongFrame;

/** Every frame a server may send. */
export type ServerFrame =
  | ConnectedFrame
  | FailedFrame
  | PingFrame
  | PongFrame
  | ResultFrame
  | UpdatedFrame
  | ReadyFrame
  | NosubFrame
  | AddedFrame
  | ChangedFrame
  | RemovedFrame
  | AddedBeforeFrame
  | MovedBeforeFrame
  | ErrorFrame;

/** Any DDP frame. */
export type DdpFrame = ClientFrame | ServerFrame;

/** The `msg` tags of {@link ServerFrame}. */
export type ServerFrameType = ServerFrame['msg'];

/** The `msg` tags of {@link ClientFrame}. */
export type ClientFrameType = ClientFrame['msg'];

/** Close code Rocket.Chat's DDP service uses when a client stayed silent too long. */
export const CLOSE_CODE_IDLE_TIMEOUT = 4000;
