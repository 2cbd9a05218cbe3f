import type { RandomKey } from './backend.js';
import { checkUint32, describe } from './validate.js';

/**
 * A random generator: a seed and a counter. Each random op takes a fresh key from it, so the same
 * seed and the same sequence of calls give the same numbers on one backend, and every call draws
 * new ones. Backends turn keys into numbers; the generator only counts.
 */
export class Generator {
  /** The seed, an integer in [0, 2^32). */
  readonly seed: number;
  #counter = 0;

  constructor(seed: number) {
    this.seed = checkUint32('rng', 'seed', seed);
  }

  /** How many keys it has handed out. */
  get counter(): number {
    return this.#counter;
  }

  /** The next key; every call gives a new one. */
  nextKey(): RandomKey {
    if (this.#counter >= 2 ** 32) {
      throw new RangeError(`rng(${this.seed}): all 2^32 keys of this generator are used`);
    }
    return { seed: this.seed, counter: this.#counter++ };
  }
}

/** A new generator seeded with `seed` (an integer in [0, 2^32)). */
export function rng(seed: number): Generator {
  return new Generator(seed);
}

const GLOBAL_KEY = Symbol.for('@illia-ts/core/generator');

/**
 * The global generator: seeded 0 when first used, shared and advancing (as illia's `nnx.Rngs(0)`
 * default), so a program is reproducible by default and two distributions never share a stream.
 */
export function globalGenerator(): Generator {
  const holder = globalThis as { [GLOBAL_KEY]?: Generator };
  holder[GLOBAL_KEY] ??= new Generator(0);
  return holder[GLOBAL_KEY];
}

/** Reseeds the global generator (as `torch.manual_seed`). */
export function setSeed(seed: number): void {
  const generator = new Generator(checkUint32('setSeed', 'seed', seed));
  (globalThis as { [GLOBAL_KEY]?: Generator })[GLOBAL_KEY] = generator;
}

/** A generator from an option that may be a seed, a generator or absent (the global one). */
export function toGenerator(where: string, arg: string, value: unknown): Generator {
  if (value === undefined) return globalGenerator();
  if (value instanceof Generator) return value;
  if (typeof value === 'number') return new Generator(checkUint32(where, arg, value));
  throw new TypeError(
    `${where}: ${arg} must be a seed (an integer in [0, 2^32)) or a generator from rng(seed), got ${describe(value)}`,
  );
}

/**
 * lowbias32 (Wellons): a bijective 32-bit mixer with low bias, for backends that derive the
 * streams of a {@link RandomKey} from its seed and counter. Returns an unsigned 32-bit integer.
 */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
