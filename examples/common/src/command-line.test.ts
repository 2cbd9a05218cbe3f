import { describe, expect, it } from 'vitest';
import { commandLine } from './command-line.js';

describe('the examples’ command line', () => {
  it('resolves --save and --load against INIT_CWD, the folder npm was run from', () => {
    const cli = commandLine('usage', [], ['--save', 'm.safetensors'], { INIT_CWD: '/home/me' });
    expect(cli.path('save')).toBe('/home/me/m.safetensors');
    expect(cli.path('load')).toBeUndefined();
  });

  it('takes the extra path options it is given, and rejects unknown ones by name', () => {
    const cli = commandLine('usage', ['export-onnx'], ['--export-onnx', '/tmp/m.onnx'], {});
    expect(cli.path('export-onnx')).toBe('/tmp/m.onnx');
    expect(() => commandLine('usage', [], ['--export-onnx', 'm.onnx'], {})).toThrow(
      /--export-onnx/,
    );
  });

  it('reads numbers from the environment and names a variable that is not one', () => {
    const cli = commandLine('usage', [], [], { MNIST_EPOCHS: '3', MNIST_LR: 'fast', EMPTY: ' ' });
    expect(cli.numeric('MNIST_EPOCHS')).toBe(3);
    expect(cli.numeric('MNIST_SEED')).toBeUndefined();
    expect(() => cli.numeric('MNIST_LR')).toThrow("MNIST_LR: expected a number, got 'fast'");
    expect(() => cli.numeric('EMPTY')).toThrow(/EMPTY/);
  });
});
