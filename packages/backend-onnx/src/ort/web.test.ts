import { describe, expect, it } from 'vitest';
import { forcedThreads } from './web.js';

describe('threads of onnxruntime-web in a page', () => {
  it('one thread in an isolated page where ONNX Runtime would take several and no glue is served', () => {
    expect(forcedThreads({}, true, 8)).toBe(1);
    expect(forcedThreads({ wasmPaths: { wasm: '/a.wasm' } }, true, 8)).toBe(1);
    expect(forcedThreads({ numThreads: 0 }, true, 3)).toBe(1);
  });

  it('leaves the settings alone otherwise', () => {
    // Not isolated: ONNX Runtime uses one thread anyway.
    expect(forcedThreads({}, false, 8)).toBeUndefined();
    // Two cores: ONNX Runtime's own default is one thread.
    expect(forcedThreads({}, true, 2)).toBeUndefined();
    // The app chose a thread count, or serves the glue code.
    expect(forcedThreads({ numThreads: 4 }, true, 8)).toBeUndefined();
    expect(forcedThreads({ wasmPaths: '/ort/' }, true, 8)).toBeUndefined();
    expect(
      forcedThreads({ wasmPaths: { mjs: '/a.mjs', wasm: '/a.wasm' } }, true, 8),
    ).toBeUndefined();
  });
});
