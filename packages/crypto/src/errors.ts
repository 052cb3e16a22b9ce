// The one error every decryption or unwrapping failure turns into. Its message never says which
// check failed (wrong key, bad tag, truncation, wrong AAD, bad header...): a distinguishing error is
// an oracle, and the caller can do nothing different for any of them anyway.

const MESSAGE = 'decryption failed';

/**
 * Thrown whenever ciphertext cannot be authenticated and decrypted, whatever the reason.
 * The message is always the same; the underlying cause is deliberately not attached.
 *
 * @example
 * try { await unwrapKey(parentKey, wrapped, 'node-key', nodeId) }
 * catch (e) { if (e instanceof DecryptionError) showTamperWarning() }
 */
export class DecryptionError extends Error {
  constructor() {
    super(MESSAGE);
    this.name = 'DecryptionError';
  }
}

/** Thrown by {@link wordsToRecoveryKey} when the words are not a valid 24-word BIP39 phrase. */
export class RecoveryWordsError extends Error {
  constructor() {
    super('invalid recovery words: expected the 24 words shown at sign-up');
    this.name = 'RecoveryWordsError';
  }
}

/** Thrown by the OPAQUE login wrapper when the server's response does not match the password. */
export class LoginFailedError extends Error {
  constructor() {
    super('login failed: wrong email or password');
    this.name = 'LoginFailedError';
  }
}
