/**
 * The connection's status and the typed map of `DdpClient`'s events.
 *
 * ```text
 *            connect()                 connected
 *   idle ───────────────▶ connecting ─────────────▶ connected
 *    ▲  first attempt failed  │  ▲                      │ link lost (drop, heartbeat
 *    └────────────────────────┘  │ timer fires          │ timeout, close 1000/1001/1006/4000…)
 *                                │                      ▼
 *                                └──────────────── waiting
 *   any state ── close() ──▶ closed        version refused / maxAttempts ──▶ failed
 * ```
 *
 * @module
 */
import type { DdpProtocolError } from './errors.js';
import type {
  AddedFrame,
  ChangedFrame,
  RemovedFrame,
  ServerFrame,
} from './protocol.js';

/**
 * Where the client is in its life:
 * - `'idle'`: new, or back after a first `connect()` that failed;
 * - `'connecting'`: an attempt is under way (socket opening, `connect` sent);
 * - `'connected'`: the server answered `connected`;
 * - `'waiting'`: the link was lost; the next attempt is scheduled;
 * - `'closed'`: `close()` was called (final);
 * - `'failed'`: final without `close()`: no common DDP version, or `reconnect.maxAttempts` used up.
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed' | 'failed';

/** What comes with a `status` event. */
export interface StatusDetails {
  /** The attempt number (1 for the first try after a loss), for `'connecting'` and `'waiting'`. */
  readonly attempt?: number;
  /** For `'waiting'`: how long until the next attempt, in milliseconds. */
  readonly retryInMs?: number;
  /** Why the link ended, for `'waiting'`, `'idle'`, `'failed'` and `'closed'`. */
  readonly reason?: string;
}

/** The events of `DdpClient`, with their listeners' arguments. */
export interface DdpClientEvents {
  /** The status changed. */
  status: (status: ConnectionStatus, details: StatusDetails) => void;
  /** A session was opened (the first time and after every reconnect). */
  connected: (session: string) => void;
  /** A session ended; the client will retry unless the status says otherwise. */
  disconnected: (reason: string) => void;
  /** Every decoded server frame, before the client acts on it. */
  message: (frame: ServerFrame) => void;
  /** A document was added (`added` frames). */
  added: (frame: AddedFrame) => void;
  /** A document changed; Rocket.Chat stream events arrive this way. */
  changed: (frame: ChangedFrame) => void;
  /** A document was removed. */
  removed: (frame: RemovedFrame) => void;
  /** The server sent something that is not valid DDP; the frame was dropped. */
  protocolError: (error: DdpProtocolError) => void;
}
