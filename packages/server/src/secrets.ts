// Server-side randomness and hashing of secrets: ids, session tokens and secrets come from the
// CSPRNG only (crypto.getRandomValues via randomBytes); tokens are stored as SHA-256, never as is.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh 16-byte id in base64url (22 characters). */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/** A fresh 32-byte secret in base64url (43 characters): session tokens and session secrets. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a string's UTF-8 bytes, in base64url. */
export function sha256B64u(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
