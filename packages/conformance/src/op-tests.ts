/**
 * Tests of every op, generated from its definition in core (`listOps()`): the forward against
 * the float64 reference, input gradients against central differences of that reference, every
 * bad input's error, and (through the suite's after-each check) no leaks. An op whose kernel is
 * optional runs twice where the backend has the kernel: through it, and composed (its fallback).
 */
import {
  type AnyTensor,
  type CaseInput,
  type DType,
  fusedKernelsEnabled,
  listOps,
  mul,
  type OpCase,
  type OpDefinition,
  type RefTensor,
  runOp,
  setFusedKernels,
  sum,
  type Tensor,
  tensor,
  valueAndGrad,
} from '@illia-ts/core';
import { describe, expect, it } from 'vitest';
import type { SuiteContext } from './context.js';

/** Deterministic values in ±[0.3, 1.3]: away from 0 and kinks, distinct (no ties in a max). */
export function caseValues(n: number, phase: number): Float32Array {
  return Float32Array.from(
    { length: n },
    (_, i) => (i % 2 ? -1 : 1) * (0.3 + (((i + phase) * 0.618034) % 1)),
  );
}

const sizeOf = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);

function isCaseInput(v: unknown): v is CaseInput {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Array.isArray((v as CaseInput).shape)
  );
}

/** The case's input values, float32-rounded (what the backend gets). */
function caseArrays(inputs: readonly CaseInput[]): (Float32Array | Int32Array)[] {
  return inputs.map((input, k) => {
    const n = sizeOf(input.shape);
    if (input.dtype === 'int32') return Int32Array.from(input.values ?? new Array(n).fill(0));
    return input.values ? Float32Array.from(input.values) : caseValues(n, 3 * k + 1);
  });
}

function makeTensors(
  inputs: readonly CaseInput[],
  arrays: readonly (Float32Array | Int32Array)[],
): AnyTensor[] {
  return inputs.map((input, k) =>
    tensor(arrays[k] as ArrayLike<number>, input.shape, (input.dtype ?? 'float32') as DType),
  );
}

function refs(inputs: readonly CaseInput[], arrays: readonly ArrayLike<number>[]): RefTensor[] {
  return inputs.map((input, k) => ({
    values: Float64Array.from(arrays[k] as ArrayLike<number>),
    shape: input.shape,
    dtype: input.dtype ?? 'float32',
  }));
}

/** The normalised attributes of a case, as core computes them for the kernel. */
function attrsOf(def: OpDefinition, c: OpCase, tensors: readonly AnyTensor[]): unknown {
  return def.attrs ? def.attrs(c.options, tensors) : {};
}

function roundingsOf(
  r: OpDefinition['tolerance'] extends infer T ? T : never,
  key: 'roundings' | 'gradientRoundings',
  inputs: RefTensor[],
  attrs: unknown,
): number | undefined {
  const v = (r as Record<string, unknown> | undefined)?.[key];
  if (v === undefined) return undefined;
  return typeof v === 'number' ? v : (v as (i: RefTensor[], a: unknown) => number)(inputs, attrs);
}

/** Where `got` leaves `bound` (index and both values), or null. */
function firstOutside(
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  bound: (i: number) => number,
): string | null {
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const g = got[i] as number;
    const error = Math.abs(g - e);
    if (!(error <= bound(i)) && !(Number.isNaN(e) && Number.isNaN(g)) && g !== e) {
      return `element ${i}: got ${g}, expected ${e} (error ${error.toExponential(3)}, allowed ${bound(i).toExponential(3)})`;
    }
  }
  return null;
}

/** Smallest scale a result is measured against: results this close to zero are compared absolutely. */
const FLOOR = 1e-30;

async function checkForward(ctx: SuiteContext, def: OpDefinition, c: OpCase): Promise<void> {
  const reference = def.reference;
  if (!reference) return;
  const arrays = caseArrays(c.inputs);
  const tensors = makeTensors(c.inputs, arrays);
  try {
    const attrs = attrsOf(def, c, tensors);
    const outputs = runOp(def.name, tensors, c.options);
    const got = await (outputs[0] as AnyTensor).data();
    const first = outputs[0] as AnyTensor;
    expect(got.length, 'output size').toBe(first.size);
    for (const o of outputs) o.dispose();
    const inputs = refs(c.inputs, arrays);
    const expected = reference(inputs, attrs);
    expect(expected.length, 'reference size').toBe(got.length);
    if (first.dtype === 'int32') {
      expect(Array.from(got)).toEqual(Array.from(expected));
      return;
    }
    const eps = ctx.backend().epsilon;
    const tolerance = def.tolerance;
    const roundings = roundingsOf(tolerance, 'roundings', inputs, attrs) ?? 0;
    const scale =
      tolerance === undefined || tolerance.scale === 'output'
        ? expected.map(Math.abs)
        : tolerance.scale === 'abs-inputs'
          ? reference(
              inputs.map((r) =>
                r.dtype === 'int32' ? r : { ...r, values: r.values.map(Math.abs) },
              ),
              attrs,
            ).map(Math.abs)
          : tolerance.scale(inputs, attrs);
    const outside = firstOutside(
      got,
      expected,
      (i) => roundings * eps * (scale[i] as number) + FLOOR,
    );
    expect(outside, `${def.name} ${c.name}: ${roundings} roundings of ε = ${eps}`).toBeNull();
  } finally {
    for (const t of tensors) t.dispose();
  }
}

/**
 * Central differences of the float64 reference, at h = 1e-6·max(1, |x|): the truncation error is
 * h²·|f'''|/6 ≈ 1e-12 relative for the smooth ops (none for ops linear in each input), and the
 * float64 rounding of x ± h and of the two evaluations ≈ 2^-53·|x|/h ≈ 1e-10 relative.
 * `NUMERIC_SLACK` (1e-8 of the scale, a sixth of one float32 rounding) covers both a hundredfold.
 */
const H = 1e-6;
const NUMERIC_SLACK = 1e-8;

async function checkGradient(ctx: SuiteContext, def: OpDefinition, c: OpCase): Promise<void> {
  const reference = def.reference;
  if (!reference || !def.gradient || c.gradient === false) return;
  const floatInputs = c.inputs
    .map((input, k) => (input.dtype === 'int32' ? -1 : k))
    .filter((k) => k >= 0);
  if (floatInputs.length === 0) return;
  const arrays = caseArrays(c.inputs);
  const tensors = makeTensors(c.inputs, arrays);
  const inputs = refs(c.inputs, arrays);
  try {
    const attrs = attrsOf(def, c, tensors);
    const params = floatInputs.map((k) => tensors[k] as Tensor);
    let outShape: readonly number[] = [];
    const { value, grads } = valueAndGrad(() => {
      const y = runOp(def.name, tensors, c.options)[0] as Tensor;
      outShape = y.shape;
      const w = tensor(caseValues(y.size, 7), y.shape);
      return sum(mul(y, w));
    }, params);
    const analytic = await Promise.all(grads.map((g) => g.data()));
    value.dispose();
    for (const g of grads) g.dispose();
    const w = caseValues(sizeOf(outShape), 7);
    const eps = ctx.backend().epsilon;
    const forwardRoundings = roundingsOf(def.tolerance, 'roundings', inputs, attrs) ?? 0;
    const largest = Math.max(sizeOf(outShape), ...inputs.map((r) => r.values.length));
    const roundings =
      roundingsOf(def.tolerance, 'gradientRoundings', inputs, attrs) ?? largest + forwardRoundings;
    floatInputs.forEach((k, p) => {
      const base = inputs[k] as RefTensor;
      const got = analytic[p] as Float32Array;
      const numeric = new Float64Array(base.values.length);
      const scale = new Float64Array(base.values.length);
      for (let i = 0; i < base.values.length; i++) {
        const x = base.values[i] as number;
        const h = H * Math.max(1, Math.abs(x));
        const at = (v: number) => {
          const values = base.values.slice();
          values[i] = v;
          return reference(
            inputs.map((r, j) => (j === k ? { ...r, values } : r)),
            attrs,
          );
        };
        const plus = at(x + h);
        const minus = at(x - h);
        let g = 0;
        let s = 0;
        for (let o = 0; o < plus.length; o++) {
          const term = ((w[o] as number) * ((plus[o] as number) - (minus[o] as number))) / (2 * h);
          g += term;
          s += Math.abs(term);
        }
        numeric[i] = g;
        scale[i] = s;
      }
      const outside = firstOutside(
        got,
        numeric,
        (i) => (roundings * eps + NUMERIC_SLACK) * (scale[i] as number) + FLOOR,
      );
      expect(
        outside,
        `${def.name} ${c.name}: d/d${k} within ${roundings} roundings of Σ|dy·∂y/∂x|`,
      ).toBeNull();
    });
  } finally {
    for (const t of tensors) t.dispose();
  }
}

function checkError(def: OpDefinition, e: NonNullable<OpDefinition['errors']>[number]): void {
  const made: AnyTensor[] = [];
  const args = e.inputs.map((input, k) => {
    if (!isCaseInput(input)) return input;
    const [values] = caseArrays([input]);
    const t = tensor(values as ArrayLike<number>, input.shape, (input.dtype ?? 'float32') as DType);
    void k;
    made.push(t);
    return t;
  });
  try {
    expect(() => runOp(def.name, args as AnyTensor[], e.options)).toThrow(e.throws);
  } finally {
    for (const t of made) t.dispose();
  }
}

/** Runs `body` through the kernel, then (for an optional kernel the backend has) composed. */
function paths(ctx: SuiteContext, def: OpDefinition): { name: string; fused: boolean }[] {
  const optional = def.fallback !== undefined;
  if (!optional) return [{ name: 'kernel', fused: true }];
  const has = () => ctx.backend().kernels[def.name] !== undefined;
  return [
    { name: has() ? 'kernel' : 'composed', fused: true },
    ...(has() ? [{ name: 'composed', fused: false }] : []),
  ];
}

async function withFused<T>(fused: boolean, body: () => Promise<T>): Promise<T> {
  const before = fusedKernelsEnabled();
  setFusedKernels(fused);
  try {
    return await body();
  } finally {
    setFusedKernels(before);
  }
}

export function opTests(ctx: SuiteContext): void {
  describe('ops, from their definitions', () => {
    for (const def of listOps()) {
      // Ops with nothing to test here (random ones) are tested by the random and Gaussian tests.
      if (!def.cases?.length && !def.errors?.length && def.fallback !== undefined) continue;
      describe(def.name, () => {
        for (const c of def.cases ?? []) {
          if (def.reference) {
            it(`${c.name}: forward against float64`, async () => {
              for (const path of paths(ctx, def)) {
                await withFused(path.fused, () => checkForward(ctx, def, c));
              }
            });
          }
          if (
            def.reference &&
            def.gradient &&
            c.gradient !== false &&
            c.inputs.some((i) => i.dtype !== 'int32')
          ) {
            it(`${c.name}: gradients against central differences`, async () => {
              for (const path of paths(ctx, def)) {
                await withFused(path.fused, () => checkGradient(ctx, def, c));
              }
            });
          }
        }
        for (const e of def.errors ?? []) {
          it(`rejects ${e.name}`, () => checkError(def, e));
        }
        if (def.fallback === undefined) {
          it('is a kernel of this backend (required)', () => {
            expect(typeof ctx.backend().kernels[def.name]).toBe('function');
          });
        }
      });
    }
  });
}
