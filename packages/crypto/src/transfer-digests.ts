// Digests of a ciphertext part for direct transfers to an object store: SHA-256 (what the server
// records) and MD5 (what S3 checks as Content-MD5 and reports as the part's ETag). MD5 is no
// security measure here, only the store's integrity check; the content is authenticated by AES-GCM.
import { md5 } from '@noble/hashes/legacy.js';

/** The SHA-256 (lowercase hex) and MD5 (base64) of `bytes`. */
export async function partDigests(bytes: Uint8Array): Promise<{ sha256Hex: string; md5B64: string }> {
  const sha = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  const sha256Hex = Array.from(sha, (b) => b.toString(16).padStart(2, '0')).join('');
  const md5Bytes = md5(bytes);
  let binary = '';
  for (const b of md5Bytes) binary += String.fromCharCode(b);
  return { sha256Hex, md5B64: btoa(binary) };
}
