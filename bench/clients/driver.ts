/**
 * What every benchmarked client looks like to the benchmarks: open (connect + log in, and
 * optionally subscribe to a room stream), send one `sendMessage`, close.
 */

/** What a benchmark server reports when ready. */
export interface ServerInfo {
  /** `ws://127.0.0.1:<port>/websocket` */
  readonly url: string;
  /** A resume token the server accepts. */
  readonly token: string;
  readonly userId: string;
}

/** The part of a decoded message the benchmarks check: dates must be real `Date`s. */
export interface DecodedMessage {
  readonly _id?: unknown;
  readonly ts?: unknown;
}

/** Options of {@link Driver.open}. */
export interface OpenOptions {
  /** Also subscribe to `stream-room-messages` of the room, and wait until it is ready. */
  readonly subscribeRoom?: boolean;
}

/** One client connection under test. */
export interface Driver {
  /** Connects, logs in with the resume token, and optionally subscribes. */
  open(options?: OpenOptions): Promise<void>;
  /**
   * Sends the `seq`-th `sendMessage`; `done` gets the result with its dates as `Date`s,
   * `fail` gets any error. Exactly one of them is called, once.
   */
  send(seq: number, done: (message: DecodedMessage) => void, fail: (error: unknown) => void): void;
  /** Closes the connection and releases everything it holds. */
  close(): Promise<void>;
}

/** A kind of client: how to make a driver for a server, and what the table says about it. */
export interface ClientKind {
  /** The row name in the call benchmarks (what is called). */
  readonly name: string;
  /** The row name where the client itself is measured (memory). */
  readonly shortName: string;
  /** Shown in the table's note column of the call benchmarks (e.g. how its dates are decoded). */
  readonly note: string;
  /** Shown in the note column of the memory benchmark (what a connection holds). */
  readonly memoryNote: string;
  create(server: ServerInfo): Driver;
}
