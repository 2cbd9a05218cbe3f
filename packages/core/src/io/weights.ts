/**
 * A module's weights as safetensors bytes and back: what `saveWeights`/`loadWeights` write to a
 * file in Node, and what a browser app keeps wherever it wants (IndexedDB, a download, a fetch).
 */
import type { GaussianDistribution } from '../gaussian.js';
import type { Module } from '../nn/module.js';
import type { AnyTensor } from '../tensor.js';
import { describe } from '../validate.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import {
  type LoadStateDictOptions,
  type LoadStateDictResult,
  loadStateDict,
  modelMetadata,
  readStateDict,
} from './state-dict.js';

/** Options of {@link serializeWeights}. */
export interface SerializeWeightsOptions {
  /** More metadata (strings), written next to the version and the model's configuration. */
  metadata?: Readonly<Record<string, string>>;
}

/** What loading weights gives: what was left out (non-strict) and the file's metadata. */
export interface LoadWeightsResult extends LoadStateDictResult {
  /**
   * The file's metadata: `illia_ts_version`, `illia_ts_model` (each module's kind and
   * configuration, as JSON) and `format` for files illia-ts wrote; whatever else a writer put.
   */
  readonly metadata: Record<string, string>;
}

/**
 * The state dict of `module` (illia's names, see `stateDict`) as safetensors bytes, with the
 * illia-ts version and each layer's configuration in the metadata. The values are read as they
 * are: a load gives them back bitwise.
 */
export async function serializeWeights(
  module: Module<AnyTensor> | GaussianDistribution,
  options: SerializeWeightsOptions = {},
): Promise<Uint8Array> {
  const extra = options?.metadata ?? {};
  if (extra === null || typeof extra !== 'object') {
    throw new TypeError(
      `serializeWeights: metadata must be an object of strings, got ${describe(extra)}`,
    );
  }
  const tensors = await readStateDict(module);
  return encodeSafetensors(tensors, { ...extra, ...modelMetadata(module) });
}

/**
 * Loads safetensors bytes into `module`, as `loadStateDict` (strict by default: every problem is
 * one error naming the keys, and nothing is loaded). Files from illia's PyTorch `state_dict()`
 * load as they are.
 */
export async function deserializeWeights(
  module: Module<AnyTensor> | GaussianDistribution,
  bytes: Uint8Array | ArrayBuffer,
  options: LoadStateDictOptions = {},
): Promise<LoadWeightsResult> {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const result = await loadStateDict(module, tensors, options);
  return { ...result, metadata };
}
