// Finds the ciphertext to send for a download, of the requesting account only (another account's
// ids are NOT_FOUND: never confirm they exist), through the tree's own lookups.
import { getCurrentVersion, getVersionBlob } from '../tree/tree-service.js';
import type { Db } from '../../db/schema.js';

export interface ContentSource {
  versionId: string;
  sizeBytes: number;
  blobKey: string;
}

/** The current version of file `nodeId` of `userId` (a folder is NOT_A_FILE). */
export async function contentOfNode(db: Db, userId: string, nodeId: string): Promise<ContentSource> {
  const { id, blobKey, sizeBytes } = await getCurrentVersion(db, userId, nodeId);
  return { versionId: id, blobKey, sizeBytes };
}

/** Version `versionId` (current or older) of a file of `userId`. */
export async function contentOfVersion(db: Db, userId: string, versionId: string): Promise<ContentSource> {
  const { id, blobKey, sizeBytes } = await getVersionBlob(db, userId, versionId);
  return { versionId: id, blobKey, sizeBytes };
}
