// Keys derived from secrets that come from elsewhere: OPAQUE's export key (-> the key wrapping the
// master key), the recovery key (-> the recovery authenticator and the recovery wrapping key), the
// server-held session secret (-> the CLI's local wrapping key). One HKDF label each.

import { entropyToMnemonic, mnemonicToEntropy } from '@scure/bip39';
import { wordlist as english } from '@scure/bip39/wordlists/english.js';
import { assertKey, fromB64u, promised, randomKey } from './bytes.js';
import { RecoveryWordsError } from './errors.js';
import { HKDF_LABELS, deriveKey } from './hkdf-labels.js';

function exportKeyBytes(exportKey: Uint8Array | string): Uint8Array {
  const bytes = typeof exportKey === 'string' ? fromB64u(exportKey) : exportKey;
  if (bytes.length < 32) throw new TypeError('OPAQUE export key too short');
  return bytes;
}

/**
 * The key that wraps the master key (purpose 'master-key', id = user id), derived from the OPAQUE
 * export key (64 bytes, or its base64url as @serenity-kit/opaque returns it).
 * @example
 * const wrapped = await wrapKey(await masterKeyWrappingKey(exportKey), masterKey, 'master-key', userId);
 */
export function masterKeyWrappingKey(opaqueExportKey: Uint8Array | string): Promise<Uint8Array> {
  return promised(() => deriveKey(exportKeyBytes(opaqueExportKey), HKDF_LABELS.masterKeyWrapping));
}

/**
 * The key that wraps the CLI's local copy of the master key (purpose 'session-local', id = session
 * id), derived from the session secret the server keeps (32 bytes, or base64url).
 */
export function sessionLocalKey(sessionSecret: Uint8Array | string): Promise<Uint8Array> {
  return promised(() => {
    const secret = typeof sessionSecret === 'string' ? fromB64u(sessionSecret) : sessionSecret;
    assertKey(secret, 'session secret');
    return deriveKey(secret, HKDF_LABELS.sessionLocal);
  });
}

/** A fresh random 256-bit recovery key (shown once to the user as 24 words). */
export function generateRecoveryKey(): Uint8Array {
  return randomKey();
}

/** The 24 BIP39 English words encoding a 256-bit recovery key (the last word carries a checksum). */
export function recoveryKeyToWords(recoveryKey: Uint8Array): string[] {
  assertKey(recoveryKey, 'recoveryKey');
  return entropyToMnemonic(recoveryKey, english).split(' ');
}

/**
 * The recovery key from its 24 words (an array, or one string separated by whitespace). Case and
 * surrounding whitespace are ignored.
 * @throws {RecoveryWordsError} if not exactly 24 valid words with a correct checksum.
 */
export function wordsToRecoveryKey(words: readonly string[] | string): Uint8Array {
  const list = (typeof words === 'string' ? words.split(/\s+/) : [...words])
    .map((w) => w.trim().toLowerCase().normalize('NFKD'))
    .filter((w) => w.length > 0);
  if (list.length !== 24) throw new RecoveryWordsError();
  try {
    return mnemonicToEntropy(list.join(' '), english);
  } catch {
    throw new RecoveryWordsError();
  }
}

/**
 * What the client proves knowledge of the recovery key with (the server stores its SHA-256 only).
 * Derived with its own label, so it reveals nothing about the recovery wrapping key.
 */
export function recoveryAuthKey(recoveryKey: Uint8Array): Promise<Uint8Array> {
  return promised(() => {
    assertKey(recoveryKey, 'recoveryKey');
    return deriveKey(recoveryKey, HKDF_LABELS.recoveryAuth);
  });
}

/** The key that wraps the master key for recovery (purpose 'master-key-recovery', id = user id). */
export function recoveryWrappingKey(recoveryKey: Uint8Array): Promise<Uint8Array> {
  return promised(() => {
    assertKey(recoveryKey, 'recoveryKey');
    return deriveKey(recoveryKey, HKDF_LABELS.recoveryWrapping);
  });
}
