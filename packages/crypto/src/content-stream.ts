// Streaming encryption and decryption of file contents (TransformStreams over the random-access
// core in content-cipher.ts). Memory stays flat: at most `concurrency` chunks are in flight, and
// chunks are emitted strictly in order, only after they authenticated. A stream that fails stays
// failed. WebCrypto pays per call, so several chunks are sealed or opened concurrently.

import { DecryptionError } from './errors.js';
import {
  CHUNK_SIZE,
  HEADER_SIZE,
  MAX_CHUNK_COUNT,
  SEALED_CHUNK_SIZE,
  chunkCount,
  chunkOffset,
  createContentCipher,
  openContentCipher,
  plaintextSize,
  type ContentCipher,
  type ContentOptions,
  type ContentRange,
} from './content-cipher.js';

/** Options of the streaming functions. */
export interface ContentStreamOptions extends ContentOptions {
  /** Chunks encrypted/decrypted concurrently (default 16). */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 16;

/** A FIFO of byte arrays that hands out exact-size slices without re-concatenating everything. */
class ByteQueue {
  private parts: Uint8Array[] = [];
  private head = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const part = this.parts[0]!;
      const available = part.length - this.head;
      const used = Math.min(available, n - o);
      out.set(part.subarray(this.head, this.head + used), o);
      o += used;
      if (used === available) {
        this.parts.shift();
        this.head = 0;
      } else {
        this.head += used;
      }
    }
    this.length -= n;
    return out;
  }
}

/** Runs chunk operations concurrently and emits their results in order. */
class OrderedPipeline {
  private pending: Promise<Uint8Array>[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly emit: (bytes: Uint8Array) => void,
  ) {}

  async push(work: Promise<Uint8Array>): Promise<void> {
    // Mark as handled now; the rejection is still observed, in order, when awaited below.
    work.catch(() => undefined);
    this.pending.push(work);
    while (this.pending.length >= this.concurrency) this.emit(await this.pending.shift()!);
  }

  async drain(): Promise<void> {
    while (this.pending.length > 0) this.emit(await this.pending.shift()!);
  }
}

function concurrencyOf(options: ContentStreamOptions): number {
  const c = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(c) || c < 1) throw new RangeError('concurrency must be a positive integer');
  return c;
}

/**
 * A TransformStream that encrypts plaintext into the complete ciphertext (header first).
 * Build the cipher with {@link createContentCipher}; the same cipher re-encrypts any chunk later.
 *
 * @example
 * const cipher = await createContentCipher(versionKey, contentContext(versionId));
 * await file.stream().pipeThrough(encryptContentStream(cipher)).pipeTo(upload);
 */
export function encryptContentStream(
  cipher: ContentCipher,
  options: ContentStreamOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const queue = new ByteQueue();
  let index = 0;
  let pipeline: OrderedPipeline;
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      pipeline = new OrderedPipeline(concurrencyOf(options), (b) => controller.enqueue(b));
      controller.enqueue(cipher.header.slice());
    },
    async transform(bytes) {
      queue.push(bytes);
      // A full chunk is never the final one (the final chunk is always short), so it can go now.
      while (queue.length >= CHUNK_SIZE) {
        if (index + 1 >= MAX_CHUNK_COUNT) throw new RangeError('message too long');
        await pipeline.push(cipher.encryptChunk(index++, queue.take(CHUNK_SIZE), false));
      }
    },
    async flush() {
      await pipeline.push(cipher.encryptChunk(index++, queue.take(queue.length), true));
      await pipeline.drain();
    },
  });
}

/** Streaming decryption after the header: the final chunk is the one the input ends in. */
function streamingDecryptTransform(
  getCipher: (queue: ByteQueue) => Promise<ContentCipher | undefined>,
  options: ContentStreamOptions,
): TransformStream<Uint8Array, Uint8Array> {
  const queue = new ByteQueue();
  let cipher: ContentCipher | undefined;
  let index = 0;
  let pipeline: OrderedPipeline;
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      pipeline = new OrderedPipeline(concurrencyOf(options), (b) => {
        if (b.length > 0) controller.enqueue(b);
      });
    },
    async transform(bytes) {
      queue.push(bytes);
      cipher ??= await getCipher(queue);
      if (cipher === undefined) return;
      // A full sealed chunk is known to be non-final only once more bytes follow it.
      while (queue.length > SEALED_CHUNK_SIZE) {
        if (index + 1 >= MAX_CHUNK_COUNT) throw new DecryptionError();
        await pipeline.push(cipher.decryptChunk(index++, queue.take(SEALED_CHUNK_SIZE), false));
      }
    },
    async flush() {
      cipher ??= await getCipher(queue);
      if (cipher === undefined) throw new DecryptionError();
      // decryptChunk rejects a final chunk outside 16..16399 bytes (truncation at a boundary).
      await pipeline.push(cipher.decryptChunk(index++, queue.take(queue.length), true));
      await pipeline.drain();
    },
  });
}

/**
 * A TransformStream that decrypts a complete ciphertext (header first) into the plaintext.
 * Checks the key commitment first; emits a chunk only after it authenticated; fails (and keeps
 * failing) on truncation, trailing data, reordering or any tampering, with DecryptionError.
 * Chunks emitted before a failure are authentic, but the message as a whole is not: callers
 * writing to disk should write to a temporary file and rename only on success.
 *
 * @example
 * await response.body.pipeThrough(decryptContentStream(versionKey, contentContext(versionId))).pipeTo(out);
 */
export function decryptContentStream(
  key: Uint8Array,
  context: Uint8Array,
  options: ContentStreamOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  return streamingDecryptTransform(async (queue) => {
    if (queue.length < HEADER_SIZE) return undefined;
    return openContentCipher(key, context, queue.take(HEADER_SIZE), options);
  }, options);
}

/**
 * A TransformStream that decrypts exactly the ciphertext bytes [range.cipherStart, range.cipherEnd)
 * (as mapped by {@link contentRangeForPlaintext}) into the plaintext bytes [range.plainStart,
 * range.plainEnd). Open the cipher from the header first ({@link openContentCipher}). Fails with
 * DecryptionError if the input is shorter or longer than the range, or any chunk is not authentic.
 *
 * @example
 * const range = contentRangeForPlaintext(start, end, plainSize);
 * const cipher = await openContentCipher(versionKey, contentContext(versionId), header);
 * await fetchBytes(range.cipherStart, range.cipherEnd).pipeThrough(decryptContentRangeStream(cipher, range)).pipeTo(out);
 */
export function decryptContentRangeStream(
  cipher: ContentCipher,
  range: ContentRange,
  options: ContentStreamOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const queue = new ByteQueue();
  let index = range.firstChunk;
  let pipeline: OrderedPipeline;
  const lastEnd = range.plainEnd - range.lastChunk * CHUNK_SIZE;
  const sizeOf = (i: number) =>
    i === range.finalChunk ? range.cipherEnd - chunkOffset(range.finalChunk) : SEALED_CHUNK_SIZE;
  const trim = (i: number, plain: Uint8Array) => {
    const start = i === range.firstChunk ? range.skipBytes : 0;
    const end = i === range.lastChunk ? Math.max(start, lastEnd) : plain.length;
    return plain.subarray(start, end);
  };
  const decrypt = async (i: number, sealed: Uint8Array) =>
    trim(i, await cipher.decryptChunk(i, sealed, i === range.finalChunk));
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      pipeline = new OrderedPipeline(concurrencyOf(options), (b) => {
        if (b.length > 0) controller.enqueue(b);
      });
    },
    async transform(bytes) {
      queue.push(bytes);
      while (index <= range.lastChunk && queue.length >= sizeOf(index)) {
        const i = index++;
        await pipeline.push(decrypt(i, queue.take(sizeOf(i))));
      }
      if (index > range.lastChunk && queue.length > 0) throw new DecryptionError();
    },
    async flush() {
      if (index <= range.lastChunk || queue.length > 0) throw new DecryptionError();
      await pipeline.drain();
    },
  });
}

/** Maps 0..count-1 through `work`, at most `limit` at a time, results in order. */
async function boundedMap<T>(count: number, limit: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}

/**
 * One-shot encryption of an in-memory plaintext (small data and tests; stream anything large).
 * Chunks are encrypted concurrently.
 */
export async function encryptContent(
  key: Uint8Array,
  context: Uint8Array,
  plaintext: Uint8Array,
  options: ContentOptions & { salt?: Uint8Array } = {},
): Promise<Uint8Array> {
  const cipher = await createContentCipher(key, context, options.salt, options);
  const n = chunkCount(plaintext.length);
  const sealed = await boundedMap(n, DEFAULT_CONCURRENCY, (i) =>
    cipher.encryptChunk(
      i,
      plaintext.subarray(i * CHUNK_SIZE, Math.min(plaintext.length, (i + 1) * CHUNK_SIZE)),
      i === n - 1,
    ),
  );
  const out = new Uint8Array(HEADER_SIZE + sealed.reduce((a, s) => a + s.length, 0));
  out.set(cipher.header, 0);
  let o = HEADER_SIZE;
  for (const s of sealed) {
    out.set(s, o);
    o += s.length;
  }
  return out;
}

/**
 * One-shot decryption of an in-memory ciphertext through the random-access path: the size is
 * checked first, then every chunk is decrypted at its index (concurrently).
 * @throws {DecryptionError} on any failure.
 */
export async function decryptContent(
  key: Uint8Array,
  context: Uint8Array,
  ciphertext: Uint8Array,
  options: ContentOptions = {},
): Promise<Uint8Array> {
  const cipher = await openContentCipher(key, context, ciphertext.subarray(0, HEADER_SIZE), options);
  const size = plaintextSize(ciphertext.length);
  const n = chunkCount(size);
  const plain = await boundedMap(n, DEFAULT_CONCURRENCY, (i) => {
    const start = HEADER_SIZE + i * SEALED_CHUNK_SIZE;
    return cipher.decryptChunk(
      i,
      ciphertext.subarray(start, Math.min(ciphertext.length, start + SEALED_CHUNK_SIZE)),
      i === n - 1,
    );
  });
  const out = new Uint8Array(size);
  plain.forEach((p, i) => out.set(p, i * CHUNK_SIZE));
  return out;
}
