/**
 * The frames every benchmark speaks: what clients send for `sendMessage`, and the server's
 * answers, shaped like the recorded frames in `fixtures/rocketchat-frames.jsonl`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUT_DIR } from './child.js';

/** The user every benchmark client logs in as. */
export const USER_ID = 'aobEdbYhXfu5hkeqG';
/** The resume token the minimal server hands out (and accepts; it accepts anything). */
export const TOKEN = 'Rp8XTN6pOZHeJ5xhcVkWbPjPDQ8nLbLrBq0mH1g9k4A';
/** The room every message goes to. */
export const ROOM = 'GENERAL';

const USER = `{"_id":"${USER_ID}","username":"bot","name":"Bot"}`;

/** The text of the `seq`-th benchmark message. */
export function messageText(seq: number): string {
  return `hello world ${seq}`;
}

/** The `result` frame Rocket.Chat sends for `sendMessage`, built for one call. */
export function sendMessageResult(id: string, message: { _id?: unknown; rid?: unknown; msg?: unknown }, now: number): string {
  const msg = JSON.stringify(typeof message.msg === 'string' ? message.msg : '');
  return (
    `{"msg":"result","id":${JSON.stringify(id)},"result":{"_id":${JSON.stringify(String(message._id ?? 'Hgx6ZAo9sMwtkL7CE'))},` +
    `"rid":${JSON.stringify(String(message.rid ?? ROOM))},"msg":${msg},"ts":{"$date":${now}},"u":${USER},` +
    `"urls":[],"mentions":[],"channels":[],"md":[{"type":"PARAGRAPH","value":[{"type":"PLAIN_TEXT","value":${msg}}]}],` +
    `"_updatedAt":{"$date":${now + 7}}}}`
  );
}

/** The `result` frame of a successful `login`. */
export function loginResult(id: string, now: number): string {
  return (
    `{"msg":"result","id":${JSON.stringify(id)},"result":{"id":"${USER_ID}","token":"${TOKEN}",` +
    `"tokenExpires":{"$date":${now + 90 * 86_400_000}},"type":"password"}}`
  );
}

/** The recorded frame named `name` in `fixtures/rocketchat-frames.jsonl`, as the text a server sends. */
export function fixtureFrameText(name: string): string {
  const file = join(OUT_DIR, '..', 'fixtures', 'rocketchat-frames.jsonl');
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as { name: string; frame: unknown };
    if (entry.name === name) return JSON.stringify(entry.frame);
  }
  throw new Error(`no fixture frame named "${name}" in ${file}`);
}
