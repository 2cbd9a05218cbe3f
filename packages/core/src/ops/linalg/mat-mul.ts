import { formatShape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { checkBoolean, defineOp, optionsOf } from '../define.js';

/** What the matMul kernel gets: whether each operand is transposed first. */
export interface MatMulAttrs {
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

const MAT_MUL = defineOp<MatMulAttrs>({
  name: 'matMul',
  family: 'linalg',
  summary: 'op(a) · op(b) of 2-D a and b, op a transpose or not',
  inputs: [
    { name: 'a', dtype: 'float32' },
    { name: 'b', dtype: 'float32' },
  ],
  attrs: (options) => {
    const o = optionsOf<MatMulAttrs>('matMul', options);
    return {
      transposeA: checkBoolean('matMul', 'transposeA', o.transposeA, false),
      transposeB: checkBoolean('matMul', 'transposeB', o.transposeB, false),
    };
  },
  output: ([a, b], { transposeA, transposeB }) => {
    const sa = (a as Tensor).shape;
    const sb = (b as Tensor).shape;
    if (sa.length !== 2 || sb.length !== 2) {
      throw new RangeError(
        `matMul: a and b must be 2-D, got ${formatShape(sa)} (a) and ${formatShape(sb)} (b)`,
      );
    }
    const inner = transposeA ? sa[0] : sa[1];
    const innerB = transposeB ? sb[1] : sb[0];
    if (inner !== innerB) {
      throw new RangeError(
        `matMul: inner sizes differ: a ${formatShape(sa)}${transposeA ? 'ᵀ' : ''} · b ${formatShape(sb)}${transposeB ? 'ᵀ' : ''}`,
      );
    }
    return {
      shape: [(transposeA ? sa[1] : sa[0]) as number, (transposeB ? sb[0] : sb[1]) as number],
      dtype: 'float32',
    };
  },
  gradient: ({ inputs: [a, b], attrs: { transposeA, transposeB }, dy, needs: [needA, needB] }) => {
    const ta = a as Tensor;
    const tb = b as Tensor;
    const g = dy as Tensor;
    return [
      !needA
        ? null
        : transposeA
          ? matMul(tb, g, { transposeA: transposeB, transposeB: true })
          : matMul(g, tb, { transposeB: !transposeB }),
      !needB
        ? null
        : transposeB
          ? matMul(g, ta, { transposeA: true, transposeB: transposeA })
          : matMul(ta, g, { transposeA: !transposeA }),
    ];
  },
  reference: ([a, b], { transposeA, transposeB }) => {
    const A = a as { values: Float64Array; shape: readonly number[] };
    const B = b as { values: Float64Array; shape: readonly number[] };
    const [ar, ac] = A.shape as [number, number];
    const [br, bc] = B.shape as [number, number];
    const m = transposeA ? ac : ar;
    const k = transposeA ? ar : ac;
    const n = transposeB ? br : bc;
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = transposeA ? A.values[p * ac + i] : A.values[i * ac + p];
          const bv = transposeB ? B.values[j * bc + p] : B.values[p * bc + j];
          s += (av as number) * (bv as number);
        }
        out[i * n + j] = s;
      }
    }
    return out;
  },
  tolerance: {
    roundings: ([a], { transposeA }) => ((transposeA ? a?.shape[0] : a?.shape[1]) as number) + 1,
    scale: 'abs-inputs',
  },
  cases: [
    { name: '[3, 4] · [4, 5]', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }] },
    {
      name: '[4, 3]ᵀ · [4, 5]',
      inputs: [{ shape: [4, 3] }, { shape: [4, 5] }],
      options: { transposeA: true },
    },
    {
      name: '[3, 4] · [5, 4]ᵀ',
      inputs: [{ shape: [3, 4] }, { shape: [5, 4] }],
      options: { transposeB: true },
    },
    {
      name: '[4, 3]ᵀ · [5, 4]ᵀ',
      inputs: [{ shape: [4, 3] }, { shape: [5, 4] }],
      options: { transposeA: true, transposeB: true },
    },
    { name: '[17, 33] · [33, 9]', inputs: [{ shape: [17, 33] }, { shape: [33, 9] }] },
  ],
  errors: [
    {
      name: 'inner sizes differ',
      inputs: [{ shape: [2, 3] }, { shape: [2, 3] }],
      throws: /matMul: inner sizes differ: a \[2, 3\] · b \[2, 3\]/,
    },
    {
      name: 'not 2-D',
      inputs: [{ shape: [2, 3, 1] }, { shape: [3, 2] }],
      throws: /matMul: a and b must be 2-D/,
    },
    {
      name: 'transposeA not a boolean',
      inputs: [{ shape: [2, 2] }, { shape: [2, 2] }],
      options: { transposeA: 1 },
      throws: /matMul: transposeA must be a boolean, got 1/,
    },
  ],
});

/**
 * The matrix product of 2-D `a` and `b`, each optionally transposed first:
 * `[m, k] · [k, n] → [m, n]`.
 */
export function matMul(
  a: Tensor,
  b: Tensor,
  options: { transposeA?: boolean; transposeB?: boolean } = {},
): Tensor {
  return MAT_MUL.run([a, b], options) as Tensor;
}
