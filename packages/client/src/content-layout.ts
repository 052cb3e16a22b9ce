// Where a ciphertext part's bytes come from: the chunks of a Cobblestone-256 ciphertext
// (c2sp.org/chunked-encryption) that a ciphertext byte range overlaps, and the plaintext those
// chunks hold. Pure arithmetic over the crypto package's layout constants; upload parts need not
// align with chunks.

import { CHUNK_SIZE, HEADER_SIZE, SEALED_CHUNK_SIZE } from '@hoard/crypto';

/** Plaintext offset and length of chunk `index` of a plaintext of `plainBytes`. */
export function chunkPlainRange(index: number, plainBytes: number): { start: number; length: number } {
  const start = index * CHUNK_SIZE;
  return { start, length: Math.max(0, Math.min(CHUNK_SIZE, plainBytes - start)) };
}

/**
 * The chunks that overlap the ciphertext bytes [start, end) (end exclusive), or undefined when the
 * range lies within the header.
 */
export function chunksOfCipherRange(start: number, end: number): { first: number; last: number } | undefined {
  if (end <= HEADER_SIZE) return undefined;
  const first = Math.floor(Math.max(0, start - HEADER_SIZE) / SEALED_CHUNK_SIZE);
  const last = Math.floor((end - 1 - HEADER_SIZE) / SEALED_CHUNK_SIZE);
  return { first, last };
}
