/**
 * Identifier formats of a Rocket.Chat server: Meteor ids, Mongo ObjectIds, login tokens.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { randomId } from '../ddp/random-id.js';

export { randomId };

const SECRET_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
let objectIdCounter = randomBytes(3).readUIntBE(0, 3);
const objectIdProcess = randomBytes(5).toString('hex');

/** A 43-character secret like Meteor's `Random.secret()` (login tokens). */
export function randomSecret(length = 43): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += SECRET_ALPHABET[byte & 63];
  return out;
}

/** A 24-hex Mongo ObjectId string, as the server gives a message sent without `_id`. */
export function objectId(now: number = Date.now()): string {
  objectIdCounter = (objectIdCounter + 1) % 0x1000000;
  const seconds = Math.floor(now / 1000).toString(16).padStart(8, '0').slice(-8);
  return seconds + objectIdProcess + objectIdCounter.toString(16).padStart(6, '0');
}
