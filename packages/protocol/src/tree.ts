// Schemas of the encrypted tree: nodes (folders and files), their versions, trash. The server sees
// wrapped keys, encrypted attributes and name hashes only, never a name.
import { z } from 'zod';
import { EncryptedAttrs, NameHash, NodeId, SizeBytes, Timestamp, VersionId, WrappedKey } from './ids.js';

/** Revisions start at 1 and grow by one on every change of a node. */
export const Revision = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** One stored content of a file: its own key (wrapped by the file's key) and attributes. */
export const Version = z.object({
  id: VersionId,
  nodeId: NodeId,
  wrappedKey: WrappedKey,
  encryptedAttrs: EncryptedAttrs,
  /** Ciphertext size. */
  sizeBytes: SizeBytes,
  createdAt: Timestamp,
});
export type Version = z.infer<typeof Version>;

/** A node is a folder or a file. */
export const NodeType = z.enum(['folder', 'file']);
export type NodeType = z.infer<typeof NodeType>;

/**
 * A folder or a file. `parentId` is null for the root; for a node at the top of the trash it is the
 * folder it was trashed from. `nameHash` is "" for the root.
 */
export const Node = z.object({
  id: NodeId,
  parentId: NodeId.nullable(),
  type: NodeType,
  revision: Revision,
  wrappedKey: WrappedKey,
  encryptedAttrs: EncryptedAttrs,
  nameHash: z.union([NameHash, z.literal('')]),
  /** Ciphertext size of the current version; 0 for folders. */
  sizeBytes: SizeBytes,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Set only on the node at the top of a trashed subtree. */
  trashedAt: Timestamp.nullable(),
  currentVersion: Version.nullable(),
});
export type Node = z.infer<typeof Node>;

/** Answer of every route that returns one node. */
export const NodeResponse = z.object({ node: Node });
export type NodeResponse = z.infer<typeof NodeResponse>;
/** The most nodes one page of a listing holds (and how many it holds unless asked for fewer). */
export const NODES_PAGE_MAX = 5000;

/**
 * Query of a paged listing of nodes (a folder's children, the trash): a page of `limit` nodes in id
 * order, starting after the id `after` (the `next` of the page before). Keyset paging: a page costs
 * the same wherever it starts, and no answer grows with the listing.
 */
export const PageQuery = z.object({
  after: NodeId.optional(),
  limit: z.coerce.number().int().min(1).max(NODES_PAGE_MAX).default(NODES_PAGE_MAX),
});
export type PageQuery = z.infer<typeof PageQuery>;

/**
 * Query of the children routes: a page, or with `nameHash` the one live child of that name (if
 * any), so that finding a name in a folder of a million entries costs one small answer.
 */
export const ChildrenQuery = PageQuery.extend({ nameHash: NameHash.optional() });
export type ChildrenQuery = z.infer<typeof ChildrenQuery>;

/** Answer of a paged listing: one page, and where the next one starts (null: this is the last). */
export const NodesPageResponse = z.object({ nodes: z.array(Node), next: NodeId.nullable() });
export type NodesPageResponse = z.infer<typeof NodesPageResponse>;

/** Answer of `GET /nodes/:id/versions`: older versions, newest first. */
export const VersionsResponse = z.object({ versions: z.array(Version) });
export type VersionsResponse = z.infer<typeof VersionsResponse>;

/** Body of `POST /nodes` (mkdir). The client chooses the id and wraps the key under the parent's. */
export const CreateFolderRequest = z.object({
  id: NodeId,
  parentId: NodeId,
  type: z.literal('folder'),
  wrappedKey: WrappedKey,
  encryptedAttrs: EncryptedAttrs,
  nameHash: NameHash,
});
export type CreateFolderRequest = z.infer<typeof CreateFolderRequest>;

/**
 * Rename (encryptedAttrs + nameHash) or move (parentId + wrappedKey + nameHash, optionally
 * encryptedAttrs). A move must re-wrap the node key under the new parent's key.
 */
export const UpdateNodeRequest = z
  .object({
    revision: Revision,
    encryptedAttrs: EncryptedAttrs.optional(),
    nameHash: NameHash.optional(),
    parentId: NodeId.optional(),
    wrappedKey: WrappedKey.optional(),
  })
  .refine((r) => r.parentId === undefined || (r.wrappedKey !== undefined && r.nameHash !== undefined), {
    message: 'a move needs parentId, wrappedKey and nameHash',
  })
  .refine((r) => r.parentId !== undefined || r.wrappedKey === undefined, {
    message: 'wrappedKey changes only with a move (parentId)',
  });
export type UpdateNodeRequest = z.infer<typeof UpdateNodeRequest>;

/** A body that only names the revision the client last read (trash, version restore). */
export const RevisionRequest = z.object({ revision: Revision });
export type RevisionRequest = z.infer<typeof RevisionRequest>;

/** Restore from the trash: to the old parent, or to `parentId` (then with wrappedKey and nameHash). */
export const RestoreNodeRequest = z
  .object({
    revision: Revision,
    parentId: NodeId.optional(),
    wrappedKey: WrappedKey.optional(),
    nameHash: NameHash.optional(),
  })
  .refine((r) => r.parentId === undefined || (r.wrappedKey !== undefined && r.nameHash !== undefined), {
    message: 'a restore to another folder needs parentId, wrappedKey and nameHash',
  });
export type RestoreNodeRequest = z.infer<typeof RestoreNodeRequest>;
