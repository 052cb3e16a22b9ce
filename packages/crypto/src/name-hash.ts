// Name hashes: the server enforces unique names per folder without learning them, by comparing
// keyed hashes. The key is derived from the folder's key for this purpose only, so the hash reveals
// nothing to anyone without the folder key, and equal names in different folders hash differently.

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { assertKey, promised, toB64u, utf8 } from './bytes.js';
import { HKDF_LABELS, deriveKey } from './hkdf-labels.js';

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
    return toB64u(hmac(sha256, deriveKey(folderKey, HKDF_LABELS.nameHash), utf8(name.normalize('NFC'))));
  });
}
