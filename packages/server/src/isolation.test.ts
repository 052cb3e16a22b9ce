// Another account can never read, list, change or delete your things: this walks every route of
// the protocol's route table that names an id, with a second account's session and the first
// account's ids, and expects NOT_FOUND each time; then checks that nothing of the first changed.
import { routes, type Node, type RouteSpec } from '@hoard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from './secrets.js';
import {
  createTestApp,
  fake32,
  fakeKey,
  newFileCompletion,
  randomVersionId,
  signUp,
  type TestAccount,
  type TestApp,
} from './testing/test-app.js';
import { testDialects } from './testing/test-database.js';
import { addFileVersion, createFileNode } from './modules/tree/tree-service.js';

for (const dialect of testDialects(process.env)) {
  describe(`another account's session (${dialect})`, () => {
    let t: TestApp;
    let alice: TestAccount;
    let bob: TestAccount;
    const ids: Record<string, string> = {};
    let aliceSnapshot: string;

    const snapshot = async () =>
      JSON.stringify({
        nodes: await t.db
          .selectFrom('nodes')
          .selectAll()
          .where('user_id', '=', alice.userId)
          .orderBy('id')
          .execute(),
        versions: await t.db
          .selectFrom('versions')
          .selectAll()
          .where('user_id', '=', alice.userId)
          .orderBy('id')
          .execute(),
        sessions: await t.db
          .selectFrom('sessions')
          .select('id')
          .where('user_id', '=', alice.userId)
          .orderBy('id')
          .execute(),
        uploads: await t.db
          .selectFrom('uploads')
          .selectAll()
          .where('user_id', '=', alice.userId)
          .orderBy('id')
          .execute(),
        user: await t.db.selectFrom('users').selectAll().where('id', '=', alice.userId).execute(),
        invoices: await t.db.selectFrom('invoices').selectAll().where('user_id', '=', alice.userId).execute(),
        links: await t.db.selectFrom('links').selectAll().where('user_id', '=', alice.userId).execute(),
        shares: await t.db.selectFrom('shares').selectAll().where('owner_id', '=', alice.userId).execute(),
      });

    beforeAll(async () => {
      t = await createTestApp({ dialect, databaseUrl: process.env.DATABASE_URL });
      alice = await signUp(t.app);
      bob = await signUp(t.app);
      const folder = await t.app.inject({
        method: 'POST',
        url: '/nodes',
        headers: alice.headers,
        payload: {
          id: randomId(),
          parentId: alice.rootNodeId,
          type: 'folder',
          wrappedKey: fakeKey(),
          encryptedAttrs: fakeKey(),
          nameHash: fake32(),
        },
      });
      ids.folder = folder.json<{ node: Node }>().node.id;
      const trashed = await t.app.inject({
        method: 'POST',
        url: '/nodes',
        headers: alice.headers,
        payload: {
          id: randomId(),
          parentId: alice.rootNodeId,
          type: 'folder',
          wrappedKey: fakeKey(),
          encryptedAttrs: fakeKey(),
          nameHash: fake32(),
        },
      });
      ids.trashed = trashed.json<{ node: Node }>().node.id;
      await t.app.inject({
        method: 'POST',
        url: `/nodes/${ids.trashed}/trash`,
        headers: alice.headers,
        payload: { revision: 1 },
      });
      const file = await t.db.transaction().execute(async (trx) => {
        const created = await createFileNode(trx, alice.userId, {
          node: {
            id: randomId(),
            parentId: ids.folder!,
            wrappedKey: fakeKey(),
            encryptedAttrs: fakeKey(),
            nameHash: fake32(),
          },
          version: { id: randomVersionId(), wrappedKey: fakeKey(), encryptedAttrs: fakeKey() },
          blobKey: `blob${randomId()}`,
          sizeBytes: 10,
          now: t.clock.now(),
        });
        return addFileVersion(trx, alice.userId, {
          nodeId: created.id,
          revision: created.revision,
          version: { id: randomVersionId(), wrappedKey: fakeKey(), encryptedAttrs: fakeKey() },
          blobKey: `blob${randomId()}`,
          sizeBytes: 12,
          now: t.clock.now() + 1,
        });
      });
      ids.file = file.id;
      ids.currentVersion = file.currentVersion!.id;
      const older = await t.db
        .selectFrom('versions')
        .select('id')
        .where('node_id', '=', file.id)
        .where('id', '!=', ids.currentVersion)
        .executeTakeFirstOrThrow();
      ids.olderVersion = older.id;
      const upload = await t.app.inject({
        method: 'POST',
        url: '/uploads',
        headers: alice.headers,
        payload: { sizeBytes: 10 },
      });
      expect(upload.statusCode, upload.body).toBe(201);
      ids.upload = upload.json<{ upload: { id: string } }>().upload.id;
      ids.session = alice.session.id;
      // An invoice of alice's (stored directly: this app has no payment provider).
      ids.invoice = randomId();
      await t.db
        .insertInto('invoices')
        .values({
          id: ids.invoice,
          user_id: alice.userId,
          plan_id: 'pro',
          plan_quota_bytes: 1_000,
          plan_period_days: 30,
          provider: 'watch',
          provider_invoice_id: `addr-${ids.invoice}`,
          amount_sats: 50_000,
          paid_sats: 0,
          pending_sats: 0,
          status: 'new',
          additional_status: 'none',
          address: `addr-${ids.invoice}`,
          bip21: `bitcoin:addr-${ids.invoice}?amount=0.0005`,
          lightning: null,
          checkout_link: null,
          derivation_index: 0,
          settle_count: 0,
          period_id: null,
          created_at: t.clock.now(),
          expires_at: t.clock.now() + 3600_000,
          settled_at: null,
          updated_at: t.clock.now(),
          synced_at: t.clock.now(),
        })
        .execute();
      // A link of alice's, and alice's folder shared with carol (accepted, read-write), with an
      // upload carol began through the share: bob names them all.
      ids.link = randomId();
      const link = await t.app.inject({
        method: 'POST',
        url: '/links',
        headers: alice.headers,
        payload: {
          id: ids.link,
          nodeId: ids.folder,
          wrappedKey: fakeKey(),
          ownerWrappedLinkKey: fakeKey(),
          keyCommitment: fake32(),
        },
      });
      expect(link.statusCode, link.body).toBe(201);
      const carol = await signUp(t.app);
      ids.share = randomId();
      const share = await t.app.inject({
        method: 'POST',
        url: '/shares',
        headers: alice.headers,
        payload: {
          id: ids.share,
          folderId: ids.folder,
          memberUserId: carol.userId,
          access: 'write',
          sealedKey: Buffer.alloc(80, 1).toString('base64url'),
          signature: Buffer.alloc(64, 2).toString('base64url'),
        },
      });
      expect(share.statusCode, share.body).toBe(201);
      await t.app.inject({ method: 'POST', url: `/shares/${ids.share}/accept`, headers: carol.headers });
      const shareUpload = await t.app.inject({
        method: 'POST',
        url: `/shares/${ids.share}/uploads`,
        headers: carol.headers,
        payload: { sizeBytes: 10 },
      });
      expect(shareUpload.statusCode, shareUpload.body).toBe(201);
      ids.shareUpload = shareUpload.json<{ upload: { id: string } }>().upload.id;
      aliceSnapshot = await snapshot();
    });
    afterAll(async () => {
      await t.close();
    });

    /** Alice's ids to put in each parameter, per route. */
    function urlsFor(spec: RouteSpec): string[] {
      const nodeIds = [alice.rootNodeId, ids.folder!, ids.file!, ids.trashed!];
      if (spec.path.startsWith('/nodes/:id/versions/:versionId')) {
        return [ids.olderVersion!, ids.currentVersion!].map((v) =>
          spec.path.replace(':id', ids.file!).replace(':versionId', v),
        );
      }
      if (spec.path.startsWith('/nodes/:id')) return nodeIds.map((id) => spec.path.replace(':id', id));
      if (spec.path.startsWith('/versions/:versionId')) {
        return [ids.olderVersion!, ids.currentVersion!].map((v) => spec.path.replace(':versionId', v));
      }
      if (spec.path.startsWith('/uploads/:id'))
        return [spec.path.replace(':id', ids.upload!).replace(':partNumber', '1')];
      if (spec.path === '/account/sessions/:id') return [spec.path.replace(':id', ids.session!)];
      if (spec.path.startsWith('/links/:linkId')) return [spec.path.replace(':linkId', ids.link!)];
      if (spec.path.startsWith('/shares/:shareId')) {
        return [ids.folder!, ids.file!].map((nodeId) =>
          spec.path
            .replace(':shareId', ids.share!)
            .replace(':nodeId', nodeId)
            .replace(':versionId', ids.currentVersion!)
            .replace(':id', ids.shareUpload!)
            .replace(':partNumber', '1'),
        );
      }
      if (spec.path === '/invoices/:id') return [spec.path.replace(':id', ids.invoice!)];
      throw new Error(`the isolation walk does not know ${spec.method} ${spec.path}: add it`);
    }

    function bodyFor(spec: RouteSpec): { payload?: unknown; headers?: Record<string, string> } {
      if (spec.request === 'binary') {
        return { payload: Buffer.alloc(10), headers: { 'content-type': 'application/octet-stream' } };
      }
      if (spec.request === undefined) return {};
      if (spec.path === '/links/:linkId') return { payload: { maxDownloads: 1 } };
      if (spec.path === '/uploads/:id/parts/:partNumber/target') {
        return { payload: { sha256: '0'.repeat(64), md5: `${'A'.repeat(22)}==` } };
      }
      if (spec.path === '/shares/:shareId/nodes') {
        return {
          payload: {
            id: randomId(),
            parentId: ids.folder,
            type: 'folder',
            wrappedKey: fakeKey(),
            encryptedAttrs: fakeKey(),
            nameHash: fake32(),
          },
        };
      }
      if (spec.path === '/shares/:shareId/uploads') return { payload: { sizeBytes: 10 } };
      if (spec.path === '/uploads/:id/complete' || spec.path === '/shares/:shareId/uploads/:id/complete') {
        return {
          payload: {
            kind: 'new-version',
            nodeId: ids.file,
            revision: 2,
            version: { id: randomId(), wrappedKey: fakeKey(), encryptedAttrs: fakeKey() },
          },
        };
      }
      return { payload: { revision: 1, encryptedAttrs: fakeKey(), nameHash: fake32() } };
    }

    const withIds = Object.entries(routes).filter(([, spec]) => spec.auth && spec.path.includes(':'));

    it('covers every route that names an id', () => {
      expect(withIds.length).toBeGreaterThanOrEqual(15);
    });

    for (const [name, spec] of withIds) {
      it(`${name}: ${spec.method} ${spec.path} answers NOT_FOUND with alice's ids`, async () => {
        for (const url of urlsFor(spec)) {
          const { payload, headers } = bodyFor(spec);
          const res = await t.app.inject({
            method: spec.method,
            url,
            headers: { ...bob.headers, ...headers },
            ...(payload === undefined ? {} : { payload: payload as string }),
          });
          expect({ url, status: res.statusCode, code: res.json().error?.code }).toEqual({
            url,
            status: 404,
            code: 'NOT_FOUND',
          });
        }
      });
    }

    it("cannot put anything into alice's folders", async () => {
      const mkdir = await t.app.inject({
        method: 'POST',
        url: '/nodes',
        headers: bob.headers,
        payload: {
          id: randomId(),
          parentId: ids.folder,
          type: 'folder',
          wrappedKey: fakeKey(),
          encryptedAttrs: fakeKey(),
          nameHash: fake32(),
        },
      });
      expect(mkdir.json().error.code).toBe('NOT_FOUND');
      const own = await t.app.inject({
        method: 'POST',
        url: '/nodes',
        headers: bob.headers,
        payload: {
          id: randomId(),
          parentId: bob.rootNodeId,
          type: 'folder',
          wrappedKey: fakeKey(),
          encryptedAttrs: fakeKey(),
          nameHash: fake32(),
        },
      });
      const bobFolder = own.json<{ node: Node }>().node;
      const move = await t.app.inject({
        method: 'PATCH',
        url: `/nodes/${bobFolder.id}`,
        headers: bob.headers,
        payload: { revision: 1, parentId: ids.folder, wrappedKey: fakeKey(), nameHash: fake32() },
      });
      expect(move.json().error.code).toBe('NOT_FOUND');
      await t.app.inject({
        method: 'POST',
        url: `/nodes/${bobFolder.id}/trash`,
        headers: bob.headers,
        payload: { revision: 1 },
      });
      const restore = await t.app.inject({
        method: 'POST',
        url: `/nodes/${bobFolder.id}/restore`,
        headers: bob.headers,
        payload: { revision: 2, parentId: ids.folder, wrappedKey: fakeKey(), nameHash: fake32() },
      });
      expect(restore.json().error.code).toBe('NOT_FOUND');
      const upload = await t.app.inject({
        method: 'POST',
        url: '/uploads',
        headers: bob.headers,
        payload: { sizeBytes: 10 },
      });
      const uploadId = upload.json<{ upload: { id: string } }>().upload.id;
      const part = await t.app.inject({
        method: 'PUT',
        url: `/uploads/${uploadId}/parts/1`,
        headers: { ...bob.headers, 'content-type': 'application/octet-stream' },
        payload: Buffer.alloc(10, 7),
      });
      expect(part.statusCode, part.body).toBe(200);
      const complete = await t.app.inject({
        method: 'POST',
        url: `/uploads/${uploadId}/complete`,
        headers: bob.headers,
        payload: newFileCompletion(ids.folder!),
      });
      expect(complete.json().error.code, complete.body).toBe('NOT_FOUND');
      const newVersion = await t.app.inject({
        method: 'POST',
        url: `/uploads/${uploadId}/complete`,
        headers: bob.headers,
        payload: {
          kind: 'new-version',
          nodeId: ids.file,
          revision: 2,
          version: { id: randomId(), wrappedKey: fakeKey(), encryptedAttrs: fakeKey() },
        },
      });
      expect(newVersion.json().error.code, newVersion.body).toBe('NOT_FOUND');
    });

    it("never lists alice's things in bob's trash, sessions or account", async () => {
      const trash = await t.app.inject({ method: 'GET', url: '/trash', headers: bob.headers });
      expect(trash.body).not.toContain(ids.trashed);
      const sessions = await t.app.inject({ method: 'GET', url: '/account/sessions', headers: bob.headers });
      expect(sessions.body).not.toContain(alice.session.id);
      const account = await t.app.inject({ method: 'GET', url: '/account', headers: bob.headers });
      expect(account.json().account.userId).toBe(bob.userId);
      await t.app.inject({ method: 'POST', url: '/trash/empty', headers: bob.headers });
    });

    it("left every row of alice's untouched", async () => {
      expect(await snapshot()).toBe(aliceSnapshot);
    });
  });
}
