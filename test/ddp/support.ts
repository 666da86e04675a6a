/**
 * Shared set-up of the DDP lifecycle suites: tracked servers and clients with test-sized
 * timings, and recorders for status events.
 */
import WS from 'ws';
import { DdpClient, type DdpClientOptions } from '../../src/ddp/client.js';
import type { ConnectionStatus, StatusDetails } from '../../src/ddp/status.js';
import { leftovers } from '../helpers.js';
import { ScriptServer, type ScriptConnection, type ScriptServerOptions } from './script-server.js';

/** Starts a script server that is closed after the test. */
export async function startServer(options: ScriptServerOptions = {}): Promise<ScriptServer> {
  return leftovers.track(await ScriptServer.start(options));
}

/**
 * A client closed after the test. Defaults for tests: retries after 5 ms, no heartbeat
 * (suites that test it turn it on with short intervals), a 5 s connect timeout.
 */
export function makeClient(url: string, options: Partial<DdpClientOptions> = {}): DdpClient {
  return leftovers.track(
    new DdpClient({ url, backoff: () => 5, heartbeat: false, connectTimeoutMs: 5000, ...options }),
  );
}

/** Records every status the client goes through, starting with the current one. */
export function recordStatuses(client: DdpClient): {
  readonly history: ConnectionStatus[];
  readonly events: { status: ConnectionStatus; details: StatusDetails }[];
} {
  const history: ConnectionStatus[] = [client.status];
  const events: { status: ConnectionStatus; details: StatusDetails }[] = [];
  client.on('status', (status, details) => {
    history.push(status);
    events.push({ status, details });
  });
  return { history, events };
}

/** Connects a client to a fresh server and returns both, with the server-side connection. */
export async function connectedPair(
  serverOptions: ScriptServerOptions = {},
  clientOptions: Partial<DdpClientOptions> = {},
): Promise<{ server: ScriptServer; client: DdpClient; connection: ScriptConnection }> {
  const server = await startServer(serverOptions);
  const client = makeClient(server.url, clientOptions);
  await client.connect();
  const connection = await server.waitForConnection(1);
  return { server, client, connection };
}

/** Lets pending I/O callbacks and microtasks run (not a wait for time to pass). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

let roundTrips = 0;

/**
 * Sends a `ping` from the server and waits for the client's `pong`. The client handles
 * frames in order and writes synchronously, so once the pong is in, everything the client
 * was going to write in answer to earlier frames has been received too.
 */
export async function roundTrip(connection: ScriptConnection): Promise<void> {
  const id = `rt-${++roundTrips}`;
  connection.send({ msg: 'ping', id });
  await connection.waitForFrame((frame) => frame['msg'] === 'pong' && frame['id'] === id);
}

/** Method names of the `method` frames a connection received, in order. */
export function methodsSent(connection: ScriptConnection): string[] {
  return connection.frames('method').map((frame) => String(frame['method']));
}

/**
 * A `ws` socket that records the arguments it was constructed with and every instance made
 * (`made`: empty it at the start of a test that reads it).
 */
export class RecordingWebSocket extends WS {
  static readonly made: RecordingWebSocket[] = [];
  readonly constructedWith: ConstructorParameters<typeof WS>;

  constructor(...args: ConstructorParameters<typeof WS>) {
    super(...args);
    this.constructedWith = args;
    RecordingWebSocket.made.push(this);
  }
}

/**
 * A WHATWG-only WebSocket (no `terminate`, no options), as in browsers and React Native,
 * built on `ws`. It records the arguments it was constructed with.
 */
export class BrowserLikeWebSocket {
  static readonly constructed: unknown[][] = [];
  readonly #ws: WS;
  constructor(...args: [string]) {
    BrowserLikeWebSocket.constructed.push(args);
    this.#ws = new WS(args[0]);
  }
  get readyState(): number {
    return this.#ws.readyState;
  }
  get onopen() {
    return this.#ws.onopen;
  }
  set onopen(handler) {
    this.#ws.onopen = handler;
  }
  get onmessage() {
    return this.#ws.onmessage;
  }
  set onmessage(handler) {
    this.#ws.onmessage = handler;
  }
  get onclose() {
    return this.#ws.onclose;
  }
  set onclose(handler) {
    this.#ws.onclose = handler;
  }
  get onerror() {
    return this.#ws.onerror;
  }
  set onerror(handler) {
    this.#ws.onerror = handler;
  }
  send(data: string): void {
    this.#ws.send(data);
  }
  close(code?: number, reason?: string): void {
    this.#ws.close(code, reason);
  }
}
