import { describe, expect, it } from 'vitest';
import { keyWords } from './random-normal.js';

describe('keyWords', () => {
  it('gives an odd multiplier (a bijective Weyl sequence) for every key', () => {
    for (let seed = 0; seed < 50; seed++) {
      for (let counter = 0; counter < 50; counter++) {
        expect(keyWords({ seed, counter }).a % 2).toBe(1);
      }
    }
  });

  it('gives distinct words to distinct keys, including neighbouring seeds and counters', () => {
    const words = new Set<string>();
    const multipliers = new Set<number>();
    let keys = 0;
    for (const seed of [0, 1, 2, 3, 42, 2 ** 31, 2 ** 32 - 1]) {
      for (let counter = 0; counter < 20_000; counter++) {
        const { a, b } = keyWords({ seed, counter });
        words.add(`${a},${b}`);
        multipliers.add(a);
        keys++;
      }
    }
    expect(words.size).toBe(keys);
    // Equal multipliers would make two streams shifts of one another; among 140 000 keys a
    // 31-bit random multiplier repeats about 140 000² / 2^32 ≈ 4.6 times in expectation.
    expect(keys - multipliers.size).toBeLessThan(20);
  });
});
