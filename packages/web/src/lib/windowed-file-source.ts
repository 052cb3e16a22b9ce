// An upload source over a File (or any Blob) that reads in windows of about one part. The uploader
// asks for a part's plaintext in consecutive 1 MiB batches; in Chromium every Blob read is a round
// trip to the browser process, and reading 1 MiB at a time cost twice the CPU per byte of reading
// 8 MiB at a time (measured with bench/browser.mjs: 5.7 against 2.7 ms of CPU per MB, renderer and
// browser process together). So the first batch of a part reads the window behind the whole part
// once, and the following batches are views into it. Memory stays bounded: a window is dropped as
// soon as a read reaches its end, and at most MAX_WINDOWS are kept (a paused part's window is
// the oldest and goes first).
import { CHUNK_SIZE } from '@hoard/crypto';
import { DEFAULT_PART_SIZE_BYTES } from '@hoard/protocol';
import type { UploadSource } from '@hoard/client';

/**
 * The plaintext behind one ciphertext part at the default part size: 8 MiB of ciphertext overlaps
 * at most 513 chunks (511.5 whole ones, cut at both ends).
 */
export const READ_WINDOW_BYTES = (Math.ceil(DEFAULT_PART_SIZE_BYTES / (CHUNK_SIZE + 16)) + 1) * CHUNK_SIZE;

/** Windows kept at once: one per part in flight (the uploader sends 4) and some slack. */
const MAX_WINDOWS = 6;

/** What the source needs of a File: its size, its mtime when it has one, and slices. */
export interface SliceableFile {
  readonly size: number;
  readonly lastModified?: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

interface Window {
  start: number;
  end: number;
  bytes: Promise<Uint8Array>;
}

/**
 * An UploadSource reading `file` in windows of `windowBytes` (default: one part's plaintext).
 * Returned arrays are views into a window: read-only for the caller, as the uploader uses them.
 */
export function windowedFileSource(file: SliceableFile, windowBytes = READ_WINDOW_BYTES): UploadSource {
  const windows: Window[] = [];
  const readSlice = async (start: number, end: number) =>
    new Uint8Array(await file.slice(start, end).arrayBuffer());
  const drop = (window: Window) => {
    const at = windows.indexOf(window);
    if (at >= 0) windows.splice(at, 1);
  };
  return {
    sizeBytes: file.size,
    ...(file.lastModified !== undefined ? { mtimeMs: file.lastModified } : {}),
    async read(offset, length) {
      const end = offset + length;
      let window = windows.find((w) => w.start <= offset && end <= w.end);
      if (!window) {
        if (length >= windowBytes) return readSlice(offset, end);
        window = {
          start: offset,
          end: Math.min(file.size, offset + windowBytes),
          bytes: readSlice(offset, Math.min(file.size, offset + windowBytes)),
        };
        windows.push(window);
        if (windows.length > MAX_WINDOWS) windows.shift();
      }
      let bytes: Uint8Array;
      try {
        bytes = await window.bytes;
      } catch (error) {
        drop(window);
        throw error;
      }
      // The part's last batch: nobody reads this window again.
      if (end >= window.end) drop(window);
      // Shorter than asked when the file shrank since it was picked; the uploader checks the length.
      return bytes.subarray(offset - window.start, end - window.start);
    },
  };
}
