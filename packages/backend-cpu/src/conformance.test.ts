import { describeConformance } from '@illia-ts/conformance';
import { CpuBackend } from './cpu-backend.js';

describeConformance({ name: 'cpu', factory: () => new CpuBackend() });
