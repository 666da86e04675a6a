/**
 * The examples in `examples/` type-check against the package and run against the fake
 * server: the echo bot echoes (also after the server dropped its connection) and stops
 * cleanly on SIGTERM; the example test suite passes under its own vitest configuration.
 * The browser chat page is the page `test/browser/chat.test.ts` drives in Chromium.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeRocketChatServer } from '../src/testing/index.js';
import { leftovers } from './helpers.js';
import { CHECK_DIR, ROOT, bundle, exitOf, runNode, typeCheck } from './samples.js';

afterEach(() => leftovers.disposeAll());

const EXAMPLES = path.join(ROOT, 'examples');

async function typeScriptFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/**
 * Posts `text` as alice until the echo bot has answered it (it may not have subscribed to
 * the room yet when the first one goes out).
 */
async function postUntilEchoed(server: FakeRocketChatServer, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    server.postMessage({ rid: 'GENERAL', username: 'alice', msg: `${text} (${attempt})` });
    const until = Date.now() + 300;
    while (Date.now() < until) {
      const echoed = server.messages('GENERAL').some((message) => message.u.username === 'echo' && message.msg.startsWith(text));
      if (echoed) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (Date.now() > deadline) throw new Error(`the echo bot never echoed "${text}"`);
  }
}

describe('the examples', () => {
  it('type-check against the package', async () => {
    const files = await typeScriptFiles(EXAMPLES);
    expect(files.map((file) => path.relative(EXAMPLES, file))).toEqual(
      expect.arrayContaining(['echo-bot.ts', 'browser-chat/chat.ts', 'browser-chat/serve.ts', 'testing/greeter.test.ts']),
    );
    const problems = typeCheck(files).map((problem) => `${path.relative(ROOT, problem.file)}:${problem.line}: ${problem.message}`);
    expect(problems).toEqual([]);
  });

  it('the echo bot echoes, keeps echoing after its connection is dropped and its token revoked, and stops on SIGTERM', async () => {
    const server = leftovers.track(await FakeRocketChatServer.start());
    server.addUser({ username: 'echo', password: 'echo-password' });
    server.addUser({ username: 'alice', password: 'alice' });
    const outfile = path.join(CHECK_DIR, 'examples', 'echo-bot.mjs');
    await bundle({ entry: path.join(EXAMPLES, 'echo-bot.ts'), outfile, platform: 'node' });
    const tokens: string[] = [];
    server.on('serverFrame', (frame) => {
      const token = frame.msg === 'result' ? (frame.result as { token?: unknown } | undefined)?.token : undefined;
      if (typeof token === 'string') tokens.push(token);
    });
    const bot = runNode(outfile, { env: { RC_URL: server.url, RC_USER: 'echo', RC_PASSWORD: 'echo-password' } });

    await postUntilEchoed(server, 'hello echo');
    server.dropAllConnections();
    await postUntilEchoed(server, 'still there?');
    // The server forgets the bot's token: its automatic login fails, it logs in again.
    for (const token of tokens) server.revokeToken(token);
    server.dropAllConnections();
    await postUntilEchoed(server, 'and now?');
    bot.kill('SIGTERM');
    const { code } = await exitOf(bot, 10_000, 'the echo bot');
    const output = bot.output();
    expect(code, output).toBe(0);
    expect(output).toContain('echoing in general as echo');
    expect(output).toContain('status: waiting');
    expect(output).toContain('automatic login refused');
    expect(output).toContain('logged in again with the password');
    expect(output.trimEnd().split('\n').at(-1)).toBe('stopped');
    expect(output).not.toContain('echo-password');
    // Every echo is stored once, with the text it echoes.
    const echoes = server.messages('GENERAL').filter((message) => message.u.username === 'echo').map((message) => message.msg);
    expect(new Set(echoes).size).toBe(echoes.length);
  });

  it('the example test suite passes under its own vitest configuration', async () => {
    const suite = runNode(path.join(ROOT, 'node_modules/vitest/vitest.mjs'), {
      args: ['run', '--config', path.join(EXAMPLES, 'testing/vitest.config.ts'), '--reporter', 'default'],
      env: { NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const { code } = await exitOf(suite, 15_000, 'the example test suite');
    const output = suite.output();
    expect(code, output).toBe(0);
    expect(output).toMatch(/Tests\s+3 passed \(3\)/);
  });
});
