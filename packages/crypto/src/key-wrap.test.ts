import { createCipheriv, createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import type { Aead } from './aead.js';
import { decryptAttributes, encryptAttributes } from './attributes.js';
import { describe, expect, it } from 'vitest';
import { randomId, randomKey } from './bytes.js';
import { DecryptionError } from './errors.js';
import { KEY_PURPOSES, WRAPPED_KEY_SIZE, unwrapKey, wrapKey, type KeyPurpose } from './key-wrap.js';

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

describe('injected Aead backends', () => {
  it('wraps and encrypts attributes interchangeably on WebCrypto and node:crypto', async () => {
    const parent = randomKey();
    const key = randomKey();
    const id = randomId();
    const viaNode = await wrapKey(parent, key, 'node-key', id, { aead: nodeAead });
    expect(await unwrapKey(parent, viaNode, 'node-key', id)).toEqual(key);
    const viaWeb = await wrapKey(parent, key, 'node-key', id);
    expect(await unwrapKey(parent, viaWeb, 'node-key', id, { aead: nodeAead })).toEqual(key);
    await expect(unwrapKey(parent, viaWeb, 'version-key', id, { aead: nodeAead })).rejects.toBeInstanceOf(
      DecryptionError,
    );
    const attrs = await encryptAttributes(key, 'node', id, { name: 'x' }, { aead: nodeAead });
    expect(await decryptAttributes(key, 'node', id, attrs)).toEqual({ name: 'x' });
  });

  it('never reuses a cached wrapping key after the caller overwrites its key array', async () => {
    const parent = randomKey();
    const id = randomId();
    const key = randomKey();
    const wrapped = await wrapKey(parent, key, 'node-key', id);
    const original = parent.slice();
    parent.set(randomKey());
    await expect(unwrapKey(parent, wrapped, 'node-key', id)).rejects.toBeInstanceOf(DecryptionError);
    const rewrapped = await wrapKey(parent, key, 'node-key', id);
    expect(await unwrapKey(parent.slice(), rewrapped, 'node-key', id)).toEqual(key);
    await expect(unwrapKey(original, rewrapped, 'node-key', id)).rejects.toBeInstanceOf(DecryptionError);
  });
});

describe('wrapKey / unwrapKey', () => {
  it.each(KEY_PURPOSES)('round-trips a key wrapped for %s', async (purpose) => {
    const parent = randomKey();
    const key = randomKey();
    const id = randomId();
    const wrapped = await wrapKey(parent, key, purpose, id);
    expect(wrapped.length).toBe(WRAPPED_KEY_SIZE);
    expect(wrapped[0]).toBe(1);
    expect(await unwrapKey(parent, wrapped, purpose, id)).toEqual(key);
  });

  it('uses a fresh nonce each time', async () => {
    const parent = randomKey();
    const key = randomKey();
    const id = randomId();
    const a = await wrapKey(parent, key, 'node-key', id);
    const b = await wrapKey(parent, key, 'node-key', id);
    expect(a).not.toEqual(b);
  });

  it('rejects a wrapped key swapped in from another node (other id)', async () => {
    const parent = randomKey();
    const wrapped = await wrapKey(parent, randomKey(), 'node-key', randomId());
    await expect(unwrapKey(parent, wrapped, 'node-key', randomId())).rejects.toBeInstanceOf(DecryptionError);
  });

  it('rejects the same key unwrapped under any other purpose', async () => {
    const parent = randomKey();
    const id = randomId();
    for (const purpose of KEY_PURPOSES) {
      const wrapped = await wrapKey(parent, randomKey(), purpose, id);
      for (const other of KEY_PURPOSES.filter((p) => p !== purpose)) {
        await expect(unwrapKey(parent, wrapped, other, id), `${purpose} as ${other}`).rejects.toBeInstanceOf(
          DecryptionError,
        );
      }
    }
  });

  it('rejects the wrong parent key', async () => {
    const id = randomId();
    const wrapped = await wrapKey(randomKey(), randomKey(), 'version-key', id);
    await expect(unwrapKey(randomKey(), wrapped, 'version-key', id)).rejects.toBeInstanceOf(DecryptionError);
  });

  it('rejects every flipped byte, truncation and extension', async () => {
    const parent = randomKey();
    const id = randomId();
    const wrapped = await wrapKey(parent, randomKey(), 'master-key', id);
    for (let i = 0; i < wrapped.length; i++) {
      const bad = wrapped.slice();
      bad[i]! ^= 0x01;
      await expect(unwrapKey(parent, bad, 'master-key', id), `byte ${i}`).rejects.toBeInstanceOf(
        DecryptionError,
      );
    }
    for (const bad of [
      wrapped.subarray(0, 60),
      wrapped.subarray(0, 13),
      new Uint8Array(0),
      Uint8Array.of(...wrapped, 0),
    ]) {
      await expect(unwrapKey(parent, bad, 'master-key', id)).rejects.toBeInstanceOf(DecryptionError);
    }
  });

  it('never unwraps under a different (parent, purpose, id) (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...KEY_PURPOSES),
        fc.constantFrom(...KEY_PURPOSES),
        fc.boolean(),
        fc.boolean(),
        async (p1: KeyPurpose, p2: KeyPurpose, sameParent, sameId) => {
          const parent = randomKey();
          const id = randomId();
          const key = randomKey();
          const wrapped = await wrapKey(parent, key, p1, id);
          const attempt = unwrapKey(sameParent ? parent : randomKey(), wrapped, p2, sameId ? id : randomId());
          if (p1 === p2 && sameParent && sameId) expect(await attempt).toEqual(key);
          else await expect(attempt).rejects.toBeInstanceOf(DecryptionError);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses malformed inputs as programming errors', async () => {
    await expect(wrapKey(new Uint8Array(16), randomKey(), 'node-key', randomId())).rejects.toThrow(TypeError);
    await expect(wrapKey(randomKey(), new Uint8Array(31), 'node-key', randomId())).rejects.toThrow(TypeError);
    await expect(wrapKey(randomKey(), randomKey(), 'node-key', 'short')).rejects.toThrow(TypeError);
    await expect(wrapKey(randomKey(), randomKey(), 'other' as KeyPurpose, randomId())).rejects.toThrow(
      TypeError,
    );
  });
});
