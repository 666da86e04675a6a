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
  /** The frame type. */
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
  /** The frame type. */
  readonly msg: 'method';
  /** Client-chosen id, unique for the life of the client, kept when the call is resent. */
  readonly id: string;
  /** The name of the method to run, e.g. `"sendMessage"`. */
  readonly method: string;
  /** EJSON arguments. */
  readonly params?: readonly unknown[];
  /** Seed for server-side id generation; only clients with method stubs need it. */
  readonly randomSeed?: unknown;
}

/** Starts a subscription. The server answers `ready` or `nosub`. */
export interface SubFrame {
  /** The frame type. */
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
  /** The frame type. */
  readonly msg: 'unsub';
  /** The id of the subscription to end, as sent in its `sub`. */
  readonly id: string;
}

// ---------------------------------------------------------------------------------------
// Either direction

/** Asks the other side whether it is alive. Must be answered at once with `pong`. */
export interface PingFrame {
  /** The frame type. */
  readonly msg: 'ping';
  /** Optional; when present the `pong` must echo it. */
  readonly id?: string;
}

/** Answers a `ping`, echoing its `id` if it had one (and only then). */
export interface PongFrame {
  /** The frame type. */
  readonly msg: 'pong';
  /** The `id` of the `ping` this answers; absent when the ping had none. */
  readonly id?: string;
}

// ---------------------------------------------------------------------------------------
// Server → client

/** The session is open. */
export interface ConnectedFrame {
  /** The frame type. */
  readonly msg: 'connected';
  /** The id the server gave the new session. */
  readonly session: string;
}

/** The server does not speak the proposed version; it suggests `version` and closes. */
export interface FailedFrame {
  /** The frame type. */
  readonly msg: 'failed';
  /** The version the server suggests the client propose instead. */
  readonly version: string;
}

/** The outcome of a method call: exactly one of `error` / `result`, or neither (`undefined`). */
export interface ResultFrame {
  /** The frame type. */
  readonly msg: 'result';
  /** The id of the method call this answers. */
  readonly id: string;
  /** Why the method failed; absent when it succeeded. */
  readonly error?: DdpErrorObject;
  /** EJSON return value. Absent when the method returned `undefined` (or, on Rocket.Chat's DDP service, any falsy value). */
  readonly result?: unknown;
}

/** All data writes of these methods have been sent. May arrive before or after their `result`. */
export interface UpdatedFrame {
  /** The frame type. */
  readonly msg: 'updated';
  /** The ids of the method calls whose data writes have all been sent. */
  readonly methods: readonly string[];
}

/** These subscriptions have sent their initial data. */
export interface ReadyFrame {
  /** The frame type. */
  readonly msg: 'ready';
  /** The ids of the subscriptions that have sent their initial data. */
  readonly subs: readonly string[];
}

/** A subscription ended (or never started); with `error` when it failed. */
export interface NosubFrame {
  /** The frame type. */
  readonly msg: 'nosub';
  /** The id of the subscription that ended. */
  readonly id: string;
  /** Why the subscription failed (including an unknown publication); absent when it simply ended. */
  readonly error?: DdpErrorObject;
}

/** A document was added to a collection. */
export interface AddedFrame {
  /** The frame type. */
  readonly msg: 'added';
  /** The name of the collection the document belongs to. */
  readonly collection: string;
  /** The document's id. */
  readonly id: string;
  /** EJSON fields. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * A document changed. Rocket.Chat streams (`stream-room-messages`, `stream-notify-user`, …)
 * deliver every event this way, with `id: "id"` and `fields: { eventName, args }`.
 */
export interface ChangedFrame {
  /** The frame type. */
  readonly msg: 'changed';
  /** The name of the collection the document belongs to. */
  readonly collection: string;
  /** The document's id. */
  readonly id: string;
  /** EJSON fields that changed. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Fields that were removed from the document. */
  readonly cleared?: readonly string[];
}

/** A document was removed from a collection. */
export interface RemovedFrame {
  /** The frame type. */
  readonly msg: 'removed';
  /** The name of the collection the document belongs to. */
  readonly collection: string;
  /** The document's id. */
  readonly id: string;
}

/** Ordered-collection insert (in the spec, unused by Meteor and Rocket.Chat). */
export interface AddedBeforeFrame {
  /** The frame type. */
  readonly msg: 'addedBefore';
  /** The name of the collection the document belongs to. */
  readonly collection: string;
  /** The document's id. */
  readonly id: string;
  /** EJSON fields of the new document. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** The id of the document to insert it before, or `null` to put it at the end. */
  readonly before: string | null;
}

/** Ordered-collection move (in the spec, unused by Meteor and Rocket.Chat). */
export interface MovedBeforeFrame {
  /** The frame type. */
  readonly msg: 'movedBefore';
  /** The name of the collection the document belongs to. */
  readonly collection: string;
  /** The document's id. */
  readonly id: string;
  /** The id of the document to move it before, or `null` to move it to the end. */
  readonly before: string | null;
}

/**
 * A connection-level complaint about a frame the client sent (bad JSON, unknown `msg`,
 * a frame before `connect`, …). The socket stays open.
 */
export interface ErrorFrame {
  /** The frame type. */
  readonly msg: 'error';
  /** What was wrong, e.g. `"Must connect first"`. */
  readonly reason: string;
  /** The frame the complaint is about, when the server could parse it. */
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
