// Public links on the whole app (SQLite, and PostgreSQL when DATABASE_URL is set): the owner's
// routes, anonymous resolution, grants and the download cap, expiry, revoke, trashed and deleted
// nodes, password proofs and their per-link limit, folder links confined to their subtree,
// reports and the operator's commands. The server is crypto-blind: keys here are filler bytes; the
// real cryptography is exercised end to end by the CLI tests.
import { createHash, randomBytes } from 'node:crypto';
import type { Link, LinkGrant, Node, PublicLink, Upload } from '@hoard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dialects,
  randomId,
  startTestServer,
  type TestAccount,
  type TestServer,
} from '../transfers/test-kit.js';
import { disableAccountLinksCommand, disableLinkCommand, reportsCommand } from './admin-commands.js';
import { LINK_PASSWORD_ATTEMPTS, LINK_PASSWORD_WINDOW_MS } from './link-service.js';

const fake = (): string => randomBytes(61).toString('base64url');
const b32 = (): string => randomBytes(32).toString('base64url');

describe.each(dialects)('links on %s', (dialect) => {
  let srv: TestServer;
  let owner: TestAccount;
  let stranger: TestAccount;
  beforeAll(async () => {
    srv = await startTestServer(dialect);
    owner = await srv.account();
    stranger = await srv.account();
  });
  afterAll(async () => {
    await srv.close();
  });

  const inject = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
    url: string,
    options: { headers?: Record<string, string>; payload?: unknown } = {},
  ) =>
    srv.app.inject({
      method,
      url,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.payload !== undefined ? { payload: options.payload as Record<string, unknown> } : {}),
    });

  async function mkdir(account: TestAccount, parentId: string): Promise<string> {
    const id = randomId();
    const res = await inject('POST', '/nodes', {
      headers: account.auth,
      payload: { id, parentId, type: 'folder', wrappedKey: fake(), encryptedAttrs: fake(), nameHash: b32() },
    });
    expect(res.statusCode, res.body).toBe(201);
    return id;
  }

  async function upload(account: TestAccount, parentId: string, blob: Uint8Array, nodeId?: string) {
    const created = await inject('POST', '/uploads', {
      headers: account.auth,
      payload: { sizeBytes: blob.length },
    });
    expect(created.statusCode, created.body).toBe(201);
    const up = created.json<{ upload: Upload }>().upload;
    for (let n = 1; n <= up.partCount; n++) {
      const res = await srv.app.inject({
        method: 'PUT',
        url: `/uploads/${up.id}/parts/${n}`,
        headers: { ...account.auth, 'content-type': 'application/octet-stream' },
        payload: Buffer.from(blob.subarray((n - 1) * up.partSizeBytes, n * up.partSizeBytes)),
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const versionId = randomId();
    const id = nodeId ?? randomId();
    const version = { id: versionId, wrappedKey: fake(), encryptedAttrs: fake() };
    let payload: unknown;
    if (nodeId === undefined) {
      payload = {
        kind: 'new-file',
        node: { id, parentId, wrappedKey: fake(), encryptedAttrs: fake(), nameHash: b32() },
        version,
      };
    } else {
      const current = await inject('GET', `/nodes/${nodeId}`, { headers: account.auth });
      payload = {
        kind: 'new-version',
        nodeId,
        revision: current.json<{ node: Node }>().node.revision,
        version,
      };
    }
    const done = await inject('POST', `/uploads/${up.id}/complete`, { headers: account.auth, payload });
    expect(done.statusCode, done.body).toBeLessThan(300);
    return { nodeId: id, versionId };
  }

  async function createLink(
    account: TestAccount,
    nodeId: string,
    options: { passwordProof?: string; expiresAt?: string; maxDownloads?: number } = {},
  ): Promise<Link> {
    const res = await inject('POST', '/links', {
      headers: account.auth,
      payload: {
        id: randomId(),
        nodeId,
        wrappedKey: fake(),
        ownerWrappedLinkKey: fake(),
        keyCommitment: b32(),
        ...options,
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ link: Link }>().link;
  }

  async function grant(linkId: string, headers: Record<string, string> = {}): Promise<LinkGrant> {
    const res = await inject('POST', `/links/${linkId}/grants`, { headers });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ grant: LinkGrant }>().grant;
  }

  const code = (res: { body: string }) => (JSON.parse(res.body) as { error?: { code: string } }).error?.code;

  async function ownLink(account: TestAccount, id: string): Promise<Link | undefined> {
    const res = await inject('GET', '/links', { headers: account.auth });
    expect(res.statusCode).toBe(200);
    return res.json<{ links: Link[] }>().links.find((l) => l.id === id);
  }

  describe('a file link', () => {
    it('resolves without an account and serves the ciphertext, whole and in ranges, through one grant', async () => {
      const blob = randomBytes(300_000);
      const file = await upload(owner, owner.rootNodeId, blob);
      const link = await createLink(owner, file.nodeId);
      expect(link).toMatchObject({ status: 'active', downloadCount: 0, passwordRequired: false });
      expect(link.id).toMatch(/^[A-Za-z0-9_-]{22}$/);

      const pub = await inject('GET', `/links/${link.id}/public`);
      expect(pub.statusCode, pub.body).toBe(200);
      expect(pub.json<{ link: PublicLink }>().link).toMatchObject({
        id: link.id,
        type: 'file',
        passwordRequired: false,
        downloadsLeft: null,
      });
      const node = await inject('GET', `/links/${link.id}/node`);
      expect(node.statusCode).toBe(200);
      expect(node.json<{ node: Node }>().node).toMatchObject({ id: file.nodeId, parentId: null });

      const g = await grant(link.id);
      const whole = await inject('GET', `/links/${link.id}/grants/${g.id}/content`);
      expect(whole.statusCode).toBe(200);
      expect(Buffer.compare(whole.rawPayload, blob)).toBe(0);
      for (const [start, end] of [
        [0, 55],
        [1000, 99_999],
        [250_000, 299_999],
      ] as const) {
        const part = await inject(
          'GET',
          `/links/${link.id}/grants/${g.id}/versions/${file.versionId}/content`,
          {
            headers: { range: `bytes=${start}-${end}` },
          },
        );
        expect(part.statusCode).toBe(206);
        expect(Buffer.compare(part.rawPayload, blob.subarray(start, end + 1))).toBe(0);
      }
      // Five requests, one download.
      expect((await ownLink(owner, link.id))?.downloadCount).toBe(1);
    });

    it('enforces the cap at the grant; ranges need a grant, so they cannot get around it', async () => {
      const blob = randomBytes(50_000);
      const file = await upload(owner, owner.rootNodeId, blob);
      const link = await createLink(owner, file.nodeId, { maxDownloads: 2 });
      const first = await grant(link.id);
      await grant(link.id);
      const third = await inject('POST', `/links/${link.id}/grants`);
      expect(third.statusCode).toBe(410);
      expect(code(third)).toBe('LINK_EXHAUSTED');
      expect(code(await inject('GET', `/links/${link.id}/public`))).toBe('LINK_EXHAUSTED');
      // A download already counted may finish (resume) its ranges...
      const resumed = await inject('GET', `/links/${link.id}/grants/${first.id}/content`, {
        headers: { range: 'bytes=100-' },
      });
      expect(resumed.statusCode).toBe(206);
      // ...but no range is served without a grant, or with a made-up one.
      for (const bad of [b32(), 'x', `${b32()}A`]) {
        const res = await inject('GET', `/links/${link.id}/grants/${bad}/content`, {
          headers: { range: 'bytes=0-99' },
        });
        expect(res.statusCode).toBe(404);
      }
      // A grant of another link does not read this one.
      const other = await createLink(owner, file.nodeId);
      const otherGrant = await grant(other.id);
      expect((await inject('GET', `/links/${link.id}/grants/${otherGrant.id}/content`)).statusCode).toBe(404);
      expect((await ownLink(owner, link.id))?.downloadCount).toBe(2);
      expect((await ownLink(owner, link.id))?.status).toBe('exhausted');

      // The owner raises the cap.
      const patched = await inject('PATCH', `/links/${link.id}`, {
        headers: owner.auth,
        payload: { maxDownloads: 3 },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      await grant(link.id);
    });

    it('counts concurrent grants exactly against the cap', async () => {
      const file = await upload(owner, owner.rootNodeId, randomBytes(1000));
      const link = await createLink(owner, file.nodeId, { maxDownloads: 3 });
      const results = await Promise.all(
        Array.from({ length: 8 }, () => inject('POST', `/links/${link.id}/grants`)),
      );
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(3);
      expect(results.filter((r) => r.statusCode === 410)).toHaveLength(5);
      expect((await ownLink(owner, link.id))?.downloadCount).toBe(3);
    });

    it('expires at its date, with its own code, for grants already given too', async () => {
      const file = await upload(owner, owner.rootNodeId, randomBytes(1000));
      const expiresAt = new Date(srv.clock.now() + 3600_000).toISOString();
      const link = await createLink(owner, file.nodeId, { expiresAt });
      const g = await grant(link.id);
      srv.clock.advance(3600_000);
      for (const res of [
        await inject('GET', `/links/${link.id}/public`),
        await inject('GET', `/links/${link.id}/node`),
        await inject('POST', `/links/${link.id}/grants`),
        await inject('GET', `/links/${link.id}/grants/${g.id}/content`),
      ]) {
        expect(res.statusCode).toBe(410);
        expect(code(res)).toBe('LINK_EXPIRED');
        expect(JSON.parse(res.body).error.message).toMatch(/expired/);
      }
      expect((await ownLink(owner, link.id))?.status).toBe('expired');
      // An expiry in the past is refused at creation.
      const past = await inject('POST', '/links', {
        headers: owner.auth,
        payload: {
          id: randomId(),
          nodeId: file.nodeId,
          wrappedKey: fake(),
          ownerWrappedLinkKey: fake(),
          keyCommitment: b32(),
          expiresAt: new Date(srv.clock.now() - 1000).toISOString(),
        },
      });
      expect(past.statusCode).toBe(400);
    });

    it('stops at once when revoked (grants included); revoking again changes nothing', async () => {
      const file = await upload(owner, owner.rootNodeId, randomBytes(1000));
      const link = await createLink(owner, file.nodeId);
      const g = await grant(link.id);
      expect((await inject('DELETE', `/links/${link.id}`, { headers: owner.auth })).statusCode).toBe(204);
      for (const res of [
        await inject('GET', `/links/${link.id}/public`),
        await inject('GET', `/links/${link.id}/grants/${g.id}/content`),
      ]) {
        expect(res.statusCode).toBe(410);
        expect(code(res)).toBe('LINK_REVOKED');
      }
      expect((await inject('DELETE', `/links/${link.id}`, { headers: owner.auth })).statusCode).toBe(204);
      expect((await ownLink(owner, link.id))?.status).toBe('revoked');
      const patch = await inject('PATCH', `/links/${link.id}`, {
        headers: owner.auth,
        payload: { maxDownloads: 5 },
      });
      expect(code(patch)).toBe('LINK_REVOKED');
    });

    it('stops while its node is in the trash, works again after a restore, and vanishes with the node', async () => {
      const file = await upload(owner, owner.rootNodeId, randomBytes(1000));
      const link = await createLink(owner, file.nodeId);
      const g = await grant(link.id);
      const trash = await inject('POST', `/nodes/${file.nodeId}/trash`, {
        headers: owner.auth,
        payload: { revision: 1 },
      });
      expect(trash.statusCode, trash.body).toBe(200);
      expect((await inject('GET', `/links/${link.id}/public`)).statusCode).toBe(404);
      expect((await inject('GET', `/links/${link.id}/grants/${g.id}/content`)).statusCode).toBe(404);
      expect((await ownLink(owner, link.id))?.status).toBe('gone');
      await inject('POST', `/nodes/${file.nodeId}/restore`, {
        headers: owner.auth,
        payload: { revision: 2 },
      });
      expect((await inject('GET', `/links/${link.id}/public`)).statusCode).toBe(200);
      await inject('POST', `/nodes/${file.nodeId}/trash`, { headers: owner.auth, payload: { revision: 3 } });
      expect((await inject('DELETE', `/nodes/${file.nodeId}`, { headers: owner.auth })).statusCode).toBe(204);
      expect((await inject('GET', `/links/${link.id}/public`)).statusCode).toBe(404);
      expect(await ownLink(owner, link.id)).toBeUndefined();
    });

    it('stops when a folder above the node is trashed', async () => {
      const folder = await mkdir(owner, owner.rootNodeId);
      const file = await upload(owner, folder, randomBytes(100));
      const link = await createLink(owner, file.nodeId);
      await inject('POST', `/nodes/${folder}/trash`, { headers: owner.auth, payload: { revision: 1 } });
      expect((await inject('GET', `/links/${link.id}/node`)).statusCode).toBe(404);
    });
  });

  describe('a password link', () => {
    it('answers the node and grants only with the right proof; the server keeps a hash of it', async () => {
      const file = await upload(owner, owner.rootNodeId, randomBytes(1000));
      const proof = b32();
      const link = await createLink(owner, file.nodeId, { passwordProof: proof });
      expect(link.passwordRequired).toBe(true);
      const pub = (await inject('GET', `/links/${link.id}/public`)).json<{ link: PublicLink }>().link;
      expect(pub.passwordRequired).toBe(true);

      const none = await inject('GET', `/links/${link.id}/node`);
      expect([none.statusCode, code(none)]).toEqual([401, 'LINK_PASSWORD_REQUIRED']);
      const wrong = await inject('GET', `/links/${link.id}/node`, { headers: { 'hoard-link-proof': b32() } });
      expect([wrong.statusCode, code(wrong)]).toEqual([401, 'LINK_PASSWORD_WRONG']);
      const junk = await inject('POST', `/links/${link.id}/grants`, {
        headers: { 'hoard-link-proof': 'junk' },
      });
      expect(code(junk)).toBe('LINK_PASSWORD_WRONG');
      const right = await inject('GET', `/links/${link.id}/node`, { headers: { 'hoard-link-proof': proof } });
      expect(right.statusCode).toBe(200);
      await grant(link.id, { 'hoard-link-proof': proof });

      const row = await srv.db
        .selectFrom('links')
        .selectAll()
        .where('id', '=', link.id)
        .executeTakeFirstOrThrow();
      expect(row.password_verifier).toBe(
        createHash('sha256').update(Buffer.from(proof, 'base64url')).digest('base64url'),
      );
      expect(JSON.stringify(row)).not.toContain(proof);
    });

    it('limits wrong proofs per link: past the limit even the right one waits, then works', async () => {
      const file = await upload(owner, owner.rootNodeId, randomBytes(1000));
      const proof = b32();
      const link = await createLink(owner, file.nodeId, { passwordProof: proof });
      const other = await createLink(owner, file.nodeId, { passwordProof: proof });
      for (let i = 0; i < LINK_PASSWORD_ATTEMPTS; i++) {
        const res = await inject('GET', `/links/${link.id}/node`, { headers: { 'hoard-link-proof': b32() } });
        expect(code(res)).toBe('LINK_PASSWORD_WRONG');
      }
      const limited = await inject('GET', `/links/${link.id}/node`, {
        headers: { 'hoard-link-proof': proof },
      });
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another link is not affected.
      expect(
        (await inject('GET', `/links/${other.id}/node`, { headers: { 'hoard-link-proof': proof } }))
          .statusCode,
      ).toBe(200);
      srv.clock.advance(LINK_PASSWORD_WINDOW_MS);
      expect(
        (await inject('GET', `/links/${link.id}/node`, { headers: { 'hoard-link-proof': proof } }))
          .statusCode,
      ).toBe(200);
    });
  });

  describe('a folder link', () => {
    it('lists the linked subtree and reads its current versions, and nothing outside it', async () => {
      const top = await mkdir(owner, owner.rootNodeId);
      const sub = await mkdir(owner, top);
      const inside = await upload(owner, sub, randomBytes(2000));
      const sibling = await mkdir(owner, owner.rootNodeId);
      const outside = await upload(owner, sibling, randomBytes(2000));
      const strangerFile = await upload(stranger, stranger.rootNodeId, randomBytes(100));
      const link = await createLink(owner, top);

      expect((await inject('GET', `/links/${link.id}/public`)).json<{ link: PublicLink }>().link.type).toBe(
        'folder',
      );
      const topList = await inject('GET', `/links/${link.id}/nodes/${top}/children`);
      expect(topList.json<{ nodes: Node[] }>().nodes.map((n) => n.id)).toEqual([sub]);
      const subList = await inject('GET', `/links/${link.id}/nodes/${sub}/children`);
      expect(subList.json<{ nodes: Node[] }>().nodes.map((n) => n.id)).toEqual([inside.nodeId]);
      for (const outsideId of [owner.rootNodeId, sibling, stranger.rootNodeId, randomId()]) {
        const res = await inject('GET', `/links/${link.id}/nodes/${outsideId}/children`);
        expect(res.statusCode).toBe(404);
      }
      expect(code(await inject('GET', `/links/${link.id}/nodes/${inside.nodeId}/children`))).toBe(
        'NOT_A_FOLDER',
      );

      const g = await grant(link.id);
      const read = await inject(
        'GET',
        `/links/${link.id}/grants/${g.id}/versions/${inside.versionId}/content`,
      );
      expect(read.statusCode).toBe(200);
      for (const versionId of [outside.versionId, strangerFile.versionId, randomId()]) {
        const res = await inject('GET', `/links/${link.id}/grants/${g.id}/versions/${versionId}/content`);
        expect(res.statusCode).toBe(404);
      }
      // The folder itself has no content.
      expect(code(await inject('GET', `/links/${link.id}/grants/${g.id}/content`))).toBe('NOT_A_FILE');
      // An older version is the owner's history, not the link's.
      await upload(owner, sub, randomBytes(100), inside.nodeId);
      const old = await inject(
        'GET',
        `/links/${link.id}/grants/${g.id}/versions/${inside.versionId}/content`,
      );
      expect(old.statusCode).toBe(404);
      // A trashed subfolder disappears from the link.
      await inject('POST', `/nodes/${sub}/trash`, { headers: owner.auth, payload: { revision: 1 } });
      expect((await inject('GET', `/links/${link.id}/nodes/${sub}/children`)).statusCode).toBe(404);
    });
  });

  describe('authorization of the owner routes', () => {
    it('lets only the owner list, change and revoke a link; others get 404 and nothing changes', async () => {
      const file = await upload(owner, owner.rootNodeId, randomBytes(100));
      const link = await createLink(owner, file.nodeId, { maxDownloads: 5 });
      expect(await ownLink(stranger, link.id)).toBeUndefined();
      const patch = await inject('PATCH', `/links/${link.id}`, {
        headers: stranger.auth,
        payload: { maxDownloads: 1 },
      });
      expect(patch.statusCode).toBe(404);
      expect((await inject('DELETE', `/links/${link.id}`, { headers: stranger.auth })).statusCode).toBe(404);
      expect(await ownLink(owner, link.id)).toMatchObject({ status: 'active', maxDownloads: 5 });
      for (const [method, url] of [
        ['GET', '/links'],
        ['POST', '/links'],
        ['PATCH', `/links/${link.id}`],
        ['DELETE', `/links/${link.id}`],
      ] as const) {
        expect((await inject(method, url, { payload: {} })).statusCode).toBe(401);
      }
    });

    it("refuses links to someone else's node, to the root, and a taken id", async () => {
      const strangerFile = await upload(stranger, stranger.rootNodeId, randomBytes(100));
      const base = { wrappedKey: fake(), ownerWrappedLinkKey: fake(), keyCommitment: b32() };
      const foreign = await inject('POST', '/links', {
        headers: owner.auth,
        payload: { id: randomId(), nodeId: strangerFile.nodeId, ...base },
      });
      expect(foreign.statusCode).toBe(404);
      const root = await inject('POST', '/links', {
        headers: owner.auth,
        payload: { id: randomId(), nodeId: owner.rootNodeId, ...base },
      });
      expect([root.statusCode, code(root)]).toEqual([400, 'ROOT_IMMUTABLE']);
      const mine = await upload(owner, owner.rootNodeId, randomBytes(100));
      const link = await createLink(owner, mine.nodeId);
      const again = await inject('POST', '/links', {
        headers: stranger.auth,
        payload: { id: link.id, nodeId: strangerFile.nodeId, ...base },
      });
      expect([again.statusCode, code(again)]).toEqual([409, 'ID_TAKEN']);
      const count = await srv.db
        .selectFrom('links')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('user_id', '=', stranger.userId)
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(0);
    });

    it('answers malformed and unknown link ids with 404', async () => {
      for (const id of ['abc', 'x'.repeat(23), randomId()]) {
        expect((await inject('GET', `/links/${id}/public`)).statusCode).toBe(404);
        expect((await inject('POST', `/links/${id}/grants`)).statusCode).toBe(404);
      }
    });
  });

  describe('reports and the operator', () => {
    it('stores reports; the operator lists them and disables one link or every link of an account', async () => {
      const file = await upload(owner, owner.rootNodeId, randomBytes(100));
      const link = await createLink(owner, file.nodeId);
      const second = await createLink(owner, file.nodeId);
      const res = await inject('POST', `/links/${link.id}/reports`, {
        payload: { reason: 'malware', note: 'it installs things' },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(
        (await inject('POST', `/links/${randomId()}/reports`, { payload: { reason: 'spam' } })).statusCode,
      ).toBe(404);
      expect(
        (await inject('POST', `/links/${link.id}/reports`, { payload: { reason: 'nope' } })).statusCode,
      ).toBe(400);

      const out: string[] = [];
      const ctx = { config: {} as never, db: srv.db, clock: srv.clock, out: (l: string) => out.push(l) };
      await reportsCommand.run(ctx, ['--json']);
      const reports = JSON.parse(out.join('')) as { linkId: string; reason: string; note: string }[];
      expect(reports.find((r) => r.linkId === link.id)).toMatchObject({
        reason: 'malware',
        note: 'it installs things',
      });

      const g = await grant(link.id);
      await disableLinkCommand.run(ctx, [link.id]);
      for (const r of [
        await inject('GET', `/links/${link.id}/public`),
        await inject('GET', `/links/${link.id}/grants/${g.id}/content`),
      ]) {
        expect([r.statusCode, code(r)]).toEqual([451, 'LINK_DISABLED']);
        expect(JSON.parse(r.body).error.message).toMatch(/disabled/);
      }
      expect((await ownLink(owner, link.id))?.status).toBe('disabled');
      expect((await inject('GET', `/links/${second.id}/public`)).statusCode).toBe(200);

      const email = `${owner.userId.toLowerCase()}@example.com`;
      await disableAccountLinksCommand.run(ctx, [email]);
      expect(code(await inject('GET', `/links/${second.id}/public`))).toBe('LINK_DISABLED');
      await expect(disableLinkCommand.run(ctx, [randomId()])).rejects.toThrow(/no link/);
      await expect(disableAccountLinksCommand.run(ctx, ['nobody@example.com'])).rejects.toThrow(/no account/);
    });
  });
});
