/**
 * Keeps a DDP link honest: after `intervalMs` without any inbound frame it asks the host to
 * send a `ping`; if nothing at all arrives within `timeoutMs` after that, it calls
 * `onTimeout`. Any inbound frame (not only a `pong`) proves the link alive.
 *
 * The class owns one timer (the silence timer, then the answer timeout while a ping is out)
 * and nothing else; `start()` always begins with `stop()`, so it can never leak one.
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

/**
 * Times are kept as milliseconds since this module loaded: small integers, which V8 stores in
 * the object itself rather than in a separate number box per heartbeat.
 */
const EPOCH = Date.now();

function clock(): number {
  return Date.now() - EPOCH;
}

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
  /** The silence timer while `idle`; the answer timeout while `awaiting` a frame after a ping. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #phase: 'stopped' | 'idle' | 'awaiting' = 'stopped';
  #lastFrameAt = 0;

  constructor(host: HeartbeatHost) {
    this.#host = host;
  }

  /** `true` between `start()` and `stop()`. */
  get running(): boolean {
    return this.#phase !== 'stopped';
  }

  /** `true` while a ping is waiting for an answer. */
  get awaitingAnswer(): boolean {
    return this.#phase === 'awaiting';
  }

  /** Starts watching (restarts if already running). */
  start(): void {
    this.stop();
    this.#phase = 'idle';
    this.#lastFrameAt = clock();
    this.#arm(Heartbeat.#silenceTimerFired, this.#host.intervalMs);
  }

  /** Stops watching and clears its timer. Idempotent. */
  stop(): void {
    this.#phase = 'stopped';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Call for every inbound frame: the link is alive. Cheap: no timer is touched unless a ping is out. */
  messageReceived(): void {
    if (this.#phase === 'stopped') return;
    this.#lastFrameAt = clock();
    if (this.#phase === 'awaiting') {
      this.#phase = 'idle';
      this.#arm(Heartbeat.#silenceTimerFired, this.#host.intervalMs);
    }
  }

  #arm(callback: (heartbeat: Heartbeat) => void, delayMs: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(callback, delayMs, this);
  }

  // The timer's callbacks: shared functions given the heartbeat, not a closure per timer.
  static #silenceTimerFired(heartbeat: Heartbeat): void {
    heartbeat.#onSilence();
  }

  static #answerTimerFired(heartbeat: Heartbeat): void {
    heartbeat.#onNoAnswer();
  }

  #onSilence(): void {
    this.#timer = undefined;
    if (this.#phase !== 'idle') return;
    const silentFor = clock() - this.#lastFrameAt;
    if (silentFor < this.#host.intervalMs) {
      // A frame arrived since the timer was armed: wait for the rest of the interval.
      this.#arm(Heartbeat.#silenceTimerFired, this.#host.intervalMs - silentFor);
      return;
    }
    this.#phase = 'awaiting';
    this.#arm(Heartbeat.#answerTimerFired, this.#host.timeoutMs);
    try {
      this.#host.sendPing();
    } catch {
      // A ping that cannot be written is a dead link: the timeout will say so.
    }
  }

  #onNoAnswer(): void {
    this.#timer = undefined;
    if (this.#phase !== 'awaiting') return;
    this.stop();
    try {
      this.#host.onTimeout();
    } catch {
      // A timer callback never throws.
    }
  }
}
