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
  /** Elements (conv2d: FLOPs) per second: the slowest and fastest round's (with rounds). */
  readonly throughputRange?: readonly [number, number];
  /**
   * Throughput over the ceiling's, same size, operation and device: with rounds, the median of
   * the ratios taken within each round.
   */
  ratio?: number;
  /** The smallest and largest of those ratios within a round (with rounds). */
  ratioRange?: readonly [number, number];
  /** A backend's ratio to each rival (`ceiling:torch`, `ceiling:numpy`) timed in the cell. */
  rivals?: Readonly<Record<string, RatioSummary>>;
  /** Which round (from 0) a row of one round is; absent in combined rows. */
  readonly round?: number;
  /** The subject's place in its round's order (from 0), where turns were taken. */
  readonly turn?: number;
  /** Each round's figures, in round order (`--rounds`); the row's figures are over them. */
  readonly rounds?: readonly RoundFigure[];
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

/** A ratio over rounds: the median and range of the ratios taken within a round. */
export interface RatioSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** How many rounds both were timed in. */
  readonly rounds?: number;
}

/** One round of a cell: its own timing (per call, ms) or why it has none. */
export type RoundFigure =
  | {
      readonly round: number;
      readonly status: 'ok';
      readonly turn?: number;
      readonly medianMs: number;
      readonly p10Ms: number;
      readonly p90Ms: number;
      readonly minMs: number;
      readonly maxMs: number;
      readonly samples: number;
      readonly batch: number;
      readonly throughput: number;
    }
  | { readonly round: number; readonly status: Exclude<Status, 'ok'>; readonly reason: string };

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
