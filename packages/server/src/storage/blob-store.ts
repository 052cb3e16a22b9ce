// The one interface behind which blob bytes live: local disk on one box (FsBlobStore), an
// S3-compatible bucket in a fleet (S3BlobStore, a later issue). Blobs are opaque ciphertext; a store
// never interprets them, never buffers a whole part or blob in memory, and never logs their bytes.
// Every implementation must pass the contract suite in blob-store-contract.ts.
//
// [Note: multipart mapping] createMultipart / putPart / completeMultipart / abortMultipart map one
// to one onto S3's CreateMultipartUpload / UploadPart / CompleteMultipartUpload /
// AbortMultipartUpload. Parts are numbered from 1 and laid end to end in part-number order, so the
// offset a caller passes to putPart is the sum of the sizes of the parts before it; an S3 store
// ignores it, a disk store writes there. The caller (modules/transfers) records which parts landed;
// completeMultipart receives that record, and a store that needs per-part tokens (S3 ETags) looks
// them up itself (ListParts) rather than widening this interface.
import type { Readable } from 'node:stream';

/** One landed part of a multipart blob write. */
export interface StoredPart {
  partNumber: number;
  sizeBytes: number;
  /** SHA-256 of the part's bytes, lowercase hex. */
  sha256Hex: string;
  /**
   * MD5 of the part's bytes, lowercase hex, for a part the client sent straight to the store: the
   * store's completion then refuses unless it holds the part with this MD5 (S3: its ETag).
   */
  md5Hex?: string;
}

export interface ByteRange {
  start: number;
  /** Inclusive, as in HTTP. */
  end: number;
}

/** An unfinished multipart write, as listUnfinished reports it. */
export interface UnfinishedBlob {
  key: string;
  /**
   * A handle that aborts it. Not necessarily the one createMultipart returned (an S3 store cannot
   * list an upload's size): callers match unfinished writes to their records by key.
   */
  handle: string;
  /** How long ago the write began or last received bytes, by the store's own clock. */
  ageMs: number;
}

export interface BlobStore {
  /**
   * Begins writing the blob `key` of exactly `sizeBytes` bytes; returns a handle to persist.
   * `key` is the caller's choice: 8 to 200 characters of base64url (`[A-Za-z0-9_-]`).
   */
  createMultipart(key: string, sizeBytes: number): Promise<string>;
  /**
   * Stores part `partNumber` (1-based) at byte `offsetBytes`. Reads exactly `sizeBytes` bytes from
   * `body`, hashing them as they stream; a shorter or longer body (or one that errors) rejects and
   * leaves no part behind. Resolves only once the part's bytes are durable, so a caller may record
   * the part as landed as soon as this resolves. Never called twice at once for the same part.
   */
  putPart(
    key: string,
    handle: string,
    part: { partNumber: number; offsetBytes: number; sizeBytes: number },
    body: Readable,
  ): Promise<StoredPart>;
  /**
   * Makes the blob durable and readable under `key`; after it resolves, a crash loses nothing.
   * `parts` must be numbered 1..n and cover the blob exactly. Idempotent: completing a blob that is
   * already complete under `key` succeeds.
   */
  completeMultipart(key: string, handle: string, parts: readonly StoredPart[]): Promise<void>;
  /** Drops an unfinished blob and its parts. Idempotent. Never touches a completed blob. */
  abortMultipart(key: string, handle: string): Promise<void>;
  /**
   * Every unfinished multipart write (S3: ListMultipartUploads), so that writes nobody recorded
   * (the server died between createMultipart and saving the handle) can be found and aborted.
   * Optional only so that test fakes need not list; FsBlobStore and S3BlobStore implement it, and
   * the contract suite requires it.
   */
  listUnfinished?(): AsyncIterable<UnfinishedBlob>;
  /**
   * Streams the blob, or one byte range of it. Rejects with BlobNotFoundError if absent, and with
   * a RangeError unless 0 <= start <= end < size.
   */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Size in bytes, or undefined if there is no such blob. */
  sizeOf(key: string): Promise<number | undefined>;
  /** Deletes the blob. Idempotent: deleting a missing blob succeeds. */
  delete(key: string): Promise<void>;
}

/** A part as an object store holds it (S3 ListParts). */
export interface BucketPart {
  partNumber: number;
  sizeBytes: number;
  /** The ETag without quotes: for a plain (non-KMS) part, the MD5 of its bytes in hex. */
  etag: string;
}

/** A presigned request: the client sends it as given, with these headers. */
export interface PresignedRequest {
  url: string;
  method: 'GET' | 'PUT';
  headers: Record<string, string>;
}

/**
 * A store that clients can reach themselves (S3BlobStore): part uploads and downloads go straight
 * between client and store through presigned URLs, and the server only checks what landed.
 */
export interface DirectTransferStore {
  /** A presigned PUT of one part whose MD5 (base64) is signed in. */
  presignPart(
    key: string,
    handle: string,
    part: { partNumber: number; sizeBytes: number; md5B64: string },
    ttlSeconds: number,
  ): Promise<PresignedRequest>;
  /** A presigned GET of a whole blob (Range works on it). */
  presignRead(key: string, ttlSeconds: number): Promise<PresignedRequest>;
  /** The parts the store holds for an unfinished write; undefined once it is gone. */
  listParts(key: string, handle: string): Promise<BucketPart[] | undefined>;
}

/** Whether `store` can hand out presigned URLs. */
export function isDirectTransferStore(store: BlobStore): store is BlobStore & DirectTransferStore {
  const candidate = store as Partial<DirectTransferStore>;
  return (
    typeof candidate.presignPart === 'function' &&
    typeof candidate.presignRead === 'function' &&
    typeof candidate.listParts === 'function'
  );
}

/** The blob (or the unfinished multipart write) does not exist. */
export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  constructor(message = 'no such blob', options?: ErrorOptions) {
    super(message, options);
  }
}

/** A part's body was shorter or longer than its declared size. Nothing of it was counted. */
export class PartSizeMismatchError extends Error {
  override readonly name = 'PartSizeMismatchError';
  constructor(
    readonly expectedBytes: number,
    /** How many bytes arrived before the mismatch was seen (for a long body: expected + 1 or more). */
    readonly receivedBytes: number,
  ) {
    super(
      `part body has ${receivedBytes > expectedBytes ? 'more' : 'fewer'} bytes than the declared ${expectedBytes}`,
    );
  }
}

/** The parts given to completeMultipart do not cover the blob exactly (a part missing, or sizes off). */
export class IncompleteBlobError extends Error {
  override readonly name = 'IncompleteBlobError';
}

const BLOB_KEY = /^[A-Za-z0-9_-]{8,200}$/;

/** Whether `key` is a valid blob key: 8 to 200 characters of base64url. */
export function isBlobKey(key: string): boolean {
  return BLOB_KEY.test(key);
}

/** Throws unless `key` is a valid blob key (so no store ever builds a path or URL from junk). */
export function assertBlobKey(key: string): void {
  if (!isBlobKey(key)) throw new TypeError('invalid blob key');
}
