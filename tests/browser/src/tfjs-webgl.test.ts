import '@tensorflow/tfjs-backend-webgl';
import { createTfjsBackend } from '@illia-ts/backend-tfjs';
import { describeConformance } from '@illia-ts/conformance';
import * as tf from '@tensorflow/tfjs-core';

// tfjs-backend-webgl runs an op on the CPU when its inputs are still on the CPU and small
// (WEBGL_CPU_FORWARD): most of the suite's inputs are. Off, so every kernel runs in a shader, as
// tfjs's own WebGL tests do.
tf.env().set('WEBGL_CPU_FORWARD', false);

describeConformance({
  name: 'tfjs-webgl',
  factory: () => createTfjsBackend({ engine: 'webgl', name: 'tfjs-webgl' }),
});
