// Name hashes, recovery words, account key pairs and the derived keys.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { fromB64u, randomBytes, randomId, randomKey, toB64u } from './bytes.js';
import {
  accountKeysMatch,
  generateAccountKeyPairs,
  signPublicKeys,
  verifyPublicKeys,
} from './account-keys.js';
import {
  generateRecoveryKey,
  masterKeyWrappingKey,
  recoveryAuthKey,
  recoveryKeyToWords,
  recoveryWrappingKey,
  sessionLocalKey,
  wordsToRecoveryKey,
} from './derived-keys.js';
import { DecryptionError, RecoveryWordsError } from './errors.js';
import { unwrapKey, wrapKey } from './key-wrap.js';
import { nameHash } from './name-hash.js';
import { HKDF_LABELS, deriveKey } from './hkdf-labels.js';
import fc from 'fast-check';

describe('HKDF labels', () => {
  it('gives every purpose its own label', () => {
    const labels = Object.values(HKDF_LABELS);
    expect(new Set(labels).size).toBe(labels.length);
    for (const label of labels) expect(label).toMatch(/^hoard\/v1\/[a-z/-]+$/);
  });

  it('derives exactly what @noble/hashes HKDF-SHA256 derives, for every label', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 64 }),
        fc.constantFrom(...Object.values(HKDF_LABELS)),
        (key, label) => {
          const expected = hkdf(sha256, key, undefined, new TextEncoder().encode(label), 32);
          expect(deriveKey(key, label)).toEqual(expected);
        },
      ),
    );
  });
});

describe('nameHash', () => {
  it('is keyed, per folder, NFC-normalized and case-sensitive', async () => {
    const folder = randomKey();
    const h = await nameHash(folder, 'caf\u00e9.txt');
    expect(h).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await nameHash(folder, 'cafe\u0301.txt')).toBe(h); // NFD input, same name
    expect(await nameHash(folder, 'CAF\u00c9.txt')).not.toBe(h);
    expect(await nameHash(randomKey(), 'caf\u00e9.txt')).not.toBe(h);
  });

  it('hashes under the key bytes of the moment, even when the caller overwrites its key array', async () => {
    const folder = randomKey();
    const before = await nameHash(folder, 'a.txt');
    const replacement = randomKey();
    folder.set(replacement);
    const after = await nameHash(folder, 'a.txt');
    expect(after).not.toBe(before);
    expect(after).toBe(await nameHash(replacement, 'a.txt'));
  });
});

describe('recovery words', () => {
  it('encodes a 256-bit key as 24 BIP39 words and back', () => {
    const key = generateRecoveryKey();
    const words = recoveryKeyToWords(key);
    expect(words).toHaveLength(24);
    expect(wordsToRecoveryKey(words)).toEqual(key);
    expect(wordsToRecoveryKey(`  ${words.join('  ').toUpperCase()}\n`)).toEqual(key);
  });

  it('round-trips any key (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        expect(wordsToRecoveryKey(recoveryKeyToWords(key))).toEqual(key);
      }),
    );
  });

  it('rejects a wrong checksum, a wrong word, or the wrong count', () => {
    const words = recoveryKeyToWords(randomKey());
    const unknown = [...words];
    unknown[3] = 'notaword';
    for (const bad of [words.slice(0, 23), unknown, [...words, 'abandon']]) {
      expect(() => wordsToRecoveryKey(bad)).toThrow(RecoveryWordsError);
    }
    expect(() => wordsToRecoveryKey(['abandon'])).toThrow(RecoveryWordsError);
  });

  it('derives distinct auth and wrapping keys, and the recovery wrap round-trips', async () => {
    const recovery = generateRecoveryKey();
    const auth = await recoveryAuthKey(recovery);
    const wrapping = await recoveryWrappingKey(recovery);
    expect(auth).not.toEqual(wrapping);
    const userId = randomId();
    const master = randomKey();
    const wrapped = await wrapKey(wrapping, master, 'master-key-recovery', userId);
    expect(
      await unwrapKey(
        await recoveryWrappingKey(wordsToRecoveryKey(recoveryKeyToWords(recovery))),
        wrapped,
        'master-key-recovery',
        userId,
      ),
    ).toEqual(master);
    // The authenticator the server sees cannot unwrap anything.
    await expect(unwrapKey(auth, wrapped, 'master-key-recovery', userId)).rejects.toBeInstanceOf(
      DecryptionError,
    );
  });
});

describe('derived keys', () => {
  it('masterKeyWrappingKey accepts the export key as bytes or base64url, and differs from it', async () => {
    const exportKey = randomBytes(64);
    const k = await masterKeyWrappingKey(exportKey);
    expect(k).toHaveLength(32);
    expect(await masterKeyWrappingKey(toB64u(exportKey))).toEqual(k);
    expect(k).not.toEqual(exportKey.subarray(0, 32));
  });

  it('sessionLocalKey wraps the master key for one session only', async () => {
    const secret = randomKey();
    const sessionId = randomId();
    const master = randomKey();
    const local = await sessionLocalKey(toB64u(secret));
    expect(await sessionLocalKey(secret)).toEqual(local);
    const wrapped = await wrapKey(local, master, 'session-local', sessionId);
    expect(await unwrapKey(await sessionLocalKey(secret), wrapped, 'session-local', sessionId)).toEqual(
      master,
    );
    await expect(
      unwrapKey(await sessionLocalKey(randomKey()), wrapped, 'session-local', sessionId),
    ).rejects.toBeInstanceOf(DecryptionError);
    await expect(unwrapKey(local, wrapped, 'master-key', sessionId)).rejects.toBeInstanceOf(DecryptionError);
    await expect(sessionLocalKey(new Uint8Array(8))).rejects.toThrow(TypeError);
  });
});

describe('account key pairs', () => {
  it('generates X25519 and Ed25519 pairs whose public keys sign and verify', async () => {
    const pairs = generateAccountKeyPairs();
    for (const k of [
      pairs.encryption.publicKey,
      pairs.encryption.privateKey,
      pairs.signing.publicKey,
      pairs.signing.privateKey,
    ]) {
      expect(k).toHaveLength(32);
    }
    const sig = await signPublicKeys(
      pairs.signing.privateKey,
      pairs.encryption.publicKey,
      pairs.signing.publicKey,
    );
    expect(sig).toHaveLength(64);
    expect(await verifyPublicKeys(pairs.encryption.publicKey, pairs.signing.publicKey, sig)).toBe(true);
  });

  it('rejects a swapped encryption key, another signer, or a tampered signature', async () => {
    const a = generateAccountKeyPairs();
    const b = generateAccountKeyPairs();
    const sig = await signPublicKeys(a.signing.privateKey, a.encryption.publicKey, a.signing.publicKey);
    expect(await verifyPublicKeys(b.encryption.publicKey, a.signing.publicKey, sig)).toBe(false);
    expect(await verifyPublicKeys(a.encryption.publicKey, b.signing.publicKey, sig)).toBe(false);
    const bad = sig.slice();
    bad[10]! ^= 1;
    expect(await verifyPublicKeys(a.encryption.publicKey, a.signing.publicKey, bad)).toBe(false);
    expect(await verifyPublicKeys(a.encryption.publicKey, a.signing.publicKey, sig.subarray(0, 63))).toBe(
      false,
    );
    await expect(
      signPublicKeys(a.signing.privateKey, a.encryption.publicKey, b.signing.publicKey),
    ).rejects.toThrow(TypeError);
  });

  it("matches an account's private keys only with its own self-signed public keys", async () => {
    const a = generateAccountKeyPairs();
    const b = generateAccountKeyPairs();
    const sign = (p: typeof a) =>
      signPublicKeys(p.signing.privateKey, p.encryption.publicKey, p.signing.publicKey);
    const published = (p: typeof a, signature: Uint8Array) => ({
      encryptionPublicKey: p.encryption.publicKey,
      signingPublicKey: p.signing.publicKey,
      signature,
    });
    expect(
      await accountKeysMatch(a.encryption.privateKey, a.signing.privateKey, published(a, await sign(a))),
    ).toBe(true);
    // Another account's keys, validly signed by that account: not ours.
    expect(
      await accountKeysMatch(a.encryption.privateKey, a.signing.privateKey, published(b, await sign(b))),
    ).toBe(false);
    // Our signing key with a swapped encryption key, and our keys under a broken signature.
    const mixed = { ...published(a, await sign(a)), encryptionPublicKey: b.encryption.publicKey };
    expect(await accountKeysMatch(a.encryption.privateKey, a.signing.privateKey, mixed)).toBe(false);
    const bad = (await sign(a)).slice();
    bad[0]! ^= 1;
    expect(await accountKeysMatch(a.encryption.privateKey, a.signing.privateKey, published(a, bad))).toBe(
      false,
    );
  });
});

describe('base64url', () => {
  it('round-trips any bytes and rejects non-canonical input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toB64u(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromB64u(text)).toEqual(bytes);
      }),
    );
    expect(() => fromB64u('AB')).toThrow(TypeError);
    expect(() => fromB64u('AQ==')).toThrow(TypeError);
    expect(() => fromB64u('A+B/')).toThrow(TypeError);
    expect(() => fromB64u('A')).toThrow(TypeError);
    expect(fromB64u('AQ')).toEqual(Uint8Array.of(1));
    expect(randomId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
