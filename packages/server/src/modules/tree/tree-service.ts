// The encrypted tree: folders, files, versions and the trash, as rules over the database (no HTTP).
// Every function takes the caller's userId and treats another account's node as absent (NOT_FOUND),
// so that nothing confirms that someone else's id exists. The server never sees a name: uniqueness
// is enforced on the client's name hash through UNIQUE(parent_id, live_name).
//
// Functions whose first parameter is `trx` run inside the caller's transaction (transfers' upload
// completion calls createFileNode/addFileVersion that way); the others open their own.
import type {
  NodesPageResponse,
  ChildrenQuery,
  PageQuery,
  CreateFolderRequest,
  NewVersion,
  Node,
  NodeId,
  RestoreNodeRequest,
  UpdateNodeRequest,
  UserId,
  Version,
  VersionId,
} from '@hoard/protocol';
import type { Db, NodeRow } from '../../db/schema.js';
import { AppError, isUniqueViolation } from '../../errors.js';

/** Older versions kept per file; older ones are deleted for good when a new version arrives. */
export const MAX_OLDER_VERSIONS = 10;
/** Rows per IN (...) list, well under both dialects' parameter limits. */
const CHUNK = 500;

const iso = (ms: number) => new Date(ms).toISOString();

type NodeWithVersionRow = NodeRow & {
  v_id: string | null;
  v_wrapped_key: string | null;
  v_encrypted_attrs: string | null;
  v_size_bytes: number | null;
  v_created_at: number | null;
};

function selectNodes(db: Db) {
  return db
    .selectFrom('nodes')
    .leftJoin('versions', 'versions.id', 'nodes.current_version_id')
    .selectAll('nodes')
    .select([
      'versions.id as v_id',
      'versions.wrapped_key as v_wrapped_key',
      'versions.encrypted_attrs as v_encrypted_attrs',
      'versions.size_bytes as v_size_bytes',
      'versions.created_at as v_created_at',
    ]);
}

function toNode(row: NodeWithVersionRow): Node {
  const currentVersion: Version | null =
    row.v_id === null
      ? null
      : {
          id: row.v_id as VersionId,
          nodeId: row.id as NodeId,
          wrappedKey: row.v_wrapped_key ?? '',
          encryptedAttrs: row.v_encrypted_attrs ?? '',
          sizeBytes: row.v_size_bytes ?? 0,
          createdAt: iso(row.v_created_at ?? 0),
        };
  return {
    id: row.id as NodeId,
    parentId: (row.trashed_at === null ? row.parent_id : row.trashed_from_parent_id) as NodeId | null,
    type: row.type,
    revision: row.revision,
    wrappedKey: row.wrapped_key,
    encryptedAttrs: row.encrypted_attrs,
    nameHash: row.name_hash,
    sizeBytes: row.size_bytes,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    trashedAt: row.trashed_at === null ? null : iso(row.trashed_at),
    currentVersion,
  };
}

function toVersion(row: {
  id: string;
  node_id: string;
  wrapped_key: string;
  encrypted_attrs: string;
  size_bytes: number;
  created_at: number;
}): Version {
  return {
    id: row.id as VersionId,
    nodeId: row.node_id as NodeId,
    wrappedKey: row.wrapped_key,
    encryptedAttrs: row.encrypted_attrs,
    sizeBytes: row.size_bytes,
    createdAt: iso(row.created_at),
  };
}

/** Maps a unique-constraint violation to the protocol's code; rethrows anything else. */
function rethrowUnique(error: unknown): never {
  if (error instanceof AppError) throw error;
  if (isUniqueViolation(error)) {
    const detail = `${(error as { constraint?: string }).constraint ?? ''} ${(error as Error).message}`;
    if (detail.includes('live_name')) throw new AppError('NAME_TAKEN', undefined, { cause: error });
    throw new AppError('ID_TAKEN', undefined, { cause: error });
  }
  throw error;
}

async function findOwnNode(db: Db, userId: string, id: string): Promise<NodeRow | undefined> {
  return db
    .selectFrom('nodes')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

async function getOwnNode(db: Db, userId: string, id: string): Promise<NodeRow> {
  const row = await findOwnNode(db, userId, id);
  if (!row) throw new AppError('NOT_FOUND', 'no such node');
  return row;
}

async function nodeView(db: Db, id: string): Promise<Node> {
  const row = await selectNodes(db).where('nodes.id', '=', id).executeTakeFirstOrThrow();
  return toNode(row);
}

/** The node and its ancestors' ids (the root last), or stops early at a trashed or detached node. */
export async function isInTrash(db: Db, row: Pick<NodeRow, 'parent_id' | 'trashed_at'>): Promise<boolean> {
  let current: Pick<NodeRow, 'parent_id' | 'trashed_at'> | undefined = row;
  for (let depth = 0; current; depth++) {
    if (current.trashed_at !== null) return true;
    if (current.parent_id === null) return false;
    if (depth > 10_000) throw new Error('node chain too deep');
    current = await db
      .selectFrom('nodes')
      .select(['parent_id', 'trashed_at'])
      .where('id', '=', current.parent_id)
      .executeTakeFirst();
  }
  return true; // a dangling parent: treat as gone
}

/** Whether `candidate` is `ancestorId` or lies below it. */
async function isSelfOrDescendant(db: Db, candidate: NodeRow, ancestorId: string): Promise<boolean> {
  let id: string | null = candidate.id;
  for (let depth = 0; id !== null; depth++) {
    if (id === ancestorId) return true;
    if (depth > 10_000) throw new Error('node chain too deep');
    const next: { parent_id: string | null } | undefined = await db
      .selectFrom('nodes')
      .select('parent_id')
      .where('id', '=', id)
      .executeTakeFirst();
    id = next?.parent_id ?? null;
  }
  return false;
}

/** A live folder of the user to put something in. */
async function getTargetFolder(db: Db, userId: string, parentId: string): Promise<NodeRow> {
  const parent = await getOwnNode(db, userId, parentId);
  if (parent.type !== 'folder') throw new AppError('NOT_A_FOLDER', 'the parent is not a folder');
  if (await isInTrash(db, parent)) throw new AppError('PARENT_GONE', 'the parent folder is in the trash');
  return parent;
}

async function assertNameFree(db: Db, parentId: string, nameHash: string, exceptId?: string): Promise<void> {
  let query = db
    .selectFrom('nodes')
    .select('id')
    .where('parent_id', '=', parentId)
    .where('live_name', '=', nameHash);
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  if (await query.executeTakeFirst()) throw new AppError('NAME_TAKEN');
}

async function assertNodeIdFree(db: Db, id: string): Promise<void> {
  if (await db.selectFrom('nodes').select('id').where('id', '=', id).executeTakeFirst()) {
    throw new AppError('ID_TAKEN', 'that node id is already taken');
  }
}

async function assertVersionIdFree(db: Db, id: string): Promise<void> {
  if (await db.selectFrom('versions').select('id').where('id', '=', id).executeTakeFirst()) {
    throw new AppError('ID_TAKEN', 'that version id is already taken');
  }
}

/**
 * Serialises structural changes of one account's tree (moves, restores) so that two concurrent
 * moves cannot build a cycle: a no-op UPDATE takes the user row's lock on PostgreSQL; SQLite runs
 * one write transaction at a time anyway.
 */
async function lockTree(trx: Db, userId: string): Promise<void> {
  await trx
    .updateTable('users')
    .set((eb) => ({ used_bytes: eb.ref('used_bytes') }))
    .where('id', '=', userId)
    .execute();
}

/** Bumps the revision if it still is `revision`; REVISION_CONFLICT otherwise. */
async function updateAtRevision(
  trx: Db,
  id: string,
  revision: number,
  changes: Partial<Omit<NodeRow, 'id' | 'user_id' | 'revision'>>,
): Promise<void> {
  try {
    const result = await trx
      .updateTable('nodes')
      .set({ ...changes, revision: revision + 1 })
      .where('id', '=', id)
      .where('revision', '=', revision)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new AppError('REVISION_CONFLICT');
  } catch (error) {
    rethrowUnique(error);
  }
}

function checkRevision(row: NodeRow, revision: number): void {
  if (row.revision !== revision) {
    throw new AppError('REVISION_CONFLICT', `the node is at revision ${row.revision}, not ${revision}`);
  }
}

/** Creates the root folder of a new account (inside the sign-up transaction). */
export async function createRootFolder(
  trx: Db,
  userId: string,
  root: { id: string; wrappedKey: string },
  now: number,
): Promise<void> {
  await assertNodeIdFree(trx, root.id);
  await trx
    .insertInto('nodes')
    .values({
      id: root.id,
      user_id: userId,
      parent_id: null,
      type: 'folder',
      revision: 1,
      wrapped_key: root.wrappedKey,
      encrypted_attrs: '',
      name_hash: '',
      live_name: '',
      size_bytes: 0,
      current_version_id: null,
      trashed_at: null,
      trashed_from_parent_id: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

/** One node of the user. */
export async function getNode(db: Db, userId: UserId, id: string): Promise<Node> {
  await getOwnNode(db, userId, id);
  return nodeView(db, id);
}

/** A page of the live (not trashed) children of a folder of the user. */
export async function listChildren(
  db: Db,
  userId: UserId,
  id: string,
  query: ChildrenQuery,
): Promise<NodesPageResponse> {
  const folder = await getOwnNode(db, userId, id);
  if (folder.type !== 'folder') throw new AppError('NOT_A_FOLDER', 'not a folder');
  return liveChildrenOf(db, id, query);
}

/** mkdir: a new folder under a live folder of the user. */
export async function createFolder(
  db: Db,
  userId: UserId,
  request: CreateFolderRequest,
  now: number,
): Promise<Node> {
  return db.transaction().execute(async (trx) => {
    await getTargetFolder(trx, userId, request.parentId);
    await assertNodeIdFree(trx, request.id);
    await assertNameFree(trx, request.parentId, request.nameHash);
    try {
      await trx
        .insertInto('nodes')
        .values({
          id: request.id,
          user_id: userId,
          parent_id: request.parentId,
          type: 'folder',
          revision: 1,
          wrapped_key: request.wrappedKey,
          encrypted_attrs: request.encryptedAttrs,
          name_hash: request.nameHash,
          live_name: request.nameHash,
          size_bytes: 0,
          current_version_id: null,
          trashed_at: null,
          trashed_from_parent_id: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    } catch (error) {
      rethrowUnique(error);
    }
    return nodeView(trx, request.id);
  });
}

/** Records one version of file `nodeId` whose ciphertext is already durable at `input.blobKey`. */
async function insertVersion(
  trx: Db,
  userId: string,
  nodeId: string,
  input: { version: NewVersion; blobKey: string; sizeBytes: number; now: number },
): Promise<void> {
  await trx
    .insertInto('versions')
    .values({
      id: input.version.id,
      node_id: nodeId,
      user_id: userId,
      wrapped_key: input.version.wrappedKey,
      encrypted_attrs: input.version.encryptedAttrs,
      size_bytes: input.sizeBytes,
      blob_key: input.blobKey,
      created_at: input.now,
    })
    .execute();
}

export interface NewFileNode {
  node: { id: string; parentId: string; wrappedKey: string; encryptedAttrs: string; nameHash: string };
  version: NewVersion;
  /** Where the ciphertext lives in the BlobStore (already durable). */
  blobKey: string;
  sizeBytes: number;
  now: number;
}

/**
 * Creates a file node with its first version, inside the caller's transaction. Does not touch the
 * quota counters: the caller moves the upload's reservation to used_bytes in the same transaction.
 *
 * @throws AppError NOT_FOUND (no such parent), NOT_A_FOLDER, PARENT_GONE (parent in the trash),
 *   NAME_TAKEN, ID_TAKEN (node or version id).
 */
export async function createFileNode(trx: Db, userId: string, input: NewFileNode): Promise<Node> {
  const { node, version, now } = input;
  await getTargetFolder(trx, userId, node.parentId);
  await assertNodeIdFree(trx, node.id);
  await assertVersionIdFree(trx, version.id);
  await assertNameFree(trx, node.parentId, node.nameHash);
  try {
    await trx
      .insertInto('nodes')
      .values({
        id: node.id,
        user_id: userId,
        parent_id: node.parentId,
        type: 'file',
        revision: 1,
        wrapped_key: node.wrappedKey,
        encrypted_attrs: node.encryptedAttrs,
        name_hash: node.nameHash,
        live_name: node.nameHash,
        size_bytes: input.sizeBytes,
        current_version_id: version.id,
        trashed_at: null,
        trashed_from_parent_id: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await insertVersion(trx, userId, node.id, input);
  } catch (error) {
    rethrowUnique(error);
  }
  return nodeView(trx, node.id);
}

export interface NewFileVersion {
  nodeId: string;
  /** The file's revision as the client last read it. */
  revision: number;
  version: NewVersion;
  blobKey: string;
  sizeBytes: number;
  now: number;
}

/**
 * Makes a new version current, inside the caller's transaction; the former current one becomes an
 * older version, and older versions beyond the newest MAX_OLDER_VERSIONS are deleted for good
 * (used_bytes lowered, blobs queued in blob_garbage). Does not add the new bytes to used_bytes:
 * the caller moves the reservation in the same transaction.
 *
 * @throws AppError NOT_FOUND, NOT_A_FILE, REVISION_CONFLICT, ID_TAKEN.
 */
export async function addFileVersion(trx: Db, userId: string, input: NewFileVersion): Promise<Node> {
  const row = await getOwnNode(trx, userId, input.nodeId);
  if (row.type !== 'file') throw new AppError('NOT_A_FILE', 'not a file');
  checkRevision(row, input.revision);
  await assertVersionIdFree(trx, input.version.id);
  try {
    await insertVersion(trx, userId, row.id, input);
  } catch (error) {
    rethrowUnique(error);
  }
  await updateAtRevision(trx, row.id, input.revision, {
    current_version_id: input.version.id,
    size_bytes: input.sizeBytes,
    updated_at: input.now,
  });
  await pruneOlderVersions(trx, userId, row.id, input.version.id, input.now);
  return nodeView(trx, row.id);
}

/** Deletes older versions beyond the newest MAX_OLDER_VERSIONS. */
async function pruneOlderVersions(
  trx: Db,
  userId: string,
  nodeId: string,
  currentVersionId: string,
  now: number,
): Promise<void> {
  const excess = await trx
    .selectFrom('versions')
    .select(['id', 'size_bytes', 'blob_key'])
    .where('node_id', '=', nodeId)
    .where('id', '!=', currentVersionId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1_000_000)
    .offset(MAX_OLDER_VERSIONS)
    .execute();
  if (excess.length === 0) return;
  await forgetVersions(trx, userId, excess, now);
  for (let i = 0; i < excess.length; i += CHUNK) {
    const ids = excess.slice(i, i + CHUNK).map((v) => v.id);
    await trx.deleteFrom('versions').where('id', 'in', ids).execute();
  }
}

/** Lowers used_bytes by the versions' sizes and queues their blobs for deletion. */
async function forgetVersions(
  trx: Db,
  userId: string,
  versions: readonly { size_bytes: number; blob_key: string }[],
  now: number,
): Promise<void> {
  const total = versions.reduce((sum, v) => sum + v.size_bytes, 0);
  if (total > 0) {
    await trx
      .updateTable('users')
      .set((eb) => ({ used_bytes: eb('used_bytes', '-', total) }))
      .where('id', '=', userId)
      .execute();
  }
  for (let i = 0; i < versions.length; i += CHUNK) {
    const rows = versions
      .slice(i, i + CHUNK)
      .map((v) => ({ blob_key: v.blob_key, user_id: userId, due_at: now }));
    await trx
      .insertInto('blob_garbage')
      .values(rows)
      .onConflict((oc) => oc.column('blob_key').doNothing())
      .execute();
  }
}

/** Rename and/or move a node. */
export async function updateNode(
  db: Db,
  userId: UserId,
  id: string,
  request: UpdateNodeRequest,
  now: number,
): Promise<Node> {
  return db.transaction().execute(async (trx) => {
    if (request.parentId !== undefined) await lockTree(trx, userId);
    const row = await getOwnNode(trx, userId, id);
    if (row.parent_id === null && row.trashed_at === null) throw new AppError('ROOT_IMMUTABLE');
    checkRevision(row, request.revision);
    const changes: Partial<NodeRow> = { updated_at: now };
    if (request.encryptedAttrs !== undefined) changes.encrypted_attrs = request.encryptedAttrs;
    if (request.nameHash !== undefined) changes.name_hash = request.nameHash;
    const trashed = row.trashed_at !== null;
    let parentId = trashed ? row.trashed_from_parent_id : row.parent_id;
    if (request.parentId !== undefined) {
      if (trashed) throw new AppError('VALIDATION_FAILED', 'restore the node before moving it');
      const target = await getTargetFolder(trx, userId, request.parentId);
      if (await isSelfOrDescendant(trx, target, row.id)) throw new AppError('MOVE_INTO_DESCENDANT');
      parentId = target.id;
      changes.parent_id = target.id;
      changes.wrapped_key = request.wrappedKey ?? row.wrapped_key;
    }
    const nameHash = request.nameHash ?? row.name_hash;
    if (!trashed) {
      changes.live_name = nameHash;
      if (parentId !== null) await assertNameFree(trx, parentId, nameHash, row.id);
    }
    await updateAtRevision(trx, row.id, request.revision, changes);
    return nodeView(trx, row.id);
  });
}

/** Moves a node and its subtree to the trash. */
export async function trashNode(
  db: Db,
  userId: UserId,
  id: string,
  revision: number,
  now: number,
): Promise<Node> {
  return db.transaction().execute(async (trx) => {
    const row = await getOwnNode(trx, userId, id);
    if (row.parent_id === null && row.trashed_at === null) throw new AppError('ROOT_IMMUTABLE');
    checkRevision(row, revision);
    if (row.trashed_at !== null) return nodeView(trx, row.id);
    await updateAtRevision(trx, row.id, revision, {
      trashed_at: now,
      trashed_from_parent_id: row.parent_id,
      parent_id: null,
      live_name: null,
      updated_at: now,
    });
    return nodeView(trx, row.id);
  });
}

/** A page of the nodes at the top of the user's trash (the client orders them by path). */
export function listTrash(db: Db, userId: UserId, query: PageQuery): Promise<NodesPageResponse> {
  return pageOf(
    selectNodes(db).where('nodes.user_id', '=', userId).where('nodes.trashed_at', 'is not', null),
    query,
  );
}

/** Restores a node from the top of the trash to its old parent or to another live folder. */
export async function restoreNode(
  db: Db,
  userId: UserId,
  id: string,
  request: RestoreNodeRequest,
  now: number,
): Promise<Node> {
  return db.transaction().execute(async (trx) => {
    await lockTree(trx, userId);
    const row = await getOwnNode(trx, userId, id);
    if (row.trashed_at === null)
      throw new AppError('NOT_IN_TRASH', 'the node is not at the top of the trash');
    checkRevision(row, request.revision);
    let parentId: string;
    if (request.parentId !== undefined) {
      parentId = (await getTargetFolder(trx, userId, request.parentId)).id;
    } else {
      const oldParent =
        row.trashed_from_parent_id === null
          ? undefined
          : await findOwnNode(trx, userId, row.trashed_from_parent_id);
      if (!oldParent || (await isInTrash(trx, oldParent))) {
        throw new AppError('PARENT_GONE', 'the old parent folder is gone; restore into another folder');
      }
      parentId = oldParent.id;
    }
    const nameHash = request.nameHash ?? row.name_hash;
    await assertNameFree(trx, parentId, nameHash, row.id);
    await updateAtRevision(trx, row.id, request.revision, {
      parent_id: parentId,
      name_hash: nameHash,
      live_name: nameHash,
      wrapped_key: request.wrappedKey ?? row.wrapped_key,
      trashed_at: null,
      trashed_from_parent_id: null,
      updated_at: now,
    });
    return nodeView(trx, row.id);
  });
}

/** Deletes a node at the top of the trash for good, with its subtree and all their versions. */
export async function deleteNode(db: Db, userId: UserId, id: string, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await getOwnNode(trx, userId, id);
    if (row.parent_id === null && row.trashed_at === null) throw new AppError('ROOT_IMMUTABLE');
    if (row.trashed_at === null) throw new AppError('NOT_IN_TRASH', 'move the node to the trash first');
    await deleteSubtree(trx, userId, row.id, now);
  });
}

/** Deletes everything in the user's trash for good. */
export async function emptyTrash(db: Db, userId: UserId, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const tops = await trx
      .selectFrom('nodes')
      .select('id')
      .where('user_id', '=', userId)
      .where('trashed_at', 'is not', null)
      .execute();
    for (const top of tops) await deleteSubtree(trx, userId, top.id, now);
  });
}

/**
 * Deletes trashed subtrees whose trashed_at is at or before `cutoff` (all accounts). Returns how
 * many trash tops were purged. Each top is its own transaction, so a long purge never blocks for long.
 */
export async function purgeTrash(db: Db, cutoff: number, now: number, batchSize = 100): Promise<number> {
  const due = await db
    .selectFrom('nodes')
    .select(['id', 'user_id'])
    .where('trashed_at', 'is not', null)
    .where('trashed_at', '<=', cutoff)
    .limit(batchSize)
    .execute();
  for (const top of due) {
    await db.transaction().execute((trx) => deleteSubtree(trx, top.user_id, top.id, now));
  }
  return due.length;
}

/** Deletes a node, everything below it and every version of them; queues their blobs for deletion. */
async function deleteSubtree(trx: Db, userId: string, topId: string, now: number): Promise<void> {
  const ids: string[] = [topId];
  let frontier: string[] = [topId];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (let i = 0; i < frontier.length; i += CHUNK) {
      const children = await trx
        .selectFrom('nodes')
        .select('id')
        .where('parent_id', 'in', frontier.slice(i, i + CHUNK))
        .where('user_id', '=', userId)
        .execute();
      for (const child of children) next.push(child.id);
    }
    ids.push(...next);
    frontier = next;
  }
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const versions = await trx
      .selectFrom('versions')
      .select(['size_bytes', 'blob_key'])
      .where('node_id', 'in', chunk)
      .execute();
    await forgetVersions(trx, userId, versions, now);
    await trx.deleteFrom('versions').where('node_id', 'in', chunk).execute();
  }
  // Children first, so that no row ever points at a deleted parent.
  for (let end = ids.length; end > 0; end -= CHUNK) {
    await trx
      .deleteFrom('nodes')
      .where('id', 'in', ids.slice(Math.max(0, end - CHUNK), end))
      .execute();
  }
}

/** Deletes every node and version of an account (account deletion); returns nothing to undo. */
export async function deleteAllNodesOf(trx: Db, userId: string, now: number): Promise<void> {
  const versions = await trx
    .selectFrom('versions')
    .select(['size_bytes', 'blob_key'])
    .where('user_id', '=', userId)
    .execute();
  await forgetVersions(trx, userId, versions, now);
  await trx.deleteFrom('versions').where('user_id', '=', userId).execute();
  await trx.deleteFrom('nodes').where('user_id', '=', userId).execute();
}

/** The older versions of a file, newest first (the current one excluded). */
export async function listVersions(db: Db, userId: UserId, id: string): Promise<Version[]> {
  const row = await getOwnNode(db, userId, id);
  if (row.type !== 'file') throw new AppError('NOT_A_FILE', 'not a file');
  let query = db
    .selectFrom('versions')
    .select(['id', 'node_id', 'wrapped_key', 'encrypted_attrs', 'size_bytes', 'created_at'])
    .where('node_id', '=', row.id);
  if (row.current_version_id !== null) query = query.where('id', '!=', row.current_version_id);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(toVersion);
}

/** Makes an older version current again. */
export async function restoreVersion(
  db: Db,
  userId: UserId,
  id: string,
  versionId: string,
  revision: number,
  now: number,
): Promise<Node> {
  return db.transaction().execute(async (trx) => {
    const row = await getOwnNode(trx, userId, id);
    if (row.type !== 'file') throw new AppError('NOT_A_FILE', 'not a file');
    const version = await trx
      .selectFrom('versions')
      .select(['id', 'size_bytes'])
      .where('id', '=', versionId)
      .where('node_id', '=', row.id)
      .executeTakeFirst();
    if (!version) throw new AppError('NOT_FOUND', 'no such version of this file');
    checkRevision(row, revision);
    await updateAtRevision(trx, row.id, revision, {
      current_version_id: version.id,
      size_bytes: version.size_bytes,
      updated_at: now,
    });
    return nodeView(trx, row.id);
  });
}

/**
 * The current version of a file of the user, for content downloads.
 *
 * @throws AppError NOT_FOUND, NOT_A_FILE.
 */
export async function getCurrentVersion(
  db: Db,
  userId: string,
  nodeId: string,
): Promise<{ id: string; blobKey: string; sizeBytes: number }> {
  const row = await getOwnNode(db, userId, nodeId);
  if (row.type !== 'file' || row.current_version_id === null) throw new AppError('NOT_A_FILE', 'not a file');
  return getVersionBlob(db, userId, row.current_version_id);
}

/**
 * A version of the user (current or older), for content downloads.
 *
 * @throws AppError NOT_FOUND.
 */
export async function getVersionBlob(
  db: Db,
  userId: string,
  versionId: string,
): Promise<{ id: string; blobKey: string; sizeBytes: number }> {
  const version = await db
    .selectFrom('versions')
    .select(['id', 'blob_key', 'size_bytes'])
    .where('id', '=', versionId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!version) throw new AppError('NOT_FOUND', 'no such version');
  return { id: version.id, blobKey: version.blob_key, sizeBytes: version.size_bytes };
}

/** A node as the protocol shows it, whoever owns it (callers have checked access: links, shares). */
export async function nodeById(db: Db, id: string): Promise<Node | undefined> {
  const row = await selectNodes(db).where('nodes.id', '=', id).executeTakeFirst();
  return row ? toNode(row) : undefined;
}

/**
 * One page of `select` in id order, after `query.after` (keyset paging: a page costs the same
 * wherever it starts, and an answer never holds more than NODES_PAGE_MAX nodes).
 */
async function pageOf(select: ReturnType<typeof selectNodes>, query: PageQuery): Promise<NodesPageResponse> {
  if (query.after !== undefined) select = select.where('nodes.id', '>', query.after);
  // One more than the page: whether a next page exists, without counting.
  const rows = await select
    .orderBy('nodes.id')
    .limit(query.limit + 1)
    .execute();
  const more = rows.length > query.limit;
  const nodes = (more ? rows.slice(0, query.limit) : rows).map(toNode);
  return { nodes, next: more ? nodes[nodes.length - 1]!.id : null };
}

/**
 * A page of the live children of folder `id`, or the one live child named by `query.nameHash`.
 * Whoever owns the folder: callers have checked access (the owner's routes, links, shares).
 */
export function liveChildrenOf(db: Db, id: string, query: ChildrenQuery): Promise<NodesPageResponse> {
  let select = selectNodes(db).where('nodes.parent_id', '=', id).where('nodes.trashed_at', 'is', null);
  // live_name is the name hash of a live node (null in the trash), unique per folder.
  if (query.nameHash !== undefined) select = select.where('nodes.live_name', '=', query.nameHash);
  return pageOf(select, query);
}

/** Re-reads a node as the protocol shows it (after the caller's own changes). */
export async function readNode(db: Db, userId: string, id: string): Promise<Node> {
  await getOwnNode(db, userId, id);
  return nodeView(db, id);
}
