// The AEAD seam: AES-256-GCM with 96-bit nonces and 128-bit tags. The default runs on WebCrypto
// (browsers, Node, workers); callers may inject another implementation (the CLI passes a node:crypto
// one, which avoids WebCrypto's per-call cost). Every implementation must behave identically
// (standard AES-256-GCM); the content tests run the same round trips and tampering checks on the
// default and on a node:crypto implementation, and the Wycheproof AES-GCM vectors on the default.

import { bufferSource } from './bytes.js';

/** AES-256-GCM nonce size in bytes. */
export const NONCE_SIZE = 12;
/** AES-GCM tag size in bytes. */
export const TAG_SIZE = 16;

/**
 * A key imported once into an {@link Aead} backend, then used for many calls (chunks of one file).
 * Calls may run concurrently; implementations must not keep per-call state on the key. Results
 * never share memory with the inputs: a caller may reuse an input buffer once its call settled.
 */
export interface AeadKey {
  /**
   * AES-256-GCM encryption. Returns ciphertext || 16-byte tag (plaintext length + 16 bytes).
   * @param nonce exactly 12 bytes, never reused with this key for different plaintext
   * @param aad additional authenticated data (empty when omitted)
   */
  encrypt(nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /**
   * AES-256-GCM decryption of ciphertext || tag. Must reject (with any error: the caller turns it
   * into a DecryptionError) when the tag does not verify, and must then release no plaintext.
   */
  decrypt(nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional batch form of {@link AeadKey.encrypt} (no AAD): seals `items[i].bytes` under
   * `items[i].nonce`, results in order. For backends that pay per call rather than per byte (a hop
   * to a worker thread); without it, callers run `encrypt` once per item, concurrently.
   */
  encryptMany?(items: readonly AeadItem[]): Promise<Uint8Array[]>;
  /**
   * Optional batch form of {@link AeadKey.decrypt} (no AAD), all or nothing: if any item fails its
   * tag check the whole batch rejects and no plaintext of it is released.
   */
  decryptMany?(items: readonly AeadItem[]): Promise<Uint8Array[]>;
  /**
   * Optional: the caller is done with these results of `encryptMany` (it copied them elsewhere and
   * never reads them again), so a backend may reuse their memory. Anything else is ignored.
   */
  release?(results: readonly Uint8Array[]): void;
  /**
   * Optional promise about inputs, `true` only for a backend that keeps it: every method has taken
   * its own copy of the input bytes by the time it returns (before its promise settles), and never
   * keeps, detaches or transfers the caller's arrays. A caller may then pass views into memory it
   * does not own (the pieces a connection delivered) and drop or reuse them as soon as the call
   * returned. Unset, a caller must assume the backend reads its inputs later (e.g. moves them to a
   * worker thread) and hand it arrays of its own, untouched until the call settled.
   */
  readonly copiesInput?: boolean;
}

/** One message of an AEAD batch: its nonce (12 bytes) and its plaintext or ciphertext || tag. */
export interface AeadItem {
  nonce: Uint8Array;
  bytes: Uint8Array;
}

/**
 * An AES-256-GCM backend. The default is {@link webCryptoAead}; inject another one (e.g. built on
 * node:crypto) through the `aead` option of the content functions.
 *
 * @example
 * // A node:crypto backend, as the CLI builds it:
 * const nodeAead: Aead = {
 *   async importKey(raw) {
 *     const key = createSecretKey(raw);
 *     return {
 *       async encrypt(nonce, pt, aad) { const c = createCipheriv('aes-256-gcm', key, nonce);
 *         if (aad) c.setAAD(aad); return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]) },
 *       async decrypt(nonce, sealed, aad) { ... },
 *     };
 *   },
 * };
 */
export interface Aead {
  /** Imports a raw 32-byte key. Called once per file (not per chunk). */
  importKey(rawKey: Uint8Array): Promise<AeadKey>;
}

/** Options of the key-wrapping and attribute functions. */
export interface AeadOptions {
  /** AES-256-GCM backend; default {@link webCryptoAead}. The CLI passes a node:crypto one. */
  aead?: Aead;
}

/** AES-256-GCM on WebCrypto (`globalThis.crypto.subtle`); the key is imported non-extractable. */
export const webCryptoAead: Aead = {
  async importKey(rawKey: Uint8Array): Promise<AeadKey> {
    if (rawKey.length !== 32) throw new TypeError('AES-256-GCM key must be 32 bytes');
    const subtle = globalThis.crypto.subtle;
    const key = await subtle.importKey('raw', bufferSource(rawKey), { name: 'AES-GCM' }, false, [
      'encrypt',
      'decrypt',
    ]);
    const params = (nonce: Uint8Array, aad: Uint8Array | undefined): AesGcmParams => {
      if (nonce.length !== NONCE_SIZE) throw new TypeError('AES-GCM nonce must be 12 bytes');
      const p: AesGcmParams = { name: 'AES-GCM', iv: bufferSource(nonce), tagLength: TAG_SIZE * 8 };
      if (aad !== undefined && aad.length > 0) p.additionalData = bufferSource(aad);
      return p;
    };
    return {
      // The WebCrypto spec: encrypt and decrypt "get a copy of the bytes held by the data
      // parameter" synchronously, before they return their promise.
      copiesInput: true,
      async encrypt(nonce, plaintext, aad) {
        return new Uint8Array(await subtle.encrypt(params(nonce, aad), key, bufferSource(plaintext)));
      },
      async decrypt(nonce, sealed, aad) {
        if (sealed.length < TAG_SIZE) throw new TypeError('ciphertext shorter than the tag');
        return new Uint8Array(await subtle.decrypt(params(nonce, aad), key, bufferSource(sealed)));
      },
    };
  },
};
