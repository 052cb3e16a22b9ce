import { describe, expect, it } from 'vitest';
import { READ_WINDOW_BYTES, windowedFileSource, type SliceableFile } from './windowed-file-source.js';

const MiB = 1024 * 1024;

/** A real Blob that counts the slices read from it. */
function countingFile(bytes: Uint8Array<ArrayBuffer>) {
  const blob = new Blob([bytes]);
  const reads: { start: number; end: number }[] = [];
  const file: SliceableFile & { reads: typeof reads } = {
    size: blob.size,
    lastModified: 1234,
    reads,
    slice(start, end) {
      reads.push({ start, end });
      return blob.slice(start, end);
    },
  };
  return file;
}

/** Byte equality without a per-element deep comparison (1 MiB arrays). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

function patterned(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >>> 11)) & 0xff;
  return bytes;
}

describe('windowedFileSource', () => {
  it('serves consecutive batches of several parts at once from one read per window, byte-equal', async () => {
    const size = 3 * READ_WINDOW_BYTES + 12345;
    const bytes = patterned(size);
    const file = countingFile(bytes);
    const source = windowedFileSource(file);
    expect(source.sizeBytes).toBe(size);
    expect(source.mtimeMs).toBe(1234);
    // Four lanes read their part's batches interleaved, as the uploader's parallel parts do.
    const starts = [0, READ_WINDOW_BYTES, 2 * READ_WINDOW_BYTES, 3 * READ_WINDOW_BYTES];
    const lanes = starts.map(async (start) => {
      const end = Math.min(size, start + READ_WINDOW_BYTES);
      for (let at = start; at < end; at += MiB) {
        const got = await source.read(at, Math.min(MiB, end - at));
        expect(same(got, bytes.subarray(at, Math.min(at + MiB, end)))).toBe(true);
      }
    });
    await Promise.all(lanes);
    expect(file.reads).toEqual(
      starts.map((start) => ({ start, end: Math.min(size, start + READ_WINDOW_BYTES) })),
    );
  });

  it('drops a window once its end was read, so reading it again reads the file again', async () => {
    const bytes = patterned(2 * MiB);
    const file = countingFile(bytes);
    const source = windowedFileSource(file, MiB);
    await source.read(0, MiB / 2);
    await source.read(MiB / 2, MiB / 2);
    expect(await source.read(0, 100)).toEqual(bytes.subarray(0, 100));
    expect(file.reads).toEqual([
      { start: 0, end: MiB },
      { start: 0, end: MiB },
    ]);
  });

  it('keeps a bounded number of windows when parts stop half-read (paused uploads)', async () => {
    const bytes = patterned(20 * 1024);
    const file = countingFile(bytes);
    const source = windowedFileSource(file, 1024);
    for (let k = 0; k < 10; k++) await source.read(k * 2048, 10);
    // The first window was evicted: its bytes are read again.
    expect(await source.read(10, 10)).toEqual(bytes.subarray(10, 20));
    expect(file.reads.length).toBe(11);
    // The last one is still there.
    expect(await source.read(9 * 2048 + 10, 10)).toEqual(bytes.subarray(9 * 2048 + 10, 9 * 2048 + 20));
    expect(file.reads.length).toBe(11);
  });

  it('reads a request larger than a window directly', async () => {
    const bytes = patterned(4096);
    const file = countingFile(bytes);
    const source = windowedFileSource(file, 1024);
    expect(await source.read(100, 3000)).toEqual(bytes.subarray(100, 3100));
    expect(file.reads).toEqual([{ start: 100, end: 3100 }]);
  });

  it('returns fewer bytes than asked when the file shrank, so the uploader notices', async () => {
    const bytes = patterned(4096);
    const blob = new Blob([bytes.subarray(0, 1000)]);
    // The size it was picked with is 4096; the bytes on disk now stop at 1000.
    const source = windowedFileSource({ size: 4096, slice: (s, e) => blob.slice(s, e) }, 2048);
    expect((await source.read(512, 1024)).length).toBe(488);
  });
});
