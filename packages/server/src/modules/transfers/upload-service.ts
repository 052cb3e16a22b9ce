// Resumable uploads without HTTP: create (reserving quota), list landed parts, take a part,
// complete into a file or a version, abort, expire. Its SQL lives here too.
//
// [Note: upload durability] Three stores must agree: the blob store (bytes), upload_parts (which
// parts landed) and the tree (which blob a version points at). Order makes them agree after any
// crash: a part is recorded only after its bytes are fdatasync'd; the blob is made durable
// (fsync, rename, fsync dir) before the transaction that creates the node; and every upload's blob
// key sits in blob_garbage from the moment the upload is created (due a grace period after the
// upload expires) until that same transaction deletes the row. So a blob that no version points at
// (completion failed, server killed mid-completion, upload abandoned) is always collected, and a
// blob that a version points at is never in blob_garbage.
//
// Never: count a part before its bytes are durable; overwrite a landed part; let two requests
// reserve quota that together exceed the limit (one conditional UPDATE decides).
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { sql } from 'kysely';
import type {
  CompleteUploadRequest,
  Node,
  PartTargetRequest,
  PartTargetResponse,
  Upload,
  UploadPart,
} from '@hoard/protocol';
import type { Clock } from '../../clock.js';
import type { Db, UploadRow } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import {
  BlobNotFoundError,
  PartSizeMismatchError,
  type BlobStore,
  type DirectTransferStore,
} from '../../storage/blob-store.js';
import { consumeExactly } from '../../storage/exact-body.js';
import { applyDueLapses } from '../payments/subscriptions.js';
import { addFileVersion, createFileNode, readNode } from '../tree/tree-service.js';
import {
  DEFAULT_MAX_UPLOAD_BYTES,
  partExtent,
  uploadGeometry,
  type UploadGeometry,
} from './upload-geometry.js';

const HOUR_MS = 3600 * 1000;

export interface TransferLimits {
  /** Largest upload accepted. */
  maxUploadBytes: number;
  /** An open upload expires this long after it was created. */
  uploadTtlMs: number;
  /**
   * An abandoned upload's blob is collected this long after the upload expired; an unfinished
   * write that no upload names is aborted once it is this old.
   */
  garbageGraceMs: number;
}

export const defaultTransferLimits: TransferLimits = {
  maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES,
  uploadTtlMs: 24 * HOUR_MS,
  garbageGraceMs: HOUR_MS,
};

/** Presigned transfers straight between clients and the store (fleet mode with S3). */
export interface DirectTransfers {
  store: DirectTransferStore;
  /** Lifetime of each presigned URL. */
  ttlSeconds: number;
}

/** What the transfers module needs: the database, the blob store, the clock. */
export interface TransferDeps {
  db: Db;
  blobStore: BlobStore;
  clock: Clock;
  limits?: Partial<TransferLimits>;
  /** Set when part bytes go straight to the store; absent: every part passes through the server. */
  direct?: DirectTransfers | undefined;
  /**
   * Marks a part as being written, across every server that shares it (Redis in a fleet); absent:
   * in this process only.
   */
  partLocks?: PartLocks | undefined;
}

/** Who is writing which part right now: PART_IN_PROGRESS for a second writer. */
export interface PartLocks {
  /** True if the lock was taken; false if another request holds it. */
  acquire(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
}

/** Part locks of one process. */
export class InProcessPartLocks implements PartLocks {
  readonly #held = new Set<string>();
  acquire(key: string): Promise<boolean> {
    if (this.#held.has(key)) return Promise.resolve(false);
    this.#held.add(key);
    return Promise.resolve(true);
  }
  release(key: string): Promise<void> {
    this.#held.delete(key);
    return Promise.resolve();
  }
}

function limitsOf(deps: Pick<TransferDeps, 'limits'>): TransferLimits {
  return { ...defaultTransferLimits, ...deps.limits };
}

function newId(): string {
  return randomBytes(16).toString('base64url');
}

function geometryOf(row: UploadRow): UploadGeometry {
  return { sizeBytes: row.size_bytes, partSizeBytes: row.part_size_bytes, partCount: row.part_count };
}

function toUpload(row: UploadRow, parts: readonly UploadPart[], direct: boolean): Upload {
  return {
    id: row.id as Upload['id'],
    sizeBytes: row.size_bytes,
    partSizeBytes: row.part_size_bytes,
    partCount: row.part_count,
    parts: [...parts],
    expiresAt: new Date(row.expires_at).toISOString(),
    state: row.state,
    partTransfer: direct ? 'direct' : 'server',
  };
}

/** What a completion produced; `created` is false when it repeats an earlier completion. */
export interface CompletedUpload {
  node: Node;
  created: boolean;
}

/** The largest part any upload can have (the HTTP body limit sits just above it). */
export function maxPartSizeBytes(deps: Pick<TransferDeps, 'limits'>): number {
  return uploadGeometry(limitsOf(deps).maxUploadBytes).partSizeBytes;
}

/**
 * Uploads. Part locks answer PART_IN_PROGRESS for a part that another request is writing through
 * a server (in process on one box, in Redis for a fleet); parts sent straight to the bucket need
 * none: the bucket serialises them, and completion checks what it holds.
 */
export class UploadService {
  readonly #deps: TransferDeps;
  readonly #limits: TransferLimits;
  readonly #partLocks: PartLocks;

  constructor(deps: TransferDeps) {
    this.#deps = deps;
    this.#limits = limitsOf(deps);
    this.#partLocks = deps.partLocks ?? new InProcessPartLocks();
  }

  get #direct(): boolean {
    return this.#deps.direct !== undefined;
  }

  /** Starts an upload of `sizeBytes` of ciphertext, reserving that much quota atomically. */
  async create(userId: string, sizeBytes: number): Promise<Upload> {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      throw new AppError('VALIDATION_FAILED', 'sizeBytes must be a non-negative integer');
    }
    if (sizeBytes > this.#limits.maxUploadBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `an upload holds at most ${this.#limits.maxUploadBytes} bytes`);
    }
    const { db, blobStore, clock } = this.#deps;
    const geometry = uploadGeometry(sizeBytes);
    const id = newId();
    const blobKey = newId();
    const now = clock.now();
    const expiresAt = now + this.#limits.uploadTtlMs;
    // A plan that ran out falls back to the free quota to the millisecond, before the check.
    await applyDueLapses(db, now, userId);
    // A quick look first, so that a full account costs no disk work; the conditional UPDATE below
    // is what decides.
    const user = await db
      .selectFrom('users')
      .select(['used_bytes', 'reserved_bytes', 'quota_bytes'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!user || user.used_bytes + user.reserved_bytes + sizeBytes > user.quota_bytes) {
      throw new AppError('QUOTA_EXCEEDED');
    }
    // The store's handle first: the upload row must name it. If the reservation then fails, the
    // unfinished blob is dropped again (a crash in between leaves an empty unfinished write, which
    // expireUploads aborts once no upload names it).
    const handle = await blobStore.createMultipart(blobKey, sizeBytes);
    try {
      const row = await db.transaction().execute(async (trx) => {
        const reserved = await trx
          .updateTable('users')
          .set((eb) => ({ reserved_bytes: eb('reserved_bytes', '+', sizeBytes) }))
          .where('id', '=', userId)
          .where(sql<boolean>`used_bytes + reserved_bytes + ${sizeBytes} <= quota_bytes`)
          .executeTakeFirst();
        if (Number(reserved.numUpdatedRows) !== 1) throw new AppError('QUOTA_EXCEEDED');
        const inserted: UploadRow = {
          id,
          user_id: userId,
          size_bytes: sizeBytes,
          part_size_bytes: geometry.partSizeBytes,
          part_count: geometry.partCount,
          blob_key: blobKey,
          store_handle: handle,
          state: 'open',
          completed_node_id: null,
          created_at: now,
          expires_at: expiresAt,
        };
        await trx.insertInto('uploads').values(inserted).execute();
        // See [Note: upload durability]: the blob is garbage unless completion says otherwise.
        await trx
          .insertInto('blob_garbage')
          .values({ blob_key: blobKey, user_id: userId, due_at: expiresAt + this.#limits.garbageGraceMs })
          .execute();
        return inserted;
      });
      return toUpload(row, [], this.#direct);
    } catch (error) {
      await blobStore.abortMultipart(blobKey, handle);
      throw error;
    }
  }

  /** The upload with the parts that have landed. */
  async get(userId: string, uploadId: string): Promise<Upload> {
    const row = await this.#findOwned(userId, uploadId);
    this.#assertNotExpired(row);
    await this.#reconcile(row);
    return toUpload(row, await this.#partsOf(uploadId), this.#direct);
  }

  /**
   * Direct transfers: records the digests of part `partNumber` and answers a presigned PUT for it
   * (or the part, if it landed already with the same SHA-256).
   */
  async partTarget(
    userId: string,
    uploadId: string,
    partNumber: number,
    digests: PartTargetRequest,
  ): Promise<PartTargetResponse> {
    // Another account's upload is NOT_FOUND before anything else is said about it.
    const row = await this.#findOwned(userId, uploadId);
    const direct = this.#deps.direct;
    if (!direct) {
      throw new AppError('DIRECT_TRANSFERS_OFF', 'send parts to PUT /uploads/:id/parts/:partNumber');
    }
    this.#assertNotExpired(row);
    if (row.state !== 'open') throw new AppError('NOT_FOUND');
    const geometry = geometryOf(row);
    if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > geometry.partCount) {
      throw new AppError('PART_OUT_OF_RANGE', `part numbers of this upload are 1..${geometry.partCount}`);
    }
    const extent = partExtent(geometry, partNumber);
    const { db, clock } = this.#deps;
    const landed = await db
      .selectFrom('upload_parts')
      .select(['size_bytes', 'sha256_hex'])
      .where('upload_id', '=', row.id)
      .where('part_number', '=', partNumber)
      .executeTakeFirst();
    if (landed) {
      if (landed.sha256_hex !== digests.sha256) {
        throw new AppError('PART_CONFLICT', `part ${partNumber} already landed with other bytes`);
      }
      return {
        landed: { partNumber, sizeBytes: landed.size_bytes, sha256: landed.sha256_hex },
        target: null,
      };
    }
    const md5Hex = Buffer.from(digests.md5, 'base64').toString('hex');
    // The latest announcement wins: a part sent with an older URL (other bytes) then never counts.
    await db
      .insertInto('upload_part_claims')
      .values({
        upload_id: row.id,
        part_number: partNumber,
        size_bytes: extent.sizeBytes,
        sha256_hex: digests.sha256,
        md5_hex: md5Hex,
      })
      .onConflict((oc) =>
        oc.columns(['upload_id', 'part_number']).doUpdateSet({ sha256_hex: digests.sha256, md5_hex: md5Hex }),
      )
      .execute();
    const request = await direct.store.presignPart(
      row.blob_key,
      row.store_handle,
      { partNumber, sizeBytes: extent.sizeBytes, md5B64: digests.md5 },
      direct.ttlSeconds,
    );
    const expiresAt = new Date(clock.now() + direct.ttlSeconds * 1000).toISOString();
    return { landed: null, target: { ...request, expiresAt } };
  }

  /**
   * Direct transfers: records as landed every announced part that the bucket holds with the
   * announced size and MD5. Returns the parts the bucket holds with other bytes or another size.
   */
  async #reconcile(row: UploadRow): Promise<number[]> {
    const direct = this.#deps.direct;
    if (!direct || row.state !== 'open') return [];
    const { db } = this.#deps;
    const claims = await db
      .selectFrom('upload_part_claims')
      .selectAll()
      .where('upload_id', '=', row.id)
      .execute();
    if (claims.length === 0) return [];
    const held = await direct.store.listParts(row.blob_key, row.store_handle);
    if (held === undefined) return [];
    const inBucket = new Map(held.map((p) => [p.partNumber, p]));
    const recorded = new Set((await this.#partsOf(row.id)).map((p) => p.partNumber));
    const wrong: number[] = [];
    for (const claim of claims) {
      if (recorded.has(claim.part_number)) continue;
      const part = inBucket.get(claim.part_number);
      if (!part) continue;
      if (part.sizeBytes !== claim.size_bytes || part.etag !== claim.md5_hex) {
        wrong.push(claim.part_number);
        continue;
      }
      await db
        .insertInto('upload_parts')
        .values({
          upload_id: row.id,
          part_number: claim.part_number,
          size_bytes: claim.size_bytes,
          sha256_hex: claim.sha256_hex,
        })
        .onConflict((oc) => oc.columns(['upload_id', 'part_number']).doNothing())
        .execute();
    }
    return wrong;
  }

  /**
   * Takes part `partNumber` from `body` (exactly `contentLength` bytes). A part that landed before
   * is never rewritten: the body is hashed and compared (same bytes: the part; other bytes:
   * PART_CONFLICT). Resolves only once the part is durable and recorded.
   */
  async putPart(
    userId: string,
    uploadId: string,
    partNumber: number,
    contentLength: number | undefined,
    body: Readable,
  ): Promise<UploadPart> {
    const row = await this.#findOwned(userId, uploadId);
    this.#assertNotExpired(row);
    const geometry = geometryOf(row);
    if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > geometry.partCount) {
      throw new AppError('PART_OUT_OF_RANGE', `part numbers of this upload are 1..${geometry.partCount}`);
    }
    const extent = partExtent(geometry, partNumber);
    if (contentLength === undefined) {
      throw new AppError('PART_SIZE_MISMATCH', 'Content-Length is required');
    }
    if (contentLength !== extent.sizeBytes) {
      throw new AppError('PART_SIZE_MISMATCH', `part ${partNumber} holds exactly ${extent.sizeBytes} bytes`);
    }
    const lockKey = `${uploadId}/${partNumber}`;
    if (!(await this.#partLocks.acquire(lockKey))) {
      throw new AppError('PART_IN_PROGRESS', `part ${partNumber} is being uploaded by another request`);
    }
    try {
      return await this.#takePart(row, partNumber, extent, body);
    } catch (error) {
      if (error instanceof PartSizeMismatchError) {
        const message = `part ${partNumber} holds exactly ${extent.sizeBytes} bytes`;
        throw new AppError('PART_SIZE_MISMATCH', message, { cause: error });
      }
      if (error instanceof BlobNotFoundError) throw new AppError('NOT_FOUND', undefined, { cause: error });
      throw error;
    } finally {
      await this.#partLocks.release(lockKey);
    }
  }

  async #takePart(
    row: UploadRow,
    partNumber: number,
    extent: { offsetBytes: number; sizeBytes: number },
    body: Readable,
  ): Promise<UploadPart> {
    const { db, blobStore } = this.#deps;
    const landed = await db
      .selectFrom('upload_parts')
      .select(['size_bytes', 'sha256_hex'])
      .where('upload_id', '=', row.id)
      .where('part_number', '=', partNumber)
      .executeTakeFirst();
    if (landed) {
      const sha256 = await consumeExactly(body, extent.sizeBytes);
      if (sha256 !== landed.sha256_hex) {
        throw new AppError('PART_CONFLICT', `part ${partNumber} already landed with other bytes`);
      }
      return { partNumber, sizeBytes: landed.size_bytes, sha256 };
    }
    if (row.state !== 'open') throw new AppError('NOT_FOUND');
    const stored = await blobStore.putPart(row.blob_key, row.store_handle, { partNumber, ...extent }, body);
    // Recorded only now that the bytes are durable, and only while the upload is still open and live
    // (an abort or expiry may have happened meanwhile).
    const inserted = await db
      .insertInto('upload_parts')
      .columns(['upload_id', 'part_number', 'size_bytes', 'sha256_hex'])
      .expression((eb) =>
        eb
          .selectFrom('uploads')
          .select([
            'id',
            eb.val(partNumber).as('part_number'),
            eb.val(stored.sizeBytes).as('size_bytes'),
            eb.val(stored.sha256Hex).as('sha256_hex'),
          ])
          .where('id', '=', row.id)
          .where('state', '=', 'open'),
      )
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) throw new AppError('NOT_FOUND');
    return { partNumber, sizeBytes: stored.sizeBytes, sha256: stored.sha256Hex };
  }

  /**
   * Turns a fully landed upload into a new file or a new version of a file. Idempotent: completing
   * a completed upload returns its node again.
   */
  async complete(userId: string, uploadId: string, request: CompleteUploadRequest): Promise<CompletedUpload> {
    const { db, blobStore, clock } = this.#deps;
    const row = await this.#findOwned(userId, uploadId);
    if (row.state === 'completed') return { node: await this.#completedNode(row), created: false };
    this.#assertNotExpired(row);
    const geometry = geometryOf(row);
    const wrong = await this.#reconcile(row);
    if (wrong.length > 0) {
      throw new AppError(
        'UPLOAD_INCOMPLETE',
        `part(s) ${wrong.slice(0, 20).join(', ')} in the store do not match what was announced (size or MD5): send them again`,
      );
    }
    const parts = await this.#partsOf(uploadId);
    const missing: number[] = [];
    const byNumber = new Map(parts.map((p) => [p.partNumber, p]));
    for (let n = 1; n <= geometry.partCount; n++) {
      const part = byNumber.get(n);
      if (part?.sizeBytes !== partExtent(geometry, n).sizeBytes) missing.push(n);
    }
    if (missing.length > 0) {
      const shown = missing.slice(0, 20).join(', ') + (missing.length > 20 ? ', ...' : '');
      throw new AppError('UPLOAD_INCOMPLETE', `${missing.length} part(s) missing: ${shown}`);
    }
    // Durable before the node exists ([Note: upload durability]).
    try {
      const claims = new Map<number, { sha256Hex: string; md5Hex: string }>();
      if (this.#direct) {
        const rows = await db
          .selectFrom('upload_part_claims')
          .select(['part_number', 'md5_hex', 'sha256_hex'])
          .where('upload_id', '=', row.id)
          .execute();
        for (const c of rows) claims.set(c.part_number, { sha256Hex: c.sha256_hex, md5Hex: c.md5_hex });
      }
      await blobStore.completeMultipart(
        row.blob_key,
        row.store_handle,
        parts.map((p) => {
          // A part announced for the bucket must be there with the announced MD5 (it may have been
          // sent again with an older URL since it was recorded).
          const claim = claims.get(p.partNumber);
          const md5Hex = claim?.sha256Hex === p.sha256 ? claim.md5Hex : undefined;
          return {
            partNumber: p.partNumber,
            sizeBytes: p.sizeBytes,
            sha256Hex: p.sha256,
            ...(md5Hex ? { md5Hex } : {}),
          };
        }),
      );
    } catch (error) {
      // A concurrent completion may have finished first.
      const again = await this.#findOwned(userId, uploadId);
      if (again.state === 'completed') return { node: await this.#completedNode(again), created: false };
      throw error;
    }
    const now = clock.now();
    const nodeId = request.kind === 'new-file' ? request.node.id : request.nodeId;
    const node = await db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable('uploads')
        .set({ state: 'completed', completed_node_id: nodeId })
        .where('id', '=', uploadId)
        .where('user_id', '=', userId)
        .where('state', '=', 'open')
        .where('expires_at', '>', now)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return undefined;
      await trx
        .updateTable('users')
        .set((eb) => ({
          reserved_bytes: eb('reserved_bytes', '-', row.size_bytes),
          used_bytes: eb('used_bytes', '+', row.size_bytes),
        }))
        .where('id', '=', userId)
        .execute();
      const common = { blobKey: row.blob_key, sizeBytes: row.size_bytes, now };
      const created =
        request.kind === 'new-file'
          ? await createFileNode(trx, userId, { node: request.node, version: request.version, ...common })
          : await addFileVersion(trx, userId, {
              nodeId: request.nodeId,
              revision: request.revision,
              version: request.version,
              ...common,
            });
      // The blob now belongs to a version: it is no longer garbage. If its row is gone, the collector
      // has taken the blob (an upload completed long past its expiry): never point a version at it.
      const ungarbaged = await trx
        .deleteFrom('blob_garbage')
        .where('blob_key', '=', row.blob_key)
        .executeTakeFirst();
      if (Number(ungarbaged.numDeletedRows) !== 1) throw new AppError('UPLOAD_EXPIRED');
      return created;
    });
    if (node !== undefined) return { node, created: true };
    // Lost a race: another completion won, or the upload expired or was aborted meanwhile.
    const again = await this.#findOwned(userId, uploadId);
    if (again.state === 'completed') return { node: await this.#completedNode(again), created: false };
    throw new AppError('UPLOAD_EXPIRED');
  }

  /** Drops an open upload, releasing its reserved quota. Aborting a completed upload only forgets it. */
  async abort(userId: string, uploadId: string): Promise<void> {
    const row = await this.#findOwned(userId, uploadId);
    await discardUpload(this.#deps, row);
  }

  async #completedNode(row: UploadRow): Promise<Node> {
    if (row.completed_node_id === null) throw new AppError('INTERNAL');
    return readNode(this.#deps.db, row.user_id, row.completed_node_id);
  }

  /** The upload if `userId` owns it; another account's upload is NOT_FOUND, as is a missing one. */
  async #findOwned(userId: string, uploadId: string): Promise<UploadRow> {
    const row = await this.#deps.db
      .selectFrom('uploads')
      .selectAll()
      .where('id', '=', uploadId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND');
    return row;
  }

  #assertNotExpired(row: UploadRow): void {
    if (row.state === 'open' && row.expires_at <= this.#deps.clock.now())
      throw new AppError('UPLOAD_EXPIRED');
  }

  async #partsOf(uploadId: string): Promise<UploadPart[]> {
    const rows = await this.#deps.db
      .selectFrom('upload_parts')
      .select(['part_number', 'size_bytes', 'sha256_hex'])
      .where('upload_id', '=', uploadId)
      .orderBy('part_number')
      .execute();
    return rows.map((r) => ({ partNumber: r.part_number, sizeBytes: r.size_bytes, sha256: r.sha256_hex }));
  }
}

/**
 * Forgets an upload. An open one also loses its reservation and its bytes: the unfinished parts
 * first (so a crash right after leaves the row, and the next expiry run tries again), then the row
 * and the reservation in one transaction, then a blob made durable by a completion that failed.
 * Safe against a concurrent completion: only the statement that deletes the still-open row acts on
 * the blob, and a completed blob is never aborted.
 */
async function discardUpload(deps: TransferDeps, row: UploadRow): Promise<boolean> {
  const { db, blobStore } = deps;
  if (row.state === 'open') await blobStore.abortMultipart(row.blob_key, row.store_handle);
  const released = await db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom('uploads')
      .where('id', '=', row.id)
      .where('state', '=', row.state)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) !== 1 || row.state !== 'open') return false;
    await trx
      .updateTable('users')
      .set((eb) => ({ reserved_bytes: eb('reserved_bytes', '-', row.size_bytes) }))
      .where('id', '=', row.user_id)
      .execute();
    return true;
  });
  if (!released) return false;
  await blobStore.delete(row.blob_key);
  await db.deleteFrom('blob_garbage').where('blob_key', '=', row.blob_key).execute();
  return true;
}

/**
 * The upload-expiry job: every open upload whose 24 hours are over is aborted (reservation
 * released, bytes dropped); completed uploads are forgotten once their time is over; unfinished
 * writes that no upload names (the server died between starting the write and saving the upload)
 * are aborted once they are older than the garbage grace period. Returns how many open uploads it
 * expired. Run by main.ts on an interval and directly by tests; safe on several servers at once.
 */
export async function expireUploads(deps: TransferDeps, now: number): Promise<number> {
  const { db } = deps;
  let expired = 0;
  for (;;) {
    const rows = await db
      .selectFrom('uploads')
      .selectAll()
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(100)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      if (await discardUpload(deps, row)) expired++;
    }
  }
  await abortOrphanedWrites(deps);
  return expired;
}

/**
 * Aborts unfinished writes older than the grace period that no upload row names (by blob key: every
 * upload has a key of its own, and a store may list a handle other than the one it gave).
 */
async function abortOrphanedWrites(deps: TransferDeps): Promise<void> {
  const { db, blobStore } = deps;
  if (!blobStore.listUnfinished) return;
  const graceMs = limitsOf(deps).garbageGraceMs;
  for await (const unfinished of blobStore.listUnfinished()) {
    if (unfinished.ageMs < graceMs) continue;
    const named = await db
      .selectFrom('uploads')
      .select('id')
      .where('blob_key', '=', unfinished.key)
      .executeTakeFirst();
    if (!named) await blobStore.abortMultipart(unfinished.key, unfinished.handle);
  }
}
