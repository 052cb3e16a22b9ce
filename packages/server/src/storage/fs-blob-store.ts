// FsBlobStore: blobs as files on the local disk of one box.
//
// Layout under `rootDir`: `tmp/<handle>.<key>` holds an unfinished blob, preallocated (as a sparse file)
// to its full size when the write begins; each part is written at its offset with positioned writes
// and fdatasync'd before putPart resolves, so a part that the caller records survives a crash.
// Completion fsyncs the file, renames it to `blobs/<aa>/<bb>/<key>` (aa, bb: the key's first two
// pairs of characters, so no directory grows huge) and fsyncs the directory: nothing is ever copied,
// and a blob is either absent or whole under its final name. Memory stays flat: bodies stream through
// in batches of about 1 MiB, reads are file streams.
//
// Never: build a path from an unchecked key or handle; write outside a part's own byte range.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  assertBlobKey,
  BlobNotFoundError,
  IncompleteBlobError,
  isBlobKey,
  type BlobStore,
  type ByteRange,
  type StoredPart,
  type UnfinishedBlob,
} from './blob-store.js';
import { consumeExactly } from './exact-body.js';

const HANDLE = /^[0-9a-f]{32}$/;

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface FsBlobStoreOptions {
  /** The data directory; blobs live in `<rootDir>/blobs`, unfinished ones in `<rootDir>/tmp`. */
  rootDir: string;
}

export class FsBlobStore implements BlobStore {
  readonly #blobsDir: string;
  readonly #tmpDir: string;

  constructor(options: FsBlobStoreOptions) {
    this.#blobsDir = join(options.rootDir, 'blobs');
    this.#tmpDir = join(options.rootDir, 'tmp');
  }

  /** Where the finished blob `key` lives. */
  #blobPath(key: string): string {
    assertBlobKey(key);
    return join(this.#blobsDir, key.slice(0, 2), key.slice(2, 4), key);
  }

  #tmpPath(key: string, handle: string): string {
    assertBlobKey(key);
    if (!HANDLE.test(handle)) throw new TypeError('invalid multipart handle');
    return join(this.#tmpDir, `${handle}.${key}`);
  }

  /** Creates `dir` and any missing parents, fsyncing each parent that gained an entry. */
  async #ensureDir(dir: string, stopAt: string): Promise<void> {
    try {
      await stat(dir);
      return;
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    if (dir === stopAt) {
      // Every directory created here gained its parent an entry that must survive a crash too.
      const first = await mkdir(dir, { recursive: true });
      if (first === undefined) return;
      for (let created = dir; ; created = dirname(created)) {
        const parent = dirname(created);
        await fsyncPath(parent);
        if (created === first || parent === created) return;
      }
    }
    const parent = dirname(dir);
    await this.#ensureDir(parent, stopAt);
    try {
      await mkdir(dir);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
      return;
    }
    await fsyncPath(parent);
  }

  async createMultipart(key: string, sizeBytes: number): Promise<string> {
    assertBlobKey(key);
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) throw new RangeError('invalid blob size');
    await this.#ensureDir(this.#tmpDir, dirname(this.#tmpDir));
    const handle = randomBytes(16).toString('hex');
    const path = this.#tmpPath(key, handle);
    const fh = await open(path, 'wx');
    try {
      await fh.truncate(sizeBytes);
      await fh.sync();
    } catch (error) {
      await fh.close();
      await unlink(path).catch(() => undefined);
      throw error;
    }
    await fh.close();
    // The file's name must survive a crash too, or a recorded part would vanish with it.
    await fsyncPath(this.#tmpDir);
    return handle;
  }

  async putPart(
    key: string,
    handle: string,
    part: { partNumber: number; offsetBytes: number; sizeBytes: number },
    body: Readable,
  ): Promise<StoredPart> {
    assertBlobKey(key);
    const { partNumber, offsetBytes, sizeBytes } = part;
    if (!Number.isSafeInteger(partNumber) || partNumber < 1) throw new RangeError('invalid part number');
    if (
      !Number.isSafeInteger(offsetBytes) ||
      offsetBytes < 0 ||
      !Number.isSafeInteger(sizeBytes) ||
      sizeBytes < 0
    ) {
      throw new RangeError('invalid part offset or size');
    }
    let fh: FileHandle;
    try {
      fh = await open(this.#tmpPath(key, handle), 'r+');
    } catch (error) {
      body.destroy();
      if (isErrno(error, 'ENOENT')) throw new BlobNotFoundError('no such unfinished blob', { cause: error });
      throw error;
    }
    try {
      const { size } = await fh.stat();
      if (offsetBytes + sizeBytes > size) {
        body.destroy();
        throw new RangeError('part lies outside the blob');
      }
      const sha256Hex = await consumeExactly(body, sizeBytes, {
        onBatch: async (chunks, at) => {
          let position = offsetBytes + at;
          // writev may write less than asked; keep going until the batch is on disk.
          let pending = chunks.slice();
          while (pending.length > 0) {
            const { bytesWritten } = await fh.writev(pending, position);
            position += bytesWritten;
            let skip = bytesWritten;
            const rest: Uint8Array[] = [];
            for (const chunk of pending) {
              if (skip >= chunk.byteLength) {
                skip -= chunk.byteLength;
              } else {
                rest.push(skip === 0 ? chunk : chunk.subarray(skip));
                skip = 0;
              }
            }
            pending = rest;
          }
        },
      });
      await fh.datasync();
      return { partNumber, sizeBytes, sha256Hex };
    } finally {
      await fh.close();
    }
  }

  async completeMultipart(key: string, handle: string, parts: readonly StoredPart[]): Promise<void> {
    const finalPath = this.#blobPath(key);
    const tmpPath = this.#tmpPath(key, handle);
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    sorted.forEach((p, i) => {
      if (p.partNumber !== i + 1) throw new IncompleteBlobError(`part ${i + 1} is missing`);
    });
    const totalBytes = sorted.reduce((sum, p) => sum + p.sizeBytes, 0);

    let fh: FileHandle;
    try {
      fh = await open(tmpPath, 'r+');
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
      // Completed before (a retry after a crash or a lost answer): the blob must be whole already.
      const size = await this.sizeOf(key);
      if (size === undefined) throw new BlobNotFoundError('no such unfinished blob', { cause: error });
      if (size !== totalBytes) throw new IncompleteBlobError('the parts do not cover the blob');
      return;
    }
    try {
      const { size } = await fh.stat();
      if (size !== totalBytes) throw new IncompleteBlobError('the parts do not cover the blob');
      await fh.sync();
    } finally {
      await fh.close();
    }
    const dir = dirname(finalPath);
    await this.#ensureDir(dir, this.#blobsDir);
    try {
      await rename(tmpPath, finalPath);
    } catch (error) {
      // A concurrent completion of the same blob renamed it first.
      if (!isErrno(error, 'ENOENT') || (await this.sizeOf(key)) !== totalBytes) throw error;
    }
    await fsyncPath(dir);
    // The tmp directory lost an entry; not needed for durability of the blob itself.
  }

  async abortMultipart(key: string, handle: string): Promise<void> {
    assertBlobKey(key);
    try {
      await unlink(this.#tmpPath(key, handle));
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }

  async *listUnfinished(): AsyncIterable<UnfinishedBlob> {
    let names: string[];
    try {
      names = await readdir(this.#tmpDir);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return;
      throw error;
    }
    for (const name of names) {
      const dot = name.indexOf('.');
      const handle = name.slice(0, dot);
      const key = name.slice(dot + 1);
      if (dot < 0 || !HANDLE.test(handle) || !isBlobKey(key)) continue;
      try {
        const { mtimeMs } = await stat(join(this.#tmpDir, name));
        yield { key, handle, ageMs: Math.max(0, Date.now() - mtimeMs) };
      } catch (error) {
        // Completed or aborted meanwhile.
        if (!isErrno(error, 'ENOENT')) throw error;
      }
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.#blobPath(key);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new BlobNotFoundError(undefined, { cause: error });
      throw error;
    }
    if (range === undefined) return fh.createReadStream({ highWaterMark: 256 * 1024 });
    try {
      const { size } = await fh.stat();
      const { start, end } = range;
      if (
        !Number.isSafeInteger(start) ||
        !Number.isSafeInteger(end) ||
        start < 0 ||
        start > end ||
        end >= size
      ) {
        throw new RangeError(`range ${start}-${end} is outside a blob of ${size} bytes`);
      }
    } catch (error) {
      await fh.close();
      throw error;
    }
    return fh.createReadStream({ start: range.start, end: range.end, highWaterMark: 256 * 1024 });
  }

  async sizeOf(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.#blobPath(key))).size;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.#blobPath(key));
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }
}
