// Writing a download to disk durably without waiting for the disk at the end: every
// SYNC_EVERY_BYTES a background fdatasync starts (one at a time), so the final fsync finds little
// left to write instead of the whole file (which cost as long as the download itself).
import type { FileHandle } from 'node:fs/promises';

/** Bytes written between two background fdatasyncs of a downloaded file. */
const SYNC_EVERY_BYTES = 32 * 1024 * 1024;

/**
 * Writes `stream` into `handle` from byte `position` on, then fsyncs. The caller opens and closes
 * the handle; on an error the stream is cancelled and no background sync is left running. Each
 * piece is handed to `written` once it is in the file (nothing here reads it again).
 */
export async function writeStreamDurably(
  handle: FileHandle,
  stream: ReadableStream<Uint8Array>,
  position = 0,
  written?: (bytes: Uint8Array) => void,
): Promise<void> {
  const reader = stream.getReader();
  let syncing: Promise<void> | undefined;
  let failed: Error | undefined;
  try {
    let sinceSync = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let offset = 0; offset < value.length;) {
        const { bytesWritten } = await handle.write(value, offset, value.length - offset, position);
        offset += bytesWritten;
        position += bytesWritten;
      }
      sinceSync += value.length;
      written?.(value);
      if (sinceSync >= SYNC_EVERY_BYTES && !syncing) {
        sinceSync = 0;
        syncing = handle.datasync().then(
          () => void (syncing = undefined),
          (error: unknown) => {
            failed ??= error instanceof Error ? error : new Error(String(error));
            syncing = undefined;
          },
        );
      }
      if (failed !== undefined) throw failed;
    }
    await syncing;
    if (failed !== undefined) throw failed;
    await handle.sync();
  } catch (error) {
    await reader.cancel(error).catch(() => undefined);
    throw error;
  } finally {
    reader.releaseLock();
    await syncing;
  }
}
