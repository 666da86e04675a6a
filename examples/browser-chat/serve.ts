/**
 * Serves the chat page on 127.0.0.1: `index.html`, and `chat.ts` bundled for the browser
 * with esbuild. Run directly, it also starts a fake Rocket.Chat server with two users and
 * prints where to point a browser:
 *
 *     npm run build && node examples/browser-chat/serve.ts     # Node ≥ 22.18 runs .ts files
 *
 * Then open the printed URL in two windows, log in as alice / alice and bob / bob, and chat.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** Options of {@link serveChatPage}. */
export interface ChatPageOptions {
  /** @default 0 (any free port) */
  readonly port?: number;
  /** esbuild plugins for the page's bundle (e.g. to resolve `rocketchat-ddp` elsewhere). */
  readonly plugins?: readonly Plugin[];
}

/** A running page server. */
export interface ChatPage {
  /** The page's address, `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** Stops serving; resolves once the port is free. */
  close(): Promise<void>;
}

/** Bundles the page's script, then serves the page until `close()`. */
export async function serveChatPage(options: ChatPageOptions = {}): Promise<ChatPage> {
  const built = await build({
    entryPoints: [fileURLToPath(new URL('./chat.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
    plugins: [...(options.plugins ?? [])],
  });
  const script = built.outputFiles[0]?.text ?? '';
  const html = await readFile(new URL('./index.html', import.meta.url), 'utf8');
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const body = path === '/' || path === '/index.html' ? html : path === '/chat.js' ? script : undefined;
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    const type = path === '/chat.js' ? 'text/javascript' : 'text/html';
    response.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const { FakeRocketChatServer } = await import('rocketchat-ddp/testing');
  const chat = await FakeRocketChatServer.start();
  chat.addUser({ username: 'alice', password: 'alice', name: 'Alice' });
  chat.addUser({ username: 'bob', password: 'bob', name: 'Bob' });
  const page = await serveChatPage({ port: Number(process.env['PORT'] ?? 8080) });
  console.log(`open ${page.url}?server=${encodeURIComponent(chat.url)}  (users alice/alice, bob/bob; Ctrl-C stops)`);
  const stop = async (): Promise<void> => {
    await page.close();
    await chat.close();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
