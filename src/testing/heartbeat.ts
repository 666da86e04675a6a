/**
 * The server side of DDP's heartbeat: after `intervalMs` without any frame from the client
 * the server pings, and if nothing arrives within `timeoutMs` it gives up on the client.
 * Any frame counts as a sign of life. One timer at a time, cleared by `stop()`.
 *
 * @module
 */

/** What the heartbeat needs from its connection. */
export interface HeartbeatHost {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Writes `{"msg":"ping"}`. */
  sendPing(): void;
  /** The client stayed silent after the ping. */
  onTimeout(): void;
  /** While this returns `true`, the heartbeat neither pings nor times out. */
  paused(): boolean;
}

/** A connection's heartbeat. */
export class ServerHeartbeat {
  readonly #host: HeartbeatHost;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastSeen = 0;
  #awaiting = false;

  constructor(host: HeartbeatHost) {
    this.#host = host;
  }

  /** (Re)starts counting silence from now. */
  start(): void {
    this.stop();
    this.#lastSeen = Date.now();
    this.#arm(this.#host.intervalMs);
  }

  /** Stops and clears the timer. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#awaiting = false;
  }

  /** A frame arrived from the client. */
  seen(): void {
    this.#lastSeen = Date.now();
    if (this.#awaiting) {
      this.stop();
      this.#arm(this.#host.intervalMs);
    }
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, ms));
    this.#timer.unref?.();
  }

  #tick(): void {
    this.#timer = undefined;
    const host = this.#host;
    if (this.#awaiting) {
      this.#awaiting = false;
      if (host.paused()) {
        this.start();
        return;
      }
      host.onTimeout();
      return;
    }
    const silence = Date.now() - this.#lastSeen;
    if (host.paused()) {
      this.start();
    } else if (silence >= host.intervalMs) {
      this.#awaiting = true;
      this.#arm(host.timeoutMs);
      host.sendPing();
    } else {
      this.#arm(host.intervalMs - silence);
    }
  }
}
