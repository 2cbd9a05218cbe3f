/**
 * Node only (imported by `@illia-ts/core/node`, never by the main entry): files written so that a
 * crash at any moment leaves either the old file or the new one, never a mix.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `bytes` to `path` atomically: into a temporary file next to it (same folder, so the same
 * file system), flushed to disk, then renamed over `path` (an atomic replace on POSIX file
 * systems; on Windows the rename fails, leaving the old file, while another process holds it
 * open), then the folder flushed so the rename survives a power cut. On any error the temporary
 * file is removed and `path` is untouched; a process killed mid-write leaves its temporary file
 * (`.name.pid.random.tmp`) beside the old one.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const file = await open(temporary, 'wx');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  // Best effort: folders cannot be opened for flushing everywhere (Windows).
  try {
    const folder = await open(dirname(path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch {}
}
