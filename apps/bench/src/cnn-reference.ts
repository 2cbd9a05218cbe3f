/**
 * The CNN training step's batch and its float64 reference: what every subject's CNN gradients are
 * checked against before its `trainCnn` step is timed.
 */
import type { Prior } from './reference.js';
import { softplus64 } from './reference.js';
import type { CnnSetup, TrainCheckValues } from './subjects/types.js';
import { cnnShapes, cnnSides } from './subjects/types.js';
import { compareTraining, type TrainCheckResult, trainBatch } from './train-reference.js';

/**
 * The images every subject trains the CNN on: `[batch, 1, side, side]` in [0, 1) from `seed`
 * (the training step's generator) and labels `row mod classes`.
 */
export function cnnBatch(
  setup: Pick<CnnSetup, 'side' | 'classes' | 'batch'>,
  seed: number,
): { x: Float32Array; labels: Int32Array } {
  return trainBatch(
    { input: setup.side * setup.side, classes: setup.classes, batch: setup.batch },
    seed,
  );
}

/** The parameters' names in `model.parameters()` order, as checks report them. */
export const CNN_PARAM_NAMES: readonly string[] = ['conv1', 'conv2', 'fc1', 'fc2'].flatMap(
  (layer) => [`${layer}.W.mu`, `${layer}.W.rho`, `${layer}.b.mu`, `${layer}.b.rho`],
);

/** y [n, o, s−k+1, s−k+1] = conv(x [n, c, s, s], w [o, c, k, k]) + b, stride 1, no padding. */
function convForward(
  x: ArrayLike<number>,
  n: number,
  c: number,
  s: number,
  w: ArrayLike<number>,
  b: ArrayLike<number>,
  o: number,
  k: number,
): Float64Array {
  const so = s - k + 1;
  const y = new Float64Array(n * o * so * so);
  for (let bi = 0; bi < n; bi++) {
    for (let oc = 0; oc < o; oc++) {
      for (let i = 0; i < so; i++) {
        for (let j = 0; j < so; j++) {
          let acc = b[oc] as number;
          for (let ic = 0; ic < c; ic++) {
            for (let p = 0; p < k; p++) {
              const xRow = ((bi * c + ic) * s + i + p) * s + j;
              const wRow = ((oc * c + ic) * k + p) * k;
              for (let q = 0; q < k; q++) acc += (x[xRow + q] as number) * (w[wRow + q] as number);
            }
          }
          y[((bi * o + oc) * so + i) * so + j] = acc;
        }
      }
    }
  }
  return y;
}

/** The gradients of a {@link convForward} from dy: dW, db and (where asked) dx. */
function convBackward(
  x: ArrayLike<number>,
  n: number,
  c: number,
  s: number,
  w: ArrayLike<number>,
  o: number,
  k: number,
  dy: Float64Array,
  wantDx: boolean,
): { dW: Float64Array; db: Float64Array; dx: Float64Array | null } {
  const so = s - k + 1;
  const dW = new Float64Array(o * c * k * k);
  const db = new Float64Array(o);
  const dx = wantDx ? new Float64Array(n * c * s * s) : null;
  for (let bi = 0; bi < n; bi++) {
    for (let oc = 0; oc < o; oc++) {
      for (let i = 0; i < so; i++) {
        for (let j = 0; j < so; j++) {
          const g = dy[((bi * o + oc) * so + i) * so + j] as number;
          if (g === 0) continue;
          db[oc] = (db[oc] as number) + g;
          for (let ic = 0; ic < c; ic++) {
            for (let p = 0; p < k; p++) {
              const xRow = ((bi * c + ic) * s + i + p) * s + j;
              const wRow = ((oc * c + ic) * k + p) * k;
              for (let q = 0; q < k; q++) {
                dW[wRow + q] = (dW[wRow + q] as number) + g * (x[xRow + q] as number);
                if (dx) dx[xRow + q] = (dx[xRow + q] as number) + g * (w[wRow + q] as number);
              }
            }
          }
        }
      }
    }
  }
  return { dW, db, dx };
}

/**
 * relu then 2×2 max pooling (stride 2) of `z` [n·c planes of s×s]: the output and, for each
 * output, the index in `z` of its maximum (the first in row-major order on a tie, which only
 * happens between zeros, whose relu gradient is 0 anyway).
 */
function reluPool(z: Float64Array, planes: number, s: number): { y: Float64Array; at: Int32Array } {
  const h = s / 2;
  const y = new Float64Array(planes * h * h);
  const at = new Int32Array(planes * h * h);
  for (let pl = 0; pl < planes; pl++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < h; j++) {
        let best = -1;
        let bestAt = 0;
        for (let p = 0; p < 2; p++) {
          for (let q = 0; q < 2; q++) {
            const idx = (pl * s + 2 * i + p) * s + 2 * j + q;
            const v = Math.max(z[idx] as number, 0);
            if (v > best) {
              best = v;
              bestAt = idx;
            }
          }
        }
        const o = (pl * h + i) * h + j;
        y[o] = best;
        at[o] = bestAt;
      }
    }
  }
  return { y, at };
}

/** The gradient of {@link reluPool} with respect to z, from the pooled output's gradient. */
function reluPoolBackward(z: Float64Array, at: Int32Array, dy: Float64Array): Float64Array {
  const dz = new Float64Array(z.length);
  for (let o = 0; o < dy.length; o++) {
    const idx = at[o] as number;
    if ((z[idx] as number) > 0) dz[idx] = (dz[idx] as number) + (dy[o] as number);
  }
  return dz;
}

/**
 * The loss and gradients, in float64, of the CNN's ELBO with every layer frozen at its means:
 * `CE(fc2(relu(fc1(flatten(pool(relu(conv2(pool(relu(conv1(x)))))))))), labels) + klWeight ·
 * KL / numWeights`, where each weight's one-sample KL scores its mean,
 * `log N(mu; mu, σ) − log N(mu; prior)` (as `ELBOLoss` with `klCost('mc')` on a frozen layer).
 * `params` is the 16 parameters in `model.parameters()` order ({@link CNN_PARAM_NAMES}).
 */
export function cnnReference(
  setup: CnnSetup,
  params: readonly Float32Array[],
  x: Float32Array,
  labels: Int32Array,
  prior: Prior,
): { loss: number; grads: Float64Array[] } {
  const { batch: n, side, kernel: k, hidden: H, classes: C, klWeight } = setup;
  const [c1, c2] = setup.channels;
  const [s1, p1, s2, p2] = cnnSides(setup);
  const flat = c2 * p2 * p2;
  const [w1, , b1, , w2, , b2, , w3, , b3, , w4, , b4] = params as Float32Array[];
  // Forward.
  const z1 = convForward(x, n, 1, side, w1 as Float32Array, b1 as Float32Array, c1, k);
  const pool1 = reluPool(z1, n * c1, s1);
  const z2 = convForward(pool1.y, n, c1, p1, w2 as Float32Array, b2 as Float32Array, c2, k);
  const pool2 = reluPool(z2, n * c2, s2);
  const f = pool2.y; // [n, flat], NCHW order: what Flatten gives
  const z3 = new Float64Array(n * H);
  for (let bi = 0; bi < n; bi++) {
    for (let h = 0; h < H; h++) {
      let acc = (b3 as Float32Array)[h] as number;
      for (let i = 0; i < flat; i++)
        acc += (f[bi * flat + i] as number) * ((w3 as Float32Array)[h * flat + i] as number);
      z3[bi * H + h] = acc;
    }
  }
  const a3 = z3.map((v) => Math.max(v, 0));
  const dLogits = new Float64Array(n * C);
  let ce = 0;
  for (let bi = 0; bi < n; bi++) {
    const logits = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let acc = (b4 as Float32Array)[c] as number;
      for (let h = 0; h < H; h++)
        acc += (a3[bi * H + h] as number) * ((w4 as Float32Array)[c * H + h] as number);
      logits[c] = acc;
    }
    const max = Math.max(...logits);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp((logits[c] as number) - max);
    const logSum = max + Math.log(sum);
    const label = labels[bi] as number;
    ce -= ((logits[label] as number) - logSum) / n;
    for (let c = 0; c < C; c++) {
      dLogits[bi * C + c] = (Math.exp((logits[c] as number) - logSum) - (c === label ? 1 : 0)) / n;
    }
  }
  // Backward.
  const gw4 = new Float64Array(C * H);
  const gb4 = new Float64Array(C);
  const dz3 = new Float64Array(n * H);
  for (let bi = 0; bi < n; bi++) {
    for (let c = 0; c < C; c++) {
      const d = dLogits[bi * C + c] as number;
      gb4[c] = (gb4[c] as number) + d;
      for (let h = 0; h < H; h++) {
        gw4[c * H + h] = (gw4[c * H + h] as number) + d * (a3[bi * H + h] as number);
        if ((z3[bi * H + h] as number) > 0)
          dz3[bi * H + h] =
            (dz3[bi * H + h] as number) + d * ((w4 as Float32Array)[c * H + h] as number);
      }
    }
  }
  const gw3 = new Float64Array(H * flat);
  const gb3 = new Float64Array(H);
  const df = new Float64Array(n * flat);
  for (let bi = 0; bi < n; bi++) {
    for (let h = 0; h < H; h++) {
      const d = dz3[bi * H + h] as number;
      if (d === 0) continue;
      gb3[h] = (gb3[h] as number) + d;
      for (let i = 0; i < flat; i++) {
        gw3[h * flat + i] = (gw3[h * flat + i] as number) + d * (f[bi * flat + i] as number);
        df[bi * flat + i] =
          (df[bi * flat + i] as number) + d * ((w3 as Float32Array)[h * flat + i] as number);
      }
    }
  }
  const dz2 = reluPoolBackward(z2, pool2.at, df);
  const conv2 = convBackward(pool1.y, n, c1, p1, w2 as Float32Array, c2, k, dz2, true);
  const dz1 = reluPoolBackward(z1, pool1.at, conv2.dx as Float64Array);
  const conv1 = convBackward(x, n, 1, side, w1 as Float32Array, c1, k, dz1, false);
  // The KL term at x = mu (see `trainReference`): (mu − priorMu)²/(2·std²) + log std − log σ.
  const numWeights = cnnShapes(setup).reduce((a, shape) => a + shape.reduce((p, d) => p * d, 1), 0);
  const scale = klWeight / numWeights;
  const logStd = Math.log(prior.std);
  let kl = 0;
  const klMu = (mu: Float32Array, g: Float64Array) => {
    for (let i = 0; i < mu.length; i++) {
      const d = (mu[i] as number) - prior.mu;
      kl += (d * d) / (2 * prior.std * prior.std) + logStd;
      g[i] = (g[i] as number) + (scale * d) / (prior.std * prior.std);
    }
    return g;
  };
  const klRho = (rho: Float32Array) => {
    const g = new Float64Array(rho.length);
    for (let i = 0; i < rho.length; i++) {
      const r = rho[i] as number;
      const sigma = softplus64(r);
      kl -= Math.log(sigma);
      g[i] = (-scale * (1 / (1 + Math.exp(-r)))) / sigma;
    }
    return g;
  };
  const dataGrads = [conv1.dW, conv1.db, conv2.dW, conv2.db, gw3, gb3, gw4, gb4];
  // dataGrads[j] is the gradient of params[2j] (a mean); params[2j + 1] is its rho.
  const grads = dataGrads.flatMap((g, j) => [
    klMu(params[2 * j] as Float32Array, g),
    klRho(params[2 * j + 1] as Float32Array),
  ]);
  return { loss: ce + scale * kl, grads };
}

/**
 * Checks a subject's CNN training: the deterministic step's loss and every gradient against
 * float64 (as the MLP's, `checkTraining`), then its training losses for being finite and falling.
 */
export function checkCnnTraining(
  setup: CnnSetup,
  values: TrainCheckValues,
  batch: { x: Float32Array; labels: Int32Array },
  prior: Prior,
): TrainCheckResult {
  const expected = CNN_PARAM_NAMES.length;
  if (values.params.length !== expected || values.grads.length !== expected) {
    return {
      gradRelError: Number.NaN,
      lossRelError: Number.NaN,
      firstLoss: Number.NaN,
      lastLoss: Number.NaN,
      problems: [
        `expected ${expected} parameters and gradients, got ${values.params.length} and ${values.grads.length}`,
      ],
    };
  }
  const shapes = cnnShapes(setup);
  for (let i = 0; i < expected; i++) {
    const want = (shapes[i >> 1] as number[]).reduce((a, b) => a * b, 1);
    if ((values.params[i] as Float32Array).length !== want) {
      return {
        gradRelError: Number.NaN,
        lossRelError: Number.NaN,
        firstLoss: Number.NaN,
        lastLoss: Number.NaN,
        problems: [
          `${CNN_PARAM_NAMES[i]} has ${(values.params[i] as Float32Array).length} values, expected ${want}`,
        ],
      };
    }
  }
  return compareTraining(
    CNN_PARAM_NAMES,
    cnnReference(setup, values.params, batch.x, batch.labels, prior),
    values,
  );
}
