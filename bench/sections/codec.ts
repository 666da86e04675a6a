/**
 * Decoding speed of a `sendMessage` result frame, dates converted: the codec's
 * `decodeServerFrame`, the baseline loop's hand-written `JSON.parse` + `$date` walk, and the
 * `ejson` package's `EJSON.parse`, as a ratio to a bare `JSON.parse` of the same text (which
 * converts nothing), in the same process, interleaved.
 */
import EJSON from 'ejson';
import { decodeServerFrame } from '../../src/index.js';
import { reviveDates } from '../clients/ws-loop.js';
import { REPS, scaled } from '../lib/config.js';
import { fixtureFrameText } from '../lib/frames.js';
import { interleaved } from '../lib/stats.js';
import { rowsFor } from '../lib/table.js';
import type { Row } from '../lib/table.js';

type Decoder = (text: string) => unknown;

const decoders: { name: string; subject: Decoder; note: string }[] = [
  { name: 'JSON.parse (baseline)', subject: (text) => JSON.parse(text), note: 'no dates converted' },
  { name: 'decodeServerFrame', subject: (text) => decodeServerFrame(text), note: 'shape checks + $date → Date in place' },
  {
    name: 'JSON.parse + $date walk',
    subject: (text) => {
      const frame = JSON.parse(text) as { result?: object };
      if (typeof frame.result === 'object' && frame.result !== null) reviveDates(frame.result);
      return frame;
    },
    note: "the baseline loop's hand-written decoding (no checks)",
  },
  { name: 'EJSON.parse (ejson 2.2.3)', subject: (text) => EJSON.parse(text), note: 'the ejson package' },
];

/** Something the optimiser cannot drop. */
let sink = 0;

function checkDates(decoded: unknown, name: string): void {
  const frame = decoded as { result?: { ts?: unknown } };
  if (name !== 'JSON.parse (baseline)' && !(frame.result?.ts instanceof Date)) {
    throw new Error(`${name} did not convert ts to a Date`);
  }
}

/** Runs the codec benchmark on the recorded frames. */
export async function runCodecBenchmark(log: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, unknown> }> {
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const iterations = scaled(20_000, 1_000);
  const reps = REPS * 5;
  for (const frameName of ['sendMessage-result', 'sendMessage-result-rich (mentions, channels, urls; URL is listed in previewUrls so no ignoreParse)']) {
    const text = fixtureFrameText(frameName);
    for (const decoder of decoders) checkDates(decoder.subject(text), decoder.name);
    const short = frameName.split(' ')[0] as string;
    log(`codec: ${short} (${text.length} chars), ${iterations} decodes per measurement`);
    const results = await interleaved(decoders, { reps, warmUps: 1, onProgress: log }, (decode) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) {
        const frame = decode(text) as { msg: string };
        sink += frame.msg.length;
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      return Promise.resolve(iterations / seconds / 1000);
    });
    raw[short] = { chars: text.length, iterations, results };
    rows.push(
      ...rowsFor(`decode ${short} frame (${text.length} chars), speed`, results, {
        unit: 'k frames/s',
        target: { kind: 'min', limit: 0.8 },
        targetFor: (name) => name === 'decodeServerFrame',
        notes: Object.fromEntries(decoders.map((decoder) => [decoder.name, decoder.note])),
      }),
    );
  }
  if (sink === -1) log('unreachable');
  return { rows, raw };
}
