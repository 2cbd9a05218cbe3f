import { isAbsolute, join, resolve } from 'node:path';
import { BROWSER_BACKENDS, PAGE_BACKENDS } from './browser/run.js';
import { parseSubjectId } from './subjects/illia.js';
import { CEILINGS } from './subjects/index.js';
import {
  type CnnSetup,
  type ConvSetup,
  cnnSize,
  DEVICES,
  type GaussianSetup,
  LENET_CONVS,
  MNIST_CNN,
  type NodeDevice,
  OPERATIONS,
  type Operation,
  type TrainSetup,
} from './subjects/types.js';
import type { TimingOptions } from './timing.js';

/** Everything a run needs; {@link parseArgs} fills it from the command line. */
export interface BenchOptions {
  /** illia backend names (a `:composed` suffix turns fused kernels off), or every installed one. */
  readonly backends: readonly string[] | 'installed';
  readonly ceilings: readonly string[];
  readonly sizes: readonly number[];
  readonly ops: readonly Operation[];
  readonly devices: readonly NodeDevice[];
  readonly timing: TimingOptions;
  /**
   * Times each cell is timed by every subject, subjects taking turns in an order that rotates
   * from round to round (`--rounds`, default 3).
   */
  readonly rounds: number;
  readonly setup: GaussianSetup;
  /** The training step's MLP and batch. */
  readonly train: TrainSetup;
  /** The conv2d page's shapes (LeNet's convolutions at `--conv-batch`). */
  readonly conv: ConvSetup;
  /** The CNN of `trainCnn` (the example's, at `--cnn-batch`); absent: `MNIST_CNN`. */
  readonly cnn?: CnnSetup;
  /** Output files; `null` writes none. */
  readonly json: string | null;
  readonly markdown: string | null;
  readonly svg: string | null;
  /** One child process per subject (default); `false` runs all in this process. */
  readonly isolate: boolean;
  /**
   * The browser runner (`--browser`): these page backends (such as `tfjs-webgl`), each in a fresh
   * page of headless Chromium; absent: no browser.
   */
  readonly browser?: readonly string[];
  /** Free text for the Markdown report (where it ran, what else ran). */
  readonly note?: string;
  /** Re-render the table, Markdown and SVG from this JSON of an earlier run instead of running. */
  readonly from?: string;
}

export const DEFAULT_SIZES = [1e2, 1e3, 1e4, 1e5, 1e6, 1e7] as const;
/** Hidden widths of the training step's MLP (784-100-10 and 784-400-10: 79,510 and 318,010 weights). */
export const DEFAULT_HIDDEN = [100, 400] as const;
/** The batch of the conv2d page's convolutions. */
export const DEFAULT_CONV_BATCH = 64;
/** Rounds of each cell: every subject timed once per round, in turns that rotate. */
export const DEFAULT_ROUNDS = 3;

export const USAGE = `Usage: npm run bench -- [options]     (or: node apps/bench/dist/cli.js [options])

Times illia-ts backends (GaussianDistribution construct, sample, logProb, sample+logProb, a
Bayesian MLP's and a Bayesian CNN's training step, and the conv2d kernel forward and backward in
GFLOP/s) next to
ceilings that do the same math directly (plain JS, tfjs, one fused ONNX Runtime graph; the
training step has none; for conv2d, the WebAssembly SIMD peak of one thread) and, where Python
has them, PyTorch and numpy (ceiling:torch, ceiling:numpy; ILLIA_BENCH_PYTHON picks the
interpreter, ILLIA_BENCH_TORCH_THREADS PyTorch's threads, default one per core; PyTorch runs
with OMP_WAIT_POLICY=PASSIVE unless it is set, so its idle threads do not spin).

  --backends LIST    illia backends, comma-separated (default: every installed one, engine
                     variants included, and cpu:1thread beside cpu on a multi-core machine, e.g.
                     cpu,cpu:1thread,tfjs,tfjs-wasm,onnx); 'none' for ceilings only;
                     NAME:Nthreads (cpu, onnx) runs NAME on N threads (cpu:1thread, onnx:2threads);
                     NAME:composed runs NAME with its fused kernels off;
                     cpu:uncached runs cpu without its sigma cache (softplus each call)
  --ceilings LIST    ${CEILINGS.join(',')} (default: all); 'none' for no ceilings
  --sizes LIST       elements, e.g. 1e2,1e4,1e6 (default: ${DEFAULT_SIZES.map((s) => s.toExponential(0).replace('+', '')).join(',')})
  --ops LIST         ${Object.keys(OPERATIONS).join(',')} (sample+logProb also accepted; default: all but conv2d, the
                     kernels page, and trainCnn, the Bayesian CNN's training step)
  --hidden LIST      hidden widths of the training step's MLP 784-H-10 (default: ${DEFAULT_HIDDEN.join(',')});
                     its size is the number of weights, (784+1)·H + (H+1)·10
  --batch N          examples per training step (default 128)
  --cnn-batch N      images per step of trainCnn, the Bayesian CNN of examples/mnist-cnn
                     (default ${MNIST_CNN.batch}); its size is the CNN's weights (${cnnSize(MNIST_CNN)}),
                     and the backends' ratios are to PyTorch training the same CNN (ceiling:torch)
  --conv-batch N     batch of the conv2d page's convolutions (default ${DEFAULT_CONV_BATCH}): LeNet's
                     ${LENET_CONVS.map((c) => `${c.inChannels}→${c.outChannels} ${c.kernelHeight}×${c.kernelWidth} on ${c.height}×${c.width}`).join(', ')}
  --device LIST      ${DEVICES.join(',')} (default: cpu); where one is missing, its rows say why
  --rounds N         time every cell N times, each subject once per round, subjects taking
                     turns in an order that rotates from round to round (default ${DEFAULT_ROUNDS}); cells
                     show the median over rounds [slowest–fastest round], ratios the median
                     of the ratios within a round (lowest–highest); --in-process times a
                     subject's rounds one after another
  --repeats N        timed samples per measurement (default 15)
  --warmup N         untimed runs before timing, at least (default 2)
  --warmup-ms X      and untimed runs for at least X ms (default 500: JIT, allocator)
  --min-sample-ms X  batch calls so that one timed sample lasts at least X ms (default 10)
  --max-seconds X    stop sampling a measurement after X s once it has 3 samples (default 2)
  --seed N           seed of every generator (default 1)
  --out-dir DIR      where the files go (default: bench-results, relative to where npm ran)
  --json FILE        JSON results (default: OUT-DIR/bench.json); 'none' to skip
  --md FILE          Markdown table (default: OUT-DIR/bench.md); 'none' to skip
  --svg FILE         SVG chart (default: OUT-DIR/bench.svg); 'none' to skip
  --note TEXT        a line for the Markdown report (the machine, what else was running)
  --from FILE        no run: print and write the reports of an earlier run's JSON (with
                     --note, that note replaces the run's)
  --in-process       run every subject in this process (faster start; RSS then is the total)
  --browser          run backends in a page of headless Chromium (ILLIA_CHROMIUM, default
                     /usr/bin/chromium: Debian's chromium package; driven by playwright-core):
                     tfjs-webgl and tfjs-webgpu (each beside its ceiling, tfjs on that engine
                     used directly), onnx (onnxruntime-web's WebAssembly) and onnx-webgpu,
                     each in a fresh page, timed as in Node; rows say the adapter
                     (SwiftShader: a software GPU, not GPU speed). With --browser, --backends
                     and --ceilings default to none (name them to run Node's too)
  --browser-backends LIST  the page's backends to run (implies --browser; default
                     ${BROWSER_BACKENDS.join(',')}; also ${PAGE_BACKENDS.filter((b) => !(BROWSER_BACKENDS as readonly string[]).includes(b)).join(', ')})
  --help             this text`;

/** What the command line asked for. */
export type ParsedArgs =
  | { readonly help: true }
  | { readonly help: false; readonly options: BenchOptions };

function list(flag: string, value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0)
    throw new RangeError(`${flag}: expected a comma-separated list, got '${value}'`);
  return items;
}

function parseHidden(value: string): number[] {
  const widths = list('--hidden', value).map((item) => {
    const n = Number(item);
    if (!Number.isInteger(n) || n < 1 || n > 65536) {
      throw new RangeError(
        `--hidden: expected integers from 1 to 65536 such as 100,400, got '${item}'`,
      );
    }
    return n;
  });
  return [...new Set(widths)].sort((a, b) => a - b);
}

function integer(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`${flag}: expected an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new RangeError(`${flag}: expected a positive number, got '${value}'`);
  }
  return n;
}

function nonNegative(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new RangeError(`${flag}: expected a number ≥ 0, got '${value}'`);
  }
  return n;
}

function parseSizes(value: string): number[] {
  const sizes = list('--sizes', value).map((item) => {
    const n = Number(item);
    // 2^30 elements is 4 GiB of float32 per tensor: far beyond what one run can hold.
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 30) {
      throw new RangeError(
        `--sizes: expected positive integers up to 2^30 such as 1e2,1e4, got '${item}'`,
      );
    }
    return n;
  });
  return [...new Set(sizes)].sort((a, b) => a - b);
}

function parseBackends(value: string): string[] {
  return list('--backends', value).map((item) => {
    if (!/^[a-z][a-z0-9-]*(:[a-z0-9]+)*$/.test(item)) {
      throw new RangeError(
        `--backends: expected backend names such as cpu,tfjs-wasm,cpu:1thread,cpu:composed,cpu:uncached, got '${item}'`,
      );
    }
    try {
      parseSubjectId(item);
    } catch (error) {
      throw new RangeError(`--backends: ${(error as Error).message}`);
    }
    return item;
  });
}

/**
 * Operations asked for by name, not run by default: the kernel pages (conv2d) and the CNN's
 * training step (tfjs's cpu engine takes about 47 s per step of it).
 */
const BY_NAME_OPS: readonly Operation[] = ['conv2d', 'trainCnn'];

function parseOps(value: string): Operation[] {
  const known = Object.keys(OPERATIONS) as Operation[];
  return list('--ops', value).map((item) => {
    const op = item === 'sample+logProb' ? 'sampleLogProb' : item;
    if (!known.includes(op as Operation)) {
      throw new RangeError(`--ops: expected some of ${known.join(', ')}, got '${item}'`);
    }
    return op as Operation;
  });
}

function parseDevices(value: string): NodeDevice[] {
  return list('--device', value).map((item) => {
    if (!DEVICES.includes(item as NodeDevice)) {
      throw new RangeError(`--device: expected some of ${DEVICES.join(', ')}, got '${item}'`);
    }
    return item as NodeDevice;
  });
}

function parseCeilings(value: string): string[] {
  if (value === 'none') return [];
  return list('--ceilings', value).map((item) => {
    const id = item.startsWith('ceiling:') ? item : `ceiling:${item}`;
    if (!(CEILINGS as readonly string[]).includes(id)) {
      throw new RangeError(`--ceilings: expected some of ${CEILINGS.join(', ')}, got '${item}'`);
    }
    return id;
  });
}

const FLAGS = new Set([
  'backends',
  'ceilings',
  'sizes',
  'ops',
  'hidden',
  'batch',
  'conv-batch',
  'cnn-batch',
  'device',
  'repeats',
  'rounds',
  'warmup',
  'warmup-ms',
  'min-sample-ms',
  'max-seconds',
  'seed',
  'out-dir',
  'json',
  'md',
  'svg',
  'note',
  'from',
  'browser-backends',
]);

function parseBrowserBackends(value: string): string[] {
  return list('--browser-backends', value).map((item) => {
    if (!(PAGE_BACKENDS as readonly string[]).includes(item)) {
      throw new RangeError(
        `--browser-backends: expected some of ${PAGE_BACKENDS.join(', ')}, got '${item}'`,
      );
    }
    return item;
  });
}

/**
 * Parses `argv` (without node and the script). Relative output paths are resolved against `cwd`:
 * pass the directory npm was started from (`INIT_CWD`) so `npm run bench` writes where the user is.
 */
export function parseArgs(argv: readonly string[], cwd: string): ParsedArgs {
  const values = new Map<string, string>();
  let isolate = true;
  let browserFlag = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--in-process') {
      isolate = false;
      continue;
    }
    if (arg === '--browser') {
      browserFlag = true;
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const flag = match?.[1];
    if (!match || flag === undefined || !FLAGS.has(flag)) {
      throw new RangeError(
        `unknown argument '${arg}': expected an option such as --sizes (see --help)`,
      );
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new RangeError(`--${flag}: expected a value, got nothing`);
    values.set(flag, value);
  }
  const get = (flag: string) => values.get(flag);
  const outDir = resolve(cwd, get('out-dir') ?? 'bench-results');
  const file = (flag: string, name: string): string | null => {
    const value = get(flag);
    if (value === 'none') return null;
    if (value === undefined) return join(outDir, name);
    return isAbsolute(value) ? value : resolve(cwd, value);
  };
  const backends = get('backends');
  const seed = integer('--seed', get('seed') ?? '1', 0, 2 ** 24 - 2);
  const note = get('note');
  const from = get('from');
  const browserList = get('browser-backends');
  const browser =
    browserList !== undefined
      ? parseBrowserBackends(browserList)
      : browserFlag
        ? [...BROWSER_BACKENDS]
        : undefined;
  // `--browser` alone measures the browser: Node's backends and ceilings when named.
  const nodeDefault = browser === undefined ? undefined : 'none';
  const backendsArg = backends ?? nodeDefault;
  const ceilingsArg = get('ceilings') ?? nodeDefault;
  return {
    help: false,
    options: {
      backends:
        backendsArg === undefined
          ? 'installed'
          : backendsArg === 'none'
            ? []
            : parseBackends(backendsArg),
      ceilings: ceilingsArg === undefined ? [...CEILINGS] : parseCeilings(ceilingsArg),
      sizes: get('sizes') === undefined ? [...DEFAULT_SIZES] : parseSizes(get('sizes') as string),
      // The kernel pages (conv2d) and trainCnn run when asked for: on tfjs's cpu engine alone
      // they take about 12 and 8 minutes.
      ops:
        get('ops') === undefined
          ? (Object.keys(OPERATIONS) as Operation[]).filter((op) => !BY_NAME_OPS.includes(op))
          : parseOps(get('ops') as string),
      devices: get('device') === undefined ? ['cpu'] : parseDevices(get('device') as string),
      rounds: integer('--rounds', get('rounds') ?? String(DEFAULT_ROUNDS), 1, 1000),
      timing: {
        repeats: integer('--repeats', get('repeats') ?? '15', 1),
        warmup: integer('--warmup', get('warmup') ?? '2', 0),
        warmupMs: nonNegative('--warmup-ms', get('warmup-ms') ?? '500'),
        minSampleMs: positive('--min-sample-ms', get('min-sample-ms') ?? '10'),
        maxSeconds: positive('--max-seconds', get('max-seconds') ?? '2'),
      },
      // illia's defaults (the README's GaussianDistribution): mu ≈ 0, rho ≈ −7 (sigma ≈ 9e-4),
      // prior N(0, 0.1²).
      setup: { muInit: 0, rhoInit: -7, prior: { mu: 0, std: 0.1 }, seed },
      // An MNIST-sized Bayesian MLP, as backend-tfjs's bench/train-step.mjs: KL weight 0.1, Adam 1e-3.
      train: {
        input: 784,
        hidden:
          get('hidden') === undefined ? [...DEFAULT_HIDDEN] : parseHidden(get('hidden') as string),
        classes: 10,
        batch: integer('--batch', get('batch') ?? '128', 1, 65536),
        klWeight: 0.1,
        lr: 1e-3,
      },
      conv: {
        shapes: LENET_CONVS.map((shape) => ({
          ...shape,
          batch: integer('--conv-batch', get('conv-batch') ?? String(DEFAULT_CONV_BATCH), 1, 4096),
        })),
      },
      cnn: {
        ...MNIST_CNN,
        batch: integer('--cnn-batch', get('cnn-batch') ?? String(MNIST_CNN.batch), 1, 4096),
      },
      json: file('json', 'bench.json'),
      markdown: file('md', 'bench.md'),
      svg: file('svg', 'bench.svg'),
      isolate,
      ...(browser === undefined ? {} : { browser }),
      ...(note === undefined ? {} : { note }),
      ...(from === undefined ? {} : { from: resolve(cwd, from) }),
    },
  };
}
