import { describe, expect, it } from 'vitest';
import { backendFromEnv } from './from-env.js';
import { optionsFromEnv, resolveOptions, sessionOptions } from './options.js';

describe('optionsFromEnv', () => {
  it('reads providers and threads, and leaves unset ones to the defaults', () => {
    expect(optionsFromEnv({})).toEqual({});
    expect(
      optionsFromEnv({ ILLIA_ONNX_PROVIDERS: ' cuda, cpu ', ILLIA_ONNX_THREADS: '2' }),
    ).toEqual({
      executionProviders: ['cuda', 'cpu'],
      intraOpNumThreads: 2,
    });
  });

  it('rejects malformed values, naming the variable, the value and what it accepts', () => {
    for (const bad of ['two', '-1', '1.5', '0x2']) {
      expect(() => optionsFromEnv({ ILLIA_ONNX_THREADS: bad })).toThrow(
        `ILLIA_ONNX_THREADS="${bad}": give a whole number of threads per op (0: ONNX Runtime's choice, the physical cores)`,
      );
    }
    expect(() => optionsFromEnv({ ILLIA_ONNX_PROVIDERS: 'gpu' })).toThrow(
      'ILLIA_ONNX_PROVIDERS="gpu": "gpu" is not an execution provider; give a comma-separated list of cpu, webgpu, cuda (such as "cuda,cpu")',
    );
    expect(() => optionsFromEnv({ ILLIA_ONNX_PROVIDERS: 'cuda,,cpu' })).toThrow(
      /ILLIA_ONNX_PROVIDERS="cuda,,cpu": "" is not an execution provider/,
    );
    expect(() => optionsFromEnv({ ILLIA_ONNX_DETERMINISTIC: 'yes' })).toThrow(
      'ILLIA_ONNX_DETERMINISTIC="yes": give 1 (one thread per op, bitwise reproducible) or 0 (the default)',
    );
  });

  it('reads ILLIA_ONNX_DETERMINISTIC, which contradicts more than one thread', () => {
    expect(optionsFromEnv({ ILLIA_ONNX_DETERMINISTIC: '1' })).toEqual({ deterministic: true });
    expect(optionsFromEnv({ ILLIA_ONNX_DETERMINISTIC: '0' })).toEqual({ deterministic: false });
    expect(optionsFromEnv({ ILLIA_ONNX_DETERMINISTIC: '1', ILLIA_ONNX_THREADS: '1' })).toEqual({
      deterministic: true,
      intraOpNumThreads: 1,
    });
    expect(() =>
      optionsFromEnv({ ILLIA_ONNX_DETERMINISTIC: '1', ILLIA_ONNX_THREADS: '4' }),
    ).toThrow('ILLIA_ONNX_DETERMINISTIC=1 runs every op on one thread, but ILLIA_ONNX_THREADS="4"');
  });
});

describe('resolveOptions', () => {
  it('applies the defaults', () => {
    expect(resolveOptions()).toEqual({
      name: 'onnx',
      executionProviders: ['cpu'],
      onUnavailableProvider: 'error',
      intraOpNumThreads: 0,
      interOpNumThreads: 0,
      deterministic: false,
      cacheSize: 64,
      spinning: false,
    });
    expect(resolveOptions({ deterministic: true })).toMatchObject({
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      deterministic: true,
    });
  });

  it('rejects an unknown fallback policy', () => {
    expect(() => resolveOptions({ onUnavailableProvider: 'ignore' as 'warn' })).toThrow(
      /onUnavailableProvider must be "error" or "warn", got "ignore"/,
    );
  });

  it('takes spinning as a boolean, and passes it to ONNX Runtime as allow_spinning', () => {
    expect(resolveOptions({ spinning: true }).spinning).toBe(true);
    expect(() => resolveOptions({ spinning: 1 as unknown as boolean })).toThrow(
      'OnnxBackend: spinning must be true or false, got 1',
    );
    for (const spinning of [false, true]) {
      expect(sessionOptions(resolveOptions({ spinning })).extra).toEqual({
        session: { intra_op: { allow_spinning: spinning ? '1' : '0' } },
      });
    }
  });
});

describe('backendFromEnv', () => {
  it('names the variable when a provider it asks for cannot start, or a value is malformed', async () => {
    // This machine has no CUDA libraries (the repository skips their download).
    await expect(backendFromEnv({ ILLIA_ONNX_PROVIDERS: 'cuda,cpu' })).rejects.toThrow(
      /^ILLIA_ONNX_PROVIDERS="cuda,cpu": onnx: execution provider 'cuda' is unavailable on this machine .*ONNXRUNTIME_NODE_INSTALL=cuda12/,
    );
    expect(() => backendFromEnv({ ILLIA_ONNX_THREADS: 'abc' })).toThrow(
      /^ILLIA_ONNX_THREADS="abc": give a whole number of threads per op/,
    );
    expect(backendFromEnv({ ILLIA_ONNX_DETERMINISTIC: '1' })).toMatchObject({
      options: { deterministic: true, intraOpNumThreads: 1 },
    });
  });
});
