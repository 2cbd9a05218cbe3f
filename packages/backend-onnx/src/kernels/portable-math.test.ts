/**
 * The portable forms (what GPU providers get, GraphBuilder.portable) on the cpu provider, whose
 * +, −, ×, ÷ are IEEE's: each kernel over a sweep of its range against core's float64 reference,
 * within the op's own tolerance (roundings · epsilon · scale, scale |reference| or the op's own,
 * as the conformance suite checks). This runs everywhere; the webgpu tests run the same graphs on a GPU.
 */
import { getOp } from '@illia-ts/core';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, IR_VERSION, OPSET_VERSION } from '../graph/graph-builder.js';
import { DataType, encodeModel } from '../proto/onnx.js';
import { KERNELS } from './index.js';

const EPSILON = 2 ** -24;
/** Below this a reference is in float32's subnormals, where one rounding is absolute. */
const SUBNORMAL_FLOOR = 2 ** -126;

function sweep(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}
function logSweep(lo: number, hi: number, n: number): number[] {
  return sweep(Math.log(lo), Math.log(hi), n).map(Math.exp);
}
const both = (values: number[]) => [...values, ...values.map((v) => -v)];

const CASES: Record<string, number[]> = {
  exp: [...sweep(-103, 88.7, 3000), ...both(logSweep(1e-30, 1, 200)), -1e4, 1e4],
  log: [...logSweep(1e-44, 3e38, 3000), ...sweep(0.5, 2, 2000)],
  log1p: [
    ...logSweep(1e-30, 1e30, 2000),
    ...sweep(-0.999, 1, 2000),
    ...both(logSweep(1e-30, 1e-3, 200)),
  ],
  softplus: [...sweep(-103, 100, 3000), ...both(logSweep(1e-30, 1, 200)), 1e4, 1e30],
  sigmoid: [...sweep(-87, 87, 3000), ...both(logSweep(1e-30, 1, 200))],
  tanh: [...sweep(-20, 20, 3000), ...both(logSweep(1e-30, 1, 400))],
  logSoftplus: [...sweep(-200, 88, 3000), -1e4, 1e30],
};

async function runPortable(
  name: string,
  values: readonly number[],
  minMaxAsWhere = false,
  ops?: string[],
): Promise<Float32Array> {
  const n = values.length;
  const g = new GraphBuilder({ portable: true, minMaxAsWhere });
  const x = g.input(DataType.FLOAT, [n]);
  const kernel = KERNELS[name] as NonNullable<(typeof KERNELS)[string]>;
  const y = kernel([], {}, { shape: [n], dtype: 'float32' }).emit(g, [x], [], [n]);
  const model = encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: 'illia-ts',
    graph: g.finish([{ name: y, elemType: DataType.FLOAT, dims: [n] }]),
  });
  ops?.push(...g.finish([]).nodes.map((node) => node.opType));
  const session = await InferenceSession.create(model, { executionProviders: ['cpu'] });
  try {
    const out = await session.run({ [x]: new Tensor('float32', Float32Array.from(values), [n]) });
    return out[y]?.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('portable transcendental forms, on the cpu provider', () => {
  for (const [name, values] of Object.entries(CASES)) {
    it(`${name}: within its tolerance of float64 over its range`, async () => {
      const def = getOp(name);
      const roundings = def?.tolerance?.roundings;
      if (typeof roundings !== 'number' || def?.reference === undefined) {
        throw new Error(`test: op '${name}' has no float64 reference with a fixed tolerance`);
      }
      const x = Float64Array.from(values, Math.fround);
      const input = [{ values: x, shape: [x.length], dtype: 'float32' as const }];
      const expected = def.reference(input, {}) as Float64Array;
      const scale = def.tolerance?.scale;
      const scales = typeof scale === 'function' ? scale(input, {}) : null;
      const got = await runPortable(name, values);
      let worst = 0;
      let at = 0;
      for (let i = 0; i < x.length; i++) {
        const e = expected[i] as number;
        const g = got[i] as number;
        const error =
          g === e
            ? 0
            : Math.abs(g - e) / (EPSILON * Math.max(scales?.[i] ?? Math.abs(e), SUBNORMAL_FLOOR));
        if (!(error <= worst)) {
          worst = error;
          at = i;
        }
      }
      console.log(
        `${name}: worst ${worst.toFixed(2)} roundings (at x = ${x[at]}), allowed ${roundings}`,
      );
      expect(
        worst,
        `${name} at x = ${x[at]}: got ${got[at]}, expected ${expected[at]}`,
      ).toBeLessThanOrEqual(roundings);
    });
  }
});

/** Max and Min as Where, as onnxruntime-web's webgpu provider gets them (GraphBuilder.minMaxAsWhere). */
describe('portable forms without Max and Min, on the cpu provider', () => {
  const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  for (const [name, values] of Object.entries(CASES)) {
    it(`${name}: the same values as with Max and Min, and neither op in the graph`, async () => {
      const xs = [...values, Infinity, -Infinity, 0, -0];
      const ops: string[] = [];
      const got = await runPortable(name, xs, true, ops);
      const expected = await runPortable(name, xs);
      expect(ops.filter((op) => op === 'Max' || op === 'Min')).toEqual([]);
      const differ = xs.findIndex((_, i) => !same(got[i] as number, expected[i] as number));
      expect(differ, `${name} at x = ${xs[differ]}: ${got[differ]} vs ${expected[differ]}`).toBe(
        -1,
      );
    });
  }

  it('maximum of two inputs keeps a NaN from either', async () => {
    const a = [1, Number.NaN, 3, -0, Number.NaN];
    const b = [2, 1, Number.NaN, 0, Number.NaN];
    const run = async (minMaxAsWhere: boolean, op: 'Max' | 'Min') => {
      const g = new GraphBuilder({ minMaxAsWhere });
      const [x, w] = [g.input(DataType.FLOAT, [5]), g.input(DataType.FLOAT, [5])];
      const y = g.op(op, [x, w]);
      const graph = g.finish([{ name: y, elemType: DataType.FLOAT, dims: [5] }]);
      expect(graph.nodes.some((node) => node.opType === op)).toBe(!minMaxAsWhere);
      const model = encodeModel({
        irVersion: IR_VERSION,
        opsetVersion: OPSET_VERSION,
        producerName: 'illia-ts',
        graph,
      });
      const session = await InferenceSession.create(model, { executionProviders: ['cpu'] });
      try {
        const feed = (v: number[]) => new Tensor('float32', Float32Array.from(v), [5]);
        const out = await session.run({ [x]: feed(a), [w]: feed(b) });
        return Array.from(out[y]?.data as Float32Array);
      } finally {
        await session.release();
      }
    };
    for (const op of ['Max', 'Min'] as const) {
      const got = await run(true, op);
      const expected = await run(false, op);
      expect(
        got.map((v, i) => same(v, expected[i] as number) || (v === 0 && expected[i] === 0)),
      ).toEqual(got.map(() => true));
      expect(got.map(Number.isNaN)).toEqual([false, true, true, false, true]);
    }
  });
});
