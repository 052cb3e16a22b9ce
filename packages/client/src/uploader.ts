// Resumable, parallel, encrypted uploads. The plaintext is read part by part from an abstract
// source and never held whole; each ciphertext part is rebuilt deterministically from the chunks
// it overlaps (random-access chunk encryption), so a part that must be sent again is the same
// bytes. Before a part's bytes leave, the SHA-256 of the plaintext behind it goes into the resume
// record; a resume re-checks every recorded hash (and size and mtime) and starts over with a fresh
// key if anything changed: changed plaintext is never encrypted under the same key and nonces.

import {
  chunkCount,
  CHUNK_SIZE,
  chunkOffset,
  ciphertextSize,
  contentContext,
  createContentCipher,
  encryptAttributes,
  fromB64u,
  nameHash,
  newContentSalt,
  partDigests,
  randomId,
  randomKey,
  toB64u,
  unwrapKey,
  wrapKey,
  type ContentCipher,
  type ContentOptions,
} from '@hoard/crypto';
import { ApiError, ClientError, isTransient } from './api-error.js';
import { compact } from './attributes.js';
import { chunkPlainRange, chunksOfCipherRange } from './content-layout.js';
import type { HttpClient } from './http-client.js';
import { runPool } from './pool.js';
import { schemas, type Upload } from './protocol-adapter.js';
import type { ResumeStore, UploadResumeRecord } from './resume-store.js';
import { withRetry, type RetryOptions } from './retry.js';
import type { RemoteEntry, Tree } from './tree.js';

/** Where upload bytes come from: a file, a Blob, a buffer... read at any offset. */
export interface UploadSource {
  sizeBytes: number;
  /** Modification time, when the source has one (a changed mtime makes a resume start over). */
  mtimeMs?: number;
  /** Reads exactly `length` bytes at `offset` (fewer only if the source shrank). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: reads into `target` (filling it unless the source shrank) and returns the bytes read,
   * so the uploader can reuse one buffer instead of a fresh one per batch.
   */
  readInto?(offset: number, target: Uint8Array): Promise<number>;
}

export interface UploadProgress {
  /** Ciphertext bytes on the server (landed parts included). */
  doneBytes: number;
  totalBytes: number;
}

export interface UploadOptions {
  /** Name of the file in the target folder; an existing file of that name gets a new version. */
  name: string;
  mime?: string;
  /** A small preview image as a data: URL (see VersionAttributes.thumbnail); stored encrypted. */
  thumbnail?: string;
  /** With `resumeKey`, makes the upload resumable across crashes. */
  resumeStore?: ResumeStore;
  resumeKey?: string;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  onProgress?: (progress: UploadProgress) => void;
  /** Called once when an upload continues from parts already on the server. */
  onResume?: (info: { landedParts: number; partCount: number }) => void;
  /** Called when a resume record had to be thrown away (the source changed, the upload expired). */
  onRestart?: (reason: string) => void;
  retry?: RetryOptions;
  signal?: AbortSignal;
  /**
   * What the caller knows is at `name` in the folder already (null: nothing), to save listing the
   * folder once per file. A stale hint costs one retry (the server refuses the stale change).
   */
  existing?: RemoteEntry | null;
}

export interface UploadResult {
  entry: RemoteEntry;
  /** Parts that were already on the server when this call began. */
  resumedParts: number;
  /** True when the upload became a new version of an existing file. */
  newVersion: boolean;
}

/** Chunks encrypted concurrently while a part is built (64 x 16 KiB = 1 MiB). */
const ENCRYPT_BATCH_CHUNKS = 64;

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The ciphertext range [start, end) of part `partNumber`. */
function partRange(upload: { partSizeBytes: number; sizeBytes: number }, partNumber: number) {
  const start = (partNumber - 1) * upload.partSizeBytes;
  return { start, end: Math.min(start + upload.partSizeBytes, upload.sizeBytes) };
}

/** The plaintext range a part's ciphertext depends on (its overlapping chunks). */
function partPlainRange(cipherStart: number, cipherEnd: number, plainBytes: number) {
  const chunks = chunksOfCipherRange(cipherStart, cipherEnd);
  if (!chunks) return { chunks, start: 0, end: 0 };
  const start = chunkPlainRange(chunks.first, plainBytes).start;
  const lastRange = chunkPlainRange(chunks.last, plainBytes);
  return { chunks, start, end: lastRange.start + lastRange.length };
}

async function readExactly(
  source: UploadSource,
  offset: number,
  length: number,
  scratch?: Uint8Array,
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (length === 0) bytes = new Uint8Array(0);
  else if (source.readInto && scratch && scratch.length >= length) {
    const target = scratch.subarray(0, length);
    bytes = target.subarray(0, await source.readInto(offset, target));
  } else bytes = await source.read(offset, length);
  if (bytes.length !== length) throw new Error('the source file changed size while it was being uploaded');
  return bytes;
}

/** Bytes of plaintext read per batch: ENCRYPT_BATCH_CHUNKS whole chunks. */
const BATCH_PLAIN_BYTES = ENCRYPT_BATCH_CHUNKS * CHUNK_SIZE;

/**
 * Buffers reused from part to part (one set per part in flight): a fresh 8 MiB array per part and
 * a fresh 1 MiB array per batch cost a page fault per 4 KiB and garbage collections.
 */
class BufferPool {
  readonly #free: Uint8Array[] = [];
  constructor(private readonly size: number) {}
  take(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(this.size);
  }
  give(buffer: Uint8Array): void {
    this.#free.push(buffer);
  }
}

/**
 * Reads the plaintext behind a part in batches of ENCRYPT_BATCH_CHUNKS chunks (so no part's
 * plaintext is ever held whole), handing each batch to `each`, and returns the part's plaintext
 * digest: SHA-256 over the SHA-256 of every batch (a local format: it only has to be the same on
 * every run, and lets each batch be hashed natively and dropped).
 */
async function readPartBatches(
  source: UploadSource,
  plain: ReturnType<typeof partPlainRange>,
  plainBytes: number,
  each?: (firstChunk: number, lastChunk: number, plaintext: Uint8Array, plainStart: number) => Promise<void>,
  scratch?: Uint8Array,
): Promise<string> {
  if (!plain.chunks) return sha256Hex(new Uint8Array(0));
  const digests: Uint8Array[] = [];
  for (let first = plain.chunks.first; first <= plain.chunks.last; first += ENCRYPT_BATCH_CHUNKS) {
    const last = Math.min(plain.chunks.last, first + ENCRYPT_BATCH_CHUNKS - 1);
    const from = chunkPlainRange(first, plainBytes).start;
    const lastRange = chunkPlainRange(last, plainBytes);
    const plaintext = await readExactly(source, from, lastRange.start + lastRange.length - from, scratch);
    digests.push(new Uint8Array(await crypto.subtle.digest('SHA-256', plaintext as Uint8Array<ArrayBuffer>)));
    if (each) await each(first, last, plaintext, from);
  }
  const all = new Uint8Array(digests.length * 32);
  digests.forEach((d, i) => all.set(d, i * 32));
  return sha256Hex(all);
}

/** Serializes writes to the resume store so records never interleave. */
class RecordWriter {
  #chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly store: ResumeStore | undefined,
    private readonly key: string | undefined,
    readonly record: UploadResumeRecord,
  ) {}

  save(): Promise<void> {
    const { store, key } = this;
    if (!store || key === undefined) return Promise.resolve();
    const snapshot = structuredClone(this.record);
    this.#chain = this.#chain.then(() => store.set(key, snapshot));
    return this.#chain;
  }
}

/** Uploads for one logged-in account. */
export class Uploader {
  constructor(
    private readonly http: HttpClient,
    private readonly tree: Pick<Tree, 'findChild' | 'open'>,
    private readonly masterKey: Uint8Array,
    private readonly content: ContentOptions,
    /** Prefix of the upload routes: '' for the account's own tree, `/shares/<id>` in a shared folder. */
    private readonly prefix = '',
  ) {}

  /** Uploads `source` as `options.name` into `parent`; see UploadOptions for resume. */
  async upload(parent: RemoteEntry, source: UploadSource, options: UploadOptions): Promise<UploadResult> {
    if (parent.type !== 'folder') throw new ClientError('NOT_A_FOLDER', `not a folder: ${parent.path}`);
    const plainBytes = source.sizeBytes;
    const cipherBytes = ciphertextSize(plainBytes);
    const retry = { ...options.retry, signal: options.signal };
    const store = options.resumeKey !== undefined ? options.resumeStore : undefined;

    let state = await this.#tryResume(source, options, cipherBytes);
    let resumedParts = 0;
    if (state) {
      resumedParts = state.upload.parts.length;
      options.onResume?.({ landedParts: resumedParts, partCount: state.upload.partCount });
    } else {
      const versionKey = randomKey();
      const versionId = randomId();
      const salt = newContentSalt();
      const { upload } = await this.http.json('POST', `${this.prefix}/uploads`, schemas.uploadResponse, {
        json: { sizeBytes: cipherBytes },
      });
      checkUpload(upload, cipherBytes);
      const record: UploadResumeRecord = {
        formatVersion: 1,
        uploadId: upload.id,
        versionId,
        nodeId: randomId(),
        saltB64u: toB64u(salt),
        wrappedVersionKeyB64u: toB64u(
          await wrapKey(this.masterKey, versionKey, 'version-key', versionId, this.content),
        ),
        plainSizeBytes: plainBytes,
        cipherSizeBytes: cipherBytes,
        sourceMtimeMs: source.mtimeMs ?? null,
        partSizeBytes: upload.partSizeBytes,
        partCount: upload.partCount,
        partPlainSha256Hex: {},
      };
      state = { upload, record, versionKey };
    }
    const { upload, record, versionKey } = state;
    const writer = new RecordWriter(store, options.resumeKey, record);
    // A new upload of several parts is recorded at once, so that a run killed before its first
    // part lands still continues this upload (and its reserved quota). With one part there is
    // nothing to continue until that part is recorded, just before it leaves: one write, not two,
    // for each of a folder's many small files.
    if (resumedParts === 0 && upload.partCount > 1) await writer.save();

    const cipher = await createContentCipher(
      versionKey,
      contentContext(record.versionId),
      fromB64u(record.saltB64u),
      this.content,
    );
    const landed = new Set(upload.parts.map((p) => p.partNumber));
    let doneBytes = upload.parts.reduce((sum, p) => sum + p.sizeBytes, 0);
    options.onProgress?.({ doneBytes, totalBytes: cipherBytes });

    const missing: number[] = [];
    for (let n = 1; n <= upload.partCount; n++) if (!landed.has(n)) missing.push(n);
    const partBuffers = new BufferPool(Math.min(upload.partSizeBytes, cipherBytes));
    const batchBuffers = new BufferPool(Math.min(BATCH_PLAIN_BYTES, plainBytes));
    await runPool(missing, options.concurrency ?? 4, async (partNumber) => {
      options.signal?.throwIfAborted();
      const { start, end } = partRange(upload, partNumber);
      const buffer = partBuffers.take();
      const scratch = batchBuffers.take();
      try {
        const bytes = buffer.subarray(0, end - start);
        await this.#buildPart(source, cipher, plainBytes, start, bytes, scratch, async (plainHashHex) => {
          const known = record.partPlainSha256Hex[String(partNumber)];
          if (known !== undefined && known !== plainHashHex) {
            throw new Error('the source file changed while it was being uploaded; run the upload again');
          }
          record.partPlainSha256Hex[String(partNumber)] = plainHashHex;
          await writer.save();
        });
        batchBuffers.give(scratch);
        // Parts of uploads into another account's shared folder go through the server, which checks
        // the member's access on every part (no presigned target route exists for them).
        if (upload.partTransfer === 'direct' && this.prefix === '') {
          await this.#sendPartDirect(upload.id, partNumber, bytes, retry, options.signal);
        } else {
          await withRetry(
            () =>
              this.http.json(
                'PUT',
                `${this.prefix}/uploads/${upload.id}/parts/${partNumber}`,
                schemas.partResponse,
                {
                  body: bytes,
                  signal: options.signal,
                },
              ),
            retry,
          );
        }
        doneBytes += bytes.length;
        options.onProgress?.({ doneBytes, totalBytes: cipherBytes });
      } finally {
        // Reused only once this part's request is over (a failed part stops the pool anyway).
        partBuffers.give(buffer);
      }
    });

    const { entry, newVersion } = await this.#complete(
      parent,
      upload.id,
      record,
      versionKey,
      source,
      options,
      retry,
    );
    if (store && options.resumeKey !== undefined) await store.delete(options.resumeKey);
    return { entry, resumedParts, newVersion };
  }

  /**
   * Sends one part straight to the object store: announces its digests, then PUTs it to the
   * presigned URL the server answers (nothing to send if it landed already). A refused URL (expired
   * while waiting) is asked for again.
   */
  async #sendPartDirect(
    uploadId: string,
    partNumber: number,
    bytes: Uint8Array,
    retry: RetryOptions,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { sha256Hex, md5B64 } = await partDigests(bytes);
    await withRetry(
      async () => {
        const { landed, target } = await this.http.json(
          'POST',
          `/uploads/${uploadId}/parts/${partNumber}/target`,
          schemas.partTargetResponse,
          { json: { sha256: sha256Hex, md5: md5B64 }, signal },
        );
        if (landed || !target) return;
        const response = await this.http.external(target.method, target.url, {
          headers: target.headers,
          body: bytes,
          signal,
        });
        await response.body?.cancel();
      },
      {
        ...retry,
        shouldRetry: (error) => isTransient(error) || (error instanceof ApiError && error.status === 403),
      },
    );
  }

  /**
   * Fills `out` with the ciphertext bytes [start, start + out.length), from the chunks they overlap
   * (and the header); `scratch` holds one batch of plaintext at a time.
   */
  async #buildPart(
    source: UploadSource,
    cipher: ContentCipher,
    plainBytes: number,
    start: number,
    out: Uint8Array,
    scratch: Uint8Array,
    beforeSend: (plainHashHex: string) => Promise<void>,
  ): Promise<void> {
    const end = start + out.length;
    const plain = partPlainRange(start, end, plainBytes);
    const header = cipher.header;
    if (start < header.length) out.set(header.subarray(start, Math.min(end, header.length)), 0);
    const total = chunkCount(plainBytes);
    // Encrypt batch by batch straight into `out`: concurrent enough for WebCrypto, and never more
    // than one batch of plaintext and sealed chunks alive beside the part itself.
    const digestHex = await readPartBatches(
      source,
      plain,
      plainBytes,
      async (first, last, plaintext, from) => {
        const plaintexts: Uint8Array[] = [];
        for (let k = first; k <= last; k++) {
          const range = chunkPlainRange(k, plainBytes);
          plaintexts.push(plaintext.subarray(range.start - from, range.start - from + range.length));
        }
        // One call per batch: a backend with a batch form (the CLI's worker threads) takes it whole.
        const sealed = await cipher.encryptChunks(first, plaintexts, last === total - 1);
        sealed.forEach((chunk, i) => {
          const chunkStart = chunkOffset(first + i);
          const lo = Math.max(start, chunkStart);
          const hi = Math.min(end, chunkStart + chunk.length);
          if (hi > lo) out.set(chunk.subarray(lo - chunkStart, hi - chunkStart), lo - start);
        });
        cipher.releaseChunks(sealed);
      },
      scratch,
    );
    // Recorded (and compared with what an earlier run sent) before a byte of this part leaves.
    await beforeSend(digestHex);
  }

  /** Loads and checks a resume record; undefined means start afresh (the old upload is dropped). */
  async #tryResume(
    source: UploadSource,
    options: UploadOptions,
    cipherBytes: number,
  ): Promise<{ upload: Upload; record: UploadResumeRecord; versionKey: Uint8Array } | undefined> {
    const { resumeStore: store, resumeKey: key } = options;
    if (!store || key === undefined) return undefined;
    const record = await store.get(key);
    if (!record) return undefined;
    const restart = async (reason: string, dropUpload: boolean): Promise<undefined> => {
      options.onRestart?.(reason);
      if (dropUpload) {
        try {
          await this.http.empty('DELETE', `${this.prefix}/uploads/${record.uploadId}`);
        } catch {
          // already gone or expired: nothing to release
        }
      }
      await store.delete(key);
      return undefined;
    };
    if (
      record.formatVersion !== 1 ||
      record.plainSizeBytes !== source.sizeBytes ||
      record.cipherSizeBytes !== cipherBytes ||
      record.sourceMtimeMs !== (source.mtimeMs ?? null)
    ) {
      return restart('the local file changed since the upload began; starting over', true);
    }
    let upload: Upload;
    try {
      ({ upload } = await this.http.json(
        'GET',
        `${this.prefix}/uploads/${record.uploadId}`,
        schemas.uploadResponse,
      ));
      checkUpload(upload, cipherBytes);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 410)) {
        return restart('the unfinished upload expired on the server; starting over', false);
      }
      throw error;
    }
    if (upload.partSizeBytes !== record.partSizeBytes || upload.partCount !== record.partCount) {
      return restart('the unfinished upload does not match the local record; starting over', true);
    }
    for (const [partNumber, hashHex] of Object.entries(record.partPlainSha256Hex)) {
      const { start, end } = partRange(upload, Number(partNumber));
      const plain = partPlainRange(start, end, source.sizeBytes);
      if ((await readPartBatches(source, plain, source.sizeBytes)) !== hashHex) {
        return restart('the local file changed since the upload began; starting over', true);
      }
    }
    const versionKey = await unwrapKey(
      this.masterKey,
      fromB64u(record.wrappedVersionKeyB64u),
      'version-key',
      record.versionId,
      this.content,
    );
    return { upload, record, versionKey };
  }

  /** Completes the upload as a new file, or as a new version of the file already there. */
  async #complete(
    parent: RemoteEntry,
    uploadId: string,
    record: UploadResumeRecord,
    versionKey: Uint8Array,
    source: UploadSource,
    options: UploadOptions,
    retry: RetryOptions,
  ): Promise<{ entry: RemoteEntry; newVersion: boolean }> {
    const versionAttrs = await encryptAttributes(
      versionKey,
      'version',
      record.versionId,
      compact({
        sizeBytes: source.sizeBytes,
        mtimeMs: source.mtimeMs,
        mime: options.mime,
        thumbnail: options.thumbnail,
      }),
      this.content,
    );
    for (let attempt = 1; ; attempt++) {
      // The caller may already know what is there (a folder listed once for many files).
      const existing =
        attempt === 1 && options.existing !== undefined
          ? (options.existing ?? undefined)
          : await this.tree.findChild(parent, options.name);
      try {
        if (existing) {
          if (existing.type !== 'file') {
            throw new ClientError('NAME_TAKEN', `a folder of that name exists: ${existing.path}`);
          }
          const { node } = await withRetry(
            async () =>
              this.http.json('POST', `${this.prefix}/uploads/${uploadId}/complete`, schemas.nodeResponse, {
                json: {
                  kind: 'new-version',
                  nodeId: existing.id,
                  revision: existing.node.revision,
                  version: {
                    id: record.versionId,
                    wrappedKey: toB64u(
                      await wrapKey(existing.key, versionKey, 'version-key', record.versionId, this.content),
                    ),
                    encryptedAttrs: toB64u(versionAttrs),
                  },
                },
              }),
            retry,
          );
          return { entry: await this.tree.open(node, parent), newVersion: true };
        }
        const nodeKey = randomKey();
        const nodeId = record.nodeId;
        const { node } = await withRetry(
          async () =>
            this.http.json('POST', `${this.prefix}/uploads/${uploadId}/complete`, schemas.nodeResponse, {
              json: {
                kind: 'new-file',
                node: {
                  id: nodeId,
                  parentId: parent.id,
                  wrappedKey: toB64u(await wrapKey(parent.key, nodeKey, 'node-key', nodeId, this.content)),
                  encryptedAttrs: toB64u(
                    await encryptAttributes(
                      nodeKey,
                      'node',
                      nodeId,
                      compact({ name: options.name, mime: options.mime }),
                      this.content,
                    ),
                  ),
                  nameHash: await nameHash(parent.key, options.name),
                },
                version: {
                  id: record.versionId,
                  wrappedKey: toB64u(
                    await wrapKey(nodeKey, versionKey, 'version-key', record.versionId, this.content),
                  ),
                  encryptedAttrs: toB64u(versionAttrs),
                },
              },
            }),
          retry,
        );
        return { entry: await this.tree.open(node, parent), newVersion: false };
      } catch (error) {
        const raced =
          error instanceof ApiError && (error.code === 'NAME_TAKEN' || error.code === 'REVISION_CONFLICT');
        if (!raced || attempt >= 3) throw error;
      }
    }
  }
}

function checkUpload(upload: Upload, cipherBytes: number): void {
  if (
    upload.sizeBytes !== cipherBytes ||
    upload.partCount !== Math.max(1, Math.ceil(cipherBytes / upload.partSizeBytes)) ||
    upload.parts.some((p) => p.partNumber < 1 || p.partNumber > upload.partCount)
  ) {
    throw new ClientError('UNREADABLE', 'the server described an upload that does not match our file');
  }
}
