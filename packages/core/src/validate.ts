/** Argument checks shared by the public API. Messages name the argument, what was expected and what came. */

/** A short description of a value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) {
    const shown = value.slice(0, 8).map(describe).join(', ');
    return `[${shown}${value.length > 8 ? ', …' : ''}]`;
  }
  if (typeof value === 'function') return 'a function';
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** A finite number, else a TypeError (not a number) or RangeError (NaN, ±Infinity). */
export function checkFinite(where: string, arg: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${where}: ${arg} must be a finite number, got ${describe(value)}`);
  }
  if (!Number.isFinite(value)) {
    throw new RangeError(`${where}: ${arg} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

/** A finite number > 0. */
export function checkPositive(where: string, arg: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${where}: ${arg} must be a finite number > 0, got ${describe(value)}`);
  }
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${where}: ${arg} must be a finite number > 0, got ${describe(value)}`);
  }
  return value;
}

/** An integer in [0, 2^32). */
export function checkUint32(where: string, arg: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${where}: ${arg} must be an integer in [0, 2^32), got ${describe(value)}`);
  }
  if (!(Number.isInteger(value) && value >= 0 && value < 2 ** 32)) {
    throw new RangeError(
      `${where}: ${arg} must be an integer in [0, 2^32), got ${describe(value)}`,
    );
  }
  return value;
}

/** A shape: an array of positive integers (empty for a scalar). Returns a frozen copy. */
export function checkShape(where: string, arg: string, shape: unknown): readonly number[] {
  if (!Array.isArray(shape)) {
    throw new TypeError(
      `${where}: ${arg} must be an array of positive integers, got ${describe(shape)}`,
    );
  }
  shape.forEach((dim: unknown, i) => {
    if (typeof dim !== 'number') {
      throw new TypeError(
        `${where}: ${arg}[${i}] must be a positive integer, got ${describe(dim)} (in ${describe(shape)})`,
      );
    }
    if (!(Number.isSafeInteger(dim) && dim > 0)) {
      throw new RangeError(
        `${where}: ${arg}[${i}] must be a positive integer, got ${describe(dim)} (in ${describe(shape)})`,
      );
    }
  });
  return Object.freeze([...(shape as number[])]);
}

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** The smallest positive normal float32. */
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/** A number finite in float32 (|value| ≤ 3.4e38): what a parameter initialised from it can hold. */
export function checkFiniteFloat32(where: string, arg: string, value: unknown): number {
  checkFinite(where, arg, value);
  if (Math.abs(value as number) > FLOAT32_MAX) {
    throw new RangeError(
      `${where}: ${arg} must be finite in float32 (|${arg}| ≤ 3.4e38), got ${describe(value)}`,
    );
  }
  return value as number;
}

/** A positive number that float32 holds as a normal number: in [1.2e-38, 3.4e38]. */
export function checkPositiveFloat32(where: string, arg: string, value: unknown): number {
  checkPositive(where, arg, value);
  if ((value as number) < FLOAT32_MIN_NORMAL || (value as number) > FLOAT32_MAX) {
    throw new RangeError(
      `${where}: ${arg} must be a positive normal float32 (in [1.2e-38, 3.4e38]), got ${describe(value)}`,
    );
  }
  return value as number;
}

/** An options object (or undefined): a clear error for null, arrays and other values. */
export function checkOptions(where: string, options: unknown): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
}
