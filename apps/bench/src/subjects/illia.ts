import { adapterLabel, webgpuAdapter } from '../gpu.js';
import { packageVersion } from '../versions.js';
import {
  illiaCnnWorkload,
  illiaConvWorkload,
  illiaTrainWorkload,
  illiaWorkload,
} from './illia-workloads.js';
import type { Device, Operation, Session, Subject } from './types.js';
import { Unavailable } from './types.js';

export { CHECK_STEPS } from './illia-workloads.js';

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

/** What a subject id asks for: `NAME[:Nthread|:Nthreads][:composed][:uncached]`. */
export interface SubjectSpec {
  readonly name: string;
  readonly composed: boolean;
  /** Threads asked for, where the id names a count (`cpu:1thread`). */
  readonly threads?: number;
  /** cpu without its sigma cache (`cpu:uncached`): every call computes softplus(rho). */
  readonly uncached?: true;
}

/** Reads a backend subject id (`cpu`, `cpu:1thread`, `onnx:2threads:composed`, `cpu:uncached`). */
export function parseSubjectId(id: string): SubjectSpec {
  const [name, ...modifiers] = id.split(':') as [string, ...string[]];
  let composed = false;
  let uncached = false;
  let threads: number | undefined;
  for (const m of modifiers) {
    const count = /^([1-9][0-9]*)threads?$/.exec(m);
    if (m === 'composed' && !composed) composed = true;
    else if (m === 'uncached' && !uncached) uncached = true;
    else if (count && threads === undefined) threads = Number(count[1]);
    else
      throw new RangeError(
        `subject '${id}': expected NAME[:Nthreads][:composed][:uncached] such as cpu:1thread, got modifier '${m}'`,
      );
  }
  return {
    name,
    composed,
    ...(threads === undefined ? {} : { threads }),
    ...(uncached ? { uncached: true as const } : {}),
  };
}

/** An illia-ts backend, used as a user would: `GaussianDistribution` and `await t.data()`. */
export function illiaSubject(id: string): Subject {
  const { name, composed, threads, uncached } = parseSubjectId(id);
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
        if (threads !== undefined || uncached)
          backendName = await registerVariant(core, name, backendName, device, threads, uncached);
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
 * Registers `<backend>-<n>t` (such as `cpu-1t`), the backend with `n` threads, and for cpu
 * `<backend>[-<n>t]-uncached` without the sigma cache, through the options its package documents:
 * `CpuBackend({ threads, sigmaCache })`, `OnnxBackend.create({ intraOpNumThreads })`.
 */
async function registerVariant(
  core: Core,
  name: string,
  backendName: string,
  device: Device,
  threads: number | undefined,
  uncached: boolean | undefined,
): Promise<string> {
  const variant = `${backendName}${threads === undefined ? '' : `-${threads}t`}${uncached ? '-uncached' : ''}`;
  if (core.registeredBackends().includes(variant)) return variant;
  const pkg = name.split('-')[0] as string;
  const specifier: string = `@illia-ts/backend-${pkg}`;
  if (uncached && name !== 'cpu') {
    throw new Unavailable(`${name} keeps no sigma cache (only cpu has :uncached)`);
  }
  if (pkg === 'cpu' && name === 'cpu') {
    const mod = (await import(/* @vite-ignore */ specifier)) as {
      CpuBackend: new (
        o: object,
      ) => import('@illia-ts/core').Backend & {
        whenReady(): Promise<number>;
      };
    };
    core.registerBackend(variant, async () => {
      const backend = new mod.CpuBackend({
        name: variant,
        ...(threads === undefined ? {} : { threads }),
        ...(uncached ? { sigmaCache: false } : {}),
      });
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
