// @hoard/crypto: the one public crypto API of Hoard (isomorphic: WebCrypto + audited pure-JS
// libraries; no node:* imports, no I/O). Every byte it produces is specified in docs/FORMAT.md and
// pinned by the known-answer vectors in docs/vectors/. Nothing here logs key material.

export { FORMAT_VERSION } from './format-version.js';
export { DecryptionError, LoginFailedError, RecoveryWordsError } from './errors.js';
export {
  ID_SIZE,
  KEY_SIZE,
  constantTimeEqual,
  fromB64u,
  randomBytes,
  randomId,
  randomKey,
  toB64u,
} from './bytes.js';
export { HKDF_LABELS } from './hkdf-labels.js';
export {
  NONCE_SIZE,
  webCryptoAead,
  type Aead,
  type AeadItem,
  type AeadKey,
  type AeadOptions,
} from './aead.js';
export { KEY_PURPOSES, WRAPPED_KEY_SIZE, unwrapKey, wrapKey, type KeyPurpose } from './key-wrap.js';
export {
  ATTRIBUTES_MIN_PADDED_BYTES,
  ATTRIBUTES_PAD_BYTES,
  decryptAttributes,
  encryptAttributes,
  type AttributesKind,
} from './attributes.js';
export { nameHash } from './name-hash.js';
export {
  generateRecoveryKey,
  masterKeyWrappingKey,
  recoveryAuthKey,
  recoveryKeyToWords,
  recoveryWrappingKey,
  sessionLocalKey,
  wordsToRecoveryKey,
} from './derived-keys.js';
export {
  accountKeysMatch,
  generateAccountKeyPairs,
  signPublicKeys,
  verifyPublicKeys,
  type AccountKeyPairs,
  type KeyPair,
} from './account-keys.js';
export {
  OPAQUE_KEY_STRETCHING,
  opaqueFinishLogin,
  opaqueFinishRegistration,
  opaqueReady,
  opaqueStartLogin,
  opaqueStartRegistration,
  type OpaqueLoginFinish,
  type OpaqueLoginStart,
  type OpaqueRegistrationFinish,
  type OpaqueRegistrationStart,
} from './opaque.js';
export {
  CHUNK_SIZE,
  COMMITMENT_SIZE,
  HEADER_SIZE,
  MAX_CHUNK_COUNT,
  SALT_SIZE,
  SEALED_CHUNK_SIZE,
  TAG_SIZE,
  chunkCount,
  chunkOffset,
  ciphertextSize,
  contentContext,
  contentRangeForPlaintext,
  createContentCipher,
  newContentSalt,
  openContentCipher,
  plaintextSize,
  type ContentCipher,
  type ContentOptions,
  type ContentRange,
} from './content-cipher.js';
export {
  decryptContent,
  decryptContentRangeStream,
  decryptContentStream,
  encryptContent,
  encryptContentStream,
  type ContentStreamOptions,
} from './content-stream.js';
export {
  LINK_PASSWORD_KDF,
  generateLinkKey,
  linkKeyCommitment,
  linkPasswordHash,
  linkPasswordProof,
  linkWrappingKey,
  verifyLinkKeyCommitment,
  type LinkPasswordKdfOptions,
} from './link-keys.js';
export {
  SEALED_SHARE_KEY_SIZE,
  keyFingerprint,
  openShareKey,
  safetyNumber,
  sealShareKey,
  type ShareAccess,
  type ShareContext,
} from './share-keys.js';
export { partDigests } from './transfer-digests.js';
