// Reads a part body of a declared length from a stream, hashing it as it goes, and fails unless the
// stream holds exactly that many bytes. Shared by the stores (which also write the bytes) and by
// the transfers service (which hashes a repeated part without writing it). Memory stays flat: a
// chunk is handed on and forgotten; nothing accumulates beyond `batchBytes`.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { PartSizeMismatchError } from './blob-store.js';

export interface ExactBodyOptions {
  /** Called with consecutive batches (at most about `batchBytes` each) and the offset within the body. */
  onBatch?: (chunks: readonly Uint8Array[], offsetBytes: number, lengthBytes: number) => Promise<void>;
  /** Gather small network chunks into batches of this size before calling onBatch. Default 1 MiB. */
  batchBytes?: number;
}

/**
 * Consumes `body`, which must hold exactly `sizeBytes` bytes, and returns their SHA-256 (hex).
 * Rejects with PartSizeMismatchError if it holds fewer or more, or with the stream's own error.
 * Bytes past `sizeBytes` are never passed to onBatch.
 */
export async function consumeExactly(
  body: Readable,
  sizeBytes: number,
  options: ExactBodyOptions = {},
): Promise<string> {
  const hash = createHash('sha256');
  const batchBytes = options.batchBytes ?? 1024 * 1024;
  let batch: Uint8Array[] = [];
  let batchLength = 0;
  let batchOffset = 0;
  let received = 0;
  const flush = async () => {
    if (batchLength === 0) return;
    const chunks = batch;
    const length = batchLength;
    const offset = batchOffset;
    batch = [];
    batchLength = 0;
    batchOffset = offset + length;
    await options.onBatch?.(chunks, offset, length);
  };
  try {
    for await (const raw of body) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : (raw as Uint8Array);
      if (received + chunk.byteLength > sizeBytes) {
        throw new PartSizeMismatchError(sizeBytes, received + chunk.byteLength);
      }
      received += chunk.byteLength;
      if (chunk.byteLength === 0) continue;
      hash.update(chunk);
      batch.push(chunk);
      batchLength += chunk.byteLength;
      if (batchLength >= batchBytes) await flush();
    }
    if (received !== sizeBytes) throw new PartSizeMismatchError(sizeBytes, received);
    await flush();
  } catch (error) {
    // Whatever arrives later is not ours to read; stop the producer.
    if (!body.destroyed) body.destroy();
    throw error;
  }
  return hash.digest('hex');
}
