/**
 * What a graph computes once: equal nodes written once (GraphBuilder), and equal scalars (leaves
 * and params) fed as one input, so that a backward pass that recomputes its forward pass's values
 * (a sample's draws, softplus(rho)) shares their nodes, with the same numbers as apart.
 */
import {
  gaussianLogRatio,
  registerBackend,
  setBackend,
  type Tensor,
  tensor,
  valueAndGrad,
} from '@illia-ts/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OnnxBackend } from '../onnx-backend.js';
import type { GraphProto } from '../proto/onnx.js';
import { DataType } from '../proto/onnx.js';
import { call } from '../test-utils.js';
import { attr, GraphBuilder } from './graph-builder.js';
import type { LazyTensor } from './lazy-tensor.js';
import { planGraph } from './plan.js';

const backend = new OnnxBackend({ name: 'onnx-plan', intraOpNumThreads: 1 });
registerBackend('onnx-plan', () => backend);
const f32 = (values: number[]) => Float32Array.from(values);

afterEach(() => vi.restoreAllMocks());

/** The graph that `planGraph(targets)` writes. */
function graphOf(targets: readonly LazyTensor[]): GraphProto {
  const finish = vi.spyOn(GraphBuilder.prototype, 'finish');
  planGraph(targets, () => false).model();
  return finish.mock.results[0]?.value as GraphProto;
}

const count = (graph: GraphProto, opType: string) =>
  graph.nodes.filter((n) => n.opType === opType).length;

describe('GraphBuilder', () => {
  it('writes an op on the same inputs and attributes once, and other attributes apart', () => {
    const g = new GraphBuilder();
    const x = g.input(DataType.FLOAT, [4]);
    const a = g.op('Exp', [x]);
    expect(g.op('Exp', [x])).toBe(a);
    const sum0 = g.op('ReduceSum', [a], [attr.int('keepdims', 0)]);
    expect(g.op('ReduceSum', [a], [attr.int('keepdims', 0)])).toBe(sum0);
    expect(g.op('ReduceSum', [a], [attr.int('keepdims', 1)])).not.toBe(sum0);
    // ONNX's random ops draw anew at every node.
    const r = g.op('RandomNormalLike', [x]);
    expect(g.op('RandomNormalLike', [x])).not.toBe(r);
    expect(g.finish([]).nodes.map((n) => n.opType)).toEqual([
      'Exp',
      'ReduceSum',
      'ReduceSum',
      'RandomNormalLike',
      'RandomNormalLike',
    ]);
  });
});

describe('planGraph', () => {
  it('feeds equal scalars as one input, and unequal ones (0 and −0 too) apart', () => {
    const x = backend.makeTensor(f32([1, 2, 3]), [3]);
    const scalar = (v: number) => backend.makeTensor(f32([v]), []);
    const [h1, h2, minus, zero, negZero] = [
      scalar(0.5),
      scalar(0.5),
      scalar(-0.5),
      scalar(0),
      scalar(-0),
    ];
    const y = call(backend, 'add', [
      call(backend, 'add', [call(backend, 'mul', [x, h1]), call(backend, 'mul', [x, h2])]),
      call(backend, 'add', [
        call(backend, 'mul', [x, minus]),
        call(backend, 'sub', [zero, negZero]),
      ]),
    ]);
    const plan = planGraph([y], () => false);
    // x, 0.5, −0.5, 0, −0.
    expect(plan.feeds.map((f) => Array.from(f.data()))).toEqual([
      [1, 2, 3],
      [0.5],
      [-0.5],
      [0],
      [-0],
    ]);
    const graph = graphOf([y]);
    // x·0.5 written once.
    expect(count(graph, 'Mul')).toBe(2);
    for (const t of [x, h1, h2, minus, zero, negZero, y]) backend.dispose(t);
  });

  it("draws a sample's normals once when its gradient draws them again, with the same numbers", async () => {
    const n = 1000;
    const mu = backend.makeTensor(
      Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
      [n],
    );
    const rho = backend.makeTensor(
      Float32Array.from({ length: n }, (_, i) => -3 + 6 * Math.cos(i)),
      [n],
    );
    const key = { seed: 7, counter: 3 };
    const together = () => {
      const sample = call(backend, 'gaussianSample', [mu, rho], { key });
      // What core's gradient of gaussianSample records: eps·sigmoid(rho), eps drawn again.
      const eps = call(backend, 'randomNormal', [], { key }, [n]);
      const dRho = call(backend, 'mul', [eps, call(backend, 'sigmoid', [rho])]);
      return [sample, dRho, eps] as const;
    };
    const [sample, dRho, eps] = together();
    const graph = graphOf([sample, dRho]);
    expect(count(graph, 'Sin')).toBe(1);
    expect(count(graph, 'Cos')).toBe(1);
    // e^−|rho| is softplus's and sigmoid's; no Softplus op (one element at a time in ORT).
    expect(count(graph, 'Exp')).toBe(1);
    expect(count(graph, 'Softplus')).toBe(0);
    const [s, d] = await Promise.all([backend.read(sample), backend.read(dRho)]);
    // Apart: each in a graph of its own.
    const [sample2, dRho2, eps2] = together();
    const s2 = await backend.read(sample2);
    const d2 = await backend.read(dRho2);
    expect(Array.from(s)).toEqual(Array.from(s2));
    expect(Array.from(d)).toEqual(Array.from(d2));
    for (const t of [mu, rho, sample, dRho, eps, sample2, dRho2, eps2]) backend.dispose(t);
  });

  it("computes the log-ratio's σ^(−1/2) and z once when core's gradient computes them again", async () => {
    await setBackend('onnx-plan');
    const n = 1000;
    const values = (f: (i: number) => number) =>
      tensor(Float32Array.from({ length: n }, (_, i) => f(i)));
    const [x, mu, rho] = [values(Math.sin), values(Math.cos), values((i) => -4 + Math.sin(3 * i))];
    const prior = { mu: 0, std: 0.1 };
    const step = () => valueAndGrad(() => gaussianLogRatio(x, mu, rho, prior), [x, mu, rho]);
    const { value, grads } = step();
    const handles = (ts: readonly Tensor[]) => ts.map((t) => t.handle() as LazyTensor);
    const graph = graphOf(handles([value, ...grads]));
    // e^−|rho| (softplus, sigmoid), e^−|max(rho, −17)| (the gradient's), and s = e^(−log σ / 2).
    expect(count(graph, 'Exp')).toBe(3);
    // Together as apart.
    const together = await Promise.all([value, ...grads].map((t) => t.data()));
    const again = step();
    const apart: unknown[] = [await again.value.data()];
    for (const t of again.grads) apart.push(await t.data());
    expect(together).toEqual(apart);
    for (const t of [x, mu, rho, value, ...grads, again.value, ...again.grads]) t.dispose();
  });
});
