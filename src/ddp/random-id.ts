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

/**
 * A new random id of `length` characters from {@link METEOR_ID_ALPHABET}, without modulo bias.
 * @example randomId() // "Hgx6ZAo9sMwtkL7CE"
 */
export function randomId(length: number = METEOR_ID_LENGTH): string {
  const alphabetSize = METEOR_ID_ALPHABET.length;
  const limit = 256 - (256 % alphabetSize); // reject bytes ≥ limit: uniform choice
  let id = '';
  while (id.length < length) {
    const bytes = new Uint8Array((length - id.length) * 2);
    globalThis.crypto.getRandomValues(bytes);
    for (const byte of bytes) {
      if (byte < limit) id += METEOR_ID_ALPHABET[byte % alphabetSize];
      if (id.length === length) break;
    }
  }
  return id;
}
