/**
 * Child processes of the benchmark: servers (which say `ready` with their URL and stay up
 * until told to stop) and workers (which send one `result` and exit). Every child is killed
 * when the parent exits, whatever the reason, so no run leaves a process behind.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Messages a child sends its parent over IPC. */
export type ChildMessage =
  | { readonly type: 'ready'; readonly [key: string]: unknown }
  | { readonly type: 'result'; readonly [key: string]: unknown }
  | { readonly type: 'progress'; readonly line: string }
  | { readonly type: 'failed'; readonly error: string };

/** Messages a parent sends a child over IPC. */
export type ParentMessage = { readonly type: 'stop' } | { readonly type: 'stats' };

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const child of live) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** The directory the compiled benchmark files live in (`.bench-out/`). */
export const OUT_DIR = dirname(fileURLToPath(import.meta.url));

/** Options of {@link forkChild}. */
export interface ForkOptions {
  /** Extra `node` flags, e.g. `['--expose-gc']`. */
  readonly execArgv?: readonly string[];
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Called with each `progress` line the child sends. */
  readonly onProgress?: (line: string) => void;
}

function spawnChild(script: string, args: readonly string[], options: ForkOptions): ChildProcess {
  hookExit();
  const child = fork(join(OUT_DIR, script), [...args], {
    execArgv: [...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.on('message', (message: ChildMessage) => {
    if (message.type === 'progress') options.onProgress?.(message.line);
  });
  return child;
}

/** Waits for the first message of `type` (or a failure / exit / timeout). */
function waitFor<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T,
  what: string,
  timeoutMs: number,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: ChildMessage): void => {
      if (message.type === type) {
        cleanup();
        resolve(message as Extract<ChildMessage, { type: T }>);
      } else if (message.type === 'failed') {
        cleanup();
        reject(new Error(`${what} failed: ${message.error}`));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`${what} exited (code ${String(code)}, signal ${String(signal)}) before "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`${what}: no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** A running server child. */
export interface ServerChild<R> {
  /** What the server said when ready (its URL, users, …). */
  readonly info: R;
  /** Asks the server for its counters. */
  stats(): Promise<Record<string, unknown>>;
  /** Asks the server to close and waits for it to exit (kills it after 10 s). */
  stop(): Promise<void>;
}

/** Forks a server script and waits for its `ready` message. */
export async function startServer<R>(script: string, args: readonly string[], options: ForkOptions = {}): Promise<ServerChild<R>> {
  const child = spawnChild(script, args, options);
  let ready: Extract<ChildMessage, { type: 'ready' }>;
  try {
    ready = await waitFor(child, 'ready', script, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    info: ready as unknown as R,
    async stats() {
      const reply = waitFor(child, 'result', `${script} stats`, 10_000);
      child.send({ type: 'stats' } satisfies ParentMessage);
      return (await reply) as unknown as Record<string, unknown>;
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
        else child.kill('SIGTERM');
      });
      return stopping;
    },
  };
}

/** Forks a worker script, waits for its one `result` message and its exit. */
export async function runWorker<R>(
  script: string,
  args: readonly string[],
  options: ForkOptions & { readonly timeoutMs: number },
): Promise<R> {
  const child = spawnChild(script, args, options);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const result = await waitFor(child, 'result', script, options.timeoutMs);
    const code = await exited;
    if (code !== 0) throw new Error(`${script} exited with code ${String(code)} after its result`);
    return result as unknown as R;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------
// Child side

/** Sends a message to the parent (no-op when not forked). */
export function tellParent(message: ChildMessage): void {
  process.send?.(message);
}

/**
 * Runs a worker's body: sends its result and exits 0, or sends `failed` and exits 1.
 * A worker that outlives `timeoutMs` fails (nothing may run forever).
 */
export function workerMain(body: () => Promise<Record<string, unknown>>, timeoutMs: number): void {
  const guard = setTimeout(() => {
    tellParent({ type: 'failed', error: `worker timed out after ${timeoutMs} ms` });
    process.exit(1);
  }, timeoutMs);
  guard.unref();
  body().then(
    (result) => {
      tellParent({ type: 'result', ...result });
      clearTimeout(guard);
      process.disconnect?.();
      // Exit even if a peer library left a handle behind; the worker checked its own handles.
      setTimeout(() => process.exit(0), 50).unref();
    },
    (error: unknown) => {
      tellParent({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exitCode = 1;
      setTimeout(() => process.exit(1), 50).unref();
    },
  );
}

/**
 * Runs a server's body: the body starts the server and returns its `ready` info, a `stop`
 * and optional `stats`; the parent's `stop` (or its disappearance) closes it and exits.
 */
export function serverMain(
  body: () => Promise<{ info: Record<string, unknown>; stop: () => Promise<void>; stats?: () => Record<string, unknown> }>,
): void {
  body().then(
    ({ info, stop, stats }) => {
      let stopping = false;
      const shutdown = (): void => {
        if (stopping) return;
        stopping = true;
        const guard = setTimeout(() => process.exit(0), 5_000);
        guard.unref();
        stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('message', (message: ParentMessage) => {
        if (message.type === 'stop') shutdown();
        else if (message.type === 'stats') tellParent({ type: 'result', ...(stats?.() ?? {}) });
      });
      process.on('disconnect', shutdown); // the parent died
      tellParent({ type: 'ready', ...info });
    },
    (error: unknown) => {
      tellParent({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    },
  );
}
