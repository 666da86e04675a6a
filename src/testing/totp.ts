/**
 * Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) over
 * base32 secrets, as Rocket.Chat's two-factor login checks them.
 *
 * @module
 */
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Length of one TOTP time step, in milliseconds. */
export const TOTP_STEP_MS = 30_000;

/**
 * The 6-digit code of `secret` (base32, case and spaces ignored) at time `atMs`.
 *
 * @param secret base32 secret, as given to `addUser({ totpSecret })`
 * @param atMs instant to compute the code for
 * @default atMs `Date.now()`
 * @example totpCode('JBSWY3DPEHPK3PXP') // "282760" (depends on the time)
 */
export function totpCode(secret: string, atMs: number = Date.now()): string {
  return hotp(base32Decode(secret), Math.floor(atMs / TOTP_STEP_MS));
}

/** `true` when `code` is the code of `secret` in the current step or one step either side. */
export function verifyTotp(secret: string, code: string, atMs: number = Date.now()): boolean {
  const key = base32Decode(secret);
  const counter = Math.floor(atMs / TOTP_STEP_MS);
  const given = code.replace(/\s+/g, '');
  for (const delta of [0, -1, 1]) {
    if (hotp(key, counter + delta) === given) return true;
  }
  return false;
}

/** A random base32 secret of 20 bytes (32 characters). */
export function randomTotpSecret(): string {
  const bytes = new Uint8Array(20);
  globalThis.crypto.getRandomValues(bytes);
  return base32Encode(bytes);
}

function hotp(key: Uint8Array, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac('sha1', key).update(message).digest();
  const offset = digest[digest.length - 1]! & 0x0f;
  const binary =
    ((digest[offset]! & 0x7f) << 24) | (digest[offset + 1]! << 16) | (digest[offset + 2]! << 8) | digest[offset + 3]!;
  return String(binary % 1_000_000).padStart(6, '0');
}

function base32Decode(text: string): Uint8Array {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = BASE32.indexOf(char);
    if (value < 0) throw new TypeError('TOTP secret is not base32');
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}
