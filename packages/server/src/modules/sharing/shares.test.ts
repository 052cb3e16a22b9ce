// Folders shared between accounts on the whole app (SQLite, and PostgreSQL when DATABASE_URL is
// set): invitations, accept/decline once, member reads, member writes charged to the owner, the
// owner's trash, removal; then an authorization walk over EVERY link and share route of the route
// table with a stranger, a removed member, a read-only member trying to write, a declined member
// and a revoked link. Keys are filler bytes: the server is crypto-blind (the CLI tests run the
// real cryptography).
import { randomBytes } from 'node:crypto';
import { routes, type Link, type Node, type Share, type Upload } from '@hoard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dialects,
  quotaOf,
  randomId,
  startTestServer,
  type TestAccount,
  type TestServer,
} from '../transfers/test-kit.js';

const fake = (): string => randomBytes(61).toString('base64url');
const b32 = (): string => randomBytes(32).toString('base64url');
const sealed = (): string => randomBytes(80).toString('base64url');
const sig = (): string => randomBytes(64).toString('base64url');
const emailOf = (a: TestAccount): string => `${a.userId.toLowerCase()}@example.com`;

describe.each(dialects)('shares on %s', (dialect) => {
  let srv: TestServer;
  let owner: TestAccount;
  let member: TestAccount;
  let reader: TestAccount;
  let stranger: TestAccount;
  beforeAll(async () => {
    srv = await startTestServer(dialect);
    [owner, member, reader, stranger] = await Promise.all([
      srv.account(),
      srv.account(),
      srv.account(),
      srv.account(),
    ]);
  });
  afterAll(async () => {
    await srv.close();
  });

  type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  const inject = (method: Method, url: string, headers?: Record<string, string>, payload?: unknown) =>
    srv.app.inject({
      method,
      url,
      ...(headers ? { headers } : {}),
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
  const code = (res: { body: string }) => (JSON.parse(res.body) as { error?: { code: string } }).error?.code;

  async function mkdir(account: TestAccount, parentId: string, prefix = ''): Promise<Node> {
    const res = await inject('POST', `${prefix}/nodes`, account.auth, {
      id: randomId(),
      parentId,
      type: 'folder',
      wrappedKey: fake(),
      encryptedAttrs: fake(),
      nameHash: b32(),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ node: Node }>().node;
  }

  async function upload(
    account: TestAccount,
    parentId: string,
    blob: Uint8Array,
    prefix = '',
  ): Promise<Node> {
    const created = await inject('POST', `${prefix}/uploads`, account.auth, { sizeBytes: blob.length });
    expect(created.statusCode, created.body).toBe(201);
    const up = created.json<{ upload: Upload }>().upload;
    const part = await srv.app.inject({
      method: 'PUT',
      url: `${prefix}/uploads/${up.id}/parts/1`,
      headers: { ...account.auth, 'content-type': 'application/octet-stream' },
      payload: Buffer.from(blob),
    });
    expect(part.statusCode, part.body).toBe(200);
    const done = await inject('POST', `${prefix}/uploads/${up.id}/complete`, account.auth, {
      kind: 'new-file',
      node: { id: randomId(), parentId, wrappedKey: fake(), encryptedAttrs: fake(), nameHash: b32() },
      version: { id: randomId(), wrappedKey: fake(), encryptedAttrs: fake() },
    });
    expect(done.statusCode, done.body).toBe(201);
    return done.json<{ node: Node }>().node;
  }

  async function share(folderId: string, to: TestAccount, access: 'read' | 'write'): Promise<Share> {
    const res = await inject('POST', '/shares', owner.auth, {
      id: randomId(),
      folderId,
      memberUserId: to.userId,
      access,
      sealedKey: sealed(),
      signature: sig(),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ share: Share }>().share;
  }

  const accept = (account: TestAccount, id: string) => inject('POST', `/shares/${id}/accept`, account.auth);

  it('looks up published keys by e-mail; an unknown address is 404', async () => {
    const res = await inject('POST', '/keys/lookup', owner.auth, { email: emailOf(member).toUpperCase() });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ account: { userId: string } }>().account.userId).toBe(member.userId);
    expect(
      (await inject('POST', '/keys/lookup', owner.auth, { email: 'nobody@example.com' })).statusCode,
    ).toBe(404);
    expect((await inject('POST', '/keys/lookup', undefined, { email: emailOf(member) })).statusCode).toBe(
      401,
    );
  });

  it('invites, accepts once, lets the member read and write (charged to the owner), and removes', async () => {
    const folder = await mkdir(owner, owner.rootNodeId);
    const file = await upload(owner, folder.id, randomBytes(5000));
    const s = await share(folder.id, member, 'write');
    expect(s).toMatchObject({ status: 'pending', access: 'write', folderId: folder.id });
    expect(s.member.userId).toBe(member.userId);

    // Before accepting: nothing.
    expect((await inject('GET', `/shares/${s.id}/node`, member.auth)).statusCode).toBe(404);
    const listed = (await inject('GET', '/shares', member.auth)).json<{ incoming: Share[] }>().incoming;
    expect(listed.find((x) => x.id === s.id)).toMatchObject({
      status: 'pending',
      owner: { userId: owner.userId },
    });
    expect((await accept(member, s.id)).json<{ share: Share }>().share.status).toBe('accepted');
    expect(code(await accept(member, s.id))).toBe('SHARE_ANSWERED');
    expect(code(await inject('POST', `/shares/${s.id}/decline`, member.auth))).toBe('SHARE_ANSWERED');

    // Reads.
    const root = (await inject('GET', `/shares/${s.id}/node`, member.auth)).json<{ node: Node }>().node;
    expect(root).toMatchObject({ id: folder.id, parentId: null });
    const children = (await inject('GET', `/shares/${s.id}/nodes/${folder.id}/children`, member.auth)).json<{
      nodes: Node[];
    }>().nodes;
    expect(children.map((n) => n.id)).toEqual([file.id]);
    const content = await inject(
      'GET',
      `/shares/${s.id}/versions/${file.currentVersion!.id}/content`,
      member.auth,
    );
    expect(content.statusCode).toBe(200);
    expect(content.rawPayload.length).toBe(5000);

    // Writes, charged to the owner.
    const before = {
      owner: await quotaOf(srv.db, owner.userId),
      member: await quotaOf(srv.db, member.userId),
    };
    const sub = await mkdir(member, folder.id, `/shares/${s.id}`);
    const uploaded = await upload(member, sub.id, randomBytes(7000), `/shares/${s.id}`);
    const after = {
      owner: await quotaOf(srv.db, owner.userId),
      member: await quotaOf(srv.db, member.userId),
    };
    expect(after.owner.usedBytes - before.owner.usedBytes).toBe(7000);
    expect(after.member).toEqual(before.member);
    const owned = await inject('GET', `/nodes/${uploaded.id}`, owner.auth);
    expect(owned.statusCode).toBe(200);

    const renamed = await inject('PATCH', `/shares/${s.id}/nodes/${uploaded.id}`, member.auth, {
      revision: uploaded.revision,
      encryptedAttrs: fake(),
      nameHash: b32(),
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    const moved = await inject('PATCH', `/shares/${s.id}/nodes/${uploaded.id}`, member.auth, {
      revision: uploaded.revision + 1,
      parentId: folder.id,
      wrappedKey: fake(),
      nameHash: b32(),
    });
    expect(moved.statusCode, moved.body).toBe(200);
    // Not out of the shared folder, not the shared folder itself.
    const out = await inject('PATCH', `/shares/${s.id}/nodes/${uploaded.id}`, member.auth, {
      revision: uploaded.revision + 2,
      parentId: owner.rootNodeId,
      wrappedKey: fake(),
      nameHash: b32(),
    });
    expect(out.statusCode).toBe(404);
    const rootRename = await inject('PATCH', `/shares/${s.id}/nodes/${folder.id}`, member.auth, {
      revision: folder.revision,
      encryptedAttrs: fake(),
      nameHash: b32(),
    });
    expect(code(rootRename)).toBe('ROOT_IMMUTABLE');
    const trashed = await inject('POST', `/shares/${s.id}/nodes/${uploaded.id}/trash`, member.auth, {
      revision: uploaded.revision + 2,
    });
    expect(trashed.statusCode, trashed.body).toBe(200);
    const ownerTrash = (await inject('GET', '/trash', owner.auth)).json<{ nodes: Node[] }>().nodes;
    expect(ownerTrash.map((n) => n.id)).toContain(uploaded.id);

    // An upload in progress through the share, then the owner removes the member.
    const pending = await inject('POST', `/shares/${s.id}/uploads`, member.auth, { sizeBytes: 1000 });
    const pendingId = pending.json<{ upload: Upload }>().upload.id;
    expect((await inject('DELETE', `/shares/${s.id}`, owner.auth)).statusCode).toBe(204);
    for (const [method, url] of [
      ['GET', `/shares/${s.id}/node`],
      ['GET', `/shares/${s.id}/nodes/${folder.id}/children`],
      ['GET', `/shares/${s.id}/uploads/${pendingId}`],
    ] as const) {
      expect((await inject(method, url, member.auth)).statusCode).toBe(404);
    }
    expect((await quotaOf(srv.db, owner.userId)).reservedBytes).toBe(0);
  });

  it('refuses bad shares: to oneself, unknown accounts, the root, a file, twice, and folders of others', async () => {
    const folder = await mkdir(owner, owner.rootNodeId);
    const file = await upload(owner, folder.id, randomBytes(10));
    const strangerFolder = await mkdir(stranger, stranger.rootNodeId);
    const body = (over: Record<string, unknown>) => ({
      id: randomId(),
      folderId: folder.id,
      memberUserId: member.userId,
      access: 'read',
      sealedKey: sealed(),
      signature: sig(),
      ...over,
    });
    const cases: [Record<string, unknown>, number, string][] = [
      [{ memberUserId: owner.userId }, 400, 'VALIDATION_FAILED'],
      [{ memberUserId: randomId() }, 404, 'NOT_FOUND'],
      [{ folderId: owner.rootNodeId }, 400, 'ROOT_IMMUTABLE'],
      [{ folderId: file.id }, 400, 'NOT_A_FOLDER'],
      [{ folderId: strangerFolder.id }, 404, 'NOT_FOUND'],
      [{ sealedKey: 'AAAA' }, 400, 'VALIDATION_FAILED'],
      [{ access: 'admin' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [over, status, expected] of cases) {
      const res = await inject('POST', '/shares', owner.auth, body(over));
      expect([res.statusCode, code(res)], JSON.stringify(over)).toEqual([status, expected]);
    }
    await share(folder.id, member, 'read');
    const twice = await inject('POST', '/shares', owner.auth, body({}));
    expect([twice.statusCode, code(twice)]).toEqual([409, 'ALREADY_SHARED']);
    // A member cannot re-share a folder shared with it.
    const reshare = await inject('POST', '/shares', member.auth, body({ memberUserId: stranger.userId }));
    expect(reshare.statusCode).toBe(404);
    const mine = (await inject('GET', '/shares', owner.auth)).json<{ outgoing: Share[] }>().outgoing;
    expect(mine.filter((x) => x.folderId === folder.id)).toHaveLength(1);
  });

  it('walks every link and share route: a stranger, a removed member, a declined member, a read-only member writing and a revoked link get nothing', async () => {
    const folder = await mkdir(owner, owner.rootNodeId);
    const file = await upload(owner, folder.id, randomBytes(3000));
    const versionId = file.currentVersion!.id;
    const writeShare = await share(folder.id, member, 'write');
    await accept(member, writeShare.id);
    const readShare = await share(folder.id, reader, 'read');
    await accept(reader, readShare.id);
    const declined = await srv.account();
    const declinedShare = await share(folder.id, declined, 'write');
    await inject('POST', `/shares/${declinedShare.id}/decline`, declined.auth);
    const removed = await srv.account();
    const removedShare = await share(folder.id, removed, 'write');
    await accept(removed, removedShare.id);
    // An upload begun by the write member, to name in the upload routes.
    const up = (
      await inject('POST', `/shares/${writeShare.id}/uploads`, member.auth, { sizeBytes: 10 })
    ).json<{
      upload: Upload;
    }>().upload;
    expect((await inject('DELETE', `/shares/${removedShare.id}`, owner.auth)).statusCode).toBe(204);

    const linkRes = await inject('POST', '/links', owner.auth, {
      id: randomId(),
      nodeId: folder.id,
      wrappedKey: fake(),
      ownerWrappedLinkKey: fake(),
      keyCommitment: b32(),
    });
    const link = linkRes.json<{ link: Link }>().link;
    const grant = (await inject('POST', `/links/${link.id}/grants`)).json<{ grant: { id: string } }>().grant
      .id;
    expect((await inject('DELETE', `/links/${link.id}`, owner.auth)).statusCode).toBe(204);

    const fill = (path: string, shareId: string): string =>
      path
        .replace(':shareId', shareId)
        .replace(':linkId', link.id)
        .replace(':grantId', grant)
        .replace(':nodeId', file.id)
        .replace(':versionId', versionId)
        .replace(':partNumber', '1')
        .replace(':id', up.id);
    const bodyOf = (name: string): unknown =>
      ({
        createShare: {
          id: randomId(),
          folderId: folder.id,
          memberUserId: stranger.userId,
          access: 'write',
          sealedKey: sealed(),
          signature: sig(),
        },
        shareCreateFolder: {
          id: randomId(),
          parentId: folder.id,
          type: 'folder',
          wrappedKey: fake(),
          encryptedAttrs: fake(),
          nameHash: b32(),
        },
        shareUpdateNode: { revision: file.revision, encryptedAttrs: fake(), nameHash: b32() },
        shareTrashNode: { revision: file.revision },
        shareCreateUpload: { sizeBytes: 10 },
        shareCompleteUpload: {
          kind: 'new-file',
          node: {
            id: randomId(),
            parentId: folder.id,
            wrappedKey: fake(),
            encryptedAttrs: fake(),
            nameHash: b32(),
          },
          version: { id: randomId(), wrappedKey: fake(), encryptedAttrs: fake() },
        },
        updateLink: { maxDownloads: 1 },
        createLink: {
          id: randomId(),
          nodeId: folder.id,
          wrappedKey: fake(),
          ownerWrappedLinkKey: fake(),
          keyCommitment: b32(),
        },
        lookupKeys: { email: emailOf(owner) },
        reportLink: { reason: 'spam' },
      })[name];

    const walked = new Set<string>();
    const snapshot = async () =>
      JSON.stringify([
        await srv.db
          .selectFrom('nodes')
          .selectAll()
          .where('user_id', '=', owner.userId)
          .orderBy('id')
          .execute(),
        await srv.db.selectFrom('shares').select(['id', 'status', 'access']).orderBy('id').execute(),
        await srv.db
          .selectFrom('links')
          .select(['id', 'max_downloads', 'revoked_at'])
          .orderBy('id')
          .execute(),
        await quotaOf(srv.db, owner.userId),
      ]);
    const before = await snapshot();

    for (const [name, spec] of Object.entries(routes)) {
      const shareRoute = spec.path.startsWith('/shares/:shareId');
      const linkRoute = spec.path.startsWith('/links/:linkId');
      if (!shareRoute && !linkRoute) continue;
      walked.add(name);
      const send = (account: TestAccount | undefined, shareId: string) =>
        srv.app.inject({
          method: spec.method,
          url: fill(spec.path, shareId),
          headers: {
            ...(account ? account.auth : {}),
            ...(spec.request === 'binary' ? { 'content-type': 'application/octet-stream' } : {}),
          },
          ...(spec.request === 'binary'
            ? { payload: Buffer.alloc(10) }
            : bodyOf(name) !== undefined
              ? { payload: bodyOf(name) as Record<string, unknown> }
              : {}),
        });
      if (shareRoute) {
        // A stranger naming the write share, the removed member its old share, the declined member its own.
        for (const [who, shareId, label] of [
          [stranger, writeShare.id, 'stranger'],
          [removed, removedShare.id, 'removed member'],
          [declined, declinedShare.id, 'declined member'],
        ] as const) {
          // A declined member may delete (leave) its own invitation: that is its to remove.
          if (label === 'declined member' && name === 'deleteShare') continue;
          const res = await send(who, shareId);
          const ok = name === 'declineShare' || name === 'acceptShare' ? [404, 409] : [404];
          expect(ok, `${label} ${spec.method} ${spec.path}: ${res.statusCode} ${res.body}`).toContain(
            res.statusCode,
          );
        }
        expect((await send(undefined, writeShare.id)).statusCode, `anonymous ${spec.path}`).toBe(401);
        const writes =
          spec.method !== 'GET' && !['acceptShare', 'declineShare', 'deleteShare'].includes(name);
        if (writes) {
          const res = await send(reader, readShare.id);
          expect([res.statusCode, code(res)], `read-only ${spec.method} ${spec.path}`).toEqual([
            403,
            'SHARE_READ_ONLY',
          ]);
        }
      } else {
        // Owner routes: a stranger gets 404 and no session 401; anonymous routes: the revoked link says so.
        if (spec.auth) {
          expect((await send(stranger, '')).statusCode, `stranger ${spec.method} ${spec.path}`).toBe(404);
          expect((await send(undefined, '')).statusCode).toBe(401);
        } else if (name !== 'reportLink') {
          const res = await send(undefined, '');
          expect([res.statusCode, code(res)], `revoked ${spec.method} ${spec.path}`).toEqual([
            410,
            'LINK_REVOKED',
          ]);
        }
      }
    }
    expect(await snapshot()).toBe(before);
    // The walk met every route it should (a new route cannot slip past it).
    expect(walked.size).toBe(
      Object.values(routes).filter(
        (r) => r.path.startsWith('/shares/:shareId') || r.path.startsWith('/links/:linkId'),
      ).length,
    );
    expect(walked.size).toBeGreaterThanOrEqual(22);
  });
});
