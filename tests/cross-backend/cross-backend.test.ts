/**
 * The same deterministic inputs through every installed backend: logProb agrees with float64 and
 * across backends. A backend package that is not installed is skipped; one that is installed but
 * fails to load fails the test.
 */
import { type BackendCandidate, describeCrossBackend } from '@illia-ts/conformance';
import { backendPackage, registeredBackends } from '@illia-ts/core';

const missing: BackendCandidate[] = [];
for (const name of ['cpu', 'tfjs', 'onnx']) {
  const specifier = backendPackage(name);
  try {
    await import(/* @vite-ignore */ specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    missing.push({ name, missing: `${specifier} is not installed` });
  }
}

describeCrossBackend([...registeredBackends().map((name) => ({ name })), ...missing]);
