import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeBlobStoreContract } from './blob-store-contract.js';
import { FsBlobStore } from './fs-blob-store.js';

describeBlobStoreContract('FsBlobStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hoard-blobs-'));
  return {
    store: new FsBlobStore({ rootDir: dir }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('FsBlobStore layout', () => {
  it('keeps an unfinished blob in tmp/<handle>.<key> and moves it to blobs/<aa>/<bb>/<key> on completion', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hoard-blobs-'));
    try {
      const store = new FsBlobStore({ rootDir: dir });
      const key = 'AbCdEfGhIjKlMnOpQrStUv';
      const handle = await store.createMultipart(key, 4);
      expect(await readdir(join(dir, 'tmp'))).toEqual([`${handle}.${key}`]);
      const part = await store.putPart(
        key,
        handle,
        { partNumber: 1, offsetBytes: 0, sizeBytes: 4 },
        Readable.from([Buffer.from('abcd')]),
      );
      await store.completeMultipart(key, handle, [part]);
      expect(await readdir(join(dir, 'tmp'))).toEqual([]);
      expect(await readdir(join(dir, 'blobs', 'Ab', 'Cd'))).toEqual([key]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('creates its data directory when it is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hoard-blobs-'));
    try {
      const store = new FsBlobStore({ rootDir: join(dir, 'not', 'yet') });
      const key = 'AbCdEfGhIjKlMnOpQrStUv';
      const handle = await store.createMultipart(key, 1);
      const part = await store.putPart(
        key,
        handle,
        { partNumber: 1, offsetBytes: 0, sizeBytes: 1 },
        Readable.from([Buffer.from('a')]),
      );
      await store.completeMultipart(key, handle, [part]);
      expect(await store.sizeOf(key)).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a handle that is not one of its own', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hoard-blobs-'));
    try {
      const store = new FsBlobStore({ rootDir: dir });
      await expect(
        store.putPart(
          'AbCdEfGhIjKlMnOpQrStUv',
          '../blobs/x',
          { partNumber: 1, offsetBytes: 0, sizeBytes: 1 },
          Readable.from([Buffer.from('a')]),
        ),
      ).rejects.toThrow(TypeError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
