import { describe, expect, it } from 'vitest';
import { keyWords, mix32 } from './random-normal.js';

describe('mix32', () => {
  it('fixes 0 (xor-shifts and multiplications keep 0) and mixes 1 into many bits', () => {
    expect(mix32(0)).toBe(0);
    const ones = mix32(1).toString(2).replaceAll('0', '').length;
    expect(ones).toBeGreaterThan(8);
  });

  it('is a bijection on a sample (no two of 2^16 consecutive inputs collide)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2 ** 16; i++) seen.add(mix32(i * 0x10001));
    expect(seen.size).toBe(2 ** 16);
  });
});

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
