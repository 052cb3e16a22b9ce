// Sharing a folder with another account: the folder key is sealed to the recipient's X25519 key
// with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, through
// @hpke/core) and the share is signed with the owner's Ed25519 key, so that the server, which
// stores the sealed key, can neither read it nor forge or redirect a share. Contacts are compared
// through a safety number computed from both accounts' public keys. docs/FORMAT.md section 15.
// Never logs key material.

import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { assertKey, concatBytes, idBytes, utf8 } from './bytes.js';
import { DecryptionError } from './errors.js';
import { FORMAT_VERSION } from './format-version.js';

/** X25519 public key (32) || AES-256-GCM(folder key) (32 + 16). */
export const SEALED_SHARE_KEY_SIZE = 80;

/** What a share grants; part of the signed message. */
export type ShareAccess = 'read' | 'write';

/** Everything a share's signature and HPKE info bind. */
export interface ShareContext {
  shareId: string;
  folderId: string;
  ownerUserId: string;
  memberUserId: string;
  access: ShareAccess;
}

/** A copy as a standalone ArrayBuffer (a view's .buffer may hold more than the view). */
const ab = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer;

function suite(): CipherSuite {
  return new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
}

/** HPKE info: "hoard/v1/share" 0x00 version shareId16 folderId16 ownerId16 memberId16. */
export function shareInfo(context: ShareContext): Uint8Array {
  return concatBytes(
    utf8('hoard/v1/share'),
    Uint8Array.of(0, FORMAT_VERSION),
    idBytes(context.shareId),
    idBytes(context.folderId),
    idBytes(context.ownerUserId),
    idBytes(context.memberUserId),
  );
}

/**
 * The signed message: "hoard/v1/share-signature" 0x00 version shareId16 folderId16 ownerId16
 * memberId16 access(1 byte: 0x01 read, 0x02 write) memberEncryptionPublicKey(32) SHA-256(sealed).
 */
export function shareSignedMessage(
  context: ShareContext,
  memberEncryptionPublicKey: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  if (memberEncryptionPublicKey.length !== 32) throw new TypeError('public key must be 32 bytes');
  return concatBytes(
    utf8('hoard/v1/share-signature'),
    Uint8Array.of(0, FORMAT_VERSION),
    idBytes(context.shareId),
    idBytes(context.folderId),
    idBytes(context.ownerUserId),
    idBytes(context.memberUserId),
    Uint8Array.of(context.access === 'write' ? 2 : 1),
    memberEncryptionPublicKey,
    sha256(sealed),
  );
}

/** Test seam: sealing with given ephemeral key material (deterministic vectors). Not exported by index. */
export async function sealShareKeyWithEphemeral(
  folderKey: Uint8Array,
  context: ShareContext,
  memberEncryptionPublicKey: Uint8Array,
  ownerSigningPrivateKey: Uint8Array,
  ekm: Uint8Array | undefined,
): Promise<{ sealed: Uint8Array; signature: Uint8Array }> {
  assertKey(folderKey, 'folderKey');
  assertKey(ownerSigningPrivateKey, 'ownerSigningPrivateKey');
  const hpke = suite();
  const recipientPublicKey = await hpke.kem.importKey('raw', ab(memberEncryptionPublicKey), true);
  const sender = await hpke.createSenderContext({
    recipientPublicKey,
    info: ab(shareInfo(context)),
    ...(ekm ? { ekm: ab(ekm) } : {}),
  });
  const ciphertext = new Uint8Array(await sender.seal(ab(folderKey)));
  const sealed = concatBytes(new Uint8Array(sender.enc), ciphertext);
  const signature = ed25519.sign(
    shareSignedMessage(context, memberEncryptionPublicKey, sealed),
    ownerSigningPrivateKey,
  );
  return { sealed, signature };
}

/**
 * Seals a folder key to a member's X25519 public key and signs the share with the owner's Ed25519
 * key. `sealed` = HPKE enc (32) || ciphertext (48) = 80 bytes; `signature` = 64 bytes.
 *
 * @example
 * const { sealed, signature } = await sealShareKey(folder.key, ctx, member.encryptionPublicKey, me.signing.privateKey);
 */
export function sealShareKey(
  folderKey: Uint8Array,
  context: ShareContext,
  memberEncryptionPublicKey: Uint8Array,
  ownerSigningPrivateKey: Uint8Array,
): Promise<{ sealed: Uint8Array; signature: Uint8Array }> {
  return sealShareKeyWithEphemeral(
    folderKey,
    context,
    memberEncryptionPublicKey,
    ownerSigningPrivateKey,
    undefined,
  );
}

/**
 * Verifies the owner's signature, then opens the folder key with the member's X25519 private key.
 * @throws {DecryptionError} when the signature, the context or the ciphertext does not verify.
 */
export async function openShareKey(
  sealed: Uint8Array,
  signature: Uint8Array,
  context: ShareContext,
  member: { encryptionPrivateKey: Uint8Array; encryptionPublicKey: Uint8Array },
  ownerSigningPublicKey: Uint8Array,
): Promise<Uint8Array> {
  try {
    if (sealed.length !== SEALED_SHARE_KEY_SIZE || signature.length !== 64) throw new DecryptionError();
    const message = shareSignedMessage(context, member.encryptionPublicKey, sealed);
    if (!ed25519.verify(signature, message, ownerSigningPublicKey, { zip215: false })) {
      throw new DecryptionError();
    }
    const hpke = suite();
    const recipientKey = await hpke.kem.importKey('raw', ab(member.encryptionPrivateKey), false);
    const recipient = await hpke.createRecipientContext({
      recipientKey,
      enc: ab(sealed.slice(0, 32)),
      info: ab(shareInfo(context)),
    });
    const key = new Uint8Array(await recipient.open(ab(sealed.slice(32))));
    assertKey(key, 'folder key');
    return key;
  } catch {
    throw new DecryptionError();
  }
}

/**
 * An account's fingerprint: 30 decimal digits in 6 groups of 5, from SHA-512("hoard/v1/fingerprint"
 * 0x00 version encryptionPublicKey signingPublicKey): each group is a 5-byte big-endian number mod 100000.
 */
export function keyFingerprint(encryptionPublicKey: Uint8Array, signingPublicKey: Uint8Array): string {
  if (encryptionPublicKey.length !== 32 || signingPublicKey.length !== 32) {
    throw new TypeError('public keys must be 32 bytes');
  }
  const digest = sha512(
    concatBytes(
      utf8('hoard/v1/fingerprint'),
      Uint8Array.of(0, FORMAT_VERSION),
      encryptionPublicKey,
      signingPublicKey,
    ),
  );
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) {
    let n = 0;
    for (let j = 0; j < 5; j++) n = n * 256 + digest[i * 5 + j]!;
    groups.push(String(n % 100_000).padStart(5, '0'));
  }
  return groups.join(' ');
}

/**
 * The safety number two accounts compare (out of band): both fingerprints, the smaller first, so
 * both sides compute the same 60 digits.
 */
export function safetyNumber(
  mine: { encryptionPublicKey: Uint8Array; signingPublicKey: Uint8Array },
  theirs: { encryptionPublicKey: Uint8Array; signingPublicKey: Uint8Array },
): string {
  const a = keyFingerprint(mine.encryptionPublicKey, mine.signingPublicKey);
  const b = keyFingerprint(theirs.encryptionPublicKey, theirs.signingPublicKey);
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}
