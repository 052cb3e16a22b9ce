// Downloads as a ReadableStream of plaintext. A plaintext range maps to whole ciphertext chunks
// (HTTP Range on the version's content, which never changes, so a broken connection resumes from
// the next undelivered chunk); chunks are decrypted in batches concurrently and trimmed to the
// range. Memory holds a few batches, never the file.
//
// [Note: download copies] With a backend that reads its inputs later (the CLI's worker threads),
// every received byte is copied into a batch buffer of the downloader's own, and a batch's
// plaintext leaves as one array. With one that copies its inputs at call time (WebCrypto, in the
// browser's service worker: `ContentCipher.copiesInput`), neither copy is needed: sealed chunks are
// views of the pieces the connection delivered (only a chunk that straddles two pieces is copied),
// and each chunk's plaintext, a separate array from WebCrypto anyway, is enqueued as it is.

import {
  CHUNK_SIZE,
  HEADER_SIZE,
  SEALED_CHUNK_SIZE,
  TAG_SIZE,
  chunkOffset,
  ciphertextSize,
  contentContext,
  contentRangeForPlaintext,
  constantTimeEqual,
  openContentCipher,
  type ContentCipher,
  type ContentOptions,
} from '@hoard/crypto';
import { ApiError, ClientError, NetworkError, isTransient } from './api-error.js';
import { chunkPlainRange } from './content-layout.js';
import type { HttpClient } from './http-client.js';
import { schemas } from './protocol-adapter.js';
import { sleep } from './retry.js';
import type { VersionEntry } from './tree.js';

export interface DownloadOptions {
  /** Plaintext byte range, end exclusive. Default: the whole file. */
  range?: { start: number; end: number };
  /** Plaintext bytes delivered so far, and the bytes the stream will deliver in all. */
  onProgress?: (progress: { doneBytes: number; totalBytes: number }) => void;
  signal?: AbortSignal;
  /** Reconnections allowed when the connection breaks mid-stream (default 5). */
  maxReconnects?: number;
  /**
   * Keeps what opening the version cost (where its ciphertext is read, its header's cipher) for
   * the next download of the same version through the same server, path and session: a player's
   * seek then costs one request instead of three.
   */
  cache?: OpenedVersionCache;
}

/** Where a version's ciphertext is read: a presigned URL, or null for the server itself. */
type ContentLocation = { url: string; headers: Record<string, string> } | null;

/** What a download learns before the content itself. */
interface OpenedVersion {
  /** undefined until asked for (and again once a presigned URL was refused). */
  location: ContentLocation | undefined;
  cipher: ContentCipher;
}

interface CacheEntry {
  /** A copy of the version key the cipher was opened with: a hit needs the same key. */
  versionKey: Uint8Array;
  token: string | undefined;
  opened: Promise<OpenedVersion>;
}

/**
 * Opened versions kept across downloads, the least recently used dropped beyond `capacity`. An
 * entry is found by server, content path (which holds the version id, and the grant or share it
 * is read through) and session token, and serves only a download with the very version key it was
 * opened with; so another file or version never gets another's cipher. A version's content never
 * changes, so neither do its header and cipher; a presigned location that expires is asked for
 * again and the entry updated.
 */
export class OpenedVersionCache {
  readonly #entries = new Map<string, CacheEntry>();
  constructor(readonly capacity = 4) {}

  /** The entry for `where`, opened by `open` unless a matching one is kept (then it is the newest). */
  async open(
    where: string,
    versionKey: Uint8Array,
    token: string | undefined,
    open: () => Promise<OpenedVersion>,
  ): Promise<OpenedVersion> {
    const kept = this.#entries.get(where);
    this.#entries.delete(where);
    if (kept && kept.token === token && constantTimeEqual(kept.versionKey, versionKey)) {
      this.#entries.set(where, kept);
      return kept.opened;
    }
    const entry: CacheEntry = { versionKey: versionKey.slice(), token, opened: open() };
    this.#entries.set(where, entry);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.capacity) break;
      this.#entries.delete(oldest);
    }
    // A version that could not be opened (network, wrong key) is not kept.
    entry.opened.catch(() => {
      if (this.#entries.get(where) === entry) this.#entries.delete(where);
    });
    return entry.opened;
  }

  /** Drops every version opened with `versionKey` (its owner let go of the key). */
  forget(versionKey: Uint8Array): void {
    for (const [where, entry] of this.#entries) {
      if (constantTimeEqual(entry.versionKey, versionKey)) this.#entries.delete(where);
    }
  }

  /** Versions kept. */
  get size(): number {
    return this.#entries.size;
  }
}

/**
 * The pieces as one array: a view when they lie end to end in one buffer (a batch decrypted in one
 * piece of memory), a copy otherwise.
 */
function join(pieces: Uint8Array[]): Uint8Array {
  const first = pieces[0];
  if (first === undefined) return new Uint8Array(0);
  if (pieces.length === 1) return first;
  let totalBytes = 0;
  let adjacent = true;
  for (const piece of pieces) {
    adjacent &&= piece.buffer === first.buffer && piece.byteOffset === first.byteOffset + totalBytes;
    totalBytes += piece.length;
  }
  return adjacent ? new Uint8Array(first.buffer, first.byteOffset, totalBytes) : concat(pieces, totalBytes);
}

function concat(pieces: Uint8Array[], totalBytes: number): Uint8Array {
  const out = new Uint8Array(totalBytes);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/** The first `n` bytes of a body; the rest is not read (a server may ignore the Range). */
async function readPrefix(response: Response, n: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const pieces: Uint8Array[] = [];
  let length = 0;
  while (length < n) {
    const { done, value } = await reader.read();
    if (done) break;
    pieces.push(value);
    length += value.length;
  }
  await reader.cancel();
  return concat(pieces, length).subarray(0, Math.min(n, length));
}

/** Chunks decrypted per batch (1 MiB). */
const BATCH_CHUNKS = 64;

/** Ciphertext bytes of a batch of full chunks. */
const BATCH_BYTES = BATCH_CHUNKS * SEALED_CHUNK_SIZE;

/** Batches being decrypted at once, while the next ones are read from the connection. */
const DECRYPT_AHEAD = 3;

/**
 * Plaintext bytes buffered ahead of the consumer (4 batches of 1 MiB), beside the batches being
 * decrypted. Counted in bytes, not pieces: a batch may leave as one array or as one per chunk.
 */
const READ_AHEAD_BYTES = 4 * BATCH_CHUNKS * CHUNK_SIZE;

/** Collects a batch's sealed chunks from the pieces a connection delivers. */
interface ChunkCollector {
  /** Takes from `bytes` what the batch still needs; returns the rest (undefined when none). */
  take(bytes: Uint8Array): Uint8Array | undefined;
  /** Whether every chunk of the batch arrived. */
  readonly complete: boolean;
  /** The batch's sealed chunks, in order (once complete). */
  readonly chunks: Uint8Array[];
}

/** Copies a batch's sealed chunks, as they arrive, into one buffer of the downloader's own. */
class ChunkCopies implements ChunkCollector {
  readonly #need: number;
  #filled = 0;

  constructor(
    private readonly batch: Uint8Array,
    private readonly sizes: readonly number[],
  ) {
    this.#need = sizes.reduce((a, b) => a + b, 0);
  }

  get complete(): boolean {
    return this.#filled === this.#need;
  }

  take(bytes: Uint8Array): Uint8Array | undefined {
    const n = Math.min(bytes.length, this.#need - this.#filled);
    this.batch.set(n === bytes.length ? bytes : bytes.subarray(0, n), this.#filled);
    this.#filled += n;
    return n < bytes.length ? bytes.subarray(n) : undefined;
  }

  get chunks(): Uint8Array[] {
    let at = 0;
    return this.sizes.map((size) => {
      const chunk = this.batch.subarray(at, at + size);
      at += size;
      return chunk;
    });
  }
}

/**
 * Cuts whole sealed chunks out of the pieces a connection delivers, for a backend that copies its
 * inputs at call time: a chunk inside one piece is a view of it; one that straddles two or more is
 * copied into an array of its own. The views keep their pieces alive only until the batch's
 * decryption was called.
 */
class ChunkViews implements ChunkCollector {
  readonly chunks: Uint8Array[] = [];
  /** The straddling chunk being assembled, and how much of it has arrived. */
  #partial: Uint8Array | undefined;
  #partialBytes = 0;

  constructor(private readonly sizes: readonly number[]) {}

  get complete(): boolean {
    return this.chunks.length === this.sizes.length;
  }

  take(bytes: Uint8Array): Uint8Array | undefined {
    let at = 0;
    while (at < bytes.length && !this.complete) {
      const size = this.sizes[this.chunks.length]!;
      if (this.#partial) {
        const n = Math.min(size - this.#partialBytes, bytes.length - at);
        this.#partial.set(bytes.subarray(at, at + n), this.#partialBytes);
        this.#partialBytes += n;
        at += n;
        if (this.#partialBytes === size) {
          this.chunks.push(this.#partial);
          this.#partial = undefined;
        }
      } else if (bytes.length - at >= size) {
        this.chunks.push(bytes.subarray(at, at + size));
        at += size;
      } else {
        this.#partial = new Uint8Array(size);
        this.#partial.set(bytes.subarray(at));
        this.#partialBytes = bytes.length - at;
        at = bytes.length;
      }
    }
    return at < bytes.length ? bytes.subarray(at) : undefined;
  }
}

/** Where an account reads its own versions' ciphertext. */
const ownContentPath = (versionId: string): string => `/versions/${versionId}/content`;

/** Reads a version's content for one account. */
export class Downloader {
  constructor(
    private readonly http: HttpClient,
    private readonly content: ContentOptions,
    /** Where a version's ciphertext is read (public links read through a download grant). */
    private readonly contentPath: (versionId: string) => string = ownContentPath,
  ) {}

  /** The plaintext of `version` (or of a range of it) as a stream. */
  async download(version: VersionEntry, options: DownloadOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const plainBytes = version.sizeBytes;
    if (ciphertextSize(plainBytes) !== version.cipherSizeBytes) {
      throw new ClientError('UNREADABLE', 'the version size does not match its ciphertext');
    }
    const start = options.range?.start ?? 0;
    const end = Math.min(options.range?.end ?? plainBytes, plainBytes);
    if (start < 0 || start > end || !Number.isInteger(start) || !Number.isInteger(end)) {
      throw new RangeError(`invalid range ${start}-${end} of a ${plainBytes}-byte file`);
    }
    const totalBytes = end - start;
    const path = this.contentPath(version.id);
    // In a fleet the bytes come straight from the object store, through a presigned URL the
    // server hands out (null: from the server itself). A refused URL (expired) is asked for again.
    // Public links read through their download grant, from the server.
    const getRange = async (
      opened: Pick<OpenedVersion, 'location'>,
      range: string,
      signal: AbortSignal | undefined,
    ): Promise<Response> => {
      for (let attempt = 1; ; attempt++) {
        if (opened.location === undefined) {
          try {
            const answer = await this.http.json(
              'GET',
              `/versions/${version.id}/location`,
              schemas.contentLocationResponse,
              { signal },
            );
            opened.location = answer.location;
          } catch (error) {
            // A server without the route (or a version it does not know: the content route says so).
            if (!(error instanceof ApiError && (error.status === 404 || error.status === 405))) throw error;
            opened.location = null;
          }
        }
        if (opened.location === null) return this.http.raw('GET', path, { headers: { range }, signal });
        const { url, headers } = opened.location;
        try {
          return await this.http.external('GET', url, { headers: { ...headers, range }, signal });
        } catch (error) {
          if (attempt >= 2 || !(error instanceof ApiError && error.status === 403)) throw error;
          opened.location = undefined;
        }
      }
    };
    // Opened for a cache, the version may serve other downloads: this one's signal does not stop it.
    const open = async (signal: AbortSignal | undefined): Promise<OpenedVersion> => {
      const where: Pick<OpenedVersion, 'location'> = {
        location: this.contentPath === ownContentPath ? undefined : null,
      };
      const headerResponse = await getRange(where, `bytes=0-${HEADER_SIZE - 1}`, signal);
      const header = await readPrefix(headerResponse, HEADER_SIZE);
      if (header.length !== HEADER_SIZE)
        throw new ClientError('UNREADABLE', 'the server sent a short header');
      const cipher = await openContentCipher(version.key, contentContext(version.id), header, this.content);
      return { location: where.location, cipher };
    };
    const opened = await (options.cache
      ? options.cache.open(`${this.http.baseUrl} ${path}`, version.key, this.http.token, () =>
          open(undefined),
        )
      : open(options.signal));
    const { cipher } = opened;

    const whole = contentRangeForPlaintext(start, end, plainBytes);
    const empty = totalBytes === 0 && !(start === 0 && plainBytes === 0);
    let nextChunk = whole.firstChunk;
    let doneBytes = 0;
    /** Whether sealed chunks may be views of the connection's pieces ([Note: download copies]). */
    const aliasing = cipher.copiesInput;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    /**
     * Batch buffers whose decryption settled (results never share memory with their input), so
     * reading does not allocate 1 MiB per batch for the garbage collector.
     */
    const freeBatches: Uint8Array[] = [];
    /** Bytes received past the last batch read (a view of what the connection delivered). */
    let carry: Uint8Array | undefined;
    let reconnects = 0;
    const maxReconnects = options.maxReconnects ?? 5;

    const connect = async (): Promise<void> => {
      const from = chunkOffset(nextChunk);
      // A version's content never changes (its id is bound into the encryption), so a plain
      // Range is enough: no If-Range that a differently formatted ETag could defeat.
      const response = await getRange(opened, `bytes=${from}-${whole.cipherEnd - 1}`, options.signal);
      if (response.status !== 206 && response.status !== 200) {
        await response.body?.cancel();
        throw new ClientError('UNREADABLE', 'the server ignored the byte range');
      }
      if (!response.body) throw new ClientError('UNREADABLE', 'the server sent no content');
      if (response.status === 200) {
        // The server ignored the Range and sent the whole content: skip to where we are.
        let skip = from;
        const body = response.body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              if (skip >= chunk.length) {
                skip -= chunk.length;
                return;
              }
              controller.enqueue(chunk.subarray(skip));
              skip = 0;
            },
          }),
        );
        reader = body.getReader();
      } else {
        reader = response.body.getReader();
      }
      carry = undefined;
    };

    /**
     * Reads whole sealed chunks [nextChunk .. nextChunk + count) from the connection. With a
     * backend that reads its inputs later, they are copied as they arrive into one batch buffer:
     * the connection's pieces are then dropped at once instead of living until their batch is
     * complete (long enough to reach the old generation, where each costs a full collection to
     * free). With one that copies at call time, they are views of the pieces, dropped as soon as
     * the batch's decryption was called ([Note: download copies]).
     */
    const readChunks = async (count: number): Promise<Uint8Array[]> => {
      const sizes: number[] = [];
      for (let k = nextChunk; k < nextChunk + count; k++) {
        sizes.push(chunkPlainRange(k, plainBytes).length + TAG_SIZE);
      }
      const need = sizes.reduce((a, b) => a + b, 0);
      const batch = aliasing
        ? undefined
        : need <= BATCH_BYTES
          ? (freeBatches.pop() ?? new Uint8Array(BATCH_BYTES))
          : new Uint8Array(need);
      const collect = (): ChunkCollector => (batch ? new ChunkCopies(batch, sizes) : new ChunkViews(sizes));
      let chunks = collect();
      for (;;) {
        try {
          if (!reader) {
            await connect();
            // A new connection starts again at this batch's first chunk: what the broken one
            // delivered (and every view of it) is dropped.
            chunks = collect();
          }
          if (carry) carry = chunks.take(carry);
          while (!chunks.complete) {
            const { done, value } = await reader!.read();
            if (done) throw new NetworkError('the connection closed before the content ended');
            carry = chunks.take(value);
          }
          break;
        } catch (error) {
          reader = undefined;
          // A body that breaks off mid-stream rejects with a plain TypeError ("terminated").
          const brokenBody = !(error instanceof ApiError) && !(error instanceof ClientError);
          const retryable = isTransient(error) || brokenBody;
          if (options.signal?.aborted || !retryable || reconnects >= maxReconnects) throw error;
          reconnects++;
          await sleep(200 * 2 ** reconnects, options.signal);
        }
      }
      return chunks.chunks;
    };

    /** The plaintext of chunks [first, first + sealed.length), trimmed to the range, in order. */
    const decryptBatch = async (first: number, sealed: Uint8Array[]): Promise<Uint8Array[]> => {
      const last = first + sealed.length - 1;
      const plain = await cipher.decryptChunks(first, sealed, last === whole.finalChunk);
      const slices: Uint8Array[] = [];
      for (let i = 0; i < plain.length; i++) {
        const chunkStart = chunkPlainRange(first + i, plainBytes).start;
        const from = Math.max(start, chunkStart) - chunkStart;
        const to = Math.min(end, chunkStart + plain[i]!.length) - chunkStart;
        if (to > from) slices.push(plain[i]!.subarray(from, to));
      }
      return slices;
    };
    const reuse = (buffer: ArrayBufferLike): void => {
      if (buffer.byteLength === BATCH_BYTES && freeBatches.length < DECRYPT_AHEAD) {
        freeBatches.push(new Uint8Array(buffer));
      }
    };
    /** Batches being decrypted, oldest first (their promises settle in any order). */
    const decrypting: Promise<Uint8Array[]>[] = [];

    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (empty) {
            controller.close();
            return;
          }
          // Keep DECRYPT_AHEAD batches in flight: while one is being decrypted (on another thread,
          // with a backend that has one), the next are read from the connection.
          while (decrypting.length < DECRYPT_AHEAD && nextChunk <= whole.lastChunk) {
            const count = Math.min(BATCH_CHUNKS, whole.lastChunk - nextChunk + 1);
            const first = nextChunk;
            const sealed = await readChunks(count);
            nextChunk += count;
            const batch = decryptBatch(first, sealed);
            // A batch buffer of our own is reused once its decryption settled (views of the
            // connection's pieces are not ours to reuse).
            const own = aliasing ? undefined : sealed[0]!.buffer;
            const settled = (): void => {
              if (own) reuse(own);
            };
            // Marked as handled now; the rejection is still seen, in order, when awaited below.
            batch.then(settled, settled);
            decrypting.push(batch);
            if (nextChunk > whole.lastChunk) {
              await reader?.cancel();
              reader = undefined;
            }
          }
          const batch = decrypting.shift();
          if (batch === undefined) {
            controller.close();
            return;
          }
          // All or nothing: a batch that failed its tag check rejects here, before any of it is
          // enqueued.
          const slices = await batch;
          // One array per batch where that costs no copy (the CLI's backend decrypts a batch into
          // one piece of memory): a consumer writing to a file then makes one write call per batch
          // instead of one per 16 KiB chunk. WebCrypto's plaintexts are separate arrays: joining
          // them would copy every byte once more, and enqueueing them one by one cost the service
          // worker's thread less than that copy, not more (bench/browser.mjs; see the commit that
          // made it so) ([Note: download copies]).
          for (const piece of aliasing ? slices : [join(slices)]) {
            if (piece.length === 0) continue;
            controller.enqueue(piece);
            doneBytes += piece.length;
          }
          options.onProgress?.({ doneBytes, totalBytes });
          if (decrypting.length === 0 && nextChunk > whole.lastChunk) controller.close();
        },
        async cancel(reason) {
          await reader?.cancel(reason);
        },
      },
      // Read ahead: while the consumer writes one batch, the next ones are fetched and decrypted.
      { highWaterMark: READ_AHEAD_BYTES, size: (piece) => piece.byteLength },
    );
  }
}
