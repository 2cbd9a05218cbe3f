import type { ConvCheckResult } from './conv-reference.js';
import type { CheckResult } from './reference.js';
import type { Device, Operation } from './subjects/types.js';
import type { TrainCheckResult } from './train-reference.js';

/**
 * What became of one (subject, device, size, operation):
 * `ok` timed; `wrong` failed the float64 check, so not timed and never ranked; `unavailable` the
 * subject cannot run here (not installed, no such device); `error` it threw; `n/a` the subject
 * does not implement the operation.
 */
export type Status = 'ok' | 'wrong' | 'unavailable' | 'error' | 'n/a';

/** One row of the results. Times are per call, in milliseconds. */
export interface Measurement {
  readonly subject: string;
  readonly role: 'backend' | 'ceiling';
  /** For a backend: the ceiling it is compared with. */
  readonly ceiling?: string;
  readonly device: Device;
  readonly engine?: string;
  readonly op: Operation;
  /**
   * Elements; for `trainStep`, the MLP's weights (each a Gaussian with mu and rho); for `conv2d`,
   * the FLOPs of one forward and backward pass (so throughput is FLOP/s).
   */
  readonly size: number;
  /**
   * What the size is, where a number does not say it (`trainStep`: `784-400-10, batch 128`;
   * `conv2d`: `1→16 5×5 on 28×28, batch 64`).
   */
  readonly label?: string;
  readonly status: Status;
  readonly reason?: string;
  /** Timed samples, and calls per sample (small sizes are batched to beat timer resolution). */
  readonly samples?: number;
  readonly batch?: number;
  readonly medianMs?: number;
  readonly p10Ms?: number;
  readonly p90Ms?: number;
  /** The fastest and slowest timed sample (per call): the range over the repeats. */
  readonly minMs?: number;
  readonly maxMs?: number;
  /** Elements (conv2d: FLOPs) per second at the median. */
  readonly throughput?: number;
  /** Throughput over the ceiling's, same size, operation and device. */
  ratio?: number;
  /** Peak resident set size of the process that ran it, MiB. */
  readonly peakRssMiB?: number;
  /** Live tensors of the engine after the measurement (parameters and fixed x included). */
  readonly liveTensors?: number | null;
  readonly check?: Omit<CheckResult, 'problems'>;
  /** The training step's check: gradients and loss against float64, losses over a few steps. */
  readonly trainCheck?: Omit<TrainCheckResult, 'problems'>;
  /** The conv2d check: y, dx and dW against float64. */
  readonly convCheck?: Omit<ConvCheckResult, 'problems'>;
}

/** The machine and software a run used. */
export interface MachineDescription {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly v8: string;
  readonly packages: Readonly<Record<string, string>>;
  /** What each requested device was found to be. */
  readonly devices: Readonly<Record<string, string>>;
}

/** Everything a run produced: what `--json` writes. */
export interface BenchReport {
  readonly tool: '@illia-ts/bench';
  readonly date: string;
  readonly machine: MachineDescription;
  readonly options: Readonly<Record<string, unknown>>;
  /** Subjects that could not be measured at all, with the reason. */
  readonly unavailable: readonly { subject: string; device: Device; reason: string }[];
  readonly measurements: readonly Measurement[];
  readonly note?: string;
}
