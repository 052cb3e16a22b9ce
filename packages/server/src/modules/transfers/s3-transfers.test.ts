// Transfers on a real S3 store (Ceph RGW in CI): direct presigned part uploads and downloads, their
// faults (wrong bytes or size in the bucket, a URL for another part, an expired URL), proxy mode,
// and the expiry and garbage jobs acting on the bucket. Runs whenever S3 settings are present.
import { createHash, randomBytes } from 'node:crypto';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import type { PartTargetResponse, Upload } from '@hoard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJobs } from '../../jobs.js';
import { parseConfig } from '../../config.js';
import { S3BlobStore } from '../../storage/s3-blob-store.js';
import { describeWhen } from '../../testing/describe-when.js';
import { testS3Settings } from '../../testing/test-s3.js';
import { newFileCompletion } from '../../testing/test-app.js';
import { dialects, startTestServer, type TestAccount, type TestServer } from './test-kit.js';

const settings = testS3Settings(process.env);
const MiB = 1024 * 1024;

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const md5B64 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('base64');

function describeS3(name: string, body: (s3: NonNullable<typeof settings>) => void): void {
  describeWhen(name, { S3_ENDPOINT: settings }, () => body(settings!));
}

describeS3('transfers on S3', (s3) => {
  let store: S3BlobStore;
  beforeAll(async () => {
    store = new S3BlobStore(s3);
    await store.ensureBucket();
  });
  afterAll(() => store.close());

  describe.each(dialects)('direct (presigned) on %s', (dialect) => {
    let srv: TestServer;
    let account: TestAccount;
    beforeAll(async () => {
      srv = await startTestServer(dialect, { blobStore: store, config: { presignTtlSeconds: 60 } });
      account = await srv.account();
    });
    afterAll(() => srv.close());

    async function createUpload(sizeBytes: number): Promise<Upload> {
      const res = await srv.app.inject({
        method: 'POST',
        url: '/uploads',
        headers: account.auth,
        payload: { sizeBytes },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ upload: Upload }>().upload;
    }

    async function target(uploadId: string, partNumber: number, bytes: Uint8Array) {
      const res = await srv.app.inject({
        method: 'POST',
        url: `/uploads/${uploadId}/parts/${partNumber}/target`,
        headers: account.auth,
        payload: { sha256: sha256Hex(bytes), md5: md5B64(bytes) },
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<PartTargetResponse>();
    }

    async function sendDirect(uploadId: string, partNumber: number, bytes: Uint8Array): Promise<Response> {
      const { target: t } = await target(uploadId, partNumber, bytes);
      if (!t) throw new Error('no target');
      return fetch(t.url, { method: t.method, headers: t.headers, body: Buffer.from(bytes) });
    }

    function complete(uploadId: string) {
      return srv.app.inject({
        method: 'POST',
        url: `/uploads/${uploadId}/complete`,
        headers: account.auth,
        payload: newFileCompletion(account.rootNodeId),
      });
    }

    it('takes parts straight into the bucket, completes, and hands out a ranged download URL', async () => {
      const blob = randomBytes(8 * MiB + 4321);
      const upload = await createUpload(blob.byteLength);
      expect(upload.partTransfer).toBe('direct');
      const parts = [blob.subarray(0, upload.partSizeBytes), blob.subarray(upload.partSizeBytes)];
      for (const [i, bytes] of parts.entries()) {
        const put = await sendDirect(upload.id, i + 1, bytes);
        expect(put.status, await put.text()).toBe(200);
      }
      const listed = await srv.app.inject({
        method: 'GET',
        url: `/uploads/${upload.id}`,
        headers: account.auth,
      });
      expect(listed.json<{ upload: Upload }>().upload.parts.map((p) => [p.partNumber, p.sha256])).toEqual(
        parts.map((bytes, i) => [i + 1, sha256Hex(bytes)]),
      );
      // Announcing a landed part again answers it, with no URL.
      expect((await target(upload.id, 1, parts[0]!)).landed?.partNumber).toBe(1);
      const done = await complete(upload.id);
      expect(done.statusCode, done.body).toBe(201);
      const versionId = done.json<{ node: { currentVersion: { id: string } } }>().node.currentVersion.id;

      const located = await srv.app.inject({
        method: 'GET',
        url: `/versions/${versionId}/location`,
        headers: account.auth,
      });
      expect(located.statusCode, located.body).toBe(200);
      const { location } = located.json<{ location: { url: string } }>();
      const whole = Buffer.from(await (await fetch(location.url)).arrayBuffer());
      expect(whole.equals(blob)).toBe(true);
      const ranged = await fetch(location.url, { headers: { range: 'bytes=100-199' } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(blob.subarray(100, 200))).toBe(true);
    });

    it('refuses at completion a part put into the bucket with other bytes than announced', async () => {
      const blob = randomBytes(1000);
      const upload = await createUpload(blob.byteLength);
      await target(upload.id, 1, blob);
      // Someone with bucket access (or a buggy client) puts other bytes under the part number.
      const handle = await srv.db
        .selectFrom('uploads')
        .select(['blob_key', 'store_handle'])
        .where('id', '=', upload.id)
        .executeTakeFirstOrThrow();
      await store.client.send(
        new UploadPartCommand({
          Bucket: s3.bucket,
          Key: `blobs/${handle.blob_key}`,
          UploadId: handle.store_handle.slice(handle.store_handle.indexOf(':') + 1),
          PartNumber: 1,
          Body: randomBytes(1000),
        }),
      );
      const refused = await complete(upload.id);
      expect(refused.statusCode, refused.body).toBe(409);
      expect(refused.json<{ error: { code: string } }>().error.code).toBe('UPLOAD_INCOMPLETE');
      // The right bytes, sent again, complete it.
      expect((await sendDirect(upload.id, 1, blob)).status).toBe(200);
      expect((await complete(upload.id)).statusCode).toBe(201);
    });

    it('has the bucket refuse other bytes (or another size) than the URL was made for', async () => {
      const blob = randomBytes(1000);
      const upload = await createUpload(blob.byteLength);
      const { target: t } = await target(upload.id, 1, blob);
      const wrongBytes = await fetch(t!.url, { method: 'PUT', headers: t!.headers, body: randomBytes(1000) });
      // 400 BadDigest, or 403 where the store signs the body's size in too: refused either way.
      expect([400, 403]).toContain(wrongBytes.status);
      const wrongSize = await fetch(t!.url, {
        method: 'PUT',
        headers: t!.headers,
        body: blob.subarray(0, 999),
      });
      expect([400, 403]).toContain(wrongSize.status);
      const listed = await srv.app.inject({
        method: 'GET',
        url: `/uploads/${upload.id}`,
        headers: account.auth,
      });
      expect(listed.json<{ upload: Upload }>().upload.parts).toEqual([]);
    });

    it('refuses a URL used for another part than it was made for', async () => {
      const blob = randomBytes(6 * MiB);
      const upload = await createUpload(20 * MiB);
      const { target: t } = await target(upload.id, 1, blob);
      const other = t!.url.replace(/([?&])partNumber=1(&|$)/, '$1partNumber=2$2');
      expect(other).not.toBe(t!.url);
      const res = await fetch(other, { method: 'PUT', headers: t!.headers, body: blob });
      expect(res.status).toBe(403);
    });

    it('answers PART_OUT_OF_RANGE for a part beyond the upload', async () => {
      const upload = await createUpload(10);
      const res = await srv.app.inject({
        method: 'POST',
        url: `/uploads/${upload.id}/parts/2/target`,
        headers: account.auth,
        payload: { sha256: sha256Hex(Buffer.alloc(1)), md5: md5B64(Buffer.alloc(1)) },
      });
      expect(res.json<{ error: { code: string } }>().error.code).toBe('PART_OUT_OF_RANGE');
    });

    it('aborts the multipart upload in the bucket when the upload expires', async () => {
      const upload = await createUpload(100);
      const row = await srv.db
        .selectFrom('uploads')
        .select(['blob_key', 'store_handle'])
        .where('id', '=', upload.id)
        .executeTakeFirstOrThrow();
      expect(await store.listParts(row.blob_key, row.store_handle)).toEqual([]);
      srv.clock.advance(25 * 3600 * 1000);
      await runJobs({ ...srv.deps, config: parseConfig({}) });
      expect(await store.listParts(row.blob_key, row.store_handle)).toBeUndefined();
    });
  });

  describe('expired URLs', () => {
    it('are refused by the bucket', async () => {
      const srv = await startTestServer('sqlite', { blobStore: store, config: { presignTtlSeconds: 1 } });
      try {
        const account = await srv.account();
        const created = await srv.app.inject({
          method: 'POST',
          url: '/uploads',
          headers: account.auth,
          payload: { sizeBytes: 10 },
        });
        const upload = created.json<{ upload: Upload }>().upload;
        const bytes = randomBytes(10);
        const res = await srv.app.inject({
          method: 'POST',
          url: `/uploads/${upload.id}/parts/1/target`,
          headers: account.auth,
          payload: { sha256: sha256Hex(bytes), md5: md5B64(bytes) },
        });
        const { target: t } = res.json<PartTargetResponse>();
        await new Promise((r) => setTimeout(r, 2500));
        const late = await fetch(t!.url, { method: 'PUT', headers: t!.headers, body: bytes });
        expect(late.status).toBe(403);
      } finally {
        await srv.close();
      }
    });
  });

  describe('proxy mode', () => {
    it('takes parts through the server and streams downloads, for a bucket clients cannot reach', async () => {
      const srv = await startTestServer('sqlite', { blobStore: store, config: { s3Transfers: 'proxy' } });
      try {
        const account = await srv.account();
        const blob = randomBytes(3000);
        const created = await srv.app.inject({
          method: 'POST',
          url: '/uploads',
          headers: account.auth,
          payload: { sizeBytes: blob.byteLength },
        });
        const upload = created.json<{ upload: Upload }>().upload;
        expect(upload.partTransfer).toBe('server');
        const put = await srv.app.inject({
          method: 'PUT',
          url: `/uploads/${upload.id}/parts/1`,
          headers: { ...account.auth, 'content-type': 'application/octet-stream' },
          payload: blob,
        });
        expect(put.statusCode, put.body).toBe(200);
        const done = await srv.app.inject({
          method: 'POST',
          url: `/uploads/${upload.id}/complete`,
          headers: account.auth,
          payload: newFileCompletion(account.rootNodeId),
        });
        expect(done.statusCode, done.body).toBe(201);
        const node = done.json<{ node: { id: string; currentVersion: { id: string } } }>().node;
        const located = await srv.app.inject({
          method: 'GET',
          url: `/versions/${node.currentVersion.id}/location`,
          headers: account.auth,
        });
        expect(located.json()).toEqual({ location: null });
        const got = await srv.app.inject({
          method: 'GET',
          url: `/nodes/${node.id}/content`,
          headers: { ...account.auth, range: 'bytes=10-19' },
        });
        expect(got.statusCode).toBe(206);
        expect(got.rawPayload.equals(blob.subarray(10, 20))).toBe(true);
      } finally {
        await srv.close();
      }
    });
  });
});
