// A BlobStore in memory for tests of modules that only need blobs to exist and be deleted (tree,
// accounts, jobs, isolation). It passes the same contract suite as FsBlobStore
// (memory-blob-store.test.ts), so tests that use it see the behaviour of a real store.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  BlobNotFoundError,
  IncompleteBlobError,
  PartSizeMismatchError,
  assertBlobKey,
  type BlobStore,
  type ByteRange,
  type StoredPart,
  type UnfinishedBlob,
} from '../storage/blob-store.js';

interface PendingBlob {
  key: string;
  sizeBytes: number;
  startedMs: number;
  parts: Map<number, { offset: number; bytes: Buffer }>;
}

export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Buffer>();
  readonly #pending = new Map<string, PendingBlob>();
  #next = 0;

  async createMultipart(key: string, sizeBytes: number): Promise<string> {
    await Promise.resolve();
    assertBlobKey(key);
    const handle = `mem-${++this.#next}`;
    this.#pending.set(handle, { key, sizeBytes, startedMs: Date.now(), parts: new Map() });
    return handle;
  }

  async putPart(
    key: string,
    handle: string,
    part: { partNumber: number; offsetBytes: number; sizeBytes: number },
    body: Readable,
  ): Promise<StoredPart> {
    assertBlobKey(key);
    const pending = this.#pending.get(handle);
    if (!pending || pending.key !== key) throw new BlobNotFoundError('no such unfinished blob');
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of body) {
      const bytes = Buffer.from(chunk as Uint8Array);
      received += bytes.length;
      if (received > part.sizeBytes) {
        body.destroy();
        throw new PartSizeMismatchError(part.sizeBytes, received);
      }
      chunks.push(bytes);
    }
    if (received !== part.sizeBytes) throw new PartSizeMismatchError(part.sizeBytes, received);
    const bytes = Buffer.concat(chunks);
    pending.parts.set(part.partNumber, { offset: part.offsetBytes, bytes });
    return {
      partNumber: part.partNumber,
      sizeBytes: bytes.length,
      sha256Hex: createHash('sha256').update(bytes).digest('hex'),
    };
  }

  completeMultipart(key: string, handle: string, parts: readonly StoredPart[]): Promise<void> {
    assertBlobKey(key);
    const pending = this.#pending.get(handle);
    // Completing again after a completion succeeded is a no-op.
    if (!pending && this.blobs.has(key)) return Promise.resolve();
    if (!pending || pending.key !== key)
      return Promise.reject(new BlobNotFoundError('no such unfinished blob'));
    const blob = Buffer.alloc(pending.sizeBytes);
    let covered = 0;
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    for (const [index, part] of sorted.entries()) {
      const stored = pending.parts.get(part.partNumber);
      if (part.partNumber !== index + 1 || !stored || stored.offset !== covered) {
        return Promise.reject(new IncompleteBlobError('the parts do not cover the blob'));
      }
      stored.bytes.copy(blob, stored.offset);
      covered += stored.bytes.length;
    }
    if (covered !== pending.sizeBytes)
      return Promise.reject(new IncompleteBlobError('the parts do not cover the blob'));
    this.blobs.set(key, blob);
    this.#pending.delete(handle);
    return Promise.resolve();
  }

  abortMultipart(_key: string, handle: string): Promise<void> {
    this.#pending.delete(handle);
    return Promise.resolve();
  }

  async *listUnfinished(): AsyncIterable<UnfinishedBlob> {
    const now = Date.now();
    for (const [handle, pending] of [...this.#pending]) {
      await Promise.resolve();
      yield { key: pending.key, handle, ageMs: now - pending.startedMs };
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    await Promise.resolve();
    assertBlobKey(key);
    const blob = this.blobs.get(key);
    if (!blob) throw new BlobNotFoundError();
    if (range && !(range.start >= 0 && range.start <= range.end && range.end < blob.length)) {
      throw new RangeError(`range ${range.start}-${range.end} is outside ${blob.length} bytes`);
    }
    return Readable.from([range ? blob.subarray(range.start, range.end + 1) : blob]);
  }

  sizeOf(key: string): Promise<number | undefined> {
    return Promise.resolve(this.blobs.get(key)?.length);
  }

  delete(key: string): Promise<void> {
    this.blobs.delete(key);
    return Promise.resolve();
  }

  /** Puts a whole blob directly (tests that need a file without going through uploads). */
  put(key: string, bytes: Uint8Array): void {
    this.blobs.set(key, Buffer.from(bytes));
  }
}
