/**
 * Shared set-up of the DDP lifecycle suites: tracked servers and clients with test-sized
 * timings, and recorders for status events.
 */
import { DdpClient, type DdpClientOptions } from '../../src/ddp/client.js';
import type { ConnectionStatus, StatusDetails } from '../../src/ddp/status.js';
import { leftovers } from '../helpers.js';
import { ScriptServer, type ScriptServerOptions } from './script-server.js';

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
): Promise<{ server: ScriptServer; client: DdpClient; connection: import('./script-server.js').ScriptConnection }> {
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
