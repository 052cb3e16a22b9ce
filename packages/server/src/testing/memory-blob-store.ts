// A BlobStore in memory for tests of modules that only need blobs to exist and be deleted (tree,
// accounts, jobs). Transfers are tested against the real FsBlobStore.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore, ByteRange, StoredPart } from '../storage/blob-store.js';

export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Buffer>();
  readonly #pending = new Map<
    string,
    { sizeBytes: number; parts: Map<number, { offset: number; bytes: Buffer }> }
  >();
  #next = 0;

  createMultipart(_key: string, sizeBytes: number): Promise<string> {
    const handle = `h${++this.#next}`;
    this.#pending.set(handle, { sizeBytes, parts: new Map() });
    return Promise.resolve(handle);
  }

  async putPart(
    _key: string,
    handle: string,
    part: { partNumber: number; offsetBytes: number; sizeBytes: number },
    body: Readable,
  ): Promise<StoredPart> {
    const pending = this.#pending.get(handle);
    if (!pending) throw new Error('no such multipart upload');
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== part.sizeBytes) throw new Error('part size mismatch');
    pending.parts.set(part.partNumber, { offset: part.offsetBytes, bytes });
    return {
      partNumber: part.partNumber,
      sizeBytes: bytes.length,
      sha256Hex: createHash('sha256').update(bytes).digest('hex'),
    };
  }

  completeMultipart(key: string, handle: string): Promise<void> {
    const pending = this.#pending.get(handle);
    // Completing again after a completion succeeded is a no-op, as with FsBlobStore.
    if (!pending && this.blobs.has(key)) return Promise.resolve();
    if (!pending) return Promise.reject(new Error('no such multipart upload'));
    const blob = Buffer.alloc(pending.sizeBytes);
    for (const { offset, bytes } of pending.parts.values()) bytes.copy(blob, offset);
    this.blobs.set(key, blob);
    this.#pending.delete(handle);
    return Promise.resolve();
  }

  abortMultipart(_key: string, handle: string): Promise<void> {
    this.#pending.delete(handle);
    return Promise.resolve();
  }

  read(key: string, range?: ByteRange): Promise<Readable> {
    const blob = this.blobs.get(key);
    if (!blob) return Promise.reject(Object.assign(new Error('no such blob'), { code: 'ENOENT' }));
    return Promise.resolve(Readable.from([range ? blob.subarray(range.start, range.end + 1) : blob]));
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
