/**
 * EJSON conversion between JSON values and JavaScript values, per Meteor's `ejson` rules:
 * `$date`, `$binary`, `$escape`, `$InfNaN`, `$regexp`/`$flags` and custom `$type`s.
 *
 * Decoding converts a freshly `JSON.parse`d tree **in place** (one parse, one walk, no clone),
 * which is what makes the codec fast. Encoding copies only the branches that need a change.
 *
 * Custom types registered with the `ejson` package's `EJSON.addType` are honoured both ways;
 * an unknown `$type` is left as the plain object it arrived as (it never throws).
 *
 * @module
 */
import EJSON from 'ejson';

/** The parts of the `ejson` package used here (two are internal, untyped by its typings). */
interface EjsonLibrary {
  _getTypes(): Record<string, unknown>;
  _isCustomType(value: unknown): boolean;
  fromJSONValue(value: unknown): unknown;
  toJSONValue(value: unknown): unknown;
}
const ejsonLibrary = EJSON as unknown as EjsonLibrary;

const DOLLAR = 36; // '$'

/** Tags of the object forms EJSON gives a meaning to. */
type EjsonForm = '$date' | '$binary' | '$escape' | '$InfNaN' | '$regexp' | '$type';

/**
 * Which EJSON form a plain JSON object has, if any. Exact key sets, as Meteor matches them:
 * `{ $date }` has one key, `{ $date, x }` is just an object.
 */
export function ejsonForm(object: object): EjsonForm | undefined {
  let first: string | undefined;
  for (const key in object) {
    first = key;
    break;
  }
  if (first === undefined || first.charCodeAt(0) !== DOLLAR) return undefined;
  const record = object as Record<string, unknown>;
  const keyCount = ownKeyCount(record);
  if (keyCount === 1) {
    switch (first) {
      case '$date':
      case '$binary':
      case '$escape':
      case '$InfNaN':
        return first;
      default:
        return undefined;
    }
  }
  if (keyCount === 2) {
    if (Object.hasOwn(record, '$regexp') && Object.hasOwn(record, '$flags')) return '$regexp';
    if (Object.hasOwn(record, '$type') && Object.hasOwn(record, '$value')) return '$type';
  }
  return undefined;
}

/** The number of own enumerable keys of `object`, counted up to 3 (without `Object.keys`'s array). */
function ownKeyCount(object: Record<string, unknown>): number {
  let count = 0;
  for (const key in object) {
    if (Object.hasOwn(object, key) && ++count === 3) break;
  }
  return count;
}

// ---------------------------------------------------------------------------------------
// Decoding (JSON value → JavaScript value), in place

/**
 * Converts EJSON forms inside a parsed JSON value, mutating it in place, and returns the
 * converted value (a new value only when `value` itself is an EJSON form).
 */
export function fromJsonValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (!Array.isArray(value)) {
    const form = ejsonForm(value);
    if (form !== undefined) return decodeForm(form, value as Record<string, unknown>);
  }
  walkWithin(value, Number.POSITIVE_INFINITY);
  return value;
}

/**
 * {@link fromJsonValue} for a value that `JSON.parse` made from `text`, using the text to do
 * less: the number of `$` characters in it bounds the number of EJSON forms in the tree, so a
 * text without `$` needs no walk at all, and the walk stops once every `$` is accounted for.
 * `$date` forms among the value's own fields (a message's `ts` and `_updatedAt`) are taken
 * first, so a result whose dates are all at the top is done without visiting its nested parts.
 *
 * The bound holds because every key of a form starts with `$` and, in text with no `\`
 * (no escape such as `\u0024`), that `$` is written as it is; text with both is walked in full.
 */
export function fromParsedJson(value: unknown, text: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const marks = dollarCount(text);
  if (marks === 0) return value;
  if (marks === Number.POSITIVE_INFINITY || Array.isArray(value)) return fromJsonValue(value);
  const form = ejsonForm(value);
  if (form !== undefined) return decodeForm(form, value as Record<string, unknown>);
  const record = value as Record<string, unknown>;
  let remaining = marks;
  for (const key in record) {
    const child = record[key];
    if (typeof child !== 'object' || child === null || Array.isArray(child)) continue;
    const childForm = ejsonForm(child);
    if (childForm === undefined) continue;
    if (childForm !== '$date') return fromJsonValue(record);
    const converted = decodeForm(childForm, child as Record<string, unknown>);
    if (converted !== child) record[key] = converted;
    remaining--;
  }
  if (remaining <= 0) return record;
  // Then the nested parts, skipping the forms just counted (those left as they were, too).
  for (const key in record) {
    const child = record[key];
    if (typeof child !== 'object' || child === null || (!Array.isArray(child) && ejsonForm(child) !== undefined)) continue;
    remaining = walkWithin(child, remaining);
    if (remaining <= 0) break;
  }
  return record;
}

/**
 * The number of `$` in `text`, or `Infinity` when the text also holds a `\` (a `$` may then
 * be escaped and uncounted).
 */
function dollarCount(text: string): number {
  let count = 0;
  for (let at = text.indexOf('$'); at !== -1; at = text.indexOf('$', at + 1)) count++;
  return text.includes('\\') ? Number.POSITIVE_INFINITY : count;
}

/**
 * Converts the forms inside `value` (an array, or an object that is not a form), in place,
 * until `remaining` `$date`s have been converted (`Infinity`: all of them); any other form
 * lifts the bound, as its `$`s are not counted one per form. Returns what is left of it.
 */
function walkWithin(value: object, remaining: number): number {
  if (Array.isArray(value)) {
    const items = value as unknown[] as Record<number, unknown>;
    for (let i = 0; i < value.length && remaining > 0; i++) remaining = walkChild(items, i, remaining);
    return remaining;
  }
  for (const key in value) {
    if (remaining <= 0) break;
    remaining = walkChild(value as Record<string, unknown>, key, remaining);
  }
  return remaining;
}

/** {@link walkWithin} for one item or field of `container`: converted if it is a form, walked into if not. */
function walkChild(container: Record<string | number, unknown>, key: string | number, remaining: number): number {
  const child = container[key];
  if (typeof child !== 'object' || child === null) return remaining;
  const form = ejsonForm(child);
  if (form === undefined) return walkWithin(child, remaining);
  const converted = decodeForm(form, child as Record<string, unknown>);
  // An own data property (even one named "__proto__", as JSON.parse creates) is assigned
  // directly: this never reaches Object.prototype's setter.
  if (converted !== child) container[key] = converted;
  return form === '$date' ? remaining - 1 : Number.POSITIVE_INFINITY;
}

function decodeForm(form: EjsonForm, object: Record<string, unknown>): unknown {
  switch (form) {
    case '$date': {
      const ms = object['$date'];
      if (typeof ms === 'number') return new Date(ms);
      if (ms === null) return new Date(Number.NaN); // how an invalid Date travels
      return object;
    }
    case '$InfNaN': {
      const sign = object['$InfNaN'];
      if (sign === 0) return Number.NaN;
      if (sign === 1) return Number.POSITIVE_INFINITY;
      if (sign === -1) return Number.NEGATIVE_INFINITY;
      return object;
    }
    case '$binary': {
      const text = object['$binary'];
      return typeof text === 'string' ? (base64Decode(text) ?? object) : object;
    }
    case '$regexp': {
      const source = object['$regexp'];
      const flags = object['$flags'];
      if (typeof source !== 'string' || typeof flags !== 'string') return object;
      try {
        return new RegExp(source, sanitizeRegExpFlags(flags));
      } catch {
        return object;
      }
    }
    case '$escape': {
      const inner = object['$escape'];
      if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return object;
      const literal: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(inner)) {
        defineValue(literal, key, fromJsonValue(child));
      }
      return literal;
    }
    case '$type': {
      const name = object['$type'];
      if (typeof name !== 'string' || !Object.hasOwn(ejsonLibrary._getTypes(), name)) return object;
      try {
        return ejsonLibrary.fromJSONValue(object);
      } catch {
        return object;
      }
    }
  }
}

/** Meteor keeps only these flags, at most 50 characters of them. */
function sanitizeRegExpFlags(flags: string): string {
  return flags.replace(/[^gimuy]/g, '').slice(0, 50);
}

/** Sets `key` as an own property, even when it is `"__proto__"`. */
function defineValue(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

// ---------------------------------------------------------------------------------------
// Encoding (JavaScript value → JSON value), copy on write

/**
 * Converts a JavaScript value into its EJSON JSON value: `Date` → `{ $date }`,
 * `Uint8Array` → `{ $binary }`, non-finite numbers → `{ $InfNaN }`, `RegExp` →
 * `{ $regexp, $flags }`, custom types → `{ $type, $value }`, and plain objects that would be
 * mistaken for one of those → `{ $escape }`. Returns `value` itself when nothing changes.
 */
export function toJsonValue(value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value)) return value;
      return { $InfNaN: Number.isNaN(value) ? 0 : value > 0 ? 1 : -1 };
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return value;
  if (value instanceof Date) return { $date: value.getTime() };
  if (value instanceof Uint8Array) return { $binary: base64Encode(value) };
  if (value instanceof RegExp) return { $regexp: value.source, $flags: value.flags };
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const converted = toJsonValue(item);
      if (converted !== item) {
        copy ??= value.slice();
        copy[i] = converted;
      }
    }
    return copy ?? value;
  }
  if (ejsonLibrary._isCustomType(value)) return ejsonLibrary.toJSONValue(value);
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  let first: string | undefined;
  for (const key in record) {
    first ??= key;
    if (!Object.hasOwn(record, key)) continue;
    const child = record[key];
    // Strings, booleans and finite numbers stay as they are.
    if (typeof child === 'object' ? child === null : typeof child !== 'number' || Number.isFinite(child)) continue;
    const converted = toJsonValue(child);
    if (converted !== child) {
      copy ??= copyOwn(record);
      defineValue(copy, key, converted);
    }
  }
  // Only an object whose first key starts with "$" can look like an EJSON form.
  if (copy === undefined && (first === undefined || first.charCodeAt(0) !== DOLLAR)) return record;
  const result = copy ?? record;
  return ejsonForm(result) === undefined ? result : { $escape: result };
}

function copyOwn(record: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(record)) defineValue(copy, key, record[key]);
  return copy;
}

// ---------------------------------------------------------------------------------------
// Base64 without Node's Buffer (the main entry must bundle for browsers as is)

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Standard base64 (with padding) of `bytes`. */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

/** Decodes standard base64; `undefined` when `text` is not valid base64. */
export function base64Decode(text: string): Uint8Array | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (text.length % 4 !== 0 || text.length - end > 2) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const sextet = code < 128 ? LOOKUP[code]! : -1;
    if (sextet < 0) return undefined;
    buffer = (buffer << 6) | sextet;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}
