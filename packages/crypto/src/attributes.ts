// Encrypted attributes (name, mime, sizes, times) of nodes and versions: JSON, length-padded so the
// ciphertext does not reveal the exact name length, sealed with AES-256-GCM under a key derived for
// attributes only, with AAD binding format version, kind and id (an attribute blob cannot be moved
// to another node or read as a version's). The output of decryptAttributes is untrusted JSON:
// callers parse it with a schema.

import { webCryptoAead, type AeadOptions } from './aead.js';
import { assertKey, concatBytes, idBytes, randomBytes, utf8 } from './bytes.js';
import { DecryptionError } from './errors.js';
import { FORMAT_VERSION } from './format-version.js';
import { HKDF_LABELS, deriveKey } from './hkdf-labels.js';

/** Which object attributes belong to. */
export type AttributesKind = 'node' | 'version';

/** Padding: plaintext is padded to a multiple of this many bytes... */
export const ATTRIBUTES_PAD_BYTES = 128;
/** ...and to at least this many bytes. */
export const ATTRIBUTES_MIN_PADDED_BYTES = 256;
/** Largest attributes JSON accepted, in UTF-8 bytes. */
export const ATTRIBUTES_MAX_JSON_BYTES = 65536;

/** Padded plaintext length for a JSON of `jsonBytes` bytes (4-byte length prefix included). */
export function paddedAttributesSize(jsonBytes: number): number {
  const needed = 4 + jsonBytes;
  return Math.max(
    ATTRIBUTES_MIN_PADDED_BYTES,
    Math.ceil(needed / ATTRIBUTES_PAD_BYTES) * ATTRIBUTES_PAD_BYTES,
  );
}

/** Each kind's AAD up to the id, made once (a folder listing builds thousands of AADs). */
const aadPrefixes = new Map<string, Uint8Array>(
  (['node', 'version'] as const).map((kind) => [
    kind,
    concatBytes(utf8('hoard/v1/attributes'), Uint8Array.of(0, FORMAT_VERSION), utf8(kind), Uint8Array.of(0)),
  ]),
);

/** AAD: "hoard/v1/attributes" 0x00 version kind 0x00 id(16 bytes). */
export function attributesAad(kind: AttributesKind, id: string): Uint8Array {
  const prefix = aadPrefixes.get(kind);
  if (!prefix) throw new TypeError('unknown attributes kind');
  return concatBytes(prefix, idBytes(id));
}

function attributesKey(key: Uint8Array, kind: AttributesKind): Uint8Array {
  return deriveKey(key, kind === 'node' ? HKDF_LABELS.nodeAttributes : HKDF_LABELS.versionAttributes);
}

/** Test seam: encryption with a given nonce. Not exported by index. */
export async function encryptAttributesWithNonce(
  key: Uint8Array,
  kind: AttributesKind,
  id: string,
  attrs: object,
  nonce: Uint8Array,
  options: AeadOptions = {},
): Promise<Uint8Array> {
  assertKey(key);
  const aad = attributesAad(kind, id);
  const json = utf8(JSON.stringify(attrs));
  if (json.length > ATTRIBUTES_MAX_JSON_BYTES) throw new RangeError('attributes too large');
  const padded = new Uint8Array(paddedAttributesSize(json.length));
  new DataView(padded.buffer).setUint32(0, json.length);
  padded.set(json, 4);
  const aead = await (options.aead ?? webCryptoAead).importKey(attributesKey(key, kind));
  const sealed = await aead.encrypt(nonce, padded, aad);
  return concatBytes(Uint8Array.of(FORMAT_VERSION), nonce, sealed);
}

/**
 * Encrypts a node's or a version's attributes (any JSON-serializable object).
 * Node attrs: `{name, mime?}`; version attrs: `{sizeBytes, mtimeMs?, mime?}`.
 * Output: version(1) || nonce(12) || AES-256-GCM(padded JSON) || tag(16).
 *
 * @param key the node key (kind 'node') or the version key (kind 'version')
 * @example
 * const encryptedAttrs = await encryptAttributes(nodeKey, 'node', nodeId, { name: 'a.jpg' });
 */
export async function encryptAttributes(
  key: Uint8Array,
  kind: AttributesKind,
  id: string,
  attrs: object,
  options: AeadOptions = {},
): Promise<Uint8Array> {
  return encryptAttributesWithNonce(key, kind, id, attrs, randomBytes(12), options);
}

/**
 * Decrypts attributes made by {@link encryptAttributes} with the same key, kind and id.
 * Returns the parsed JSON, which is untrusted: validate it with a schema.
 * @throws {DecryptionError} on any failure (tampering, wrong key/kind/id, bad padding or JSON).
 */
export async function decryptAttributes(
  key: Uint8Array,
  kind: AttributesKind,
  id: string,
  bytes: Uint8Array,
  options: AeadOptions = {},
): Promise<unknown> {
  assertKey(key);
  const aad = attributesAad(kind, id);
  if (bytes.length < 1 + 12 + 16 + ATTRIBUTES_MIN_PADDED_BYTES || bytes[0] !== FORMAT_VERSION) {
    throw new DecryptionError();
  }
  const aead = await (options.aead ?? webCryptoAead).importKey(attributesKey(key, kind));
  let padded: Uint8Array;
  try {
    padded = await aead.decrypt(bytes.subarray(1, 13), bytes.subarray(13), aad);
  } catch {
    throw new DecryptionError();
  }
  const length = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0);
  if (length > padded.length - 4 || padded.length !== paddedAttributesSize(length))
    throw new DecryptionError();
  for (let i = 4 + length; i < padded.length; i++) if (padded[i] !== 0) throw new DecryptionError();
  try {
    return JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(padded.subarray(4, 4 + length)),
    ) as unknown;
  } catch {
    throw new DecryptionError();
  }
}
