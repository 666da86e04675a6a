#!/usr/bin/env node
/**
 * The `rocketchat-ddp` command: `send`, `listen`, `serve`, `demo`.
 *
 * Built only on the package's public entry points, so it doubles as a usage example.
 * Exit codes: 0 success, 1 failure (one line on stderr, no stack trace), 2 usage error.
 * Secrets (password, tokens) are read from flags or the environment and never printed.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { RocketChatClient, isDdpError } from '../index.js';
import type { IMessage, LoginCredentials, OutgoingAttachment, OutgoingMessage } from '../index.js';
import { FakeRocketChatServer } from '../testing/index.js';
import { USAGE } from './help.js';

type Command = 'send' | 'listen' | 'serve' | 'demo';
const COMMANDS: readonly Command[] = ['send', 'listen', 'serve', 'demo'];

/** A wrong command line: printed with a pointer to `--help`, exit code 2. */
class UsageError extends Error {
  override name = 'UsageError';
}

const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: readonly string[]): Promise<number> {
  const [commandName, ...rest] = argv;
  if (commandName === undefined || commandName === '--help' || commandName === '-h' || commandName === 'help') {
    process.stdout.write(`${USAGE.main}\n`);
    return commandName === undefined ? 2 : 0;
  }
  if (!COMMANDS.includes(commandName as Command)) {
    throw new UsageError(`unknown command '${commandName}'`);
  }
  const command = commandName as Command;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE[command]}\n`);
    return 0;
  }
  switch (command) {
    case 'send':
      return send(rest);
    case 'listen':
      return listen(rest);
    case 'serve':
      return serve(rest);
    case 'demo':
      return demo(rest);
  }
}

// ---------------------------------------------------------------------------------------
// send / listen: a real server

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

interface Connection {
  readonly url: string;
  readonly credentials: LoginCredentials;
}

function connectionFrom(values: { url?: string | undefined; user?: string | undefined; password?: string | undefined; token?: string | undefined }): Connection {
  const env = process.env;
  const url = values.url ?? env['RC_URL'];
  if (!url) throw new UsageError('no server URL: pass --url or set RC_URL');
  const token = values.token ?? env['RC_TOKEN'];
  if (token) return { url, credentials: { resume: token } };
  const user = values.user ?? env['RC_USER'];
  const password = values.password ?? env['RC_PASSWORD'];
  if (!user || !password) {
    throw new UsageError('no credentials: pass --user and --password (or RC_USER/RC_PASSWORD), or --token (RC_TOKEN)');
  }
  return {
    url,
    credentials: user.includes('@') ? { email: user, password } : { username: user, password },
  };
}

async function openClient(connection: Connection): Promise<RocketChatClient> {
  const client = new RocketChatClient({ url: connection.url });
  try {
    await client.connect();
    await client.login(connection.credentials);
    return client;
  } catch (error) {
    await client.close();
    throw error;
  }
}

async function send(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    room: { type: 'string' },
    'attachment-json': { type: 'string', multiple: true },
    alias: { type: 'string' },
    emoji: { type: 'string' },
  });
  if (!values.room) throw new UsageError('send needs --room <name|id>');
  const attachments = (values['attachment-json'] ?? []).flatMap(parseAttachments);
  if (positionals.length === 0 && attachments.length === 0) throw new UsageError('send needs the text to send (or --attachment-json)');
  const connection = connectionFrom(values);
  const client = await openClient(connection);
  try {
    const rid = await client.getRoomId(values.room);
    const message: OutgoingMessage = {
      rid,
      msg: positionals.join(' '),
      ...(attachments.length === 0 ? {} : { attachments }),
      ...(values.alias === undefined ? {} : { alias: values.alias }),
      ...(values.emoji === undefined ? {} : { emoji: values.emoji }),
    };
    printJson(await client.sendMessage(message));
    return 0;
  } finally {
    await client.close();
  }
}

/** The attachments of one `--attachment-json`: an attachment object, or an array of them. */
function parseAttachments(text: string): OutgoingAttachment[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('--attachment-json must be JSON: an attachment object or an array of them');
  }
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))) {
    throw new UsageError('--attachment-json must be an attachment object or an array of them');
  }
  return list as OutgoingAttachment[];
}

async function listen(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, room: { type: 'string' } });
  if (!values.room) throw new UsageError('listen needs --room <name|id>');
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const connection = connectionFrom(values);
  const client = await openClient(connection);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const rid = values.room === '__my_messages__' ? values.room : await client.getRoomId(values.room);
    for await (const message of client.messages(rid, { signal: stop.signal })) printJson(message);
    return 0;
  } catch (error) {
    if (stop.signal.aborted) return 0;
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client.close();
  }
}

// ---------------------------------------------------------------------------------------
// serve / demo: the built-in fake server

async function serve(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    user: { type: 'string', multiple: true },
    room: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not '${values.port}'`);
  const users = (values.user ?? ['bot:bot']).map((pair) => {
    const colon = pair.indexOf(':');
    if (colon <= 0 || colon === pair.length - 1) throw new UsageError(`--user must be name:password, not '${pair}'`);
    return { username: pair.slice(0, colon), password: pair.slice(colon + 1) };
  });
  const server = await FakeRocketChatServer.start({ port, ...(values.host === undefined ? {} : { host: values.host }) });
  for (const user of users) server.addUser(user);
  const rooms = [{ _id: 'GENERAL', name: 'general' }];
  for (const name of values.room ?? []) rooms.push(server.addRoom({ name, members: users.map((u) => u.username) }));
  printJson({ url: server.url, users, rooms });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

async function demo(args: readonly string[]): Promise<number> {
  const { positionals } = parse(args, { help: { type: 'boolean', short: 'h' } });
  const text = positionals.length > 0 ? positionals.join(' ') : 'Hello from rocketchat-ddp';
  const server = await FakeRocketChatServer.start();
  const client = new RocketChatClient({ url: server.url });
  try {
    server.addUser({ username: 'bot', password: 'bot', name: 'Demo Bot' });
    print(`fake Rocket.Chat server  ${server.url}`);
    await client.connect();
    const { userId } = await client.login({ username: 'bot', password: 'bot' });
    print(`logged in               bot (user id ${userId})`);

    let stopListening = (): void => {};
    const received = new Promise<IMessage>((resolve) => {
      stopListening = client.onMessage('GENERAL', (message) => {
        if (message.msg === text) resolve(message);
      });
    });
    const sent = await client.sendMessage({ rid: 'GENERAL', msg: text });
    print(`sent                    ${JSON.stringify(summary(sent))}`);
    const echoed = await received;
    stopListening();
    print(`received on the stream  ${JSON.stringify(summary(echoed))}`);
    print(`ts is a Date            ${echoed.ts instanceof Date} (${echoed.ts.toISOString()})`);
    return 0;
  } finally {
    await client.close();
    await server.close();
  }
}

function summary(message: IMessage): Record<string, unknown> {
  return { _id: message._id, rid: message.rid, msg: message.msg, u: message.u.username, ts: message.ts };
}

// ---------------------------------------------------------------------------------------
// Output

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function printJson(value: unknown): void {
  print(JSON.stringify(value));
}

function describeFailure(error: unknown): string {
  if (isDdpError(error) || error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`rocketchat-ddp: ${error.message} (see --help)\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`rocketchat-ddp: ${describeFailure(error)}\n`);
      process.exitCode = 1;
    }
  },
);
