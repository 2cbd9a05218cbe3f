/**
 * Every op definition, by name. Defining an op registers it here, so the engine can tell which
 * kernels a backend must have and the conformance suite can test every op; nothing else lists ops.
 */
import type { AnyTensor } from '../tensor.js';
import type { Op, OpDefinition } from './define.js';

const OPS = new Map<string, Op<unknown>>();

/** @internal Called by `defineOp`. */
export function registerOp(op: Op<unknown>): void {
  const name = op.def.name;
  if (OPS.has(name)) throw new Error(`defineOp: an op named '${name}' is already defined`);
  OPS.set(name, op);
}

/** Every op definition, in the order defined. */
export function listOps(): OpDefinition[] {
  return [...OPS.values()].map((op) => op.def as OpDefinition);
}

/** The op named `name`, or undefined. */
export function getOp(name: string): OpDefinition | undefined {
  return OPS.get(name)?.def as OpDefinition | undefined;
}

/**
 * Runs op `name` on tensors with raw options, as its public function would (for the conformance
 * suite, which tests every op from its definition); returns every output.
 */
export function runOp(name: string, inputs: readonly AnyTensor[], options?: unknown): AnyTensor[] {
  const op = OPS.get(name);
  if (op === undefined) throw new Error(`runOp: no op is named '${name}'`);
  return op.runMulti(inputs, options);
}

/** The ops whose kernel every backend must have: those without a composed fallback. */
export function requiredKernels(): string[] {
  return listOps()
    .filter((op) => op.fallback === undefined)
    .map((op) => op.name);
}
