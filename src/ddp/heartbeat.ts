/**
 * Keeps a DDP link honest: after `intervalMs` without any inbound frame it asks the host to
 * send a `ping`; if nothing at all arrives within `timeoutMs` after that, it calls
 * `onTimeout`. Any inbound frame (not only a `pong`) proves the link alive.
 *
 * The heartbeats of a process share their timers: every heartbeat waiting out the same
 * duration (an interval of silence, or the time allowed for an answer) stands in one queue,
 * in the order its wait began, and one timer per queue fires when the first of them is due
 * (Node's own timer lists work the same way). A connection thus holds no timer of its own,
 * only its place in a queue; an inbound frame moves it to the end of its queue, which costs
 * a few pointer writes and never touches a timer. A queue clears its timer when its last
 * heartbeat leaves, so a process with no running heartbeat holds no timer at all.
 *
 * {@link Heartbeat} is a base class: the link it keeps alive extends it, so that its state
 * lives in the link's own object (one object per connection rather than two).
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


/** The heartbeats waiting out one duration, in the order their waits began; one timer serves them all. */
class WaitQueue {
  first: Heartbeat | undefined = undefined;
  last: Heartbeat | undefined = undefined;
  /** Fires when {@link first} is due (or a little before: it is then set again). */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** When {@link timer} fires, on the heartbeat clock. */
  timerAt = 0;

  constructor(readonly ms: number) {}
}

/** The queues of the process, by duration; a queue leaves the map when its last heartbeat does. */
const queues = new Map<number, WaitQueue>();

function queueFor(ms: number): WaitQueue {
  let queue = queues.get(ms);
  if (queue === undefined) {
    queue = new WaitQueue(ms);
    queues.set(ms, queue);
  }
  return queue;
}

/** Sets `queue`'s timer for its first heartbeat, unless it is already set to fire no later. */
function armQueue(queue: WaitQueue, due: number): void {
  if (queue.timer !== undefined) {
    if (queue.timerAt <= due) return;
    clearTimeout(queue.timer);
  }
  queue.timerAt = due;
  queue.timer = setTimeout(queueTimerFired, Math.max(due - clock(), 1), queue);
}

function queueTimerFired(queue: WaitQueue): void {
  queue.timer = undefined;
  Heartbeat.expireDue(queue);
}

/**
 * Ping-after-silence and dead-link detection for one link: the base class of the link, which
 * gives the timing and does the pinging.
 */
export abstract class Heartbeat implements HeartbeatOptions {
  abstract readonly intervalMs: number;
  abstract readonly timeoutMs: number;
  /** Sends `{"msg":"ping"}`. */
  protected abstract sendPing(): void;
  /** No frame arrived within `timeoutMs` of a ping: the link is dead. */
  protected abstract onTimeout(): void;

  #phase: 'stopped' | 'idle' | 'awaiting' = 'stopped';
  /** When the current wait began: the last inbound frame while `idle`, the ping while `awaiting`. */
  #since = 0;
  /** The queue it stands in while running, and its neighbours there. */
  #queue: WaitQueue | undefined = undefined;
  #previous: Heartbeat | undefined = undefined;
  #next: Heartbeat | undefined = undefined;

  /** `true` between `startHeartbeat()` and `stopHeartbeat()`. */
  get heartbeatRunning(): boolean {
    return this.#phase !== 'stopped';
  }

  /** `true` while a ping is waiting for an answer. */
  get awaitingAnswer(): boolean {
    return this.#phase === 'awaiting';
  }

  /** Starts watching (restarts if already running). */
  startHeartbeat(): void {
    this.#leaveQueue();
    this.#phase = 'idle';
    this.#wait(this.intervalMs, clock());
  }

  /** Stops watching; the heartbeat leaves its queue (whose timer goes with its last heartbeat). Idempotent. */
  stopHeartbeat(): void {
    this.#phase = 'stopped';
    this.#leaveQueue();
  }

  /** Call for every inbound frame: the link is alive. Cheap: moves the heartbeat to the end of its queue, touches no timer. */
  messageReceived(): void {
    if (this.#phase === 'stopped') return;
    const now = clock();
    if (this.#phase === 'idle' && this.#queue?.last === this) {
      this.#since = now; // already last: the queue stays in order
      return;
    }
    this.#leaveQueue();
    this.#phase = 'idle';
    this.#wait(this.intervalMs, now);
  }

  /** Joins the end of the queue of `ms`, its wait beginning at `since`. */
  #wait(ms: number, since: number): void {
    const queue = queueFor(ms);
    this.#since = since;
    this.#queue = queue;
    this.#previous = queue.last;
    this.#next = undefined;
    if (queue.last === undefined) queue.first = this;
    else queue.last.#next = this;
    queue.last = this;
    armQueue(queue, since + ms);
  }

  #leaveQueue(): void {
    const queue = this.#queue;
    if (queue === undefined) return;
    const previous = this.#previous;
    const next = this.#next;
    if (previous === undefined) queue.first = next;
    else previous.#next = next;
    if (next === undefined) queue.last = previous;
    else next.#previous = previous;
    this.#queue = undefined;
    this.#previous = undefined;
    this.#next = undefined;
    if (queue.first === undefined) {
      if (queue.timer !== undefined) clearTimeout(queue.timer);
      queue.timer = undefined;
      queues.delete(queue.ms);
    }
  }

  /** @internal `queue`'s timer fired: every heartbeat whose wait is over moves on, then the timer is set for the next. */
  static expireDue(queue: WaitQueue): void {
    for (let first = queue.first; first !== undefined; first = queue.first) {
      const due = first.#since + queue.ms;
      if (due > clock()) {
        armQueue(queue, due);
        return;
      }
      first.#leaveQueue();
      first.#expire();
    }
  }

  /** Its wait is over: silence ends in a ping, an unanswered ping in a timeout. */
  #expire(): void {
    if (this.#phase === 'idle') {
      this.#phase = 'awaiting';
      this.#wait(this.timeoutMs, clock());
      try {
        this.sendPing();
      } catch {
        // A ping that cannot be written is a dead link: the timeout will say so.
      }
      return;
    }
    if (this.#phase !== 'awaiting') return;
    this.#phase = 'stopped';
    try {
      this.onTimeout();
    } catch {
      // A timer callback never throws.
    }
  }
}
