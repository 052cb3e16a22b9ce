// Link keys: the secret of a public link `/l/<linkId>#<linkKey>`. The link key (32 random bytes,
// in the URL fragment, never sent to the server) or, for a password link, a key combining it with
// an Argon2id hash of the password, wraps the linked node's key (purpose 'link-node-key', id =
// linkId). A key commitment lets the client tell a mangled fragment from anything else without
// asking the server; a password proof lets the server rate-limit wrong passwords without learning
// anything that opens the link. docs/FORMAT.md section 14 gives the bytes and the reasoning.
// Never logs key material.

import { argon2idAsync } from '@noble/hashes/argon2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertKey, constantTimeEqual, idBytes, promised, randomKey, utf8 } from './bytes.js';
import { HKDF_LABELS, deriveKey } from './hkdf-labels.js';

/**
 * Argon2id parameters of link passwords, fixed for format version 1 (RFC 9106's second
 * recommended option, as for account passwords). Salt = the 16 bytes of the link id.
 */
export const LINK_PASSWORD_KDF = {
  algorithm: 'argon2id',
  version: 0x13,
  memoryKiB: 65536,
  iterations: 3,
  parallelism: 4,
  outputBytes: 32,
} as const;

/** Options of {@link linkPasswordHash}; tests may lower the cost (never the product). */
export interface LinkPasswordKdfOptions {
  memoryKiB?: number;
  iterations?: number;
  parallelism?: number;
}

/** A fresh random 256-bit link key (for the URL fragment). */
export function generateLinkKey(): Uint8Array {
  return randomKey();
}

/**
 * The link key's commitment: HKDF(linkKey, "hoard/v1/link/commitment"). Stored by the server and
 * given to anyone holding the link id, so that a client detects a wrong fragment itself.
 */
export function linkKeyCommitment(linkKey: Uint8Array): Promise<Uint8Array> {
  return promised(() => {
    assertKey(linkKey, 'linkKey');
    return deriveKey(linkKey, HKDF_LABELS.linkCommitment);
  });
}

/** Whether `linkKey` matches `commitment` (constant time; false for malformed input). */
export async function verifyLinkKeyCommitment(linkKey: Uint8Array, commitment: Uint8Array): Promise<boolean> {
  if (linkKey.length !== 32 || commitment.length !== 32) return false;
  return constantTimeEqual(await linkKeyCommitment(linkKey), commitment);
}

/** Argon2id of the NFC-normalized password, salted with the link id (16 bytes). */
export async function linkPasswordHash(
  password: string,
  linkId: string,
  options: LinkPasswordKdfOptions = {},
): Promise<Uint8Array> {
  if (password === '') throw new TypeError('a link password may not be empty');
  return argon2idAsync(utf8(password.normalize('NFC')), idBytes(linkId), {
    m: options.memoryKiB ?? LINK_PASSWORD_KDF.memoryKiB,
    t: options.iterations ?? LINK_PASSWORD_KDF.iterations,
    p: options.parallelism ?? LINK_PASSWORD_KDF.parallelism,
    dkLen: LINK_PASSWORD_KDF.outputBytes,
    version: LINK_PASSWORD_KDF.version,
  });
}

/**
 * The key that wraps the linked node's key: the link key itself, or, with a password,
 * HKDF-SHA256(ikm = linkKey, salt = passwordHash, info = "hoard/v1/link/password-key").
 *
 * @param passwordHash {@link linkPasswordHash} of the password, when the link has one
 * @example
 * const k = await linkWrappingKey(linkKey, await linkPasswordHash('hunter2', linkId));
 * const wrapped = await wrapKey(k, nodeKey, 'link-node-key', linkId);
 */
export function linkWrappingKey(linkKey: Uint8Array, passwordHash?: Uint8Array): Promise<Uint8Array> {
  return promised(() => {
    assertKey(linkKey, 'linkKey');
    if (passwordHash === undefined) return linkKey;
    assertKey(passwordHash, 'passwordHash');
    return hkdf(sha256, linkKey, passwordHash, utf8(HKDF_LABELS.linkPasswordKey), 32);
  });
}

/**
 * What a client shows the server to prove it holds the password (and the link key):
 * HKDF(linkWrappingKey, "hoard/v1/link/password-proof"). The server stores only its SHA-256.
 */
export function linkPasswordProof(wrappingKey: Uint8Array): Promise<Uint8Array> {
  return promised(() => {
    assertKey(wrappingKey, 'wrappingKey');
    return deriveKey(wrappingKey, HKDF_LABELS.linkPasswordProof);
  });
}
