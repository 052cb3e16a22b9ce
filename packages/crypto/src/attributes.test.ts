import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paddedAttributesSize, decryptAttributes, encryptAttributes } from './attributes.js';
import { randomId, randomKey } from './bytes.js';
import { DecryptionError } from './errors.js';

describe('encryptAttributes / decryptAttributes', () => {
  it('round-trips node and version attributes, Unicode names included', async () => {
    const key = randomKey();
    const id = randomId();
    const node = { name: 'Ünïcødé 📁 report.pdf', mime: 'application/pdf' };
    expect(await decryptAttributes(key, 'node', id, await encryptAttributes(key, 'node', id, node))).toEqual(
      node,
    );
    const version = { sizeBytes: 123456789, mtimeMs: 1700000000000 };
    expect(
      await decryptAttributes(key, 'version', id, await encryptAttributes(key, 'version', id, version)),
    ).toEqual(version);
  });

  it('hides the exact name length: names of 1 to 200 characters give one ciphertext size', async () => {
    const key = randomKey();
    const id = randomId();
    const sizes = new Set<number>();
    for (const n of [1, 10, 50, 100, 200]) {
      sizes.add((await encryptAttributes(key, 'node', id, { name: 'x'.repeat(n) })).length);
    }
    expect([...sizes]).toEqual([1 + 12 + 256 + 16]);
    expect(paddedAttributesSize(252)).toBe(256);
    expect(paddedAttributesSize(253)).toBe(384);
  });

  it('rejects attributes moved to another id or read as the other kind', async () => {
    const key = randomKey();
    const id = randomId();
    const bytes = await encryptAttributes(key, 'node', id, { name: 'a' });
    await expect(decryptAttributes(key, 'node', randomId(), bytes)).rejects.toBeInstanceOf(DecryptionError);
    await expect(decryptAttributes(key, 'version', id, bytes)).rejects.toBeInstanceOf(DecryptionError);
    await expect(decryptAttributes(randomKey(), 'node', id, bytes)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('rejects every flipped byte and truncation', async () => {
    const key = randomKey();
    const id = randomId();
    const bytes = await encryptAttributes(key, 'node', id, { name: 'a' });
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0x40;
      await expect(decryptAttributes(key, 'node', id, bad), `byte ${i}`).rejects.toBeInstanceOf(
        DecryptionError,
      );
    }
    await expect(
      decryptAttributes(key, 'node', id, bytes.subarray(0, bytes.length - 1)),
    ).rejects.toBeInstanceOf(DecryptionError);
  });

  it('round-trips any JSON object (property)', async () => {
    const key = randomKey();
    const id = randomId();
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
        async (attrs) => {
          const bytes = await encryptAttributes(key, 'version', id, attrs);
          expect((bytes.length - 29) % 128).toBe(0);
          expect(await decryptAttributes(key, 'version', id, bytes)).toEqual(attrs);
        },
      ),
      { numRuns: 50 },
    );
  });
});
