import type { TimingOptions } from '../measure.js';
import type { Prior } from '../reference.js';

/**
 * What the bench times. Each is one user-visible call, timed until its numbers are readable.
 *
 * The Gaussian operations run at every `--sizes` size on a `GaussianDistribution` of that many
 * elements ({@link Workload}); `trainStep` runs at every `--hidden` width on a Bayesian MLP
 * ({@link TrainWorkload}), and its size is the MLP's number of weights. To add an operation: add
 * its name here and to {@link OPERATIONS}, and implement it in the `ops` of the subjects that can
 * run it; the others report it `n/a`.
 */
export type Operation = 'construct' | 'sample' | 'logProb' | 'sampleLogProb' | 'trainStep';

/** Every operation, in the order tables show them, with what it times. */
export const OPERATIONS: Readonly<Record<Operation, string>> = {
  construct: 'new GaussianDistribution([n]) until mu and rho are readable',
  sample: 'sample() until its values are readable',
  logProb: 'logProb(x) of a fixed x until the scalar is readable',
  sampleLogProb: 'sample() then logProb of it, until the scalar is readable',
  trainStep:
    'one training step of a Bayesian MLP (input → hidden → classes, ReLU; Linear layers that sample their weights): ELBO of cross-entropy and the KL term, backward by valueAndGrad, Adam step, until the loss is readable; its size is the number of weights (each a Gaussian with mu and rho), so M elements/s is M weights trained per second',
};

/** The operations timed on a `GaussianDistribution` of each size. */
export const GAUSSIAN_OPS: readonly Operation[] = [
  'construct',
  'sample',
  'logProb',
  'sampleLogProb',
];

/** The Bayesian MLP of the training step, the same for every subject. */
export interface TrainSetup {
  /** Features per example (784: an MNIST image). */
  readonly input: number;
  /** Widths of the hidden layer, one measurement each. */
  readonly hidden: readonly number[];
  readonly classes: number;
  /** Examples per step. */
  readonly batch: number;
  /** Weight of the KL term in the ELBO (divided by the weight count, as `ELBOLoss` does). */
  readonly klWeight: number;
  /** Adam's learning rate. */
  readonly lr: number;
}

/** The number of weights (Gaussians) of the MLP with `hidden` units: the training step's size. */
export function trainSize(setup: Pick<TrainSetup, 'input' | 'classes'>, hidden: number): number {
  return (setup.input + 1) * hidden + (hidden + 1) * setup.classes;
}

/** How the training step's MLP is written in tables: `784-400-10, batch 128`. */
export function trainLabel(setup: TrainSetup, hidden: number): string {
  return `${setup.input}-${hidden}-${setup.classes}, batch ${setup.batch}`;
}

/**
 * What the training check needs, in `model.parameters()` order (per layer: weights mu, weights
 * rho, bias mu, bias rho): the values, the gradients of one deterministic step (every layer
 * frozen at its means) and its loss, and the losses of the first training steps.
 */
export interface TrainCheckValues {
  readonly params: readonly Float32Array[];
  readonly grads: readonly Float32Array[];
  readonly loss: number;
  readonly losses: readonly number[];
}

/** One subject's MLP at one hidden width, the batch on its engine, ready to time. */
export interface TrainWorkload {
  /** One training step; resolves when its loss is readable. */
  step(): Promise<void>;
  /** For a subject in another process: times `step` there, as {@link Workload.timeOp}. */
  timeStep?(timing: TimingOptions): Promise<SelfTimed>;
  /** Values for the float64 check, taken before anything is timed (it trains a few steps). */
  checkValues(): Promise<TrainCheckValues>;
  liveTensors(): number | null;
  dispose(): void;
}

/** Where a subject runs: `cpu` (wasm included), or a GPU API. */
export type Device = 'cpu' | 'webgpu' | 'cuda';
export const DEVICES: readonly Device[] = ['cpu', 'webgpu', 'cuda'];

/** The parameters every subject uses, so that every row computes the same thing. */
export interface GaussianSetup {
  readonly muInit: number;
  readonly rhoInit: number;
  readonly prior: Prior;
  readonly seed: number;
}

/** The float32 values a check needs: parameters, a fixed `x`, its logProb and a fresh sample. */
export interface CheckValues {
  readonly mu: Float32Array;
  readonly rho: Float32Array;
  readonly x: Float32Array;
  readonly logProb: number;
  readonly sample: Float32Array;
}

/** What a subject that times itself in another process reports. */
export interface SelfTimed {
  /** Milliseconds per call of each timed sample. */
  readonly perCall: number[];
  /** Calls per sample. */
  readonly batch: number;
  /** Peak resident set size of that process, MiB (the bench's own would say nothing of it). */
  readonly peakRssMiB: number;
}

/** One subject at one size: parameters made, ready to time. */
export interface Workload {
  /** The operations it implements; each resolves when its result is readable. */
  readonly ops: Partial<Record<Operation, () => Promise<void>>>;
  /**
   * For a subject in another process: times `op` there, by the same rules, and returns the
   * milliseconds per call of each timed sample (its `ops` then only say which it implements).
   */
  timeOp?(op: Operation, timing: TimingOptions): Promise<SelfTimed>;
  /** Values for the float64 check, taken before anything is timed. */
  checkValues(): Promise<CheckValues>;
  /** Live tensors of its engine, where the engine counts them (else null). */
  liveTensors(): number | null;
  dispose(): void;
}

/** A subject opened on one device. */
export interface Session {
  /** What it runs on, in words (engine, version, backend, threads). */
  readonly engine: string;
  workload(size: number, setup: GaussianSetup): Promise<Workload>;
  /** The training step's workload at `hidden` units, where the subject can train (else absent). */
  trainWorkload?(
    hidden: number,
    setup: TrainSetup,
    gaussian: GaussianSetup,
  ): Promise<TrainWorkload>;
  close(): Promise<void> | void;
}

/** Something the bench measures: an illia-ts backend, or a ceiling that does the same math. */
export interface Subject {
  /** Shown in tables: an illia backend name (`cpu`, `tfjs-wasm`) or a ceiling (`ceiling:js`). */
  readonly id: string;
  readonly role: 'backend' | 'ceiling';
  /** For a backend: the id of the ceiling it is compared with. */
  readonly ceiling?: string;
  /** Opens it on `device`; throws (with the reason) when it cannot run there. */
  open(device: Device): Promise<Session>;
}

/** Thrown by {@link Subject.open} when a subject cannot run on a device or is not installed. */
export class Unavailable extends Error {
  override readonly name = 'Unavailable';
}
