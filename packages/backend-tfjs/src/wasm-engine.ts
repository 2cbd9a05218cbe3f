/**
 * The wasm engine's memory: how large a tensor its heap can hold, and an allocation that does not
 * fit made an error instead of a write at address 0.
 */
import type * as tf from '@tensorflow/tfjs-core';

/**
 * The most bytes the module's heap grows to: `getHeapMax()` of the Emscripten build in
 * tf-backend-wasm.node.js (4 GiB less one 64 KiB page, wasm32's limit).
 */
export const WASM_HEAP_MAX_BYTES = 2 ** 32 - 2 ** 16;

/** The elements of the largest tensor that heap could hold, 4 bytes each (an upper bound). */
export const WASM_MAX_ELEMENTS = WASM_HEAP_MAX_BYTES / 4;

/** The Emscripten module of tfjs-backend-wasm's `BackendWasm`, as far as we touch it. */
interface WasmModule {
  _malloc(bytes: number): number;
}

/** Modules whose `_malloc` is already guarded. */
const guarded = new WeakSet<object>();

/**
 * Makes a failed allocation of the wasm engine a RangeError. Its `_malloc` returns 0 when the heap
 * cannot grow (past {@link WASM_HEAP_MAX_BYTES}), and tfjs-backend-wasm takes 0 as the tensor's
 * address: the kernel then writes its output over the start of the heap (the module's own data)
 * until it traps with "memory access out of bounds". The RangeError comes before anything is
 * written; tfjs frees the kernel's other tensors as for any error.
 */
export function guardWasmAllocations(backend: tf.KernelBackend): void {
  const module = (backend as unknown as { wasm?: Partial<WasmModule> }).wasm;
  if (typeof module?._malloc !== 'function' || guarded.has(module)) return;
  let malloc = module._malloc;
  const checked = (bytes: number) => {
    const address = malloc.call(module, bytes);
    if (address === 0 && bytes > 0) {
      throw new RangeError(
        `backend-tfjs: the wasm engine could not allocate ${bytes} bytes for a tensor: its heap holds at most ${WASM_HEAP_MAX_BYTES} bytes, shared by every live tensor`,
      );
    }
    return address;
  };
  // Emscripten's first call of `_malloc` replaces the property with the wasm export: the setter
  // takes that as the function to check.
  Object.defineProperty(module, '_malloc', {
    configurable: true,
    enumerable: true,
    get: () => checked,
    set: (next: WasmModule['_malloc']) => {
      malloc = next;
    },
  });
  guarded.add(module);
}
