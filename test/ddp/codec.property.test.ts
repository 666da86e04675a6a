import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeClientFrame, decodeServerFrame, encodeFrame } from '../../src/ddp/codec.js';
import { fromJsonValue } from '../../src/ddp/ejson.js';
import { DdpProtocolError } from '../../src/ddp/errors.js';

const fixtureFrames: unknown[] = readFileSync(new URL('../../fixtures/rocketchat-frames.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => (JSON.parse(line) as { frame: unknown }).frame);

/** Decoding never throws anything but a DdpProtocolError. */
function decodesOrRefuses(text: string): void {
  try {
    decodeServerFrame(text, { maxFrameBytes: 1_000_000 });
  } catch (error) {
    if (!(error instanceof DdpProtocolError)) throw error;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path (list of keys) inside a JSON value, the root included. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => out.push(...paths(item, [...prefix, index])));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) out.push(...paths(child, [...prefix, key]));
  }
  return out;
}

type Mutation = { readonly at: number; readonly kind: 'set' | 'delete' | 'wrap'; readonly value: Json };

/** Applies mutations to a deep copy of `frame`: replace, delete or wrap the value at a path. */
function mutate(frame: unknown, mutations: readonly Mutation[]): unknown {
  let root = structuredClone(frame) as Json;
  for (const mutation of mutations) {
    const all = paths(root);
    const path = all[mutation.at % all.length]!;
    if (path.length === 0) {
      root = mutation.kind === 'wrap' ? [root] : structuredClone(mutation.value);
      continue;
    }
    let parent = root as Record<string | number, Json>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
    const last = path.at(-1)!;
    if (mutation.kind === 'set') parent[last] = structuredClone(mutation.value);
    else if (mutation.kind === 'wrap') parent[last] = { $date: parent[last] ?? null } as Json;
    else if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  }
  return root;
}

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('set' as const, 'delete' as const, 'wrap' as const),
  value: fc.oneof(
    fc.jsonValue() as fc.Arbitrary<Json>,
    fc.constantFrom<Json>(
      { $date: 1 },
      { $date: null },
      { $binary: 'AAE=' },
      { $binary: 5 },
      { $escape: { $date: 1 } },
      { $escape: 5 },
      { $InfNaN: 2 },
      { $regexp: '(', $flags: 'g' },
      { $type: 'nope', $value: 1 },
      { $type: 5, $value: 1 },
      JSON.parse('{"__proto__":{"polluted":true}}') as Json,
      '__proto__',
    ),
  ),
});

describe('codec properties', () => {
  it('decodeServerFrame throws nothing but DdpProtocolError for random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        decodesOrRefuses(JSON.stringify(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodeServerFrame throws nothing but DdpProtocolError for random objects with a known msg', () => {
    const msg = fc.constantFrom(
      'connected', 'failed', 'ping', 'pong', 'result', 'updated', 'ready', 'nosub',
      'added', 'changed', 'removed', 'addedBefore', 'movedBefore', 'error', 'server_id',
    );
    fc.assert(
      fc.property(msg, fc.dictionary(fc.string(), fc.jsonValue()), (tag, rest) => {
        decodesOrRefuses(JSON.stringify({ ...rest, msg: tag }));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodeServerFrame throws nothing but DdpProtocolError for mutated recorded frames', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fixtureFrames), fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }), (frame, mutations) => {
        decodesOrRefuses(JSON.stringify(mutate(frame, mutations)));
      }),
      { numRuns: 3000 },
    );
  });

  it('decodeServerFrame throws nothing but DdpProtocolError for arbitrary or truncated text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        decodesOrRefuses(text);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...fixtureFrames), fc.nat(), (frame, cut) => {
        const text = JSON.stringify(frame);
        decodesOrRefuses(text.slice(0, cut % (text.length + 1)));
      }),
      { numRuns: 1000 },
    );
  });

  it('decodeClientFrame never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map((value) => JSON.stringify(value))), (text) => {
        decodeClientFrame(text);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...fixtureFrames), fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }), (frame, mutations) => {
        decodeClientFrame(JSON.stringify(mutate(frame, mutations)));
      }),
      { numRuns: 2000 },
    );
  });

  it('a decoded server frame always encodes again', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fixtureFrames), fc.array(mutationArbitrary, { maxLength: 3 }), (frame, mutations) => {
        let decoded;
        try {
          decoded = decodeServerFrame(JSON.stringify(mutate(frame, mutations)));
        } catch {
          return;
        }
        if (decoded !== null) expect(typeof encodeFrame(decoded)).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes a result exactly as a full EJSON walk would, however its text is written', () => {
    // The codec bounds its walk by the "$"s in the text; the full walk has no bound.
    const escapeDollars = (text: string): string => text.replaceAll('"$', '"\\u0024');
    fc.assert(
      fc.property(fc.constantFrom(...fixtureFrames), fc.array(mutationArbitrary, { maxLength: 4 }), fc.boolean(), (frame, mutations, escaped) => {
        const mutated = mutate(frame, mutations) as Record<string, unknown>;
        if (typeof mutated !== 'object' || mutated === null || Array.isArray(mutated)) return;
        const result = mutated['result'] ?? mutated['fields'] ?? mutated;
        const text = JSON.stringify({ msg: 'result', id: '1', result });
        const decoded = decodeServerFrame(escaped ? escapeDollars(text) : text) as { result: unknown };
        expect(decoded.result).toEqual(fromJsonValue(JSON.parse(text)['result']));
      }),
      { numRuns: 3000 },
    );
  });

  it('never pollutes Object.prototype', () => {
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
