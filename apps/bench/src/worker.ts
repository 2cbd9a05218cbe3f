/**
 * A child process that runs one {@link SubjectJob} and streams its rows to the parent over IPC.
 * One process per subject keeps peak RSS meaningful and engines (tfjs's global backend, ORT
 * threads) from disturbing each other. Before each prepared or timed step it waits for the
 * parent's `go`, so that subjects take turns (rounds.ts).
 */
import { type GateStep, runJob, type SubjectJob } from './measure.js';
import type { Measurement } from './results.js';
import { subjectFor } from './subjects/index.js';

/** Messages from a worker to the runner. */
export type WorkerMessage =
  | { readonly type: 'row'; readonly row: Measurement }
  | { readonly type: 'gate'; readonly step: GateStep }
  | { readonly type: 'done' }
  | { readonly type: 'failed'; readonly error: string };

/** Messages from the runner: the job first, then a `go` for each step the worker waits at. */
export type RunnerMessage = { readonly type: 'job'; readonly job: SubjectJob } | { type: 'go' };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()) ?? resolve());
}

let go: (() => void) | undefined;

function start(job: SubjectJob): void {
  const rows: Promise<void>[] = [];
  const gate = (step: GateStep) =>
    new Promise<void>((resolve) => {
      go = resolve;
      void send({ type: 'gate', step });
    });
  runJob(job, (row) => rows.push(send({ type: 'row', row })), subjectFor(job.subject), gate)
    .then(async () => {
      await Promise.all(rows);
      await send({ type: 'done' });
    })
    .catch(async (error: unknown) => {
      await send({ type: 'failed', error: String((error as Error)?.stack ?? error) });
    })
    // Engines may keep handles open (wasm threads, ORT pools); the job is over.
    .finally(() => process.exit(0));
}

process.on('message', (message: RunnerMessage) => {
  if (message.type === 'job') start(message.job);
  else if (message.type === 'go') {
    const resolve = go;
    go = undefined;
    resolve?.();
  }
});
