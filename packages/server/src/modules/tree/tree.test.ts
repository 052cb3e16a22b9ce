import type { Node, VersionId } from '@hoard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../secrets.js';
import {
  randomVersionId,
  createTestApp,
  fake32,
  fakeKey,
  signUp,
  type TestAccount,
  type TestApp,
} from '../../testing/test-app.js';
import { testDialects } from '../../testing/test-database.js';
import { addFileVersion, createFileNode, MAX_OLDER_VERSIONS, purgeTrash } from './tree-service.js';

const DAY_MS = 24 * 3600 * 1000;

for (const dialect of testDialects(process.env)) {
  describe(`tree (${dialect})`, () => {
    let t: TestApp;
    let alice: TestAccount;

    beforeAll(async () => {
      t = await createTestApp({
        dialect,
        databaseUrl: process.env.DATABASE_URL,
        config: { sessionTtlSeconds: 365 * 24 * 3600 },
      });
      alice = await signUp(t.app);
    });
    afterAll(async () => {
      await t.close();
    });

    async function mkdir(parentId: string, account = alice, nameHash = fake32()): Promise<Node> {
      const res = await t.app.inject({
        method: 'POST',
        url: '/nodes',
        headers: account.headers,
        payload: {
          id: randomId(),
          parentId,
          type: 'folder',
          wrappedKey: fakeKey(),
          encryptedAttrs: fakeKey(),
          nameHash,
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ node: Node }>().node;
    }

    async function addFile(parentId: string, sizeBytes = 100, nameHash = fake32()): Promise<Node> {
      return t.db.transaction().execute((trx) =>
        createFileNode(trx, alice.userId, {
          node: { id: randomId(), parentId, wrappedKey: fakeKey(), encryptedAttrs: fakeKey(), nameHash },
          version: { id: randomVersionId(), wrappedKey: fakeKey(), encryptedAttrs: fakeKey() },
          blobKey: `blob-${randomId()}`,
          sizeBytes,
          now: t.clock.now(),
        }),
      );
    }

    const call = (
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
      url: string,
      payload?: object,
      account = alice,
    ) => t.app.inject({ method, url, headers: account.headers, ...(payload ? { payload } : {}) });

    it('returns the root folder created at sign-up', async () => {
      const res = await call('GET', `/nodes/${alice.rootNodeId}`);
      expect(res.statusCode).toBe(200);
      const { node } = res.json<{ node: Node }>();
      expect(node).toMatchObject({
        id: alice.rootNodeId,
        parentId: null,
        type: 'folder',
        revision: 1,
        nameHash: '',
      });
    });

    it('creates folders and lists children without trashed ones', async () => {
      const a = await mkdir(alice.rootNodeId);
      const b = await mkdir(a.id);
      const c = await mkdir(a.id);
      await call('POST', `/nodes/${c.id}/trash`, { revision: 1 });
      const res = await call('GET', `/nodes/${a.id}/children`);
      expect(res.json<{ nodes: Node[] }>().nodes.map((n) => n.id)).toEqual([b.id]);
    });

    it('lists a folder a page at a time in id order, and finds one child by its name hash', async () => {
      const folder = await mkdir(alice.rootNodeId);
      const hashes = Array.from({ length: 7 }, () => fake32());
      const made = [];
      for (const hash of hashes) made.push(await mkdir(folder.id, alice, hash));
      const trashed = made[3]!;
      await call('POST', `/nodes/${trashed.id}/trash`, { revision: 1 });
      const live = made.filter((n) => n !== trashed).map((n) => n.id);
      live.sort();
      type Page = { nodes: Node[]; next: string | null };
      const seen: string[] = [];
      const nexts: (string | null)[] = [];
      let after: string | null = null;
      do {
        const res = await call(
          'GET',
          `/nodes/${folder.id}/children?limit=2${after === null ? '' : `&after=${after}`}`,
        );
        expect(res.statusCode, res.body).toBe(200);
        const page: Page = res.json<Page>();
        expect(page.nodes.length).toBeLessThanOrEqual(2);
        seen.push(...page.nodes.map((n) => n.id));
        nexts.push(page.next);
        after = page.next;
      } while (after !== null);
      // Every live child once, in id order; pages of 2, 2 and 2 with no empty page at the end.
      expect(seen).toEqual(live);
      expect(nexts).toEqual([live[1], live[3], null]);
      // Without a limit, one page holds them all.
      const whole = (await call('GET', `/nodes/${folder.id}/children`)).json<Page>();
      expect(whole.nodes.map((n) => n.id)).toEqual(live);
      expect(whole.next).toBeNull();
      // By name hash: the one live child of that name, none for a trashed or unknown name.
      const byName = (hash: string) =>
        call('GET', `/nodes/${folder.id}/children?nameHash=${hash}`).then((r) => r.json<Page>());
      expect((await byName(hashes[5]!)).nodes.map((n) => n.id)).toEqual([made[5]!.id]);
      expect((await byName(hashes[3]!)).nodes).toEqual([]);
      expect((await byName(fake32())).nodes).toEqual([]);
      // A bad query is a validation error, never a huge or partial answer.
      for (const query of ['limit=0', 'limit=5001', 'limit=two', 'after=nope', 'nameHash=short']) {
        const res = await call('GET', `/nodes/${folder.id}/children?${query}`);
        expect(res.statusCode, query).toBe(400);
        expect(res.json().error.code).toBe('VALIDATION_FAILED');
      }
    });

    it('refuses a second node with the same name hash in one folder, but not in another', async () => {
      const parent = await mkdir(alice.rootNodeId);
      const hash = fake32();
      await mkdir(parent.id, alice, hash);
      const res = await call('POST', '/nodes', {
        id: randomId(),
        parentId: parent.id,
        type: 'folder',
        wrappedKey: fakeKey(),
        encryptedAttrs: fakeKey(),
        nameHash: hash,
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('NAME_TAKEN');
      await mkdir(alice.rootNodeId, alice, hash);
    });

    it('refuses a node id that is already taken', async () => {
      const existing = await mkdir(alice.rootNodeId);
      const res = await call('POST', '/nodes', {
        id: existing.id,
        parentId: alice.rootNodeId,
        type: 'folder',
        wrappedKey: fakeKey(),
        encryptedAttrs: fakeKey(),
        nameHash: fake32(),
      });
      expect(res.json().error.code).toBe('ID_TAKEN');
      expect(res.statusCode).toBe(409);
    });

    it('renames with the current revision and refuses a stale one with 409', async () => {
      const folder = await mkdir(alice.rootNodeId);
      const renamed = await call('PATCH', `/nodes/${folder.id}`, {
        revision: 1,
        encryptedAttrs: fakeKey(),
        nameHash: fake32(),
      });
      expect(renamed.statusCode).toBe(200);
      expect(renamed.json<{ node: Node }>().node.revision).toBe(2);
      const stale = await call('PATCH', `/nodes/${folder.id}`, { revision: 1, encryptedAttrs: fakeKey() });
      expect(stale.statusCode).toBe(409);
      expect(stale.json().error.code).toBe('REVISION_CONFLICT');
    });

    it('moves a node into another folder and refuses a move into its own subtree', async () => {
      const a = await mkdir(alice.rootNodeId);
      const b = await mkdir(a.id);
      const c = await mkdir(b.id);
      const target = await mkdir(alice.rootNodeId);
      const moved = await call('PATCH', `/nodes/${b.id}`, {
        revision: 1,
        parentId: target.id,
        wrappedKey: fakeKey(),
        nameHash: fake32(),
      });
      expect(moved.statusCode, moved.body).toBe(200);
      expect(moved.json<{ node: Node }>().node.parentId).toBe(target.id);
      for (const into of [b.id, c.id]) {
        const res = await call('PATCH', `/nodes/${b.id}`, {
          revision: 2,
          parentId: into,
          wrappedKey: fakeKey(),
          nameHash: fake32(),
        });
        expect(res.statusCode).toBe(400);
        expect(res.json().error.code).toBe('MOVE_INTO_DESCENDANT');
      }
    });

    it('refuses a move into a file and a move with a name taken in the target', async () => {
      const file = await addFile(alice.rootNodeId);
      const folder = await mkdir(alice.rootNodeId);
      const res = await call('PATCH', `/nodes/${folder.id}`, {
        revision: 1,
        parentId: file.id,
        wrappedKey: fakeKey(),
        nameHash: fake32(),
      });
      expect(res.json().error.code).toBe('NOT_A_FOLDER');
      const taken = await call('PATCH', `/nodes/${folder.id}`, {
        revision: 1,
        parentId: alice.rootNodeId,
        wrappedKey: fakeKey(),
        nameHash: file.nameHash,
      });
      expect(taken.json().error.code).toBe('NAME_TAKEN');
    });

    it('keeps the root immutable', async () => {
      const root = alice.rootNodeId;
      const patch = await call('PATCH', `/nodes/${root}`, { revision: 1, encryptedAttrs: fakeKey() });
      expect(patch.json().error.code).toBe('ROOT_IMMUTABLE');
      const trash = await call('POST', `/nodes/${root}/trash`, { revision: 1 });
      expect(trash.json().error.code).toBe('ROOT_IMMUTABLE');
      const del = await call('DELETE', `/nodes/${root}`);
      expect(del.statusCode).toBe(400);
      expect(del.json().error.code).toBe('ROOT_IMMUTABLE');
    });

    it('lists the trash a page at a time, only the tops of trashed subtrees, only your own', async () => {
      const bob = await signUp(t.app);
      const folder = await mkdir(alice.rootNodeId);
      const inner = await mkdir(folder.id);
      await call('POST', `/nodes/${folder.id}/trash`, { revision: 1 });
      const tops = [folder.id];
      for (let i = 0; i < 4; i++) {
        const node = await mkdir(alice.rootNodeId);
        await call('POST', `/nodes/${node.id}/trash`, { revision: 1 });
        tops.push(node.id);
      }
      const bobsNode = await mkdir(bob.rootNodeId, bob);
      await call('POST', `/nodes/${bobsNode.id}/trash`, { revision: 1 }, bob);
      type Page = { nodes: Node[]; next: string | null };
      const seen: string[] = [];
      let pages = 0;
      let after: string | null = null;
      do {
        const res = await call('GET', `/trash?limit=2${after === null ? '' : `&after=${after}`}`);
        expect(res.statusCode, res.body).toBe(200);
        const page: Page = res.json<Page>();
        expect(page.nodes.length).toBeLessThanOrEqual(2);
        seen.push(...page.nodes.map((n) => n.id));
        after = page.next;
        pages++;
      } while (after !== null);
      // Earlier tests trashed nodes too: ours are all there, in id order, once each.
      expect(seen).toEqual([...seen].sort());
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of tops) expect(seen).toContain(id);
      expect(seen).not.toContain(inner.id);
      expect(seen).not.toContain(bobsNode.id);
      expect(pages).toBe(Math.ceil(seen.length / 2));
      expect((await call('GET', '/trash?limit=9999')).statusCode).toBe(400);
    });

    it('trashes, lists and restores a node to its old parent; the name stays unique', async () => {
      const parent = await mkdir(alice.rootNodeId);
      const hash = fake32();
      const node = await mkdir(parent.id, alice, hash);
      const trashed = await call('POST', `/nodes/${node.id}/trash`, { revision: 1 });
      expect(trashed.json<{ node: Node }>().node.trashedAt).not.toBeNull();
      const list = await call('GET', '/trash');
      expect(list.json<{ nodes: Node[] }>().nodes.map((n) => n.id)).toContain(node.id);
      // The name is free while the node is in the trash; a new node takes it; restore then collides.
      const other = await mkdir(parent.id, alice, hash);
      const collide = await call('POST', `/nodes/${node.id}/restore`, { revision: 2 });
      expect(collide.json().error.code).toBe('NAME_TAKEN');
      await call('POST', `/nodes/${other.id}/trash`, { revision: 1 });
      const restored = await call('POST', `/nodes/${node.id}/restore`, { revision: 2 });
      expect(restored.statusCode, restored.body).toBe(200);
      expect(restored.json<{ node: Node }>().node).toMatchObject({
        parentId: parent.id,
        trashedAt: null,
        revision: 3,
      });
      const again = await call('POST', `/nodes/${node.id}/restore`, { revision: 3 });
      expect(again.json().error.code).toBe('NOT_IN_TRASH');
    });

    it('answers PARENT_GONE when the old parent is in the trash, and restores elsewhere on request', async () => {
      const parent = await mkdir(alice.rootNodeId);
      const child = await mkdir(parent.id);
      await call('POST', `/nodes/${child.id}/trash`, { revision: 1 });
      await call('POST', `/nodes/${parent.id}/trash`, { revision: 1 });
      const gone = await call('POST', `/nodes/${child.id}/restore`, { revision: 2 });
      expect(gone.statusCode).toBe(409);
      expect(gone.json().error.code).toBe('PARENT_GONE');
      const elsewhere = await call('POST', `/nodes/${child.id}/restore`, {
        revision: 2,
        parentId: alice.rootNodeId,
        wrappedKey: fakeKey(),
        nameHash: fake32(),
      });
      expect(elsewhere.json<{ node: Node }>().node.parentId).toBe(alice.rootNodeId);
    });

    it('deletes only nodes at the top of the trash, and frees their bytes', async () => {
      const before = (await call('GET', '/account')).json().account.quota.usedBytes as number;
      const folder = await mkdir(alice.rootNodeId);
      const file = await addFile(folder.id, 1000);
      await t.db
        .updateTable('users')
        .set((eb) => ({ used_bytes: eb('used_bytes', '+', 1000) }))
        .where('id', '=', alice.userId)
        .execute();
      const notTrashed = await call('DELETE', `/nodes/${file.id}`);
      expect(notTrashed.json().error.code).toBe('NOT_IN_TRASH');
      await call('POST', `/nodes/${folder.id}/trash`, { revision: 1 });
      const del = await call('DELETE', `/nodes/${folder.id}`);
      expect(del.statusCode).toBe(204);
      expect((await call('GET', `/nodes/${file.id}`)).statusCode).toBe(404);
      expect((await call('GET', '/account')).json().account.quota.usedBytes).toBe(before);
      const garbage = await t.db.selectFrom('blob_garbage').select('blob_key').execute();
      expect(garbage.length).toBeGreaterThan(0);
    });

    it('empties the trash', async () => {
      const a = await mkdir(alice.rootNodeId);
      await call('POST', `/nodes/${a.id}/trash`, { revision: 1 });
      expect((await call('POST', '/trash/empty')).statusCode).toBe(204);
      expect((await call('GET', '/trash')).json().nodes).toEqual([]);
    });

    it('purges trash 30 days after it was trashed', async () => {
      const a = await mkdir(alice.rootNodeId);
      await call('POST', `/nodes/${a.id}/trash`, { revision: 1 });
      expect(await purgeTrash(t.db, t.clock.now() - 30 * DAY_MS, t.clock.now())).toBe(0);
      t.clock.advance(30 * DAY_MS + 1);
      expect(await purgeTrash(t.db, t.clock.now() - 30 * DAY_MS, t.clock.now())).toBeGreaterThan(0);
      expect((await call('GET', `/nodes/${a.id}`)).statusCode).toBe(404);
    });

    it('keeps older versions newest first, restores one, and keeps only the newest ten', async () => {
      let file = await addFile(alice.rootNodeId, 10);
      const firstVersion = file.currentVersion!.id;
      for (let i = 0; i < MAX_OLDER_VERSIONS + 2; i++) {
        t.clock.advance(1000);
        file = await t.db.transaction().execute((trx) =>
          addFileVersion(trx, alice.userId, {
            nodeId: file.id,
            revision: file.revision,
            version: { id: randomVersionId(), wrappedKey: fakeKey(), encryptedAttrs: fakeKey() },
            blobKey: `blob-${randomId()}`,
            sizeBytes: 20 + i,
            now: t.clock.now(),
          }),
        );
      }
      expect(file.sizeBytes).toBe(20 + MAX_OLDER_VERSIONS + 1);
      const res = await call('GET', `/nodes/${file.id}/versions`);
      const versions = res.json<{ versions: { id: string; sizeBytes: number }[] }>().versions;
      expect(versions).toHaveLength(MAX_OLDER_VERSIONS);
      expect(versions.map((v) => v.id)).not.toContain(firstVersion);
      expect(versions[0]!.sizeBytes).toBe(20 + MAX_OLDER_VERSIONS);
      const stale = await call('POST', `/nodes/${file.id}/versions/${versions[3]!.id}/restore`, {
        revision: 1,
      });
      expect(stale.json().error.code).toBe('REVISION_CONFLICT');
      const restored = await call('POST', `/nodes/${file.id}/versions/${versions[3]!.id}/restore`, {
        revision: file.revision,
      });
      expect(restored.statusCode).toBe(200);
      const node = restored.json<{ node: Node }>().node;
      expect(node.currentVersion!.id).toBe(versions[3]!.id);
      expect(node.sizeBytes).toBe(versions[3]!.sizeBytes);
      const after = (await call('GET', `/nodes/${file.id}/versions`)).json().versions as { id: string }[];
      expect(after[0]!.id).toBe(file.currentVersion!.id);
    });

    it('refuses a new version at a stale revision and a version id already taken', async () => {
      const file = await addFile(alice.rootNodeId);
      const attempt = (revision: number, versionId: VersionId) =>
        t.db.transaction().execute((trx) =>
          addFileVersion(trx, alice.userId, {
            nodeId: file.id,
            revision,
            version: { id: versionId, wrappedKey: fakeKey(), encryptedAttrs: fakeKey() },
            blobKey: 'blobblob',
            sizeBytes: 1,
            now: t.clock.now(),
          }),
        );
      await expect(attempt(5, randomVersionId())).rejects.toMatchObject({ code: 'REVISION_CONFLICT' });
      await expect(attempt(1, file.currentVersion!.id)).rejects.toMatchObject({ code: 'ID_TAKEN' });
    });

    it('refuses to create a file in a trashed folder', async () => {
      const folder = await mkdir(alice.rootNodeId);
      await call('POST', `/nodes/${folder.id}/trash`, { revision: 1 });
      await expect(addFile(folder.id)).rejects.toMatchObject({ code: 'PARENT_GONE' });
    });

    it('answers NOT_FOUND for unknown and malformed ids', async () => {
      expect((await call('GET', `/nodes/${randomId()}`)).json().error.code).toBe('NOT_FOUND');
      expect((await call('GET', '/nodes/not-an-id')).statusCode).toBe(404);
    });

    it('answers NOT_A_FOLDER when listing a file', async () => {
      const file = await addFile(alice.rootNodeId);
      expect((await call('GET', `/nodes/${file.id}/children`)).json().error.code).toBe('NOT_A_FOLDER');
      const folder = await mkdir(alice.rootNodeId);
      expect((await call('GET', `/nodes/${folder.id}/versions`)).json().error.code).toBe('NOT_A_FILE');
    });

    it('lets exactly one of many concurrent creations of one name win', async () => {
      const parent = await mkdir(alice.rootNodeId);
      const nameHash = fake32();
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          call('POST', '/nodes', {
            id: randomId(),
            parentId: parent.id,
            type: 'folder',
            wrappedKey: fakeKey(),
            encryptedAttrs: fakeKey(),
            nameHash,
          }),
        ),
      );
      const codes = results.map((r) =>
        r.statusCode === 201 ? 'created' : r.json<{ error: { code: string } }>().error.code,
      );
      expect(codes.filter((c) => c === 'created')).toHaveLength(1);
      expect(codes.filter((c) => c === 'NAME_TAKEN')).toHaveLength(7);
    });

    it('lets exactly one of many concurrent writes at one revision win', async () => {
      const folder = await mkdir(alice.rootNodeId);
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          call('PATCH', `/nodes/${folder.id}`, {
            revision: 1,
            encryptedAttrs: fakeKey(),
            nameHash: fake32(),
          }),
        ),
      );
      const codes = results.map((r) =>
        r.statusCode === 200 ? 'ok' : r.json<{ error: { code: string } }>().error.code,
      );
      expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
      expect(codes.filter((c) => c === 'REVISION_CONFLICT')).toHaveLength(7);
    });

    it('never builds a cycle from two concurrent crossing moves', async () => {
      const a = await mkdir(alice.rootNodeId);
      const b = await mkdir(alice.rootNodeId);
      const [ab, ba] = await Promise.all([
        call('PATCH', `/nodes/${a.id}`, {
          revision: 1,
          parentId: b.id,
          wrappedKey: fakeKey(),
          nameHash: fake32(),
        }),
        call('PATCH', `/nodes/${b.id}`, {
          revision: 1,
          parentId: a.id,
          wrappedKey: fakeKey(),
          nameHash: fake32(),
        }),
      ]);
      expect([ab.statusCode, ba.statusCode].sort()).toEqual([200, 400]);
    });

    it('lists a folder of many files in one query', async () => {
      const folder = await mkdir(alice.rootNodeId);
      for (let i = 0; i < 50; i++) await addFile(folder.id, i);
      const res = await call('GET', `/nodes/${folder.id}/children`);
      const nodes = res.json<{ nodes: Node[] }>().nodes;
      expect(nodes).toHaveLength(50);
      expect(nodes.every((n) => n.currentVersion !== null && n.type === 'file')).toBe(true);
      expect(new Set(nodes.map((n) => n.id)).size).toBe(50);
    });
  });
}
