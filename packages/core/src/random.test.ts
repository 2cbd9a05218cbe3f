import { describe, expect, it } from 'vitest';
import { mix32 } from './random.js';

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
