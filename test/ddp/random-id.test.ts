import { describe, expect, it } from 'vitest';
import { METEOR_ID_ALPHABET, METEOR_ID_LENGTH, randomId } from '../../src/ddp/random-id.js';

describe('randomId', () => {
  it('makes ids of 17 characters from the Meteor alphabet', () => {
    for (let i = 0; i < 1000; i++) {
      const id = randomId();
      expect(id).toHaveLength(METEOR_ID_LENGTH);
      for (const char of id) expect(METEOR_ID_ALPHABET).toContain(char);
    }
  });

  it('never repeats an id across many draws (more than one pool of random bytes)', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) ids.add(randomId());
    expect(ids.size).toBe(20_000);
  });

  it('makes ids of any length, including empty and longer than one chunk', () => {
    expect(randomId(0)).toBe('');
    expect(randomId(-3)).toBe('');
    expect(randomId(1)).toHaveLength(1);
    expect(randomId(5000)).toHaveLength(5000);
  });

  it('uses every character about as often in ids of the default length too', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) for (const char of randomId()) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(METEOR_ID_ALPHABET.length);
    const expected = (6000 * METEOR_ID_LENGTH) / METEOR_ID_ALPHABET.length; // about 1,855
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(expected * 0.8);
      expect(count).toBeLessThan(expected * 1.2);
    }
  });

  it('uses every character of the alphabet about as often', () => {
    const counts = new Map<string, number>();
    const total = 55 * 2000;
    for (const char of randomId(total)) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(METEOR_ID_ALPHABET.length);
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(1600);
      expect(count).toBeLessThan(2400);
    }
  });
});
