/**
 * Where ONNX Runtime places the nodes of each kernel's graph: every kernel of an {@link OnnxBackend}
 * run once (on its op definition's first case, or a draw for the random ones; the sums on a long
 * input too) with ORT's profiler on, and the provider of every node that ran read from the profile.
 * Not part of the package's API: the webgpu tests and docs/gpu-engines.md's table use it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnyTensor,
  type CaseInput,
  type DType,
  gaussianSample,
  listOps,
  randomNormal,
  runOp,
  setBackend,
  tensor,
  tidy,
} from '@illia-ts/core';
import * as ort from 'onnxruntime-node';
import type { OnnxBackend } from '../onnx-backend.js';

/** The ONNX ops that ran for one kernel, by provider (ORT's names, such as `CPUExecutionProvider`). */
export interface KernelPlacement {
  readonly kernel: string;
  readonly byProvider: ReadonlyMap<string, ReadonlySet<string>>;
}

interface ProfileEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly args?: { readonly op_name?: string; readonly provider?: string };
}

type Create = (model: unknown, options?: ort.InferenceSession.SessionOptions) => Promise<unknown>;

const sizeOf = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);

/** Inputs of a case as the conformance suite makes them (values away from 0 and ties). */
function caseTensors(inputs: readonly CaseInput[]): AnyTensor[] {
  return inputs.map((input, k) => {
    const n = sizeOf(input.shape);
    const dtype = (input.dtype ?? 'float32') as DType;
    const values =
      input.values ??
      (dtype === 'int32'
        ? new Array(n).fill(0)
        : Array.from(
            { length: n },
            (_, i) => (i % 2 ? -1 : 1) * (0.3 + (((i + 3 * k + 1) * 0.618034) % 1)),
          ));
    return tensor(values, input.shape, dtype);
  });
}

/** Runs kernel `name` once on the current backend and reads every output. */
async function exercise(name: string): Promise<void> {
  const outputs: AnyTensor[] = tidy(() => {
    if (name === 'randomNormal') return [randomNormal([4096], 7)];
    if (name === 'gaussianSample') {
      return [gaussianSample(tensor([0.5, -1, 2]), tensor([-3, 0, -20]), { seed: 1, counter: 0 })];
    }
    const def = listOps().find((d) => d.name === name);
    const c = def?.cases?.[0];
    if (c === undefined) throw new Error(`placement: op '${name}' has no case to run`);
    const outputs = runOp(name, caseTensors(c.inputs), c.options);
    // Sums of more than 256 terms per output take another form on a GPU (see kernels/sum.ts).
    const long = { shape: [4096] };
    if (name === 'sum') outputs.push(...runOp(name, caseTensors([long]), [0]));
    if (name === 'gaussianLogRatio') {
      outputs.push(...runOp(name, caseTensors([long, long, long]), { prior: { mu: 0, std: 1 } }));
    }
    return outputs;
  });
  try {
    for (const t of outputs) await t.data();
  } finally {
    for (const t of outputs) t.dispose();
  }
}

/**
 * Runs every kernel of `backend` (registered under its name) with ORT's profiler on and returns
 * where each kernel's nodes ran. Sessions the backend already cached are not profiled: give it a
 * fresh backend.
 */
export async function measurePlacement(backend: OnnxBackend): Promise<KernelPlacement[]> {
  const dir = mkdtempSync(join(tmpdir(), 'illia-placement-'));
  const Session = ort.InferenceSession as unknown as { create: Create };
  const create = Session.create;
  let current = '';
  let sessions = 0;
  const prefixes = new Map<string, string[]>();
  Session.create = async (model, options) => {
    const prefix = `s${sessions++}`;
    prefixes.set(current, [...(prefixes.get(current) ?? []), prefix]);
    const session = (await create.call(Session, model, {
      ...options,
      enableProfiling: true,
      profileFilePrefix: join(dir, prefix),
    })) as ort.InferenceSession;
    const run = session.run.bind(session) as (...args: unknown[]) => Promise<unknown>;
    (session as { run: unknown }).run = async (...args: unknown[]) => {
      const result = await run(...args);
      await session.endProfiling();
      return result;
    };
    return session;
  };
  try {
    await setBackend(backend.name);
    for (const kernel of Object.keys(backend.kernels)) {
      current = kernel;
      await exercise(kernel);
    }
    const files = readdirSync(dir);
    return Object.keys(backend.kernels).map((kernel) => {
      const byProvider = new Map<string, Set<string>>();
      for (const prefix of prefixes.get(kernel) ?? []) {
        for (const file of files.filter((f) => f.startsWith(`${prefix}_`))) {
          const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[];
          for (const e of events) {
            const { op_name: op, provider } = e.args ?? {};
            if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !op || !provider) continue;
            if (op.startsWith('Memcpy')) continue;
            byProvider.set(provider, (byProvider.get(provider) ?? new Set()).add(op));
          }
        }
      }
      return { kernel, byProvider };
    });
  } finally {
    Session.create = create;
    rmSync(dir, { recursive: true, force: true });
  }
}

const GPU = 'WebGpuExecutionProvider';
const CPU = 'CPUExecutionProvider';

/** The Markdown table of `rows`: each kernel, its ops on WebGPU and those that fell back to CPU. */
export function placementTable(rows: readonly KernelPlacement[]): string {
  const list = (ops: ReadonlySet<string> | undefined) =>
    ops === undefined || ops.size === 0 ? '—' : [...ops].sort().join(', ');
  const lines = [
    '| kernel | ONNX ops on WebGPU | ONNX ops on the CPU (fallback) |',
    '| --- | --- | --- |',
  ];
  for (const { kernel, byProvider } of [...rows].sort((a, b) => a.kernel.localeCompare(b.kernel))) {
    const other = [...byProvider.keys()].filter((p) => p !== GPU && p !== CPU);
    const extra = other.length > 0 ? ` (also on ${other.join(', ')})` : '';
    lines.push(
      `| \`${kernel}\` | ${list(byProvider.get(GPU))} | ${list(byProvider.get(CPU))}${extra} |`,
    );
  }
  return lines.join('\n');
}
