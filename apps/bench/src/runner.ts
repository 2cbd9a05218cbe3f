import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { browserJobs, findChromium, runBrowser } from './browser/run.js';
import { webgpuAdapter } from './gpu.js';
import { describeMachine } from './machine.js';
import { cellLabel, type GateStep, jobCells, runJob, type SubjectJob } from './measure.js';
import type { BenchOptions } from './options.js';
import type { BenchReport, Measurement } from './results.js';
import { addRatios, combineRounds, Scheduler } from './rounds.js';
import { backendForDevice, ceilingOf } from './subjects/illia.js';
import { CPU_ONLY_CEILINGS, subjectFor } from './subjects/index.js';
import type { RunnerMessage, WorkerMessage } from './worker.js';

/** The illia backend packages, in the order `ready()` tries them. */
const BACKEND_PACKAGES = ['cpu', 'tfjs', 'onnx'] as const;
/**
 * Engine variants worth trying when their package loads but has not registered them (yet): an
 * absent one is reported unavailable with the registry's reason.
 */
const KNOWN_VARIANTS: Readonly<Record<string, readonly string[]>> = { tfjs: ['tfjs-wasm'] };

/** Progress callbacks, for the progress bar. */
export interface RunHooks {
  /** A row is known; `done` of `total` rows so far. */
  onRow?(row: Measurement, done: number, total: number): void;
  /** A subject starts on a device. */
  onJob?(job: SubjectJob): void;
}

/**
 * The illia backends installed here: imports each backend package (so it registers its names)
 * and lists what registered, engine variants included. A package that fails to load is listed
 * with its reason instead.
 */
export async function installedBackends(): Promise<{
  names: string[];
  failed: { subject: string; reason: string }[];
}> {
  const failed: { subject: string; reason: string }[] = [];
  const loaded: string[] = [];
  for (const pkg of BACKEND_PACKAGES) {
    const specifier = `@illia-ts/backend-${pkg}`;
    try {
      await import(/* @vite-ignore */ specifier);
      loaded.push(pkg);
    } catch (error) {
      const message = (error as Error).message.split('\n')[0];
      failed.push({ subject: pkg, reason: `${specifier} cannot be loaded: ${message}` });
    }
  }
  const { registeredBackends } = await import('@illia-ts/core');
  const names = new Set<string>();
  for (const pkg of loaded) {
    const own = registeredBackends().filter((n) => n === pkg || n.startsWith(`${pkg}-`));
    // Device variants (tfjs-webgpu, onnx-cuda) are run by --device, not listed as backends.
    for (const n of own) if (!/-(webgpu|cuda)$/.test(n)) names.add(n);
    names.add(pkg);
    // cpu uses every core by default; its one-thread row beside it shows what the threads bring.
    if (pkg === 'cpu' && availableParallelism() > 1) names.add('cpu:1thread');
    for (const variant of KNOWN_VARIANTS[pkg] ?? []) names.add(variant);
  }
  return { names: [...names], failed };
}

function workerPath(): string {
  return fileURLToPath(new URL('./worker.js', import.meta.url));
}

/** A job's child process: `go` lets it do the step it waits at; `exited` when it is over. */
interface Child {
  go(): void;
  readonly exited: Promise<void>;
}

/**
 * Runs a job in a child process, forwarding its rows and the steps it waits at (`onGate`); a
 * crash becomes `error` rows for the cells it had not reported.
 */
function startChild(
  job: SubjectJob,
  emit: (row: Measurement) => void,
  onGate: (step: GateStep) => void,
): Child {
  const seen = new Set<string>();
  // A webgpu job gets SwiftShader where the machine has no Vulkan driver: the loader reads
  // LD_LIBRARY_PATH when the process starts, so the child's environment says it.
  const gpuEnv = job.device === 'webgpu' ? webgpuAdapter().env : {};
  const child = fork(workerPath(), [], {
    // gc between measurements; engines' chatter stays off the table on stdout.
    execArgv: ['--expose-gc'],
    env: { ...process.env, ...gpuEnv },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let failure: string | undefined;
  child.on('message', (message: WorkerMessage) => {
    if (message.type === 'row') {
      seen.add(`${message.row.size}/${message.row.op}`);
      emit(message.row);
    } else if (message.type === 'gate') {
      onGate(message.step);
    } else if (message.type === 'failed') {
      failure = message.error;
    }
  });
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      const reason =
        failure ??
        `worker exited with ${signal ?? `code ${code}`} (out of memory?) before finishing`;
      for (const cell of jobCells(job)) {
        const { size, op } = cell;
        if (seen.has(`${size}/${op}`)) continue;
        const label = cellLabel(job, cell);
        emit({
          subject: job.subject,
          role: job.subject.startsWith('ceiling:') ? 'ceiling' : 'backend',
          device: job.device,
          op,
          size,
          ...(label === undefined ? {} : { label }),
          status: 'error',
          reason: reason.split('\n')[0] as string,
        });
      }
      resolve();
    });
  });
  child.send({ type: 'job', job } satisfies RunnerMessage);
  return {
    go: () => {
      if (child.connected) child.send({ type: 'go' } satisfies RunnerMessage);
    },
    exited,
  };
}

/**
 * Runs every job in its own child process at once, one working at a time: each cell is prepared
 * by every subject in turn, then timed once per round by each, in an order that rotates from
 * round to round (rounds.ts). Rows of a timed round get their `turn` in it.
 */
async function runChildren(
  jobs: readonly SubjectJob[],
  devices: readonly string[],
  emit: (row: Measurement) => void,
): Promise<void> {
  // Every cell of the run, in the order jobs take them (each job's cells are some of these).
  const order = new Map<string, number>();
  for (const device of devices) {
    for (const job of jobs.filter((j) => j.device === device)) {
      for (const cell of jobCells(job)) {
        const id = `${device}|${cell.op}|${cell.size}`;
        if (!order.has(id)) order.set(id, order.size);
      }
    }
  }
  const scheduler = new Scheduler(jobs.length);
  const turns = new Map<string, number>();
  const current = new Map<number, { round: number; turn: number }>();
  const children: Child[] = [];
  const pump = () => {
    const next = scheduler.next();
    if (next === undefined) return;
    const { worker, step } = next;
    if (step.phase >= 0) {
      const id = `${step.cell}|${step.phase}`;
      const turn = turns.get(id) ?? 0;
      turns.set(id, turn + 1);
      current.set(worker, { round: step.phase, turn });
    }
    children[worker]?.go();
  };
  jobs.forEach((job, worker) => {
    const child = startChild(
      job,
      (row) => {
        const now = current.get(worker);
        emit(now !== undefined && row.round === now.round ? { ...row, turn: now.turn } : row);
      },
      (step) => {
        const cell = order.get(`${job.device}|${step.op}|${step.size}`) ?? order.size;
        scheduler.wait(worker, { cell, phase: step.phase });
        pump();
      },
    );
    children.push(child);
    void child.exited.then(() => {
      scheduler.done(worker);
      pump();
    });
  });
  await Promise.all(children.map((c) => c.exited));
}

/** Runs the whole benchmark and returns the report (it writes no files: see `writeReports`). */
export async function runBench(options: BenchOptions, hooks: RunHooks = {}): Promise<BenchReport> {
  // Without Chromium, `--browser` says what to install before anything runs.
  if (options.browser !== undefined) findChromium();
  const nodeRuns = options.backends === 'installed' || options.backends.length > 0;
  if (options.isolate && (nodeRuns || options.ceilings.length > 0) && !existsSync(workerPath())) {
    throw new Error(
      `runBench: isolate needs ${workerPath()}, which is missing: build with \`npx tsup\` in apps/bench, or run in-process`,
    );
  }
  const discovered = options.backends === 'installed' ? await installedBackends() : null;
  const backends = discovered?.names ?? (options.backends as string[]);
  const rows: Measurement[] = [];
  const unavailable: BenchReport['unavailable'][number][] = [];
  for (const { subject, reason } of discovered?.failed ?? []) {
    for (const device of options.devices) unavailable.push({ subject, device, reason });
  }
  // Each ceiling runs right after the first backend compared with it: on a busy machine the load
  // drifts, and a ratio of two measurements taken close together drifts less.
  const order: string[] = [];
  for (const backend of backends) {
    order.push(backend);
    const ceilings = [ceilingOf(backend), ...options.ops.map((op) => ceilingOf(backend, op))];
    for (const ceiling of ceilings) {
      if (options.ceilings.includes(ceiling) && !order.includes(ceiling)) order.push(ceiling);
    }
  }
  for (const ceiling of options.ceilings) if (!order.includes(ceiling)) order.push(ceiling);
  const jobs: SubjectJob[] = [];
  for (const device of options.devices) {
    for (const subject of order) {
      // CPU-only engines have nothing to say about a GPU device.
      const cpuOnly = subject.startsWith('ceiling:')
        ? CPU_ONLY_CEILINGS.includes(subject)
        : backendForDevice(subject.split(':')[0] as string, device) === null;
      if (device !== 'cpu' && cpuOnly) continue;
      // A subject that says which operations it has (the wasm peaks: conv2d) runs only those.
      const only = subject.startsWith('ceiling:') ? subjectFor(subject).ops : undefined;
      const ops = only ? options.ops.filter((op) => only.includes(op)) : options.ops;
      if (ops.length === 0) continue;
      jobs.push({
        subject,
        device,
        sizes: options.sizes,
        ops,
        setup: options.setup,
        train: options.train,
        conv: options.conv,
        ...(options.cnn === undefined ? {} : { cnn: options.cnn }),
        timing: options.timing,
        rounds: options.rounds,
      });
    }
  }
  const browserRun =
    options.browser === undefined
      ? undefined
      : {
          backends: options.browser,
          job: {
            sizes: options.sizes,
            ops: options.ops,
            setup: options.setup,
            train: options.train,
            conv: options.conv,
            ...(options.cnn === undefined ? {} : { cnn: options.cnn }),
            timing: options.timing,
          },
        };
  const total = [...jobs, ...(browserRun ? browserJobs(browserRun) : [])].reduce(
    (n, job) => n + jobCells(job).length * (job.rounds ?? 1),
    0,
  );
  const emit = (row: Measurement) => {
    rows.push(row);
    hooks.onRow?.(row, rows.length, total);
  };
  if (options.isolate) {
    for (const job of jobs) hooks.onJob?.(job);
    await runChildren(jobs, options.devices, emit);
  } else {
    // One process: each subject in turn, its rounds one after another (engines share it).
    for (const job of jobs) {
      hooks.onJob?.(job);
      await runJob(job, emit, subjectFor(job.subject));
    }
  }
  const browserDevices = browserRun ? await runBrowser(browserRun, emit, hooks.onJob) : {};
  // Rows in job order, each job's cells in its order, as tables list them.
  const place = new Map(jobs.map((job, i) => [`${job.subject}|${job.device}`, i]));
  const cellPlace = (r: Measurement) =>
    place.get(`${r.subject}|${r.device}`) ?? Number.POSITIVE_INFINITY;
  const measured = combineRounds(
    rows
      .map((r, i) => ({ r, i }))
      .sort((a, b) => cellPlace(a.r) - cellPlace(b.r) || a.i - b.i)
      .map(({ r }) => r),
  );
  addRatios(measured);
  const seen = new Set<string>();
  for (const row of measured) {
    const id = `${row.subject}|${row.device}`;
    if (row.status === 'unavailable' && !seen.has(id)) {
      seen.add(id);
      unavailable.push({ subject: row.subject, device: row.device, reason: row.reason ?? '' });
    }
  }
  return {
    tool: '@illia-ts/bench',
    date: new Date().toISOString(),
    machine: (() => {
      const machine = describeMachine(options.devices, options.browser !== undefined);
      return { ...machine, devices: { ...machine.devices, ...browserDevices } };
    })(),
    options: {
      backends,
      ceilings: options.ceilings,
      sizes: options.sizes,
      ops: options.ops,
      devices: options.devices,
      timing: options.timing,
      rounds: options.rounds,
      setup: options.setup,
      train: options.train,
      conv: options.conv,
      ...(options.cnn === undefined ? {} : { cnn: options.cnn }),
      isolate: options.isolate,
      ...(options.browser === undefined ? {} : { browser: options.browser }),
    },
    unavailable,
    measurements: measured,
    ...(options.note === undefined ? {} : { note: options.note }),
  };
}
