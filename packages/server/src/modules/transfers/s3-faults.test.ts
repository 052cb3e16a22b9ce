// The object store lost mid-request: a TCP relay between the server and Ceph RGW is cut while a
// part is being stored and while an upload completes. The request fails cleanly (5xx, nothing
// recorded, no node, quota still only reserved), and the client's retry succeeds once the store is
// back. Runs whenever S3 settings are present.
import { randomBytes } from 'node:crypto';
import type { Upload } from '@hoard/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3BlobStore } from '../../storage/s3-blob-store.js';
import { describeWhen } from '../../testing/describe-when.js';
import { Relay } from '../../testing/tcp-relay.js';
import { newFileCompletion } from '../../testing/test-app.js';
import { testS3Settings } from '../../testing/test-s3.js';
import { quotaOf, randomId, startTestServer, type TestAccount, type TestServer } from './test-kit.js';

const settings = testS3Settings(process.env);

describeWhen('transfers when the S3 store goes away mid-request', { S3_ENDPOINT: settings }, () => {
  let relay: Relay;
  let store: S3BlobStore;
  let srv: TestServer;
  let account: TestAccount;

  beforeAll(async () => {
    relay = new Relay(new URL(settings!.endpoint!));
    await relay.up();
    store = new S3BlobStore({ ...settings!, endpoint: `http://127.0.0.1:${relay.port}` });
    await store.ensureBucket();
    srv = await startTestServer('sqlite', { blobStore: store, config: { s3Transfers: 'proxy' } });
    account = await srv.account();
  });
  afterAll(async () => {
    await srv?.close();
    store?.close();
    await relay?.cut();
  });

  it('fails a part and a completion cleanly while the store is unreachable; the retries succeed', async () => {
    const blob = randomBytes(4000);
    const created = await srv.app.inject({
      method: 'POST',
      url: '/uploads',
      headers: account.auth,
      payload: { sizeBytes: blob.byteLength },
    });
    const upload = created.json<{ upload: Upload }>().upload;
    const put = () =>
      srv.app.inject({
        method: 'PUT',
        url: `/uploads/${upload.id}/parts/1`,
        headers: { ...account.auth, 'content-type': 'application/octet-stream' },
        payload: blob,
      });
    const complete = () =>
      srv.app.inject({
        method: 'POST',
        url: `/uploads/${upload.id}/complete`,
        headers: account.auth,
        payload: newFileCompletion(account.rootNodeId, nodeId),
      });
    const nodeId = randomId();

    await relay.cut();
    const lostPart = await put();
    expect(lostPart.statusCode).toBeGreaterThanOrEqual(500);
    await relay.up();
    const parts = await srv.app.inject({
      method: 'GET',
      url: `/uploads/${upload.id}`,
      headers: account.auth,
    });
    expect(parts.json<{ upload: Upload }>().upload.parts).toEqual([]);
    expect((await put()).statusCode).toBe(200);

    await relay.cut();
    const lostCompletion = await complete();
    expect(lostCompletion.statusCode).toBeGreaterThanOrEqual(500);
    // Nothing half-committed: no node, the bytes still only reserved.
    const node = await srv.app.inject({ method: 'GET', url: `/nodes/${nodeId}`, headers: account.auth });
    expect(node.statusCode).toBe(404);
    expect(await quotaOf(srv.db, account.userId)).toEqual({ usedBytes: 0, reservedBytes: blob.byteLength });
    await relay.up();
    const done = await complete();
    expect(done.statusCode, done.body).toBe(201);
    expect(await quotaOf(srv.db, account.userId)).toEqual({ usedBytes: blob.byteLength, reservedBytes: 0 });
    const got = await srv.app.inject({
      method: 'GET',
      url: `/nodes/${nodeId}/content`,
      headers: account.auth,
    });
    expect(got.rawPayload.equals(blob)).toBe(true);
  });
});
