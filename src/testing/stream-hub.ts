/**
 * Who listens to which stream event. Rocket.Chat streams deliver each event as a `changed`
 * frame with document id `"id"` and `fields: { eventName, args }`, once per subscription.
 *
 * @module
 */
import type { Connection } from './connection.js';

/** One live stream subscription. */
export interface StreamListener {
  /** The subscription id the client chose. */
  readonly id: string;
  /** The publication, e.g. `stream-room-messages`. */
  readonly stream: string;
  /** The event, e.g. a room id or `<uid>/message`. */
  readonly eventName: string;
  readonly connection: Connection;
}

/** The index of stream subscriptions by stream and event. */
export class StreamHub {
  readonly #index = new Map<string, Set<StreamListener>>();

  add(listener: StreamListener): void {
    const key = keyOf(listener.stream, listener.eventName);
    let set = this.#index.get(key);
    if (set === undefined) {
      set = new Set();
      this.#index.set(key, set);
    }
    set.add(listener);
  }

  remove(listener: StreamListener): void {
    const key = keyOf(listener.stream, listener.eventName);
    const set = this.#index.get(key);
    if (set === undefined) return;
    set.delete(listener);
    if (set.size === 0) this.#index.delete(key);
  }

  /** The subscriptions to `stream` / `eventName` (a snapshot). */
  listeners(stream: string, eventName: string): StreamListener[] {
    return [...(this.#index.get(keyOf(stream, eventName)) ?? [])];
  }

  /**
   * Sends one event to every subscription of `stream` / `eventName`, except those of
   * `exclude`. `argsFor` may tailor (or, returning `undefined`, withhold) the args per listener.
   */
  emit(
    stream: string,
    eventName: string,
    args: readonly unknown[],
    options: { exclude?: Connection; argsFor?: (listener: StreamListener) => readonly unknown[] | undefined } = {},
  ): void {
    for (const listener of this.listeners(stream, eventName)) {
      if (listener.connection === options.exclude) continue;
      const tailored = options.argsFor === undefined ? args : options.argsFor(listener);
      if (tailored === undefined) continue;
      listener.connection.write({ msg: 'changed', collection: stream, id: 'id', fields: { eventName, args: tailored } });
    }
  }
}

function keyOf(stream: string, eventName: string): string {
  return `${stream}\u0000${eventName}`;
}
