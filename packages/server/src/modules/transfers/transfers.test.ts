import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Upload } from '@hoard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newFileCompletion } from '../../testing/test-app.js';
import { collectBlobGarbage } from './blob-garbage.js';
import {
  quotaOf,
  randomId,
  startTestServer,
  dialects,
  type TestAccount,
  type TestServer,
} from './test-kit.js';
import { expireUploads } from './upload-service.js';

const MiB = 1024 * 1024;
const PART = 8 * MiB;

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe.each(dialects)('transfers on %s', (dialect) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(dialect);
  });
  afterAll(async () => {
    await srv.close();
  });

  async function createUpload(account: TestAccount, sizeBytes: number): Promise<Upload> {
    const res = await srv.app.inject({
      method: 'POST',
      url: '/uploads',
      headers: account.auth,
      payload: { sizeBytes },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ upload: Upload }>().upload;
  }

  function putPart(account: TestAccount, uploadId: string, partNumber: number | string, body: Uint8Array) {
    return srv.app.inject({
      method: 'PUT',
      url: `/uploads/${uploadId}/parts/${partNumber}`,
      headers: { ...account.auth, 'content-type': 'application/octet-stream' },
      payload: Buffer.from(body),
    });
  }

  function complete(
    account: TestAccount,
    uploadId: string,
    parentId: string,
    ids = { node: randomId(), version: randomId() },
    nameHash = randomBytes(32).toString('base64url'),
  ) {
    return srv.app.inject({
      method: 'POST',
      url: `/uploads/${uploadId}/complete`,
      headers: account.auth,
      payload: {
        kind: 'new-file',
        node: { id: ids.node, parentId, wrappedKey: 'AAAA', encryptedAttrs: 'AAAA', nameHash },
        version: { id: ids.version, wrappedKey: 'AAAA', encryptedAttrs: 'AAAA' },
      },
    });
  }

  /** Uploads `blob` as a new file in the root; returns the node and version ids. */
  async function uploadFile(account: TestAccount, blob: Uint8Array) {
    const upload = await createUpload(account, blob.byteLength);
    for (let n = 1; n <= upload.partCount; n++) {
      const res = await putPart(
        account,
        upload.id,
        n,
        blob.subarray((n - 1) * upload.partSizeBytes, n * upload.partSizeBytes),
      );
      expect(res.statusCode, res.body).toBe(200);
    }
    const ids = { node: randomId(), version: randomId() };
    const res = await complete(account, upload.id, account.rootNodeId, ids);
    expect(res.statusCode, res.body).toBe(201);
    return { upload, ...ids };
  }

  describe('POST /uploads', () => {
    it('cuts an upload into 8 MiB parts, the last one the rest', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 2 * PART + 5);
      expect(upload).toMatchObject({
        sizeBytes: 2 * PART + 5,
        partSizeBytes: PART,
        partCount: 3,
        parts: [],
        state: 'open',
      });
      expect(Date.parse(upload.expiresAt)).toBe(srv.clock.now() + 24 * 3600 * 1000);
    });

    it('grows the part size so that no upload has more than 10,000 parts', async () => {
      const a = await srv.account(1024 ** 4);
      const upload = await createUpload(a, 200 * 1024 * MiB);
      expect(upload.partCount).toBeLessThanOrEqual(10_000);
      expect(upload.partSizeBytes).toBeGreaterThan(PART);
      expect(upload.partSizeBytes % MiB).toBe(0);
      expect(upload.partSizeBytes * upload.partCount).toBeGreaterThanOrEqual(200 * 1024 * MiB);
    });

    it('gives an empty upload one empty part', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 0);
      expect(upload.partCount).toBe(1);
      expect((await putPart(a, upload.id, 1, new Uint8Array(0))).statusCode).toBe(200);
      expect((await complete(a, upload.id, a.rootNodeId)).statusCode).toBe(201);
    });

    it('rejects negative, fractional, missing and absurd sizes', async () => {
      const a = await srv.account();
      for (const sizeBytes of [-1, 1.5, '10', null, 2 ** 60]) {
        const res = await srv.app.inject({
          method: 'POST',
          url: '/uploads',
          headers: a.auth,
          payload: { sizeBytes },
        });
        expect(res.statusCode, String(sizeBytes)).toBe(400);
        expect(res.json().error.code).toBe('VALIDATION_FAILED');
      }
      const tooBig = await srv.app.inject({
        method: 'POST',
        url: '/uploads',
        headers: a.auth,
        payload: { sizeBytes: 6 * 1024 ** 4 },
      });
      expect(tooBig.statusCode).toBe(413);
      expect(tooBig.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('refuses an upload beyond the quota', async () => {
      const a = await srv.account(1000);
      const res = await srv.app.inject({
        method: 'POST',
        url: '/uploads',
        headers: a.auth,
        payload: { sizeBytes: 1001 },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('QUOTA_EXCEEDED');
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 0, reservedBytes: 0 });
    });

    it('never lets concurrent uploads exceed the quota', async () => {
      const a = await srv.account(10 * MiB);
      const results = await Promise.all(
        Array.from({ length: 40 }, () =>
          srv.app.inject({ method: 'POST', url: '/uploads', headers: a.auth, payload: { sizeBytes: MiB } }),
        ),
      );
      const codes = results.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 201)).toHaveLength(10);
      expect(codes.filter((c) => c === 403)).toHaveLength(30);
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 0, reservedBytes: 10 * MiB });
    });
  });

  describe('PUT /uploads/:id/parts/:partNumber', () => {
    it('records a part with its size and SHA-256, and lists it', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 1000);
      const body = randomBytes(1000);
      const res = await putPart(a, upload.id, 1, body);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ part: { partNumber: 1, sizeBytes: 1000, sha256: sha256Hex(body) } });
      const got = await srv.app.inject({ method: 'GET', url: `/uploads/${upload.id}`, headers: a.auth });
      expect(got.json().upload.parts).toEqual([{ partNumber: 1, sizeBytes: 1000, sha256: sha256Hex(body) }]);
    });

    it('answers 200 to the same bytes sent again', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 1000);
      const body = randomBytes(1000);
      expect((await putPart(a, upload.id, 1, body)).statusCode).toBe(200);
      const again = await putPart(a, upload.id, 1, body);
      expect(again.statusCode).toBe(200);
      expect(again.json().part.sha256).toBe(sha256Hex(body));
    });

    it('rejects a part that was already committed with other bytes, and keeps the first', async () => {
      const a = await srv.account();
      const body = randomBytes(1000);
      const upload = await createUpload(a, 1000);
      expect((await putPart(a, upload.id, 1, body)).statusCode).toBe(200);
      const other = await putPart(a, upload.id, 1, randomBytes(1000));
      expect(other.statusCode).toBe(409);
      expect(other.json().error.code).toBe('PART_CONFLICT');
      const ids = { node: randomId(), version: randomId() };
      expect((await complete(a, upload.id, a.rootNodeId, ids)).statusCode).toBe(201);
      const content = await srv.app.inject({
        method: 'GET',
        url: `/nodes/${ids.node}/content`,
        headers: a.auth,
      });
      expect(content.rawPayload.equals(body)).toBe(true);
    });

    it('rejects a Content-Length other than the part size, and a missing one', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, PART + 10);
      for (const [n, size] of [
        [1, PART - 1],
        [1, PART + 1],
        [2, 9],
        [2, 11],
      ] as const) {
        const res = await putPart(a, upload.id, n, randomBytes(size));
        expect(res.statusCode, `${n}/${size}`).toBe(400);
        expect(res.json().error.code).toBe('PART_SIZE_MISMATCH');
      }
      const chunked = await srv.app.inject({
        method: 'PUT',
        url: `/uploads/${upload.id}/parts/2`,
        headers: { ...a.auth, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
        payload: Readable.from([randomBytes(10)]),
      });
      expect(chunked.statusCode).toBe(400);
      expect(chunked.json().error.code).toBe('PART_SIZE_MISMATCH');
      const got = await srv.app.inject({ method: 'GET', url: `/uploads/${upload.id}`, headers: a.auth });
      expect(got.json().upload.parts).toEqual([]);
    });

    it('rejects part numbers outside 1..partCount', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 100);
      for (const n of ['0', '2', '-1', 'abc', '1.5', '99999999']) {
        const res = await putPart(a, upload.id, n, randomBytes(100));
        expect(res.statusCode, n).toBe(400);
        expect(res.json().error.code).toBe('PART_OUT_OF_RANGE');
      }
    });

    it('rejects a body larger than any part before reading it', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 100);
      const res = await srv.app.inject({
        method: 'PUT',
        url: `/uploads/${upload.id}/parts/1`,
        headers: {
          ...a.auth,
          'content-type': 'application/octet-stream',
          'content-length': String(1024 ** 4),
        },
        payload: Readable.from([]),
      });
      expect(res.statusCode).toBe(413);
      expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('refuses another content type', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 4);
      const res = await srv.app.inject({
        method: 'PUT',
        url: `/uploads/${upload.id}/parts/1`,
        headers: { ...a.auth, 'content-type': 'text/plain' },
        payload: 'abcd',
      });
      expect(res.statusCode).toBe(415);
      expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    });

    it('still compares parts sent again after completion, without writing them', async () => {
      const a = await srv.account();
      const blob = randomBytes(100);
      const { upload, node } = await uploadFile(a, blob);
      expect((await putPart(a, upload.id, 1, blob)).statusCode).toBe(200);
      const other = await putPart(a, upload.id, 1, randomBytes(100));
      expect(other.statusCode).toBe(409);
      expect(other.json().error.code).toBe('PART_CONFLICT');
      const content = await srv.app.inject({ method: 'GET', url: `/nodes/${node}/content`, headers: a.auth });
      expect(content.rawPayload.equals(blob)).toBe(true);
    });

    it('answers PART_IN_PROGRESS to a second PUT of a part still being written', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 1000);
      const body = randomBytes(1000);
      const slow = new PassThrough();
      const first = srv.app.inject({
        method: 'PUT',
        url: `/uploads/${upload.id}/parts/1`,
        headers: { ...a.auth, 'content-type': 'application/octet-stream', 'content-length': '1000' },
        payload: slow,
      });
      slow.write(body.subarray(0, 500));
      await sleep(100);
      const second = await putPart(a, upload.id, 1, body);
      expect(second.statusCode).toBe(409);
      expect(second.json().error.code).toBe('PART_IN_PROGRESS');
      slow.end(body.subarray(500));
      expect((await first).statusCode).toBe(200);
    });

    it('stores nothing of a body cut short by a client that went away, and takes the part again', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, PART + 10);
      const body = randomBytes(PART);
      const address = await srv.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = new URL(address);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(
        `PUT /uploads/${upload.id}/parts/1 HTTP/1.1\r\nhost: x\r\nauthorization: ${a.auth.authorization}\r\n` +
          `content-type: application/octet-stream\r\ncontent-length: ${PART}\r\n\r\n`,
      );
      socket.write(body.subarray(0, PART / 2));
      await sleep(200);
      socket.destroy();
      // The server notices the broken body; until then the part counts as in progress.
      let retry = await putPart(a, upload.id, 1, body);
      for (let i = 0; i < 50 && retry.statusCode === 409; i++) {
        await sleep(50);
        retry = await putPart(a, upload.id, 1, body);
      }
      expect(retry.statusCode, retry.body).toBe(200);
      expect(retry.json().part.sha256).toBe(sha256Hex(body));
      const got = await srv.app.inject({ method: 'GET', url: `/uploads/${upload.id}`, headers: a.auth });
      expect(got.json().upload.parts).toHaveLength(1);
    });

    it('records nothing while the body is being cut short', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 1000);
      const slow = new PassThrough();
      const first = srv.app.inject({
        method: 'PUT',
        url: `/uploads/${upload.id}/parts/1`,
        headers: { ...a.auth, 'content-type': 'application/octet-stream', 'content-length': '1000' },
        payload: slow,
      });
      slow.write(randomBytes(400));
      await sleep(50);
      slow.destroy(new Error('connection lost'));
      await first.catch(() => undefined);
      const got = await srv.app.inject({ method: 'GET', url: `/uploads/${upload.id}`, headers: a.auth });
      expect(got.json().upload.parts).toEqual([]);
    });
  });

  describe('POST /uploads/:id/complete', () => {
    it('creates the file, moves the reservation to used bytes, and reads back byte for byte', async () => {
      const a = await srv.account();
      const blob = randomBytes(PART + 1234);
      const { upload, node, version } = await uploadFile(a, blob);
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: blob.byteLength, reservedBytes: 0 });
      const got = await srv.app.inject({ method: 'GET', url: `/nodes/${node}`, headers: a.auth });
      expect(got.json().node).toMatchObject({ id: node, type: 'file', sizeBytes: blob.byteLength });
      expect(got.json().node.currentVersion.id).toBe(version);
      const content = await srv.app.inject({ method: 'GET', url: `/nodes/${node}/content`, headers: a.auth });
      expect(content.statusCode).toBe(200);
      expect(content.rawPayload.equals(blob)).toBe(true);
      // Moved into place, never copied: nothing of it is left in tmp/.
      const { store_handle } = await srv.db
        .selectFrom('uploads')
        .select('store_handle')
        .where('id', '=', upload.id)
        .executeTakeFirstOrThrow();
      expect(await readdir(join(srv.dataDir, 'tmp'))).not.toContain(store_handle);
    });

    it('takes parts in parallel and in any order', async () => {
      const a = await srv.account();
      const blob = randomBytes(2 * PART + 777);
      const upload = await createUpload(a, blob.byteLength);
      const results = await Promise.all(
        [3, 1, 2].map((n) => putPart(a, upload.id, n, blob.subarray((n - 1) * PART, n * PART))),
      );
      expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      const ids = { node: randomId(), version: randomId() };
      expect((await complete(a, upload.id, a.rootNodeId, ids)).statusCode).toBe(201);
      const content = await srv.app.inject({
        method: 'GET',
        url: `/versions/${ids.version}/content`,
        headers: a.auth,
      });
      expect(content.rawPayload.equals(blob)).toBe(true);
    });

    it('refuses to complete with parts missing', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 2 * PART + 1);
      expect((await putPart(a, upload.id, 2, randomBytes(PART))).statusCode).toBe(200);
      const res = await complete(a, upload.id, a.rootNodeId);
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('UPLOAD_INCOMPLETE');
      expect(res.json().error.message).toContain('1, 3');
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 0, reservedBytes: 2 * PART + 1 });
    });

    it('returns the same node when completed twice', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 10);
      await putPart(a, upload.id, 1, randomBytes(10));
      const ids = { node: randomId(), version: randomId() };
      const first = await complete(a, upload.id, a.rootNodeId, ids);
      const second = await complete(a, upload.id, a.rootNodeId, ids);
      expect(first.statusCode).toBe(201);
      expect(second.statusCode).toBe(200);
      expect(second.json().node).toEqual(first.json().node);
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 10, reservedBytes: 0 });
      const got = await srv.app.inject({ method: 'GET', url: `/uploads/${upload.id}`, headers: a.auth });
      expect(got.json().upload.state).toBe('completed');
    });

    it('completes once when two completions race', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 10);
      await putPart(a, upload.id, 1, randomBytes(10));
      const ids = { node: randomId(), version: randomId() };
      const results = await Promise.all([
        complete(a, upload.id, a.rootNodeId, ids),
        complete(a, upload.id, a.rootNodeId, ids),
      ]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 201]);
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 10, reservedBytes: 0 });
    });

    it('adds a new version to an existing file', async () => {
      const a = await srv.account();
      const { node } = await uploadFile(a, randomBytes(100));
      const upload = await createUpload(a, 200);
      const newer = randomBytes(200);
      await putPart(a, upload.id, 1, newer);
      const version = randomId();
      const res = await srv.app.inject({
        method: 'POST',
        url: `/uploads/${upload.id}/complete`,
        headers: a.auth,
        payload: {
          kind: 'new-version',
          nodeId: node,
          revision: 1,
          version: { id: version, wrappedKey: 'AAAA', encryptedAttrs: 'AAAA' },
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().node.currentVersion.id).toBe(version);
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 300, reservedBytes: 0 });
      const content = await srv.app.inject({ method: 'GET', url: `/nodes/${node}/content`, headers: a.auth });
      expect(content.rawPayload.equals(newer)).toBe(true);
    });

    it('keeps a blob whose node could not be created listed as garbage, and completes on a retry', async () => {
      const a = await srv.account();
      const nameHash = randomBytes(32).toString('base64url');
      const first = await createUpload(a, 10);
      await putPart(a, first.id, 1, randomBytes(10));
      expect((await complete(a, first.id, a.rootNodeId, undefined, nameHash)).statusCode).toBe(201);

      const upload = await createUpload(a, 20);
      const blob = randomBytes(20);
      await putPart(a, upload.id, 1, blob);
      const taken = await complete(a, upload.id, a.rootNodeId, undefined, nameHash);
      expect(taken.statusCode).toBe(409);
      expect(taken.json().error.code).toBe('NAME_TAKEN');
      const row = await srv.db
        .selectFrom('uploads')
        .select('blob_key')
        .where('id', '=', upload.id)
        .executeTakeFirstOrThrow();
      // Durable already, listed as garbage (collected if the upload is never completed)...
      expect(await srv.blobStore.sizeOf(row.blob_key)).toBe(20);
      const garbage = await srv.db
        .selectFrom('blob_garbage')
        .selectAll()
        .where('blob_key', '=', row.blob_key)
        .execute();
      expect(garbage).toHaveLength(1);
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 10, reservedBytes: 20 });
      // ...until a completion under another name claims it.
      const ids = { node: randomId(), version: randomId() };
      expect((await complete(a, upload.id, a.rootNodeId, ids)).statusCode).toBe(201);
      expect(
        await srv.db.selectFrom('blob_garbage').selectAll().where('blob_key', '=', row.blob_key).execute(),
      ).toEqual([]);
      const content = await srv.app.inject({
        method: 'GET',
        url: `/nodes/${ids.node}/content`,
        headers: a.auth,
      });
      expect(content.rawPayload.equals(blob)).toBe(true);
    });
  });

  describe('abort and expiry', () => {
    it('releases the reservation and the bytes on DELETE', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 100);
      await putPart(a, upload.id, 1, randomBytes(100));
      const res = await srv.app.inject({ method: 'DELETE', url: `/uploads/${upload.id}`, headers: a.auth });
      expect(res.statusCode).toBe(204);
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 0, reservedBytes: 0 });
      const got = await srv.app.inject({ method: 'GET', url: `/uploads/${upload.id}`, headers: a.auth });
      expect(got.statusCode).toBe(404);
      expect((await putPart(a, upload.id, 1, randomBytes(100))).statusCode).toBe(404);
    });

    it('expires an upload after 24 hours: 410, then collected with its reservation released', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 100);
      await putPart(a, upload.id, 1, randomBytes(100));
      const tmpBefore = (await readdir(join(srv.dataDir, 'tmp'))).length;
      srv.clock.advance(24 * 3600 * 1000);
      for (const res of [
        await srv.app.inject({ method: 'GET', url: `/uploads/${upload.id}`, headers: a.auth }),
        await putPart(a, upload.id, 1, randomBytes(100)),
        await complete(a, upload.id, a.rootNodeId),
      ]) {
        expect(res.statusCode).toBe(410);
        expect(res.json().error.code).toBe('UPLOAD_EXPIRED');
      }
      expect(await expireUploads(srv.deps, srv.clock.now())).toBeGreaterThanOrEqual(1);
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 0, reservedBytes: 0 });
      expect((await readdir(join(srv.dataDir, 'tmp'))).length).toBeLessThan(tmpBefore);
      const got = await srv.app.inject({ method: 'GET', url: `/uploads/${upload.id}`, headers: a.auth });
      expect(got.statusCode).toBe(404);
      expect(await expireUploads(srv.deps, srv.clock.now())).toBe(0);
    });

    it('aborts unfinished writes that no upload names (a crash before the upload was saved)', async () => {
      const a = await srv.account();
      const live = await createUpload(a, 100);
      const orphanKey = randomId();
      const orphanHandle = await srv.blobStore.createMultipart(orphanKey, 100);
      const tmp = join(srv.dataDir, 'tmp');
      expect(await readdir(tmp)).toContain(`${orphanHandle}.${orphanKey}`);
      // Not yet: younger than the grace period.
      await expireUploads(srv.deps, srv.clock.now());
      expect(await readdir(tmp)).toContain(`${orphanHandle}.${orphanKey}`);
      await expireUploads({ ...srv.deps, limits: { garbageGraceMs: 0 } }, srv.clock.now());
      expect(await readdir(tmp)).not.toContain(`${orphanHandle}.${orphanKey}`);
      // The upload that was saved keeps its bytes.
      expect((await putPart(a, live.id, 1, randomBytes(100))).statusCode).toBe(200);
    });

    it('forgets a completed upload after its time without touching its file', async () => {
      const a = await srv.account();
      const blob = randomBytes(64);
      const { upload, node } = await uploadFile(a, blob);
      srv.clock.advance(25 * 3600 * 1000);
      await expireUploads(srv.deps, srv.clock.now());
      await collectBlobGarbage(srv.deps, srv.clock.now());
      const got = await srv.app.inject({ method: 'GET', url: `/uploads/${upload.id}`, headers: a.auth });
      expect(got.statusCode).toBe(404);
      const content = await srv.app.inject({ method: 'GET', url: `/nodes/${node}/content`, headers: a.auth });
      expect(content.rawPayload.equals(blob)).toBe(true);
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 64, reservedBytes: 0 });
    });

    it('collects the blob of an upload whose completion failed once it expires', async () => {
      const a = await srv.account();
      const upload = await createUpload(a, 10);
      await putPart(a, upload.id, 1, randomBytes(10));
      const missingParent = await complete(a, upload.id, randomId());
      expect(missingParent.statusCode).toBe(404);
      const { blob_key } = await srv.db
        .selectFrom('uploads')
        .select('blob_key')
        .where('id', '=', upload.id)
        .executeTakeFirstOrThrow();
      expect(await srv.blobStore.sizeOf(blob_key)).toBe(10);
      srv.clock.advance(26 * 3600 * 1000);
      await expireUploads(srv.deps, srv.clock.now());
      await collectBlobGarbage(srv.deps, srv.clock.now());
      expect(await srv.blobStore.sizeOf(blob_key)).toBeUndefined();
      expect(
        await srv.db.selectFrom('blob_garbage').selectAll().where('blob_key', '=', blob_key).execute(),
      ).toEqual([]);
      expect(await quotaOf(srv.db, a.userId)).toEqual({ usedBytes: 0, reservedBytes: 0 });
    });
  });

  describe('downloads', () => {
    let a: TestAccount;
    let blob: Buffer;
    let node: string;
    let version: string;
    beforeAll(async () => {
      a = await srv.account();
      blob = randomBytes(100_000);
      ({ node, version } = await uploadFile(a, blob));
    });

    function get(url: string, headers: Record<string, string> = {}) {
      return srv.app.inject({ method: 'GET', url, headers: { ...a.auth, ...headers } });
    }

    it('sends the whole content with its ETag and Accept-Ranges', async () => {
      for (const url of [`/nodes/${node}/content`, `/versions/${version}/content`]) {
        const res = await get(url);
        expect(res.statusCode).toBe(200);
        expect(res.headers['etag']).toBe(`"${version}"`);
        expect(res.headers['accept-ranges']).toBe('bytes');
        expect(res.headers['content-type']).toBe('application/octet-stream');
        expect(res.headers['content-length']).toBe('100000');
        expect(res.rawPayload.equals(blob)).toBe(true);
      }
    });

    it('answers a single Range with 206 and Content-Range', async () => {
      for (const [range, start, end] of [
        ['bytes=0-9', 0, 9],
        ['bytes=99990-', 99_990, 99_999],
        ['bytes=-16', 99_984, 99_999],
        ['bytes=50000-200000', 50_000, 99_999],
      ] as const) {
        const res = await get(`/versions/${version}/content`, { range });
        expect(res.statusCode, range).toBe(206);
        expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/100000`);
        expect(res.headers['content-length']).toBe(String(end - start + 1));
        expect(res.rawPayload.equals(blob.subarray(start, end + 1))).toBe(true);
      }
    });

    it('honours If-Range: the same ETag gets the range, another gets everything', async () => {
      const same = await get(`/nodes/${node}/content`, { range: 'bytes=0-9', 'if-range': `"${version}"` });
      expect(same.statusCode).toBe(206);
      const other = await get(`/nodes/${node}/content`, {
        range: 'bytes=0-9',
        'if-range': `"${randomId()}"`,
      });
      expect(other.statusCode).toBe(200);
      expect(other.rawPayload.equals(blob)).toBe(true);
    });

    it('answers 416 to a range past the end', async () => {
      for (const range of ['bytes=100000-', 'bytes=200000-300000', 'bytes=5-2', 'bytes=x-y']) {
        const res = await get(`/nodes/${node}/content`, { range });
        expect(res.statusCode, range).toBe(416);
        expect(res.json().error.code).toBe('RANGE_NOT_SATISFIABLE');
        expect(res.headers['content-range']).toBe('bytes */100000');
      }
    });

    it('answers HEAD with the headers and no body', async () => {
      const res = await srv.app.inject({ method: 'HEAD', url: `/nodes/${node}/content`, headers: a.auth });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-length']).toBe('100000');
      expect(res.headers['etag']).toBe(`"${version}"`);
      expect(res.rawPayload.byteLength).toBe(0);
    });

    it('says NOT_A_FILE for a folder and NOT_FOUND for unknown ids', async () => {
      expect((await get(`/nodes/${a.rootNodeId}/content`)).json().error.code).toBe('NOT_A_FILE');
      expect((await get(`/nodes/${randomId()}/content`)).statusCode).toBe(404);
      expect((await get(`/versions/${randomId()}/content`)).statusCode).toBe(404);
      expect((await get(`/versions/not-an-id/content`)).statusCode).toBe(404);
    });
  });

  describe('another account', () => {
    it('gets NOT_FOUND on every transfers route with its own session', async () => {
      const owner = await srv.account();
      const stranger = await srv.account();
      const { node, version } = await uploadFile(owner, randomBytes(50));
      const open = await createUpload(owner, 10);
      await putPart(owner, open.id, 1, randomBytes(10));
      const requests = [
        { method: 'GET', url: `/uploads/${open.id}` },
        { method: 'DELETE', url: `/uploads/${open.id}` },
        { method: 'PUT', url: `/uploads/${open.id}/parts/1`, octet: true },
        { method: 'POST', url: `/uploads/${open.id}/complete`, complete: true },
        { method: 'GET', url: `/nodes/${node}/content` },
        { method: 'GET', url: `/versions/${version}/content` },
      ] as const;
      for (const r of requests) {
        const res = await srv.app.inject({
          method: r.method,
          url: r.url,
          headers: {
            ...stranger.auth,
            ...('octet' in r ? { 'content-type': 'application/octet-stream' } : {}),
          },
          ...('octet' in r ? { payload: randomBytes(10) } : {}),
          ...('complete' in r
            ? {
                payload: newFileCompletion(stranger.rootNodeId),
              }
            : {}),
        });
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(404);
        expect(res.json().error.code).toBe('NOT_FOUND');
      }
      // And nothing of the owner's changed.
      const got = await srv.app.inject({ method: 'GET', url: `/uploads/${open.id}`, headers: owner.auth });
      expect(got.json().upload.parts).toHaveLength(1);
      expect(await quotaOf(srv.db, stranger.userId)).toEqual({ usedBytes: 0, reservedBytes: 0 });
    });

    it('needs a session on every transfers route', async () => {
      for (const [method, url] of [
        ['POST', '/uploads'],
        ['GET', `/uploads/${randomId()}`],
        ['DELETE', `/uploads/${randomId()}`],
        ['POST', `/uploads/${randomId()}/complete`],
        ['GET', `/nodes/${randomId()}/content`],
        ['GET', `/versions/${randomId()}/content`],
      ] as const) {
        const res = await srv.app.inject({ method, url });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
      }
    });
  });
});
