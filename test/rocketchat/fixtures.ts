/**
 * Recorded Rocket.Chat frames from `fixtures/rocketchat-frames.jsonl`, decoded by the codec
 * (so `{"$date": n}` is already a `Date`), looked up by the start of their name.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeServerFrame } from '../../src/ddp/codec.js';
import type { ServerFrame } from '../../src/ddp/protocol.js';

interface FixtureLine {
  readonly name: string;
  readonly direction: string;
  readonly frame: unknown;
}

const lines: FixtureLine[] = readFileSync(
  fileURLToPath(new URL('../../fixtures/rocketchat-frames.jsonl', import.meta.url)),
  'utf8',
)
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as FixtureLine);

/** The server frame whose fixture name starts with `prefix`, decoded as the client would. */
export function serverFrame(prefix: string): ServerFrame {
  const line = lines.find((entry) => entry.name.startsWith(prefix) && entry.direction === 'server->client');
  if (line === undefined) throw new Error(`no server fixture named ${prefix}`);
  const frame = decodeServerFrame(JSON.stringify(line.frame));
  if (frame === null) throw new Error(`fixture ${prefix} decodes to null`);
  return frame;
}

/** The `result` of the result frame whose fixture name starts with `prefix`. */
export function resultOf(prefix: string): unknown {
  const frame = serverFrame(prefix);
  if (frame.msg !== 'result') throw new Error(`fixture ${prefix} is not a result`);
  return frame.result;
}

/** The first argument of the `changed` frame whose fixture name starts with `prefix`. */
export function streamArgOf(prefix: string): unknown {
  const frame = serverFrame(prefix);
  if (frame.msg !== 'changed') throw new Error(`fixture ${prefix} is not a changed frame`);
  const args = frame.fields?.['args'];
  return Array.isArray(args) ? args[0] : undefined;
}
