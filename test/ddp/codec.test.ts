import { readFileSync } from 'node:fs';
import EJSON from 'ejson';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_FRAME_BYTES,
  decodeClientFrame,
  decodeServerFrame,
  encodeFrame,
  encodeSubFrame,
  encodeValue,
  exceedsBytes,
  utf8Length,
} from '../../src/ddp/codec.js';
import { DdpProtocolError } from '../../src/ddp/errors.js';
import type { DdpFrame } from '../../src/ddp/protocol.js';

interface Fixture {
  readonly name: string;
  readonly direction: 'client->server' | 'server->client';
  readonly frame: Record<string, unknown>;
}

const fixtures: Fixture[] = readFileSync(new URL('../../fixtures/rocketchat-frames.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Fixture);

function protocolError(run: () => unknown): DdpProtocolError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DdpProtocolError);
    return error as DdpProtocolError;
  }
  throw new Error('expected a DdpProtocolError');
}

describe('decodeServerFrame: valid frames', () => {
  it.each([
    ['{"msg":"connected","session":"4ftK9WTRbCfyALrEj"}', { msg: 'connected', session: '4ftK9WTRbCfyALrEj' }],
    ['{"msg":"failed","version":"pre2"}', { msg: 'failed', version: 'pre2' }],
    ['{"msg":"ping"}', { msg: 'ping' }],
    ['{"msg":"ping","id":"p-1"}', { msg: 'ping', id: 'p-1' }],
    ['{"msg":"pong","id":"p-1"}', { msg: 'pong', id: 'p-1' }],
    ['{"msg":"result","id":"1"}', { msg: 'result', id: '1' }],
    ['{"msg":"result","id":"1","result":false}', { msg: 'result', id: '1', result: false }],
    ['{"msg":"result","id":"1","result":{"ts":{"$date":1}}}', { msg: 'result', id: '1', result: { ts: new Date(1) } }],
    [
      '{"msg":"result","id":"1","error":{"error":401,"reason":"User not found"}}',
      { msg: 'result', id: '1', error: { error: 401, reason: 'User not found' } },
    ],
    ['{"msg":"updated","methods":["1","2"]}', { msg: 'updated', methods: ['1', '2'] }],
    ['{"msg":"updated","methods":[]}', { msg: 'updated', methods: [] }],
    ['{"msg":"ready","subs":["a","b"]}', { msg: 'ready', subs: ['a', 'b'] }],
    ['{"msg":"nosub","id":"s1"}', { msg: 'nosub', id: 's1' }],
    [
      '{"msg":"nosub","id":"s1","error":{"error":"not-allowed"}}',
      { msg: 'nosub', id: 's1', error: { error: 'not-allowed' } },
    ],
    ['{"msg":"added","collection":"users","id":"u1"}', { msg: 'added', collection: 'users', id: 'u1' }],
    [
      '{"msg":"changed","collection":"c","id":"x","fields":{"a":{"$date":2}},"cleared":["b"]}',
      { msg: 'changed', collection: 'c', id: 'x', fields: { a: new Date(2) }, cleared: ['b'] },
    ],
    ['{"msg":"removed","collection":"c","id":"x"}', { msg: 'removed', collection: 'c', id: 'x' }],
    [
      '{"msg":"addedBefore","collection":"c","id":"x","fields":{},"before":null}',
      { msg: 'addedBefore', collection: 'c', id: 'x', fields: {}, before: null },
    ],
    ['{"msg":"movedBefore","collection":"c","id":"x","before":"y"}', { msg: 'movedBefore', collection: 'c', id: 'x', before: 'y' }],
    ['{"msg":"error","reason":"Bad request"}', { msg: 'error', reason: 'Bad request' }],
    ['{"msg":"connected","session":"s","extra":1}', { msg: 'connected', session: 's', extra: 1 }],
  ])('decodes %s', (text, expected) => {
    expect(decodeServerFrame(text)).toEqual(expected);
  });

  it.each([
    ['{"server_id":"0"}'],
    ['{"msg":"server_id","server_id":"0"}'],
    ['{"msg":"something-new","x":1}'],
  ])('ignores %s (returns null)', (text) => {
    expect(decodeServerFrame(text)).toBeNull();
  });
});

describe('decodeServerFrame: invalid frames', () => {
  it.each([
    ['not json', 'frame is not valid JSON'],
    ['', 'frame is not valid JSON'],
    ['{"msg":"connected"', 'frame is not valid JSON'],
    ['[]', 'frame is not a JSON object'],
    ['"text"', 'frame is not a JSON object'],
    ['null', 'frame is not a JSON object'],
    ['42', 'frame is not a JSON object'],
    ['{}', 'frame has no string "msg" field'],
    ['{"msg":7}', 'frame has no string "msg" field'],
    ['{"foo":"bar"}', 'frame has no string "msg" field'],
    ['{"msg":"connected"}', '"connected" frame: "session" must be a string'],
    ['{"msg":"connected","session":1}', '"connected" frame: "session" must be a string'],
    ['{"msg":"failed"}', '"failed" frame: "version" must be a string'],
    ['{"msg":"ping","id":5}', '"ping" frame: "id" must be a string'],
    ['{"msg":"pong","id":null}', '"pong" frame: "id" must be a string'],
    ['{"msg":"result"}', '"result" frame: "id" must be a string'],
    ['{"msg":"result","id":1,"result":1}', '"result" frame: "id" must be a string'],
    ['{"msg":"result","id":"1","error":"boom"}', '"result" frame: "error" must be an error object with a string or number "error"'],
    ['{"msg":"result","id":"1","error":{"reason":"x"}}', '"result" frame: "error" must be an error object with a string or number "error"'],
    ['{"msg":"result","id":"1","error":{"error":"x","reason":5}}', '"result" frame: "error" must be an error object with a string or number "error"'],
    ['{"msg":"updated"}', '"updated" frame: "methods" must be an array of strings'],
    ['{"msg":"updated","methods":[1]}', '"updated" frame: "methods" must be an array of strings'],
    ['{"msg":"ready","subs":"a"}', '"ready" frame: "subs" must be an array of strings'],
    ['{"msg":"nosub"}', '"nosub" frame: "id" must be a string'],
    ['{"msg":"nosub","id":"s","error":{}}', '"nosub" frame: "error" must be an error object with a string or number "error"'],
    ['{"msg":"added","id":"x"}', '"added" frame: "collection" must be a string'],
    ['{"msg":"added","collection":"c"}', '"added" frame: "id" must be a string'],
    ['{"msg":"added","collection":"c","id":"x","fields":[]}', '"added" frame: "fields" must be an object'],
    ['{"msg":"changed","collection":"c","id":"x","fields":"f"}', '"changed" frame: "fields" must be an object'],
    ['{"msg":"changed","collection":"c","id":"x","cleared":[1]}', '"changed" frame: "cleared" must be an array of strings'],
    ['{"msg":"removed","collection":"c"}', '"removed" frame: "id" must be a string'],
    ['{"msg":"addedBefore","collection":"c","id":"x"}', '"addedBefore" frame: "before" must be a string or null'],
    ['{"msg":"movedBefore","collection":"c","id":"x","before":3}', '"movedBefore" frame: "before" must be a string or null'],
    ['{"msg":"error"}', '"error" frame: "reason" must be a string'],
  ])('refuses %s: %s', (text, message) => {
    const error = protocolError(() => decodeServerFrame(text));
    expect(error.message).toBe(message);
    expect(error.offendingFrame).toBe(text);
  });

  it('refuses a value that is not text', () => {
    expect(protocolError(() => decodeServerFrame(42 as unknown as string)).message).toBe('frame is not text');
  });

  it('refuses a frame over maxFrameBytes, counting UTF-8 bytes', () => {
    const text = JSON.stringify({ msg: 'connected', session: 'é'.repeat(10) }); // 32 + 10 × 2 bytes
    expect(text.length).toBe(42);
    expect(utf8Length(text)).toBe(52);
    expect(decodeServerFrame(text, { maxFrameBytes: 52 })).toEqual({ msg: 'connected', session: 'é'.repeat(10) });
    expect(protocolError(() => decodeServerFrame(text, { maxFrameBytes: 51 })).message).toBe(
      'frame of 52 bytes exceeds maxFrameBytes (51)',
    );
  });

  it('clips the offending text of a huge frame to 200 characters', () => {
    const text = `{"msg":"connected","session":${'1'.repeat(1000)}}`;
    const error = protocolError(() => decodeServerFrame(text));
    expect(error.offendingFrame).toBe(`${text.slice(0, 200)}…`);
  });

  it('defaults maxFrameBytes to 16 MiB', () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(16 * 1024 * 1024);
  });
});

describe('utf8Length and exceedsBytes', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    ['a😀b', 6],
    ['\ud800', 3], // a lone surrogate is encoded as U+FFFD
  ])('counts %j as %i bytes', (text, bytes) => {
    expect(utf8Length(text)).toBe(bytes);
    expect(utf8Length(text)).toBe(text === '\ud800' ? 3 : new TextEncoder().encode(text).length);
    expect(exceedsBytes(text, bytes)).toBe(false);
    if (bytes > 0) expect(exceedsBytes(text, bytes - 1)).toBe(true);
  });
});

describe('encodeSubFrame', () => {
  it.each([
    ['stream-room-messages', ['GENERAL', { useCollection: false, args: [] }]],
    ['a "quoted" \\ name', [new Date(1688421337724), undefined, null, 'é😀', { $date: 'not a date' }]],
    ['empty', []],
  ])('writes the text encodeFrame writes for %j', (name, params) => {
    const id = 'Xy1rTmJdf9hK2uVbC';
    const text = encodeSubFrame(id, name, encodeValue(params));
    expect(text).toBe(encodeFrame({ msg: 'sub', id, name, params }));
    expect(decodeClientFrame(text)).toMatchObject({ kind: 'frame', frame: { msg: 'sub', id, name } });
  });
});

describe('decodeClientFrame', () => {
  it.each([
    ['{"msg":"connect","version":"1","support":["1","pre2","pre1"]}', { msg: 'connect', version: '1', support: ['1', 'pre2', 'pre1'] }],
    ['{"msg":"method","id":"1","method":"m"}', { msg: 'method', id: '1', method: 'm', params: [] }],
    ['{"msg":"method","id":"1","method":"m","params":[{"$date":0}]}', { msg: 'method', id: '1', method: 'm', params: [new Date(0)] }],
    ['{"msg":"sub","id":"s","name":"n"}', { msg: 'sub', id: 's', name: 'n', params: [] }],
    ['{"msg":"unsub","id":"s"}', { msg: 'unsub', id: 's' }],
    ['{"msg":"ping"}', { msg: 'ping' }],
    ['{"msg":"pong","id":"x"}', { msg: 'pong', id: 'x' }],
  ])('accepts %s', (text, frame) => {
    expect(decodeClientFrame(text)).toEqual({ kind: 'frame', frame });
  });

  it.each([
    ['not json', 'Bad request'],
    ['[1]', 'Bad request'],
    ['{"foo":"bar"}', 'Bad request'],
    ['{"msg":"subscribe","id":"9","name":"x"}', 'Bad request'],
    ['{"msg":"unsub"}', 'Bad request'],
    ['{"msg":"ping","id":1}', 'Bad request'],
    ['{"msg":"method","method":"sendMessage","params":[],"id":7}', 'Malformed method invocation'],
    ['{"msg":"method","id":"1"}', 'Malformed method invocation'],
    ['{"msg":"method","id":"1","method":"m","params":{}}', 'Malformed method invocation'],
    ['{"msg":"method","id":"1","method":"m","randomSeed":5}', 'Malformed method invocation'],
    ['{"msg":"sub","id":"s1","name":"x","params":{"0":"GENERAL"}}', 'Malformed subscription'],
    ['{"msg":"sub","name":"x"}', 'Malformed subscription'],
    ['{"msg":"connect","version":"1"}', 'Malformed connect'],
    ['{"msg":"connect","version":1,"support":["1"]}', 'Malformed connect'],
  ])('refuses %s as %j', (text, reason) => {
    const decoded = decodeClientFrame(text);
    expect(decoded.kind).toBe('invalid');
    expect(decoded.kind === 'invalid' && decoded.reason).toBe(reason);
  });

  it('keeps the offending object when the text was a JSON object', () => {
    expect(decodeClientFrame('{"msg":"nope","a":1}')).toEqual({
      kind: 'invalid',
      reason: 'Bad request',
      offendingMessage: { msg: 'nope', a: 1 },
    });
    expect(decodeClientFrame('nope')).toEqual({ kind: 'invalid', reason: 'Bad request' });
  });
});

describe('recorded Rocket.Chat frames (fixtures/rocketchat-frames.jsonl)', () => {
  const serverFrames = fixtures.filter((fixture) => fixture.direction === 'server->client');
  const clientFrames = fixtures.filter((fixture) => fixture.direction === 'client->server');

  it('has frames in both directions', () => {
    expect(serverFrames.length).toBeGreaterThan(50);
    expect(clientFrames.length).toBeGreaterThan(20);
  });

  it.each(serverFrames.map((fixture) => [fixture.name, fixture] as const))(
    'decodes and round-trips the server frame %s',
    (_name, fixture) => {
      const text = JSON.stringify(fixture.frame);
      const decoded = decodeServerFrame(text);
      if (decoded === null) {
        expect(fixture.frame['msg'] === undefined || fixture.frame['msg'] === 'server_id').toBe(true);
        return;
      }
      expect(JSON.parse(encodeFrame(decoded))).toEqual(fixture.frame);
    },
  );

  it.each(clientFrames.map((fixture) => [fixture.name, fixture] as const))(
    'decodes the client frame %s without throwing, and re-encodes a valid one as it was',
    (_name, fixture) => {
      const decoded = decodeClientFrame(JSON.stringify(fixture.frame));
      if (decoded.kind === 'frame') {
        const expected = { ...fixture.frame };
        if ((expected['msg'] === 'method' || expected['msg'] === 'sub') && expected['params'] === undefined) {
          expected['params'] = [];
        }
        expect(JSON.parse(encodeFrame(decoded.frame))).toEqual(expected);
      } else {
        expect(['Bad request', 'Malformed method invocation', 'Malformed subscription', 'Malformed connect']).toContain(
          decoded.reason,
        );
      }
    },
  );

  it('turns every $date of a stored message into a Date', () => {
    const fixture = serverFrames.find((candidate) => candidate.name.startsWith('getSingleMessage-result ('));
    const decoded = decodeServerFrame(JSON.stringify(fixture!.frame)) as { result: Record<string, unknown> };
    expect(decoded.result['ts']).toBeInstanceOf(Date);
    expect(decoded.result['_updatedAt']).toBeInstanceOf(Date);
    expect(JSON.stringify(decoded)).not.toContain('$date');
  });
});

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  typeName(): string {
    return 'test-point';
  }
  toJSONValue(): { x: number; y: number } {
    return { x: this.x, y: this.y };
  }
  clone(): Point {
    return new Point(this.x, this.y);
  }
  equals(other: unknown): boolean {
    return other instanceof Point && other.x === this.x && other.y === this.y;
  }
}
EJSON.addType('test-point', (value) => new Point((value as { x: number }).x, (value as { y: number }).y));

function decodeResult(json: string): unknown {
  return (decodeServerFrame(`{"msg":"result","id":"1","result":${json}}`) as { result: unknown }).result;
}

describe('EJSON', () => {
  it('decodes {"$date": n} into a Date anywhere in result, fields and params', () => {
    expect(decodeResult('{"$date":1688421337724}')).toEqual(new Date(1688421337724));
    expect(decodeResult('[{"a":[{"$date":5}]}]')).toEqual([{ a: [new Date(5)] }]);
    const changed = decodeServerFrame('{"msg":"changed","collection":"c","id":"i","fields":{"args":[{"ts":{"$date":7}}]}}');
    expect(changed).toEqual({ msg: 'changed', collection: 'c', id: 'i', fields: { args: [{ ts: new Date(7) }] } });
    const method = decodeClientFrame('{"msg":"method","id":"1","method":"m","params":[{"$date":9}]}');
    expect(method).toEqual({ kind: 'frame', frame: { msg: 'method', id: '1', method: 'm', params: [new Date(9)] } });
  });

  it('converts every form however the text places them (the $ count only shortens the walk)', () => {
    // Dates at the top, then more below them: the walk goes on past the top level.
    expect(decodeResult('{"ts":{"$date":1},"u":{"at":{"$date":2}},"list":[{"$date":3}],"end":{"$date":4}}')).toEqual({
      ts: new Date(1),
      u: { at: new Date(2) },
      list: [new Date(3)],
      end: new Date(4),
    });
    // Another form beside top-level dates, and strings holding "$" that are not forms.
    const mixed = decodeResult('{"price":"$5","ts":{"$date":1},"bytes":{"$binary":"AQ=="},"deep":[{"x":{"$date":2}}]}');
    expect(mixed).toEqual({ price: '$5', ts: new Date(1), bytes: new Uint8Array([1]), deep: [{ x: new Date(2) }] });
    expect(decodeResult('{"$date":1,"x":{"$date":2}}')).toEqual({ $date: 1, x: new Date(2) });
    // A "$" written as an escape is still a "$".
    expect(decodeResult('{"ts":{"\\u0024date":6},"n":{"\\u0024InfNaN":1}}')).toEqual({ ts: new Date(6), n: Number.POSITIVE_INFINITY });
    expect(decodeResult('{"msg":"say \\"hi\\"","ts":{"\\u0024date":6}}')).toEqual({ msg: 'say "hi"', ts: new Date(6) });
    // No "$" at all: nothing to convert.
    expect(decodeResult('{"a":[{"b":{}}],"c":"d"}')).toEqual({ a: [{ b: {} }], c: 'd' });
  });

  it('decodes $date only as the sole key', () => {
    expect(decodeResult('{"$date":1,"x":2}')).toEqual({ $date: 1, x: 2 });
    expect(decodeResult('{"$date":"2020-01-01"}')).toEqual({ $date: '2020-01-01' });
  });

  it('decodes {"$date": null} as an invalid Date', () => {
    const date = decodeResult('{"$date":null}');
    expect(date).toBeInstanceOf(Date);
    expect(Number.isNaN((date as Date).getTime())).toBe(true);
  });

  it('decodes $binary into a Uint8Array', () => {
    const bytes = decodeResult('{"$binary":"AQID/w=="}');
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...(bytes as Uint8Array)]).toEqual([1, 2, 3, 255]);
    expect(decodeResult('{"$binary":"not base64!"}')).toEqual({ $binary: 'not base64!' });
  });

  it('unescapes exactly one level of $escape', () => {
    expect(decodeResult('{"$escape":{"$date":10000}}')).toEqual({ $date: 10000 });
    expect(decodeResult('{"$escape":{"a":{"$date":3}}}')).toEqual({ a: new Date(3) });
  });

  it.each([
    ['1', Number.POSITIVE_INFINITY],
    ['-1', Number.NEGATIVE_INFINITY],
    ['0', Number.NaN],
  ])('decodes {"$InfNaN": %s}', (sign, value) => {
    expect(decodeResult(`{"$InfNaN":${sign}}`)).toBe(value);
  });

  it('decodes $regexp with sanitised flags', () => {
    const regexp = decodeResult('{"$regexp":"a+b","$flags":"gixz"}');
    expect(regexp).toBeInstanceOf(RegExp);
    expect((regexp as RegExp).source).toBe('a+b');
    expect((regexp as RegExp).flags).toBe('gi');
    expect(decodeResult('{"$regexp":"(","$flags":""}')).toEqual({ $regexp: '(', $flags: '' });
  });

  it('leaves an unknown $type alone and decodes one registered with EJSON.addType', () => {
    expect(decodeResult('{"$type":"no-such-type","$value":{"a":1}}')).toEqual({ $type: 'no-such-type', $value: { a: 1 } });
    const point = decodeResult('{"$type":"test-point","$value":{"x":1,"y":2}}');
    expect(point).toBeInstanceOf(Point);
    expect(point).toEqual(new Point(1, 2));
  });

  it('does not EJSON-decode error objects', () => {
    const frame = decodeServerFrame(
      '{"msg":"result","id":"1","error":{"error":"too-many-requests","details":{"timeToReset":425,"at":{"$date":5}}}}',
    ) as { error: { details: unknown } };
    expect(frame.error.details).toEqual({ timeToReset: 425, at: { $date: 5 } });
    const nosub = decodeServerFrame('{"msg":"nosub","id":"s","error":{"error":"x","details":{"$date":1}}}') as {
      error: { details: unknown };
    };
    expect(nosub.error.details).toEqual({ $date: 1 });
  });

  it('encodes outgoing Dates, bytes, special numbers, regexps and custom types', () => {
    const frame: DdpFrame = {
      msg: 'method',
      id: '1',
      method: 'loadMissedMessages',
      params: ['GENERAL', new Date(0), new Uint8Array([1, 2]), Number.NaN, /x/g, new Point(3, 4), { $date: 1 }],
    };
    expect(encodeFrame(frame)).toBe(
      '{"msg":"method","id":"1","method":"loadMissedMessages","params":["GENERAL",{"$date":0},{"$binary":"AQI="},{"$InfNaN":0},{"$regexp":"x","$flags":"g"},{"$type":"test-point","$value":{"x":3,"y":4}},{"$escape":{"$date":1}}]}',
    );
  });

  it('encodes without modifying the frame it was given', () => {
    const params = [{ when: new Date(1) }];
    const frame: DdpFrame = { msg: 'sub', id: 's', name: 'n', params };
    encodeFrame(frame);
    expect(params[0]!.when).toBeInstanceOf(Date);
  });

  it('never lets "__proto__" or "constructor" keys pollute a prototype', () => {
    const texts = [
      '{"msg":"added","collection":"c","id":"1","fields":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}',
      '{"msg":"result","id":"1","result":{"__proto__":{"polluted":true},"a":{"$escape":{"__proto__":{"polluted":true}}}}}',
      '{"msg":"result","id":"1","result":[{"__proto__":{"$date":1}}]}',
      '{"__proto__":{"polluted":true},"msg":"connected","session":"s"}',
    ];
    for (const text of texts) decodeServerFrame(text);
    decodeClientFrame('{"msg":"method","id":"1","method":"m","params":[{"__proto__":{"polluted":true}}]}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const added = decodeServerFrame(texts[0]!) as { fields: Record<string, unknown> };
    expect(Object.getPrototypeOf(added.fields)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(added.fields, '__proto__')?.value).toEqual({ polluted: true });
    const escaped = decodeServerFrame(texts[1]!) as { result: { a: object } };
    expect(Object.getPrototypeOf(escaped.result.a)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(escaped.result.a, '__proto__')?.value).toEqual({ polluted: true });
    const dated = decodeServerFrame(texts[2]!) as { result: [object] };
    expect(Object.getOwnPropertyDescriptor(dated.result[0], '__proto__')?.value).toEqual(new Date(1));
  });
});
