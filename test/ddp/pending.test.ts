import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DdpConnectionError, DdpMethodError, DdpTimeoutError } from '../../src/ddp/errors.js';
import { PendingCalls, type CallOutcomeMapper, type PendingCallInit } from '../../src/ddp/pending.js';
import { collectedAfterFullGc, settled } from '../helpers.js';

let nextId = 0;
function init(method: string, extra: Partial<PendingCallInit> = {}): PendingCallInit {
  const id = String(++nextId);
  return { id, method, text: JSON.stringify({ msg: 'method', id, method, params: [] }), ...extra };
}

function names(calls: { method: string }[]): string[] {
  return calls.map((call) => call.method);
}

describe('PendingCalls', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('settles a call with a mapper through it: results, a throwing mapping, server errors, timeouts, drops', async () => {
    vi.useFakeTimers();
    const mapper: CallOutcomeMapper<string> = {
      result(value, context) {
        if (value === 'bad') throw new Error(`cannot map ${String(value)} for ${String(context)}`);
        return value === 'later' ? Promise.resolve(`${String(context)}: later`) : `${String(context)}: ${String(value)}`;
      },
      error: (reason, context) => new Error(`${String(context)} failed: ${(reason as Error).message}`, { cause: reason }),
    };
    const table = new PendingCalls();
    // Each outcome, caught at once (a rejection is never left unhandled).
    const outcome = (name: string, extra: Partial<PendingCallInit> = {}) => {
      const call = table.add<string>(init(name, { mapper, context: name, ...extra }));
      return { id: call.id, settled: call.promise.then((value) => value, (error: unknown) => error as Error) };
    };
    const plain = outcome('plain');
    const promised = outcome('promised');
    const throwing = outcome('throwing');
    const refused = outcome('refused');
    const late = outcome('late', { timeoutMs: 50 });
    const cut = outcome('cut', { noRetry: true });
    table.takeSendable();
    table.settle({ msg: 'result', id: plain.id, result: 'A' });
    table.settle({ msg: 'result', id: promised.id, result: 'later' });
    table.settle({ msg: 'result', id: throwing.id, result: 'bad' });
    table.settle({ msg: 'result', id: refused.id, error: { error: 'error-not-allowed', reason: 'Not allowed' } });
    await vi.advanceTimersByTimeAsync(60);
    table.linkLost();
    expect(await plain.settled).toBe('plain: A');
    expect(await promised.settled).toBe('promised: later');
    expect(((await throwing.settled) as Error).message).toBe('cannot map bad for throwing');
    const refusal = (await refused.settled) as Error;
    expect(refusal.message).toMatch(/^refused failed: .*Not allowed/);
    expect(refusal.cause).toBeInstanceOf(DdpMethodError);
    expect(((await late.settled) as Error).cause).toBeInstanceOf(DdpTimeoutError);
    expect(((await cut.settled) as Error).cause).toBeInstanceOf(DdpConnectionError);
    expect(table.size).toBe(0);
  });

  it('hands out queued calls in the order they were made, once', () => {
    const table = new PendingCalls();
    table.add(init('a'));
    table.add(init('b'));
    expect(names(table.unsent())).toEqual(['a', 'b']);
    expect(names(table.takeSendable())).toEqual(['a', 'b']);
    expect(table.takeSendable()).toEqual([]);
    expect(table.inFlight).toBe(2);
    table.add(init('c'));
    expect(names(table.takeSendable())).toEqual(['c']);
  });

  it('settles results that arrive out of order with the right calls', async () => {
    const table = new PendingCalls();
    const a = table.add(init('a'));
    const b = table.add(init('b'));
    table.takeSendable();
    expect(table.settle({ msg: 'result', id: b.id, result: 'B' })).toBe(true);
    expect(table.settle({ msg: 'result', id: a.id, result: 'A' })).toBe(true);
    expect(await a.promise).toBe('A');
    expect(await b.promise).toBe('B');
    expect(table.size).toBe(0);
    expect(table.inFlight).toBe(0);
  });

  it('ignores a result for an unknown, unsent or already settled call', async () => {
    const table = new PendingCalls();
    const a = table.add(init('a'));
    expect(table.settle({ msg: 'result', id: a.id, result: 1 })).toBe(false); // not sent yet
    table.takeSendable();
    expect(table.settle({ msg: 'result', id: 'nope', result: 1 })).toBe(false);
    expect(table.settle({ msg: 'result', id: a.id, result: 2 })).toBe(true);
    expect(table.settle({ msg: 'result', id: a.id, result: 3 })).toBe(false);
    expect(await a.promise).toBe(2);
  });

  it.each([
    [{ error: 'too-many-requests', reason: 'slow down', details: { timeToReset: 425 } }, 'too-many-requests'],
    [{ error: 401, reason: 'User not found' }, 401],
  ])('rejects with a DdpMethodError carrying the server code %#', async (error, code) => {
    const table = new PendingCalls();
    const call = table.add(init('login'));
    table.takeSendable();
    table.settle({ msg: 'result', id: call.id, error });
    const outcome = await settled(call.promise);
    expect(outcome.status).toBe('rejected');
    const reason = (outcome as { reason: DdpMethodError }).reason;
    expect(reason).toBeInstanceOf(DdpMethodError);
    expect(reason.error).toBe(code);
    expect(reason.reason).toBe(error.reason);
    expect(reason.details).toEqual((error as { details?: unknown }).details);
    expect(reason.method).toBe('login');
  });

  it('gives a rejection the stack of the place the call was made', async () => {
    const table = new PendingCalls({ callSiteStacks: true });
    function makeTheCall() {
      return table.add(init('m'));
    }
    const call = makeTheCall();
    table.takeSendable();
    table.settle({ msg: 'result', id: call.id, error: { error: 'x' } });
    const outcome = await settled(call.promise);
    const stack = (outcome as { reason: Error }).reason.stack ?? '';
    expect(stack.split('\n')[0]).toBe('DdpMethodError: m: server error [x]');
    expect(stack).toContain('makeTheCall');
  });

  it('sends a wait call alone and holds later calls until its result and updated (one, two(wait), three, four, five(wait), six)', () => {
    const table = new PendingCalls();
    const [one, two, three, four, five, six] = [
      table.add(init('one')),
      table.add(init('two', { wait: true })),
      table.add(init('three')),
      table.add(init('four')),
      table.add(init('five', { wait: true })),
      table.add(init('six')),
    ];
    expect(names(table.takeSendable())).toEqual(['one']);
    table.settle({ msg: 'result', id: one!.id });
    expect(table.updated([one!.id])).toBe(false); // no barrier lifted: one was no barrier
    expect(names(table.takeSendable())).toEqual(['two']);
    table.settle({ msg: 'result', id: two!.id });
    expect(table.takeSendable()).toEqual([]); // result alone does not lift the barrier
    expect(table.updated([two!.id])).toBe(true);
    expect(names(table.takeSendable())).toEqual(['three', 'four']);
    table.settle({ msg: 'result', id: four!.id });
    expect(table.takeSendable()).toEqual([]); // three is still out
    table.settle({ msg: 'result', id: three!.id });
    expect(names(table.takeSendable())).toEqual(['five']);
    expect(table.updated([five!.id])).toBe(false); // updated before result: still out
    expect(table.takeSendable()).toEqual([]);
    table.settle({ msg: 'result', id: five!.id });
    expect(names(table.takeSendable())).toEqual(['six']);
    table.settle({ msg: 'result', id: six!.id });
    expect(table.size).toBe(0);
  });

  it('marks a call added while the link takes calls as written only when it may go now, in the same order as the queue', () => {
    const table = new PendingCalls();
    const one = table.add(init('one'), true);
    expect(one.state).toBe('sent'); // nothing queued, nothing holding it
    const two = table.add(init('two', { wait: true }), true);
    expect(two.state).toBe('queued'); // a wait call goes alone: one is out
    const three = table.add(init('three'), true);
    expect(three.state).toBe('queued'); // behind two, never ahead of it
    const idle = new PendingCalls();
    const offline = idle.add(init('offline'));
    expect(offline.state).toBe('queued'); // the link does not take calls
    table.settle({ msg: 'result', id: one.id });
    table.updated([one.id]);
    expect(names(table.takeSendable())).toEqual(['two']);
    const four = table.add(init('four'), true);
    expect(four.state).toBe('queued'); // two holds every later call
    table.settle({ msg: 'result', id: two.id });
    table.updated([two.id]);
    expect(names(table.takeSendable())).toEqual(['three', 'four']);
    const controller = new AbortController();
    const five = table.add(init('five', { signal: controller.signal }));
    controller.abort(new Error('never mind'));
    void five.promise.catch(() => undefined);
    const six = table.add(init('six'), true);
    expect(six.state).toBe('queued'); // the queue still holds five, aborted: the pump skips it
    expect(names(table.takeSendable())).toEqual(['six']);
  });

  it('settles a wait call on its result even before updated arrives', async () => {
    const table = new PendingCalls();
    const call = table.add(init('login', { wait: true }));
    table.takeSendable();
    table.settle({ msg: 'result', id: call.id, result: 'ok' });
    expect(await call.promise).toBe('ok');
    expect(call.state).toBe('awaiting-updated');
    table.updated([call.id, 'unknown']);
    expect(table.size).toBe(0);
  });

  it('holds ordinary calls while a session call is out', () => {
    const table = new PendingCalls();
    const queued = table.add(init('user'));
    const session = table.add(init('login', { session: true }));
    expect(session.state).toBe('sent');
    expect(table.takeSendable()).toEqual([]);
    table.settle({ msg: 'result', id: session.id });
    expect(table.takeSendable()).toEqual([]);
    table.updated([session.id]);
    expect(table.takeSendable()).toEqual([queued]);
  });

  it('rejects with DdpTimeoutError when the result is late, and then ignores it', async () => {
    vi.useFakeTimers();
    const released = vi.fn();
    const table = new PendingCalls({ onRelease: released });
    const call = table.add(init('slow', { timeoutMs: 250 }));
    table.takeSendable();
    vi.advanceTimersByTime(250);
    const outcome = await settled(call.promise);
    const reason = (outcome as { reason: DdpTimeoutError }).reason;
    expect(reason).toBeInstanceOf(DdpTimeoutError);
    expect(reason.message).toBe('method slow timed out after 250 ms');
    expect(reason.timeoutMs).toBe(250);
    expect(released).toHaveBeenCalledTimes(1);
    expect(table.size).toBe(0);
    expect(table.inFlight).toBe(0);
    expect(table.settle({ msg: 'result', id: call.id, result: 'late' })).toBe(false);
  });

  it('never hands out a call aborted before it was sent, and rejects it with the reason', async () => {
    const table = new PendingCalls();
    const controller = new AbortController();
    const call = table.add(init('m', { signal: controller.signal }));
    const reason = new Error('changed my mind');
    controller.abort(reason);
    expect(table.takeSendable()).toEqual([]);
    expect(await settled(call.promise)).toEqual({ status: 'rejected', reason });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects a call aborted after it was sent and ignores its late result', async () => {
    const table = new PendingCalls();
    const controller = new AbortController();
    const call = table.add(init('m', { signal: controller.signal }));
    table.takeSendable();
    controller.abort();
    const outcome = await settled(call.promise);
    expect((outcome as { reason: Error }).reason.name).toBe('AbortError');
    expect(table.settle({ msg: 'result', id: call.id, result: 1 })).toBe(false);
    expect(table.size).toBe(0);
  });

  it('lifts a wait barrier when the wait call times out', () => {
    vi.useFakeTimers();
    const table = new PendingCalls();
    const wait = table.add(init('w', { wait: true, timeoutMs: 10 }));
    wait.promise.catch(() => undefined);
    table.add(init('after'));
    table.takeSendable();
    expect(table.takeSendable()).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(names(table.takeSendable())).toEqual(['after']);
  });

  it('after a drop: fails noRetry and session calls, forgets answered ones, requeues the rest in order', async () => {
    const table = new PendingCalls();
    const a = table.add(init('a'));
    const b = table.add(init('b', { noRetry: true }));
    const c = table.add(init('c'));
    table.takeSendable();
    const answered = table.add(init('answered'));
    table.takeSendable();
    table.settle({ msg: 'result', id: answered.id, result: 1 });
    const session = table.add(init('login', { session: true }));
    const queuedNoRetry = table.add(init('q', { noRetry: true }));
    table.linkLost();
    expect(names(table.unsent())).toEqual(['a', 'c', 'q']);
    expect(table.inFlight).toBe(0);
    const bOutcome = await settled(b.promise);
    expect((bOutcome as { reason: DdpConnectionError }).reason).toBeInstanceOf(DdpConnectionError);
    expect((bOutcome as { reason: DdpConnectionError }).reason.code).toBe('invocation-failed');
    const sessionOutcome = await settled(session.promise);
    expect((sessionOutcome as { reason: DdpConnectionError }).reason.code).toBe('closed');
    expect(table.takeSendable().map((call) => call.id)).toEqual([a.id, c.id, queuedNoRetry.id]);
    expect(await answered.promise).toBe(1);
  });

  it('forgets a wait call that had its result but not its updated when the link drops', () => {
    const table = new PendingCalls();
    const wait = table.add(init('w', { wait: true }));
    table.add(init('later'));
    table.takeSendable();
    table.settle({ msg: 'result', id: wait.id });
    table.linkLost();
    expect(names(table.takeSendable())).toEqual(['later']);
  });

  it('rejectQueued fails only what was not sent; rejectAll fails everything', async () => {
    const table = new PendingCalls();
    const sent = table.add(init('sent'));
    table.takeSendable();
    const queued = table.add(init('queued'));
    const error = new Error('gone');
    table.rejectQueued(error);
    expect(await settled(queued.promise)).toEqual({ status: 'rejected', reason: error });
    expect(table.size).toBe(1);
    table.rejectAll(error);
    expect(await settled(sent.promise)).toEqual({ status: 'rejected', reason: error });
    expect(table.size).toBe(0);
    expect(table.inFlight).toBe(0);
  });

  it('times out calls with different timeouts each at its own deadline, never before', async () => {
    vi.useFakeTimers();
    const table = new PendingCalls();
    const timedOut: string[] = [];
    const add = (method: string, timeoutMs: number): void => {
      table.add(init(method, { timeoutMs })).promise.catch((error: DdpTimeoutError) => timedOut.push(error.message));
    };
    add('a', 300);
    add('b', 100);
    add('c', 200);
    add('d', 100);
    add('none', 0);
    table.takeSendable();
    await vi.advanceTimersByTimeAsync(99);
    expect(timedOut).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(timedOut).toEqual(['method b timed out after 100 ms', 'method d timed out after 100 ms']);
    await vi.advanceTimersByTimeAsync(99);
    expect(timedOut).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(timedOut[2]).toBe('method c timed out after 200 ms');
    await vi.advanceTimersByTimeAsync(100);
    expect(timedOut[3]).toBe('method a timed out after 300 ms');
    expect(table.size).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still times out a later call after the call with the earliest deadline settled', async () => {
    vi.useFakeTimers();
    const table = new PendingCalls();
    const first = table.add(init('first', { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(50);
    const second = table.add(init('second', { timeoutMs: 100 }));
    let secondOutcome: unknown;
    second.promise.catch((error: unknown) => (secondOutcome = error));
    table.takeSendable();
    table.settle({ msg: 'result', id: first.id, result: 1 });
    await vi.advanceTimersByTimeAsync(99);
    expect(secondOutcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(secondOutcome).toBeInstanceOf(DdpTimeoutError);
    expect(await first.promise).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps one timer per timeout value for the calls of every table, which settling calls never touch', async () => {
    vi.useFakeTimers();
    const table = new PendingCalls();
    const other = new PendingCalls();
    const calls = [100, 200, 300, 100].map((timeoutMs, i) => table.add(init(`m${i}`, { timeoutMs })));
    const theirs = other.add(init('theirs', { timeoutMs: 100 }));
    table.takeSendable();
    other.takeSendable();
    expect(vi.getTimerCount()).toBe(3);
    for (const call of calls) table.settle({ msg: 'result', id: call.id });
    other.settle({ msg: 'result', id: theirs.id });
    // Left to fire (unreferenced: they keep no process alive); the next call of a sequence sets none.
    expect(vi.getTimerCount()).toBe(3);
    await vi.advanceTimersByTimeAsync(50);
    const late = table.add(init('late', { timeoutMs: 100 }));
    let lateOutcome: unknown;
    late.promise.catch((error: unknown) => (lateOutcome = error));
    expect(vi.getTimerCount()).toBe(3);
    await vi.advanceTimersByTimeAsync(50); // the 100 ms timer was set for the first calls: it finds the late one not due, and waits for it
    expect(lateOutcome).toBeUndefined();
    expect(vi.getTimerCount()).toBe(3);
    table.rejectAll(new Error('closed'));
    await expect(late.promise).rejects.toThrow('closed');
    await vi.advanceTimersByTimeAsync(300);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no entry, timer or abort listener behind after 10,000 settled calls', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const baseline = timers();
    const table = new PendingCalls();
    const controller = new AbortController();
    const promises: Promise<unknown>[] = [];
    for (let i = 0; i < 10_000; i++) {
      const call = table.add(init('m', { timeoutMs: 60_000, signal: controller.signal }));
      promises.push(call.promise.catch((error: unknown) => error));
      table.takeSendable();
      if (i % 2 === 0) table.settle({ msg: 'result', id: call.id, result: i });
      else table.settle({ msg: 'result', id: call.id, error: { error: 'e' } });
    }
    const outcomes = await Promise.all(promises);
    expect(outcomes.filter((outcome) => outcome instanceof DdpMethodError)).toHaveLength(5000);
    expect(table.size).toBe(0);
    expect(table.inFlight).toBe(0);
    expect(table.unsent()).toEqual([]);
    expect(timers()).toBe(baseline);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('listens to a signal shared by many calls, of several tables, once: the last call to settle removes the listener', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const tables = [new PendingCalls(), new PendingCalls()];
      const calls = Array.from({ length: 40 }, (_, index) => (tables[index % 2] as PendingCalls).add(init('shared', { signal: controller.signal }), true));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      calls.forEach((call, index) => {
        if (index < 39) (tables[index % 2] as PendingCalls).settle({ msg: 'result', id: call.id, result: index });
      });
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1); // the 40th still listens
      (tables[1] as PendingCalls).settle({ msg: 'result', id: (calls[39] as { id: string }).id, result: 39 });
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      await Promise.all(calls.map((call) => call.promise));
      await new Promise((resolve) => setImmediate(resolve)); // Node reports a leak warning on a later tick
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('rejects every call of every table sharing an aborted signal with its reason, and listens no more', async () => {
    const controller = new AbortController();
    const tables = [new PendingCalls(), new PendingCalls()];
    const calls = Array.from({ length: 12 }, (_, index) => (tables[index % 2] as PendingCalls).add(init('shared', { signal: controller.signal }), index < 6));
    const reason = new Error('shutting down');
    controller.abort(reason);
    for (const call of calls) expect(await settled(call.promise)).toEqual({ status: 'rejected', reason });
    expect(tables.map((table) => table.size)).toEqual([0, 0]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // A later call with a fresh signal is watched afresh.
    const fresh = new AbortController();
    const later = (tables[0] as PendingCalls).add(init('later', { signal: fresh.signal }), true);
    expect(getEventListeners(fresh.signal, 'abort')).toHaveLength(1);
    fresh.abort(reason);
    expect(await settled(later.promise)).toEqual({ status: 'rejected', reason });
  });

  it('keeps the last call added in the process after it is done, until the next call or a table rejects all', async () => {
    // Kept so that V8 keeps the layout of a call (and the code optimized for it) through a full GC.
    const table = new PendingCalls();
    const settleOne = (): WeakRef<object> => {
      const call = table.add(init('kept'), true);
      table.settle({ msg: 'result', id: call.id, result: 1 });
      table.updated([call.id]);
      return new WeakRef(call);
    };
    const first = settleOne();
    expect(table.size).toBe(0);
    expect(await collectedAfterFullGc(first)).toBe(false);
    const second = settleOne(); // replaces the first
    expect(await collectedAfterFullGc(first)).toBe(true);
    expect(await collectedAfterFullGc(second)).toBe(false);
    new PendingCalls().rejectAll(new Error('closed')); // any table's: its client may have made it
    expect(await collectedAfterFullGc(second)).toBe(true);
  });
});
