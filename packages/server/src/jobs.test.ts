import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { runJobs } from './jobs.js';
import { createFileNode } from './modules/tree/tree-service.js';
import { randomId } from './secrets.js';
import { MemoryBlobStore } from './testing/memory-blob-store.js';
import {
  randomVersionId,
  createTestApp,
  fake32,
  fakeKey,
  signUp,
  type TestAccount,
  type TestApp,
} from './testing/test-app.js';
import { testDialects } from './testing/test-database.js';

const DAY_MS = 24 * 3600 * 1000;

for (const dialect of testDialects(process.env)) {
  describe(`background jobs (${dialect})`, () => {
    let t: TestApp;
    let alice: TestAccount;
    const blobStore = new MemoryBlobStore();

    beforeAll(async () => {
      t = await createTestApp({ dialect, databaseUrl: process.env.DATABASE_URL, blobStore });
      alice = await signUp(t.app);
    });
    afterAll(async () => {
      await t.close();
    });

    it('purges trash 30 days after it was trashed and deletes its blobs through the BlobStore', async () => {
      const blobKey = `blob${randomId()}`;
      blobStore.put(blobKey, new Uint8Array(100));
      await t.db.updateTable('users').set({ used_bytes: 100 }).where('id', '=', alice.userId).execute();
      const file = await t.db.transaction().execute((trx) =>
        createFileNode(trx, alice.userId, {
          node: {
            id: randomId(),
            parentId: alice.rootNodeId,
            wrappedKey: fakeKey(),
            encryptedAttrs: fakeKey(),
            nameHash: fake32(),
          },
          version: { id: randomVersionId(), wrappedKey: fakeKey(), encryptedAttrs: fakeKey() },
          blobKey,
          sizeBytes: 100,
          now: t.clock.now(),
        }),
      );
      await t.app.inject({
        method: 'POST',
        url: `/nodes/${file.id}/trash`,
        headers: alice.headers,
        payload: { revision: 1 },
      });
      const deps = { config: parseConfig({}), db: t.db, blobStore, clock: t.clock };

      t.clock.advance(29 * DAY_MS);
      expect((await runJobs(deps)).purgedTrashNodes).toBe(0);
      expect(blobStore.blobs.has(blobKey)).toBe(true);

      t.clock.advance(DAY_MS + 1);
      const report = await runJobs(deps);
      expect(report.purgedTrashNodes).toBe(1);
      expect(report.collectedBlobs).toBeGreaterThanOrEqual(1);
      expect(blobStore.blobs.has(blobKey)).toBe(false);
      const user = await t.db
        .selectFrom('users')
        .select('used_bytes')
        .where('id', '=', alice.userId)
        .executeTakeFirstOrThrow();
      expect(user.used_bytes).toBe(0);
      expect(await t.db.selectFrom('blob_garbage').selectAll().execute()).toEqual([]);
    });

    it('drops login attempts and recoveries that expired', async () => {
      const now = t.clock.now();
      await t.db
        .insertInto('login_attempts')
        .values({ id: randomId(), email: 'x', server_login_state: 's', expires_at: now - 1 })
        .execute();
      await runJobs({ config: parseConfig({}), db: t.db, blobStore, clock: t.clock });
      expect(
        await t.db.selectFrom('login_attempts').selectAll().where('expires_at', '<=', now).execute(),
      ).toEqual([]);
    });
  });
}
