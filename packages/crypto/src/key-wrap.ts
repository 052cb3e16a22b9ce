// Key wrapping: every key in the hierarchy is stored encrypted under its parent with AES-256-GCM
// (authenticated: MEGA's unauthenticated AES-ECB wrapping let a malicious server tamper with keys),
// under a wrapping key derived for exactly one purpose, with AAD binding format version, purpose
// and the id of the object whose key it is (so a wrapped key cannot be moved to another node or
// reinterpreted as another kind of key). Never logs key material.

import { webCryptoAead, type Aead, type AeadKey, type AeadOptions } from './aead.js';
import { assertKey, concatBytes, constantTimeEqual, idBytes, randomBytes, utf8 } from './bytes.js';
import { DecryptionError } from './errors.js';
import { FORMAT_VERSION } from './format-version.js';
import { HKDF_LABELS, deriveKey, type HkdfLabel } from './hkdf-labels.js';

/** What a wrapped key is for; each purpose has its own HKDF label and appears in the AAD. */
export type KeyPurpose =
  | 'master-key'
  | 'master-key-recovery'
  | 'node-key'
  | 'version-key'
  | 'encryption-private-key'
  | 'signing-private-key'
  | 'session-local'
  | 'link-node-key'
  | 'link-key';

/** All key purposes. */
export const KEY_PURPOSES: readonly KeyPurpose[] = [
  'master-key',
  'master-key-recovery',
  'node-key',
  'version-key',
  'encryption-private-key',
  'signing-private-key',
  'session-local',
  'link-node-key',
  'link-key',
];

const WRAP_LABELS: Record<KeyPurpose, HkdfLabel> = {
  'master-key': HKDF_LABELS.wrapMasterKey,
  'master-key-recovery': HKDF_LABELS.wrapMasterKeyRecovery,
  'node-key': HKDF_LABELS.wrapNodeKey,
  'version-key': HKDF_LABELS.wrapVersionKey,
  'encryption-private-key': HKDF_LABELS.wrapEncryptionPrivateKey,
  'signing-private-key': HKDF_LABELS.wrapSigningPrivateKey,
  'session-local': HKDF_LABELS.wrapSessionLocal,
  'link-node-key': HKDF_LABELS.wrapLinkNodeKey,
  'link-key': HKDF_LABELS.wrapLinkKey,
};

/** Size of a wrapped 32-byte key: version (1) + nonce (12) + key (32) + tag (16). */
export const WRAPPED_KEY_SIZE = 61;

/** Each purpose's AAD up to the id, made once (a folder listing builds thousands of AADs). */
const wrapAadPrefixes = new Map<string, Uint8Array>(
  KEY_PURPOSES.map((purpose) => [
    purpose,
    concatBytes(utf8('hoard/v1/wrap'), Uint8Array.of(0, FORMAT_VERSION), utf8(purpose), Uint8Array.of(0)),
  ]),
);

/** AAD of a key wrap: "hoard/v1/wrap" 0x00 version purpose 0x00 id(16 bytes). */
export function wrapAad(purpose: KeyPurpose, id: string): Uint8Array {
  const prefix = wrapAadPrefixes.get(purpose);
  if (!prefix) throw new TypeError('unknown key purpose');
  return concatBytes(prefix, idBytes(id));
}

// [Note: wrapping-key cache] All children of a folder are wrapped under the same derived key
// (HKDF of the folder key for one purpose), so it is derived and imported once per (backend,
// parent key object, purpose) and reused: listing a folder of 10,000 files would otherwise pay
// 10,000 HKDF runs and WebCrypto imports. Entries live as long as the caller's key object (WeakMap)
// and keep a copy of the key bytes, so a caller that overwrites its key array never gets a stale
// derived key.
interface CachedWrappingKey {
  parentBytes: Uint8Array;
  key: Promise<AeadKey>;
}
const wrappingKeyCache = new WeakMap<Aead, WeakMap<Uint8Array, Map<KeyPurpose, CachedWrappingKey>>>();

function wrappingKey(aead: Aead, parentKey: Uint8Array, purpose: KeyPurpose): Promise<AeadKey> {
  let byParent = wrappingKeyCache.get(aead);
  if (!byParent) wrappingKeyCache.set(aead, (byParent = new WeakMap()));
  let byPurpose = byParent.get(parentKey);
  if (!byPurpose) byParent.set(parentKey, (byPurpose = new Map<KeyPurpose, CachedWrappingKey>()));
  const hit = byPurpose.get(purpose);
  if (hit && constantTimeEqual(hit.parentBytes, parentKey)) return hit.key;
  const key = aead.importKey(deriveKey(parentKey, WRAP_LABELS[purpose]));
  key.catch(() => byPurpose.delete(purpose));
  byPurpose.set(purpose, { parentBytes: parentKey.slice(), key });
  return key;
}

/** Test seam: wrapping with a given nonce (deterministic known-answer vectors). Not exported by index. */
export async function wrapKeyWithNonce(
  parentKey: Uint8Array,
  key: Uint8Array,
  purpose: KeyPurpose,
  id: string,
  nonce: Uint8Array,
  options: AeadOptions = {},
): Promise<Uint8Array> {
  assertKey(parentKey, 'parentKey');
  assertKey(key, 'key');
  const aad = wrapAad(purpose, id);
  const aead = await wrappingKey(options.aead ?? webCryptoAead, parentKey, purpose);
  const sealed = await aead.encrypt(nonce, key, aad);
  return concatBytes(Uint8Array.of(FORMAT_VERSION), nonce, sealed);
}

/**
 * Wraps (encrypts) a 32-byte key under its parent key for one purpose and one object id.
 * Output: version(1) || nonce(12) || AES-256-GCM ciphertext and tag (48) = 61 bytes.
 *
 * @param parentKey the wrapping key's source (master key, parent folder key, file node key...)
 * @param purpose what `key` is; unwrapping under any other purpose fails
 * @param id the id the key belongs to (node id, version id, user id, session id), 16 bytes b64u
 * @param options `aead`: another AES-256-GCM backend (default WebCrypto)
 * @example
 * const wrapped = await wrapKey(parentFolderKey, nodeKey, 'node-key', nodeId);
 */
export async function wrapKey(
  parentKey: Uint8Array,
  key: Uint8Array,
  purpose: KeyPurpose,
  id: string,
  options: AeadOptions = {},
): Promise<Uint8Array> {
  return wrapKeyWithNonce(parentKey, key, purpose, id, randomBytes(12), options);
}

/**
 * Unwraps a key made by {@link wrapKey} with the same parent key, purpose and id.
 * @throws {DecryptionError} on any mismatch or tampering (one message for all).
 * @throws {TypeError} if parentKey is not 32 bytes or id is malformed (programming errors).
 */
export async function unwrapKey(
  parentKey: Uint8Array,
  wrapped: Uint8Array,
  purpose: KeyPurpose,
  id: string,
  options: AeadOptions = {},
): Promise<Uint8Array> {
  assertKey(parentKey, 'parentKey');
  const aad = wrapAad(purpose, id);
  if (wrapped.length !== WRAPPED_KEY_SIZE || wrapped[0] !== FORMAT_VERSION) throw new DecryptionError();
  const aead = await wrappingKey(options.aead ?? webCryptoAead, parentKey, purpose);
  try {
    return await aead.decrypt(wrapped.subarray(1, 13), wrapped.subarray(13), aad);
  } catch {
    throw new DecryptionError();
  }
}
