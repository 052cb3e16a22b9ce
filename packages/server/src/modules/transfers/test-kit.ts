// Test helpers of the transfers module (imported by its *.test.ts only): the whole app with a real
// FsBlobStore on a temporary data directory and a fresh database (SQLite, and PostgreSQL when
// DATABASE_URL is set); accounts with sessions made directly in the database, so transfers tests do
// not pay for OPAQUE sign-up.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../app.js';
import { ManualClock } from '../../clock.js';
import { parseConfig, type ConfigInput } from '../../config.js';
import type { Dialect } from '../../db/database.js';
import type { Db } from '../../db/schema.js';
import { sha256B64u } from '../../secrets.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { FsBlobStore } from '../../storage/fs-blob-store.js';
import { createTestDatabase, testDialects } from '../../testing/test-database.js';
import { createRootFolder } from '../tree/tree-service.js';
import { transferRoutes } from './routes.js';
import type { TransferDeps } from './upload-service.js';

/** The dialects to run database tests on: SQLite always, PostgreSQL when DATABASE_URL is set. */
export const dialects: Dialect[] = testDialects(process.env);

export interface TestAccount {
  userId: string;
  rootNodeId: string;
  token: string;
  /** `{ authorization: 'Bearer ...' }` */
  auth: { authorization: string };
}

export interface TestServer {
  app: FastifyInstance;
  db: Db;
  clock: ManualClock;
  blobStore: BlobStore;
  dataDir: string;
  deps: TransferDeps;
  /** A new account with `quotaBytes` of quota, a root folder and a live session. */
  account(quotaBytes?: number): Promise<TestAccount>;
  close(): Promise<void>;
}

export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Starts a whole app (transfers routes included) on a fresh data directory and database, with an
 * FsBlobStore there unless another store is given.
 */
export async function startTestServer(
  dialect: Dialect,
  options: { blobStore?: BlobStore; config?: ConfigInput } = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hoard-transfers-'));
  const database = await createTestDatabase(dialect, process.env.DATABASE_URL);
  const { db } = database;
  const clock = new ManualClock(Date.now());
  const blobStore = options.blobStore ?? new FsBlobStore({ rootDir: dataDir });
  const appDeps = { config: parseConfig({ dataDir, ...options.config }), db, blobStore, clock };
  const app = await createApp(appDeps);
  if (!app.hasRoute({ method: 'PUT', url: '/uploads/:id/parts/:partNumber' })) {
    await app.register(transferRoutes, appDeps);
  }
  await app.ready();
  return {
    app,
    db,
    clock,
    blobStore,
    dataDir,
    deps: { db, blobStore, clock },
    async account(quotaBytes = 100_000_000_000) {
      const userId = randomId();
      const rootNodeId = randomId();
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      const filler = 'AAAA';
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('users')
          .values({
            id: userId,
            email: `${userId.toLowerCase()}@example.com`,
            opaque_record: filler,
            wrapped_master_key: filler,
            wrapped_master_key_recovery: filler,
            recovery_auth_hash: filler,
            root_node_id: rootNodeId,
            public_encryption_key: filler,
            public_signing_key: filler,
            wrapped_encryption_private_key: filler,
            wrapped_signing_private_key: filler,
            public_keys_signature: filler,
            quota_bytes: quotaBytes,
            created_at: now,
          })
          .execute();
        await createRootFolder(trx, userId, { id: rootNodeId, wrappedKey: filler }, now);
        await trx
          .insertInto('sessions')
          .values({
            id: randomId(),
            user_id: userId,
            token_hash: sha256B64u(token),
            secret: randomBytes(32).toString('base64url'),
            created_at: now,
            last_seen_at: now,
            expires_at: now + 30 * 24 * 3600 * 1000,
          })
          .execute();
      });
      return { userId, rootNodeId, token, auth: { authorization: `Bearer ${token}` } };
    },
    async close() {
      await app.close();
      await database.destroy();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The quota counters of an account. */
export async function quotaOf(db: Db, userId: string): Promise<{ usedBytes: number; reservedBytes: number }> {
  const row = await db
    .selectFrom('users')
    .select(['used_bytes', 'reserved_bytes'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return { usedBytes: Number(row.used_bytes), reservedBytes: Number(row.reserved_bytes) };
}
