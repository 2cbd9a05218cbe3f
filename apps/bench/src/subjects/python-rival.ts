import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cnnBatch } from '../cnn-reference.js';
import { convData } from '../conv-reference.js';
import type { TimingOptions } from '../timing.js';
import { trainBatch } from '../train-reference.js';
import { CHECK_STEPS } from './illia.js';
import type {
  CnnSetup,
  CnnWorkload,
  ConvShape,
  ConvWorkload,
  Device,
  GaussianSetup,
  Operation,
  SelfTimed,
  Session,
  Subject,
  TrainCheckValues,
  TrainSetup,
  TrainWorkload,
  Workload,
} from './types.js';
import { Unavailable } from './types.js';

/** The Python rivals: the same operations in PyTorch or numpy, where Python has them. */
export type RivalEngine = 'torch' | 'numpy';

/**
 * `python/rival.py` of the bench package, from its build (`dist/`) or its sources
 * (`src/subjects/`, under vitest). It times itself with the bench's rules, so a pipe round trip
 * never counts as work.
 */
const SCRIPT = ['../python/rival.py', '../../python/rival.py']
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((path) => existsSync(path));

/**
 * Where to look for Python: `ILLIA_BENCH_PYTHON`, else `python3` on the PATH, then the system's
 * (Debian's `python3-torch` installs for `/usr/bin/python3`, which a pyenv shim may hide).
 */
function pythonCandidates(): string[] {
  const chosen = process.env.ILLIA_BENCH_PYTHON;
  return chosen ? [chosen] : ['python3', '/usr/bin/python3'];
}

/**
 * How long one request may take before the Python process is taken for hung and killed: far
 * beyond any measurement's warm-up and sampling (seconds), and an import of torch.
 */
const REQUEST_TIMEOUT_MS = 300_000;

/** One `rival.py` process: JSON lines in, JSON lines out, one answer per request. */
class RivalProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #waiting: ((line: string | null) => void)[] = [];
  #stderr = '';
  #exited = false;

  constructor(python: string, script: string, engine: RivalEngine) {
    this.#child = spawn(python, [script, engine], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // PyTorch's OpenMP threads otherwise spin between calls: under load, or while another
      // subject takes its turn, they take its cores (several times slower). The caller's wins.
      env: { OMP_WAIT_POLICY: 'PASSIVE', ...process.env },
    });
    this.#child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-2000);
    });
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on('line', (line) => this.#waiting.shift()?.(line));
    const end = () => {
      this.#exited = true;
      for (const resolve of this.#waiting.splice(0)) resolve(null);
    };
    this.#child.on('error', (error) => {
      this.#stderr = `${this.#stderr}${error.message}`;
      end();
    });
    this.#child.on('close', end);
    // Writing to a Python that has exited fails with EPIPE: the request then reports the exit.
    this.#child.stdin.on('error', (error) => {
      this.#stderr = `${this.#stderr}${error.message}`;
      end();
    });
  }

  /** Sends one request; resolves to the answer, or throws what Python said went wrong. */
  async request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.#exited) throw new Error(`python exited: ${this.#stderr.trim() || 'no message'}`);
    let timer: NodeJS.Timeout | undefined;
    const line = await new Promise<string | null>((resolve) => {
      this.#waiting.push(resolve);
      timer = setTimeout(() => {
        this.#stderr = `${this.#stderr}no answer to '${String(message.cmd)}' within ${REQUEST_TIMEOUT_MS / 1000} s`;
        this.#child.kill('SIGKILL');
      }, REQUEST_TIMEOUT_MS);
      this.#child.stdin.write(`${JSON.stringify(message)}\n`);
    }).finally(() => clearTimeout(timer));
    if (line === null) throw new Error(`python exited: ${this.#stderr.trim() || 'no message'}`);
    const answer = JSON.parse(line) as Record<string, unknown>;
    if (typeof answer.error === 'string') throw new Error(answer.error);
    return answer;
  }

  close(): void {
    this.#lines.close();
    this.#child.stdin.end();
    this.#child.kill();
  }
}

/** A `time` answer: milliseconds per call of each sample, and the Python process's peak RSS. */
function selfTimed(answer: Record<string, unknown>): SelfTimed {
  return {
    perCall: answer.perCall as number[],
    batch: answer.batch as number,
    peakRssMiB: answer.peakRssMiB as number,
  };
}

function floats(base64: unknown): Float32Array {
  const bytes = Buffer.from(base64 as string, 'base64');
  // A copy: Buffer's memory may be pooled and unaligned for a Float32Array.
  return new Float32Array(new Uint8Array(bytes).buffer);
}

/**
 * `ceiling:torch` or `ceiling:numpy`: no backend's ceiling, but the rival a user would otherwise
 * pick, run side by side in the same bench run. Unavailable where Python lacks the engine.
 */
export function pythonRival(engine: RivalEngine): Subject {
  return {
    id: `ceiling:${engine}`,
    role: 'ceiling',
    async open(device: Device): Promise<Session> {
      if (device !== 'cpu') throw new Unavailable(`the ${engine} rival runs on the CPU only`);
      if (SCRIPT === undefined) throw new Unavailable('python/rival.py is missing from the bench');
      const reasons: string[] = [];
      for (const python of pythonCandidates()) {
        const rival = new RivalProcess(python, SCRIPT, engine);
        let answer: Record<string, unknown>;
        try {
          answer = await rival.request({ cmd: 'open' });
        } catch (error) {
          rival.close();
          reasons.push(`${python}: ${(error as Error).message.split('\n')[0]}`);
          continue;
        }
        if (typeof answer.unavailable === 'string') {
          rival.close();
          reasons.push(answer.unavailable);
          continue;
        }
        return {
          engine: String(answer.engine),
          workload: (size, setup) => rivalWorkload(rival, size, setup),
          ...(engine === 'torch'
            ? {
                trainWorkload: (hidden, setup, gaussian) =>
                  rivalTrainWorkload(rival, hidden, setup, gaussian),
                cnnWorkload: (setup: CnnSetup, gaussian: GaussianSetup) =>
                  rivalCnnWorkload(rival, setup, gaussian),
                convWorkload: (shape, seed) => rivalConvWorkload(rival, shape, seed),
              }
            : {}),
          close: () => rival.close(),
        };
      }
      throw new Unavailable(`no Python with ${engine} (${reasons.join('; ')})`);
    },
  };
}

async function rivalWorkload(
  rival: RivalProcess,
  size: number,
  setup: GaussianSetup,
): Promise<Workload> {
  await rival.request({ cmd: 'setup', size, ...setup });
  const timeOp = async (op: Operation, timing: TimingOptions) =>
    selfTimed(await rival.request({ cmd: 'time', op, timing }));
  const notHere = () => Promise.reject(new Error('timed by the rival process itself'));
  return {
    ops: { sample: notHere, logProb: notHere, sampleLogProb: notHere },
    timeOp,
    async checkValues() {
      const answer = await rival.request({ cmd: 'check' });
      return {
        mu: floats(answer.mu),
        rho: floats(answer.rho),
        x: floats(answer.x),
        sample: floats(answer.sample),
        logProb: answer.logProb as number,
      };
    },
    liveTensors: () => null,
    dispose() {
      void rival.request({ cmd: 'free' }).catch(() => {});
    },
  };
}

/**
 * PyTorch's training step of the bench's Bayesian MLP (`rival.py`): the same batch, sizes, ELBO
 * and Adam, with `torch.optim.Adam` and autograd, timed in the Python process.
 */
async function rivalTrainWorkload(
  rival: RivalProcess,
  hidden: number,
  setup: TrainSetup,
  gaussian: GaussianSetup,
): Promise<TrainWorkload> {
  const batch = trainBatch(setup, gaussian.seed);
  const x = Buffer.from(batch.x.buffer, batch.x.byteOffset, batch.x.byteLength).toString('base64');
  await rival.request({
    cmd: 'trainSetup',
    hidden,
    setup,
    gaussian,
    x,
    labels: [...batch.labels],
  });
  return {
    step: () => Promise.reject(new Error('timed by the rival process itself')),
    async timeStep(timing) {
      return selfTimed(await rival.request({ cmd: 'timeTrain', timing }));
    },
    async checkValues(): Promise<TrainCheckValues> {
      const answer = await rival.request({ cmd: 'trainCheck', steps: CHECK_STEPS });
      return {
        params: (answer.params as string[]).map(floats),
        grads: (answer.grads as string[]).map(floats),
        loss: answer.loss as number,
        losses: answer.losses as number[],
      };
    },
    liveTensors: () => null,
    dispose() {},
  };
}

const base64Of = (a: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/**
 * PyTorch training the same Bayesian CNN (`rival.py`'s `cnn_setup`): every weight and bias a
 * Gaussian with mu and rho, sampled each step by reparameterisation, `F.conv2d`, `F.max_pool2d`,
 * `F.linear`, cross-entropy plus the one-sample KL term over the weight count, autograd and
 * `torch.optim.Adam`, on the same batch, timed in the Python process.
 */
async function rivalCnnWorkload(
  rival: RivalProcess,
  setup: CnnSetup,
  gaussian: GaussianSetup,
): Promise<CnnWorkload> {
  const batch = cnnBatch(setup, gaussian.seed);
  await rival.request({
    cmd: 'cnnSetup',
    setup,
    gaussian,
    x: base64Of(batch.x),
    labels: [...batch.labels],
  });
  return {
    step: () => Promise.reject(new Error('timed by the rival process itself')),
    async timeStep(timing) {
      return selfTimed(await rival.request({ cmd: 'timeTrain', timing }));
    },
    async checkValues(): Promise<TrainCheckValues> {
      const answer = await rival.request({ cmd: 'trainCheck', steps: CHECK_STEPS });
      return {
        params: (answer.params as string[]).map(floats),
        grads: (answer.grads as string[]).map(floats),
        loss: answer.loss as number,
        losses: answer.losses as number[],
      };
    },
    liveTensors: () => null,
    dispose() {
      void rival.request({ cmd: 'trainFree' }).catch(() => {});
    },
  };
}

/**
 * PyTorch's conv2d forward and backward (`rival.py`): `F.conv2d`, the loss `(y * g).sum()` and
 * `torch.autograd.grad` for dx and dW, on the same inputs, timed in the Python process.
 */
async function rivalConvWorkload(
  rival: RivalProcess,
  shape: ConvShape,
  seed: number,
): Promise<ConvWorkload> {
  const data = convData(shape, seed);
  await rival.request({
    cmd: 'convSetup',
    shape,
    x: base64Of(data.x),
    w: base64Of(data.w),
    g: base64Of(data.g),
  });
  return {
    step: () => Promise.reject(new Error('timed by the rival process itself')),
    async timeStep(timing) {
      return selfTimed(await rival.request({ cmd: 'timeConv', timing }));
    },
    async checkValues() {
      const answer = await rival.request({ cmd: 'convCheck' });
      return { y: floats(answer.y), dx: floats(answer.dx), dW: floats(answer.dW) };
    },
    liveTensors: () => null,
    dispose() {
      void rival.request({ cmd: 'convFree' }).catch(() => {});
    },
  };
}
