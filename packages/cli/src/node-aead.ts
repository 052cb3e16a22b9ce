// AES-256-GCM on node:crypto, injected into the SDK's content encryption: WebCrypto pays a cost
// per call that dominates with 16 KiB chunks; node:crypto does not. Behaves exactly like the
// crypto package's webCryptoAead (the tests compare them); a failed tag check releases nothing.
// With a worker pool, batches of chunks (a file's content) run on worker threads; single calls
// (keys, attributes) and small batches stay on the calling thread, where a thread hop costs more
// than it saves.

import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type CipherKey,
  type KeyObject,
} from 'node:crypto';
import type { Aead, AeadItem, AeadKey } from '@hoard/crypto';
import type { AeadWorkerPool } from './aead-worker-pool.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Batches smaller than this many bytes are sealed or opened on the calling thread. */
const MIN_WORKER_BATCH_BYTES = 64 * 1024;

function seal(key: CipherKey, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_BYTES) throw new TypeError('AES-GCM nonce must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  if (aad && aad.length > 0) cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  // One unzeroed allocation for the result (a zeroed copy per 16 KiB chunk showed in profiles).
  return Buffer.concat([head, tail, cipher.getAuthTag()]);
}

function open(key: CipherKey, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_BYTES) throw new TypeError('AES-GCM nonce must be 12 bytes');
  if (sealed.length < TAG_BYTES) throw new TypeError('ciphertext shorter than the tag');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  if (aad && aad.length > 0) decipher.setAAD(aad);
  const head = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  const tail = decipher.final(); // throws on a bad tag: `head` is then dropped, never returned
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/** Runs `work` now, as a promise (node:crypto is synchronous; the seam is not). */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

const byteLength = (items: readonly AeadItem[]): number => items.reduce((sum, i) => sum + i.bytes.length, 0);

/**
 * The node:crypto AES-256-GCM backend for @hoard/crypto's `Aead` seam; with `pool`, batches of at
 * least 64 KiB run on its worker threads.
 */
export function createNodeAead(pool?: AeadWorkerPool): Aead {
  return {
    importKey(rawKey: Uint8Array): Promise<AeadKey> {
      if (rawKey.length !== 32) return Promise.reject(new TypeError('AES-256-GCM key must be 32 bytes'));
      // A private copy of the bytes (the caller may overwrite its array), not a KeyObject: most keys
      // are used once (a listing imports three per file to open one small attribute blob each), and
      // building a KeyObject cost more than the decryption. The worker pool's interface takes a
      // KeyObject: it is made once, on the first batch that goes to the pool.
      const key = Uint8Array.prototype.slice.call(rawKey);
      let keyObject: KeyObject | undefined;
      const poolKey = (): KeyObject => (keyObject ??= createSecretKey(key));
      const aeadKey: AeadKey = {
        encrypt: (nonce, plaintext, aad) => settle(() => seal(key, nonce, plaintext, aad)),
        decrypt: (nonce, sealed, aad) => settle(() => open(key, nonce, sealed, aad)),
        encryptMany: (items) =>
          pool && byteLength(items) >= MIN_WORKER_BATCH_BYTES
            ? pool.seal(poolKey(), items)
            : settle(() => items.map((item) => seal(key, item.nonce, item.bytes))),
        // All or nothing: on the calling thread, a failure throws before any result is returned.
        decryptMany: (items) =>
          pool && byteLength(items) >= MIN_WORKER_BATCH_BYTES
            ? pool.open(poolKey(), items)
            : settle(() => items.map((item) => open(key, item.nonce, item.bytes))),
        // A batch's results share one buffer; the pool ignores what it did not hand out.
        release: (results) => {
          if (pool && results[0]) pool.release(results[0]);
        },
      };
      return Promise.resolve(aeadKey);
    },
  };
}

/** The node:crypto backend without worker threads (everything on the calling thread). */
export const nodeAead: Aead = createNodeAead();
