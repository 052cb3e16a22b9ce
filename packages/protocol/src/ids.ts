// Identifiers and binary encodings on the wire. Every id is 16 random bytes in base64url without
// padding (22 characters); binary fields are base64url strings. Branded types keep a NodeId from
// being passed where a UserId is expected ([Note: branded ids]).
import { z } from 'zod';

const B64U_ID = /^[A-Za-z0-9_-]{22}$/;
const B64U = /^[A-Za-z0-9_-]*$/;

/** Any 16-byte id in base64url (22 characters, no padding). */
export const Id = z.string().regex(B64U_ID, 'must be 16 bytes in base64url (22 characters)');

/** The id of an account (chosen by the client at sign-up). */
export const UserId = Id.brand<'UserId'>();
export type UserId = z.infer<typeof UserId>;
/** The id of a folder or file node (chosen by the client). */
export const NodeId = Id.brand<'NodeId'>();
export type NodeId = z.infer<typeof NodeId>;
/** The id of a file version (chosen by the client). */
export const VersionId = Id.brand<'VersionId'>();
export type VersionId = z.infer<typeof VersionId>;
/** The id of an upload (chosen by the server). */
export const UploadId = Id.brand<'UploadId'>();
export type UploadId = z.infer<typeof UploadId>;
/** The id of a session (chosen by the server; not a secret, the token is). */
export const SessionId = Id.brand<'SessionId'>();
export type SessionId = z.infer<typeof SessionId>;
/** The id of a pending OPAQUE login between start and finish (chosen by the server). */
export const LoginId = Id.brand<'LoginId'>();
export type LoginId = z.infer<typeof LoginId>;
/** The id of a pending account recovery between start and finish (chosen by the server). */
export const RecoveryId = Id.brand<'RecoveryId'>();
export type RecoveryId = z.infer<typeof RecoveryId>;

/**
 * Binary data in base64url without padding, at most `maxBytes` bytes once decoded.
 *
 * @example
 * const WrappedKey = b64u(256);
 */
export function b64u(maxBytes: number, minBytes = 0) {
  return z
    .string()
    .regex(B64U, 'must be base64url without padding')
    .min(Math.ceil((minBytes * 4) / 3), `must hold at least ${minBytes} bytes`)
    .max(Math.ceil((maxBytes * 4) / 3), `must hold at most ${maxBytes} bytes`);
}

/** Exactly 32 bytes in base64url (43 characters): session tokens and secrets, keys, HMACs. */
export const B64u32 = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes in base64url (43 characters)');

/** A wrapped (encrypted) key: nonce, ciphertext and tag, in base64url. */
export const WrappedKey = b64u(1024, 1);
/** Encrypted attributes (name, mime, mtime...): at most 16 KiB of ciphertext, in base64url. */
export const EncryptedAttrs = b64u(16 * 1024);
/** The client's HMAC-SHA256 of a normalized name under its folder's key (32 bytes, base64url). */
export const NameHash = B64u32;
/** A public key or signature, in base64url. */
export const PublicKeyMaterial = b64u(1024, 1);
/** An OPAQUE protocol message (serenity-kit's base64url encoding). */
export const OpaqueMessage = b64u(4096, 1);

/** An ISO-8601 timestamp (UTC). */
export const Timestamp = z.iso.datetime();

/** A size in bytes: a non-negative integer that a JSON number holds exactly. */
export const SizeBytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** An e-mail address, trimmed and lowercased (it is also the OPAQUE user identifier). */
export const Email = z.string().trim().toLowerCase().pipe(z.email().max(254));
