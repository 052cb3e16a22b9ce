import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateAccountKeyPairs } from './account-keys.js';
import { randomId, randomKey } from './bytes.js';
import { DecryptionError } from './errors.js';
import { keyFingerprint, openShareKey, safetyNumber, sealShareKey, type ShareContext } from './share-keys.js';

describe('share keys (HPKE to the member, signed by the owner)', () => {
  const owner = generateAccountKeyPairs();
  const member = generateAccountKeyPairs();
  const memberKeys = {
    encryptionPrivateKey: member.encryption.privateKey,
    encryptionPublicKey: member.encryption.publicKey,
  };
  const context: ShareContext = {
    shareId: randomId(),
    folderId: randomId(),
    ownerUserId: randomId(),
    memberUserId: randomId(),
    access: 'read',
  };

  it('round-trips a folder key to the member only', async () => {
    const folderKey = randomKey();
    const { sealed, signature } = await sealShareKey(
      folderKey,
      context,
      member.encryption.publicKey,
      owner.signing.privateKey,
    );
    expect(sealed).toHaveLength(80);
    expect(signature).toHaveLength(64);
    expect(await openShareKey(sealed, signature, context, memberKeys, owner.signing.publicKey)).toEqual(
      folderKey,
    );
    const stranger = generateAccountKeyPairs();
    await expect(
      openShareKey(
        sealed,
        signature,
        context,
        {
          encryptionPrivateKey: stranger.encryption.privateKey,
          encryptionPublicKey: member.encryption.publicKey,
        },
        owner.signing.publicKey,
      ),
    ).rejects.toThrow(DecryptionError);
  });

  it('refuses a share the owner did not sign, or one moved to another folder, member or access', async () => {
    const folderKey = randomKey();
    const { sealed, signature } = await sealShareKey(
      folderKey,
      context,
      member.encryption.publicKey,
      owner.signing.privateKey,
    );
    const forger = generateAccountKeyPairs();
    await expect(
      openShareKey(sealed, signature, context, memberKeys, forger.signing.publicKey),
    ).rejects.toThrow(DecryptionError);
    for (const changed of [
      { ...context, folderId: randomId() },
      { ...context, memberUserId: randomId() },
      { ...context, shareId: randomId() },
      { ...context, access: 'write' as const },
    ]) {
      await expect(
        openShareKey(sealed, signature, changed, memberKeys, owner.signing.publicKey),
      ).rejects.toThrow(DecryptionError);
    }
    const tampered = sealed.slice();
    tampered[40]! ^= 1;
    await expect(
      openShareKey(tampered, signature, context, memberKeys, owner.signing.publicKey),
    ).rejects.toThrow(DecryptionError);
    // A server that re-seals a key of its own choosing cannot sign it as the owner.
    const { sealed: other } = await sealShareKey(
      randomKey(),
      context,
      member.encryption.publicKey,
      forger.signing.privateKey,
    );
    await expect(
      openShareKey(other, signature, context, memberKeys, owner.signing.publicKey),
    ).rejects.toThrow(DecryptionError);
  });

  it('gives both sides the same safety number, and a changed key another one', () => {
    const a = { encryptionPublicKey: owner.encryption.publicKey, signingPublicKey: owner.signing.publicKey };
    const b = {
      encryptionPublicKey: member.encryption.publicKey,
      signingPublicKey: member.signing.publicKey,
    };
    expect(safetyNumber(a, b)).toBe(safetyNumber(b, a));
    expect(safetyNumber(a, b)).toMatch(/^(\d{5} ){11}\d{5}$/);
    const swapped = generateAccountKeyPairs();
    expect(keyFingerprint(swapped.encryption.publicKey, member.signing.publicKey)).not.toBe(
      keyFingerprint(member.encryption.publicKey, member.signing.publicKey),
    );
  });
});

describe('docs/vectors/shares.json', () => {
  it('opens with the member key and the owner signature, to the folder key', async () => {
    const v = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'vectors', 'shares.json'), 'utf8'),
    ) as Record<string, string> & { context: ShareContext };
    const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
    const key = await openShareKey(
      unhex(v.sealed!),
      unhex(v.signature!),
      v.context,
      {
        encryptionPrivateKey: unhex(v.memberEncryptionPrivateKey!),
        encryptionPublicKey: unhex(v.memberEncryptionPublicKey!),
      },
      unhex(v.ownerSigningPublicKey!),
    );
    expect(Buffer.from(key).toString('hex')).toBe(v.folderKey);
  });
});
