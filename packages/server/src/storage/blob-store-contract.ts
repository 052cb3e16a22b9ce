// The one conformance suite every BlobStore must pass (FsBlobStore, S3BlobStore, the tests' MemoryBlobStore): run it
// from the store's own test file with `describeBlobStoreContract('FsBlobStore', makeStore)`.
// It checks behaviour only through the BlobStore interface, so it holds for any backend.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BlobNotFoundError,
  IncompleteBlobError,
  PartSizeMismatchError,
  type BlobStore,
  type StoredPart,
} from './blob-store.js';

/** A store under test and how to throw it away afterwards. */
export interface StoreFixture {
  store: BlobStore;
  dispose?: () => Promise<void>;
  /**
   * Smallest size of a part that is not the last one (S3: 5 MiB, EntityTooSmall below it). The
   * tests that complete blobs of several parts grow their non-last parts by this much.
   */
  minPartBytes?: number;
}

const MiB = 1024 * 1024;

function newKey(): string {
  return randomBytes(16).toString('base64url');
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Streams `bytes` in chunks of `chunkBytes`, as a socket would. */
function streamOf(bytes: Uint8Array, chunkBytes = 64 * 1024): Readable {
  let at = 0;
  return new Readable({
    read() {
      if (at >= bytes.byteLength) {
        this.push(null);
        return;
      }
      const end = Math.min(at + chunkBytes, bytes.byteLength);
      this.push(bytes.subarray(at, end));
      at = end;
    },
  });
}

/** A body that sends `bytes` and then fails, as an aborted client connection does. */
function failingStreamOf(bytes: Uint8Array): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes);
      } else {
        this.destroy(new Error('client went away'));
      }
    },
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Splits `blob` into parts of `partBytes` (the last one the rest), as the transfers module does. */
function partsOf(blob: Uint8Array, partBytes: number) {
  const parts: { partNumber: number; offsetBytes: number; sizeBytes: number; bytes: Uint8Array }[] = [];
  const count = Math.max(1, Math.ceil(blob.byteLength / partBytes));
  for (let i = 0; i < count; i++) {
    const bytes = blob.subarray(i * partBytes, Math.min((i + 1) * partBytes, blob.byteLength));
    parts.push({ partNumber: i + 1, offsetBytes: i * partBytes, sizeBytes: bytes.byteLength, bytes });
  }
  return parts;
}

/**
 * Registers the BlobStore conformance tests for one implementation.
 *
 * @example
 * describeBlobStoreContract('FsBlobStore', async () => {
 *   const dir = await mkdtemp(join(tmpdir(), 'hoard-blobs-'));
 *   return { store: new FsBlobStore({ rootDir: dir }), dispose: () => rm(dir, { recursive: true }) };
 * });
 */
export function describeBlobStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    const fixtures: StoreFixture[] = [];
    afterEach(async () => {
      for (const fixture of fixtures.splice(0)) await fixture.dispose?.();
    });
    /** The fixture's minimum non-last part size, known once store() ran. */
    let minPart = 0;
    async function store(): Promise<BlobStore> {
      const fixture = await makeStore();
      fixtures.push(fixture);
      minPart = fixture.minPartBytes ?? 0;
      return fixture.store;
    }

    /** Writes `blob` in parts of `partBytes`, all at once and last part first, and completes it. */
    async function writeBlob(
      s: BlobStore,
      key: string,
      blob: Uint8Array,
      partBytes: number,
    ): Promise<StoredPart[]> {
      const handle = await s.createMultipart(key, blob.byteLength);
      const parts = partsOf(blob, partBytes).reverse();
      const stored = await Promise.all(
        parts.map(({ bytes, ...part }) => s.putPart(key, handle, part, streamOf(bytes))),
      );
      await s.completeMultipart(key, handle, stored);
      return stored;
    }

    it('stores parts landed in any order and in parallel, and reads the blob back whole', async () => {
      const s = await store();
      const key = newKey();
      const partBytes = minPart + MiB + 7;
      const blob = randomBytes(5 * partBytes + 12345);
      const stored = await writeBlob(s, key, blob, partBytes);
      expect(stored.map((p) => p.partNumber).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await s.sizeOf(key)).toBe(blob.byteLength);
      expect((await readAll(await s.read(key))).equals(blob)).toBe(true);
    });

    it('returns the size and SHA-256 of each part it stored', async () => {
      const s = await store();
      const key = newKey();
      const blob = randomBytes(3000);
      const handle = await s.createMultipart(key, blob.byteLength);
      const part = await s.putPart(
        key,
        handle,
        { partNumber: 2, offsetBytes: 1000, sizeBytes: 2000 },
        streamOf(blob.subarray(1000), 333),
      );
      expect(part).toEqual({ partNumber: 2, sizeBytes: 2000, sha256Hex: sha256Hex(blob.subarray(1000)) });
    });

    it('reads single byte ranges, inclusive of both ends', async () => {
      const s = await store();
      const key = newKey();
      const blob = randomBytes(100_000);
      await writeBlob(s, key, blob, minPart + 30_000);
      for (const [start, end] of [
        [0, 0],
        [0, 99_999],
        [99_999, 99_999],
        [29_999, 30_000],
        [12_345, 67_890],
      ] as const) {
        const got = await readAll(await s.read(key, { start, end }));
        expect(got.equals(blob.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
      }
    });

    it('rejects a range that is not inside the blob', async () => {
      const s = await store();
      const key = newKey();
      await writeBlob(s, key, randomBytes(1000), 1000);
      await expect(s.read(key, { start: 0, end: 1000 })).rejects.toThrow(RangeError);
      await expect(s.read(key, { start: 1000, end: 1000 })).rejects.toThrow(RangeError);
      await expect(s.read(key, { start: 10, end: 9 })).rejects.toThrow(RangeError);
      await expect(s.read(key, { start: -1, end: 9 })).rejects.toThrow(RangeError);
    });

    it('stores and reads an empty blob', async () => {
      const s = await store();
      const key = newKey();
      await writeBlob(s, key, new Uint8Array(0), 1000);
      expect(await s.sizeOf(key)).toBe(0);
      expect((await readAll(await s.read(key))).byteLength).toBe(0);
    });

    it('reports a missing blob: read rejects with BlobNotFoundError, sizeOf is undefined', async () => {
      const s = await store();
      await expect(s.read(newKey())).rejects.toThrow(BlobNotFoundError);
      expect(await s.sizeOf(newKey())).toBeUndefined();
    });

    it('rejects a part whose body is shorter than declared, counts nothing, and takes the part again', async () => {
      const s = await store();
      const key = newKey();
      const first = minPart + 2000;
      const blob = randomBytes(first + 2000);
      const handle = await s.createMultipart(key, blob.byteLength);
      const part1 = await s.putPart(
        key,
        handle,
        { partNumber: 1, offsetBytes: 0, sizeBytes: first },
        streamOf(blob.subarray(0, first)),
      );
      await expect(
        s.putPart(
          key,
          handle,
          { partNumber: 2, offsetBytes: first, sizeBytes: 2000 },
          streamOf(blob.subarray(first, first + 1999)),
        ),
      ).rejects.toThrow(PartSizeMismatchError);
      // Completing with only what landed is refused: the blob is not covered.
      await expect(s.completeMultipart(key, handle, [part1])).rejects.toThrow(IncompleteBlobError);
      const part2 = await s.putPart(
        key,
        handle,
        { partNumber: 2, offsetBytes: first, sizeBytes: 2000 },
        streamOf(blob.subarray(first)),
      );
      await s.completeMultipart(key, handle, [part1, part2]);
      expect((await readAll(await s.read(key))).equals(blob)).toBe(true);
    });

    it('rejects a part whose body is longer than declared without touching its neighbour', async () => {
      const s = await store();
      const key = newKey();
      const first = minPart + 2000;
      const blob = randomBytes(first + 2000);
      const handle = await s.createMultipart(key, blob.byteLength);
      const part2 = await s.putPart(
        key,
        handle,
        { partNumber: 2, offsetBytes: first, sizeBytes: 2000 },
        streamOf(blob.subarray(first)),
      );
      const tooLong = Buffer.concat([blob.subarray(0, first), randomBytes(2000)]);
      await expect(
        s.putPart(key, handle, { partNumber: 1, offsetBytes: 0, sizeBytes: first }, streamOf(tooLong, 1500)),
      ).rejects.toThrow(PartSizeMismatchError);
      const part1 = await s.putPart(
        key,
        handle,
        { partNumber: 1, offsetBytes: 0, sizeBytes: first },
        streamOf(blob.subarray(0, first)),
      );
      await s.completeMultipart(key, handle, [part1, part2]);
      expect((await readAll(await s.read(key))).equals(blob)).toBe(true);
    });

    it('rejects a part whose body fails midway (a client that went away), and takes it again', async () => {
      const s = await store();
      const key = newKey();
      const blob = randomBytes(3000);
      const handle = await s.createMultipart(key, 3000);
      await expect(
        s.putPart(
          key,
          handle,
          { partNumber: 1, offsetBytes: 0, sizeBytes: 3000 },
          failingStreamOf(randomBytes(1000)),
        ),
      ).rejects.toThrow();
      const part = await s.putPart(
        key,
        handle,
        { partNumber: 1, offsetBytes: 0, sizeBytes: 3000 },
        streamOf(blob),
      );
      await s.completeMultipart(key, handle, [part]);
      expect((await readAll(await s.read(key))).equals(blob)).toBe(true);
    });

    it('refuses to complete with a part missing, and the blob stays unreadable', async () => {
      const s = await store();
      const key = newKey();
      const partBytes = minPart + 1000;
      const blob = randomBytes(2 * partBytes + 1000);
      const handle = await s.createMultipart(key, blob.byteLength);
      const part1 = await s.putPart(
        key,
        handle,
        { partNumber: 1, offsetBytes: 0, sizeBytes: partBytes },
        streamOf(blob.subarray(0, partBytes)),
      );
      const part3 = await s.putPart(
        key,
        handle,
        { partNumber: 3, offsetBytes: 2 * partBytes, sizeBytes: 1000 },
        streamOf(blob.subarray(2 * partBytes)),
      );
      await expect(s.completeMultipart(key, handle, [part1, part3])).rejects.toThrow(IncompleteBlobError);
      await expect(s.read(key)).rejects.toThrow(BlobNotFoundError);
      expect(await s.sizeOf(key)).toBeUndefined();
    });

    it('completes idempotently: a second completion succeeds and changes nothing', async () => {
      const s = await store();
      const key = newKey();
      const blob = randomBytes(2500);
      const handle = await s.createMultipart(key, 2500);
      const part = await s.putPart(
        key,
        handle,
        { partNumber: 1, offsetBytes: 0, sizeBytes: 2500 },
        streamOf(blob),
      );
      await s.completeMultipart(key, handle, [part]);
      await s.completeMultipart(key, handle, [part]);
      expect((await readAll(await s.read(key))).equals(blob)).toBe(true);
    });

    it('aborts idempotently: nothing is left to complete, and a completed blob is never touched', async () => {
      const s = await store();
      const key = newKey();
      const handle = await s.createMultipart(key, 10);
      const part = await s.putPart(
        key,
        handle,
        { partNumber: 1, offsetBytes: 0, sizeBytes: 10 },
        streamOf(randomBytes(10)),
      );
      await s.abortMultipart(key, handle);
      await s.abortMultipart(key, handle);
      await expect(s.completeMultipart(key, handle, [part])).rejects.toThrow(BlobNotFoundError);
      await expect(
        s.putPart(key, handle, { partNumber: 1, offsetBytes: 0, sizeBytes: 10 }, streamOf(randomBytes(10))),
      ).rejects.toThrow(BlobNotFoundError);
      expect(await s.sizeOf(key)).toBeUndefined();

      const done = newKey();
      const blob = randomBytes(10);
      const doneHandle = await s.createMultipart(done, 10);
      const donePart = await s.putPart(
        done,
        doneHandle,
        { partNumber: 1, offsetBytes: 0, sizeBytes: 10 },
        streamOf(blob),
      );
      await s.completeMultipart(done, doneHandle, [donePart]);
      await s.abortMultipart(done, doneHandle);
      expect((await readAll(await s.read(done))).equals(blob)).toBe(true);
    });

    it('lists unfinished writes with their key and handle, and only those', async () => {
      const s = await store();
      const [open, aborted, done] = [newKey(), newKey(), newKey()];
      const openHandle = await s.createMultipart(open, 10);
      await s.abortMultipart(aborted, await s.createMultipart(aborted, 10));
      await writeBlob(s, done, randomBytes(10), 10);
      const listUnfinished = s.listUnfinished?.bind(s);
      if (!listUnfinished) throw new Error('every real store lists its unfinished writes');
      const listed: { key: string; handle: string; ageMs: number }[] = [];
      for await (const unfinished of listUnfinished()) listed.push(unfinished);
      expect(listed.map(({ key }) => key)).toEqual([open]);
      expect(listed[0]!.ageMs).toBeGreaterThanOrEqual(0);
      expect(listed[0]!.ageMs).toBeLessThan(60_000);
      // The listed handle aborts the write (the caller matched it by key).
      await s.abortMultipart(open, listed[0]!.handle);
      await expect(
        s.putPart(
          open,
          openHandle,
          { partNumber: 1, offsetBytes: 0, sizeBytes: 10 },
          streamOf(randomBytes(10)),
        ),
      ).rejects.toThrow(BlobNotFoundError);
      const after: string[] = [];
      for await (const unfinished of listUnfinished()) after.push(unfinished.key);
      expect(after).toEqual([]);
    });

    it('keeps unfinished blobs apart: two writes never see each other', async () => {
      const s = await store();
      const partBytes = minPart + 700;
      const [a, b] = [randomBytes(2 * partBytes + 600), randomBytes(2 * partBytes + 600)];
      const [keyA, keyB] = [newKey(), newKey()];
      await Promise.all([writeBlob(s, keyA, a, partBytes), writeBlob(s, keyB, b, partBytes)]);
      expect((await readAll(await s.read(keyA))).equals(a)).toBe(true);
      expect((await readAll(await s.read(keyB))).equals(b)).toBe(true);
    });

    it('deletes idempotently', async () => {
      const s = await store();
      const key = newKey();
      await writeBlob(s, key, randomBytes(100), 100);
      await s.delete(key);
      await s.delete(key);
      expect(await s.sizeOf(key)).toBeUndefined();
      await expect(s.read(key)).rejects.toThrow(BlobNotFoundError);
    });

    it('refuses keys that are not plain base64url', async () => {
      const s = await store();
      for (const key of ['../../etc/passwd', 'a/b/c/d/e', '', 'short', 'x'.repeat(201), 'with space xx']) {
        await expect(s.createMultipart(key, 1), key).rejects.toThrow();
        await expect(s.read(key), key).rejects.toThrow();
      }
    });
  });
}
