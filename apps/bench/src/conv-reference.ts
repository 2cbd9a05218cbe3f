/**
 * The conv2d page's inputs and their float64 reference: what every subject's convolution and
 * gradients are checked against before they are timed.
 */
import type { ConvCheckValues, ConvShape } from './subjects/types.js';
import { convOutput } from './subjects/types.js';

/** Relative L2 error that y, dx and dW may each have against float64 (as the training step's). */
export const CONV_TOLERANCE = 1e-3;

/** The inputs of one convolution, float32, row-major: x NCHW, weights OIHW, g (= dy) NCHW. */
export interface ConvData {
  readonly x: Float32Array;
  readonly w: Float32Array;
  readonly g: Float32Array;
}

/**
 * The same inputs for every subject, from `seed`: x and g uniform in [−1, 1), the weights uniform
 * in [−1, 1) / √(C·kh·kw) (so y is of the order of x, as after a usual initialisation).
 */
export function convData(shape: ConvShape, seed: number): ConvData {
  const { batch: n, inChannels: c, outChannels: o, kernelHeight: kh, kernelWidth: kw } = shape;
  const [ho, wo] = convOutput(shape);
  let state = (Math.imul(seed, 2654435761) + 0x2545f491) >>> 0;
  const uniform = (length: number, scale: number) => {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      out[i] = ((state >>> 8) / 2 ** 23 - 1) * scale;
    }
    return out;
  };
  return {
    x: uniform(n * c * shape.height * shape.width, 1),
    w: uniform(o * c * kh * kw, 1 / Math.sqrt(c * kh * kw)),
    g: uniform(n * o * ho * wo, 1),
  };
}

/**
 * y = conv2d(x, w), and the gradients of Σ y⊙g: dx (a transposed convolution of g) and dW (x
 * correlated with g), every product and sum in float64.
 */
export function convReference(
  shape: ConvShape,
  { x, w, g }: ConvData,
): { y: Float64Array; dx: Float64Array; dW: Float64Array } {
  const { batch: n, inChannels: c, outChannels: o, height: h, width: wd } = shape;
  const { kernelHeight: kh, kernelWidth: kw } = shape;
  const [ho, wo] = convOutput(shape);
  const y = new Float64Array(n * o * ho * wo);
  const dx = new Float64Array(x.length);
  const dW = new Float64Array(w.length);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          const yi = ((b * o + oc) * ho + i) * wo + j;
          const gv = g[yi] as number;
          let acc = 0;
          for (let ic = 0; ic < c; ic++) {
            for (let p = 0; p < kh; p++) {
              const xRow = ((b * c + ic) * h + i + p) * wd + j;
              const wRow = ((oc * c + ic) * kh + p) * kw;
              for (let q = 0; q < kw; q++) {
                const xv = x[xRow + q] as number;
                const wv = w[wRow + q] as number;
                acc += xv * wv;
                dx[xRow + q] = (dx[xRow + q] as number) + gv * wv;
                dW[wRow + q] = (dW[wRow + q] as number) + gv * xv;
              }
            }
          }
          y[yi] = acc;
        }
      }
    }
  }
  return { y, dx, dW };
}

/** ‖got − want‖ / ‖want‖ (0 when both are zero). */
export function relativeL2(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    const d = (got[i] as number) - (want[i] as number);
    diff += d * d;
    norm += (want[i] as number) ** 2;
  }
  if (!Number.isFinite(diff)) return Number.POSITIVE_INFINITY;
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

/** What the conv2d check found; `problems` is empty when the subject is right. */
export interface ConvCheckResult {
  readonly yRelError: number;
  readonly dxRelError: number;
  readonly dWRelError: number;
  readonly problems: readonly string[];
}

/** Checks a subject's y, dx and dW against float64, each within {@link CONV_TOLERANCE}. */
export function checkConv(
  shape: ConvShape,
  data: ConvData,
  values: ConvCheckValues,
  reference = convReference(shape, data),
): ConvCheckResult {
  const problems: string[] = [];
  const errors = {
    y: relativeL2(values.y, reference.y),
    dx: relativeL2(values.dx, reference.dx),
    dW: relativeL2(values.dW, reference.dW),
  };
  for (const [name, error] of Object.entries(errors)) {
    const want = reference[name as keyof typeof errors].length;
    const got = values[name as keyof typeof errors].length;
    if (got !== want) problems.push(`${name}: expected ${want} values, got ${got}`);
    else if (!(error <= CONV_TOLERANCE)) {
      problems.push(
        `${name}: relative L2 error ${error.toExponential(2)} > ${CONV_TOLERANCE} against float64`,
      );
    }
  }
  return {
    yRelError: errors.y,
    dxRelError: errors.dx,
    dWRelError: errors.dW,
    problems,
  };
}
