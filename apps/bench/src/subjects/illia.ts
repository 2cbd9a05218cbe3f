import { cnnBatch } from '../cnn-reference.js';
import { convData } from '../conv-reference.js';
import { adapterLabel, webgpuAdapter } from '../gpu.js';
import { trainBatch } from '../train-reference.js';
import { packageVersion } from '../versions.js';
import type {
  CnnSetup,
  CnnWorkload,
  ConvCheckValues,
  ConvShape,
  ConvWorkload,
  Device,
  GaussianSetup,
  Operation,
  Session,
  Subject,
  TrainCheckValues,
  TrainSetup,
  TrainWorkload,
  Workload,
} from './types.js';
import { cnnSides, convOutput, Unavailable } from './types.js';

/** The suffix of a subject that runs an illia backend with its fused kernels turned off. */
export const COMPOSED_SUFFIX = ':composed';

/**
 * The illia backend name that runs `name` on `device`: the name itself on the CPU, else the
 * variant `<package>-<device>` (a backend name is `<package>` or `<package>-<variant>`, as core's
 * `backendPackage` reads it and the README's backend table lists them). A name that
 * already names an engine variant (`tfjs-wasm`), and `cpu`, are CPU-only.
 */
export function backendForDevice(name: string, device: Device): string | null {
  if (device === 'cpu') return name;
  return name.includes('-') || name === 'cpu' ? null : `${name}-${device}`;
}

/**
 * The ceiling each backend is compared with: the same engine used directly and by hand (tfjs
 * backends against tfjs, onnx against one fused ONNX Runtime session, the rest against plain JS).
 * With `op`, the ceiling of that operation: the cpu backend's conv2d is compared with the
 * WebAssembly SIMD peak of one thread (`ceiling:wasm-f32x4`), as plain JS has no convolution;
 * every backend's `trainCnn` with PyTorch training the same CNN (`ceiling:torch`), as no engine
 * has a hand-written Bayesian CNN step.
 */
export function ceilingOf(name: string, op?: Operation): string {
  const base = name.split(':')[0] as string;
  const [pkg, ...variant] = base.split('-');
  if (op === 'trainCnn') return 'ceiling:torch';
  if (pkg === 'tfjs')
    return variant.length === 0 ? 'ceiling:tfjs' : `ceiling:tfjs-${variant.join('-')}`;
  if (pkg === 'onnx') return 'ceiling:ort';
  if (op === 'conv2d') return 'ceiling:wasm-f32x4';
  return 'ceiling:js';
}

/** What a subject id asks for: `NAME[:Nthread|:Nthreads][:composed]`. */
export interface SubjectSpec {
  readonly name: string;
  readonly composed: boolean;
  /** Threads asked for, where the id names a count (`cpu:1thread`). */
  readonly threads?: number;
}

/** Reads a backend subject id (`cpu`, `cpu:1thread`, `onnx:2threads:composed`). */
export function parseSubjectId(id: string): SubjectSpec {
  const [name, ...modifiers] = id.split(':') as [string, ...string[]];
  let composed = false;
  let threads: number | undefined;
  for (const m of modifiers) {
    const count = /^([1-9][0-9]*)threads?$/.exec(m);
    if (m === 'composed' && !composed) composed = true;
    else if (count && threads === undefined) threads = Number(count[1]);
    else
      throw new RangeError(
        `subject '${id}': expected NAME[:Nthreads][:composed] such as cpu:1thread, got modifier '${m}'`,
      );
  }
  return threads === undefined ? { name, composed } : { name, composed, threads };
}

/** An illia-ts backend, used as a user would: `GaussianDistribution` and `await t.data()`. */
export function illiaSubject(id: string): Subject {
  const { name, composed, threads } = parseSubjectId(id);
  const convCeiling = ceilingOf(name, 'conv2d');
  // The CNN's training has no hand-written ceiling on any engine: every backend is compared with
  // PyTorch training the same CNN, the goal the issue sets.
  const opCeilings = {
    ...(convCeiling === ceilingOf(name) ? {} : { conv2d: convCeiling }),
    trainCnn: ceilingOf(name, 'trainCnn'),
  };
  return {
    id,
    role: 'backend',
    ceiling: ceilingOf(name),
    opCeilings,
    async open(device: Device): Promise<Session> {
      let backendName = backendForDevice(name, device);
      if (backendName === null) throw new Unavailable(`${name} runs on the CPU only`);
      const core = await import('@illia-ts/core');
      try {
        if (device !== 'cpu') await registerDeviceVariant(core, name, device);
        if (threads !== undefined)
          backendName = await registerThreadVariant(core, name, backendName, device, threads);
        await core.setBackend(backendName);
      } catch (error) {
        throw new Unavailable((error as Error).message);
      }
      const fusedBefore = core.fusedKernelsEnabled();
      core.setFusedKernels(!composed);
      const pkg = `@illia-ts/backend-${name.split('-')[0]}`;
      const used = await threadsInUse(core, threads);
      return {
        engine: `${pkg}@${packageVersion(pkg)} as '${backendName}'${used}${composed ? ', fused kernels off' : ''}${device === 'webgpu' ? `, adapter ${adapterLabel(webgpuAdapter())}` : ''}`,
        workload: (size, setup) => illiaWorkload(core, size, setup),
        trainWorkload: (hidden, setup, gaussian) =>
          illiaTrainWorkload(core, hidden, setup, gaussian),
        cnnWorkload: (setup, gaussian) => illiaCnnWorkload(core, setup, gaussian),
        convWorkload: async (shape, seed) => illiaConvWorkload(core, shape, seed),
        close: () => core.setFusedKernels(fusedBefore),
      };
    },
  };
}

/** `, 2 threads` where the current backend says how many it uses (cpu), or was told (onnx). */
async function threadsInUse(core: Core, asked: number | undefined): Promise<string> {
  const backend = core.getBackend() as { whenReady?: () => Promise<unknown> };
  if (typeof backend.whenReady === 'function') {
    const n = await backend.whenReady();
    if (typeof n === 'number') return `, ${n} thread${n === 1 ? '' : 's'}`;
  }
  return asked === undefined ? '' : `, ${asked} thread${asked === 1 ? '' : 's'} per op`;
}

/**
 * Registers `<backend>-<n>t` (such as `cpu-1t`), the backend with `n` threads, through the option
 * its package documents: `CpuBackend({ threads })`, `OnnxBackend.create({ intraOpNumThreads })`.
 */
async function registerThreadVariant(
  core: Core,
  name: string,
  backendName: string,
  device: Device,
  threads: number,
): Promise<string> {
  const variant = `${backendName}-${threads}t`;
  if (core.registeredBackends().includes(variant)) return variant;
  const pkg = name.split('-')[0] as string;
  const specifier: string = `@illia-ts/backend-${pkg}`;
  if (pkg === 'cpu' && name === 'cpu') {
    const mod = (await import(/* @vite-ignore */ specifier)) as {
      CpuBackend: new (
        o: object,
      ) => import('@illia-ts/core').Backend & {
        whenReady(): Promise<number>;
      };
    };
    core.registerBackend(variant, async () => {
      const backend = new mod.CpuBackend({ name: variant, threads });
      await backend.whenReady();
      return backend;
    });
  } else if (pkg === 'onnx' && name === 'onnx') {
    const mod = (await import(/* @vite-ignore */ specifier)) as {
      OnnxBackend: { create(o: object): Promise<import('@illia-ts/core').Backend> };
    };
    core.registerBackend(variant, () =>
      mod.OnnxBackend.create({
        name: variant,
        executionProviders: [device],
        intraOpNumThreads: threads,
      }),
    );
  } else {
    throw new Unavailable(`${name} has no thread-count option (cpu and onnx have)`);
  }
  return variant;
}

type Core = typeof import('@illia-ts/core');
type Factory = () => Promise<import('@illia-ts/core').Backend>;

/**
 * How to make a backend package run on a device, through the options its package documents
 * (typed loosely here, so the bench builds whatever state the backend packages are in).
 */
const DEVICE_VARIANTS: Readonly<Record<string, (mod: unknown, device: Device) => Factory>> = {
  onnx: (mod, device) => () =>
    (
      mod as { OnnxBackend: { create(o: object): Promise<import('@illia-ts/core').Backend> } }
    ).OnnxBackend.create({ name: `onnx-${device}`, executionProviders: [device] }),
  tfjs: (mod, device) => () => {
    if (device === 'cuda') {
      throw new Unavailable(
        'tfjs reaches CUDA only through @tensorflow/tfjs-node-gpu, not installed',
      );
    }
    return (
      mod as { createTfjsBackend(o: object): Promise<import('@illia-ts/core').Backend> }
    ).createTfjsBackend({ engine: device, name: `tfjs-${device}` });
  },
};

/** Registers `<name>-<device>` (such as `onnx-cuda`) unless its package already did. */
async function registerDeviceVariant(core: Core, name: string, device: Device): Promise<void> {
  const variant = `${name}-${device}`;
  const make = DEVICE_VARIANTS[name];
  if (core.registeredBackends().includes(variant) || !make) return;
  const specifier: string = `@illia-ts/backend-${name}`;
  core.registerBackend(variant, make(await import(/* @vite-ignore */ specifier), device));
}

async function illiaWorkload(core: Core, size: number, setup: GaussianSetup): Promise<Workload> {
  const options = {
    muInit: setup.muInit,
    rhoInit: setup.rhoInit,
    muPrior: setup.prior.mu,
    stdPrior: setup.prior.std,
  };
  const dist = new core.GaussianDistribution([size], { ...options, rng: setup.seed });
  const x = dist.sample();
  // One advancing generator, so every construction draws new parameters.
  const constructRng = core.rng(setup.seed + 1);
  return {
    ops: {
      async construct() {
        const d = new core.GaussianDistribution([size], { ...options, rng: constructRng });
        try {
          await Promise.all([d.mu.data(), d.rho.data()]);
        } finally {
          d.dispose();
        }
      },
      async sample() {
        const s = dist.sample();
        try {
          await s.data();
        } finally {
          s.dispose();
        }
      },
      async logProb() {
        const lp = dist.logProb(x);
        try {
          await lp.data();
        } finally {
          lp.dispose();
        }
      },
      async sampleLogProb() {
        // The sample stays on the backend (it feeds the next layer); the KL term is read.
        const s = dist.sample();
        const lp = dist.logProb(s);
        try {
          await lp.data();
        } finally {
          s.dispose();
          lp.dispose();
        }
      },
    },
    async checkValues() {
      const lp = dist.logProb(x);
      const s = dist.sample();
      try {
        const [mu, rho, xs, logProb, sample] = await Promise.all([
          dist.mu.data(),
          dist.rho.data(),
          x.data(),
          lp.item(),
          s.data(),
        ]);
        return { mu, rho, x: xs, logProb, sample };
      } finally {
        lp.dispose();
        s.dispose();
      }
    },
    liveTensors: () => core.memory().numTensors,
    dispose() {
      x.dispose();
      dist.dispose();
    },
  };
}

/** Training steps the check runs (they are the warm-up too): the loss must fall over them. */
export const CHECK_STEPS = 5;

/**
 * The training step as a user writes it: a `Sequential` of Bayesian `Linear` layers and `ReLU`,
 * `ELBOLoss(crossEntropyLoss)` (one sample), `valueAndGrad`, `Adam.step`, then `await loss.data()`.
 */
async function illiaTrainWorkload(
  core: Core,
  hidden: number,
  setup: TrainSetup,
  gaussian: GaussianSetup,
): Promise<TrainWorkload> {
  const dist = {
    muInit: gaussian.muInit,
    rhoInit: gaussian.rhoInit,
    muPrior: gaussian.prior.mu,
    stdPrior: gaussian.prior.std,
  };
  const layer = (inputs: number, outputs: number, seed: number) =>
    new core.Linear(inputs, outputs, {
      weightsDistribution: dist,
      biasDistribution: dist,
      rng: seed,
    });
  const first = layer(setup.input, hidden, gaussian.seed);
  const second = layer(hidden, setup.classes, gaussian.seed + 1);
  const model = new core.Sequential(first, new core.ReLU(), second);
  const elbo = new core.ELBOLoss(core.crossEntropyLoss, {
    numSamples: 1,
    klWeight: setup.klWeight,
  });
  const params = model.parameters();
  const optimizer = new core.Adam(params, { lr: setup.lr });
  const data = trainBatch(setup, gaussian.seed);
  const x = core.tensor(data.x, [setup.batch, setup.input]);
  const y = core.oneHot(data.labels, setup.classes);
  const step = async (): Promise<number> => {
    const { value, grads } = core.valueAndGrad(() => elbo.call(model, x, y), params);
    try {
      optimizer.step(grads);
      return (await value.data())[0] as number;
    } finally {
      value.dispose();
      for (const g of grads) g.dispose();
    }
  };
  return {
    async step() {
      await step();
    },
    async checkValues(): Promise<TrainCheckValues> {
      // One deterministic step first: both layers frozen at their means, nothing updated.
      first.freeze('mean');
      second.freeze('mean');
      let checked: { loss: number; grads: Float32Array[] };
      try {
        const { value, grads } = core.valueAndGrad(() => elbo.call(model, x, y), params);
        try {
          const [loss, ...gradValues] = await Promise.all([
            value.data(),
            ...grads.map((g) => g.data()),
          ]);
          checked = { loss: (loss as Float32Array)[0] as number, grads: gradValues };
        } finally {
          value.dispose();
          for (const g of grads) g.dispose();
        }
      } finally {
        first.unfreeze();
        second.unfreeze();
      }
      const values = await Promise.all(params.map((p) => p.data()));
      const losses: number[] = [];
      for (let i = 0; i < CHECK_STEPS; i++) losses.push(await step());
      return { params: values, grads: checked.grads, loss: checked.loss, losses };
    },
    liveTensors: () => core.memory().numTensors,
    dispose() {
      x.dispose();
      y.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * The CNN of `examples/mnist-cnn` (its `buildModel`) trained as the example does: `Sequential` of
 * Bayesian `Conv2d`, `ReLU`, `MaxPool2d(2)`, `Flatten` and Bayesian `Linear`s,
 * `ELBOLoss(crossEntropyLoss)` (one sample) on int32 labels, `valueAndGrad`, `Adam.step`, then
 * `await loss.data()`. The distributions are the bench's (`GaussianSetup`), as `trainStep`'s.
 */
async function illiaCnnWorkload(
  core: Core,
  setup: CnnSetup,
  gaussian: GaussianSetup,
): Promise<CnnWorkload> {
  const dist = {
    muInit: gaussian.muInit,
    rhoInit: gaussian.rhoInit,
    muPrior: gaussian.prior.mu,
    stdPrior: gaussian.prior.std,
  };
  const bayes = { weightsDistribution: dist, biasDistribution: dist };
  const [c1, c2] = setup.channels;
  const k = setup.kernel;
  const [, , , pooled] = cnnSides(setup);
  const layers = [
    new core.Conv2d(1, c1, k, { ...bayes, rng: gaussian.seed }),
    new core.Conv2d(c1, c2, k, { ...bayes, rng: gaussian.seed + 1 }),
    new core.Linear(c2 * pooled * pooled, setup.hidden, { ...bayes, rng: gaussian.seed + 2 }),
    new core.Linear(setup.hidden, setup.classes, { ...bayes, rng: gaussian.seed + 3 }),
  ] as const;
  const model = new core.Sequential(
    layers[0],
    new core.ReLU(),
    new core.MaxPool2d(2),
    layers[1],
    new core.ReLU(),
    new core.MaxPool2d(2),
    new core.Flatten(),
    layers[2],
    new core.ReLU(),
    layers[3],
  );
  const elbo = new core.ELBOLoss(core.crossEntropyLoss, {
    numSamples: 1,
    klWeight: setup.klWeight,
  });
  const params = model.parameters();
  const optimizer = new core.Adam(params, { lr: setup.lr });
  const data = cnnBatch(setup, gaussian.seed);
  const x = core.tensor(data.x, [setup.batch, 1, setup.side, setup.side]);
  const labels = core.tensor(data.labels, [setup.batch], 'int32');
  const step = async (): Promise<number> => {
    const { value, grads } = core.valueAndGrad(() => elbo.call(model, x, labels), params);
    try {
      optimizer.step(grads);
      return (await value.data())[0] as number;
    } finally {
      value.dispose();
      for (const g of grads) g.dispose();
    }
  };
  return {
    async step() {
      await step();
    },
    async checkValues(): Promise<TrainCheckValues> {
      // One deterministic step first: the whole model frozen at its means, nothing updated.
      model.freeze('mean');
      let checked: { loss: number; grads: Float32Array[] };
      try {
        const { value, grads } = core.valueAndGrad(() => elbo.call(model, x, labels), params);
        try {
          const [loss, ...gradValues] = await Promise.all([
            value.data(),
            ...grads.map((g) => g.data()),
          ]);
          checked = { loss: (loss as Float32Array)[0] as number, grads: gradValues };
        } finally {
          value.dispose();
          for (const g of grads) g.dispose();
        }
      } finally {
        model.unfreeze();
      }
      const values = await Promise.all(params.map((p) => p.data()));
      const losses: number[] = [];
      for (let i = 0; i < CHECK_STEPS; i++) losses.push(await step());
      return { params: values, grads: checked.grads, loss: checked.loss, losses };
    },
    liveTensors: () => core.memory().numTensors,
    dispose() {
      x.dispose();
      labels.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * conv2d as a user trains a convolution with `@illia-ts/core`: `valueAndGrad` of the loss
 * `sum(mul(conv2d(x, w), g))` with respect to x and w (its backward runs `conv2dInputGrad` and
 * `conv2dWeightsGrad`), then `await` of the loss, dx and dW, so a lazy backend really computes.
 */
function illiaConvWorkload(core: Core, shape: ConvShape, seed: number): ConvWorkload {
  const { batch: n, inChannels: c, outChannels: o } = shape;
  const [ho, wo] = convOutput(shape);
  const data = convData(shape, seed);
  const x = core.tensor(data.x, [n, c, shape.height, shape.width]);
  const w = core.tensor(data.w, [o, c, shape.kernelHeight, shape.kernelWidth]);
  const g = core.tensor(data.g, [n, o, ho, wo]);
  const pass = () =>
    core.valueAndGrad(() => core.sum(core.mul(core.conv2d(x, w), g)), [x, w]) as {
      value: import('@illia-ts/core').Tensor;
      grads: [import('@illia-ts/core').Tensor, import('@illia-ts/core').Tensor];
    };
  return {
    async step() {
      const { value, grads } = pass();
      try {
        await Promise.all([value.data(), grads[0].data(), grads[1].data()]);
      } finally {
        value.dispose();
        for (const t of grads) t.dispose();
      }
    },
    async checkValues(): Promise<ConvCheckValues> {
      const y = core.conv2d(x, w);
      const { value, grads } = pass();
      try {
        const [yv, dx, dW] = await Promise.all([y.data(), grads[0].data(), grads[1].data()]);
        return { y: yv as Float32Array, dx: dx as Float32Array, dW: dW as Float32Array };
      } finally {
        y.dispose();
        value.dispose();
        for (const t of grads) t.dispose();
      }
    },
    liveTensors: () => core.memory().numTensors,
    dispose() {
      x.dispose();
      w.dispose();
      g.dispose();
    },
  };
}
