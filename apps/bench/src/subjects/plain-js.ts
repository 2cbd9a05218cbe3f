import { NormalGenerator } from '../normal.js';
import type { Device, GaussianSetup, Session, Subject, Workload } from './types.js';
import { Unavailable } from './types.js';

/**
 * Keeps results reachable, so the engine cannot drop a loop whose output nobody reads.
 * Exported only for that reason.
 */
export let sink: unknown;

/**
 * The plain-JavaScript ceiling: each operation as one hand-fused loop on Float32Array, on one
 * thread, with the ziggurat of `normal.ts`. What the `cpu` backend's kernels could reach without
 * threads or WebAssembly.
 */
export const plainJsCeiling: Subject = {
  id: 'ceiling:js',
  role: 'ceiling',
  async open(device: Device): Promise<Session> {
    if (device !== 'cpu') throw new Unavailable('plain JavaScript runs on the CPU only');
    return {
      engine: `plain JavaScript, 1 thread, xoshiro128** + ziggurat (V8 ${process.versions.v8})`,
      workload: async (size, setup) => plainJsWorkload(size, setup),
      close() {},
    };
  },
};

function plainJsWorkload(size: number, setup: GaussianSetup): Workload {
  const gen = new NormalGenerator(setup.seed);
  const init = (value: number): Float32Array => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = value + 0.1 * gen.normal();
    return out;
  };
  const mu = init(setup.muInit);
  const rho = init(setup.rhoInit);
  const { mu: muPrior, std: stdPrior } = setup.prior;
  const logStdPrior = Math.log(stdPrior);
  const priorScale = 1 / (2 * stdPrior * stdPrior);

  const sample = (): Float32Array => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      const r = rho[i] as number;
      const sigma = Math.max(r, 0) + Math.log1p(Math.exp(-Math.abs(r)));
      out[i] = (mu[i] as number) + sigma * gen.normal();
    }
    return out;
  };
  const logProb = (x: Float32Array): number => {
    let total = 0;
    for (let i = 0; i < size; i++) {
      const r = rho[i] as number;
      const sigma = Math.max(r, 0) + Math.log1p(Math.exp(-Math.abs(r)));
      const xi = x[i] as number;
      const z = (xi - (mu[i] as number)) / sigma;
      const d = xi - muPrior;
      total += logStdPrior - Math.log(sigma) - 0.5 * z * z + d * d * priorScale;
    }
    return Math.fround(total);
  };
  const x = sample();

  return {
    ops: {
      async construct() {
        sink = [init(setup.muInit), init(setup.rhoInit)];
      },
      async sample() {
        sink = sample();
      },
      async logProb() {
        sink = logProb(x);
      },
      async sampleLogProb() {
        // One pass: draw, store the float32 sample, add its term.
        const out = new Float32Array(size);
        let total = 0;
        for (let i = 0; i < size; i++) {
          const r = rho[i] as number;
          const m = mu[i] as number;
          const sigma = Math.max(r, 0) + Math.log1p(Math.exp(-Math.abs(r)));
          const eps = gen.normal();
          out[i] = m + sigma * eps;
          const xi = out[i] as number;
          const z = (xi - m) / sigma;
          const d = xi - muPrior;
          total += logStdPrior - Math.log(sigma) - 0.5 * z * z + d * d * priorScale;
        }
        sink = [out, Math.fround(total)];
      },
    },
    async checkValues() {
      return { mu, rho, x, logProb: logProb(x), sample: sample() };
    },
    liveTensors: () => null,
    dispose() {},
  };
}
