import { describe, expect, it } from 'vitest';
import { optionsFromEnv, resolveOptions } from './options.js';

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

  it('rejects malformed values, naming the variable', () => {
    expect(() => optionsFromEnv({ ILLIA_ONNX_THREADS: 'two' })).toThrow(
      /ILLIA_ONNX_THREADS must be a whole number of threads .*got "two"/,
    );
    const options = optionsFromEnv({ ILLIA_ONNX_PROVIDERS: 'gpu' });
    expect(() => resolveOptions(options)).toThrow(/executionProviders must be .* got \["gpu"\]/);
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
      cacheSize: 64,
    });
  });

  it('rejects an unknown fallback policy', () => {
    expect(() => resolveOptions({ onUnavailableProvider: 'ignore' as 'warn' })).toThrow(
      /onUnavailableProvider must be "error" or "warn", got "ignore"/,
    );
  });
});
