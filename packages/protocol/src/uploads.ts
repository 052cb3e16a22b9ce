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

/**
 * How part bytes travel: `server` (PUT /uploads/:id/parts/:n to the API server) or `direct` (ask
 * for a presigned URL per part, PUT the bytes straight to the object store).
 */
export const PartTransfer = z.enum(['server', 'direct']);
export type PartTransfer = z.infer<typeof PartTransfer>;

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
  /** Absent from servers that only take parts themselves. */
  partTransfer: PartTransfer.default('server'),
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

/** Body of `POST /uploads/:id/parts/:partNumber/target`: the digests of the part about to be sent. */
export const PartTargetRequest = z.object({
  /** SHA-256 of the part's bytes, lowercase hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** MD5 of the part's bytes, base64 (the object store checks it: Content-MD5). */
  md5: z.string().regex(/^[A-Za-z0-9+/]{22}==$/),
});
export type PartTargetRequest = z.infer<typeof PartTargetRequest>;

/** A request the client sends as given: to a presigned URL of the object store. */
export const PresignedRequest = z.object({
  url: z.url(),
  method: z.enum(['GET', 'PUT']),
  /** Headers to send with it (signed into the URL). */
  headers: z.record(z.string(), z.string()),
  expiresAt: Timestamp,
});
export type PresignedRequest = z.infer<typeof PresignedRequest>;

/** Answer of `POST /uploads/:id/parts/:partNumber/target`: the part landed already, or where to PUT it. */
export const PartTargetResponse = z.object({
  landed: UploadPart.nullable(),
  target: PresignedRequest.nullable(),
});
export type PartTargetResponse = z.infer<typeof PartTargetResponse>;

/** Answer of `GET /versions/:versionId/location`: a presigned URL for the content, or null (use `/content`). */
export const ContentLocationResponse = z.object({ location: PresignedRequest.nullable() });
export type ContentLocationResponse = z.infer<typeof ContentLocationResponse>;

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
