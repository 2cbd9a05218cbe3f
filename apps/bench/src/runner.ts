import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { browserJobs, findChromium, runBrowser } from './browser/run.js';
import { webgpuAdapter } from './gpu.js';
import { describeMachine } from './machine.js';
import { cellLabel, jobCells, runJob, type SubjectJob } from './measure.js';
import type { BenchOptions } from './options.js';
import type { BenchReport, Measurement } from './results.js';
import { backendForDevice, ceilingOf } from './subjects/illia.js';
import { CPU_ONLY_CEILINGS, subjectFor } from './subjects/index.js';
import type { WorkerMessage } from './worker.js';

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

/** Runs a job in a child process, forwarding its rows; a crash becomes `error` rows. */
function runJobInChild(job: SubjectJob, emit: (row: Measurement) => void): Promise<void> {
  return new Promise((resolve) => {
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
      } else if (message.type === 'failed') {
        failure = message.error;
      }
    });
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
    child.send(job);
  });
}

/** Sets each backend row's ratio to its ceiling's throughput (same device, operation and size). */
export function addRatios(rows: Measurement[]): void {
  const key = (subject: string, r: Measurement) => `${subject}|${r.device}|${r.op}|${r.size}`;
  const byKey = new Map(rows.map((r) => [key(r.subject, r), r]));
  for (const row of rows) {
    if (row.status !== 'ok' || row.ceiling === undefined || row.throughput === undefined) continue;
    const ceiling = byKey.get(key(row.ceiling, row));
    if (ceiling?.status === 'ok' && ceiling.throughput)
      row.ratio = row.throughput / ceiling.throughput;
  }
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
    (n, job) => n + jobCells(job).length,
    0,
  );
  const emit = (row: Measurement) => {
    rows.push(row);
    hooks.onRow?.(row, rows.length, total);
  };
  for (const job of jobs) {
    hooks.onJob?.(job);
    if (options.isolate) await runJobInChild(job, emit);
    else await runJob(job, emit, subjectFor(job.subject));
  }
  const browserDevices = browserRun ? await runBrowser(browserRun, emit, hooks.onJob) : {};
  addRatios(rows);
  const seen = new Set<string>();
  for (const row of rows) {
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
      setup: options.setup,
      train: options.train,
      conv: options.conv,
      ...(options.cnn === undefined ? {} : { cnn: options.cnn }),
      isolate: options.isolate,
      ...(options.browser === undefined ? {} : { browser: options.browser }),
    },
    unavailable,
    measurements: rows,
    ...(options.note === undefined ? {} : { note: options.note }),
  };
}
