import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { constantTensor, DataType, encodeModel, type GraphProto } from './onnx.js';

/** Loads a graph in ONNX Runtime and runs it: the parser is the reference for our encoding. */
async function run(graph: GraphProto, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(
    encodeModel({ irVersion: 10, opsetVersion: 21, producerName: 'test', graph }),
  );
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('encodeModel', () => {
  it('encodes every attribute kind, initializers and scalar value infos so ORT runs them', async () => {
    const graph: GraphProto = {
      name: 'attributes',
      inputs: [{ name: 'x', elemType: DataType.FLOAT, dims: [2, 3] }],
      outputs: [
        { name: 'leaky', elemType: DataType.FLOAT, dims: [3, 2] },
        { name: 'shifted', elemType: DataType.UINT32, dims: [2] },
        { name: 'scalar', elemType: DataType.FLOAT, dims: [] },
      ],
      initializers: [
        constantTensor('bits', DataType.UINT32, [2], Uint32Array.of(0x80000000, 12)),
        constantTensor('two', DataType.UINT32, [], Uint32Array.of(2)),
      ],
      nodes: [
        // float attribute, then ints attribute
        {
          opType: 'LeakyRelu',
          inputs: ['x'],
          outputs: ['l'],
          attributes: [{ name: 'alpha', type: 'float', value: 0.25 }],
        },
        {
          opType: 'Transpose',
          inputs: ['l'],
          outputs: ['leaky'],
          attributes: [{ name: 'perm', type: 'ints', value: [1, 0] }],
        },
        // string attribute
        {
          opType: 'BitShift',
          inputs: ['bits', 'two'],
          outputs: ['shifted'],
          attributes: [{ name: 'direction', type: 'string', value: 'RIGHT' }],
        },
        // tensor attribute, and int attribute (keepdims = 0) on a reduction to a scalar
        {
          opType: 'Constant',
          inputs: [],
          outputs: ['k'],
          attributes: [
            {
              name: 'value',
              type: 'tensor',
              value: constantTensor('k', DataType.FLOAT, [], Float32Array.of(-1.5)),
            },
          ],
        },
        {
          opType: 'ReduceSum',
          inputs: ['x'],
          outputs: ['s'],
          attributes: [{ name: 'keepdims', type: 'int', value: 0 }],
        },
        { opType: 'Add', inputs: ['s', 'k'], outputs: ['scalar'] },
      ],
    };
    const x = Float32Array.of(-4, 1, 2, -8, 3, 0.5);
    const out = await run(graph, { x: new ort.Tensor('float32', x, [2, 3]) });
    expect(out.leaky?.dims).toEqual([3, 2]);
    expect(Array.from(out.leaky?.data as Float32Array)).toEqual([-1, -2, 1, 3, 2, 0.5]);
    expect(Array.from(out.shifted?.data as Uint32Array)).toEqual([0x20000000, 3]);
    expect(out.scalar?.dims).toEqual([]);
    expect(out.scalar?.data[0]).toBe(-4 + 1 + 2 - 8 + 3 + 0.5 - 1.5);
  });

  it('writes symbolic dims (dim_param) that one session runs at any size', async () => {
    const session = await ort.InferenceSession.create(
      encodeModel({
        irVersion: 10,
        opsetVersion: 21,
        producerName: 'test',
        graph: {
          name: 'symbolic',
          inputs: [{ name: 'x', elemType: DataType.DOUBLE, dims: ['n', 2] }],
          outputs: [{ name: 'y', elemType: DataType.DOUBLE, dims: ['n', 2] }],
          nodes: [{ opType: 'Neg', inputs: ['x'], outputs: ['y'] }],
        },
      }),
    );
    try {
      expect(session.inputMetadata[0]).toMatchObject({ name: 'x', shape: ['n', 2] });
      for (const rows of [1, 3]) {
        const x = new Float64Array(rows * 2).map((_, i) => i + 0.5);
        const out = await session.run({ x: new ort.Tensor('float64', x, [rows, 2]) });
        expect(out.y?.dims).toEqual([rows, 2]);
        expect(Array.from(out.y?.data as Float64Array)).toEqual(Array.from(x, (v) => -v));
      }
    } finally {
      await session.release();
    }
  });

  it('writes int64 constants (shapes) that ORT reads back', async () => {
    const out = await run(
      {
        name: 'reshape',
        inputs: [{ name: 'x', elemType: DataType.FLOAT, dims: [6] }],
        outputs: [{ name: 'y', elemType: DataType.FLOAT, dims: [3, 2] }],
        initializers: [constantTensor('shape', DataType.INT64, [2], BigInt64Array.of(3n, 2n))],
        nodes: [{ opType: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] }],
      },
      { x: new ort.Tensor('float32', new Float32Array(6), [6]) },
    );
    expect(out.y?.dims).toEqual([3, 2]);
  });
});
