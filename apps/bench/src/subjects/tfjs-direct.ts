import type * as TF from '@tensorflow/tfjs-core';
import { packageVersion } from '../versions.js';
import { tfjsConvWorkload, tfjsWorkload } from './tfjs-workloads.js';
import type { Device, Session, Subject } from './types.js';
import { Unavailable } from './types.js';

/** The npm package that provides tfjs engine `engine` (`cpu`, `wasm`, `webgpu`, `node`). */
function tfjsEnginePackage(engine: string): string {
  return engine === 'node' ? '@tensorflow/tfjs-node' : `@tensorflow/tfjs-backend-${engine}`;
}

/** tfjs-core is CommonJS: take the namespace whichever way the loader exposes it. */
async function importTfjs(): Promise<typeof TF> {
  const mod = (await import('@tensorflow/tfjs-core')) as typeof TF & { default?: typeof TF };
  return mod.default ?? mod;
}

/**
 * The tfjs ceiling: the same math written directly against `@tensorflow/tfjs-core` on one tfjs
 * engine (`ceiling:tfjs` is the cpu engine, `ceiling:tfjs-wasm` the wasm one), each op composed
 * from tfjs ops in one `tidy`, as a tfjs user would write it. conv2d is `tf.conv2d` in tfjs's own
 * layout (NHWC, weights [kh, kw, C, O]) and the two kernels of its gradient.
 */
export function tfjsCeiling(id: string): Subject {
  const cpuEngine = id === 'ceiling:tfjs' ? 'cpu' : id.slice('ceiling:tfjs-'.length);
  return {
    id,
    role: 'ceiling',
    async open(device: Device): Promise<Session> {
      const engine = device === 'cpu' ? cpuEngine : cpuEngine === 'cpu' ? device : null;
      if (engine === null) throw new Unavailable(`tfjs ${cpuEngine} runs on the CPU only`);
      if (engine === 'cuda') {
        throw new Unavailable(
          'tfjs reaches CUDA only through @tensorflow/tfjs-node-gpu, not installed',
        );
      }
      const pkg = tfjsEnginePackage(engine);
      const tf = await importTfjs();
      try {
        await import(/* @vite-ignore */ pkg);
      } catch (error) {
        throw new Unavailable(
          `${pkg} cannot be loaded: ${(error as Error).message.split('\n')[0]}`,
        );
      }
      let ok = false;
      try {
        ok = await tf.setBackend(engine);
        await tf.ready();
      } catch (error) {
        throw new Unavailable(
          `tfjs engine '${engine}' failed to start: ${(error as Error).message}`,
        );
      }
      if (!ok || tf.getBackend() !== engine) {
        throw new Unavailable(
          `tfjs engine '${engine}' failed to start (tf.setBackend returned false)`,
        );
      }
      return {
        engine: `@tensorflow/tfjs-core@${tf.version_core} on ${pkg}@${packageVersion(pkg)}`,
        workload: async (size, setup) => {
          // Another subject in the same process may have switched the engine.
          if (tf.getBackend() !== engine) await tf.setBackend(engine);
          return tfjsWorkload(tf, size, setup);
        },
        convWorkload: async (shape, seed) => {
          if (tf.getBackend() !== engine) await tf.setBackend(engine);
          return tfjsConvWorkload(tf, shape, seed);
        },
        close() {},
      };
    },
  };
}
