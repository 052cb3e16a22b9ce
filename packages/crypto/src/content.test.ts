// The content format end to end: round trips of every length class through the streaming and
// random-access paths (on WebCrypto and on an injected node:crypto Aead), tampering of every kind
// failing with DecryptionError, size arithmetic and range mapping (property-tested).
import { createCipheriv, createDecipheriv, randomBytes as nodeRandomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aead } from './aead.js';
import { randomId, randomKey } from './bytes.js';
import {
  CHUNK_SIZE,
  HEADER_SIZE,
  SEALED_CHUNK_SIZE,
  chunkOffset,
  ciphertextSize,
  contentContext,
  contentRangeForPlaintext,
  createContentCipher,
  openContentCipher,
  plaintextSize,
} from './content-cipher.js';
import {
  decryptContent,
  decryptContentRangeStream,
  decryptContentStream,
  encryptContent,
  encryptContentStream,
} from './content-stream.js';
import { DecryptionError } from './errors.js';

/** What the CLI injects: AES-256-GCM on node:crypto. */
const nodeAead: Aead = {
  importKey(raw) {
    const key = Buffer.from(raw);
    return Promise.resolve({
      encrypt(nonce, plaintext, aad) {
        const c = createCipheriv('aes-256-gcm', key, nonce);
        if (aad) c.setAAD(aad);
        return Promise.resolve(
          new Uint8Array(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])),
        );
      },
      decrypt(nonce, sealed, aad) {
        const d = createDecipheriv('aes-256-gcm', key, nonce);
        if (aad) d.setAAD(aad);
        d.setAuthTag(sealed.subarray(sealed.length - 16));
        return Promise.resolve(
          new Uint8Array(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()])),
        );
      },
    });
  },
};

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  return new Uint8Array(Buffer.concat(parts));
}

function source(bytes: Uint8Array, pieceBytes = 7000): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream({
    pull(controller) {
      if (o >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(o, o + pieceBytes));
      o += pieceBytes;
    },
  });
}

const pass = (s: TransformStream<Uint8Array, Uint8Array>, bytes: Uint8Array, piece?: number) =>
  collect(source(bytes, piece).pipeThrough(s));

const lengths = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 5 * CHUNK_SIZE + 123, 8 * CHUNK_SIZE];

describe.each([
  ['WebCrypto', undefined],
  ['node:crypto (injected)', nodeAead],
] as const)('content round trips on %s', (_name, aead) => {
  const options = aead ? { aead } : {};
  it.each(lengths)('round-trips %i bytes through the streams and the random-access path', async (length) => {
    const key = randomKey();
    const context = contentContext(randomId());
    const plain = new Uint8Array(nodeRandomBytes(length));
    const cipher = await createContentCipher(key, context, undefined, options);
    const sealed = await pass(encryptContentStream(cipher, { ...options, concurrency: 3 }), plain, 5000);
    expect(sealed.length).toBe(ciphertextSize(length));
    expect(plaintextSize(sealed.length)).toBe(length);
    expect(await pass(decryptContentStream(key, context, options), sealed, 9999)).toEqual(plain);
    expect(await decryptContent(key, context, sealed, options)).toEqual(plain);
    // The one-shot encryption with the same salt is byte-identical (deterministic chunks).
    expect(await encryptContent(key, context, plain, { ...options, salt: cipher.salt })).toEqual(sealed);
  });
});

describe('content encryption is deterministic per (key, context, salt) for resumed uploads', () => {
  it('re-encrypts any chunk to the same bytes, on either backend', async () => {
    const key = randomKey();
    const context = contentContext(randomId());
    const plain = new Uint8Array(nodeRandomBytes(3 * CHUNK_SIZE + 10));
    const a = await createContentCipher(key, context);
    const b = await createContentCipher(key, context, a.salt, { aead: nodeAead });
    const sealed = await encryptContent(key, context, plain, { salt: a.salt });
    for (let i = 0; i < 4; i++) {
      const chunk = plain.subarray(i * CHUNK_SIZE, Math.min(plain.length, (i + 1) * CHUNK_SIZE));
      const expected = sealed.subarray(chunkOffset(i), Math.min(sealed.length, chunkOffset(i + 1)));
      expect(await a.encryptChunk(i, chunk, i === 3)).toEqual(expected);
      expect(await b.encryptChunk(i, chunk, i === 3)).toEqual(expected);
    }
    expect(b.header).toEqual(a.header);
  });

  it('refuses chunks of the wrong size for their position', async () => {
    const cipher = await createContentCipher(randomKey(), contentContext(randomId()));
    await expect(cipher.encryptChunk(0, new Uint8Array(CHUNK_SIZE), true)).rejects.toThrow(RangeError);
    await expect(cipher.encryptChunk(0, new Uint8Array(10), false)).rejects.toThrow(RangeError);
    await expect(cipher.encryptChunk(-1, new Uint8Array(10), true)).rejects.toThrow(RangeError);
    await expect(cipher.encryptChunk(2 ** 38, new Uint8Array(10), true)).rejects.toThrow(RangeError);
  });
});

/** nodeAead plus batch forms that record their calls, as a worker-thread backend would have them. */
function batchingAead(calls: string[]): Aead {
  return {
    async importKey(raw) {
      const key = await nodeAead.importKey(raw);
      return {
        ...key,
        encryptMany(items) {
          calls.push(`encryptMany ${items.length}`);
          return Promise.all(items.map((i) => key.encrypt(i.nonce, i.bytes)));
        },
        async decryptMany(items) {
          calls.push(`decryptMany ${items.length}`);
          return Promise.all(items.map((i) => key.decrypt(i.nonce, i.bytes)));
        },
        release(results) {
          calls.push(`release ${results.length}`);
        },
      };
    },
  };
}

const backends: [string, () => Aead | undefined][] = [
  ['WebCrypto (one call per chunk)', () => undefined],
  ['a backend with batch forms', () => batchingAead([])],
];

describe.each(backends)('batches of chunks on %s', (_name, makeAead) => {
  const key = randomKey();
  const context = contentContext(randomId());
  const plain = new Uint8Array(nodeRandomBytes(4 * CHUNK_SIZE + 77));
  const options = () => {
    const aead = makeAead();
    return aead ? { aead } : {};
  };

  it('seals and opens a batch exactly as chunk by chunk, at any starting index', async () => {
    const cipher = await createContentCipher(key, context, undefined, options());
    const sealed = await encryptContent(key, context, plain, { salt: cipher.salt });
    const chunks = [0, 1, 2, 3, 4].map((i) => plain.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE));
    const sealedChunks = chunks.map((_, i) =>
      sealed.subarray(chunkOffset(i), Math.min(sealed.length, chunkOffset(i + 1))),
    );
    expect(await cipher.encryptChunks(0, chunks, true)).toEqual(sealedChunks);
    expect(await cipher.encryptChunks(2, chunks.slice(2, 4), false)).toEqual(sealedChunks.slice(2, 4));
    const opened = await openContentCipher(key, context, sealed.subarray(0, HEADER_SIZE), options());
    expect(await opened.decryptChunks(1, sealedChunks.slice(1), true)).toEqual(chunks.slice(1));
    expect(await opened.decryptChunks(0, [], false)).toEqual([]);
  });

  it('fails a whole batch with DecryptionError when one chunk is tampered, misplaced or mis-sized', async () => {
    const sealed = await encryptContent(key, context, plain);
    const cipher = await openContentCipher(key, context, sealed.subarray(0, HEADER_SIZE), options());
    const chunk = (i: number) => sealed.slice(chunkOffset(i), Math.min(sealed.length, chunkOffset(i + 1)));
    const tampered = chunk(2);
    tampered[100] = tampered[100]! ^ 1;
    await expect(cipher.decryptChunks(1, [chunk(1), tampered, chunk(3)], false)).rejects.toBeInstanceOf(
      DecryptionError,
    );
    // In the wrong place (swapped), or the final chunk not flagged as final.
    await expect(cipher.decryptChunks(1, [chunk(2), chunk(1)], false)).rejects.toBeInstanceOf(
      DecryptionError,
    );
    await expect(cipher.decryptChunks(4, [chunk(4)], false)).rejects.toBeInstanceOf(DecryptionError);
    await expect(cipher.decryptChunks(3, [chunk(3)], true)).rejects.toBeInstanceOf(DecryptionError);
    const sealing = await createContentCipher(key, context, undefined, options());
    await expect(sealing.encryptChunks(0, [new Uint8Array(10)], false)).rejects.toThrow(RangeError);
    await expect(sealing.encryptChunks(0, [new Uint8Array(CHUNK_SIZE)], true)).rejects.toThrow(RangeError);
  });
});

describe('a backend with batch forms', () => {
  it('receives a whole batch in one call', async () => {
    const calls: string[] = [];
    const key = randomKey();
    const context = contentContext(randomId());
    const cipher = await createContentCipher(key, context, undefined, { aead: batchingAead(calls) });
    const chunks = [new Uint8Array(CHUNK_SIZE), new Uint8Array(CHUNK_SIZE), new Uint8Array(5)];
    const sealed = await cipher.encryptChunks(0, chunks, true);
    const opened = await openContentCipher(key, context, cipher.header, { aead: batchingAead(calls) });
    expect(await opened.decryptChunks(0, sealed, true)).toEqual(chunks);
    cipher.releaseChunks(sealed);
    expect(calls).toEqual(['encryptMany 3', 'decryptMany 3', 'release 3']);
  });
});

describe('tampered content fails with DecryptionError', () => {
  const key = randomKey();
  const versionId = randomId();
  const context = contentContext(versionId);
  const plain = new Uint8Array(nodeRandomBytes(3 * CHUNK_SIZE + 100));
  const sealedP = encryptContent(key, context, plain);

  async function expectBoth(bytes: Uint8Array, k = key, ctx = context): Promise<void> {
    await expect(decryptContent(k, ctx, bytes)).rejects.toBeInstanceOf(DecryptionError);
    await expect(pass(decryptContentStream(k, ctx), bytes)).rejects.toBeInstanceOf(DecryptionError);
  }

  it('rejects every flipped byte of a small message (header, body and tag)', async () => {
    const small = await encryptContent(key, context, new Uint8Array([1, 2, 3, 4, 5]));
    for (let i = 0; i < small.length; i++) {
      const bad = small.slice();
      bad[i]! ^= 0x01;
      await expect(decryptContent(key, context, bad), `byte ${i}`).rejects.toBeInstanceOf(DecryptionError);
    }
  });

  it('rejects a flipped bit at sampled positions of every region of a multi-chunk message', async () => {
    const sealed = await sealedP;
    const positions = new Set<number>([0, 23, 24, 55]);
    for (let k = 0; k < 4; k++) {
      const start = chunkOffset(k);
      const end = Math.min(sealed.length, chunkOffset(k + 1));
      for (const p of [start, start + 1, start + 77, end - 17, end - 16, end - 1])
        if (p < end) positions.add(p);
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sealed.length - 1 }), (p) => void positions.add(p)),
      {
        numRuns: 40,
      },
    );
    for (const p of positions) {
      const bad = sealed.slice();
      bad[p]! ^= 0x80;
      await expectBoth(bad).catch((e: unknown) => {
        throw new Error(`flipped byte ${p} of ${sealed.length}: ${String(e)}`);
      });
    }
  });

  it('rejects truncation at every chunk boundary and inside chunks, header included', async () => {
    const sealed = await sealedP;
    const cuts = [
      0,
      10,
      HEADER_SIZE,
      HEADER_SIZE + 1,
      sealed.length - 1,
      sealed.length - 16,
      sealed.length - 17,
    ];
    for (let k = 1; k <= 3; k++) cuts.push(chunkOffset(k), chunkOffset(k) - 1, chunkOffset(k) + 16);
    for (const cut of cuts) await expectBoth(sealed.subarray(0, cut));
  });

  it('rejects a message whose final chunk was dropped', async () => {
    const sealed = await sealedP;
    await expectBoth(sealed.subarray(0, chunkOffset(3)));
  });

  it('rejects reordered and duplicated chunks', async () => {
    const sealed = await sealedP;
    const swapped = sealed.slice();
    swapped.set(sealed.subarray(chunkOffset(0), chunkOffset(1)), chunkOffset(1));
    swapped.set(sealed.subarray(chunkOffset(1), chunkOffset(2)), chunkOffset(0));
    await expectBoth(swapped);
    const duplicated = sealed.slice();
    duplicated.set(sealed.subarray(chunkOffset(0), chunkOffset(1)), chunkOffset(2));
    await expectBoth(duplicated);
  });

  it('rejects a chunk spliced in from another file under the same key (other salt or other version)', async () => {
    const sealed = await sealedP;
    const sameKeyOtherSalt = await encryptContent(key, context, plain);
    const otherVersion = await encryptContent(key, contentContext(randomId()), plain);
    for (const donor of [sameKeyOtherSalt, otherVersion]) {
      const spliced = sealed.slice();
      spliced.set(donor.subarray(chunkOffset(1), chunkOffset(2)), chunkOffset(1));
      await expectBoth(spliced);
      const finalSwapped = sealed.slice();
      finalSwapped.set(donor.subarray(chunkOffset(3)), chunkOffset(3));
      await expectBoth(finalSwapped);
    }
  });

  it('rejects trailing data, even a validly encrypted extra chunk', async () => {
    const sealed = await sealedP;
    await expectBoth(Buffer.concat([sealed, new Uint8Array(20)]));
    const cipher = await openContentCipher(key, context, sealed.subarray(0, HEADER_SIZE));
    const extra = await cipher.encryptChunk(4, new Uint8Array(5), true);
    await expectBoth(Buffer.concat([sealed, extra]));
  });

  it('rejects the wrong key and the wrong version id before decrypting any chunk', async () => {
    const sealed = await sealedP;
    await expectBoth(sealed, randomKey());
    await expectBoth(sealed, key, contentContext(randomId()));
    await expect(
      openContentCipher(randomKey(), context, sealed.subarray(0, HEADER_SIZE)),
    ).rejects.toBeInstanceOf(DecryptionError);
  });

  it('uses one message for every failure', async () => {
    const sealed = await sealedP;
    const messages = new Set<string>();
    for (const attempt of [
      decryptContent(randomKey(), context, sealed),
      decryptContent(key, context, sealed.subarray(0, chunkOffset(3))),
      decryptContent(key, context, Buffer.concat([sealed, new Uint8Array(3)])),
    ]) {
      messages.add(((await attempt.catch((e: unknown) => e)) as Error).message);
    }
    expect(messages.size).toBe(1);
  });
});

describe('sizes', () => {
  it('maps the length classes to the sizes of the spec', () => {
    expect(ciphertextSize(0)).toBe(72);
    expect(ciphertextSize(1)).toBe(73);
    expect(ciphertextSize(CHUNK_SIZE - 1)).toBe(56 + CHUNK_SIZE - 1 + 16);
    expect(ciphertextSize(CHUNK_SIZE)).toBe(56 + SEALED_CHUNK_SIZE + 16);
    expect(ciphertextSize(2 ** 32)).toBe(56 + 2 ** 32 + (2 ** 32 / CHUNK_SIZE + 1) * 16);
  });

  it('inverts ciphertextSize and rejects every impossible ciphertext size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (n) => {
        expect(plaintextSize(ciphertextSize(n))).toBe(n);
      }),
    );
    for (const bad of [
      0,
      55,
      56,
      71,
      56 + SEALED_CHUNK_SIZE,
      56 + SEALED_CHUNK_SIZE + 15,
      56 + 2 * SEALED_CHUNK_SIZE,
    ]) {
      expect(() => plaintextSize(bad)).toThrow(DecryptionError);
    }
    expect(() => plaintextSize(-1)).toThrow(RangeError);
    expect(() => ciphertextSize(1.5)).toThrow(RangeError);
  });
});

describe('plaintext ranges', () => {
  it('maps a range to whole chunks plus the header, and reaching the end includes the final chunk', () => {
    const size = 3 * CHUNK_SIZE;
    const r = contentRangeForPlaintext(CHUNK_SIZE + 5, 2 * CHUNK_SIZE, size);
    expect(r).toMatchObject({
      firstChunk: 1,
      lastChunk: 1,
      finalChunk: 3,
      skipBytes: 5,
      headerStart: 0,
      headerEnd: 56,
    });
    expect(r.cipherStart).toBe(56 + SEALED_CHUNK_SIZE);
    expect(r.cipherEnd).toBe(56 + 2 * SEALED_CHUNK_SIZE);
    const toEnd = contentRangeForPlaintext(2 * CHUNK_SIZE, size, size);
    expect(toEnd).toMatchObject({ firstChunk: 2, lastChunk: 3, finalChunk: 3 });
    expect(toEnd.cipherEnd).toBe(ciphertextSize(size));
    expect(contentRangeForPlaintext(0, 0, 0)).toMatchObject({ firstChunk: 0, lastChunk: 0, cipherEnd: 72 });
    expect(() => contentRangeForPlaintext(5, 4, 10)).toThrow(RangeError);
    expect(() => contentRangeForPlaintext(0, 11, 10)).toThrow(RangeError);
  });

  it('decrypts exactly the requested bytes for any range (property)', async () => {
    const key = randomKey();
    const context = contentContext(randomId());
    const plain = new Uint8Array(nodeRandomBytes(4 * CHUNK_SIZE + 321));
    const sealed = await encryptContent(key, context, plain);
    const cipher = await openContentCipher(key, context, sealed.subarray(0, HEADER_SIZE));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: plain.length }),
        fc.integer({ min: 0, max: plain.length }),
        fc.integer({ min: 1, max: 40000 }),
        async (a, b, piece) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          const range = contentRangeForPlaintext(start, end, plain.length);
          const out = await pass(
            decryptContentRangeStream(cipher, range, { concurrency: 2 }),
            sealed.subarray(range.cipherStart, range.cipherEnd),
            piece,
          );
          expect(Buffer.from(out).equals(Buffer.from(plain.subarray(start, end)))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fails a range read that is short, long, or tampered', async () => {
    const key = randomKey();
    const context = contentContext(randomId());
    const plain = new Uint8Array(nodeRandomBytes(2 * CHUNK_SIZE + 7));
    const sealed = await encryptContent(key, context, plain);
    const cipher = await openContentCipher(key, context, sealed.subarray(0, HEADER_SIZE));
    for (const [start, end] of [
      [0, 100],
      [10, plain.length],
    ] as const) {
      const r = contentRangeForPlaintext(start, end, plain.length);
      const bytes = sealed.subarray(r.cipherStart, r.cipherEnd);
      const flipped = bytes.slice();
      flipped[5]! ^= 1;
      for (const bad of [
        bytes.subarray(0, bytes.length - 1),
        Buffer.concat([bytes, new Uint8Array(1)]),
        flipped,
      ]) {
        await expect(pass(decryptContentRangeStream(cipher, r), bad)).rejects.toBeInstanceOf(DecryptionError);
      }
    }
  });
});

describe('contentContext', () => {
  it('binds the format version and the 16-byte version id', () => {
    const id = 'AAECAwQFBgcICQoLDA0ODw';
    expect(Buffer.from(contentContext(id)).toString('hex')).toBe(
      Buffer.from('hoard/v1/content').toString('hex') + '0001' + '000102030405060708090a0b0c0d0e0f',
    );
    expect(() => contentContext('not-an-id')).toThrow(TypeError);
  });
});

describe('streams (properties)', () => {
  it('round-trips any length fed in any piece size, at any concurrency', async () => {
    const key = randomKey();
    const context = contentContext(randomId());
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 * CHUNK_SIZE + 10 }),
        fc.integer({ min: 1, max: 3 * CHUNK_SIZE }),
        fc.integer({ min: 1, max: 8 }),
        async (length, piece, concurrency) => {
          const plain = new Uint8Array(nodeRandomBytes(length));
          const cipher = await createContentCipher(key, context);
          const sealed = await pass(encryptContentStream(cipher, { concurrency }), plain, piece);
          expect(sealed.length).toBe(ciphertextSize(length));
          const back = await pass(decryptContentStream(key, context, { concurrency }), sealed, piece);
          expect(Buffer.from(back).equals(Buffer.from(plain))).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('releases only the authenticated prefix before failing, and keeps failing', async () => {
    const key = randomKey();
    const context = contentContext(randomId());
    const plain = new Uint8Array(nodeRandomBytes(4 * CHUNK_SIZE + 5));
    const sealed = await encryptContent(key, context, plain);
    const bad = sealed.slice();
    bad[chunkOffset(2) + 100]! ^= 1;
    const stream = source(bad, 5000).pipeThrough(decryptContentStream(key, context, { concurrency: 4 }));
    const reader = stream.getReader();
    const got: Uint8Array[] = [];
    let failure: unknown;
    for (;;) {
      try {
        const r = await reader.read();
        if (r.done) break;
        got.push(r.value);
      } catch (e) {
        failure = e;
        break;
      }
    }
    expect(failure).toBeInstanceOf(DecryptionError);
    await expect(reader.read()).rejects.toBeInstanceOf(DecryptionError);
    const prefix = Buffer.concat(got);
    expect(prefix.length).toBeLessThanOrEqual(2 * CHUNK_SIZE);
    expect(prefix.equals(Buffer.from(plain.subarray(0, prefix.length)))).toBe(true);
  });

  it('rejects a concurrency that is not a positive integer', async () => {
    const cipher = await createContentCipher(randomKey(), contentContext(randomId()));
    expect(() => encryptContentStream(cipher, { concurrency: 0 })).toThrow(RangeError);
  });
});
