// Public links as rules over the database (no HTTP). The owner creates, lists, changes and revokes
// links to its own nodes; anyone holding a link id reads what the link allows: its public facts,
// the linked node with its key wrapped for the link, the linked subtree (never above it), and
// ciphertext through a download grant. The server never sees the link key: it keeps the wrapped
// node key, a key commitment, and for password links the SHA-256 of a password proof that depends
// on the link key too (docs/FORMAT.md section 14).
//
// [Note: link checks on every request] Every anonymous request re-reads the link: disabled,
// revoked, expired, its node deleted or trashed: refused at once, grants included. Only the cap
// is checked when a grant is made (a download already counted may finish its ranges).
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  B64u32,
  type NodesPageResponse,
  type ChildrenQuery,
  type CreateLinkRequest,
  type Link,
  type LinkGrant,
  type LinkId,
  type LinkStatus,
  type Node,
  type NodeId,
  type PublicLink,
  type UpdateLinkRequest,
} from '@hoard/protocol';
import type { Clock } from '../../clock.js';
import type { Db, LinkRow, NodeRow } from '../../db/schema.js';
import { AppError, isUniqueViolation } from '../../errors.js';
import { randomSecret, sha256B64u } from '../../secrets.js';
import { isInTrash, liveChildrenOf, nodeById } from '../tree/tree-service.js';
import type { ContentSource } from '../transfers/content-service.js';
import { nodeInSubtree } from './subtree.js';

/** Wrong password proofs allowed per link per window, and the window. */
export const LINK_PASSWORD_ATTEMPTS = 10;
export const LINK_PASSWORD_WINDOW_MS = 15 * 60 * 1000;
/** How long a download grant allows ranged reads. */
export const LINK_GRANT_TTL_MS = 24 * 3600 * 1000;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** SHA-256 (base64url) of the raw bytes of a base64url value: the password verifier. */
function verifierOf(proofB64u: string): string {
  return createHash('sha256').update(Buffer.from(proofB64u, 'base64url')).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface LinkDeps {
  db: Db;
  clock: Clock;
}

export class LinkService {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(deps: LinkDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  // ---- the owner ----

  /** Creates a link to a live node of `userId` (not the root). */
  async create(userId: string, request: CreateLinkRequest): Promise<Link> {
    const now = this.#clock.now();
    const expiresAt = request.expiresAt == null ? null : Date.parse(request.expiresAt);
    if (expiresAt !== null && expiresAt <= now) {
      throw new AppError('VALIDATION_FAILED', 'expiresAt: must be in the future');
    }
    return this.#db.transaction().execute(async (trx) => {
      const node = await trx
        .selectFrom('nodes')
        .selectAll()
        .where('id', '=', request.nodeId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!node) throw new AppError('NOT_FOUND', 'no such node');
      if (node.parent_id === null && node.trashed_at === null) {
        throw new AppError('ROOT_IMMUTABLE', 'the root folder cannot be linked; link a folder inside it');
      }
      if (await isInTrash(trx, node)) throw new AppError('NOT_FOUND', 'the node is in the trash');
      try {
        await trx
          .insertInto('links')
          .values({
            id: request.id,
            user_id: userId,
            node_id: node.id,
            wrapped_key: request.wrappedKey,
            owner_wrapped_link_key: request.ownerWrappedLinkKey,
            key_commitment: request.keyCommitment,
            password_verifier: request.passwordProof === undefined ? null : verifierOf(request.passwordProof),
            expires_at: expiresAt,
            max_downloads: request.maxDownloads ?? null,
            revoked_at: null,
            disabled_at: null,
            created_at: now,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('ID_TAKEN', 'that link id is taken', { cause: error });
        throw error;
      }
      return this.#ownerView(trx, await this.#ownLink(trx, userId, request.id), now);
    });
  }

  /** Every link of `userId`, newest first. */
  async list(userId: string): Promise<Link[]> {
    const now = this.#clock.now();
    const rows = await this.#db
      .selectFrom('links')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
    const links: Link[] = [];
    for (const row of rows) links.push(await this.#ownerView(this.#db, row, now));
    return links;
  }

  /** Changes the expiry and/or the cap of a link of `userId`. */
  async update(userId: string, linkId: string, request: UpdateLinkRequest): Promise<Link> {
    const now = this.#clock.now();
    const row = await this.#ownLink(this.#db, userId, linkId);
    if (row.revoked_at !== null) throw new AppError('LINK_REVOKED', 'the link was revoked; make a new one');
    const changes: Partial<Pick<LinkRow, 'expires_at' | 'max_downloads'>> = {};
    if (request.expiresAt !== undefined) {
      const expiresAt = request.expiresAt === null ? null : Date.parse(request.expiresAt);
      if (expiresAt !== null && expiresAt <= now) {
        throw new AppError('VALIDATION_FAILED', 'expiresAt: must be in the future');
      }
      changes.expires_at = expiresAt;
    }
    if (request.maxDownloads !== undefined) changes.max_downloads = request.maxDownloads;
    await this.#db.updateTable('links').set(changes).where('id', '=', row.id).execute();
    return this.#ownerView(this.#db, await this.#ownLink(this.#db, userId, linkId), now);
  }

  /** Revokes a link of `userId` (idempotent); its grants stop with it. */
  async revoke(userId: string, linkId: string): Promise<void> {
    const row = await this.#ownLink(this.#db, userId, linkId);
    if (row.revoked_at !== null) return;
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('links')
        .set({ revoked_at: this.#clock.now() })
        .where('id', '=', row.id)
        .execute();
      await trx.deleteFrom('link_grants').where('link_id', '=', row.id).execute();
    });
  }

  async #ownLink(db: Db, userId: string, linkId: string): Promise<LinkRow> {
    const row = await db
      .selectFrom('links')
      .selectAll()
      .where('id', '=', linkId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'no such link');
    return row;
  }

  async #ownerView(db: Db, row: LinkRow, now: number): Promise<Link> {
    const nodeRow = await db.selectFrom('nodes').selectAll().where('id', '=', row.node_id).executeTakeFirst();
    const live = nodeRow !== undefined && !(await isInTrash(db, nodeRow));
    const node = live ? ((await nodeById(db, row.node_id)) ?? null) : null;
    return {
      id: row.id as LinkId,
      nodeId: row.node_id as NodeId,
      node,
      ownerWrappedLinkKey: row.owner_wrapped_link_key,
      passwordRequired: row.password_verifier !== null,
      expiresAt: iso(row.expires_at),
      maxDownloads: row.max_downloads,
      downloadCount: row.download_count,
      status: statusOf(row, live, now),
      createdAt: new Date(row.created_at).toISOString(),
      revokedAt: iso(row.revoked_at),
      disabledAt: iso(row.disabled_at),
    };
  }

  // ---- anyone holding the link id ----

  /** The link's public facts; refuses a link that does not answer any more. */
  async publicInfo(linkId: string): Promise<PublicLink> {
    const { row, node } = await this.#usable(linkId, { capped: true });
    return {
      id: row.id as LinkId,
      type: node.type,
      keyCommitment: row.key_commitment,
      passwordRequired: row.password_verifier !== null,
      expiresAt: iso(row.expires_at),
      downloadsLeft: row.max_downloads === null ? null : Math.max(0, row.max_downloads - row.download_count),
    };
  }

  /** The linked node (shown without its parent) and its key wrapped for the link. */
  async linkedNode(linkId: string, proof: string | undefined): Promise<{ node: Node; wrappedKey: string }> {
    const { row } = await this.#usable(linkId, { capped: true });
    await this.#checkProof(row, proof);
    const node = await nodeById(this.#db, row.node_id);
    if (!node) throw new AppError('NOT_FOUND', 'the linked file or folder is gone');
    return { node: { ...node, parentId: null }, wrappedKey: row.wrapped_key };
  }

  /** A page of the live children of a folder inside the linked subtree. */
  async children(
    linkId: string,
    nodeId: string,
    proof: string | undefined,
    query: ChildrenQuery,
  ): Promise<NodesPageResponse> {
    const { row } = await this.#usable(linkId, { capped: true });
    await this.#checkProof(row, proof);
    const folder = await this.#nodeInLink(row, nodeId);
    if (folder.type !== 'folder') throw new AppError('NOT_A_FOLDER', 'not a folder');
    return liveChildrenOf(this.#db, folder.id, query);
  }

  /** Counts one download against the cap (atomically) and returns its grant. */
  async createGrant(linkId: string, proof: string | undefined): Promise<LinkGrant> {
    const { row } = await this.#usable(linkId, { capped: true });
    await this.#checkProof(row, proof);
    const now = this.#clock.now();
    const secret = randomSecret();
    const expiresAt = now + LINK_GRANT_TTL_MS;
    await this.#db.transaction().execute(async (trx) => {
      const counted = await trx
        .updateTable('links')
        .set((eb) => ({ download_count: eb('download_count', '+', 1) }))
        .where('id', '=', row.id)
        .where((eb) =>
          eb.or([eb('max_downloads', 'is', null), eb('download_count', '<', eb.ref('max_downloads'))]),
        )
        .executeTakeFirst();
      if (counted.numUpdatedRows === 0n) throw exhausted();
      await trx
        .insertInto('link_grants')
        .values({ id_hash: sha256B64u(secret), link_id: row.id, expires_at: expiresAt, created_at: now })
        .execute();
    });
    await this.#db.deleteFrom('link_grants').where('expires_at', '<', now).execute();
    return { id: secret as LinkGrant['id'], expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * The ciphertext a grant may read: the file link's current version (no versionId), or the
   * current version `versionId` of a file inside the linked subtree.
   */
  async content(linkId: string, grantId: string, versionId?: string): Promise<ContentSource> {
    if (!B64u32.safeParse(grantId).success) throw new AppError('NOT_FOUND', 'no such grant');
    const { row } = await this.#usable(linkId, { capped: false });
    const grant = await this.#db
      .selectFrom('link_grants')
      .select(['expires_at'])
      .where('id_hash', '=', sha256B64u(grantId))
      .where('link_id', '=', row.id)
      .executeTakeFirst();
    if (!grant) throw new AppError('NOT_FOUND', 'no such grant');
    if (grant.expires_at <= this.#clock.now()) {
      throw new AppError('LINK_GRANT_EXPIRED', 'the download grant expired; start the download again');
    }
    let file: NodeRow;
    if (versionId === undefined) {
      file = await this.#nodeInLink(row, row.node_id);
      if (file.type !== 'file') throw new AppError('NOT_A_FILE', 'the link is to a folder: name a version');
    } else {
      const version = await this.#db
        .selectFrom('versions')
        .select(['node_id'])
        .where('id', '=', versionId)
        .executeTakeFirst();
      if (!version) throw new AppError('NOT_FOUND', 'no such version');
      file = await this.#nodeInLink(row, version.node_id);
      if (file.current_version_id !== versionId) throw new AppError('NOT_FOUND', 'no such version');
    }
    if (file.current_version_id === null) throw new AppError('NOT_A_FILE', 'not a file');
    const version = await this.#db
      .selectFrom('versions')
      .select(['id', 'blob_key', 'size_bytes'])
      .where('id', '=', file.current_version_id)
      .executeTakeFirstOrThrow();
    return { versionId: version.id, blobKey: version.blob_key, sizeBytes: version.size_bytes };
  }

  /** A node of the linked subtree (the linked node or below it, live); NOT_FOUND otherwise. */
  async #nodeInLink(link: LinkRow, nodeId: string): Promise<NodeRow> {
    const node = await nodeInSubtree(this.#db, link.node_id, link.user_id, nodeId);
    if (!node) throw new AppError('NOT_FOUND', 'no such node in this link');
    return node;
  }

  /** The link if it answers: not disabled, revoked, expired, (capped), and its node live. */
  async #usable(linkId: string, options: { capped: boolean }): Promise<{ row: LinkRow; node: NodeRow }> {
    const row = await this.#db.selectFrom('links').selectAll().where('id', '=', linkId).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'no such link');
    const now = this.#clock.now();
    if (row.disabled_at !== null) {
      throw new AppError('LINK_DISABLED', 'this link was disabled by the operator of this server');
    }
    if (row.revoked_at !== null) throw new AppError('LINK_REVOKED', 'the owner revoked this link');
    if (row.expires_at !== null && row.expires_at <= now) {
      throw new AppError('LINK_EXPIRED', `this link expired on ${new Date(row.expires_at).toISOString()}`);
    }
    const node = await this.#db
      .selectFrom('nodes')
      .selectAll()
      .where('id', '=', row.node_id)
      .executeTakeFirst();
    if (!node || (await isInTrash(this.#db, node))) {
      throw new AppError('NOT_FOUND', 'the linked file or folder is no longer there');
    }
    if (options.capped && row.max_downloads !== null && row.download_count >= row.max_downloads) {
      throw exhausted();
    }
    return { row, node };
  }

  /**
   * Checks a password link's proof. Wrong proofs are counted per link in the database (so every
   * server of a fleet sees them); past the limit every proof, right or wrong, gets RATE_LIMITED
   * until the window ends, so the answers tell an attacker nothing more.
   */
  async #checkProof(row: LinkRow, proof: string | undefined): Promise<void> {
    if (row.password_verifier === null) return;
    const now = this.#clock.now();
    const windowOpen = now - row.password_window_start < LINK_PASSWORD_WINDOW_MS;
    if (windowOpen && row.password_failures >= LINK_PASSWORD_ATTEMPTS) {
      const retryAfterSeconds = Math.ceil((row.password_window_start + LINK_PASSWORD_WINDOW_MS - now) / 1000);
      throw new AppError('RATE_LIMITED', 'too many wrong passwords for this link; try again later', {
        retryAfterSeconds: Math.max(1, retryAfterSeconds),
      });
    }
    if (proof === undefined || proof === '') {
      throw new AppError('LINK_PASSWORD_REQUIRED', 'this link needs its password');
    }
    if (B64u32.safeParse(proof).success && sameText(verifierOf(proof), row.password_verifier)) return;
    if (windowOpen) {
      await this.#db
        .updateTable('links')
        .set((eb) => ({ password_failures: eb('password_failures', '+', 1) }))
        .where('id', '=', row.id)
        .execute();
    } else {
      await this.#db
        .updateTable('links')
        .set({ password_failures: 1, password_window_start: now })
        .where('id', '=', row.id)
        .execute();
    }
    throw new AppError('LINK_PASSWORD_WRONG', 'wrong password for this link');
  }
}

function exhausted(): AppError {
  return new AppError('LINK_EXHAUSTED', 'this link has reached its download limit');
}

function statusOf(row: LinkRow, live: boolean, now: number): LinkStatus {
  if (row.disabled_at !== null) return 'disabled';
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && row.expires_at <= now) return 'expired';
  if (!live) return 'gone';
  if (row.max_downloads !== null && row.download_count >= row.max_downloads) return 'exhausted';
  return 'active';
}
