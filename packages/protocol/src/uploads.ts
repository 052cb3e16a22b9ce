// Schemas of resumable uploads: declare a ciphertext size, PUT parts idempotently, complete into a
// new file or a new version of a file.
import { z } from 'zod';
import {
  EncryptedAttrs,
  NameHash,
  NodeId,
  SizeBytes,
  Timestamp,
  UploadId,
  VersionId,
  WrappedKey,
} from './ids.js';
import { Revision } from './tree.js';

/** Smallest part size (S3's multipart minimum). */
export const MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
/** Part size used unless the upload is so large that it would need more than MAX_PART_COUNT parts. */
export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
/** Most parts an upload may have. */
export const MAX_PART_COUNT = 10_000;

/** One part that has landed. */
export const UploadPart = z.object({
  partNumber: z.number().int().min(1).max(MAX_PART_COUNT),
  sizeBytes: SizeBytes,
  /** SHA-256 of the part's bytes, lowercase hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type UploadPart = z.infer<typeof UploadPart>;

/** An upload is open until it is completed. */
export const UploadState = z.enum(['open', 'completed']);
export type UploadState = z.infer<typeof UploadState>;

/** A resumable upload: its geometry and the parts that have landed. */
export const Upload = z.object({
  id: UploadId,
  sizeBytes: SizeBytes,
  partSizeBytes: SizeBytes,
  partCount: z.number().int().min(0).max(MAX_PART_COUNT),
  /** The parts that have landed, by part number. */
  parts: z.array(UploadPart),
  expiresAt: Timestamp,
  state: UploadState,
});
export type Upload = z.infer<typeof Upload>;

/** Body of `POST /uploads`: the ciphertext size (reserved against the quota). */
export const CreateUploadRequest = z.object({ sizeBytes: SizeBytes });
export type CreateUploadRequest = z.infer<typeof CreateUploadRequest>;
/** Answer of `POST /uploads` and `GET /uploads/:id`. */
export const UploadResponse = z.object({ upload: Upload });
export type UploadResponse = z.infer<typeof UploadResponse>;
/** Answer of `PUT /uploads/:id/parts/:partNumber`. */
export const PartResponse = z.object({ part: UploadPart });
export type PartResponse = z.infer<typeof PartResponse>;

/** The new version's key (wrapped by the file's key) and its encrypted attributes. */
export const NewVersion = z.object({ id: VersionId, wrappedKey: WrappedKey, encryptedAttrs: EncryptedAttrs });
export type NewVersion = z.infer<typeof NewVersion>;

/** Body of `POST /uploads/:id/complete`: a new file, or a new version of a file at a revision. */
export const CompleteUploadRequest = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('new-file'),
    node: z.object({
      id: NodeId,
      parentId: NodeId,
      wrappedKey: WrappedKey,
      encryptedAttrs: EncryptedAttrs,
      nameHash: NameHash,
    }),
    version: NewVersion,
  }),
  z.object({
    kind: z.literal('new-version'),
    nodeId: NodeId,
    revision: Revision,
    version: NewVersion,
  }),
]);
export type CompleteUploadRequest = z.infer<typeof CompleteUploadRequest>;
