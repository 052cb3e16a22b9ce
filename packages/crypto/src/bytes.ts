// Byte helpers: randomness (getRandomValues only), base64url, concatenation, encodings of ids.
// Never logs or stringifies key material.

/** Key size of every symmetric key in Hoard (AES-256, HKDF outputs), in bytes. */
export const KEY_SIZE = 32;
/** Size of every Hoard id (user, node, version, session...) before base64url encoding, in bytes. */
export const ID_SIZE = 16;

/** Returns `n` cryptographically random bytes (WebCrypto `getRandomValues`, in 64 KiB slices). */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError('randomBytes: n must be a non-negative integer');
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536)
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** Returns a fresh random 256-bit key. */
export function randomKey(): Uint8Array {
  return randomBytes(KEY_SIZE);
}

/** Returns a fresh random id: 16 random bytes as base64url without padding (22 characters). */
export function randomId(): string {
  return toB64u(randomBytes(ID_SIZE));
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as base64url without padding (RFC 4648 section 5). */
export function toB64u(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Decodes base64url without padding. Strict: rejects padding, other alphabets, impossible lengths
 * and non-canonical trailing bits, so that one byte string has exactly one encoding.
 * @throws {TypeError} on any invalid input.
 */
export function fromB64u(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new TypeError('invalid base64url');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) throw new TypeError('invalid base64url');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw new TypeError('invalid base64url');
  return out;
}

/** Concatenates byte arrays into a new one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 encoding of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Compares two byte arrays in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Decodes a Hoard id (22 base64url characters) to its 16 bytes. @throws {TypeError} if malformed. */
export function idBytes(id: string): Uint8Array {
  const bytes = fromB64u(id);
  if (bytes.length !== ID_SIZE) throw new TypeError('invalid id: expected 16 bytes as base64url');
  return bytes;
}

/** A view WebCrypto accepts (TypeScript's BufferSource wants an ArrayBuffer-backed view). */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** Asserts a key is exactly 32 bytes. */
export function assertKey(key: Uint8Array, what = 'key'): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_SIZE) {
    throw new TypeError(`${what} must be a 32-byte Uint8Array`);
  }
}

/** Runs a synchronous computation behind a Promise API, turning throws into rejections. */
export function promised<T>(compute: () => T): Promise<T> {
  try {
    return Promise.resolve(compute());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
