// AES-256-GCM on node:crypto, injected into the SDK's content encryption: WebCrypto pays a cost
// per call that dominates with 16 KiB chunks; node:crypto does not. Behaves exactly like the
// crypto package's webCryptoAead (the tests compare them); a failed tag check releases nothing.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { Aead, AeadKey } from '@hoard/crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The node:crypto AES-256-GCM backend for @hoard/crypto's `Aead` seam. */
export const nodeAead: Aead = {
  importKey(rawKey: Uint8Array): Promise<AeadKey> {
    if (rawKey.length !== 32) return Promise.reject(new TypeError('AES-256-GCM key must be 32 bytes'));
    // A private copy of the bytes (the caller may overwrite its array), not a KeyObject: most keys
    // are used once (a listing imports three per file to open one small attribute blob each), and
    // building a KeyObject cost more than the decryption; a raw key costs nothing per chunk either.
    const key = Uint8Array.prototype.slice.call(rawKey);
    const aeadKey: AeadKey = {
      encrypt(nonce, plaintext, aad) {
        if (nonce.length !== NONCE_BYTES)
          return Promise.reject(new TypeError('AES-GCM nonce must be 12 bytes'));
        const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
        if (aad && aad.length > 0) cipher.setAAD(aad);
        const head = cipher.update(plaintext);
        const tail = cipher.final();
        // One unzeroed allocation for the result (a zeroed copy per 16 KiB chunk showed in profiles).
        return Promise.resolve(Buffer.concat([head, tail, cipher.getAuthTag()]));
      },
      decrypt(nonce, sealed, aad) {
        try {
          if (nonce.length !== NONCE_BYTES) throw new TypeError('AES-GCM nonce must be 12 bytes');
          if (sealed.length < TAG_BYTES) throw new TypeError('ciphertext shorter than the tag');
          const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
          decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
          if (aad && aad.length > 0) decipher.setAAD(aad);
          const head = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
          const tail = decipher.final(); // throws on a bad tag: `head` is then dropped, never returned
          return Promise.resolve(tail.length === 0 ? head : Buffer.concat([head, tail]));
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      },
    };
    return Promise.resolve(aeadKey);
  },
};
