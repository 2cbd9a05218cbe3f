/**
 * A child process that runs one {@link SubjectJob} and streams its rows to the parent over IPC.
 * One process per subject keeps peak RSS meaningful and engines (tfjs's global backend, ORT
 * threads) from disturbing each other.
 */
import { runJob, type SubjectJob } from './measure.js';
import type { Measurement } from './results.js';
import { subjectFor } from './subjects/index.js';

/** Messages from a worker to the runner. */
export type WorkerMessage =
  | { readonly type: 'row'; readonly row: Measurement }
  | { readonly type: 'done' }
  | { readonly type: 'failed'; readonly error: string };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()) ?? resolve());
}

process.once('message', (job: SubjectJob) => {
  const rows: Promise<void>[] = [];
  runJob(job, (row) => rows.push(send({ type: 'row', row })), subjectFor(job.subject))
    .then(async () => {
      await Promise.all(rows);
      await send({ type: 'done' });
    })
    .catch(async (error: unknown) => {
      await send({ type: 'failed', error: String((error as Error)?.stack ?? error) });
    })
    // Engines may keep handles open (wasm threads, ORT pools); the job is over.
    .finally(() => process.exit(0));
});
