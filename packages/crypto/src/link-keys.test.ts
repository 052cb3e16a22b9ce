import { describe, expect, it } from 'vitest';
import { randomId } from './bytes.js';
import { DecryptionError } from './errors.js';
import { unwrapKey, wrapKey } from './key-wrap.js';
import {
  generateLinkKey,
  linkKeyCommitment,
  linkPasswordHash,
  linkPasswordProof,
  linkWrappingKey,
  verifyLinkKeyCommitment,
} from './link-keys.js';
import { randomKey } from './bytes.js';

// Cheap Argon2id for the behaviour tests; the real parameters are pinned by docs/vectors/links.json.
const cheap = { memoryKiB: 64, iterations: 1, parallelism: 1 };

describe('link keys', () => {
  it('detects a wrong fragment key through the commitment, before any unwrap', async () => {
    const linkKey = generateLinkKey();
    const commitment = await linkKeyCommitment(linkKey);
    expect(await verifyLinkKeyCommitment(linkKey, commitment)).toBe(true);
    const mangled = linkKey.slice();
    mangled[0]! ^= 1;
    expect(await verifyLinkKeyCommitment(mangled, commitment)).toBe(false);
    expect(await verifyLinkKeyCommitment(linkKey.subarray(0, 31), commitment)).toBe(false);
  });

  it('opens a password link only with both the fragment key and the password', async () => {
    const linkId = randomId();
    const linkKey = generateLinkKey();
    const nodeKey = randomKey();
    const k = await linkWrappingKey(linkKey, await linkPasswordHash('hunter2', linkId, cheap));
    const wrapped = await wrapKey(k, nodeKey, 'link-node-key', linkId);
    expect(await unwrapKey(k, wrapped, 'link-node-key', linkId)).toEqual(nodeKey);
    // The fragment alone, the password with another fragment, another password: all fail alike.
    await expect(unwrapKey(linkKey, wrapped, 'link-node-key', linkId)).rejects.toThrow(DecryptionError);
    const otherFragment = await linkWrappingKey(
      generateLinkKey(),
      await linkPasswordHash('hunter2', linkId, cheap),
    );
    await expect(unwrapKey(otherFragment, wrapped, 'link-node-key', linkId)).rejects.toThrow(DecryptionError);
    const otherPassword = await linkWrappingKey(linkKey, await linkPasswordHash('hunter3', linkId, cheap));
    await expect(unwrapKey(otherPassword, wrapped, 'link-node-key', linkId)).rejects.toThrow(DecryptionError);
    // A wrap moved to another link id does not open either.
    await expect(unwrapKey(k, wrapped, 'link-node-key', randomId())).rejects.toThrow(DecryptionError);
  });

  it('makes a password proof that depends on the fragment key too (no offline test from the database alone)', async () => {
    const linkId = randomId();
    const hash = await linkPasswordHash('same password', linkId, cheap);
    const a = await linkPasswordProof(await linkWrappingKey(generateLinkKey(), hash));
    const b = await linkPasswordProof(await linkWrappingKey(generateLinkKey(), hash));
    expect(a).not.toEqual(b);
    // NFC and NFD spellings are the same password.
    expect(await linkPasswordHash('caf\u00e9', linkId, cheap)).toEqual(
      await linkPasswordHash('cafe\u0301', linkId, cheap),
    );
    await expect(linkPasswordHash('', linkId, cheap)).rejects.toThrow(TypeError);
  });
});
