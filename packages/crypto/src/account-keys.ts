// Account key pairs: X25519 (receiving shared keys, HPKE) and Ed25519 (signing). The private keys
// are stored wrapped under the master key (purposes 'encryption-private-key' and
// 'signing-private-key'); the public keys are published with a signature binding them together.

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { concatBytes, constantTimeEqual, promised, randomKey, utf8 } from './bytes.js';
import { FORMAT_VERSION } from './format-version.js';

/** A public/private key pair; all keys are 32 bytes (Ed25519 private key = its 32-byte seed). */
export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** The two key pairs of an account. */
export interface AccountKeyPairs {
  /** X25519, for receiving keys shared by other accounts. */
  encryption: KeyPair;
  /** Ed25519, for signing. */
  signing: KeyPair;
}

/** Test seam: key pairs from given 32-byte secrets. Not exported by index. */
export function accountKeyPairsFromSecrets(
  encryptionSecret: Uint8Array,
  signingSeed: Uint8Array,
): AccountKeyPairs {
  return {
    encryption: { privateKey: encryptionSecret, publicKey: x25519.getPublicKey(encryptionSecret) },
    signing: { privateKey: signingSeed, publicKey: ed25519.getPublicKey(signingSeed) },
  };
}

/**
 * Whether the account's private keys (as unwrapped from the server) belong to the public keys the
 * server publishes, and the publication carries the account's own signature. A client checks it at
 * login: a server that swapped the published keys (to receive what others share) is caught here.
 */
export async function accountKeysMatch(
  encryptionPrivateKey: Uint8Array,
  signingPrivateKey: Uint8Array,
  published: { encryptionPublicKey: Uint8Array; signingPublicKey: Uint8Array; signature: Uint8Array },
): Promise<boolean> {
  if (encryptionPrivateKey.length !== 32 || signingPrivateKey.length !== 32) return false;
  const own = accountKeyPairsFromSecrets(encryptionPrivateKey, signingPrivateKey);
  return (
    constantTimeEqual(own.encryption.publicKey, published.encryptionPublicKey) &&
    constantTimeEqual(own.signing.publicKey, published.signingPublicKey) &&
    (await verifyPublicKeys(published.encryptionPublicKey, published.signingPublicKey, published.signature))
  );
}

/** Generates fresh X25519 and Ed25519 key pairs (secrets from getRandomValues). */
export function generateAccountKeyPairs(): AccountKeyPairs {
  return accountKeyPairsFromSecrets(randomKey(), randomKey());
}

/** The signed message: "hoard/v1/account-public-keys" 0x00 version encryptionPublicKey signingPublicKey. */
export function publicKeysMessage(encryptionPublicKey: Uint8Array, signingPublicKey: Uint8Array): Uint8Array {
  if (encryptionPublicKey.length !== 32 || signingPublicKey.length !== 32) {
    throw new TypeError('public keys must be 32 bytes');
  }
  return concatBytes(
    utf8('hoard/v1/account-public-keys'),
    Uint8Array.of(0, FORMAT_VERSION),
    encryptionPublicKey,
    signingPublicKey,
  );
}

/**
 * Signs the account's two public keys with the Ed25519 private key (64-byte signature).
 * @example
 * const sig = await signPublicKeys(pairs.signing.privateKey, pairs.encryption.publicKey, pairs.signing.publicKey);
 */
export function signPublicKeys(
  signingPrivateKey: Uint8Array,
  encryptionPublicKey: Uint8Array,
  signingPublicKey: Uint8Array,
): Promise<Uint8Array> {
  return promised(() => {
    if (signingPrivateKey.length !== 32) throw new TypeError('signing private key must be 32 bytes');
    if (!constantTimeEqual(ed25519.getPublicKey(signingPrivateKey), signingPublicKey)) {
      throw new TypeError('signing private key does not match the signing public key');
    }
    return ed25519.sign(publicKeysMessage(encryptionPublicKey, signingPublicKey), signingPrivateKey);
  });
}

/**
 * Checks a signature made by {@link signPublicKeys} (strict RFC 8032 verification, not ZIP-215).
 * Returns false for any malformed input.
 */
export function verifyPublicKeys(
  encryptionPublicKey: Uint8Array,
  signingPublicKey: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  try {
    if (signature.length !== 64) return Promise.resolve(false);
    const message = publicKeysMessage(encryptionPublicKey, signingPublicKey);
    return Promise.resolve(ed25519.verify(signature, message, signingPublicKey, { zip215: false }));
  } catch {
    return Promise.resolve(false);
  }
}
