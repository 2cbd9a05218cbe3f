import '@tensorflow/tfjs-backend-webgpu';
import { createTfjsBackend } from '@illia-ts/backend-tfjs';
import { describeConformance } from '@illia-ts/conformance';
import * as tf from '@tensorflow/tfjs-core';

// tfjs-backend-webgpu runs an op on the CPU when its inputs are still on the CPU and under 1000
// elements (WEBGPU_CPU_FORWARD): most of the suite's inputs are. Off, so every kernel runs in a
// shader, as tfjs's own WebGPU tests do.
tf.env().set('WEBGPU_CPU_FORWARD', false);

describeConformance({
  name: 'tfjs-webgpu',
  factory: () => createTfjsBackend({ engine: 'webgpu', name: 'tfjs-webgpu' }),
});
