// Every `get` that writes a file (your own files, files of a folder shared with you, a link's
// files) comes here. The plaintext goes to `.NAME.hoard-partial` beside the target, and
// `.NAME.hoard-partial.json` says which version it holds (and whatever else its source needs to go
// on: a link's download grant, so that going on is not counted as a second download). Run again
// after an interruption, the download continues from the last whole chunk the partial holds,
// through an HTTP Range; a partial of another version (the file changed meanwhile) starts over.
// Complete, the file gets the uploader's modification time and is renamed into place: the target
// is never a half-written file.

import { open, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RemoteEntry } from '@hoard/client';
import { CHUNK_SIZE } from '@hoard/crypto';
import { CliError, type CliContext } from './cli-context.js';
import { writeStreamDurably } from './durable-write.js';

/** What a partial's record holds: the version, and what its source adds (strings only). */
export type PartialRecord = Record<string, string> & { versionId: string };

/** Where a file's plaintext comes from. */
export interface PartialSource {
  /**
   * Whether a partial an earlier run left is of this source (its record says so); the source may
   * take from the record what it needs to go on (a link's grant).
   */
  continues(record: PartialRecord): boolean;
  /** The plaintext from byte `start` to the end of the file. */
  open(start: number, onProgress: (doneBytes: number) => void): Promise<ReadableStream<Uint8Array>>;
  /** What a later run needs to go on, besides the version (asked once the download has begun). */
  record(): Record<string, string>;
}

async function readRecord(path: string): Promise<PartialRecord | undefined> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (
      data !== null &&
      typeof data === 'object' &&
      Object.values(data).every((value) => typeof value === 'string') &&
      typeof (data as { versionId?: unknown }).versionId === 'string'
    ) {
      return data as PartialRecord;
    }
  } catch {
    // absent or unreadable: start over
  }
  return undefined;
}

/** Downloads `file` to `dest` through `.NAME.hoard-partial`, going on from an earlier partial. */
export async function downloadToFile(
  ctx: CliContext,
  file: RemoteEntry,
  dest: string,
  source: PartialSource,
): Promise<void> {
  const versionId = file.node.currentVersion?.id;
  if (versionId === undefined) throw new CliError(`not a file: ${file.path}`);
  const temp = join(dirname(dest), `.${basename(dest)}.hoard-partial`);
  const recordPath = `${temp}.json`;
  const record = await readRecord(recordPath);
  let start = 0;
  if (record && record.versionId === versionId && source.continues(record)) {
    const have = (await stat(temp).catch(() => undefined))?.size ?? 0;
    // Whole chunks only: what follows the last one may be a torn write.
    start = Math.min(Math.floor(have / CHUNK_SIZE) * CHUNK_SIZE, file.sizeBytes);
    if (start > 0) ctx.note(`hoard: resuming ${file.name} at ${start} of ${file.sizeBytes} bytes`);
  }
  const progress = ctx.progress(file.name);
  const handle = await open(temp, start > 0 ? 'r+' : 'w', 0o644);
  try {
    await handle.truncate(start);
    const stream = await source.open(start, (doneBytes) =>
      progress.update(start + doneBytes, file.sizeBytes),
    );
    await writeFile(recordPath, JSON.stringify({ ...source.record(), versionId }), { mode: 0o600 });
    await writeStreamDurably(handle, stream, start, ctx.written);
  } finally {
    progress.finish();
    await handle.close();
  }
  if (file.mtimeMs !== undefined) await utimes(temp, new Date(), new Date(file.mtimeMs));
  await rename(temp, dest);
  await rm(recordPath, { force: true });
}

/**
 * Whether a local file is already what `file` would write: same size, and the modification time a
 * download gives it. A folder's `get` run again (after an interruption, or to catch up) fetches
 * only what is missing or differs, as rclone and rsync do by default.
 */
export async function alreadyHere(file: RemoteEntry, path: string): Promise<boolean> {
  if (file.mtimeMs === undefined) return false;
  const local = await stat(path).catch(() => undefined);
  return (
    local?.isFile() === true && local.size === file.sizeBytes && Math.round(local.mtimeMs) === file.mtimeMs
  );
}
