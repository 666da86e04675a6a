/**
 * Keeps a DDP link honest: after `intervalMs` without any inbound frame it asks the link to
 * send a `ping`; if nothing at all arrives within `timeoutMs` after that, it calls
 * `onTimeout`. Any inbound frame (not only a `pong`) proves the link alive.
 *
 * Both waits are {@link TimedWait}s: the heartbeats of a process share one timer per
 * duration, and an inbound frame restarts the wait without touching a timer.
 *
 * {@link Heartbeat} is a base class: the link it keeps alive extends it, so that its state
 * lives in the link's own object (one object per connection rather than two).
 *
 * @module
 */
import { TimedWait } from './wait-queues.js';

/** Heartbeat timing. */
export interface HeartbeatOptions {
  /**
   * Inbound silence, in milliseconds, after which the client sends a `ping`.
   * @default 17500
   */
  readonly intervalMs: number;
  /**
   * How long to wait for any frame after that `ping` before declaring the link dead.
   * @default 15000
   */
  readonly timeoutMs: number;
}

/** The defaults of {@link HeartbeatOptions} (Meteor's client numbers). */
export const DEFAULT_HEARTBEAT_OPTIONS: Readonly<HeartbeatOptions> = Object.freeze({
  intervalMs: 17_500,
  timeoutMs: 15_000,
});

/**
 * Ping-after-silence and dead-link detection for one link: the base class of the link, which
 * gives the timing and does the pinging.
 */
export abstract class Heartbeat extends TimedWait implements HeartbeatOptions {
  abstract readonly intervalMs: number;
  abstract readonly timeoutMs: number;
  /** Sends `{"msg":"ping"}`. */
  protected abstract sendPing(): void;
  /** No frame arrived within `timeoutMs` of a ping: the link is dead. */
  protected abstract onTimeout(): void;

  /** `true` while a ping waits for an answer (else the heartbeat waits out a silence, or is stopped). */
  #awaiting = false;

  /** `true` between `startHeartbeat()` and `stopHeartbeat()` (or a timeout). */
  get heartbeatRunning(): boolean {
    return this.waiting;
  }

  /** `true` while a ping is waiting for an answer. */
  get awaitingAnswer(): boolean {
    return this.#awaiting && this.waiting;
  }

  /** Starts watching (restarts if already running). */
  startHeartbeat(): void {
    this.#awaiting = false;
    this.startWait(this.intervalMs);
  }

  /** Stops watching. Idempotent. */
  stopHeartbeat(): void {
    this.#awaiting = false;
    this.stopWait();
  }

  /** Call for every inbound frame: the link is alive. Cheap: restarts the wait for silence, touches no timer. */
  messageReceived(): void {
    if (!this.waiting) return;
    if (!this.#awaiting) {
      this.restartWait();
      return;
    }
    this.#awaiting = false;
    this.startWait(this.intervalMs);
  }

  /** Its wait is over: silence ends in a ping, an unanswered ping in a timeout. */
  protected waitOver(): void {
    if (!this.#awaiting) {
      this.#awaiting = true;
      this.startWait(this.timeoutMs);
      try {
        this.sendPing();
      } catch {
        // A ping that cannot be written is a dead link: the timeout will say so.
      }
      return;
    }
    this.#awaiting = false;
    this.onTimeout();
  }
}
