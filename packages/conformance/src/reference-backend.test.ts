import {
  add,
  type Backend,
  createReferenceBackend,
  crossEntropyLoss,
  defineOp,
  type Kernel,
  memory,
  mul,
  registerBackend,
  setBackend,
  sum,
  Tensor,
  tensor,
  tidy,
  valueAndGrad,
} from '@illia-ts/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hardeningTests } from './hardening-tests.js';
import { ioTests } from './io-tests.js';
import { layerTests } from './layer-tests.js';
import { opTests } from './op-tests.js';

/** The op tests on kernels that are the references themselves: they test core's definitions. */
describe('op definitions, on the reference backend', () => {
  let backend = createReferenceBackend();
  let liveBefore = 0;
  beforeAll(async () => {
    registerBackend('reference', () => backend);
    backend = await setBackend('reference');
  });
  beforeEach(() => {
    liveBefore = memory().numTensors;
  });
  afterEach(() => {
    expect(memory().numTensors, 'live tensors at the end of the test').toBe(liveBefore);
  });
  opTests({ name: 'reference', backend: () => backend });
  hardeningTests({ name: 'reference', backend: () => backend });
  ioTests({ name: 'reference', backend: () => backend });
  layerTests({ name: 'reference', backend: () => backend });
});

describe('autodiff and creation ops, on reference backends', () => {
  const a = createReferenceBackend('reference-a');
  const b = createReferenceBackend('reference-b');
  beforeAll(async () => {
    registerBackend('reference-a', () => a);
    registerBackend('reference-b', () => b);
  });

  it('a gradient rule that gives the wrong shape is an error naming the op', async () => {
    await setBackend('reference-a');
    const op = defineOp({
      name: 'brokenGradientForTest',
      family: 'test',
      summary: 'x, with a gradient of the wrong shape',
      inputs: [{ name: 'x', dtype: 'float32' }],
      output: ([x]) => ({ shape: (x as Tensor).shape, dtype: 'float32' }),
      fallback: ([x]) => add(x as Tensor, 0),
      gradient: ({ dy }) => [sum(dy as Tensor, 0)],
    });
    const x = tensor([1, 2, 3]);
    expect(() => valueAndGrad(() => sum(op.run([x]) as Tensor), [x])).toThrow(
      /brokenGradientForTest: the gradient rule gave input 0 a gradient of shape \[\], but the input has shape \[3\]/,
    );
    x.dispose();
    expect(a.memory().numTensors).toBe(0);
  });

  it('the backward pass frees gradients as it goes: a chain holds O(1) of them, not O(length)', async () => {
    await setBackend('reference-a');
    let peak = 0;
    const kernels = a.kernels as Record<string, Kernel>;
    const originals = { ...kernels };
    for (const [name, kernel] of Object.entries(originals)) {
      kernels[name] = (inputs, attrs, output) => {
        const result = (kernel as Kernel)(inputs, attrs, output);
        peak = Math.max(peak, a.memory().numBytes);
        return result;
      };
    }
    try {
      const x = tensor(new Float32Array(1000).fill(0.5));
      const chainPeak = (length: number) => {
        const before = a.memory().numBytes;
        peak = before;
        const { value, grads } = valueAndGrad(() => {
          let y = x;
          for (let i = 0; i < length; i++) y = tidy(() => mul(y, 1.001));
          return sum(y);
        }, [x]);
        value.dispose();
        for (const g of grads) g.dispose();
        return peak - before;
      };
      const short = chainPeak(10);
      const long = chainPeak(40);
      // The forward keeps every intermediate (4 KB each) for the backward either way; what the
      // backward adds on top must not grow with the chain.
      const forwardOnly = 40 * 4000;
      expect(long - short).toBeLessThan(forwardOnly - 10 * 4000 + 3 * 4000);
      expect(long).toBeLessThan(forwardOnly + 12 * 4000);
      x.dispose();
    } finally {
      Object.assign(kernels, originals);
    }
  });

  it('crossEntropyLoss makes its one-hot rows on the logits’ backend, not the current one', async () => {
    await setBackend('reference-a');
    const logits = tensor([0.1, 2, -1, 0.5, 0.3, 0.2], [2, 3]);
    await setBackend('reference-b');
    const loss = crossEntropyLoss(logits, [1, 0]);
    expect(loss.backend).toBe(a);
    expect(await loss.item()).toBeGreaterThan(0);
    const labels = tensorOn(a, [1, 0]);
    const fromTensor = crossEntropyLoss(logits, labels);
    labels.dispose();
    expect(await fromTensor.item()).toBeCloseTo(await loss.item(), 6);
    loss.dispose();
    fromTensor.dispose();
    logits.dispose();
    expect(a.memory().numTensors).toBe(0);
    expect(b.memory().numTensors).toBe(0);
  });
});

/** An int32 tensor on `backend`, whichever is current. */
function tensorOn(backend: Backend, values: number[]): Tensor<'int32'> {
  return new Tensor<'int32'>(backend.makeTensor(Int32Array.from(values), [values.length]), backend);
}
