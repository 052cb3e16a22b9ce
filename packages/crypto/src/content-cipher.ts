// File contents: c2sp.org/chunked-encryption, instantiated as Cobblestone-256 (HKDF-Expand with
// SHA-512, AES-256-GCM). This module is the random-access core: per-message key derivation and
// commitment, per-chunk encryption/decryption at any index, size arithmetic and range mapping. The
// streaming TransformStreams in content-stream.ts are built on it. No I/O; never logs keys.
//
// [Note: deterministic chunks] A chunk's ciphertext depends only on (key, context, salt, index,
// plaintext), so a resumed upload re-encrypts any part to identical bytes. The flip side: the same
// (key, salt) must never encrypt different plaintext. The uploader keeps the salt only while the
// local file is unchanged, and starts over with a fresh version key otherwise.

import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { webCryptoAead, TAG_SIZE, NONCE_SIZE, type Aead, type AeadKey } from './aead.js';
import { concatBytes, constantTimeEqual, idBytes, randomBytes, utf8 } from './bytes.js';
import { DecryptionError } from './errors.js';
import { FORMAT_VERSION } from './format-version.js';

export { TAG_SIZE } from './aead.js';

/** Plaintext bytes per chunk (16 KiB). Every chunk but the last is full; the last is always shorter. */
export const CHUNK_SIZE = 16384;
/** Random salt at the start of the ciphertext. */
export const SALT_SIZE = 24;
/** Key commitment after the salt. */
export const COMMITMENT_SIZE = 32;
/** Header = salt (24) || commitment (32). */
export const HEADER_SIZE = SALT_SIZE + COMMITMENT_SIZE;
/** Ciphertext bytes of a full chunk (16384 + 16). */
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
/** The chunk counter must stay below 2^38 (c2sp.org/chunked-encryption). */
export const MAX_CHUNK_COUNT = 2 ** 38;

const KEY_SIZE = 32;
const AEAD_NAME = 'AEAD_AES_256_GCM';
const INFO_PREFIX = utf8(`c2sp.org/chunked-encryption@v1+${AEAD_NAME}\0`);

/** Options of the content functions. */
export interface ContentOptions {
  /** AES-256-GCM backend; default {@link webCryptoAead}. */
  aead?: Aead;
}

/**
 * One message's cipher: encrypts or decrypts any chunk by index, so parts of a file can be
 * (re-)encrypted or decrypted in any order and concurrently.
 */
export interface ContentCipher {
  /** The 24-byte salt. */
  readonly salt: Uint8Array;
  /** The 56 bytes that start the ciphertext: salt || commitment. */
  readonly header: Uint8Array;
  /**
   * Encrypts chunk `index` (plaintext offset index * 16384). Non-final chunks must be exactly
   * 16384 bytes, the final one 0..16383 bytes. Returns plaintext.length + 16 bytes, which sit at
   * ciphertext offset 56 + index * 16400.
   */
  encryptChunk(index: number, plaintext: Uint8Array, isLast: boolean): Promise<Uint8Array>;
  /**
   * Decrypts chunk `index`; `isLast` says whether it is the message's final chunk (which must be
   * 16..16399 bytes; others exactly 16400).
   * @throws {DecryptionError} on a wrong size, index, key, or any tampering.
   */
  decryptChunk(index: number, sealed: Uint8Array, isLast: boolean): Promise<Uint8Array>;
  /**
   * Encrypts consecutive chunks `firstIndex`, `firstIndex + 1`, ... (one per plaintext), with the
   * same rules and results as {@link ContentCipher.encryptChunk}; `endsMessage` says whether the
   * last of them is the message's final chunk. One call per batch, so that a backend with
   * `encryptMany` (a worker thread) takes the whole batch at once.
   */
  encryptChunks(
    firstIndex: number,
    plaintexts: readonly Uint8Array[],
    endsMessage: boolean,
  ): Promise<Uint8Array[]>;
  /**
   * Decrypts consecutive chunks `firstIndex`, ... as {@link ContentCipher.decryptChunk} does, all
   * or nothing: if any chunk fails, the batch rejects with DecryptionError and releases nothing.
   */
  decryptChunks(
    firstIndex: number,
    sealed: readonly Uint8Array[],
    endsMessage: boolean,
  ): Promise<Uint8Array[]>;
  /**
   * Says that the caller is done with these results of {@link ContentCipher.encryptChunks} (copied
   * elsewhere, never read again), so that the backend may reuse their memory.
   */
  releaseChunks(results: readonly Uint8Array[]): void;
  /**
   * Whether {@link ContentCipher.decryptChunks} (and the other methods) have copied their inputs by
   * the time they return, without keeping them: true when the AEAD backend says so
   * ({@link AeadKey.copiesInput}, as the default WebCrypto one does). A caller may then pass views
   * into memory it does not own and drop them once the call returned.
   */
  readonly copiesInput: boolean;
}

/**
 * Hoard's context string for a version's content: "hoard/v1/content" 0x00 version versionId(16).
 * Binding the version id means a blob cannot be served as another version's content.
 */
export function contentContext(versionId: string): Uint8Array {
  return concatBytes(utf8('hoard/v1/content'), Uint8Array.of(0, FORMAT_VERSION), idBytes(versionId));
}

/** A fresh random 24-byte salt. */
export function newContentSalt(): Uint8Array {
  return randomBytes(SALT_SIZE);
}

/**
 * HKDF-Expand (RFC 5869 section 2.3) with HMAC-SHA512. Written out because the input key is the
 * 32-byte AES key used as PRK directly, as c2sp.org/chunked-encryption specifies, and @noble's
 * expand insists on a PRK of at least HashLen (64) bytes.
 */
function hkdfExpandSha512(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let previous = new Uint8Array(0);
  for (let i = 1, o = 0; o < length; i++) {
    previous = hmac(sha512, prk, concatBytes(previous, info, Uint8Array.of(i)));
    out.set(previous.subarray(0, Math.min(previous.length, length - o)), o);
    o += previous.length;
  }
  return out;
}

/** key (32) || base nonce (12) || commitment (32) = HKDF-Expand-SHA512(key, info). */
function deriveMessageKeys(key: Uint8Array, context: Uint8Array, salt: Uint8Array) {
  const okm = hkdfExpandSha512(key, concatBytes(INFO_PREFIX, salt, context), KEY_SIZE + NONCE_SIZE + 32);
  return {
    aeadKey: okm.slice(0, KEY_SIZE),
    baseNonce: okm.slice(KEY_SIZE, KEY_SIZE + NONCE_SIZE),
    commitment: okm.slice(KEY_SIZE + NONCE_SIZE),
  };
}

/**
 * The nonce of chunk `index`: base nonce XOR index as a 96-bit big-endian integer. Written into
 * `into` (12 bytes) when given, so that a batch shares one buffer.
 */
export function chunkNonce(baseNonce: Uint8Array, index: number, into?: Uint8Array): Uint8Array {
  const nonce = into ?? new Uint8Array(NONCE_SIZE);
  nonce.set(baseNonce);
  const high = Math.floor(index / 2 ** 32);
  const low = index >>> 0;
  nonce[7]! ^= high & 0xff;
  nonce[8]! ^= low >>> 24;
  nonce[9]! ^= (low >>> 16) & 0xff;
  nonce[10]! ^= (low >>> 8) & 0xff;
  nonce[11]! ^= low & 0xff;
  return nonce;
}

/** The `i`-th 12-byte nonce slot of a batch's nonce buffer. */
const nonceAt = (nonces: Uint8Array, i: number): Uint8Array =>
  nonces.subarray(i * NONCE_SIZE, (i + 1) * NONCE_SIZE);

function validIndex(index: number): boolean {
  return Number.isSafeInteger(index) && index >= 0 && index < MAX_CHUNK_COUNT;
}

class ChunkCipher implements ContentCipher {
  readonly copiesInput: boolean;

  constructor(
    readonly salt: Uint8Array,
    readonly header: Uint8Array,
    private readonly key: AeadKey,
    private readonly baseNonce: Uint8Array,
  ) {
    // Each method checks its inputs and calls the backend before its first await, so it copies
    // them before it returns exactly when the backend does.
    this.copiesInput = key.copiesInput === true;
  }

  /** The nonce of plaintext chunk `index`, after checking the index and the size. */
  #sealNonce(index: number, plaintext: Uint8Array, isLast: boolean, into?: Uint8Array): Uint8Array {
    if (!validIndex(index)) throw new RangeError('chunk index out of range');
    if (isLast ? plaintext.length >= CHUNK_SIZE : plaintext.length !== CHUNK_SIZE) {
      throw new RangeError('a non-final chunk must be 16384 bytes and the final chunk shorter');
    }
    return chunkNonce(this.baseNonce, index, into);
  }

  /** The nonce of sealed chunk `index`, after checking the index and the size. */
  #openNonce(index: number, sealed: Uint8Array, isLast: boolean, into?: Uint8Array): Uint8Array {
    if (!validIndex(index)) throw new DecryptionError();
    if (
      isLast
        ? sealed.length < TAG_SIZE || sealed.length >= SEALED_CHUNK_SIZE
        : sealed.length !== SEALED_CHUNK_SIZE
    ) {
      throw new DecryptionError();
    }
    return chunkNonce(this.baseNonce, index, into);
  }

  async encryptChunk(index: number, plaintext: Uint8Array, isLast: boolean): Promise<Uint8Array> {
    return this.key.encrypt(this.#sealNonce(index, plaintext, isLast), plaintext);
  }

  async decryptChunk(index: number, sealed: Uint8Array, isLast: boolean): Promise<Uint8Array> {
    const nonce = this.#openNonce(index, sealed, isLast);
    try {
      return await this.key.decrypt(nonce, sealed);
    } catch {
      throw new DecryptionError();
    }
  }

  async encryptChunks(
    firstIndex: number,
    plaintexts: readonly Uint8Array[],
    endsMessage: boolean,
  ): Promise<Uint8Array[]> {
    const last = plaintexts.length - 1;
    // One buffer for the batch's nonces rather than one per chunk.
    const nonces = new Uint8Array(plaintexts.length * NONCE_SIZE);
    const items = plaintexts.map((bytes, i) => ({
      nonce: this.#sealNonce(firstIndex + i, bytes, endsMessage && i === last, nonceAt(nonces, i)),
      bytes,
    }));
    if (this.key.encryptMany) return this.key.encryptMany(items);
    return Promise.all(items.map(({ nonce, bytes }) => this.key.encrypt(nonce, bytes)));
  }

  releaseChunks(results: readonly Uint8Array[]): void {
    this.key.release?.(results);
  }

  async decryptChunks(
    firstIndex: number,
    sealed: readonly Uint8Array[],
    endsMessage: boolean,
  ): Promise<Uint8Array[]> {
    const last = sealed.length - 1;
    const nonces = new Uint8Array(sealed.length * NONCE_SIZE);
    const items = sealed.map((bytes, i) => ({
      nonce: this.#openNonce(firstIndex + i, bytes, endsMessage && i === last, nonceAt(nonces, i)),
      bytes,
    }));
    try {
      if (this.key.decryptMany) return await this.key.decryptMany(items);
      return await Promise.all(items.map(({ nonce, bytes }) => this.key.decrypt(nonce, bytes)));
    } catch {
      throw new DecryptionError();
    }
  }
}

/**
 * The cipher to encrypt a message (and, being deterministic, to re-encrypt any chunk of it later).
 * @param key the version key (32 bytes, uniformly random)
 * @param context Hoard's context ({@link contentContext}(versionId)); any bytes for other uses
 * @param salt 24 bytes; a fresh random one when omitted. Never reuse a salt with the same key for
 *   different plaintext.
 * @example
 * const cipher = await createContentCipher(versionKey, contentContext(versionId));
 * const sealed0 = await cipher.encryptChunk(0, firstChunk, false); // at offset 56
 */
export async function createContentCipher(
  key: Uint8Array,
  context: Uint8Array,
  salt: Uint8Array = newContentSalt(),
  options: ContentOptions = {},
): Promise<ContentCipher> {
  if (key.length !== KEY_SIZE) throw new TypeError('content key must be 32 bytes');
  if (salt.length !== SALT_SIZE) throw new TypeError('salt must be 24 bytes');
  const { aeadKey, baseNonce, commitment } = deriveMessageKeys(key, context, salt);
  const aeadHandle = await (options.aead ?? webCryptoAead).importKey(aeadKey);
  return new ChunkCipher(salt.slice(), concatBytes(salt, commitment), aeadHandle, baseNonce);
}

/**
 * The cipher to decrypt a message, from its 56-byte header. Checks the key commitment before
 * anything is decrypted.
 * @throws {DecryptionError} on a wrong key, wrong context, tampered header or short header.
 */
export async function openContentCipher(
  key: Uint8Array,
  context: Uint8Array,
  header: Uint8Array,
  options: ContentOptions = {},
): Promise<ContentCipher> {
  if (key.length !== KEY_SIZE || header.length < HEADER_SIZE) throw new DecryptionError();
  const salt = header.slice(0, SALT_SIZE);
  const { aeadKey, baseNonce, commitment } = deriveMessageKeys(key, context, salt);
  if (!constantTimeEqual(commitment, header.subarray(SALT_SIZE, HEADER_SIZE))) throw new DecryptionError();
  const aeadHandle = await (options.aead ?? webCryptoAead).importKey(aeadKey);
  return new ChunkCipher(salt, header.slice(0, HEADER_SIZE), aeadHandle, baseNonce);
}

/**
 * Hazmat, for the Wycheproof raw-mode vectors only: a cipher from a derived AEAD key and base
 * nonce (no salt, no commitment). Not exported by the package.
 */
export async function rawContentCipher(
  aeadKey: Uint8Array,
  baseNonce: Uint8Array,
  options: ContentOptions = {},
): Promise<ContentCipher> {
  const handle = await (options.aead ?? webCryptoAead).importKey(aeadKey);
  return new ChunkCipher(new Uint8Array(0), new Uint8Array(0), handle, baseNonce.slice());
}

/** Number of chunks (the final, short one included) of a plaintext of `plainBytes` bytes. */
export function chunkCount(plainBytes: number): number {
  return Math.floor(plainBytes / CHUNK_SIZE) + 1;
}

/** Ciphertext size of a plaintext of `plainBytes` bytes: 56 + plainBytes + 16 * chunk count. */
export function ciphertextSize(plainBytes: number): number {
  if (!Number.isSafeInteger(plainBytes) || plainBytes < 0 || chunkCount(plainBytes) > MAX_CHUNK_COUNT) {
    throw new RangeError('invalid plaintext size');
  }
  return HEADER_SIZE + plainBytes + chunkCount(plainBytes) * TAG_SIZE;
}

/**
 * Plaintext size of a ciphertext of `cipherBytes` bytes.
 * @throws {DecryptionError} if no valid ciphertext has that size (e.g. truncated at a chunk
 *   boundary); RangeError if not a non-negative integer.
 */
export function plaintextSize(cipherBytes: number): number {
  if (!Number.isSafeInteger(cipherBytes) || cipherBytes < 0) throw new RangeError('invalid ciphertext size');
  if (cipherBytes < HEADER_SIZE + TAG_SIZE) throw new DecryptionError();
  const body = cipherBytes - HEADER_SIZE;
  const full = Math.floor(body / SEALED_CHUNK_SIZE);
  const rest = body - full * SEALED_CHUNK_SIZE;
  if (rest < TAG_SIZE || full + 1 > MAX_CHUNK_COUNT) throw new DecryptionError();
  return full * CHUNK_SIZE + rest - TAG_SIZE;
}

/** Ciphertext offset of chunk `index`: 56 + index * 16400. */
export function chunkOffset(index: number): number {
  return HEADER_SIZE + index * SEALED_CHUNK_SIZE;
}

/** What to fetch and decrypt to read a plaintext byte range. */
export interface ContentRange {
  /** The requested plaintext range, [plainStart, plainEnd). */
  plainStart: number;
  plainEnd: number;
  /** The header is always needed: ciphertext bytes [0, 56). */
  headerStart: 0;
  headerEnd: typeof HEADER_SIZE;
  /** First and last (inclusive) chunk indexes to decrypt. */
  firstChunk: number;
  lastChunk: number;
  /** Index of the message's final chunk (decrypt it with isLast = true). */
  finalChunk: number;
  /** Ciphertext bytes [cipherStart, cipherEnd) holding chunks firstChunk..lastChunk, whole. */
  cipherStart: number;
  cipherEnd: number;
  /** Plaintext bytes to drop from the start of chunk firstChunk's plaintext. */
  skipBytes: number;
}

/**
 * Maps a plaintext byte range [plainStart, plainEnd) of a message of `plainSize` bytes to the
 * whole chunks that hold it. A range that reaches the end of the message includes the final
 * chunk (possibly empty), so reading to the end authenticates the length (no silent truncation).
 * An empty range maps to the one chunk at plainStart.
 *
 * @example
 * const r = contentRangeForPlaintext(1_000_000, 2_000_000, size);
 * // fetch header [0, 56) and ciphertext [r.cipherStart, r.cipherEnd), then decrypt chunks
 * // r.firstChunk..r.lastChunk, and drop r.skipBytes from the first.
 */
export function contentRangeForPlaintext(
  plainStart: number,
  plainEnd: number,
  plainSize: number,
): ContentRange {
  if (
    !Number.isSafeInteger(plainStart) ||
    !Number.isSafeInteger(plainEnd) ||
    !Number.isSafeInteger(plainSize) ||
    plainStart < 0 ||
    plainStart > plainEnd ||
    plainEnd > plainSize
  ) {
    throw new RangeError('invalid plaintext range');
  }
  const finalChunk = chunkCount(plainSize) - 1;
  const firstChunk = Math.min(Math.floor(plainStart / CHUNK_SIZE), finalChunk);
  let lastChunk = plainEnd > plainStart ? Math.floor((plainEnd - 1) / CHUNK_SIZE) : firstChunk;
  if (plainEnd === plainSize) lastChunk = finalChunk;
  const lastSealed =
    lastChunk === finalChunk ? plainSize - finalChunk * CHUNK_SIZE + TAG_SIZE : SEALED_CHUNK_SIZE;
  return {
    plainStart,
    plainEnd,
    headerStart: 0,
    headerEnd: HEADER_SIZE,
    firstChunk,
    lastChunk,
    finalChunk,
    cipherStart: chunkOffset(firstChunk),
    cipherEnd: chunkOffset(lastChunk) + lastSealed,
    skipBytes: plainStart - firstChunk * CHUNK_SIZE,
  };
}
