import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { testS3Settings } from '../testing/test-s3.js';
import { describeBlobStoreContract } from './blob-store-contract.js';
import { IncompleteBlobError } from './blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

const settings = testS3Settings(process.env);
const MiB = 1024 * 1024;

if (!settings) {
  describe('S3BlobStore', () => {
    it('runs against a real S3 store when S3_ENDPOINT and its keys are set (.ci/run starts Ceph RGW)', () => {
      expect(process.env.CI === 'true' ? 'S3 settings in CI' : 'no S3 here').not.toBe('S3 settings in CI');
    });
  });
} else {
  const s3 = settings;
  let ready: Promise<S3BlobStore> | undefined;
  /** One bucket for this file, created once (as the server does at start). */
  const shared = () =>
    (ready ??= (async () => {
      const store = new S3BlobStore(s3);
      await store.ensureBucket();
      return store;
    })());

  describeBlobStoreContract('S3BlobStore', async () => {
    const { bucket } = await shared();
    // A key prefix per fixture: listUnfinished sees this fixture's writes only.
    const store = new S3BlobStore({ ...s3, bucket, keyPrefix: `t${randomBytes(4).toString('hex')}/` });
    return { store, minPartBytes: 5 * MiB, dispose: () => Promise.resolve(store.close()) };
  });

  describe('S3BlobStore specifics', () => {
    it('creates its bucket at start when it is missing, and accepts one that exists', async () => {
      const store = new S3BlobStore({ ...s3, bucket: `hoard-test-${randomBytes(6).toString('hex')}` });
      await store.ensureBucket();
      await store.ensureBucket();
      expect(await store.sizeOf('AbCdEfGhIjKlMnOp')).toBeUndefined();
      store.close();
    });

    it('says clearly when the store cannot be reached', async () => {
      const store = new S3BlobStore({ ...s3, endpoint: 'http://127.0.0.1:9' });
      await expect(store.ensureBucket()).rejects.toThrow(/cannot be reached/);
      store.close();
    });

    it('refuses to complete when the bucket holds a part of another size than recorded', async () => {
      const store = await shared();
      const key = randomBytes(16).toString('base64url');
      const handle = await store.createMultipart(key, 10);
      const part = await store.putPart(
        key,
        handle,
        { partNumber: 1, offsetBytes: 0, sizeBytes: 10 },
        Readable.from([randomBytes(10)]),
      );
      await expect(store.completeMultipart(key, handle, [{ ...part, sizeBytes: 11 }])).rejects.toThrow(
        IncompleteBlobError,
      );
      await store.abortMultipart(key, handle);
    });
  });
}
