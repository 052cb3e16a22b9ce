// The AES-GCM worker pool: results equal node:crypto on the calling thread, in order, across
// threads and concurrent batches; a tampered batch releases nothing and surfaces as DecryptionError
// through the content cipher; closing the pool fails what is pending and what comes after. On the
// calling thread, batches land end to end in reused buffers, and a failed batch releases nothing.
import { createSecretKey, randomBytes } from 'node:crypto';
import {
  CHUNK_SIZE,
  DecryptionError,
  contentContext,
  createContentCipher,
  openContentCipher,
  randomId,
  randomKey,
  type AeadItem,
} from '@hoard/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AeadBatchError, AeadWorkerPool } from './aead-worker-pool.js';
import { BATCH_BUFFER_BYTES, BatchBuffers } from './batch-buffers.js';
import { createNodeAead, nodeAead } from './node-aead.js';

const pools: AeadWorkerPool[] = [];
function newPool(threads: number): AeadWorkerPool {
  const pool = new AeadWorkerPool({ threads });
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function items(count: number, size = CHUNK_SIZE): AeadItem[] {
  return Array.from({ length: count }, (_, i) => ({
    nonce: randomBytes(12),
    bytes: randomBytes(i === count - 1 ? size % 7000 : size),
  }));
}

describe('AeadWorkerPool', () => {
  it('seals and opens exactly as node:crypto does on the calling thread, item by item', async () => {
    const raw = randomBytes(32);
    const key = createSecretKey(raw);
    const reference = await nodeAead.importKey(raw);
    const pool = newPool(2);
    const batch = items(40);
    const sealed = await pool.seal(key, batch);
    expect(sealed).toHaveLength(batch.length);
    for (const [i, item] of batch.entries()) {
      expect(Buffer.from(sealed[i]!)).toEqual(Buffer.from(await reference.encrypt(item.nonce, item.bytes)));
    }
    const opened = await pool.open(
      key,
      batch.map((item, i) => ({ nonce: item.nonce, bytes: sealed[i]! })),
    );
    expect(opened.map((p) => Buffer.from(p))).toEqual(batch.map((item) => Buffer.from(item.bytes)));
    // The plaintexts lie end to end in one buffer (a download writes them in one call).
    for (let i = 1; i < opened.length; i++) {
      expect(opened[i]!.buffer).toBe(opened[0]!.buffer);
      expect(opened[i]!.byteOffset).toBe(opened[i - 1]!.byteOffset + opened[i - 1]!.length);
    }
  });

  it('keeps every result with its own batch when many batches run at once on several threads', async () => {
    const key = createSecretKey(randomBytes(32));
    const pool = newPool(3);
    const batches = Array.from({ length: 12 }, (_, i) => items(1 + (i % 5), 1000 + i));
    const sealed = await Promise.all(batches.map((b) => pool.seal(key, b)));
    const opened = await Promise.all(
      batches.map((b, j) =>
        pool.open(
          key,
          b.map((item, i) => ({ nonce: item.nonce, bytes: sealed[j]![i]! })),
        ),
      ),
    );
    batches.forEach((b, j) => {
      expect(opened[j]!.map((p) => Buffer.from(p))).toEqual(b.map((item) => Buffer.from(item.bytes)));
    });
  });

  it('rejects a batch with one tampered, truncated or misplaced item, releasing nothing of it', async () => {
    const key = createSecretKey(randomBytes(32));
    const pool = newPool(1);
    const batch = items(5);
    const sealed = await pool.seal(key, batch);
    const open = (bytes: Uint8Array[], nonces = batch.map((b) => b.nonce)) =>
      pool.open(
        key,
        bytes.map((b, i) => ({ nonce: nonces[i]!, bytes: b })),
      );
    const flipped = sealed.map((s) => s.slice());
    flipped[3]![17] = flipped[3]![17]! ^ 0x40;
    await expect(open(flipped)).rejects.toBeInstanceOf(AeadBatchError);
    const tagFlipped = sealed.map((s) => s.slice());
    tagFlipped[4]![tagFlipped[4]!.length - 1] = tagFlipped[4]![tagFlipped[4]!.length - 1]! ^ 1;
    await expect(open(tagFlipped)).rejects.toBeInstanceOf(AeadBatchError);
    await expect(open([sealed[0]!, sealed[1]!.subarray(0, 100)])).rejects.toBeInstanceOf(AeadBatchError);
    await expect(open([sealed[0]!, new Uint8Array(8)])).rejects.toBeInstanceOf(AeadBatchError);
    await expect(open([sealed[1]!, sealed[0]!])).rejects.toBeInstanceOf(AeadBatchError);
    await expect(pool.seal(key, [{ nonce: new Uint8Array(8), bytes: new Uint8Array(1) }])).rejects.toThrow(
      TypeError,
    );
    // The pool still works after failures.
    expect((await open(sealed)).map((p) => Buffer.from(p))).toEqual(batch.map((b) => Buffer.from(b.bytes)));
  });

  it('reuses the memory of a released result for a later batch, and ignores other arrays', async () => {
    const key = createSecretKey(randomBytes(32));
    const pool = newPool(1);
    const batch = items(64);
    const sealed = await pool.seal(key, batch);
    const again = () =>
      pool.open(
        key,
        batch.map((item, i) => ({ nonce: item.nonce, bytes: sealed[i]! })),
      );
    const first = await again();
    const foreign = new Uint8Array(64);
    pool.release(foreign);
    pool.release(first[10]!);
    pool.release(first[10]!); // twice: kept once
    const second = await again();
    // The released memory went to the worker again (moved, so this view of it is now empty).
    expect(first[0]!.buffer.byteLength).toBe(0);
    expect(foreign.buffer.byteLength).toBe(64);
    expect(second.map((p) => Buffer.from(p))).toEqual(batch.map((b) => Buffer.from(b.bytes)));
    // Results not released stay the caller's.
    const third = await again();
    expect(second[0]!.buffer.byteLength).toBeGreaterThan(0);
    expect(third.map((p) => Buffer.from(p))).toEqual(batch.map((b) => Buffer.from(b.bytes)));
  });

  it('fails pending and later batches once closed', async () => {
    const key = createSecretKey(randomBytes(32));
    const pool = newPool(1);
    const pending = expect(pool.seal(key, items(64))).rejects.toThrow(/closed/);
    await pool.close();
    await pending;
    await expect(pool.seal(key, items(1))).rejects.toThrow(/closed/);
    expect(() => new AeadWorkerPool({ threads: 0 })).toThrow(RangeError);
  });
});

describe('createNodeAead with a worker pool', () => {
  it('round-trips file content through the content cipher, and tampering is a DecryptionError', async () => {
    const aead = createNodeAead(newPool(2));
    const key = randomKey();
    const context = contentContext(randomId());
    const cipher = await createContentCipher(key, context, undefined, { aead });
    // 64 full chunks go to the workers; 3 short ones stay on this thread.
    for (const count of [64, 3]) {
      const chunks = Array.from({ length: count }, (_, i) => randomBytes(i === count - 1 ? 123 : CHUNK_SIZE));
      const sealed = (await cipher.encryptChunks(0, chunks, true)).map((c) => c.slice());
      // Given back and reused: the next batch's results are the same bytes again.
      cipher.releaseChunks(await cipher.encryptChunks(0, chunks, true));
      expect(await cipher.encryptChunks(0, chunks, true)).toEqual(sealed);
      // The same bytes as one chunk at a time on the calling thread.
      const single = await createContentCipher(key, context, cipher.salt, { aead: nodeAead });
      expect(Buffer.from(sealed[count - 1]!)).toEqual(
        Buffer.from(await single.encryptChunk(count - 1, chunks[count - 1]!, true)),
      );
      const opened = await openContentCipher(key, context, cipher.header, { aead });
      expect((await opened.decryptChunks(0, sealed, true)).map((p) => Buffer.from(p))).toEqual(
        chunks.map((c) => Buffer.from(c)),
      );
      const tampered = sealed.map((s) => s.slice());
      tampered[0]![0] = tampered[0]![0]! ^ 1;
      await expect(opened.decryptChunks(0, tampered, true)).rejects.toBeInstanceOf(DecryptionError);
    }
  });
});

describe('createNodeAead on the calling thread (batches in reused buffers)', () => {
  it('puts a batch end to end in one buffer, equal to one call per item, and reuses it once given back', async () => {
    const results = new BatchBuffers();
    const aead = createNodeAead(undefined, results);
    const raw = randomBytes(32);
    const [key, reference] = await Promise.all([aead.importKey(raw), nodeAead.importKey(raw)]);
    const batch = items(64);
    const sealed = await key.encryptMany!(batch);
    // One buffer, adjacent views (a download writes a batch with one call and no copy).
    sealed.forEach((s, i) => {
      expect(s.buffer).toBe(sealed[0]!.buffer);
      if (i > 0) expect(s.byteOffset).toBe(sealed[i - 1]!.byteOffset + sealed[i - 1]!.length);
    });
    for (let i = 0; i < batch.length; i++) {
      expect(Buffer.from(sealed[i]!)).toEqual(
        Buffer.from(await reference.encrypt(batch[i]!.nonce, batch[i]!.bytes)),
      );
    }
    const again = batch.map((item, i) => ({ nonce: item.nonce, bytes: sealed[i]!.slice() }));
    const opened = await key.decryptMany!(again);
    expect(opened.map((p) => Buffer.from(p))).toEqual(batch.map((b) => Buffer.from(b.bytes)));
    // Given back through any view (as the CLI does once the bytes are in the file): reused next.
    const buffer = opened[0]!.buffer;
    results.giveBack(opened[5]!);
    results.giveBack(opened[5]!); // twice: kept once
    results.giveBack(new Uint8Array(BATCH_BUFFER_BYTES)); // never lent: ignored
    expect(results.spareCount).toBe(1);
    const next = await key.decryptMany!(again);
    expect(next[0]!.buffer).toBe(buffer);
    expect(next.map((p) => Buffer.from(p))).toEqual(batch.map((b) => Buffer.from(b.bytes)));
    // Results not given back stay the caller's: the batch after takes a fresh buffer.
    expect((await key.decryptMany!(again))[0]!.buffer).not.toBe(buffer);
    // release (the seam's own form) gives back too.
    key.release!(next);
    expect(results.spareCount).toBe(1);
  });

  it('releases nothing of a batch with a failed tag, and zeroes what it had placed', async () => {
    const results = new BatchBuffers();
    const aead = createNodeAead(undefined, results);
    const key = await aead.importKey(randomBytes(32));
    const batch = items(8);
    const sealed = await key.encryptMany!(batch);
    const tampered = batch.map((item, i) => ({ nonce: item.nonce, bytes: sealed[i]!.slice() }));
    tampered[6]!.bytes[3] = tampered[6]!.bytes[3]! ^ 1;
    await expect(key.decryptMany!(tampered)).rejects.toThrow();
    // The buffer it had filled with six plaintexts is back among the spares, zeroed.
    expect(results.spareCount).toBe(1);
    const spare = new Uint8Array(results.take(1));
    expect(spare.subarray(0, 6 * CHUNK_SIZE).every((b) => b === 0)).toBe(true);
    await expect(key.decryptMany!([{ nonce: randomBytes(12), bytes: new Uint8Array(5) }])).rejects.toThrow();
  });
});
