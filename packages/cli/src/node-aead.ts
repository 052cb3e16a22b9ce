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
import { BatchBuffers } from './batch-buffers.js';

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

/**
 * Seals every item into one buffer from `buffers`, end to end (ciphertext || tag each): a batch
 * allocates nothing that outlives it, and the caller gives the buffer back when it is done.
 */
function sealBatch(key: CipherKey, items: readonly AeadItem[], buffers: BatchBuffers): Uint8Array[] {
  let total = 0;
  for (const item of items) total += item.bytes.length + TAG_BYTES;
  const out = new Uint8Array(buffers.take(total));
  const results: Uint8Array[] = [];
  let at = 0;
  for (const item of items) {
    if (item.nonce.length !== NONCE_BYTES) throw new TypeError('AES-GCM nonce must be 12 bytes');
    const cipher = createCipheriv('aes-256-gcm', key, item.nonce, { authTagLength: TAG_BYTES });
    out.set(cipher.update(item.bytes), at);
    cipher.final();
    out.set(cipher.getAuthTag(), at + item.bytes.length);
    results.push(out.subarray(at, at + item.bytes.length + TAG_BYTES));
    at += item.bytes.length + TAG_BYTES;
  }
  buffers.lend(out.buffer);
  return results;
}

/**
 * Opens every item into one buffer from `buffers`, the plaintexts end to end. All or nothing: on a
 * failed tag the bytes placed so far are zeroed, the buffer kept for reuse, and nothing returned.
 */
function openBatch(key: CipherKey, items: readonly AeadItem[], buffers: BatchBuffers): Uint8Array[] {
  let total = 0;
  for (const item of items) {
    if (item.bytes.length < TAG_BYTES) throw new TypeError('ciphertext shorter than the tag');
    total += item.bytes.length - TAG_BYTES;
  }
  const buffer = buffers.take(total);
  const out = new Uint8Array(buffer);
  const results: Uint8Array[] = [];
  let at = 0;
  try {
    for (const item of items) {
      const plain = open(key, item.nonce, item.bytes);
      out.set(plain, at);
      results.push(out.subarray(at, at + plain.length));
      at += plain.length;
    }
  } catch (error) {
    out.fill(0, 0, at);
    buffers.keep(buffer);
    throw error;
  }
  buffers.lend(buffer);
  return results;
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
 * least 64 KiB run on its worker threads. Batch results share one buffer from `results` (the pool's
 * too, when it was built with the same one); `release` gives it back, and so may a caller that got a
 * view of it further on (`results.giveBack`, e.g. once a download's plaintext is in its file).
 */
export function createNodeAead(pool?: AeadWorkerPool, results = new BatchBuffers()): Aead {
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
            : settle(() => sealBatch(key, items, results)),
        // All or nothing: on the calling thread, a failure throws before any result is returned.
        decryptMany: (items) =>
          pool && byteLength(items) >= MIN_WORKER_BATCH_BYTES
            ? pool.open(poolKey(), items)
            : settle(() => openBatch(key, items, results)),
        // A batch's results share one buffer; what was not lent is ignored.
        release: (batch) => {
          if (!batch[0]) return;
          results.giveBack(batch[0]);
          pool?.release(batch[0]);
        },
      };
      return Promise.resolve(aeadKey);
    },
  };
}

/** The node:crypto backend without worker threads (everything on the calling thread). */
export const nodeAead: Aead = createNodeAead();
