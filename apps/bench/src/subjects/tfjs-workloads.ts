/**
 * The tfjs ceiling's workloads, the same math written directly against `@tensorflow/tfjs-core`:
 * no Node import, so that the browser runner's page runs them on tfjs's webgl and webgpu engines
 * (`ceiling:tfjs-webgl`, `ceiling:tfjs-webgpu`) as the Node workers run them on cpu and wasm.
 */
import type * as TF from '@tensorflow/tfjs-core';
import { convData } from '../conv-reference.js';
import type { ConvShape, ConvWorkload, GaussianSetup, Workload } from './types.js';
import { convOutput } from './types.js';

/**
 * The sum of a vector in two levels (rows, then their sums), as a careful tfjs user writes it:
 * some tfjs engines (wasm) sum in float32 one element after another, which drifts past 1e-4
 * relative error by 1e7 terms; blocks of about √n keep each partial sum short.
 */
function blockedSum(tf: typeof TF, v: TF.Tensor): TF.Tensor {
  const n = v.size;
  if (n <= 4096) return tf.sum(v);
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.floor(n / cols);
  const main = tf.sum(tf.sum(tf.reshape(tf.slice(v, 0, rows * cols), [rows, cols]), 1));
  return rows * cols === n ? main : tf.add(main, tf.sum(tf.slice(v, rows * cols)));
}

export function tfjsWorkload(tf: typeof TF, size: number, setup: GaussianSetup): Workload {
  let seed = setup.seed;
  // tfjs seeds each randomNormal call; a counter gives fresh, reproducible draws.
  const normal = (mean: number, std: number) =>
    tf.randomNormal([size], mean, std, 'float32', seed++);
  const mu = normal(setup.muInit, 0.1);
  const rho = normal(setup.rhoInit, 0.1);
  const { mu: muPrior, std: stdPrior } = setup.prior;
  const sample = () => tf.tidy(() => tf.add(mu, tf.mul(tf.softplus(rho), normal(0, 1))));
  const logProb = (x: TF.Tensor) =>
    tf.tidy(() => {
      const sigma = tf.softplus(rho);
      const logRatio = tf.sub(tf.scalar(Math.log(stdPrior)), tf.log(sigma));
      const posterior = tf.mul(tf.square(tf.div(tf.sub(x, mu), sigma)), 0.5);
      const prior = tf.mul(tf.square(tf.sub(x, muPrior)), 1 / (2 * stdPrior * stdPrior));
      return blockedSum(tf, tf.add(tf.sub(logRatio, posterior), prior));
    });
  const x = sample();
  const readAndDispose = async (...tensors: TF.Tensor[]) => {
    try {
      await Promise.all(tensors.map((t) => t.data()));
    } finally {
      for (const t of tensors) t.dispose();
    }
  };
  return {
    ops: {
      construct: () => readAndDispose(normal(setup.muInit, 0.1), normal(setup.rhoInit, 0.1)),
      sample: () => readAndDispose(sample()),
      logProb: () => readAndDispose(logProb(x)),
      async sampleLogProb() {
        const s = sample();
        const lp = logProb(s);
        s.dispose();
        await readAndDispose(lp);
      },
    },
    async checkValues() {
      const lp = logProb(x);
      const s = sample();
      try {
        const [m, r, xs, l, ss] = await Promise.all([
          mu.data(),
          rho.data(),
          x.data(),
          lp.data(),
          s.data(),
        ]);
        return {
          mu: m as Float32Array,
          rho: r as Float32Array,
          x: xs as Float32Array,
          logProb: l[0] as number,
          sample: ss as Float32Array,
        };
      } finally {
        lp.dispose();
        s.dispose();
      }
    },
    liveTensors: () => tf.memory().numTensors,
    dispose() {
      for (const t of [mu, rho, x]) t.dispose();
    },
  };
}

/**
 * conv2d forward and backward on tfjs, in its native NHWC layout (the inputs are transposed once,
 * untimed; the check transposes the results back to NCHW): `tf.conv2d`, the loss `Σ y ⊙ g`, and
 * its gradients by the kernels tfjs's own Conv2D gradient runs, `Conv2DBackpropInput`
 * (`tf.conv2dTranspose`) and `Conv2DBackpropFilter`: tfjs-core registers no gradients unless the
 * whole `@tensorflow/tfjs` is installed, so they are called here as that gradient calls them, with
 * dy = 1 ⊙ g as the chain rule gives it. An engine without `Conv2DBackpropFilter` (wasm) gets dW
 * as a tfjs user would write it there: `tf.conv2d` of x and dy with batch and channels swapped
 * (the batch becomes the summed axis), transposed back. Then every result is read.
 */
export function tfjsConvWorkload(tf: typeof TF, shape: ConvShape, seed: number): ConvWorkload {
  const { batch: n, inChannels: c, outChannels: o, height: h, width: w } = shape;
  const { kernelHeight: kh, kernelWidth: kw } = shape;
  const [ho, wo] = convOutput(shape);
  const data = convData(shape, seed);
  const [x, f, g] = tf.tidy(() => [
    tf.transpose(tf.tensor4d(data.x, [n, c, h, w]), [0, 2, 3, 1]),
    tf.transpose(tf.tensor4d(data.w, [o, c, kh, kw]), [2, 3, 1, 0]),
    tf.transpose(tf.tensor4d(data.g, [n, o, ho, wo]), [0, 2, 3, 1]),
  ]) as [TF.Tensor4D, TF.Tensor4D, TF.Tensor4D];
  const hasFilterGrad = tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined;
  /** y, the loss, dx and dW (NHWC, filter [kh, kw, C, O]). */
  const pass = () =>
    tf.tidy(() => {
      const y = tf.conv2d(x, f, 1, 'valid');
      const loss = tf.sum(tf.mul(y, g));
      const dy = tf.mul(tf.onesLike(y), g) as TF.Tensor4D;
      const dx = tf.conv2dTranspose(dy, f, [n, h, w, c], 1, 'valid');
      const dW = hasFilterGrad
        ? (tf.engine().runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            {
              strides: [1, 1],
              pad: 'valid',
              dataFormat: 'NHWC',
              filterShape: [kh, kw, c, o],
            },
          ) as TF.Tensor4D)
        : tf.transpose(
            tf.conv2d(tf.transpose(x, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 'valid'),
            [1, 2, 0, 3],
          );
      return [y, loss, dx, dW];
    });
  return {
    async step() {
      const [y, ...results] = pass() as [TF.Tensor, ...TF.Tensor[]];
      y.dispose();
      try {
        await Promise.all(results.map((t) => t.data()));
      } finally {
        for (const t of results) t.dispose();
      }
    },
    async checkValues() {
      const nchw = tf.tidy(() => {
        const [y, , dx, dW] = pass() as [TF.Tensor, TF.Tensor, TF.Tensor, TF.Tensor];
        return [
          tf.transpose(y, [0, 3, 1, 2]),
          tf.transpose(dx, [0, 3, 1, 2]),
          tf.transpose(dW, [3, 2, 0, 1]),
        ];
      });
      try {
        const [y, dx, dW] = await Promise.all(nchw.map((t) => t.data()));
        return { y: y as Float32Array, dx: dx as Float32Array, dW: dW as Float32Array };
      } finally {
        for (const t of nchw) t.dispose();
      }
    },
    liveTensors: () => tf.memory().numTensors,
    dispose() {
      for (const t of [x, f, g]) t.dispose();
    },
  };
}
