import type { Prior } from '../reference.js';

/**
 * What the bench times. Each is one user-visible call, timed until its numbers are readable.
 *
 * To add an operation (the training step is next): add its name here and to {@link OPERATIONS},
 * and implement it in the `ops` of the subjects that can run it; the others report it `n/a`.
 */
export type Operation = 'construct' | 'sample' | 'logProb' | 'sampleLogProb';

/** Every operation, in the order tables show them, with what it times. */
export const OPERATIONS: Readonly<Record<Operation, string>> = {
  construct: 'new GaussianDistribution([n]) until mu and rho are readable',
  sample: 'sample() until its values are readable',
  logProb: 'logProb(x) of a fixed x until the scalar is readable',
  sampleLogProb: 'sample() then logProb of it, until the scalar is readable',
};

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

/** One subject at one size: parameters made, ready to time. */
export interface Workload {
  /** The operations it implements; each resolves when its result is readable. */
  readonly ops: Partial<Record<Operation, () => Promise<void>>>;
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
