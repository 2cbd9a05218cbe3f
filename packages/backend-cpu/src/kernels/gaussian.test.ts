/**
 * The fused Gaussian kernels at the extremes (issue 12, rows 7 and 8): rho far below where σ
 * underflows float32 (−104) and float64 (−745), huge means against huge priors, tiny and huge
 * prior stds. `gaussianLogRatio` must match core's float64 reference (NaN only where it is NaN,
 * ±Infinity only where it is), on one thread, uncached, and on two threads; `gaussianSample` must
 * be `mu + softplus(rho)·eps` rounded once, finite wherever that is.
 */
import { type BackendTensor, type GaussianPrior, getOp } from '@illia-ts/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu-backend.js';
import {
  floatsOf,
  reference,
  runKernel,
  runOn,
  softplus64,
  startTwoThreads,
  values,
} from '../test-helpers.js';

const one = new CpuBackend({ threads: 1 });
const uncached = new CpuBackend({ threads: 1, sigmaCache: false });
let two: CpuBackend;

beforeAll(async () => {
  two = await startTwoThreads({ parallelThreshold: 1 });
});

const RHOS = [-3, -88, -104, -110, -200, -700, -745, -746, -1000, -1e4, -3e38];

/** The reference's error bound: its roundings times float32's epsilon times its scale. */
function bound(inputs: { values: Float32Array; shape: number[] }[], prior: GaussianPrior): number {
  const def = getOp('gaussianLogRatio');
  const tolerance = def?.tolerance;
  if (tolerance === undefined || typeof tolerance.scale !== 'function') {
    throw new Error('core changed: gaussianLogRatio has no tolerance scale function');
  }
  const refs = inputs.map((t) => ({
    values: Float64Array.from(t.values),
    shape: t.shape,
    dtype: 'float32' as const,
  }));
  const attrs = { prior };
  const roundings =
    typeof tolerance.roundings === 'function'
      ? tolerance.roundings(refs, attrs)
      : tolerance.roundings;
  return roundings * 2 ** -24 * (tolerance.scale(refs, attrs)[0] as number);
}

/** Checks gaussianLogRatio of x, mu, rho against the reference on every backend variant. */
function expectLogRatio(x: number[], mu: number[], rho: number[], prior: GaussianPrior): void {
  const n = x.length;
  const inputs = [x, mu, rho].map((v) => ({ values: Float32Array.from(v), shape: [n] }));
  const expected = reference('gaussianLogRatio', inputs, { prior })[0] as number;
  const want = Math.fround(expected);
  const label = `x ${x}, mu ${mu}, rho ${rho}, prior ${prior.mu} ± ${prior.std}`;
  for (const [name, backend] of [
    ['one thread', one],
    ['uncached', uncached],
    ['two threads', two],
  ] as const) {
    const got = runOn(backend, 'gaussianLogRatio', inputs, { prior }, [])[0] as number;
    if (!Number.isFinite(want)) {
      expect(got, `${label} (${name}): reference ${expected}`).toBe(want);
    } else {
      expect(Number.isFinite(got), `${label} (${name}): got ${got}, reference ${expected}`).toBe(
        true,
      );
      expect(Math.abs(got - expected), `${label} (${name}): got ${got}`).toBeLessThanOrEqual(
        bound(inputs, prior) + Math.abs(want - expected),
      );
    }
  }
}

describe('gaussianLogRatio at the extremes', () => {
  for (const rho of RHOS) {
    it(`rho ${rho}: finite where x = mu (σ underflows), −Infinity where x ≠ mu and σ is 0`, () => {
      expectLogRatio([0.25], [0.25], [rho], { mu: 0, std: 1 });
      expectLogRatio([0.3], [0.25], [rho], { mu: 0, std: 1 });
      expectLogRatio([0.25, -0.5, 2], [0.25, -0.5, 2], [rho, rho, -3], { mu: 0.1, std: 0.2 });
    });
  }

  it('the conformance case: rho −110 and −200 with x = mu, and mu 1e30 against a prior std of 1e30', () => {
    expectLogRatio([0.25, -0.5, 1e30], [0.25, -0.5, 1e30], [-110, -200, -3], { mu: 0, std: 1e30 });
  });

  for (const prior of [
    { mu: 0, std: 1e-30 },
    { mu: 0, std: 1e-40 },
    { mu: 0, std: 1e-200 },
    { mu: 0, std: 1e-310 },
    { mu: 0, std: 1e200 },
    { mu: 1e300, std: 1e200 },
    { mu: 3e38, std: 1e-30 },
    { mu: 0.25, std: 1e-300 },
  ]) {
    it(`a prior of ${prior.mu} ± ${prior.std} (x = prior mean included)`, () => {
      expectLogRatio([0, 0.25, 3e38], [0.5, 0.25, 3e38], [-3, -1000, 20], prior);
      expectLogRatio([prior.mu], [0.25], [-3], prior);
    });
  }

  it('a NaN input gives NaN, as in float64', () => {
    expectLogRatio([Number.NaN, 1], [0, 1], [-3, -3], { mu: 0, std: 1 });
  });

  it('large tensors with an underflowing rho in some blocks: bitwise the same on one and two threads', () => {
    const n = 10_000;
    const x = values(n, -2, 2, 1);
    const mu = x.slice();
    const rho = values(n, -5, 5, 2);
    for (let i = 0; i < n; i += 97) rho[i] = -1000;
    for (let i = 0; i < n; i += 3) mu[i] = (x[i] as number) + 0.5;
    for (let i = 0; i < n; i += 97) mu[i] = x[i] as number;
    const inputs = [x, mu, rho].map((v) => ({ values: v, shape: [n] }));
    const prior = { mu: 0, std: 0.3 };
    const got = [one, uncached, two].map(
      (b) => runOn(b, 'gaussianLogRatio', inputs, { prior }, [])[0] as number,
    );
    const expected = reference('gaussianLogRatio', inputs, { prior })[0] as number;
    expect(Number.isFinite(got[0])).toBe(true);
    expect(Math.abs((got[0] as number) - expected)).toBeLessThanOrEqual(bound(inputs, prior));
    expect(got[1]).toBe(got[0]);
    expect(got[2]).toBe(got[0]);
  });
});

describe('gaussianSample at the extremes', () => {
  it('is mu + softplus(rho)·eps rounded once: finite wherever that is, ±Infinity only where it overflows', () => {
    const rhos = [...RHOS, 0, 80, 1e30, 3e38];
    const mus = [0.25, -0.5, 1e30, -1e30, 3e38, 0];
    const mu: number[] = [];
    const rho: number[] = [];
    for (const m of mus) {
      for (const r of rhos) {
        mu.push(m);
        rho.push(r);
      }
    }
    const n = mu.length;
    const key = { seed: 11, counter: 5 };
    for (const backend of [one, uncached, two]) {
      const muT = backend.makeTensor(Float32Array.from(mu), [n]);
      const rhoT = backend.makeTensor(Float32Array.from(rho), [n]);
      const epsT = runKernel(backend, 'randomNormal', [], { key, shape: [n] }, [n]);
      const eps = floatsOf(backend, epsT);
      const sampleT = runKernel(backend, 'gaussianSample', [muT, rhoT], { key }, [n]);
      const sample = floatsOf(backend, sampleT);
      for (let i = 0; i < n; i++) {
        const m = Math.fround(mu[i] as number);
        const r = Math.fround(rho[i] as number);
        const want = Math.fround(m + softplus64(r) * (eps[i] as number));
        const got = sample[i] as number;
        const label = `mu ${m}, rho ${r}, eps ${eps[i]}`;
        if (!Number.isFinite(want)) expect(got, label).toBe(want);
        else {
          expect(Number.isFinite(got), label).toBe(true);
          // softplus by table (3e-9 relative): at most one float32 step from the reference.
          const step = Math.max(2 ** -149, Math.abs(want) * 2 ** -23);
          expect(Math.abs(got - want), `${label}: got ${got}, want ${want}`).toBeLessThanOrEqual(
            step,
          );
        }
      }
      for (const t of [muT, rhoT, epsT, sampleT]) backend.dispose(t);
    }
  });
});

describe('gaussianLogRatioGrad at the extremes', () => {
  /** dx, dMu, dRho from the fused kernel of `backend`, checked for leaks. */
  function fused(backend: CpuBackend, x: number, mu: number, rho: number, g: number) {
    const before = backend.memory().numTensors;
    const handles = [x, mu, rho, g].map((v) => backend.makeTensor(Float32Array.of(v), [1]));
    const kernel = backend.kernels.gaussianLogRatioGrad as (...args: unknown[]) => unknown;
    const outs = kernel(handles, { prior: { mu: 0.5, std: 2 } }, [
      { shape: [1], dtype: 'float32' },
    ]) as BackendTensor[];
    const got = outs.map((h) => (backend.readSync(h) as Float32Array)[0] as number);
    for (const h of [...handles, ...outs]) backend.dispose(h);
    expect(backend.memory().numTensors).toBe(before);
    return got;
  }

  // In float64 from logs where σ underflows: 1/σ = e^(−log σ), d log σ/d rho = sigmoid/σ; from
  // the float32 inputs the kernel sees.
  function expected(x32: number, mu32: number, rho: number, g: number): number[] {
    const [x, mu] = [Math.fround(x32), Math.fround(mu32)];
    const logSigma = rho < -30 ? rho : Math.log(softplus64(rho));
    const inv = Math.exp(-logSigma);
    const d = x - mu;
    const z = d === 0 ? 0 : d * inv;
    const zOverSigma = z === 0 ? 0 : z * inv;
    const dLogSigma = rho < -17 ? 1 : 1 / (1 + Math.exp(-rho)) / softplus64(rho);
    return [((x - 0.5) / 4 - zOverSigma) * g, zOverSigma * g, (z * z - 1) * dLogSigma * g];
  }

  for (const rho of [-800, -200, -110, -40, -17.5, -16.5, -3, 0, 3, 40]) {
    for (const [x, mu] of [
      [0.25, 0.25],
      [0.3, 0.25],
    ] as const) {
      it(`rho ${rho}, x ${x === mu ? '=' : '≠'} mu: the float64 values, ±Infinity where they overflow float32`, () => {
        // Within 4e-7 relative: the table softplus's 3e-9 in σ, doubled in z² and amplified 17×
        // by z² − 1 near rho −3 (1e-7), and float32's rounding (6e-8).
        const want = expected(x, mu, rho, -0.75).map(Math.fround);
        for (const backend of [one, uncached, two]) {
          const got = fused(backend, x, mu, rho, -0.75);
          got.forEach((v, i) => {
            const w = want[i] as number;
            if (!Number.isFinite(w)) expect(v, `output ${i}`).toBe(w);
            else
              expect(Math.abs(v - w), `output ${i}: ${v} against ${w}`).toBeLessThanOrEqual(
                4e-7 * Math.abs(w),
              );
          });
        }
      });
    }
  }
});
