/**
 * Listening to `AbortSignal`s, for every part of the library: each signal gets one listener,
 * however many calls, waits and requests watch it at once.
 *
 * A signal is often shared (a bot's shutdown signal given to every call, the client's own
 * closing signal behind every REST request). One listener each would cost an `EventTarget`
 * registration per call, and past ten on one signal Node prints a memory-leak warning to the
 * user's console. Here the first watcher of a signal adds the listener, the last one to
 * leave removes it.
 *
 * Watching a signal that has already aborted tells nothing: check `signal.aborted` first.
 *
 * @module
 */

/** Told, once, when a signal it watches aborts. */
export interface AbortWatcher {
  aborted(reason: unknown): void;
}

/** The watchers of one signal, and the signal's one listener (through `handleEvent`). */
class SignalWatchers {
  readonly watchers = new Set<AbortWatcher>();

  constructor(readonly signal: AbortSignal) {}

  /**
   * The signal aborted: every watcher is told, each taken out first (so that one leaving
   * again is harmless). One that throws does not keep the others from being told; the first
   * error is thrown once all were, as the listener's own.
   */
  handleEvent(): void {
    watched.delete(this.signal);
    const reason: unknown = this.signal.reason;
    let failure: { error: unknown } | undefined;
    for (const watcher of this.watchers) {
      this.watchers.delete(watcher);
      try {
        watcher.aborted(reason);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }
}

const watched = new WeakMap<AbortSignal, SignalWatchers>();

/** `watcher` is told when `signal` aborts, unless it stops watching first ({@link unwatchAbort}). */
export function watchAbort(signal: AbortSignal, watcher: AbortWatcher): void {
  let entry = watched.get(signal);
  if (entry === undefined) {
    entry = new SignalWatchers(signal);
    watched.set(signal, entry);
    signal.addEventListener('abort', entry, { once: true });
  }
  entry.watchers.add(watcher);
}

/** `watcher` stops watching `signal`; the signal's listener goes with its last watcher. */
export function unwatchAbort(signal: AbortSignal, watcher: AbortWatcher): void {
  const entry = watched.get(signal);
  if (entry === undefined || !entry.watchers.delete(watcher) || entry.watchers.size > 0) return;
  watched.delete(signal);
  signal.removeEventListener('abort', entry);
}
