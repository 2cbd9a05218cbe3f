/**
 * The worker script of {@link KernelPool} (`worker-loop.ts`), bundled on its own
 * (`dist/kernel-worker.js`).
 */
import { serve } from './worker-loop.js';

serve();
