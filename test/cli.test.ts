/**
 * The `rocketchat-ddp` command, run as a child process against the fake server: exit codes,
 * output, and no secret ever printed. Runs the built `dist/` (`npm test` builds it first).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SubFrame } from '../src/index.js';
import { FakeRocketChatServer } from '../src/testing/index.js';
import { Leftovers, waitFor } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const PASSWORD = 'correct horse battery staple';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Running {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<Run>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts the CLI with `args`, only the given environment variables (plus PATH) set. */
function start(args: readonly string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Run>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  leftovers.track(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: (signal) => child.kill(signal),
  };
}

function run(args: readonly string[], env?: Record<string, string>): Promise<Run> {
  return start(args, env).exited;
}

const leftovers = new Leftovers();
afterEach(() => leftovers.disposeAll());

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' (npm test does it first)`);
});

async function startServer(): Promise<FakeRocketChatServer> {
  const server = leftovers.track(await FakeRocketChatServer.start());
  server.addUser({ username: 'bot', password: PASSWORD });
  return server;
}

/** `true` once the server answered this connection's `stream-room-messages` subscription. */
function hasRoomStreamReady(connection: FakeRocketChatServer['connections'][number]): boolean {
  const sub = connection.received.find(
    (frame): frame is SubFrame => frame.msg === 'sub' && frame.name === 'stream-room-messages',
  );
  return sub !== undefined && connection.sent.some((frame) => frame.msg === 'ready' && frame.subs.includes(sub.id));
}

function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

describe('rocketchat-ddp --help', () => {
  it.each(['send', 'listen', 'serve', 'demo'])('prints the usage of %s and exits 0', async (command) => {
    const result = await run([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: rocketchat-ddp ${command}`);
    expect(result.stderr).toBe('');
  });

  it('prints the list of commands and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['send', 'listen', 'serve', 'demo']) expect(result.stdout).toContain(command);
  });
});

describe('rocketchat-ddp usage errors', () => {
  it.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [[], 'Usage: rocketchat-ddp'],
    [['send', 'hello'], 'send needs --room'],
    [['send', '--room', 'general', '--url', 'ws://127.0.0.1:9/websocket', '--user', 'bot', 'hi'], 'no credentials'],
    [['send', '--room', 'general', '--user', 'bot', '--password', 'x', 'hi'], 'no server URL'],
    [['listen', '--bogus'], "Unknown option '--bogus'"],
    [['serve', '--port', 'eighty'], '--port must be a port number'],
    [['serve', '--user', 'nocolon'], '--user must be name:password'],
    [['send', '--room', 'general', '--attachment-json', '{"title":', 'hi'], '--attachment-json must be JSON'],
    [['send', '--room', 'general', '--attachment-json', '"text"', 'hi'], '--attachment-json must be an attachment object'],
  ])('exits 2 for %j with a one-line explanation', async (args, expected) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toContain(expected);
    if (result.stderr !== '') expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('rocketchat-ddp send', () => {
  it('sends with flags and prints the stored message as one JSON line', async () => {
    const server = await startServer();
    const result = await run(['send', '--url', server.url, '--user', 'bot', '--password', PASSWORD, '--room', 'general', 'hello', 'world']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [message] = jsonLines(result.stdout) as [{ _id: string; rid: string; msg: string; ts: string }];
    expect(message).toMatchObject({ rid: 'GENERAL', msg: 'hello world' });
    expect(Number.isNaN(Date.parse(message.ts))).toBe(false);
    expect(server.messages('GENERAL').map((stored) => stored._id)).toEqual([message._id]);
  });

  it('takes the URL and credentials from the environment, and a token instead of a password', async () => {
    const server = await startServer();
    const { token } = server.addUser({ username: 'tokenbot', password: 'unused-password' });
    const result = await run(['send', '--room', 'GENERAL', 'via token'], { RC_URL: server.url, RC_TOKEN: token });
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toMatchObject([{ msg: 'via token', u: { username: 'tokenbot' } }]);
    expect(result.stdout + result.stderr).not.toContain(token);
  });

  it('exits 1 with one line and no secret when the password is wrong', async () => {
    const server = await startServer();
    const wrong = 'not-the-password-123';
    const result = await run(['send', '--room', 'general', 'hi'], { RC_URL: server.url, RC_USER: 'bot', RC_PASSWORD: wrong });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('User not found');
    expect(result.stderr).not.toContain(wrong);
    expect(result.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
    expect(server.messages()).toHaveLength(0);
  });

  it('sends an attachment, an alias and an emoji over REST and prints the stored message', async () => {
    const server = await startServer();
    server.addUser({ username: 'ci', password: PASSWORD, roles: ['bot'] });
    const attachment = { title: 'Build #42', color: '#2de0a5', ts: '2016-12-09T16:53:06.761Z', fields: [{ title: 'status', value: 'passed', short: true }] };
    const result = await run([
      'send', '--url', server.url, '--user', 'ci', '--password', PASSWORD, '--room', 'general',
      '--attachment-json', JSON.stringify(attachment), '--alias', 'CI', '--emoji', ':robot:', 'build', 'done',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [message] = jsonLines(result.stdout) as [{ _id: string }];
    expect(message).toMatchObject({ rid: 'GENERAL', msg: 'build done', alias: 'CI', emoji: ':robot:', attachments: [attachment] });
    expect(server.transportOf(message._id)).toBe('rest');
    expect(result.stdout).not.toContain(PASSWORD);
  });

  it('sends attachments without text, and exits 1 saying which permission an alias needs', async () => {
    const server = await startServer();
    const attachments = [{ text: 'first' }, { text: 'second' }];
    const sent = await run(['send', '--room', 'general', '--attachment-json', JSON.stringify(attachments)], {
      RC_URL: server.url, RC_USER: 'bot', RC_PASSWORD: PASSWORD,
    });
    expect(sent.code).toBe(0);
    expect(jsonLines(sent.stdout)).toMatchObject([{ msg: '', attachments }]);
    const refused = await run(['send', '--room', 'general', '--alias', 'Someone else', 'hi'], {
      RC_URL: server.url, RC_USER: 'bot', RC_PASSWORD: PASSWORD,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^rocketchat-ddp: MessageNotDeliveredError: .*message-impersonate.*\n$/);
    expect(server.messages()).toHaveLength(1);
  });

  it('exits 1 with one line when nothing listens at the URL', async () => {
    const server = await startServer();
    const url = server.url;
    await server.close();
    const result = await run(['send', '--room', 'general', 'hi'], { RC_URL: url, RC_USER: 'bot', RC_PASSWORD: PASSWORD });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^rocketchat-ddp: DdpConnectionError: .+\n$/);
  });
});

describe('rocketchat-ddp listen', () => {
  it('prints one JSON line per message and exits 0 on SIGINT', async () => {
    const server = await startServer();
    const listener = start(['listen', '--room', 'general'], { RC_URL: server.url, RC_USER: 'bot', RC_PASSWORD: PASSWORD });
    // Subscribed once the server has answered the listener's room-stream `sub` with `ready`.
    await waitFor(() => server.connections.some(hasRoomStreamReady), { timeoutMs: 15_000, what: 'the listener subscribed' });
    server.postMessage({ rid: 'GENERAL', msg: 'first', username: 'bot' });
    server.postMessage({ rid: 'GENERAL', msg: 'second', username: 'bot' });
    await waitFor(() => jsonLines(listener.stdout()).length >= 2, { timeoutMs: 15_000, what: 'two lines printed' });
    listener.kill('SIGINT');
    const result = await listener.exited;
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)).toMatchObject([{ msg: 'first' }, { msg: 'second' }]);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });
});

describe('rocketchat-ddp serve', () => {
  it('prints the URL, users and rooms as one JSON line, serves them, and stops on SIGINT', async () => {
    const serving = start(['serve', '--user', 'alice:wonderland', '--room', 'dev']);
    const [info] = (await waitFor(() => {
      const lines = jsonLines(serving.stdout());
      return lines.length > 0 ? lines : undefined;
    }, { timeoutMs: 15_000, what: 'the serve line' })) as [{ url: string; users: unknown; rooms: { name: string }[] }];
    expect(info.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/websocket$/);
    expect(info.users).toEqual([{ username: 'alice', password: 'wonderland' }]);
    expect(info.rooms.map((room) => room.name)).toEqual(['general', 'dev']);

    const sent = await run(['send', '--room', 'dev', 'in dev'], { RC_URL: info.url, RC_USER: 'alice', RC_PASSWORD: 'wonderland' });
    expect(sent.code).toBe(0);
    expect(jsonLines(sent.stdout)).toMatchObject([{ msg: 'in dev' }]);

    serving.kill('SIGINT');
    expect((await serving.exited).code).toBe(0);
  });
});

describe('rocketchat-ddp demo', () => {
  it('sends a message, receives it on the room stream, and exits 0', async () => {
    const result = await run(['demo', 'hello demo']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^sent .*"msg":"hello demo"/m);
    expect(result.stdout).toMatch(/^received on the stream .*"msg":"hello demo"/m);
    expect(result.stdout).toContain('ts is a Date            true');
  });
});
