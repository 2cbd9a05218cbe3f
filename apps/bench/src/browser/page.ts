/**
 * The browser runner's page (bundled by esbuild at run time, `src/browser/run.ts`): imports
 * `@illia-ts/core` and the backends' browser builds as an app does, and runs a bench job in the
 * page with the same workloads (`subjects/illia-workloads.ts`), checks and timing loop
 * (`measure.ts`, `await t.data()` until readable) as the Node workers. Rows go back to Node through
 * `window.benchRow`, one at a time, as they are known.
 */
import { ortEnv } from '@illia-ts/backend-onnx';
import '@illia-ts/backend-tfjs';
import * as core from '@illia-ts/core';
// The engines register themselves in tfjs on import; backend-tfjs then registers tfjs-webgl and
// tfjs-webgpu (in a browser only).
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import * as tfCore from '@tensorflow/tfjs-core';
import { runJob, type SubjectJob } from '../measure.js';
import type { Measurement } from '../results.js';
import {
  illiaCnnWorkload,
  illiaConvWorkload,
  illiaTrainWorkload,
  illiaWorkload,
} from '../subjects/illia-workloads.js';
import { tfjsConvWorkload, tfjsWorkload } from '../subjects/tfjs-workloads.js';
import { type Session, type Subject, Unavailable } from '../subjects/types.js';

// ONNX Runtime's glue and .wasm, served in ort/ beside the page (a folder: its threads need the glue
// as a file, docs/backends-in-the-browser.md).
ortEnv.wasm.wasmPaths = new URL('./ort/', document.baseURI).href;

/** What the page says of the GPU APIs it has: the WebGL renderer and the WebGPU adapter. */
export interface PageAdapters {
  readonly webgl: { renderer: string; vendor: string } | { error: string };
  readonly webgpu:
    | {
        vendor: string;
        architecture: string;
        device: string;
        description: string;
        fallback: boolean;
      }
    | { error: string };
  readonly crossOriginIsolated: boolean;
  readonly hardwareConcurrency: number;
  readonly userAgent: string;
  readonly backends: string[];
}

async function adapters(): Promise<PageAdapters> {
  let webgl: PageAdapters['webgl'];
  const gl =
    document.createElement('canvas').getContext('webgl2') ??
    document.createElement('canvas').getContext('webgl');
  if (gl === null) {
    webgl = { error: 'this browser has no WebGL' };
  } else {
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    webgl = {
      renderer: String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)),
      vendor: String(gl.getParameter(info ? info.UNMASKED_VENDOR_WEBGL : gl.VENDOR)),
    };
  }
  let webgpu: PageAdapters['webgpu'];
  type Adapter = {
    info?: Record<string, unknown>;
    isFallbackAdapter?: boolean;
  };
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<Adapter | null> } }).gpu;
  if (gpu === undefined) {
    webgpu = { error: 'this browser has no WebGPU (navigator.gpu)' };
  } else {
    try {
      const adapter = await gpu.requestAdapter();
      if (adapter === null) {
        webgpu = { error: 'WebGPU gives no adapter here' };
      } else {
        const info = adapter.info ?? {};
        webgpu = {
          vendor: String(info.vendor ?? ''),
          architecture: String(info.architecture ?? ''),
          device: String(info.device ?? ''),
          description: String(info.description ?? ''),
          fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false),
        };
      }
    } catch (error) {
      webgpu = { error: `WebGPU: ${String(error)}` };
    }
  }
  return {
    webgl,
    webgpu,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    backends: core.registeredBackends(),
  };
}

/**
 * `ceiling:tfjs-webgl` or `ceiling:tfjs-webgpu`: the same math written directly against tfjs on
 * that engine (`subjects/tfjs-workloads.ts`, what `ceiling:tfjs` runs in Node).
 */
function tfjsPageCeiling(id: string, engine: string): Subject {
  const tfEngine = id.slice('ceiling:tfjs-'.length);
  // tfjs-core is CommonJS: take the namespace whichever way the bundle exposes it.
  const tf = ((tfCore as { default?: typeof tfCore }).default ?? tfCore) as typeof tfCore;
  return {
    id,
    role: 'ceiling',
    async open(): Promise<Session> {
      let ok = false;
      try {
        ok = await tf.setBackend(tfEngine);
        await tf.ready();
      } catch (error) {
        throw new Unavailable(`tfjs engine '${tfEngine}' failed to start: ${String(error)}`);
      }
      if (!ok || tf.getBackend() !== tfEngine) {
        throw new Unavailable(`tfjs engine '${tfEngine}' failed to start here`);
      }
      return {
        engine,
        workload: async (size, setup) => tfjsWorkload(tf, size, setup),
        convWorkload: async (shape, seed) => tfjsConvWorkload(tf, shape, seed),
        close: () => undefined,
      };
    },
  };
}

/** A backend registered in this page, as the bench's Node subjects open theirs. */
function pageSubject(id: string, engine: string): Subject {
  if (id.startsWith('ceiling:tfjs-')) return tfjsPageCeiling(id, engine);
  return {
    id,
    role: 'backend',
    // tfjs backends against tfjs on the same engine, as in Node; onnx has no ceiling in a page.
    ...(id.startsWith('tfjs-') ? { ceiling: `ceiling:${id}` } : {}),
    async open(): Promise<Session> {
      try {
        await core.setBackend(id);
        // A first op, read: engines that start lazily (WebGPU device, ORT session) fail here, not
        // in the middle of the first measurement.
        const probe = core.tensor([1, 2], [2]);
        try {
          await probe.data();
        } finally {
          probe.dispose();
        }
      } catch (error) {
        throw new Unavailable((error as Error).message);
      }
      return {
        engine,
        workload: (size, setup) => illiaWorkload(core, size, setup),
        trainWorkload: (hidden, setup, gaussian) =>
          illiaTrainWorkload(core, hidden, setup, gaussian),
        cnnWorkload: (setup, gaussian) => illiaCnnWorkload(core, setup, gaussian),
        convWorkload: async (shape, seed) => illiaConvWorkload(core, shape, seed),
        close: () => undefined,
      };
    },
  };
}

declare global {
  interface Window {
    benchRow?: (row: Measurement) => Promise<void>;
    illiaBench: {
      adapters(): Promise<PageAdapters>;
      run(job: SubjectJob, engine: string): Promise<void>;
    };
  }
}

window.illiaBench = {
  adapters,
  async run(job, engine) {
    const sent: Promise<void>[] = [];
    await runJob(
      job,
      (row) => {
        sent.push(window.benchRow?.(row) ?? Promise.resolve());
      },
      pageSubject(job.subject, engine),
    );
    await Promise.all(sent);
  },
};
