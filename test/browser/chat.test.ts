/**
 * The example chat page (`examples/browser-chat/`) in a real browser: Debian's Chromium,
 * driven by playwright-core (which never downloads a browser). The page uses the browser's
 * own WebSocket. It connects to a fake server, logs in, shows the history, sends a message
 * that comes back on the room stream, loses its connection (the server drops the socket and
 * refuses new ones for a while), queues a message meanwhile, reconnects, logs in again with
 * the resume token, delivers the queued message exactly once, and says so on screen.
 *
 * Without `/usr/bin/chromium` the test is skipped with the command that installs it, unless
 * `REQUIRE_CHROMIUM=1` (as in CI) makes that a failure.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangedFrame } from '../../src/ddp/protocol.js';
import { FakeRocketChatServer } from '../../src/testing/index.js';
import { serveChatPage } from '../../examples/browser-chat/serve.js';
import { leftovers, waitFor } from '../helpers.js';
import { CHECK_DIR, sourcesPlugin } from '../samples.js';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Where the screenshots go (git-ignored): the page at the end, and while it was offline. */
const SCREENSHOT = path.join(CHECK_DIR, 'browser-chat.png');
const OFFLINE_SCREENSHOT = path.join(CHECK_DIR, 'browser-chat-offline.png');

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env['REQUIRE_CHROMIUM'] === '1') {
  throw new Error(`${CHROMIUM} is missing and REQUIRE_CHROMIUM=1: install it with \`${INSTALL}\``);
}
if (!hasChromium) console.warn(`skipping the browser test: ${CHROMIUM} is missing; install it with \`${INSTALL}\``);

afterEach(() => leftovers.disposeAll());

interface Item {
  readonly id: string;
  readonly state: string;
  readonly author: string;
  readonly text: string;
  readonly label: string;
  readonly dateTime: string;
}

function readMessages(tab: Page): Promise<Item[]> {
  return tab.$$eval('#messages li', (items) =>
    items.map((item) => {
      const [time, author, , body, state] = Array.from(item.childNodes);
      return {
        id: (item as HTMLElement).dataset['id'] ?? '',
        state: (item as HTMLElement).dataset['state'] ?? '',
        author: author?.textContent ?? '',
        text: body?.textContent ?? '',
        label: state?.textContent ?? '',
        dateTime: (time as HTMLTimeElement | undefined)?.dateTime ?? '',
      };
    }),
  );
}

async function readLog(tab: Page): Promise<string[]> {
  const entries = await tab.$$eval('#status-log li', (items) => items.map((item) => item.textContent ?? ''));
  return entries.map((entry) => entry.replace(/^\S+( [AP]M)? /, '')); // without the time of day
}

describe.skipIf(!hasChromium)('the browser chat page in Chromium', () => {
  it('connects, logs in, sends and receives, survives a dropped socket, and shows it', async () => {
    const server = leftovers.track(await FakeRocketChatServer.start());
    server.addUser({ username: 'alice', password: 'wonderland', name: 'Alice' });
    server.addUser({ username: 'bob', password: 'builder', name: 'Bob' });
    server.postMessage({ rid: 'GENERAL', username: 'bob', msg: 'Welcome to #general' });
    const page = leftovers.track(await serveChatPage({ plugins: [sourcesPlugin({ externalPackages: false })] }));

    const profile = await mkdtemp(path.join(tmpdir(), 'rocketchat-ddp-chromium-'));
    leftovers.track(() => rm(profile, { recursive: true, force: true }));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 820, height: 720 },
    });
    leftovers.track(() => browser.close());
    const tab = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    tab.on('pageerror', (error) => pageErrors.push(error.message));
    tab.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });

    // Log in through the form.
    await tab.goto(`${page.url}?server=${encodeURIComponent(server.url)}`);
    await tab.fill('#username', 'alice');
    await tab.fill('#password', 'wonderland');
    await tab.click('#login button');
    await tab.waitForSelector('#composer:not([hidden])');
    expect(await tab.textContent('#status')).toBe('Connected as alice');
    await waitFor(async () => (await readMessages(tab)).some((item) => item.text === 'Welcome to #general'), { what: 'the history' });

    // Send: the server stores it and sends it back on the room stream, where the page shows it.
    await tab.fill('#text', 'Hello from Chromium');
    await tab.press('#text', 'Enter');
    const sent = await waitFor(async () => (await readMessages(tab)).find((item) => item.text === 'Hello from Chromium' && item.state === 'stored'));
    const streamed = (): boolean =>
      server.connections.some((connection) =>
        connection.sent.some((frame) => {
          if (frame.msg !== 'changed' || frame.collection !== 'stream-room-messages') return false;
          const args = (frame as ChangedFrame).fields?.['args'];
          return Array.isArray(args) && (args[0] as { _id?: unknown } | undefined)?._id === sent.id;
        }),
      );
    await waitFor(streamed, { what: 'the message on the room stream' });
    server.postMessage({ rid: 'GENERAL', username: 'bob', msg: 'Hi Alice!' });
    await waitFor(async () => (await readMessages(tab)).some((item) => item.text === 'Hi Alice!'), { what: "bob's message on the stream" });

    // The server drops the socket and cuts every new one for a while: the banner says so,
    // and a message written meanwhile waits for the connection.
    server.setFaults({ dropAfterFrames: 0 });
    server.dropAllConnections();
    await waitFor(async () => /Retrying in .* \(attempt 3\)/.test((await tab.textContent('#status')) ?? ''), {
      what: 'the banner announcing the third retry',
    });
    expect(await tab.getAttribute('#status', 'data-status')).toBe('waiting');
    await tab.fill('#text', 'Written while offline');
    await tab.press('#text', 'Enter');
    const queued = await waitFor(async () => (await readMessages(tab)).find((item) => item.text === 'Written while offline'));
    expect(queued).toMatchObject({ state: 'sending', label: '(waiting for the connection…)' });
    await tab.screenshot({ path: OFFLINE_SCREENSHOT, fullPage: true });

    // The server is back: the page reconnects, logs in again, sends the queued message once.
    server.setFaults({});
    await waitFor(async () => (await readMessages(tab)).some((item) => item.text === 'Written while offline' && item.state === 'stored'), {
      timeoutMs: 10_000,
      what: 'the queued message, stored after the reconnect',
    });
    server.postMessage({ rid: 'GENERAL', username: 'bob', msg: 'Welcome back' });
    await waitFor(async () => (await readMessages(tab)).some((item) => item.text === 'Welcome back'), { what: 'the stream after the reconnect' });
    expect(await tab.textContent('#status')).toBe('Connected as alice');

    // What the page shows, and what the server stored: each message exactly once.
    const items = await readMessages(tab);
    expect(items.map((item) => [item.author, item.text, item.state])).toEqual([
      ['bob', 'Welcome to #general', 'stored'],
      ['alice', 'Hello from Chromium', 'stored'],
      ['bob', 'Hi Alice!', 'stored'],
      ['alice', 'Written while offline', 'stored'],
      ['bob', 'Welcome back', 'stored'],
    ]);
    for (const item of items) expect(Number.isNaN(Date.parse(item.dateTime))).toBe(false); // rendered from a real Date
    expect(server.messages('GENERAL').map((message) => message.msg)).toEqual(items.map((item) => item.text));
    const log = await readLog(tab);
    expect(log).toContain('logged in as alice');
    expect(log).toContain('waiting attempt 1, retry in 10 ms');
    expect(log).toContain('logged in again with the resume token');
    expect(log.at(-1)).toBe('logged in again with the resume token');
    expect(pageErrors).toEqual([]);

    await tab.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`screenshots: ${SCREENSHOT}, ${OFFLINE_SCREENSHOT}`);
  });
});

if (!hasChromium) {
  describe('the browser chat page in Chromium', () => {
    it.skip(`needs ${CHROMIUM}: install it with \`${INSTALL}\``, () => {});
  });
}
