/**
 * Meteor-style random ids (17 characters of `23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz`),
 * drawn from the platform's `crypto.getRandomValues` (Node ≥ 20 and every browser).
 *
 * @module
 */

/** The alphabet Meteor's `Random.id()` draws from (no look-alike characters). */
export const METEOR_ID_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz';

/** Length of a Meteor id, as Rocket.Chat expects for a message `_id`. */
export const METEOR_ID_LENGTH = 17;

/** Random bytes drawn ahead, so that one `getRandomValues` call serves many ids. */
const pool = new Uint8Array(4096);
let poolIndex = pool.length;
/** Character codes of the id being built (reused). */
const codes: number[] = [];

function randomByte(): number {
  if (poolIndex === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolIndex = 0;
  }
  return pool[poolIndex++]!;
}

const ALPHABET_SIZE = METEOR_ID_ALPHABET.length;
/** Bytes at or above this are skipped, so that every character is equally likely. */
const LIMIT = 256 - (256 % ALPHABET_SIZE);

/**
 * A new random id of `length` characters from {@link METEOR_ID_ALPHABET}, without modulo bias.
 * The bytes come from `crypto.getRandomValues`, drawn 4 KiB at a time.
 * @example randomId() // "Hgx6ZAo9sMwtkL7CE"
 */
export function randomId(length: number = METEOR_ID_LENGTH): string {
  if (length === METEOR_ID_LENGTH) return meteorId();
  let id = '';
  for (let remaining = Math.ceil(length); remaining > 0; remaining -= CHUNK) {
    id += randomChars(Math.min(remaining, CHUNK));
  }
  return id;
}

/** Characters built per `String.fromCharCode` call (an id is usually one chunk). */
const CHUNK = 1024;

/** One unbiased character code of the alphabet. */
function randomCode(): number {
  let byte = randomByte();
  while (byte >= LIMIT) byte = randomByte();
  return METEOR_ID_ALPHABET.charCodeAt(byte % ALPHABET_SIZE);
}

/** A 17-character id in one `String.fromCharCode` call with its codes as arguments (no array, no `apply`). */
function meteorId(): string {
  return String.fromCharCode(
    randomCode(), randomCode(), randomCode(), randomCode(), randomCode(), randomCode(),
    randomCode(), randomCode(), randomCode(), randomCode(), randomCode(), randomCode(),
    randomCode(), randomCode(), randomCode(), randomCode(), randomCode(),
  );
}

function randomChars(count: number): string {
  codes.length = count;
  for (let i = 0; i < count; i++) codes[i] = randomCode();
  return String.fromCharCode.apply(null, codes);
}
