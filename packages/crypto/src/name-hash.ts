// Name hashes: the server enforces unique names per folder without learning them, by comparing
// keyed hashes. The key is derived from the folder's key for this purpose only, so the hash reveals
// nothing to anyone without the folder key, and equal names in different folders hash differently.

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertKey, constantTimeEqual, promised, toB64u, utf8 } from './bytes.js';
import { HKDF_LABELS, deriveKey } from './hkdf-labels.js';

// [Note: name-hash key cache] Listing a folder checks every child's name hash under the same
// folder key, so the HMAC keyed with HKDF(folderKey, "hoard/v1/name-hash") is set up once per
// folder key object and cloned per name (the same bytes as a fresh HMAC, without one HKDF and two
// SHA-256 blocks of key set-up per child). As in [Note: wrapping-key cache], entries live as long
// as the caller's key array (WeakMap) and hold a copy of its bytes, so an array that is overwritten
// never gets a stale key.
type KeyedHmac = ReturnType<typeof hmac.create>;
const keyedHmacs = new WeakMap<Uint8Array, { folderBytes: Uint8Array; mac: KeyedHmac }>();

function keyedHmac(folderKey: Uint8Array): KeyedHmac {
  const hit = keyedHmacs.get(folderKey);
  if (hit && constantTimeEqual(hit.folderBytes, folderKey)) return hit.mac;
  const mac = hmac.create(sha256, deriveKey(folderKey, HKDF_LABELS.nameHash));
  keyedHmacs.set(folderKey, { folderBytes: folderKey.slice(), mac });
  return mac;
}

/**
 * The keyed hash of a name in a folder: base64url(HMAC-SHA256(HKDF(folderKey, "hoard/v1/name-hash"),
 * UTF-8(NFC(name)))). Case-sensitive; only Unicode NFC normalization is applied.
 *
 * @example
 * const hash = await nameHash(parentFolderKey, 'Report.pdf'); // 43 characters
 */
export function nameHash(folderKey: Uint8Array, name: string): Promise<string> {
  return promised(() => {
    assertKey(folderKey, 'folderKey');
    return toB64u(
      keyedHmac(folderKey)
        .clone()
        .update(utf8(name.normalize('NFC')))
        .digest(),
    );
  });
}
