// Every HKDF label Hoard uses, in one place, so that no two purposes can ever share a key.
// [Note: one key, one purpose] A raw key is never given to two ciphers: each use goes through
// HKDF-SHA256 with its own label (and the content format through its own c2sp.org HKDF-Expand),
// so a key wrapped for one purpose can never be unwrapped, or used, as another (MEGA's key-reuse
// attacks). docs/FORMAT.md lists these labels; changing one is a format change.

import { expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from './bytes.js';

/** HKDF-SHA256 info labels, by purpose. */
export const HKDF_LABELS = {
  wrapMasterKey: 'hoard/v1/wrap/master-key',
  wrapMasterKeyRecovery: 'hoard/v1/wrap/master-key-recovery',
  wrapNodeKey: 'hoard/v1/wrap/node-key',
  wrapVersionKey: 'hoard/v1/wrap/version-key',
  wrapEncryptionPrivateKey: 'hoard/v1/wrap/encryption-private-key',
  wrapSigningPrivateKey: 'hoard/v1/wrap/signing-private-key',
  wrapSessionLocal: 'hoard/v1/wrap/session-local',
  nodeAttributes: 'hoard/v1/attributes/node',
  versionAttributes: 'hoard/v1/attributes/version',
  nameHash: 'hoard/v1/name-hash',
  masterKeyWrapping: 'hoard/v1/master-key-wrapping',
  recoveryAuth: 'hoard/v1/recovery/auth',
  recoveryWrapping: 'hoard/v1/recovery/wrapping',
  sessionLocal: 'hoard/v1/session-local',
  wrapLinkNodeKey: 'hoard/v1/wrap/link-node-key',
  wrapLinkKey: 'hoard/v1/wrap/link-key',
  linkCommitment: 'hoard/v1/link/commitment',
  linkPasswordKey: 'hoard/v1/link/password-key',
  linkPasswordProof: 'hoard/v1/link/password-proof',
} as const;

/** A label from {@link HKDF_LABELS}. */
export type HkdfLabel = (typeof HKDF_LABELS)[keyof typeof HKDF_LABELS];

// Listing a folder derives a few keys per child (10,000s per listing), so the constant parts are
// computed once: each label's bytes, and HKDF-Extract's HMAC keyed with the all-zero salt (cloned
// per call: the same bytes as keying a fresh HMAC, without two SHA-256 blocks of key set-up).
const labelBytes = new Map<string, Uint8Array>(Object.values(HKDF_LABELS).map((l) => [l, utf8(l)]));
const zeroSaltHmac = hmac.create(sha256, new Uint8Array(32));

/**
 * HKDF-SHA256 (RFC 5869) with an empty salt (i.e. 32 zero bytes), `info` = the ASCII label,
 * 32 bytes of output.
 */
export function deriveKey(inputKey: Uint8Array, label: HkdfLabel): Uint8Array {
  const info = labelBytes.get(label);
  if (!info) throw new TypeError('unknown HKDF label');
  // HKDF-Extract (PRK = HMAC(salt, IKM)), then @noble/hashes' HKDF-Expand.
  const prk = zeroSaltHmac.clone().update(inputKey).digest();
  const okm = expand(sha256, prk, info, 32);
  prk.fill(0);
  return okm;
}
