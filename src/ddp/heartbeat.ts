/**
 * Keeps a DDP link honest: after `intervalMs` without any inbound frame it asks the host to
 * send a `ping`; if nothing at all arrives within `timeoutMs` after that, it calls
 * `onTimeout`. Any inbound frame (not only a `pong`) proves the link alive.
 *
 * The class owns two timers and nothing else; `start()` always begins with `stop()`, so it
 * can never leak one.
 *
 * @module
 */

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

/** What a {@link Heartbeat} needs from its owner. */
export interface HeartbeatHost extends HeartbeatOptions {
  /** Sends `{"msg":"ping"}`. */
  sendPing(): void;
  /** No frame arrived within `timeoutMs` of a ping: the link is dead. */
  onTimeout(): void;
}

/** Ping-after-silence and dead-link detection for one link. */
export class Heartbeat {
  readonly #host: HeartbeatHost;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #timeoutTimer: ReturnType<typeof setTimeout> | undefined;
  #lastFrameAt = 0;
  #running = false;

  constructor(host: HeartbeatHost) {
    this.#host = host;
  }

  /** `true` between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** `true` while a ping is waiting for an answer. */
  get awaitingAnswer(): boolean {
    return this.#timeoutTimer !== undefined;
  }

  /** Starts watching (restarts if already running). */
  start(): void {
    this.stop();
    this.#running = true;
    this.#lastFrameAt = Date.now();
    this.#armIdle(this.#host.intervalMs);
  }

  /** Stops watching and clears both timers. Idempotent. */
  stop(): void {
    this.#running = false;
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    if (this.#timeoutTimer !== undefined) clearTimeout(this.#timeoutTimer);
    this.#idleTimer = undefined;
    this.#timeoutTimer = undefined;
  }

  /** Call for every inbound frame: the link is alive. Cheap: no timer is touched unless a ping is out. */
  messageReceived(): void {
    if (!this.#running) return;
    this.#lastFrameAt = Date.now();
    if (this.#timeoutTimer !== undefined) {
      clearTimeout(this.#timeoutTimer);
      this.#timeoutTimer = undefined;
      this.#armIdle(this.#host.intervalMs);
    }
  }

  #armIdle(delayMs: number): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(Heartbeat.#idleTimerFired, delayMs, this);
  }

  // The timers' callbacks: shared functions given the heartbeat, not a closure per timer.
  static #idleTimerFired(heartbeat: Heartbeat): void {
    heartbeat.#onIdle();
  }

  static #timeoutTimerFired(heartbeat: Heartbeat): void {
    heartbeat.#onTimeout();
  }

  #onIdle(): void {
    this.#idleTimer = undefined;
    if (!this.#running) return;
    const silentFor = Date.now() - this.#lastFrameAt;
    if (silentFor < this.#host.intervalMs) {
      // A frame arrived since the timer was armed: wait for the rest of the interval.
      this.#armIdle(this.#host.intervalMs - silentFor);
      return;
    }
    this.#timeoutTimer = setTimeout(Heartbeat.#timeoutTimerFired, this.#host.timeoutMs, this);
    try {
      this.#host.sendPing();
    } catch {
      // A ping that cannot be written is a dead link: the timeout will say so.
    }
  }

  #onTimeout(): void {
    this.#timeoutTimer = undefined;
    if (!this.#running) return;
    this.stop();
    try {
      this.#host.onTimeout();
    } catch {
      // A timer callback never throws.
    }
  }
}
