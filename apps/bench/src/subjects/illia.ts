import { packageVersion } from '../versions.js';
import type { Device, GaussianSetup, Session, Subject, Workload } from './types.js';
import { Unavailable } from './types.js';

/** The suffix of a subject that runs an illia backend with its fused kernels turned off. */
export const COMPOSED_SUFFIX = ':composed';

/**
 * The illia backend name that runs `name` on `device`: the name itself on the CPU, else the
 * variant `<package>-<device>` (SPEC: a name is `<package>` or `<package>-<variant>`). A name that
 * already names an engine variant (`tfjs-wasm`), and `cpu`, are CPU-only.
 */
export function backendForDevice(name: string, device: Device): string | null {
  if (device === 'cpu') return name;
  return name.includes('-') || name === 'cpu' ? null : `${name}-${device}`;
}

/**
 * The ceiling each backend is compared with: the same engine used directly and by hand (tfjs
 * backends against tfjs, onnx against one fused ONNX Runtime session, the rest against plain JS).
 */
export function ceilingOf(name: string): string {
  const base = name.split(':')[0] as string;
  const [pkg, ...variant] = base.split('-');
  if (pkg === 'tfjs')
    return variant.length === 0 ? 'ceiling:tfjs' : `ceiling:tfjs-${variant.join('-')}`;
  if (pkg === 'onnx') return 'ceiling:ort';
  return 'ceiling:js';
}

/** An illia-ts backend, used as a user would: `GaussianDistribution` and `await t.data()`. */
export function illiaSubject(id: string): Subject {
  const composed = id.endsWith(COMPOSED_SUFFIX);
  const name = composed ? id.slice(0, -COMPOSED_SUFFIX.length) : id;
  return {
    id,
    role: 'backend',
    ceiling: ceilingOf(name),
    async open(device: Device): Promise<Session> {
      const backendName = backendForDevice(name, device);
      if (backendName === null) throw new Unavailable(`${name} runs on the CPU only`);
      const core = await import('@illia-ts/core');
      try {
        if (device !== 'cpu') await registerDeviceVariant(core, name, device);
        await core.setBackend(backendName);
      } catch (error) {
        throw new Unavailable((error as Error).message);
      }
      const fusedBefore = core.fusedKernelsEnabled();
      core.setFusedKernels(!composed);
      const pkg = `@illia-ts/backend-${name.split('-')[0]}`;
      return {
        engine: `${pkg}@${packageVersion(pkg)} as '${backendName}'${composed ? ', fused kernels off' : ''}`,
        workload: (size, setup) => illiaWorkload(core, size, setup),
        close: () => core.setFusedKernels(fusedBefore),
      };
    },
  };
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
