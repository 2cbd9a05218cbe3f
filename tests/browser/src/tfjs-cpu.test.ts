import { createTfjsBackend } from '@illia-ts/backend-tfjs';
import { describeConformance } from '@illia-ts/conformance';

describeConformance({ name: 'tfjs', factory: () => createTfjsBackend({ engine: 'cpu' }) });
