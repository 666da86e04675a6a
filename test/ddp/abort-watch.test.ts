/** One listener per `AbortSignal`, whatever watches it. */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { unwatchAbort, watchAbort, type AbortWatcher } from '../../src/ddp/abort-watch.js';

function recorder(log: unknown[], name: string): AbortWatcher {
  return { aborted: (reason) => void log.push([name, reason]) };
}

describe('watchAbort', () => {
  it('adds one listener for the first watcher of a signal and removes it with the last', () => {
    const controller = new AbortController();
    const watchers = Array.from({ length: 20 }, (_, index) => recorder([], String(index)));
    for (const watcher of watchers) watchAbort(controller.signal, watcher);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const watcher of watchers.slice(0, 19)) unwatchAbort(controller.signal, watcher);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    unwatchAbort(controller.signal, watchers[19] as AbortWatcher);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    unwatchAbort(controller.signal, watchers[19] as AbortWatcher); // again: nothing to do
    const log: unknown[] = [];
    watchAbort(controller.signal, recorder(log, 'later')); // watched afresh
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort('reason');
    expect(log).toEqual([['later', 'reason']]);
  });

  it('tells every watcher once, with the reason, in the order they came; those that left hear nothing', () => {
    const controller = new AbortController();
    const other = new AbortController();
    const log: unknown[] = [];
    const a = recorder(log, 'a');
    const gone = recorder(log, 'gone');
    const b = recorder(log, 'b');
    watchAbort(controller.signal, a);
    watchAbort(controller.signal, gone);
    watchAbort(controller.signal, b);
    watchAbort(controller.signal, a); // twice: told once
    watchAbort(other.signal, b); // another signal: apart
    unwatchAbort(controller.signal, gone);
    const reason = new Error('stop');
    controller.abort(reason);
    expect(log).toEqual([
      ['a', reason],
      ['b', reason],
    ]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(1);
    other.abort('other');
    expect(log).toHaveLength(3);
  });

  it('lets a watcher stop watching, or watch another signal, while the signal is telling', () => {
    const controller = new AbortController();
    const next = new AbortController();
    const log: unknown[] = [];
    const second = recorder(log, 'second');
    const first: AbortWatcher = {
      aborted(reason) {
        log.push(['first', reason]);
        unwatchAbort(controller.signal, second); // already being told: still told once
        watchAbort(next.signal, recorder(log, 'next'));
      },
    };
    watchAbort(controller.signal, first);
    watchAbort(controller.signal, second);
    controller.abort('now');
    expect(log).toEqual([
      ['first', 'now'],
      ['second', 'now'],
    ]);
    next.abort('then');
    expect(log.at(-1)).toEqual(['next', 'then']);
  });
});
