/**
 * Timed waits that share their timers: every wait of the same length, in the whole process,
 * stands in one queue in the order it began (which is the order it ends), and one timer per
 * queue fires when the first of them is over. Node's own timer lists work the same way; here
 * a wait has no timer object of its own, only its place in a queue, so a connection's
 * heartbeat and a call's deadline cost a few fields, and starting, restarting or ending a
 * wait costs a few pointer writes and never touches a timer.
 *
 * A queue whose last wait ends keeps its timer until it fires, unreferenced (it keeps no
 * process alive): the next wait of that length, such as the next call of a sequence, then
 * sets no timer. When the timer fires on an empty queue, the queue is gone.
 *
 * Times are milliseconds of the monotonic clock (`performance.now()`, or `Date.now()` where
 * there is none). A wait's end is kept as a whole millisecond, rounded up (a small integer,
 * which V8 keeps in the object itself), and it is over once the clock has reached it: a
 * wait never ends early.
 *
 * The waits are the objects that wait: a class extends {@link TimedWait} and says what
 * happens when its wait is over.
 *
 * @module
 */

/** Now, on the monotonic clock, in ms. */
function now(): number {
  return typeof performance === 'undefined' ? Date.now() : performance.now();
}

type Timer = ReturnType<typeof setTimeout>;

/** The waits of one length, in the order they began (and end); one timer serves them all. */
class WaitQueue {
  first: TimedWait | undefined = undefined;
  last: TimedWait | undefined = undefined;
  /** Set for {@link timerAt}, while the queue has waits (and after, unreferenced, until it fires). */
  timer: Timer | undefined = undefined;
  timerAt = 0;
  /**
   * The `setTimeout` the timer was set with: when the global one is another since (a test
   * switched between fake and real timers), the timer is set again with the current one.
   */
  setWith: typeof setTimeout | undefined = undefined;
  /** Counts the timers set: one that fires after it was replaced finds another count, and does nothing. */
  generation = 0;
  /** The timer keeps the process alive (the queue has waits). */
  referenced = false;

  constructor(readonly ms: number) {}
}

/** The queues of the process, by length. */
const queues = new Map<number, WaitQueue>();

function queueFor(ms: number): WaitQueue {
  let queue = queues.get(ms);
  if (queue === undefined) {
    queue = new WaitQueue(ms);
    queues.set(ms, queue);
  }
  return queue;
}

/** Makes sure `queue`'s timer fires by `at`, and keeps the process alive while it waits. */
function armQueue(queue: WaitQueue, at: number): void {
  const timer = queue.timer;
  if (timer !== undefined && queue.setWith === setTimeout) {
    if (queue.timerAt <= at) {
      if (!queue.referenced) {
        refTimer(timer, true);
        queue.referenced = true;
      }
      return;
    }
    clearTimeout(timer);
  }
  queue.timerAt = at;
  queue.setWith = setTimeout;
  queue.generation++;
  queue.referenced = true;
  queue.timer = setTimeout(queueTimerFired, Math.max(Math.ceil(at - now()), 1), queue, queue.generation);
}

/** Where timers can be referenced or not (Node), whether this one keeps the process alive. */
function refTimer(timer: Timer, referenced: boolean): void {
  const handle = timer as { ref?: () => unknown; unref?: () => unknown };
  if (referenced) handle.ref?.();
  else handle.unref?.();
}

function queueTimerFired(queue: WaitQueue, generation: number): void {
  if (generation !== queue.generation) return; // replaced
  queue.timer = undefined;
  TimedWait.endDue(queue);
}

/** Something that waits for a time: a class extends it and says what happens when the wait is over. */
export abstract class TimedWait {
  /** The queue it waits in, while it waits, and its neighbours there. */
  #queue: WaitQueue | undefined = undefined;
  #previous: TimedWait | undefined = undefined;
  #next: TimedWait | undefined = undefined;
  /** When the wait is over, on the queue clock. */
  #endsAt = 0;

  /** The wait is over (it has left its queue): called once per wait, from a timer. */
  protected abstract waitOver(): void;

  /** `true` from {@link startWait} until the wait is over or stopped. */
  get waiting(): boolean {
    return this.#queue !== undefined;
  }

  /** Waits `ms` milliseconds from now, ending the wait under way if there is one. */
  startWait(ms: number): void {
    this.stopWait();
    const queue = queueFor(ms);
    this.#endsAt = Math.ceil(now()) + ms;
    this.#append(queue);
    armQueue(queue, this.#endsAt);
  }

  /**
   * Waits its length again, from now. Nothing when not waiting. It moves to the end of its
   * queue (nothing moves when it is the last already) and the timer is left as it is: it is
   * set for the first wait's end, which can only be later now.
   */
  restartWait(): void {
    const queue = this.#queue;
    if (queue === undefined) return;
    this.#endsAt = Math.ceil(now()) + queue.ms;
    if (queue.last === this) return;
    this.#unlink(queue);
    this.#append(queue);
  }

  /** Ends the wait without calling {@link waitOver}. Idempotent. */
  stopWait(): void {
    const queue = this.#queue;
    if (queue === undefined) return;
    this.#unlink(queue);
    this.#queue = undefined;
    if (queue.first === undefined && queue.timer !== undefined && queue.referenced) {
      refTimer(queue.timer, false);
      queue.referenced = false;
    }
  }

  /** Puts it last in `queue`. */
  #append(queue: WaitQueue): void {
    this.#queue = queue;
    this.#previous = queue.last;
    if (queue.last === undefined) queue.first = this;
    else queue.last.#next = this;
    queue.last = this;
  }

  /** Takes it out of `queue`'s order, its neighbours joined. */
  #unlink(queue: WaitQueue): void {
    const previous = this.#previous;
    const next = this.#next;
    if (previous === undefined) queue.first = next;
    else previous.#next = next;
    if (next === undefined) queue.last = previous;
    else next.#previous = previous;
    this.#previous = undefined;
    this.#next = undefined;
  }

  /** @internal `queue`'s timer fired: the waits that are over end, in order; then the timer is set for the next. */
  static endDue(queue: WaitQueue): void {
    for (let first = queue.first; first !== undefined; first = queue.first) {
      if (first.#endsAt > now()) {
        armQueue(queue, first.#endsAt);
        return;
      }
      first.stopWait();
      try {
        first.waitOver();
      } catch {
        // A timer callback never throws.
      }
    }
    if (queue.timer === undefined && queues.get(queue.ms) === queue) queues.delete(queue.ms);
  }
}
