// Folders shared between accounts, as rules over the database (no HTTP). The owner invites a member
// with the folder key sealed to the member's X25519 key and signed by the owner (the server keeps
// only these bytes); the member accepts or declines; an accepted member reads the shared subtree,
// and with write access creates folders, uploads (charged to the owner's quota), renames, moves
// within the shared folder and trashes into the owner's trash. Everything is checked on every
// request: a removed member, a declined or pending invitation, a node outside the shared folder or
// a shared folder in the trash answer NOT_FOUND; a read-only member trying to write SHARE_READ_ONLY.
import type { Readable } from 'node:stream';
import type {
  NodesPageResponse,
  ChildrenQuery,
  CompleteUploadRequest,
  CreateFolderRequest,
  CreateShareRequest,
  Node,
  NodeId,
  PublishedKeys,
  Share,
  ShareId,
  Upload,
  UpdateNodeRequest,
  UploadPart,
  UserId,
} from '@hoard/protocol';
import type { Clock } from '../../clock.js';
import type { Db, ShareRow } from '../../db/schema.js';
import { AppError, isUniqueViolation } from '../../errors.js';
import type { ContentSource } from '../transfers/content-service.js';
import type { CompletedUpload, UploadService } from '../transfers/upload-service.js';
import * as tree from '../tree/tree-service.js';
import { nodeInSubtree } from './subtree.js';

export interface ShareDeps {
  db: Db;
  clock: Clock;
  uploads: UploadService;
}

export class ShareService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #uploads: UploadService;

  constructor(deps: ShareDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#uploads = deps.uploads;
  }

  /** The published keys of the account with `email`. */
  async lookupKeys(email: string): Promise<PublishedKeys> {
    const row = await this.#db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'no account with that e-mail address');
    return this.#keysOf(this.#db, row.id);
  }

  async #keysOf(db: Db, userId: string): Promise<PublishedKeys> {
    const row = await db
      .selectFrom('users')
      .select(['id', 'email', 'public_encryption_key', 'public_signing_key', 'public_keys_signature'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    return {
      userId: row.id as UserId,
      email: row.email,
      publicEncryptionKey: row.public_encryption_key,
      publicSigningKey: row.public_signing_key,
      publicKeysSignature: row.public_keys_signature,
    };
  }

  // ---- the owner and the member ----

  /** Invites `memberUserId` to a live folder of `ownerId` (not the root). */
  async create(ownerId: string, request: CreateShareRequest): Promise<Share> {
    if (request.memberUserId === ownerId)
      throw new AppError('VALIDATION_FAILED', 'you cannot share with yourself');
    return this.#db.transaction().execute(async (trx) => {
      const folder = await trx
        .selectFrom('nodes')
        .selectAll()
        .where('id', '=', request.folderId)
        .where('user_id', '=', ownerId)
        .executeTakeFirst();
      if (!folder) throw new AppError('NOT_FOUND', 'no such folder of yours');
      if (folder.type !== 'folder') throw new AppError('NOT_A_FOLDER', 'only folders can be shared');
      if (folder.parent_id === null && folder.trashed_at === null) {
        throw new AppError('ROOT_IMMUTABLE', 'the root folder cannot be shared; share a folder inside it');
      }
      if (await tree.isInTrash(trx, folder)) throw new AppError('NOT_FOUND', 'the folder is in the trash');
      const member = await trx
        .selectFrom('users')
        .select('id')
        .where('id', '=', request.memberUserId)
        .executeTakeFirst();
      if (!member) throw new AppError('NOT_FOUND', 'no such account');
      const existing = await trx
        .selectFrom('shares')
        .select('id')
        .where('folder_id', '=', folder.id)
        .where('member_id', '=', member.id)
        .executeTakeFirst();
      if (existing) throw new AppError('ALREADY_SHARED', 'the folder is already shared with that account');
      try {
        await trx
          .insertInto('shares')
          .values({
            id: request.id,
            folder_id: folder.id,
            owner_id: ownerId,
            member_id: member.id,
            access: request.access,
            status: 'pending',
            sealed_key: request.sealedKey,
            signature: request.signature,
            created_at: this.#clock.now(),
            answered_at: null,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error)) {
          const detail = `${(error as { constraint?: string }).constraint ?? ''} ${(error as Error).message}`;
          if (detail.includes('member')) throw new AppError('ALREADY_SHARED', undefined, { cause: error });
          throw new AppError('ID_TAKEN', 'that share id is taken', { cause: error });
        }
        throw error;
      }
      return this.#view(trx, await this.#row(trx, request.id), false);
    });
  }

  /** The caller's outgoing and incoming shares, newest first. */
  async list(userId: string): Promise<{ outgoing: Share[]; incoming: Share[] }> {
    const rows = await this.#db
      .selectFrom('shares')
      .selectAll()
      .where((eb) => eb.or([eb('owner_id', '=', userId), eb('member_id', '=', userId)]))
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
    const outgoing: Share[] = [];
    const incoming: Share[] = [];
    for (const row of rows) {
      if (row.owner_id === userId) outgoing.push(await this.#view(this.#db, row, false));
      else incoming.push(await this.#view(this.#db, row, true));
    }
    return { outgoing, incoming };
  }

  /** The member accepts or declines an invitation, once. */
  async answer(memberId: string, shareId: string, answer: 'accepted' | 'declined'): Promise<Share> {
    const row = await this.#row(this.#db, shareId);
    if (row.member_id !== memberId) throw new AppError('NOT_FOUND', 'no such share');
    if (row.status !== 'pending') {
      throw new AppError('SHARE_ANSWERED', `the invitation was already ${row.status}`);
    }
    const result = await this.#db
      .updateTable('shares')
      .set({ status: answer, answered_at: this.#clock.now() })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n)
      throw new AppError('SHARE_ANSWERED', 'the invitation was already answered');
    return this.#view(this.#db, await this.#row(this.#db, shareId), true);
  }

  /** The owner removes the member, or the member leaves; uploads begun through it are dropped. */
  async remove(userId: string, shareId: string): Promise<void> {
    const row = await this.#row(this.#db, shareId);
    if (row.owner_id !== userId && row.member_id !== userId) throw new AppError('NOT_FOUND', 'no such share');
    const uploads = await this.#db
      .selectFrom('share_uploads')
      .select('upload_id')
      .where('share_id', '=', row.id)
      .execute();
    for (const { upload_id } of uploads) {
      await this.#uploads.abort(row.owner_id, upload_id).catch(() => undefined);
    }
    await this.#db.deleteFrom('shares').where('id', '=', row.id).execute();
  }

  async #row(db: Db, shareId: string): Promise<ShareRow> {
    const row = await db.selectFrom('shares').selectAll().where('id', '=', shareId).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'no such share');
    return row;
  }

  async #view(db: Db, row: ShareRow, forMember: boolean): Promise<Share> {
    const folderRow = await db
      .selectFrom('nodes')
      .selectAll()
      .where('id', '=', row.folder_id)
      .executeTakeFirst();
    const live = folderRow !== undefined && !(await tree.isInTrash(db, folderRow));
    const node = live ? ((await tree.nodeById(db, row.folder_id)) ?? null) : null;
    return {
      id: row.id as ShareId,
      folderId: row.folder_id as NodeId,
      folder: node && forMember ? { ...node, parentId: null } : node,
      owner: await this.#keysOf(db, row.owner_id),
      member: await this.#keysOf(db, row.member_id),
      access: row.access,
      status: row.status,
      sealedKey: row.sealed_key,
      signature: row.signature,
      createdAt: new Date(row.created_at).toISOString(),
    };
  }

  // ---- a member inside the shared folder ----

  /** The accepted share of `memberId`, its folder live; SHARE_READ_ONLY when writing without access. */
  async #membership(memberId: string, shareId: string, write: boolean): Promise<ShareRow> {
    const row = await this.#db.selectFrom('shares').selectAll().where('id', '=', shareId).executeTakeFirst();
    if (!row || row.member_id !== memberId || row.status !== 'accepted') {
      throw new AppError('NOT_FOUND', 'no such share');
    }
    const folder = await this.#db
      .selectFrom('nodes')
      .selectAll()
      .where('id', '=', row.folder_id)
      .executeTakeFirst();
    if (!folder || (await tree.isInTrash(this.#db, folder))) {
      throw new AppError('NOT_FOUND', 'the shared folder is no longer there');
    }
    if (write && row.access !== 'write')
      throw new AppError('SHARE_READ_ONLY', 'this folder is shared with you read-only');
    return row;
  }

  async #inside(share: ShareRow, nodeId: string) {
    const node = await nodeInSubtree(this.#db, share.folder_id, share.owner_id, nodeId);
    if (!node) throw new AppError('NOT_FOUND', 'no such node in this shared folder');
    return node;
  }

  /** Inside and not the shared folder itself (which stays the owner's to rename, move or trash). */
  async #insideBelow(share: ShareRow, nodeId: string) {
    const node = await this.#inside(share, nodeId);
    if (node.id === share.folder_id) {
      throw new AppError('ROOT_IMMUTABLE', "the shared folder itself is the owner's to change");
    }
    return node;
  }

  async node(memberId: string, shareId: string): Promise<Node> {
    const share = await this.#membership(memberId, shareId, false);
    const node = await tree.nodeById(this.#db, share.folder_id);
    if (!node) throw new AppError('NOT_FOUND', 'the shared folder is no longer there');
    return { ...node, parentId: null };
  }

  async children(
    memberId: string,
    shareId: string,
    nodeId: string,
    query: ChildrenQuery,
  ): Promise<NodesPageResponse> {
    const share = await this.#membership(memberId, shareId, false);
    const folder = await this.#inside(share, nodeId);
    if (folder.type !== 'folder') throw new AppError('NOT_A_FOLDER', 'not a folder');
    return tree.liveChildrenOf(this.#db, folder.id, query);
  }

  async content(memberId: string, shareId: string, versionId: string): Promise<ContentSource> {
    const share = await this.#membership(memberId, shareId, false);
    const version = await this.#db
      .selectFrom('versions')
      .select(['id', 'node_id', 'blob_key', 'size_bytes'])
      .where('id', '=', versionId)
      .executeTakeFirst();
    if (!version) throw new AppError('NOT_FOUND', 'no such version');
    const file = await this.#inside(share, version.node_id);
    if (file.current_version_id !== version.id) throw new AppError('NOT_FOUND', 'no such version');
    return { versionId: version.id, blobKey: version.blob_key, sizeBytes: version.size_bytes };
  }

  async createFolder(memberId: string, shareId: string, request: CreateFolderRequest): Promise<Node> {
    const share = await this.#membership(memberId, shareId, true);
    await this.#inside(share, request.parentId);
    return tree.createFolder(this.#db, share.owner_id as UserId, request, this.#clock.now());
  }

  async updateNode(
    memberId: string,
    shareId: string,
    nodeId: string,
    request: UpdateNodeRequest,
  ): Promise<Node> {
    const share = await this.#membership(memberId, shareId, true);
    await this.#insideBelow(share, nodeId);
    if (request.parentId !== undefined) await this.#inside(share, request.parentId);
    return tree.updateNode(this.#db, share.owner_id as UserId, nodeId, request, this.#clock.now());
  }

  async trash(memberId: string, shareId: string, nodeId: string, revision: number): Promise<Node> {
    const share = await this.#membership(memberId, shareId, true);
    await this.#insideBelow(share, nodeId);
    return tree.trashNode(this.#db, share.owner_id as UserId, nodeId, revision, this.#clock.now());
  }

  // ---- uploads through a share (charged to the owner) ----

  async createUpload(memberId: string, shareId: string, sizeBytes: number): Promise<Upload> {
    const share = await this.#membership(memberId, shareId, true);
    const upload = await this.#uploads.create(share.owner_id, sizeBytes);
    await this.#db.insertInto('share_uploads').values({ upload_id: upload.id, share_id: share.id }).execute();
    return upload;
  }

  /** The owner id under which an upload begun through this share lives. */
  async #shareUpload(memberId: string, shareId: string, uploadId: string): Promise<ShareRow> {
    const share = await this.#membership(memberId, shareId, true);
    const link = await this.#db
      .selectFrom('share_uploads')
      .select('upload_id')
      .where('upload_id', '=', uploadId)
      .where('share_id', '=', share.id)
      .executeTakeFirst();
    if (!link) throw new AppError('NOT_FOUND', 'no such upload in this shared folder');
    return share;
  }

  async getUpload(memberId: string, shareId: string, uploadId: string): Promise<Upload> {
    const share = await this.#shareUpload(memberId, shareId, uploadId);
    return this.#uploads.get(share.owner_id, uploadId);
  }

  async abortUpload(memberId: string, shareId: string, uploadId: string): Promise<void> {
    const share = await this.#shareUpload(memberId, shareId, uploadId);
    await this.#uploads.abort(share.owner_id, uploadId);
  }

  async putPart(
    memberId: string,
    shareId: string,
    uploadId: string,
    partNumber: number,
    contentLength: number | undefined,
    body: Readable,
  ): Promise<UploadPart> {
    const share = await this.#shareUpload(memberId, shareId, uploadId);
    return this.#uploads.putPart(share.owner_id, uploadId, partNumber, contentLength, body);
  }

  async completeUpload(
    memberId: string,
    shareId: string,
    uploadId: string,
    request: CompleteUploadRequest,
  ): Promise<CompletedUpload> {
    const share = await this.#shareUpload(memberId, shareId, uploadId);
    if (request.kind === 'new-file') await this.#inside(share, request.node.parentId);
    else await this.#insideBelow(share, request.nodeId);
    return this.#uploads.complete(share.owner_id, uploadId, request);
  }
}
