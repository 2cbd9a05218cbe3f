import type * as Ort from 'onnxruntime-node';
import { convData } from '../conv-reference.js';
import { adapterLabel, webgpuAdapter } from '../gpu.js';
import {
  constructModel,
  convForwardModel,
  convStepModel,
  logProbModel,
  sampleLogProbModel,
  sampleModel,
} from '../onnx/model.js';
import { packageVersion } from '../versions.js';
import type {
  ConvShape,
  ConvWorkload,
  Device,
  GaussianSetup,
  Session,
  Subject,
  Workload,
} from './types.js';
import { convOutput, Unavailable } from './types.js';

/**
 * The ONNX Runtime ceiling: each operation as one hand-fused graph (built by `onnx/model.ts` with
 * backend-onnx's proto writer), one `InferenceSession` per operation, run on the requested
 * execution provider with ORT's default thread count and, as `OnnxBackend` by default, idle pool
 * threads that sleep rather than spin (`allow_spinning` 0): the ratio to it is then what the
 * backend adds to the same engine so configured. Outputs come back as CPU Float32Arrays, so a
 * run ends when they are readable. conv2d is ORT's own `Conv` for the forward pass and
 * `ConvTranspose` and `Conv` for the gradients, in one session (`convStepModel`).
 */
export const ortCeiling: Subject = {
  id: 'ceiling:ort',
  role: 'ceiling',
  async open(device: Device): Promise<Session> {
    let ort: typeof Ort;
    try {
      ort = (await import('onnxruntime-node')) as typeof Ort;
    } catch (error) {
      throw new Unavailable(`onnxruntime-node cannot be loaded: ${(error as Error).message}`);
    }
    const options: Ort.InferenceSession.SessionOptions = {
      executionProviders: [device],
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    };
    const create = async (bytes: Uint8Array) => {
      try {
        return await ort.InferenceSession.create(bytes, options);
      } catch (error) {
        throw new Unavailable(
          `ONNX Runtime execution provider '${device}': ${(error as Error).message.split('\n')[0]}`,
        );
      }
    };
    // The size-independent sessions are made once per setup. The seed attribute is a float32 in
    // ONNX: --seed stays below 2^24 so it is exact.
    const sessionsFor = async (setup: GaussianSetup) => {
      const g = { muPrior: setup.prior.mu, stdPrior: setup.prior.std, seed: setup.seed };
      const [sampleS, logProbS, sampleLogProbS] = await Promise.all([
        create(sampleModel(g)),
        create(logProbModel(g)),
        create(sampleLogProbModel(g)),
      ]);
      return { sampleS, logProbS, sampleLogProbS };
    };
    let cached: { key: string; sessions: Promise<OrtSessions> } | undefined;
    const sessions = (setup: GaussianSetup) => {
      const key = JSON.stringify(setup);
      if (cached?.key !== key) cached = { key, sessions: sessionsFor(setup) };
      return cached.sessions;
    };
    return {
      engine: `onnxruntime-node@${packageVersion('onnxruntime-node')}, EP ${device}, default threads${device === 'webgpu' ? `, adapter ${adapterLabel(webgpuAdapter())}` : ''}`,
      workload: async (size, setup) => ortWorkload(create, await sessions(setup), size, setup),
      convWorkload: (shape, seed) => ortConvWorkload(ort, create, shape, seed),
      async close() {
        if (!cached) return;
        const s = await cached.sessions.catch(() => null);
        if (s) await Promise.all(Object.values(s).map((session) => session.release()));
      },
    };
  },
};

interface OrtSessions {
  readonly sampleS: Ort.InferenceSession;
  readonly logProbS: Ort.InferenceSession;
  readonly sampleLogProbS: Ort.InferenceSession;
}

async function ortWorkload(
  create: (bytes: Uint8Array) => Promise<Ort.InferenceSession>,
  { sampleS, logProbS, sampleLogProbS }: OrtSessions,
  size: number,
  setup: GaussianSetup,
): Promise<Workload> {
  const constructS = await create(constructModel(size, setup.muInit, setup.rhoInit, setup.seed));
  const params = await constructS.run({});
  const mu = params.mu as Ort.Tensor;
  const rho = params.rho as Ort.Tensor;
  const x = (await sampleS.run({ mu, rho })).sample as Ort.Tensor;
  return {
    ops: {
      construct: async () => void (await constructS.run({})),
      sample: async () => void (await sampleS.run({ mu, rho })),
      logProb: async () => void (await logProbS.run({ x, mu, rho })),
      sampleLogProb: async () => void (await sampleLogProbS.run({ mu, rho })),
    },
    async checkValues() {
      const lp = (await logProbS.run({ x, mu, rho })).logProb as Ort.Tensor;
      const s = (await sampleS.run({ mu, rho })).sample as Ort.Tensor;
      return {
        mu: mu.data as Float32Array,
        rho: rho.data as Float32Array,
        x: x.data as Float32Array,
        logProb: (lp.data as Float32Array)[0] as number,
        sample: s.data as Float32Array,
      };
    },
    liveTensors: () => null,
    dispose() {
      void constructS.release();
    },
  };
}

/** conv2d forward and backward in one ORT session; the forward alone in another, for the check. */
async function ortConvWorkload(
  ort: typeof Ort,
  create: (bytes: Uint8Array) => Promise<Ort.InferenceSession>,
  shape: ConvShape,
  seed: number,
): Promise<ConvWorkload> {
  const [step, forward] = await Promise.all([
    create(convStepModel(shape)),
    create(convForwardModel(shape)),
  ]);
  const { batch: n, inChannels: c, outChannels: o } = shape;
  const [ho, wo] = convOutput(shape);
  const data = convData(shape, seed);
  const feeds = {
    x: new ort.Tensor('float32', data.x, [n, c, shape.height, shape.width]),
    w: new ort.Tensor('float32', data.w, [o, c, shape.kernelHeight, shape.kernelWidth]),
    g: new ort.Tensor('float32', data.g, [n, o, ho, wo]),
  };
  return {
    // ORT returns every output as a CPU tensor: readable when run resolves.
    step: async () => void (await step.run(feeds)),
    async checkValues() {
      const [{ y }, { dx, dW }] = await Promise.all([
        forward.run({ x: feeds.x, w: feeds.w }),
        step.run(feeds),
      ]);
      return {
        y: (y as Ort.Tensor).data as Float32Array,
        dx: (dx as Ort.Tensor).data as Float32Array,
        dW: (dW as Ort.Tensor).data as Float32Array,
      };
    },
    liveTensors: () => null,
    dispose() {
      void step.release();
      void forward.release();
    },
  };
}
