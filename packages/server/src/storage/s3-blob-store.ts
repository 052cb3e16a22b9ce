// S3BlobStore: blobs as objects in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO...), through
// AWS SDK v3. An upload is one S3 multipart upload; the store's handle is its UploadId. Parts stream
// straight through (hashed and counted on the way, never buffered whole); completion lists the
// parts the bucket holds (ListParts) and refuses unless they are exactly the ones recorded, with
// their sizes (and, for parts sent straight to the bucket, their MD5 ETags: see presignPart).
//
// Quirks handled here (../shared/tools/README.md): path-style URLs; checksums only WHEN_REQUIRED
// (streamed bodies otherwise fail on RGW); any 404 on ListParts means "upload gone"; Complete after
// Abort is a 500 (so the upload's existence is checked with ListParts first); Complete may answer
// an empty ETag (never used).
//
// Never: build an object key from an unchecked blob key; log bytes, keys or presigned URLs.
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type Part,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertBlobKey,
  BlobNotFoundError,
  IncompleteBlobError,
  isBlobKey,
  PartSizeMismatchError,
  type BlobStore,
  type BucketPart,
  type ByteRange,
  type DirectTransferStore,
  type PresignedRequest,
  type StoredPart,
  type UnfinishedBlob,
} from './blob-store.js';

/** Where the bucket is and how to reach it (HOARD_S3_* in config.ts). */
export interface S3Settings {
  endpoint?: string | undefined;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Prefix of every object key (default `blobs/`); tests give each store its own. */
  keyPrefix?: string;
}

/**
 * [Note: S3 handles] A store handle is `<sizeBytes>:<UploadId>`: S3 does not tell an unfinished
 * upload's intended size, and completion must refuse parts that do not cover the blob. An unfinished
 * write found by listUnfinished (ListMultipartUploads knows no size) has the handle `?:<UploadId>`,
 * good for aborting it; callers match unfinished writes to uploads by key.
 */
function parseHandle(handle: string): { sizeBytes: number | undefined; uploadId: string } {
  const colon = handle.indexOf(':');
  const size = handle.slice(0, colon);
  const uploadId = handle.slice(colon + 1);
  if (colon < 1 || uploadId === '' || !/^(\d{1,16}|\?)$/.test(size))
    throw new TypeError('invalid multipart handle');
  return { sizeBytes: size === '?' ? undefined : Number(size), uploadId };
}

function statusOf(error: unknown): number | undefined {
  if (error instanceof S3ServiceException) return error.$metadata.httpStatusCode;
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return meta?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return statusOf(error) === 404 || name === 'NoSuchUpload' || name === 'NoSuchKey' || name === 'NotFound';
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

/** Counts and hashes a part on its way to the bucket; errors (and stops) unless it is exactly `sizeBytes`. */
class ExactPart extends Transform {
  readonly #hash = createHash('sha256');
  #received = 0;
  mismatch: PartSizeMismatchError | undefined;

  constructor(private readonly sizeBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#received + chunk.byteLength > this.sizeBytes) {
      this.mismatch = new PartSizeMismatchError(this.sizeBytes, this.#received + chunk.byteLength);
      callback(this.mismatch);
      return;
    }
    this.#received += chunk.byteLength;
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#received !== this.sizeBytes) {
      this.mismatch = new PartSizeMismatchError(this.sizeBytes, this.#received);
      callback(this.mismatch);
      return;
    }
    callback();
  }

  digestHex(): string {
    return this.#hash.digest('hex');
  }
}

export class S3BlobStore implements BlobStore, DirectTransferStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly #prefix: string;

  constructor(settings: S3Settings) {
    this.bucket = settings.bucket;
    this.#prefix = settings.keyPrefix ?? 'blobs/';
    this.client = new S3Client({
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // A store that does not answer must not hold a request (or the start) for minutes.
      maxAttempts: 3,
    });
  }

  /** The object key of blob `key` inside the bucket. */
  #objectKey(key: string): string {
    assertBlobKey(key);
    return `${this.#prefix}${key}`;
  }

  /** Creates the bucket unless it exists; throws a clear error if the store cannot be reached. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (!isNotFound(error)) {
        throw new Error(`the S3 bucket ${this.bucket} cannot be reached: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou') {
        throw new Error(`the S3 bucket ${this.bucket} cannot be created: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
  }

  async createMultipart(key: string, sizeBytes: number): Promise<string> {
    const Key = this.#objectKey(key);
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) throw new RangeError('invalid blob size');
    const out = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key,
        ContentType: 'application/octet-stream',
      }),
    );
    if (!out.UploadId) throw new Error('the S3 store returned no upload id');
    return `${sizeBytes}:${out.UploadId}`;
  }

  async putPart(
    key: string,
    handle: string,
    part: { partNumber: number; offsetBytes: number; sizeBytes: number },
    body: Readable,
  ): Promise<StoredPart> {
    const Key = this.#objectKey(key);
    const { partNumber, sizeBytes } = part;
    if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      body.destroy();
      throw new RangeError('invalid part number');
    }
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      body.destroy();
      throw new RangeError('invalid part size');
    }
    const exact = new ExactPart(sizeBytes);
    // The SDK pipes the body into its request and would wait for ever on a body that failed: abort
    // the request instead when the part turns out short, long, or broken.
    const controller = new AbortController();
    const onError = (error: Error) => controller.abort(error);
    exact.on('error', onError);
    const onBodyError = (error: Error) => exact.destroy(error);
    body.on('error', onBodyError);
    body.pipe(exact);
    try {
      await this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key,
          UploadId: parseHandle(handle).uploadId,
          PartNumber: partNumber,
          ContentLength: sizeBytes,
          Body: sizeBytes === 0 ? Buffer.alloc(0) : exact,
        }),
        { abortSignal: controller.signal },
      );
      if (sizeBytes === 0) {
        // The SDK never read the (empty) stream: drain it so that its size is still checked.
        for await (const chunk of exact) void chunk;
      }
    } catch (error) {
      body.unpipe(exact);
      if (!body.destroyed) body.destroy();
      if (!exact.destroyed) exact.destroy();
      if (exact.mismatch) throw exact.mismatch;
      if (isNotFound(error)) throw new BlobNotFoundError('no such unfinished blob', { cause: error });
      throw error;
    }
    if (exact.mismatch) throw exact.mismatch;
    return { partNumber, sizeBytes, sha256Hex: exact.digestHex() };
  }

  /** Every part the bucket holds for an unfinished blob; undefined when the upload is gone. */
  async listParts(key: string, handle: string): Promise<BucketPart[] | undefined> {
    const Key = this.#objectKey(key);
    const parts: BucketPart[] = [];
    let marker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(
          new ListPartsCommand({
            Bucket: this.bucket,
            Key,
            UploadId: parseHandle(handle).uploadId,
            ...(marker ? { PartNumberMarker: marker } : {}),
          }),
        );
      } catch (error) {
        // RGW answers NoSuchKey (404) for an aborted or unknown upload: any 404 is "gone".
        if (isNotFound(error)) return undefined;
        throw error;
      }
      for (const p of page.Parts ?? []) {
        if (p.PartNumber === undefined || p.Size === undefined) continue;
        parts.push({ partNumber: p.PartNumber, sizeBytes: p.Size, etag: unquote(p.ETag) });
      }
      if (!page.IsTruncated || !page.NextPartNumberMarker) return parts;
      marker = page.NextPartNumberMarker;
    }
  }

  async completeMultipart(key: string, handle: string, parts: readonly StoredPart[]): Promise<void> {
    const Key = this.#objectKey(key);
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    sorted.forEach((p, i) => {
      if (p.partNumber !== i + 1) throw new IncompleteBlobError(`part ${i + 1} is missing`);
    });
    const totalBytes = sorted.reduce((sum, p) => sum + p.sizeBytes, 0);
    const { sizeBytes, uploadId } = parseHandle(handle);
    if (sizeBytes !== undefined && sizeBytes !== totalBytes) {
      throw new IncompleteBlobError('the parts do not cover the blob');
    }
    const held = await this.listParts(key, handle);
    if (held === undefined) {
      // Completed before (a retry after a lost answer), or aborted: only a whole blob counts.
      const size = await this.sizeOf(key);
      if (size === undefined) throw new BlobNotFoundError('no such unfinished blob');
      if (size !== totalBytes) throw new IncompleteBlobError('the parts do not cover the blob');
      return;
    }
    const byNumber = new Map(held.map((p) => [p.partNumber, p]));
    const chosen: Part[] = [];
    for (const p of sorted) {
      const bucketPart = byNumber.get(p.partNumber);
      if (bucketPart?.sizeBytes !== p.sizeBytes) {
        throw new IncompleteBlobError(`part ${p.partNumber} is missing or has another size in the bucket`);
      }
      if (p.md5Hex !== undefined && bucketPart.etag !== p.md5Hex) {
        throw new IncompleteBlobError(`part ${p.partNumber} in the bucket holds other bytes than announced`);
      }
      chosen.push({ PartNumber: p.partNumber, ETag: `"${bucketPart.etag}"` });
    }
    if (held.length !== sorted.length) {
      throw new IncompleteBlobError('the bucket holds parts beyond the blob');
    }
    if (chosen.length === 0) {
      // S3 multipart needs one part: an empty blob is one empty part.
      throw new IncompleteBlobError('an upload has at least one part');
    }
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId: uploadId,
          MultipartUpload: { Parts: chosen },
        }),
      );
    } catch (error) {
      // A concurrent completion of the same blob may have finished first.
      if ((await this.sizeOf(key)) === totalBytes && (await this.listParts(key, handle)) === undefined)
        return;
      const name = (error as { name?: string }).name;
      if (name === 'InvalidPart' || name === 'EntityTooSmall' || name === 'InvalidPartOrder') {
        throw new IncompleteBlobError(`the bucket refused the parts (${name})`, { cause: error });
      }
      throw error;
    }
    const size = await this.sizeOf(key);
    if (size !== totalBytes) throw new Error(`the completed blob holds ${size} bytes, not ${totalBytes}`);
  }

  async abortMultipart(key: string, handle: string): Promise<void> {
    const Key = this.#objectKey(key);
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: parseHandle(handle).uploadId }),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async *listUnfinished(): AsyncIterable<UnfinishedBlob> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: this.#prefix,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key?.startsWith(this.#prefix)) continue;
        const key = upload.Key.slice(this.#prefix.length);
        if (!isBlobKey(key) || !upload.UploadId) continue;
        const startedMs = upload.Initiated?.getTime() ?? Date.now();
        yield { key, handle: `?:${upload.UploadId}`, ageMs: Math.max(0, Date.now() - startedMs) };
      }
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
      if (!keyMarker && !uploadIdMarker) return;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const Key = this.#objectKey(key);
    if (range !== undefined) {
      const size = await this.sizeOf(key);
      if (size === undefined) throw new BlobNotFoundError();
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
    }
    let out;
    try {
      out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(undefined, { cause: error });
      throw error;
    }
    const body = out.Body;
    if (body === undefined) return Readable.from([]);
    if (body instanceof Readable) return body;
    // Any other SDK body shape: pass it through a Node stream.
    const pass = new PassThrough();
    Readable.fromWeb(body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]).pipe(pass);
    return pass;
  }

  async sizeOf(key: string): Promise<number | undefined> {
    const Key = this.#objectKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return out.ContentLength;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.#objectKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
  }

  /**
   * A presigned PUT of one part straight to the bucket, valid `ttlSeconds`. The part's MD5 is
   * signed in (Content-MD5), so the bucket refuses other bytes, and the part's ETag (checked at
   * completion) is that MD5; the part number and upload id are signed in too.
   */
  async presignPart(
    key: string,
    handle: string,
    part: { partNumber: number; sizeBytes: number; md5B64: string },
    ttlSeconds: number,
  ): Promise<PresignedRequest> {
    const command = new UploadPartCommand({
      Bucket: this.bucket,
      Key: this.#objectKey(key),
      UploadId: parseHandle(handle).uploadId,
      PartNumber: part.partNumber,
      ContentLength: part.sizeBytes,
      ContentMD5: part.md5B64,
    });
    const url = await getSignedUrl(this.client, command, {
      expiresIn: ttlSeconds,
      signableHeaders: new Set(['content-md5']),
    });
    return { url, method: 'PUT', headers: { 'content-md5': part.md5B64 } };
  }

  /** A presigned GET of a blob, valid `ttlSeconds`; Range requests work on it. */
  async presignRead(key: string, ttlSeconds: number): Promise<PresignedRequest> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) });
    const url = await getSignedUrl(this.client, command, { expiresIn: ttlSeconds });
    return { url, method: 'GET', headers: {} };
  }

  /** Releases the HTTP connections. */
  close(): void {
    this.client.destroy();
  }
}
