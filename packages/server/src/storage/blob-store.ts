// The one interface behind which blob bytes live: local disk on one box (FsBlobStore), an
// S3-compatible bucket in a fleet (S3BlobStore, a later issue). Blobs are opaque ciphertext; a store
// never interprets them. Every implementation must pass the contract suite in
// blob-store-contract.ts.
import type { Readable } from 'node:stream';

/** One landed part of a multipart blob write. */
export interface StoredPart {
  partNumber: number;
  sizeBytes: number;
  sha256Hex: string;
}

export interface ByteRange {
  start: number;
  /** Inclusive, as in HTTP. */
  end: number;
}

export interface BlobStore {
  /** Begins writing the blob `key` of exactly `sizeBytes` bytes; returns a handle to persist. */
  createMultipart(key: string, sizeBytes: number): Promise<string>;
  /**
   * Stores part `partNumber` (1-based) at byte `offsetBytes`. Reads exactly `sizeBytes` bytes from
   * `body`; a shorter or longer body rejects and leaves no part behind.
   */
  putPart(
    key: string,
    handle: string,
    part: { partNumber: number; offsetBytes: number; sizeBytes: number },
    body: Readable,
  ): Promise<StoredPart>;
  /** Makes the blob durable and readable under `key`; after it resolves, a crash loses nothing. */
  completeMultipart(key: string, handle: string, parts: readonly StoredPart[]): Promise<void>;
  /** Drops an unfinished blob and its parts. Idempotent. */
  abortMultipart(key: string, handle: string): Promise<void>;
  /** Streams the blob, or one byte range of it. Rejects with a NotFound-style error if absent. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Size in bytes, or undefined if there is no such blob. */
  sizeOf(key: string): Promise<number | undefined>;
  /** Deletes the blob. Idempotent: deleting a missing blob succeeds. */
  delete(key: string): Promise<void>;
}
